import { describe, expect, it } from 'vitest';
import { interpolate } from './interpolate.ts';
import { parseShortPort, portName } from './ports.ts';
import { cpuQuantity, durationSeconds, memoryQuantity } from './units.ts';
import { testCommand } from './healthcheck.ts';

describe('durationSeconds (Go durations)', () => {
  it.each([
    ['30s', 30],
    ['1m30s', 90],
    ['1.5s', 1.5],
    ['500ms', 0.5],
    ['2h', 7200],
    ['1h2m3s', 3723],
    ['10', 10],
    [45, 45],
    ['10x', undefined],
    ['', undefined],
    ['s', undefined],
  ] as const)('%s → %s', (input, want) => {
    expect(durationSeconds(input)).toBe(want);
  });
});

describe('cpuQuantity', () => {
  it.each([
    ['0.5', '500m'],
    ['1', '1'],
    [2, '2'],
    ['1.25', '1250m'],
    ['0.001', '1m'],
    ['abc', undefined],
    ['-1', undefined],
    ['', undefined],
  ] as const)('%s → %s', (input, want) => {
    expect(cpuQuantity(input)).toBe(want);
  });
});

describe('memoryQuantity (Docker sizes are binary)', () => {
  it.each([
    ['512M', '512Mi'],
    ['512m', '512Mi'],
    ['1g', '1Gi'],
    ['1GB', '1Gi'],
    ['1.5g', '1536Mi'],
    ['1536k', '1536Ki'],
    ['100b', '100'],
    [1073741824, '1Gi'],
    ['268435456', '256Mi'],
    ['12q', undefined],
    ['lots', undefined],
  ] as const)('%s → %s', (input, want) => {
    expect(memoryQuantity(input)).toBe(want);
  });
});

describe('interpolate', () => {
  const vars = { SET: 'v', EMPTY: '' };
  it.each([
    ['plain', 'plain', [], []],
    ['$SET/${SET}', 'v/v', [], []],
    ['${UNSET:-d}', 'd', [], []],
    ['${EMPTY:-d}', 'd', [], []],
    ['${EMPTY-d}', '', [], []],
    ['${UNSET-d}', 'd', [], []],
    ['${SET:+r}', 'r', [], []],
    ['${EMPTY:+r}', '', [], []],
    ['${EMPTY+r}', 'r', [], []],
    ['${UNSET:-${SET}}', 'v', [], []],
    ['$$SET', '$SET', [], []],
    ['cost: 5$', 'cost: 5$', [], []],
    ['${UNSET}', '', ['UNSET'], []],
    ['$UNSET', '', ['UNSET'], []],
    ['${UNSET:?need it}', '', [], [{ name: 'UNSET', message: 'need it' }]],
    ['${EMPTY?need it}', '', [], []],
  ] as const)('%s → %s', (input, value, unset, required) => {
    const r = interpolate(input, vars);
    expect(r.value).toBe(value);
    expect(r.unset).toEqual(unset);
    expect(r.required).toEqual(required);
  });
});

describe('parseShortPort', () => {
  it.each([
    ['80', { container: [80], protocol: 'TCP' }],
    ['8080:80', { container: [80], protocol: 'TCP', published: '8080' }],
    ['127.0.0.1:8080:80/udp', { container: [80], protocol: 'UDP', hostIp: '127.0.0.1', published: '8080' }],
    ['127.0.0.1::80', { container: [80], protocol: 'TCP', hostIp: '127.0.0.1' }],
    ['[::1]:6000:6000', { container: [6000], protocol: 'TCP', hostIp: '::1', published: '6000' }],
    ['9000-9002:9000-9002', { container: [9000, 9001, 9002], protocol: 'TCP', published: '9000-9002' }],
    [5000, { container: [5000], protocol: 'TCP' }],
    ['80/http', undefined],
    ['a:b', undefined],
    ['0', undefined],
    ['70000', undefined],
  ] as const)('%s', (input, want) => {
    expect(parseShortPort(input)).toEqual(want);
  });

  it.each([
    [undefined, 8080, 'TCP', 'tcp-8080'],
    ['Web_UI', 80, 'TCP', 'web-ui'],
    ['12345', 80, 'TCP', 'tcp-80'],
    ['a-very-long-port-name', 80, 'TCP', 'a-very-long-por'],
    [undefined, 53, 'UDP', 'udp-53'],
  ] as const)('portName(%s, %s, %s) → %s', (name, port, proto, want) => {
    expect(portName(name, port, proto)).toBe(want);
  });
});

describe('healthcheck test → exec command', () => {
  it.each([
    [['CMD', 'curl', '-f', 'x'], ['curl', '-f', 'x']],
    [['CMD-SHELL', 'pg_isready || exit 1'], ['sh', '-c', 'pg_isready || exit 1']],
    ['redis-cli ping', ['sh', '-c', 'redis-cli ping']],
    [['NONE'], null],
    [['CMD'], undefined],
    [['BOGUS', 'x'], undefined],
    [5, undefined],
  ] as const)('%j → %j', (test, want) => {
    expect(testCommand(test)).toEqual(want);
  });
});
