import { describe, expect, it } from 'vitest';
import { configKeyProblem } from '../manifest/index.ts';
import { parse } from './fixture.test-util.ts';
import { lintObjects } from './index.ts';

/** REL020/REL021 findings for one manifest: `path → message`. */
function findings(yaml: string): string[] {
  return lintObjects(parse(yaml))
    .findings.filter((f) => f.ruleId === 'REL020' || f.ruleId === 'REL021')
    .map((f) => `${f.ruleId} ${f.message}`);
}

const deployment = (spec: string, pod = '', container = ''): string => `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
${spec}
  template:
    metadata: {labels: {app: web}}
    spec:
${pod}
      containers:
        - name: app
          image: ghcr.io/acme/web:1.0
${container}
`;

// Manifests slipway did not render reach the apiserver through lint only: every well-known
// integer field is checked against the type Kubernetes stores it in.
describe('REL020 number-out-of-range', () => {
  it.each([
    { name: 'replicas at int32 max is fine', yaml: deployment('  replicas: 2147483647'), found: [] },
    { name: 'replicas at int32 min is in range (the schema and other rules judge the sign)', yaml: deployment('  replicas: -2147483648'), found: [] },
    { name: 'replicas one over int32', yaml: deployment('  replicas: 2147483648'), found: ['REL020 spec.replicas 2147483648 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'replicas one under int32', yaml: deployment('  replicas: -2147483649'), found: ['REL020 spec.replicas -2147483649 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'revisionHistoryLimit', yaml: deployment('  revisionHistoryLimit: 4294967296'), found: ['REL020 spec.revisionHistoryLimit 4294967296 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'terminationGracePeriodSeconds (int64) beyond int32 is fine', yaml: deployment('  replicas: 1', '      terminationGracePeriodSeconds: 9007199254740991'), found: [] },
    { name: 'terminationGracePeriodSeconds 1e300', yaml: deployment('  replicas: 1', '      terminationGracePeriodSeconds: 1e300'), found: ['REL020 spec.template.spec.terminationGracePeriodSeconds 1e+300 is out of range: Kubernetes stores it as a 64-bit integer'] },
    { name: 'runAsUser beyond int64', yaml: deployment('  replicas: 1', '      securityContext: {runAsUser: 1e19}'), found: ['REL020 spec.template.spec.securityContext.runAsUser 10000000000000000000 is out of range: Kubernetes stores it as a 64-bit integer'] },
    { name: 'a volume defaultMode', yaml: deployment('  replicas: 1', '      volumes: [{name: c, configMap: {name: c, defaultMode: 4294967296}}]'), found: ['REL020 spec.template.spec.volumes[0].configMap.defaultMode 4294967296 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'containerPort', yaml: deployment('  replicas: 1', '', '          ports: [{containerPort: 2147483648}]'), found: ['REL020 spec.template.spec.containers[0].ports[0].containerPort 2147483648 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'a probe timing', yaml: deployment('  replicas: 1', '', '          livenessProbe: {tcpSocket: {port: 8080}, periodSeconds: 3000000000}'), found: ['REL020 spec.template.spec.containers[0].livenessProbe.periodSeconds 3000000000 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'a probe port by name is not a number', yaml: deployment('  replicas: 1', '', '          readinessProbe: {httpGet: {path: /, port: http}}'), found: [] },
    { name: 'a CronJob history limit and its job template', yaml: 'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c, namespace: shop}\nspec:\n  schedule: "0 * * * *"\n  successfulJobsHistoryLimit: 2147483648\n  jobTemplate:\n    spec:\n      backoffLimit: 2147483648\n      template:\n        spec:\n          restartPolicy: Never\n          containers: [{name: c, image: "x:1"}]\n', found: ['REL020 spec.successfulJobsHistoryLimit 2147483648 is out of range: Kubernetes stores it as a 32-bit integer', 'REL020 spec.jobTemplate.spec.backoffLimit 2147483648 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'an HPA maxReplicas', yaml: 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: h, namespace: shop}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 1e10\n', found: ['REL020 spec.maxReplicas 10000000000 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'a Service nodePort and a numeric targetPort', yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: shop}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 2147483648, nodePort: 1e12}]\n', found: ['REL020 spec.ports[0].targetPort 2147483648 is out of range: Kubernetes stores it as a 32-bit integer', 'REL020 spec.ports[0].nodePort 1000000000000 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'a PDB minAvailable as a percentage is not a number', yaml: 'apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: p, namespace: shop}\nspec:\n  minAvailable: "50%"\n  selector: {matchLabels: {app: web}}\n', found: [] },
    { name: 'an Ingress backend port', yaml: 'apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: i, namespace: shop}\nspec:\n  defaultBackend: {service: {name: web, port: {number: 65536000000}}}\n', found: ['REL020 spec.defaultBackend.service.port.number 65536000000 is out of range: Kubernetes stores it as a 32-bit integer'] },
    { name: 'a NetworkPolicy endPort', yaml: 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: n, namespace: shop}\nspec:\n  podSelector: {}\n  egress: [{ports: [{port: 80, endPort: 2147483648}]}]\n', found: ['REL020 spec.egress[0].ports[0].endPort 2147483648 is out of range: Kubernetes stores it as a 32-bit integer'] },
    // Infinity and NaN anywhere, whatever the field (a CRD's too).
    { name: 'Infinity in a known field', yaml: deployment('  replicas: 1e400'), found: ['REL020 spec.replicas is Infinity, not a number Kubernetes can store (YAML reads 1e400 as Infinity, .nan as NaN)'] },
    { name: '-Infinity in a ConfigMap-free kind', yaml: 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: q, namespace: shop}\nspec: {hard: {pods: -.inf}}\n', found: ['REL020 spec.hard.pods is -Infinity, not a number Kubernetes can store (YAML reads 1e400 as Infinity, .nan as NaN)'] },
    { name: 'NaN in an unknown kind', yaml: 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: {size: .nan}\n', found: ['REL020 spec.size is NaN, not a number Kubernetes can store (YAML reads 1e400 as Infinity, .nan as NaN)'] },
  ])('$name', ({ yaml, found }) => {
    expect(findings(yaml)).toEqual(found);
  });

  it('reports at most 50 non-finite numbers per object', () => {
    const many = Array.from({ length: 80 }, (_, i) => `k${i}: .inf`).join(', ');
    expect(findings(`apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w, namespace: shop}\nspec: {${many}}\n`)).toHaveLength(50);
  });
});

describe('REL021 invalid-data-key', () => {
  const configMap = (data: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg, namespace: shop}\n${data}\n`;
  it.each([
    { name: 'valid keys', yaml: configMap('data: {a.b_c-1: x, A: y, ._x: z}\nbinaryData: {b.bin: eA==}'), found: [] },
    { name: 'a space', yaml: configMap('data: {"a b": x}'), found: ['REL021 ConfigMap cfg: invalid data key "a b": it has characters Kubernetes does not allow'] },
    { name: 'a slash in binaryData', yaml: configMap('binaryData: {"a/b": eA==}'), found: ['REL021 ConfigMap cfg: invalid data key "a/b": it has characters Kubernetes does not allow'] },
    { name: 'too long', yaml: configMap(`data: {${'k'.repeat(254)}: x}`), found: ['REL021 ConfigMap cfg: invalid data key "' + 'k'.repeat(254) + '": longer than 253 characters'] },
    { name: '253 characters is fine', yaml: configMap(`data: {${'k'.repeat(253)}: x}`), found: [] },
    { name: 'a Secret data key "."', yaml: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\ndata: {".": eA==}\n', found: ['REL021 Secret s: invalid data key ".": it is "." or "..", or starts with ".." (it names a file in a mounted volume)'] },
    { name: 'a key in data and binaryData', yaml: configMap('data: {k: x}\nbinaryData: {k: eA==}'), found: ['REL021 ConfigMap cfg: key "k" is in both data and binaryData'] },
    { name: 'a Secret key in data and stringData is fine (stringData wins)', yaml: 'apiVersion: v1\nkind: Secret\nmetadata: {name: s, namespace: shop}\ndata: {k: eA==}\nstringData: {k: x}\n', found: [] },
  ])('$name', ({ yaml, found }) => {
    expect(findings(yaml)).toEqual(found);
  });
});

describe('configKeyProblem (Kubernetes IsConfigMapKey)', () => {
  it.each([
    ['a', true],
    ['app.properties', true],
    ['-._', true],
    ['.env', true],
    ['a..b', true],
    ['k'.repeat(253), true],
    ['', false],
    ['.', false],
    ['..', false],
    ['..data', false],
    ['a b', false],
    ['a/b', false],
    ['ä', false],
    ['k'.repeat(254), false],
  ])('%j valid: %s', (key, valid) => {
    expect(configKeyProblem(key) === undefined).toBe(valid);
  });
});
