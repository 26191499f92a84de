// Prints the plain closing line CI reads ("N passed, N failed, N skipped") from vitest's JSON report.
import { readFileSync } from 'node:fs';
const file = process.argv[2] ?? '.test-results/vitest.json';
let passed = 0;
let failed;
let skipped = 0;
try {
  const r = JSON.parse(readFileSync(file, 'utf8'));
  passed = r.numPassedTests ?? 0;

  skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  failed = (r.numFailedTests ?? 0);
  // A suite that failed to load (syntax error, setup failure) has no tests; count it as a failure.
  failed += (r.testResults ?? []).filter((t) => t.status === 'failed' && (t.assertionResults ?? []).length === 0).length;
} catch (e) {
  console.error(`test-summary: cannot read ${file}: ${e.message}`);
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
