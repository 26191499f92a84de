import { describe, expect, it } from 'vitest';
import { InputErrors, type SlipwayError } from '../errors/index.ts';
import { loadSpec, parseFormattedPath } from '../appspec/index.ts';
import { renderApp } from './index.ts';

/** The input problems of rendering `text` (loaded as the CLI loads it) in `env`; none when it renders. */
function renderProblems(text: string, env = 'default'): SlipwayError[] {
  const spec = loadSpec(text, 'slipway.yaml');
  try {
    renderApp(spec, env);
  } catch (e) {
    if (e instanceof InputErrors) return [...e.problems];
    throw e;
  }
  return [];
}

const svc = (name: string, extra = ''): string => `  ${name}:\n    image: ghcr.io/acme/${name}:1.0\n    ports: [{name: http, port: 8080}]\n${extra}`;
/** a → b-to-c and a-to-b → c both name their policies a-to-b-to-c-ingress/-egress. */
const COLLIDING = `app: shop\nservices:\n${svc('a', '    dependsOn: [b-to-c]\n')}${svc('b-to-c')}${svc('a-to-b', '    dependsOn: [c]\n')}${svc('c')}`;

// Render-time problems (found only once objects exist) carry a spec path; they must also say where
// it is written (file:line:col), in the overlay when the overlay writes it, like load's problems.
describe('render problems are positioned in the spec', () => {
  it.each([
    {
      name: 'two NetworkPolicies with one name: at the second dependsOn entry, naming the first',
      text: COLLIDING,
      env: 'default',
      message: /^two NetworkPolicy objects would be named "a-to-b-to-c-ingress" \(the other comes from services\.a\.dependsOn\[0\]\)$/,
      at: 'slipway.yaml:13:17',
      path: 'services.a-to-b.dependsOn[0]',
    },
    {
      name: 'a collision the overlay introduces: in the overlay',
      text: `app: shop\nservices:\n${svc('a', '    dependsOn: [b-to-c]\n')}${svc('b-to-c')}${svc('a-to-b')}${svc('c')}environments:\n  prod:\n    services:\n      a-to-b: {dependsOn: [c]}\n`,
      env: 'prod',
      message: /^two NetworkPolicy objects would be named "a-to-b-to-c-ingress"/,
      at: 'slipway.yaml:19:28',
      path: 'environments.prod.services.a-to-b.dependsOn[0]',
    },
    {
      name: 'a volume named like slipway\'s own',
      text: `app: shop\nservices:\n${svc('a', '    volumes: [{name: tmp, mountPath: /scratch, type: emptyDir}]\n')}`,
      env: 'default',
      message: /^volume name "tmp" is used by slipway in this pod$/,
      at: 'slipway.yaml:6:22',
      path: 'services.a.volumes[0].name',
    },
    {
      name: 'a generated ConfigMap name taken by configMaps',
      text: `app: shop\nservices:\n${svc('a', '    config: [{path: /etc/a.conf, content: x}]\n')}configMaps:\n  a-config: {data: {k: v}}\n`,
      env: 'default',
      message: /^generated ConfigMap "a-config" collides with configMaps\.a-config$/,
      at: 'slipway.yaml:6:5',
      path: 'services.a.config',
    },
  ])('$name', ({ text, env, message, at, path }) => {
    const found = renderProblems(text, env);
    const p = found.find((x) => message.test(x.message));
    expect(p, found.map((x) => x.format()).join('\n')).toBeDefined();
    expect(`${p?.position?.file}:${p?.position?.line}:${p?.position?.col}`).toBe(at);
    expect(p?.path).toBe(path);
    expect(p?.expected).toMatch(/\S/);
    expect(p?.hint).toMatch(/\S/);
  });

  it('renders the same spec without the collision (the cases above fail for the reason they name)', () => {
    expect(renderProblems(COLLIDING.replace('    dependsOn: [c]\n', ''))).toEqual([]);
  });
});

describe('parseFormattedPath', () => {
  it.each([
    ['services.api.ports[0].port', ['services', 'api', 'ports', 0, 'port']],
    ['services.a-to-b.dependsOn[12]', ['services', 'a-to-b', 'dependsOn', 12]],
    ['services.api.labels["app.kubernetes.io/name"]', ['services', 'api', 'labels', 'app.kubernetes.io/name']],
    ['services.api.env[""]', ['services', 'api', 'env', '']],
    ['labels["a\\"b"].x', ['labels', 'a"b', 'x']],
    ['services', ['services']],
  ])('%s', (text, path) => {
    expect(parseFormattedPath(text)).toEqual(path);
  });

  it.each(['.services', 'services..api', 'a[01]', 'a["x]', ''])('refuses %j', (text) => {
    expect(parseFormattedPath(text)).toEqual(text === '' ? [] : undefined);
  });
});
