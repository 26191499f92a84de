/**
 * Entry of the workload metrics simulator process that `cluster up` starts (see
 * metrics-simulator.ts): `node metrics-simulator-main.ts --kubeconfig <file> --listen <host:port>`.
 *
 * Its own entry rather than a `slipway` subcommand: the CLI loads every command's modules at
 * start, and this process runs for the cluster's lifetime. Measured from a source checkout
 * (Node 24, types stripped at load): 164 MB RSS (104 MB anonymous) through bin/slipway.js,
 * 105 MB (47 MB anonymous) through this entry.
 *
 * SIGTERM or SIGINT: the server closes, exit 0. Log lines (bad annotations, watch failures) go to
 * stderr, which `cluster up` sends to `<data-dir>/logs/metrics-simulator.log`.
 */
import { parseArgs } from 'node:util';
import { startMetricsSimulator } from './metrics-simulator.ts';

const log = (line: string): void => void process.stderr.write(`${new Date().toISOString()} ${line}\n`);

const { values } = parseArgs({ options: { kubeconfig: { type: 'string' }, listen: { type: 'string', default: '127.0.0.1:0' } }, strict: true });
const m = /^(.*):(\d+)$/.exec(values.listen);
const port = Number(m?.[2]);
if (values.kubeconfig === undefined || !m || !Number.isInteger(port) || port > 65535) {
  log('usage: metrics-simulator-main --kubeconfig <file> [--listen <host:port>] (port 0: any free port)');
  process.exit(2);
}
const ac = new AbortController();
process.once('SIGINT', () => ac.abort());
process.once('SIGTERM', () => ac.abort());
const sim = await startMetricsSimulator({ kubeconfig: values.kubeconfig, host: m[1] || '127.0.0.1', port, log }, ac.signal);
log(`metrics simulator: serving ${sim.url}/metrics`);
await sim.done;
