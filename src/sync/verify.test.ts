import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSlipwayError } from '../errors/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import type { LiveObject, ObjectId } from '../kube/index.ts';
import { idKey } from './inventory.ts';
import type { DeployEvent } from './types.ts';
import { newPods, verificationMetrics, verificationPlans, verifyReleases, type VerificationPlan, type VerifyInput } from './verify.ts';

const ANN = 'slipway.dev/verification';
const web: ObjectId = { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' };

function deployment(name: string, o: { revision?: string; uid?: string; replicas?: number; annotations?: Record<string, string>; namespace?: string } = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      ...(o.namespace ? { namespace: o.namespace } : {}),
      ...(o.uid ? { uid: o.uid } : {}),
      annotations: { ...o.annotations, ...(o.revision ? { 'deployment.kubernetes.io/revision': o.revision } : {}) },
    },
    spec: { replicas: o.replicas ?? 2, selector: { matchLabels: { 'app.kubernetes.io/name': name } } },
  };
}

function replicaSet(name: string, hash: string, revision: string, ownerUid: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: `${name}-${hash}`, namespace: 'shop', labels: { 'pod-template-hash': hash }, annotations: { 'deployment.kubernetes.io/revision': revision }, ownerReferences: [{ uid: ownerUid }] },
  };
}

/** Just the two reads verification makes: GET a workload, LIST ReplicaSets (by label selector). */
function fakeClient(objects: readonly KubeObject[]): VerifyInput['client'] & { selectors: string[] } {
  const selectors: string[] = [];
  return {
    selectors,
    get: (id: ObjectId) => Promise.resolve<LiveObject | undefined>(objects.find((o) => o.kind === id.kind && o.metadata.name === id.name)),
    list: (q: { kind: string; labelSelector?: string | undefined }) => {
      selectors.push(q.labelSelector ?? '');
      return Promise.resolve<LiveObject[]>(objects.filter((o) => o.kind === q.kind));
    },
  };
}

