/**
 * slipway lint vs kube-score (v1.20.0, scripts/install-go-tools.sh) on test/lint-corpus: for every
 * kube-score check slipway also implements (CHECKS below), both tools must flag the same objects,
 * except for the differences test/lint-corpus/DISAGREEMENTS.md lists, each with its reason. A
 * listed difference that no longer occurs fails too, so the file stays true.
 *
 * kube-score decodes objects into the Kubernetes Go types and stops at the first value that does
 * not decode (`128MB`, `1 core`, `containerPort: "80"`), so it gets a copy of 05-schema.yaml with
 * those three values made valid (KUBE_SCORE_FIXES); slipway lints the corpus as it is. Missing
 * kube-score skips this suite locally and fails it under CI=true.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, memoryIo } from '../../src/cli/index.ts';
import type { Finding } from '../../src/lint/index.ts';
import { kubeScoreTool } from './toolchains.ts';

const root = join(import.meta.dirname, '..', '..');
const corpus = join(root, 'test', 'lint-corpus');
const ci = process.env['CI'] === 'true';
const kubeScore = kubeScoreTool();

/** Kinds kube-score scores a pod template of (its checks with target type `Pod`). */
const POD_KINDS = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];

/** Each kube-score check slipway implements: the slipway rules that cover it, and the kinds it applies to (undefined: all). */
const CHECKS: readonly { readonly check: string; readonly rules: readonly string[]; readonly kinds?: readonly string[] }[] = [
  { check: 'container-security-context-privileged', rules: ['SEC004'], kinds: POD_KINDS },
  { check: 'container-security-context-readonlyrootfilesystem', rules: ['SEC020'], kinds: POD_KINDS },
  { check: 'container-security-context-user-group-id', rules: ['SEC016', 'SEC017'], kinds: POD_KINDS },
  { check: 'container-seccomp-profile', rules: ['SEC018'], kinds: POD_KINDS },
  { check: 'container-image-tag', rules: ['SEC021'], kinds: POD_KINDS },
  { check: 'container-resources', rules: ['EFF001', 'EFF002', 'EFF003', 'EFF004'], kinds: POD_KINDS },
  { check: 'environment-variable-key-duplication', rules: ['REL015'], kinds: POD_KINDS },
  { check: 'pod-probes', rules: ['REL001', 'REL002'], kinds: POD_KINDS },
  { check: 'pod-probes-identical', rules: ['REL005'], kinds: POD_KINDS },
  { check: 'pod-networkpolicy', rules: ['NET006'], kinds: POD_KINDS },
  { check: 'deployment-replicas', rules: ['REL006'], kinds: ['Deployment'] },
  { check: 'deployment-has-poddisruptionbudget', rules: ['REL007'], kinds: ['Deployment'] },
  { check: 'statefulset-has-poddisruptionbudget', rules: ['REL007'], kinds: ['StatefulSet'] },
  { check: 'deployment-has-host-podantiaffinity', rules: ['REL011'], kinds: ['Deployment'] },
  { check: 'statefulset-has-host-podantiaffinity', rules: ['REL011'], kinds: ['StatefulSet'] },
  { check: 'deployment-targeted-by-hpa-does-not-have-replicas-configured', rules: ['REL013'], kinds: ['Deployment'] },
  { check: 'deployment-pod-selector-labels-match-template-metadata-labels', rules: ['REL014'], kinds: ['Deployment'] },
  { check: 'statefulset-pod-selector-labels-match-template-metadata-labels', rules: ['REL014'], kinds: ['StatefulSet'] },
  { check: 'horizontalpodautoscaler-has-target', rules: ['REL012'], kinds: ['HorizontalPodAutoscaler'] },
  { check: 'stable-version', rules: ['REL016', 'REL017'] },
  { check: 'service-targets-pod', rules: ['NET001'], kinds: ['Service'] },
  { check: 'service-type', rules: ['NET010'], kinds: ['Service'] },
  { check: 'ingress-targets-service', rules: ['NET003'], kinds: ['Ingress'] },
  { check: 'networkpolicy-targets-pod', rules: ['NET005'], kinds: ['NetworkPolicy'] },
];

/** Values kube-score cannot decode, made valid in its copy of the corpus (slipway reports each as SCH001). */
const KUBE_SCORE_FIXES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  '05-schema.yaml': [
    ['memory: 128MB', 'memory: 128M'],
    ['cpu: 1 core', 'cpu: "1"'],
    ['containerPort: "80"', 'containerPort: 80'],
  ],
};

