import { describe, expect, it } from 'vitest';
import { InputErrors, isSlipwayError, SlipwayError } from '../errors/index.ts';
import { lintObjects } from '../lint/index.ts';
import { parseManifests, type FieldPath } from '../manifest/index.ts';
import { checkStrategy, fieldPathOf, lintGate } from './engine.ts';
import type { DeployEvent, DeployOptions, DesiredObject } from './types.ts';
import { blocksWait } from './wait.ts';
import type { HealthStatus } from './health.ts';

describe('fieldPathOf (apiserver cause field → path in the user file)', () => {
  it.each<[string, (string | number)[]]>([
    ['spec.replicas', ['spec', 'replicas']],
    ['.spec.replicas', ['spec', 'replicas']],
    ['spec.template.spec.containers[0].image', ['spec', 'template', 'spec', 'containers', 0, 'image']],
    ['data[not a valid key!]', ['data[not a valid key!]']],
    ['spec.ports[1]', ['spec', 'ports', 1]],
    ['metadata.name', ['metadata', 'name']],
  ])('%s', (field, want) => {
    expect(fieldPathOf(field)).toEqual(want);
  });
});

describe('checkStrategy', () => {
  it.each<[string | undefined, boolean]>([
    [undefined, true],
    ['rolling', true],
    ['canary', false],
    ['blueGreen', false],
    ['blue-green', false],
  ])('%s → supported %s', (strategy, ok) => {
    let err: unknown;
    try {
      checkStrategy(strategy);
    } catch (e) {
      err = e;
    }
    expect(err === undefined).toBe(ok);
    if (!ok) {
      expect(isSlipwayError(err) && err.kind).toBe('unsupported');
      expect((err as Error).message).toMatch(/not supported yet/);
    }
  });
});

describe('blocksWait', () => {
  const id = (kind: string): { apiVersion: string; kind: string; name: string } => ({ apiVersion: 'v1', kind, name: 'x' });
  it.each<[string, HealthStatus, boolean]>([
    ['Deployment', 'Healthy', false],
    ['Deployment', 'Suspended', false],
    ['Deployment', 'Progressing', true],
    ['Deployment', 'Degraded', true],
    ['Deployment', 'Missing', true],
    ['Ingress', 'Progressing', false], // waiting for an address from an ingress controller
    ['Ingress', 'Degraded', true],
    ['Service', 'Progressing', true], // LoadBalancer without address does block, like helm --wait
  ])('%s %s → %s', (kind, status, want) => {
    expect(blocksWait(id(kind), { status })).toBe(want);
  });
});

describe('lintGate', () => {
  const deployment = (name: string, extra: string): string =>
    `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n${extra}  selector: {matchLabels: {app: ${name}}}\n  template:\n    metadata: {labels: {app: ${name}}}\n    spec:\n      containers:\n        - name: app\n          image: nginx:latest\n`;
  const clean = deployment('ok', '');
  const broken = `${deployment('bad', '  replicass: 2\n')}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n`;

  /** Parsed objects whose positionOf calls are counted. */
  function parsed(text: string, withPositions: boolean): { objects: DesiredObject[]; calls: () => number } {
    let n = 0;
    const objects = parseManifests(text, 'app.yaml').map((m) =>
      withPositions ? { object: m.object, positionOf: (p: FieldPath) => (n++, m.positionOf(p)) } : { object: m.object },
    );
    return { objects, calls: () => n };
  }

  /** What the gate reported before it linted twice: one lint pass with positions. */
  function singlePass(objects: readonly DesiredObject[]): unknown[] {
    const errors = lintObjects(objects.map((d) => (d.positionOf ? { object: d.object, positionOf: d.positionOf } : d.object))).findings.filter((f) => f.severity === 'error');
    return errors.map((f) => {
      const e = new SlipwayError('input', `${f.ruleId} (${f.ruleName}): ${f.message} [${f.object.kind}/${f.object.name ?? ''}]`, { cause: f, hint: f.hint, ...(f.position ? { position: f.position } : {}) });
      return { message: e.message, hint: e.hint, position: e.position, cause: e.cause };
    });
  }

  it.each([
    { name: 'passing gate with positions asks for none', text: clean, withPositions: true, lint: true, fails: false, positioned: false },
    { name: 'passing gate without positions', text: clean, withPositions: false, lint: true, fails: false, positioned: false },
    { name: 'failing gate reports positions', text: broken, withPositions: true, lint: true, fails: true, positioned: true },
    { name: 'failing gate without positions', text: broken, withPositions: false, lint: true, fails: true, positioned: false },
    { name: 'lint off', text: broken, withPositions: true, lint: false, fails: false, positioned: false },
  ])('$name', ({ text, withPositions, lint, fails, positioned }) => {
    const { objects, calls } = parsed(text, withPositions);
    const events: DeployEvent[] = [];
    const o = { objects, lint } as unknown as DeployOptions;
    let err: unknown;
    try {
      lintGate(o, (e) => events.push(e));
    } catch (e) {
      err = e;
    }
    expect(events).toEqual([]);
    expect(err !== undefined).toBe(fails);
    expect(calls() > 0).toBe(positioned);
    if (!fails) {
      if (withPositions && lint) {
        // ...where the old single positioned pass asks: there are warning-level findings.
        expect(lintObjects(objects).findings.length).toBeGreaterThan(0);
        expect(calls()).toBeGreaterThan(0);
      }
      return;
    }
    expect(err).toBeInstanceOf(InputErrors);
    const problems = (err as InputErrors).problems.map((p) => ({ message: p.message, hint: p.hint, position: p.position, cause: p.cause }));
    expect(problems).toStrictEqual(singlePass(parsed(text, withPositions).objects));
    expect(problems.length).toBeGreaterThanOrEqual(2);
    if (positioned) expect(problems.every((p) => p.position?.file === 'app.yaml' && p.position.line > 1)).toBe(true);
    expect((err as InputErrors).cause).toStrictEqual((err as InputErrors).problems[0]?.cause);
  });

  it('a crashing linter is a warning, not a refusal', () => {
    const events: DeployEvent[] = [];
    const object = { apiVersion: 'v1', kind: 'ConfigMap', get metadata(): never { throw new Error('boom'); } };
    lintGate({ objects: [{ object }], lint: true } as unknown as DeployOptions, (e) => events.push(e));
    expect(events).toEqual([{ type: 'warning', message: 'lint could not run (boom); relying on server-side validation' }]);
  });
});
