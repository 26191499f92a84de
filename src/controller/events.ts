/**
 * Kubernetes Events for every transition a controller makes, as `kubectl describe` and
 * `kubectl events` show them. Repeats of the same reason and message on the same object within
 * an hour update one Event (count, lastTimestamp) instead of creating a new one, the way the
 * kubelet's event recorder aggregates. Writing an Event never fails a reconcile: a failure is
 * handed to `onError` (logged) and the transition goes on.
 */
import { createHash } from 'node:crypto';
import type { KubeClient, LiveObject } from '../kube/index.ts';

export type EventType = 'Normal' | 'Warning';

export interface EventRecorderOptions {
  readonly client: KubeClient;
  /** `source.component` and `reportingController`, e.g. `slipway-controller`. */
  readonly component: string;
  /** This replica, e.g. its hostname. */
  readonly instance: string;
  readonly onError?: (e: unknown) => void;
}

const AGGREGATE_MS = 60 * 60 * 1000;

export class EventRecorder {
  private readonly o: EventRecorderOptions;
  private readonly seen = new Map<string, { count: number; first: string; at: number }>();

  constructor(o: EventRecorderOptions) {
    this.o = o;
  }

  /** Records `reason`/`message` on `obj` (which must carry apiVersion, kind, metadata.name/namespace/uid). */
  async record(obj: LiveObject, type: EventType, reason: string, message: string): Promise<void> {
    const ns = obj.metadata.namespace ?? 'default';
    const uid = (obj.metadata as { uid?: string }).uid ?? '';
    const hash = createHash('sha256').update(`${uid}\0${type}\0${reason}\0${message}`).digest('hex').slice(0, 12);
    const name = `${(obj.metadata.name ?? 'object').slice(0, 200)}.${hash}`;
    const now = new Date();
    const prev = this.seen.get(name);
    const fresh = !prev || now.getTime() - prev.at > AGGREGATE_MS;
    const entry = fresh ? { count: 1, first: now.toISOString().replace(/\.\d+Z$/, 'Z'), at: now.getTime() } : { ...prev, count: prev.count + 1, at: now.getTime() };
    this.seen.set(name, entry);
    if (this.seen.size > 5000) this.seen.delete(this.seen.keys().next().value ?? '');
    try {
      await this.o.client.apply(
        {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace: ns },
          involvedObject: { apiVersion: obj.apiVersion, kind: obj.kind, name: obj.metadata.name, namespace: ns, uid, resourceVersion: (obj.metadata as { resourceVersion?: string }).resourceVersion },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.o.component, host: this.o.instance },
          reportingComponent: this.o.component,
          reportingInstance: this.o.instance,
          firstTimestamp: entry.first,
          lastTimestamp: now.toISOString().replace(/\.\d+Z$/, 'Z'),
          count: entry.count,
        },
        { force: true },
      );
    } catch (e) {
      this.o.onError?.(e);
    }
  }
}
