import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { controllerArgv } from './addons.ts';
import { clusterLayout } from './layout.ts';
import { prometheusArgv, prometheusConfigYaml, prometheusPaths, resolvePrometheus, targetsJson } from './prometheus.ts';

const layout = clusterLayout('dev', '/data/dev');

describe('prometheus config', () => {
  it('scrapes the simulator every second and the controller, from file_sd target files under the data dir', () => {
    const paths = prometheusPaths(layout);
    const cfg = parse(prometheusConfigYaml(paths)) as {
      global: Record<string, string>;
      scrape_configs: { job_name: string; scrape_interval?: string; honor_labels?: boolean; file_sd_configs: { files: string[] }[] }[];
    };
    expect(cfg.global['evaluation_interval']).toBe('1s');
    const sim = cfg.scrape_configs.find((c) => c.job_name === 'workload-metrics-simulator');
    expect(sim).toMatchObject({ scrape_interval: '1s', honor_labels: true, file_sd_configs: [{ files: ['/data/dev/prometheus/targets/metrics-simulator.json'] }] });
    const ctl = cfg.scrape_configs.find((c) => c.job_name === 'slipway-controller');
    expect(ctl?.file_sd_configs).toEqual([{ files: ['/data/dev/prometheus/targets/slipway-controller.json'], refresh_interval: '5s' }]);
  });

  it.each([
    { port: 9100, want: [{ targets: ['127.0.0.1:9100'] }] },
    { port: undefined, want: [] },
  ])('targets for port $port', ({ port, want }) => {
    expect(JSON.parse(targetsJson(port))).toEqual(want);
  });

  it('listens on loopback with its TSDB under the data dir', () => {
    expect(prometheusArgv('/bin/prometheus', prometheusPaths(layout), 9090)).toEqual([
      '/bin/prometheus',
      '--config.file=/data/dev/prometheus/prometheus.yml',
      '--storage.tsdb.path=/data/dev/prometheus/data',
      '--storage.tsdb.retention.time=1d',
      '--web.listen-address=127.0.0.1:9090',
      '--web.enable-lifecycle',
    ]);
  });
});

describe('controllerArgv', () => {
  it.each([
    { url: undefined, tail: ['--id', 'cluster-dev'] },
    { url: 'http://127.0.0.1:9090', tail: ['--id', 'cluster-dev', '--prometheus-url', 'http://127.0.0.1:9090'] },
  ])('prometheus $url', ({ url, tail }) => {
    const argv = controllerArgv({ command: ['node', '--', 'slipway.js'] }, layout, 8090, url);
    expect(argv.slice(0, 5)).toEqual(['node', '--', 'slipway.js', 'controller', 'run']);
    expect(argv).toContain('127.0.0.1:8090');
    expect(argv.slice(-tail.length)).toEqual(tail);
  });
});

describe('resolvePrometheus', () => {
  it('SLIPWAY_PROMETHEUS_BIN must be an executable file', async () => {
    await expect(resolvePrometheus({ SLIPWAY_PROMETHEUS_BIN: '/nonexistent/prometheus' })).rejects.toMatchObject({ message: expect.stringMatching(/not an executable file/) as unknown });
  });
  it('SLIPWAY_PROMETHEUS_BIN names the binary, without running the install script', async () => {
    expect(await resolvePrometheus({ SLIPWAY_PROMETHEUS_BIN: process.execPath })).toBe(process.execPath);
  });
});
