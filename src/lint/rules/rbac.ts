/**
 * RBAC: over-broad Roles and bindings.
 * @see https://kubernetes.io/docs/concepts/security/rbac-good-practices/
 */
import { K8S_DOCS, type Report, type Rule } from '../context.ts';
import { arr, get, rec, str } from '../util.ts';

const RBAC_URL = `${K8S_DOCS}/concepts/security/rbac-good-practices/`;
const ROLE_KINDS = ['Role', 'ClusterRole'];
const READ = ['get', 'list', 'watch', '*'];

interface PolicyRule {
  readonly verbs: readonly string[];
  readonly resources: readonly string[];
  readonly apiGroups: readonly string[];
  readonly index: number;
}

function strings(v: unknown): string[] {
  return arr(v).filter((x): x is string => typeof x === 'string');
}

function rulesOf(obj: unknown): PolicyRule[] {
  return arr(get(obj, ['rules'])).map((r, index) => ({
    verbs: strings(rec(r)['verbs']),
    resources: strings(rec(r)['resources']),
    apiGroups: strings(rec(r)['apiGroups']),
    index,
  }));
}

const coreGroup = (r: PolicyRule): boolean => r.apiGroups.includes('') || r.apiGroups.includes('*');
const hasResource = (r: PolicyRule, res: string): boolean => r.resources.includes(res) || r.resources.includes('*');
const hasVerb = (r: PolicyRule, verbs: readonly string[]): boolean => r.verbs.some((v) => verbs.includes(v) || v === '*');

function roleRule(opts: Omit<Rule, 'category' | 'kinds' | 'check' | 'url'> & { match: (r: PolicyRule) => string | undefined; field: 'verbs' | 'resources' }): Rule {
  const { match, field, ...meta } = opts;
  return {
    ...meta,
    category: 'rbac',
    kinds: ROLE_KINDS,
    url: RBAC_URL,
    check: (o, report: Report) => {
      for (const r of rulesOf(o.object)) {
        const msg = match(r);
        if (msg !== undefined) report(['rules', r.index, field], `${o.kind} ${o.name}: ${msg}`, meta.fix);
      }
    },
  };
}

export const rbacRules: readonly Rule[] = [
  roleRule({
    id: 'RBAC001',
    name: 'wildcard-in-rules',
    severity: 'error',
    kubeLinter: 'wildcard-in-rules',
    summary: 'Roles must not use "*" in verbs or resources.',
    why: 'A wildcard grants every current and future verb/resource, including ones added by CRDs later.',
    fix: 'List the exact verbs and resources needed.',
    field: 'verbs',
    match: (r) => (r.verbs.includes('*') || r.resources.includes('*') ? 'rule uses a wildcard' : undefined),
  }),
  {
    id: 'RBAC002',
    name: 'cluster-admin-binding',
    category: 'rbac',
    severity: 'error',
    kinds: ['RoleBinding', 'ClusterRoleBinding'],
    kubeLinter: 'cluster-admin-role-binding',
    summary: 'Nothing an app deploys should be bound to cluster-admin.',
    why: 'cluster-admin is full control of the cluster: a compromised pod owns everything.',
    fix: 'Bind a Role with the specific permissions the subject needs.',
    url: `${K8S_DOCS}/reference/access-authn-authz/rbac/#user-facing-roles`,
    check: (o, report) => {
      if (str(get(o.object, ['roleRef', 'kind'])) === 'ClusterRole' && str(get(o.object, ['roleRef', 'name'])) === 'cluster-admin') {
        report(['roleRef', 'name'], `${o.kind} ${o.name} grants cluster-admin`, 'bind a narrower Role');
      }
    },
  },
  roleRule({
    id: 'RBAC003',
    name: 'pod-exec-access',
    severity: 'warning',
    summary: 'Roles should not grant pods/exec or pods/attach.',
    why: 'exec into a pod means running any command with that pod’s identity and secrets.',
    fix: 'Remove pods/exec and pods/attach; use a break-glass role for debugging.',
    field: 'resources',
    match: (r) =>
      coreGroup(r) && (r.resources.includes('pods/exec') || r.resources.includes('pods/attach')) && hasVerb(r, ['create', 'get'])
        ? 'grants exec/attach into pods'
        : undefined,
  }),
  roleRule({
    id: 'RBAC004',
    name: 'access-to-secrets',
    severity: 'warning',
    kubeLinter: 'access-to-secrets',
    summary: 'Roles should not grant read access to Secrets.',
    why: 'get/list/watch on secrets reveals every credential in the namespace (list returns their values).',
    fix: 'Mount the specific Secret into the pod instead of reading it through the API, or restrict with resourceNames.',
    field: 'resources',
    match: (r) => (coreGroup(r) && hasResource(r, 'secrets') && hasVerb(r, READ) ? 'grants read access to secrets' : undefined),
  }),
  roleRule({
    id: 'RBAC005',
    name: 'escalation-verbs',
    severity: 'warning',
    summary: 'Roles should not grant escalate, bind or impersonate.',
    why: 'These verbs let the holder grant itself (or act as) anything.',
    fix: 'Remove escalate/bind/impersonate.',
    field: 'verbs',
    match: (r) => {
      const v = r.verbs.find((x) => ['escalate', 'bind', 'impersonate'].includes(x));
      return v === undefined ? undefined : `grants the ${v} verb`;
    },
  }),
  roleRule({
    id: 'RBAC006',
    name: 'create-pods-access',
    severity: 'info',
    kubeLinter: 'access-to-create-pods',
    summary: 'Roles that can create pods (or workloads) can run any image with any mounted ServiceAccount.',
    why: 'Creating pods is an indirect way to read any Secret and use any ServiceAccount in the namespace.',
    fix: 'Grant pod creation only to controllers that need it.',
    field: 'verbs',
    match: (r) => (coreGroup(r) && hasResource(r, 'pods') && hasVerb(r, ['create']) ? 'grants create on pods' : undefined),
  }),
];
