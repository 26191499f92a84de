/**
 * The workload metrics simulator: a process of the local cluster (started by `cluster up` like
 * the controller, `slipway cluster metrics-simulator`) that watches Running pods with an informer
 * and serves `/metrics` for all of them, so Prometheus has real series to scrape and analysis has
 * real PromQL to run. The numbers come from simulate-metrics.ts; they advance at scrape time with
 * the wall-clock time elapsed since the previous scrape.
 *
 * A pod that stops Running (deleted, completed) leaves the informer (the field selector is
 * `status.phase=Running`) and its series leave `/metrics`: Prometheus marks them stale at the next
 * scrape.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { InformerFactory, KubeClient, objectKey, type SharedInformer } from '../kube/index.ts';
import type { KubeObject } from '../manifest/index.ts';
import {
  advanceTraffic,
  emptyTraffic,
  exposition,
  parseTrafficAnnotation,
  podSeriesLabels,
  seededRng,
  SIMULATE_METRICS_ANNOTATION,
  type PodSeriesLabels,
  type PodTraffic,
  type Rng,
  type TrafficParams,
} from './simulate-metrics.ts';

interface SimulatedPod {
  uid: string;
  labels: PodSeriesLabels;
  params: TrafficParams;
  annotation: string | undefined;
  readonly traffic: PodTraffic;
  readonly rng: Rng;
  /** Simulated time reached so far (ms since epoch). */
  lastMs: number;
}

/**
 * The pods and their counters, fed by informer events, read by `/metrics`. Separate from the
 * HTTP server and the informer so tests drive it with plain objects and a fake clock.
 */
export class TrafficTable {
  private readonly pods = new Map<string, SimulatedPod>();
  /** `uid|annotation` values already reported, so a bad annotation is logged once, not at every update. */
  private readonly reported = new Set<string>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(o: { readonly now?: () => number; readonly log?: (line: string) => void } = {}) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => undefined);
  }

  /** A pod added or changed: new labels and parameters apply from now on; the counters carry on. */
  upsert(pod: KubeObject): void {
    const key = objectKey(pod);
    const uid = typeof pod.metadata['uid'] === 'string' ? pod.metadata['uid'] : '';
    const annotation = pod.metadata.annotations?.[SIMULATE_METRICS_ANNOTATION];
    const labels = podSeriesLabels(pod.metadata.namespace ?? '', pod.metadata.name ?? '', pod.metadata.labels ?? {});
    const prior = this.pods.get(key);
    if (prior && prior.uid === uid) {
      this.advance(prior);
      prior.labels = labels;
      if (prior.annotation !== annotation) {
        prior.params = this.params(key, uid, annotation);
        prior.annotation = annotation;
      }
      return;
    }
    // Seeded from namespace/name: the same pod in a rerun gets the same noise.
    this.pods.set(key, { uid, labels, params: this.params(key, uid, annotation), annotation, traffic: emptyTraffic(), rng: seededRng(key), lastMs: this.now() });
  }

  remove(pod: KubeObject): void {
    this.pods.delete(objectKey(pod));
  }

  get size(): number {
    return this.pods.size;
  }

  /** Advances every pod to now and renders the exposition. */
  scrape(): string {
    const pods = [...this.pods.values()].sort((a, b) => (a.labels.namespace + '/' + a.labels.pod).localeCompare(b.labels.namespace + '/' + b.labels.pod));
    for (const p of pods) this.advance(p);
    return exposition(pods);
  }

  private advance(p: SimulatedPod): void {
    const now = this.now();
    advanceTraffic(p.traffic, p.params, (now - p.lastMs) / 1000, p.rng);
    p.lastMs = Math.max(p.lastMs, now);
  }

  private params(key: string, uid: string, annotation: string | undefined): TrafficParams {
    const { params, problems } = parseTrafficAnnotation(annotation);
    const seen = `${uid}|${annotation ?? ''}`;
    if (problems.length > 0 && !this.reported.has(seen)) {
      this.reported.add(seen);
      for (const p of problems) this.log(`pod ${key}: ${p}`);
    }
    return params;
  }
}

export interface SimulatorOptions {
  readonly kubeconfig: string;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly log: (line: string) => void;
}

export interface RunningSimulator {
  readonly url: string;
  /** Resolves once `signal` aborted and everything stopped. */
  readonly done: Promise<void>;
}

/**
 * Starts the informer and the HTTP server (`/metrics`; `/healthz`, 200 once the first list of
 * pods is in). Runs until `signal` aborts.
 */
export async function startMetricsSimulator(o: SimulatorOptions, signal: AbortSignal): Promise<RunningSimulator> {
  const client = await KubeClient.connect({ kubeconfig: o.kubeconfig });
  const table = new TrafficTable({ log: o.log });
  const informers = new InformerFactory(client, { stripManagedFields: true });
  const pods: SharedInformer = informers.informer({ apiVersion: 'v1', kind: 'Pod', fieldSelector: 'status.phase=Running' });
  pods.on({
    add: (p) => table.upsert(p),
    update: (p) => table.upsert(p),
    delete: (p) => table.remove(p),
    error: (e) => o.log(`watching pods: ${e.message}`),
  });
  informers.start(signal);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405).end();
    } else if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(table.scrape());
    } else if (path === '/healthz') {
      res.writeHead(pods.hasSynced ? 200 : 503, { 'content-type': 'text/plain' }).end(pods.hasSynced ? `ok: ${table.size} running pods\n` : 'pods not listed yet\n');
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(o.port, o.host ?? '127.0.0.1');
  await once(server, 'listening');
  const addr = server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  const done = (async () => {
    if (!signal.aborted) await once(signal, 'abort');
    await new Promise<void>((r) => server.close(() => r()));
    client.close();
  })();
  return { url: `http://${o.host ?? '127.0.0.1'}:${port}`, done };
}