describe('verificationPlans: the workloads whose annotation asks for verification', () => {
  it('Deployments and StatefulSets, in the deploy namespace unless they name one', () => {
    const plans = verificationPlans(
      [
        { object: deployment('web', { annotations: { [ANN]: '{"successRate":99}' } }) },
        { object: { ...deployment('db', { annotations: { [ANN]: '{"latencyP95Ms":20,"count":2}' }, namespace: 'data' }), kind: 'StatefulSet' } },
        { object: deployment('worker') },
        { object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } } },
      ],
      'shop',
    );
    expect(plans).toEqual([
      { id: { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web' }, spec: { successRate: 99 } },
      { id: { apiVersion: 'apps/v1', kind: 'StatefulSet', namespace: 'data', name: 'db' }, spec: { latencyP95Ms: 20, count: 2 } },
    ]);
  });

  it.each<[string, KubeObject, RegExp]>([
    ['a malformed annotation', deployment('web', { annotations: { [ANN]: '{"successRate":"high"}' } }), /Deployment web: annotation slipway\.dev\/verification is not a verification/],
    ['on a kind without rolling releases', { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', annotations: { [ANN]: '{"successRate":99}' } } }, /Job migrate: annotation slipway\.dev\/verification is only for a Deployment or StatefulSet/],
  ])('refuses %s: an input error at the annotation, before anything is written', (_n, object, message) => {
    const position = { file: 'web.yaml', line: 4, col: 5 };
    let err: unknown;
    try {
      verificationPlans([{ object, positionOf: () => position }], 'shop');
    } catch (e) {
      err = e;
    }
    expect(isSlipwayError(err) && err.kind).toBe('input');
    expect((err as Error).message).toMatch(message);
    expect(isSlipwayError(err) && err.position).toEqual(position);
  });
});

describe('verificationMetrics: the analysis engine\'s SLO metrics with the verification settings', () => {
  it('one metric per SLO, defaults applied', () => {
    const ms = verificationMetrics({ successRate: 99.5, latencyP95Ms: 120 });
    expect(ms.map((m) => [m.slo, m.target, m.metric.name, m.metric.successCondition, m.metric.interval, m.metric.count, m.metric.failureLimit])).toEqual([
      ['successRate', 99.5, 'success-rate', 'result >= 0.995', '1s', 5, 0],
      ['latencyP95Ms', 120, 'latency-p95', 'result <= 120', '1s', 5, 0],
    ]);
  });

  it('settings and series names from the annotation', () => {
    const [m] = verificationMetrics({ successRate: 99, names: { requests: 'reqs_total' }, labels: { pod: 'kpod' }, interval: '15s', count: 3, failureLimit: 1 });
    expect(m?.metric).toMatchObject({ interval: '15s', count: 3, failureLimit: 1 });
    expect(m?.metric.provider.prometheus?.query).toContain('reqs_total{namespace="{{namespace}}",kpod=~"{{pods}}"');
  });
});

describe('newPods: which pods a release rolled out', () => {
  const rsOld = replicaSet('web', 'aaa111', '1', 'u1');
  const rsNew = replicaSet('web', 'bbb222', '2', 'u1');
  const other = replicaSet('web', 'ccc333', '2', 'someone-else');

  it.each<[string, KubeObject[], LiveObject | undefined, unknown]>([
    ['a new template: the new ReplicaSet\'s pods only', [deployment('web', { revision: '2', uid: 'u1' }), rsOld, other, rsNew], deployment('web', { revision: '1', uid: 'u1' }), { pods: 'web-bbb222-[a-z0-9]+', revision: 'bbb222' }],
    ['created by this deploy', [deployment('web', { revision: '1', uid: 'u1' }), rsOld], undefined, { pods: 'web-aaa111-[a-z0-9]+', revision: 'aaa111' }],
    ['the same revision (only the Deployment\'s metadata changed)', [deployment('web', { revision: '1', uid: 'u1' }), rsOld], deployment('web', { revision: '1', uid: 'u1' }), { unchanged: 'its pods did not change' }],
    ['scaled to 0', [deployment('web', { revision: '2', uid: 'u1', replicas: 0 })], deployment('web', { revision: '1' }), { unchanged: 'it has 0 replicas: no pods to measure' }],
    ['gone', [], undefined, { unchanged: 'it is gone' }],
  ])('%s', async (_n, objects, before, want) => {
    const client = fakeClient(objects);
    expect(await newPods(client, web, before)).toEqual(want);
  });

  it('lists ReplicaSets by the Deployment\'s selector', async () => {
    const client = fakeClient([deployment('web', { revision: '2', uid: 'u1' }), rsNew]);
    await newPods(client, web, undefined);
    expect(client.selectors).toEqual(['app.kubernetes.io/name=web']);
  });

  it('no ReplicaSet of the current revision is an error, not a guess', async () => {
    await expect(newPods(fakeClient([deployment('web', { revision: '3', uid: 'u1' }), rsOld, rsNew]), web, undefined)).rejects.toThrow(/no ReplicaSet of Deployment\/shop\/web at revision 3/);
  });

  it.each<[string, string | undefined, unknown]>([
    ['a new update revision: every pod (all at it after the wait)', 'db-111', { pods: 'db-[0-9]+', revision: 'db-222' }],
    ['the same update revision', 'db-222', { unchanged: 'its pods did not change' }],
  ])('StatefulSet: %s', async (_n, was, want) => {
    const sts = (rev: string): KubeObject => ({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { replicas: 3 }, status: { updateRevision: rev } });
    expect(await newPods(fakeClient([sts('db-222')]), { ...web, kind: 'StatefulSet', name: 'db' }, was ? sts(was) : undefined)).toEqual(want);
  });
});

/** A Prometheus answering the SLO queries from `answers` (by metric), recording every query. */
class FakePrometheus {
  readonly queries: string[] = [];
  answers = { successRate: 0.999 as number | undefined, latencyMs: 50 as number | undefined, requests: 500 };
  status = 200;
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const q = new URL(req.url ?? '/', 'http://x').searchParams.get('query') ?? '';
      this.queries.push(q);
      const v = q.startsWith('sum(increase(') ? this.answers.requests : q.includes('histogram_quantile') ? this.answers.latencyMs : this.answers.successRate;
      const result = v === undefined ? [] : [{ metric: {}, value: [Date.now() / 1000, String(v)] }];
      res.writeHead(this.status, { 'content-type': 'application/json' }).end(JSON.stringify(this.status === 200 ? { status: 'success', data: { resultType: 'vector', result } } : { status: 'error', error: 'boom' }));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    const a = this.server.address();
    this.url = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server?.close(() => r()));
  }
}

