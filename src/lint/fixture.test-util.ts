/**
 * Test fixture: an app that passes every rule, and a way to vary it. A `^^` marker in the text
 * marks where a finding must point (file:line:col); it is removed before parsing.
 */
import { parseManifests, type ParsedManifest } from '../manifest/index.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;

export interface Variation {
  /** Lines added to the app container (no indentation needed). */
  readonly container?: string;
  /** Lines added to the pod spec. */
  readonly pod?: string;
  /** [search, replacement] applied to the whole text, in order. */
  readonly replace?: readonly (readonly [string, string])[];
  /** Extra YAML documents appended. */
  readonly docs?: string;
}

const indent = (text: string, n: number): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : ' '.repeat(n) + l))
    .join('\n');

export function appYaml(v: Variation = {}): string {
  let text = `apiVersion: v1
kind: ServiceAccount
metadata: {name: web, namespace: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      serviceAccountName: web
      automountServiceAccountToken: false
      securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
      topologySpreadConstraints:
        - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}
      volumes:
        - {name: tmp, emptyDir: {}}
${v.pod !== undefined ? `${indent(v.pod, 6)}\n` : ''}      containers:
        - name: app
          image: registry.example.com/web:1.2.3@${DIGEST}
          ports:
            - {name: http, containerPort: 8080}
          env:
            - {name: LOG_LEVEL, value: info}
          resources: {requests: {cpu: 100m, memory: 128Mi}, limits: {cpu: 500m, memory: 256Mi}}
          livenessProbe: {httpGet: {path: /livez, port: http}}
          readinessProbe: {httpGet: {path: /readyz, port: http}}
          securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
          volumeMounts:
            - {name: tmp, mountPath: /tmp}
${v.container !== undefined ? `${indent(v.container, 10)}\n` : ''}---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {app: web}}
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: shop}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
    - ports: [{port: 8080}]
`;
  for (const [from, to] of v.replace ?? []) {
    if (!text.includes(from)) throw new Error(`fixture: "${from}" not found`);
    text = text.replace(from, to);
  }
  if (v.docs !== undefined) text += `---\n${v.docs}`;
  return text;
}

export interface Marked {
  readonly text: string;
  /** 1-based line/col of the marker, if any. */
  readonly at?: { line: number; col: number };
}

export function unmark(text: string): Marked {
  const i = text.indexOf('^^');
  if (i < 0) return { text };
  const before = text.slice(0, i);
  const line = before.split('\n').length;
  const col = i - before.lastIndexOf('\n');
  return { text: before + text.slice(i + 2), at: { line, col } };
}

export function parse(text: string): ParsedManifest[] {
  return parseManifests(text, 't.yaml');
}