/** kube-score's copy of the corpus; returns its YAML files. */
function kubeScoreCorpus(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'slipway-kube-score-'));
  const files = readdirSync(corpus).filter((f) => f.endsWith('.yaml')).sort();
  for (const f of files) {
    let text = readFileSync(join(corpus, f), 'utf8');
    for (const [from, to] of KUBE_SCORE_FIXES[f] ?? []) {
      expect(text, `${f} still contains ${from}`).toContain(from);
      text = text.replace(from, to);
    }
    if (KUBE_SCORE_FIXES[f] === undefined) copyFileSync(join(corpus, f), join(dir, f));
    else writeFileSync(join(dir, f), text);
  }
  return files.map((f) => join(dir, f));
}

interface ScoredObject {
  readonly type_meta: { readonly kind: string };
  readonly object_meta: { readonly name?: string; readonly namespace?: string };
  readonly checks: readonly { readonly check: { readonly id: string }; readonly grade: number; readonly skipped: boolean }[];
}

/** `check Kind/namespace/name` for every failed (critical or warning) kube-score check. */
function kubeScoreFailures(argv: readonly string[]): Set<string> {
  const [cmd, ...pre] = argv;
  if (cmd === undefined) throw new Error('no kube-score');
  const args = [...pre, 'score', '-o', 'json', '--kubernetes-version', 'v1.34', '--enable-optional-test', 'container-seccomp-profile', ...kubeScoreCorpus()];
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // Exit 1 means "critical findings"; anything else (or no JSON) is a failure to run.
  expect([0, 1], r.stderr).toContain(r.status);
  const scored = (JSON.parse(r.stdout) as ScoredObject[] | null) ?? [];
  const out = new Set<string>();
  for (const o of scored) {
    for (const c of o.checks) {
      // Grades: 1 critical, 5 warning, 7 almost OK, 10 OK.
      if (!c.skipped && c.grade <= 5) out.add(`${c.check.id} ${o.type_meta.kind}/${o.object_meta.namespace ?? ''}/${o.object_meta.name ?? ''}`);
    }
  }
  return out;
}

async function slipwayFindings(): Promise<Finding[]> {
  const io = memoryIo();
  const code = await main(['node', 'slipway', 'lint', corpus, '-o', 'json', '--fail-on', 'never'], io);
  expect(code, io.stderr()).toBe(0);
  return (JSON.parse(io.stdout()) as { findings: Finding[] }).findings;
}

/** `check Kind/namespace/name` for every mapped check one of whose slipway rules fired on the object. */
function slipwayFailures(findings: readonly Finding[]): Set<string> {
  const out = new Set<string>();
  for (const f of findings) {
    for (const c of CHECKS) {
      if (c.rules.includes(f.ruleId) && (c.kinds === undefined || c.kinds.includes(f.object.kind))) {
        out.add(`${c.check} ${f.object.kind}/${f.object.namespace ?? ''}/${f.object.name ?? ''}`);
      }
    }
  }
  return out;
}

/** DISAGREEMENTS.md rows: `| \`check\` | \`Kind/namespace/name\` | kube-score or slipway | reason |`. */
function recordedDisagreements(): Set<string> {
  const text = readFileSync(join(corpus, 'DISAGREEMENTS.md'), 'utf8');
  return new Set([...text.matchAll(/^\| `([^`]+)` \| `([^`]+)` \| (kube-score|slipway) \|/gm)].map((m) => `${m[3] ?? ''}: ${m[1] ?? ''} ${m[2] ?? ''}`));
}

describe('slipway lint agrees with kube-score on test/lint-corpus', () => {
  it.runIf(kubeScore.argv === undefined && ci)('kube-score is installed (required under CI)', () => {
    expect.fail('kube-score not found: run scripts/install-go-tools.sh');
  });

  it.skipIf(kubeScore.argv === undefined)('same objects flagged per shared check, except the differences DISAGREEMENTS.md explains', async () => {
    const theirs = kubeScoreFailures(kubeScore.argv ?? []);
    const ours = slipwayFailures(await slipwayFindings());
    const shared = new Set(CHECKS.map((c) => c.check));
    const differences = new Set([
      ...[...theirs].filter((k) => shared.has(k.split(' ')[0] ?? '') && !ours.has(k)).map((k) => `kube-score: ${k}`),
      ...[...ours].filter((k) => !theirs.has(k)).map((k) => `slipway: ${k}`),
    ]);
    const recorded = recordedDisagreements();
    expect({
      unexplained: [...differences].filter((d) => !recorded.has(d)).sort(),
      stale: [...recorded].filter((d) => !differences.has(d)).sort(),
    }).toEqual({ unexplained: [], stale: [] });
    // The comparison is not vacuous: the tools agree on some objects for most shared checks.
    const agreed = new Set([...theirs].filter((k) => ours.has(k)).map((k) => k.split(' ')[0]));
    expect(agreed.size).toBeGreaterThanOrEqual(15);
  });
});