describe('verifyReleases on a (fake) Prometheus, through the analysis engine', () => {
  const prom = new FakePrometheus();
  beforeAll(() => prom.start());
  afterAll(() => prom.stop());

  const plan = (spec: VerificationPlan['spec'], id: ObjectId = web): VerificationPlan => ({ id, spec });
  const api = id('web', 'bbb222');
  function id(name: string, hash: string): VerifyInput['client'] {
    return fakeClient([deployment(name, { revision: '2', uid: `u-${name}` }), replicaSet(name, hash, '2', `u-${name}`)]);
  }
  async function run(plans: VerificationPlan[], o: Partial<VerifyInput> = {}): Promise<{ r: Awaited<ReturnType<typeof verifyReleases>>; events: DeployEvent[] }> {
    const events: DeployEvent[] = [];
    const r = await verifyReleases({ client: api, plans, written: plans.map((p) => p.id), before: new Map(), options: { prometheusUrl: prom.url }, noWait: false, emit: (e) => events.push(e), signal: undefined, ...o });
    return { r, events };
  }
  const fast = { interval: '10ms', duration: '2s' } as const;

  it('a good release passes once every SLO passed `count` measurements, measured on its new pods only', async () => {
    prom.answers = { successRate: 0.999, latencyMs: 50, requests: 500 };
    prom.queries.length = 0;
    const { r, events } = await run([plan({ successRate: 99, latencyP95Ms: 100, count: 3, ...fast })]);
    expect(r?.error).toBeUndefined();
    const w = r?.report.workloads[0];
    expect(w).toMatchObject({ phase: 'Successful', pods: 'web-bbb222-[a-z0-9]+', revision: 'bbb222', settings: { count: 3, interval: '10ms', duration: '2s', failureLimit: 0 } });
    expect(w?.metrics.map((m) => [m.name, m.phase, m.successful, m.lastValue, m.condition])).toEqual([
      ['success-rate', 'Successful', 3, '0.999', 'result >= 0.99'],
      ['latency-p95', 'Successful', 3, '50', 'result <= 100'],
    ]);
    expect(w?.message).toBe('every SLO passed 3 measurement(s): success-rate 0.999 (result >= 0.99), latency-p95 50 (result <= 100)');
    expect(r?.report.prometheusUrl).toBe(prom.url);
    // Exactly the measurements needed: it ends as soon as the SLOs passed.
    expect(events.filter((e) => e.type === 'measurement')).toHaveLength(6);
    expect(events.filter((e) => e.type === 'verified')).toEqual([{ type: 'verified', id: web, phase: 'Successful', message: w?.message }]);
    expect(prom.queries.length).toBeGreaterThan(0);
    expect(prom.queries.every((q) => q.includes('namespace="shop",pod=~"web-bbb222-[a-z0-9]+"'))).toBe(true);
  });

  it('a bad release fails at its first failing measurement: a rollout-failed error naming the metric, value and SLO', async () => {
    prom.answers = { successRate: 0.8, latencyMs: 50, requests: 500 };
    const { r } = await run([plan({ successRate: 95, latencyP95Ms: 100, count: 50, interval: '10ms', duration: '10s' })]);
    const w = r?.report.workloads[0];
    expect(w?.phase).toBe('Failed');
    expect(w?.metrics[0]).toMatchObject({ name: 'success-rate', phase: 'Failed', failed: 1, measured: 1, lastValue: '0.8' });
    expect(isSlipwayError(r?.error) && r.error.kind).toBe('rollout-failed');
    expect(r?.error?.message).toBe('verification failed: Deployment/shop/web on its new pods (bbb222): success-rate 0.8 does not meet the SLO successRate 95% (result >= 0.95): 1 of 1 measurement(s) failed');
    expect(w?.durationMs).toBeLessThan(5000);
  });

  it('failureLimit tolerates that many failed measurements', async () => {
    prom.answers = { successRate: 0.8, latencyMs: 50, requests: 500 };
    const { r } = await run([plan({ successRate: 95, count: 10, failureLimit: 2, ...fast })]);
    expect(r?.report.workloads[0]?.metrics[0]).toMatchObject({ phase: 'Failed', failed: 3, measured: 3 });
  });

  it('too little traffic is never a pass: NoData until the duration is over fails the release, and says why', async () => {
    prom.answers = { successRate: 1, latencyMs: 50, requests: 3 };
    const { r } = await run([plan({ successRate: 99, count: 3, interval: '10ms', duration: '150ms' })]);
    const w = r?.report.workloads[0];
    expect(w?.phase).toBe('NoData');
    expect(w?.metrics[0]?.successful).toBe(0);
    expect(r?.error?.kind).toBe('rollout-failed');
    expect(r?.error?.message).toMatch(/not passed within 150ms: success-rate: no data \(not enough traffic: 3 requests, fewer than the minimum 10\) for the last \d+ measurement\(s\); no data is never a pass/);
    expect(r?.error?.hint).toMatch(/never a pass/);
  });

  it('a new pod Prometheus has no series of yet: NoData without a value (not the text "undefined")', async () => {
    prom.answers = { successRate: undefined, latencyMs: undefined, requests: 0 };
    const { r } = await run([plan({ successRate: 99, count: 3, interval: '10ms', duration: '50ms' })]);
    const m = r?.report.workloads[0]?.metrics[0];
    expect(m?.phase).toBe('NoData');
    expect(m?.lastValue).toBeUndefined();
    expect(m?.measurements.every((x) => x.phase === 'NoData' && !('value' in x))).toBe(true);
  });

  it('Prometheus errors are never a pass either', async () => {
    prom.status = 500;
    try {
      const { r } = await run([plan({ latencyP95Ms: 100, count: 3, interval: '10ms', duration: '150ms' })]);
      expect(r?.report.workloads[0]?.metrics[0]).toMatchObject({ phase: 'Error', successful: 0 });
      expect(r?.error?.message).toMatch(/not passed within 150ms: latency-p95: error \(Prometheus: HTTP 500: boom\)/);
    } finally {
      prom.status = 200;
    }
  });

  it('the first workload to fail stops the others', async () => {
    prom.answers = { successRate: 0.5, latencyMs: 50, requests: 500 };
    const api2 = fakeClient([deployment('web', { revision: '2', uid: 'u-web' }), replicaSet('web', 'bbb222', '2', 'u-web'), deployment('api', { revision: '1', uid: 'u-api' }), replicaSet('api', 'ddd444', '1', 'u-api')]);
    const apiId = { ...web, name: 'api' };
    // api checks only latency (passing), with many measurements: web's failure stops it.
    const { r } = await run([plan({ successRate: 99, count: 3, ...fast }), plan({ latencyP95Ms: 100, count: 1000, interval: '10ms', duration: '20s' }, apiId)], { client: api2 });
    expect(r?.report.workloads.map((w) => [w.workload.name, w.phase])).toEqual([
      ['web', 'Failed'],
      ['api', 'Stopped'],
    ]);
    expect(r?.report.workloads[1]?.message).toBe('stopped: Deployment/shop/web failed verification first');
  });

  it('workloads this run did not write are not verified; none at all: no report', async () => {
    expect((await run([plan({ successRate: 99 })], { written: [] })).r).toBeUndefined();
  });

  it('unchanged pods: reported as skipped, not measured', async () => {
    prom.queries.length = 0;
    const before = new Map([[idKey(web), deployment('web', { revision: '2', uid: 'u-web' })]]);
    const { r } = await run([plan({ successRate: 99 })], { before });
    expect(r?.report.workloads.map((w) => [w.phase, w.message])).toEqual([['Skipped', 'not verified: its pods did not change']]);
    expect(r?.error).toBeUndefined();
    expect(prom.queries).toEqual([]);
  });

  it.each<[string, Partial<VerifyInput>, string]>([
    ['--no-verify', { options: { enabled: false } }, '--no-verify'],
    ['--no-wait', { noWait: true }, '--no-wait: verification measures healthy new pods, and nothing was waited for'],
    ['no Prometheus known', { options: {} }, 'no Prometheus known; pass --prometheus-url (or set SLIPWAY_PROMETHEUS_URL)'],
    ['no options at all (a program calling the engine)', { options: undefined }, 'no Prometheus known; pass --prometheus-url (or set SLIPWAY_PROMETHEUS_URL)'],
    ['the local cluster runs none', { options: { noPrometheus: 'the local cluster x runs no Prometheus' } }, 'the local cluster x runs no Prometheus'],
  ])('skipped, never silently: %s', async (_n, o, why) => {
    const { r, events } = await run([plan({ successRate: 99 })], o);
    expect(r).toEqual({ report: { skipped: why, workloads: [] } });
    expect(events).toEqual([{ type: 'warning', message: `verification skipped: ${why}; Deployment/shop/web not verified against its SLOs` }]);
  });

  it('a Prometheus URL with credentials is reported without them', async () => {
    prom.answers = { successRate: 1, latencyMs: 50, requests: 500 };
    const withCreds = prom.url.replace('http://', 'http://user:s3cret@');
    const { r } = await run([plan({ successRate: 99, count: 1, ...fast })], { options: { prometheusUrl: withCreds } });
    expect(r?.report.prometheusUrl).not.toContain('s3cret');
    expect(JSON.stringify(r)).not.toContain('s3cret');
  });

  it('a cancelled deploy ends verification with a cancelled error', async () => {
    prom.answers = { successRate: 1, latencyMs: 50, requests: 500 };
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('interrupted by SIGINT')), 50);
    await expect(run([plan({ successRate: 99, count: 1000, interval: '10ms', duration: '20s' })], { signal: ac.signal })).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
