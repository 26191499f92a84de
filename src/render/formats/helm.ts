import { unsupported } from '../../errors/index.ts';
import { isRecord, stringifyYaml, type KubeObject } from '../../manifest/index.ts';
import {
  deepEqual,
  groupByIdentity,
  identityOf,
  isNamespaced,
  sortedFiles,
  uniqueStems,
  type FormatFiles,
  type FormatInput,
  type IdentityGroup,
} from './common.ts';
import { deriveSegments, derivedExpr, TOKEN_NAMES, type Segment, type Tokens } from './helm-derive.ts';
import { diffSites, getAt, INSTANCE_LABEL, outermost, pathString, semanticKeyFor, semanticSites, setAt, siteValue, type DiffSite, type Path } from './helm-sites.ts';
import { valuesSchema, type ValueShape } from './helm-schema.ts';

/** The variant name of the render without environment (never a valid environment name). */
const BASE = '@base';

/** How a value is written into a template. */
type Mode = 'quote' | 'json' | 'yaml' | 'image-tag' | 'image-digest' | 'extras' | 'derived' | 'alias';

interface Site {
  readonly path: Path;
  /** For an `EXTRA` site (see helm-sites.ts): the keys only some variants have. */
  readonly optional: readonly string[] | undefined;
  /** For a string made of namespace/instance/environment and literal text. */
  readonly segments: readonly Segment[] | undefined;
  key: readonly string[];
  /** Meaningful name that may be given up for a generic one when it is ambiguous. */
  readonly image: boolean;
  mode: Mode;
  /** For `alias`: the values reference this site repeats (a version label = the image tag). */
  alias?: string;
  /** Value per variant where the object exists. */
  readonly values: ReadonlyMap<string, unknown>;
}

interface Plan {
  readonly group: IdentityGroup;
  readonly stem: string;
  /** The object the template is written from: the base, else the first environment that has it. */
  readonly source: KubeObject;
  readonly present: ReadonlyMap<string, KubeObject>;
  /** Values key of the `{{ if }}` around an object that only some variants have. */
  readonly enabledKey: readonly string[] | undefined;
  readonly sites: Site[];
}

/**
 * A Helm v3 chart reproducing the plain render of every environment:
 * `helm template <release> <chart> -f <chart>/values-<env>.yaml`. The release name is not used in
 * any object (names come from the spec) and the namespace is a value (`namespace`), so neither
 * `--namespace` nor a particular release name is needed.
 *
 * values.yaml holds the base render's values; values-<env>.yaml only what differs. What is a
 * value: everything that differs between environments (found by diffing the renders), plus the
 * settings users expect to tune even when they do not differ yet: per service image
 * repository/tag, replicas, resources, autoscaling, host; the namespace. Objects only some
 * environments have are wrapped in `{{- if … }}`.
 * @see https://helm.sh/docs/topics/charts/
 */
export function toHelmChart(input: FormatInput): FormatFiles {
  const variants = [BASE, ...input.environments.keys()];
  const tokens = new Map<string, Tokens>([[BASE, tokensOf(input.app, input.base, undefined)]]);
  for (const [env, objects] of input.environments) tokens.set(env, tokensOf(input.app, objects, env));

  const groups = groupByIdentity(input, helmIdentity(input));
  const stems = uniqueStems(groups);
  const plans = groups.map((g) => planGroup(g, stems.get(g.id) ?? g.id, tokens));
  resolveKeyConflicts(plans, variants);
  for (const p of plans) for (const s of p.sites) s.mode = modeOf(s);
  linkVersionLabels(plans);
  const usedTokens = TOKEN_NAMES.filter((t) => plans.some((p) => p.sites.some((s) => s.segments?.some((seg) => 'token' in seg && seg.token === t))));

  const values = new Map(variants.map((v) => [v, valuesFor(plans, v, usedTokens.map((t) => [t, tokens.get(v)?.[t] ?? ''] as const))] as const));
  const baseValues = values.get(BASE) ?? {};
  const files: [string, string][] = [];
  files.push(['Chart.yaml', stringifyYaml(chartYaml(input))]);
  files.push(['.helmignore', HELMIGNORE]);
  files.push(['values.yaml', `# Defaults: the render without an environment. Per environment: values-<env>.yaml.\n${stringifyYaml(baseValues)}`]);
  for (const env of input.environments.keys()) {
    const patch = mergePatch(baseValues, values.get(env) ?? {});
    files.push([
      `values-${env}.yaml`,
      `# Environment ${env}: only what differs from values.yaml.\n# helm template ${input.app} . -f values-${env}.yaml\n${stringifyYaml(patch ?? {})}`,
    ]);
  }
  const tokenShapes = usedTokens.map((t): ValueShape => ({ key: [t], kind: 'any' }));
  files.push(['values.schema.json', `${JSON.stringify(valuesSchema([...tokenShapes, ...shapes(plans)], [...values.values()]), null, 2)}\n`]);
  for (const p of plans) files.push([`templates/${p.stem}.yaml`, templateOf(p)]);
  files.push(['templates/NOTES.txt', NOTES]);
  return sortedFiles(files);
}

function commonNamespace(objects: readonly KubeObject[]): string | undefined {
  const set = new Set(objects.filter(isNamespaced).map((o) => o.metadata.namespace));
  return set.size === 1 ? [...set][0] : undefined;
}

/** What distinguishes one variant's objects: its namespace, instance label and environment name. */
function tokensOf(app: string, objects: readonly KubeObject[], env: string | undefined): Tokens {
  const out: Tokens = {};
  const ns = commonNamespace(objects);
  if (ns !== undefined) out.namespace = ns;
  const instances = new Set(objects.flatMap((o) => (o.metadata.labels?.[INSTANCE_LABEL] !== undefined ? [o.metadata.labels[INSTANCE_LABEL]] : [])));
  const [instance] = instances;
  if (instances.size === 1 && instance !== undefined) out.instance = instance;
  const name = env ?? (instance?.startsWith(`${app}-`) ? instance.slice(app.length + 1) : undefined);
  if (name !== undefined) out.environment = name;
  return out;
}

/**
 * Like {@link identityOf}, except that the one Namespace each variant has is one object whose
 * name is a value, rather than one conditional object per environment.
 */
function helmIdentity(input: FormatInput): (o: KubeObject) => string {
  const single = [input.base, ...input.environments.values()].every((objs) => objs.filter((o) => o.kind === 'Namespace').length === 1);
  return (o) => (single && o.kind === 'Namespace' ? 'v1/Namespace' : identityOf(o));
}

function genericKey(o: KubeObject, path: Path): string[] {
  return ['objects', o.kind.toLowerCase(), o.metadata.name ?? '', pathString(path)];
}

function planGroup(group: IdentityGroup, stem: string, tokens: ReadonlyMap<string, Tokens>): Plan {
  const present = new Map<string, KubeObject>();
  if (group.base) present.set(BASE, group.base);
  for (const [env, o] of group.envs) present.set(env, o);
  const source = group.base ?? [...group.envs.values()][0];
  if (!source) throw unsupported(`object ${group.id} has no variant`, { cause: group });

  const objects = [...present.values()];
  const diffs: DiffSite[] = [];
  diffSites(objects, [], diffs);
  const semantic = semanticSites(source).filter((s) => objects.every((o) => getAt(o, s.path) !== undefined));
  const sites = outermost([...diffs, ...semantic.map((s) => ({ path: s.path }))]).map((d): Site => {
    const values = new Map([...present].map(([v, o]) => [v, siteValue(o, d)] as const));
    const sem = semantic.find((s) => deepEqual(s.path, d.path));
    const key = sem?.key ?? semanticKeyFor(d.path) ?? genericKey(source, d.path);
    const strings = [...values.values()].every((v) => typeof v === 'string');
    const segments = sem === undefined && strings ? deriveSegments(values as Map<string, string>, tokens) : undefined;
    return { path: d.path, optional: d.optional, segments, key, image: sem?.role === 'image', mode: 'yaml', values };
  });

  let enabledKey: readonly string[] | undefined;
  if (present.size !== tokens.size) {
    const target = getAt(source, ['spec', 'scaleTargetRef', 'name']);
    enabledKey =
      source.kind === 'HorizontalPodAutoscaler' && typeof target === 'string'
        ? ['services', target, 'autoscaling', 'enabled']
        : [...genericKey(source, []).slice(0, 3), 'enabled'];
  }
  return { group, stem, source, present, enabledKey, sites };
}

const keyString = (k: readonly string[]): string => k.join('\u0001');
const isPrefix = (a: readonly string[], b: readonly string[]): boolean => a.length < b.length && a.every((s, i) => s === b[i]);

/**
 * A meaningful key is kept only when it is one value: every site using it agrees in every
 * variant, and it is not nested in (or the parent of) another key. Otherwise its sites fall back
 * to generic per-object keys, which are unique by construction.
 */
function resolveKeyConflicts(plans: readonly Plan[], variants: readonly string[]): void {
  const byKey = new Map<string, { key: readonly string[]; sites: { plan: Plan; site: Site }[] }>();
  for (const plan of plans) {
    for (const site of plan.sites) {
      if (site.segments) continue;
      const k = keyString(site.key);
      const entry = byKey.get(k) ?? { key: site.key, sites: [] };
      entry.sites.push({ plan, site });
      byKey.set(k, entry);
    }
  }
  const allKeys = [...[...byKey.values()].map((e) => e.key), ...plans.flatMap((p) => (p.enabledKey ? [p.enabledKey] : []))];
  for (const { key, sites } of byKey.values()) {
    const disagree = variants.some((v) => {
      const seen = sites.flatMap(({ site }) => (site.values.has(v) ? [site.values.get(v)] : []));
      return seen.some((x) => !deepEqual(x, seen[0]));
    });
    const nested = allKeys.some((other) => isPrefix(key, other) || isPrefix(other, key));
    if (sites.length > 0 && (disagree || nested)) {
      for (const { plan, site } of sites) site.key = genericKey(plan.source, site.path);
    }
  }
}

const IMAGE_TAG = /^([^@]+?):([^:/@]+)$/;
const IMAGE_DIGEST = /^([^@]+)@(sha256:[a-f0-9]+)$/;

function modeOf(site: Site): Mode {
  if (site.segments) return 'derived';
  if (site.optional) return 'extras';
  const values = [...site.values.values()];
  if (site.image && values.every((v) => typeof v === 'string' && IMAGE_TAG.test(v))) return 'image-tag';
  if (site.image && values.every((v) => typeof v === 'string' && IMAGE_DIGEST.test(v))) return 'image-digest';
  if (values.every((v) => typeof v === 'string')) return 'quote';
  if (values.every((v) => typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))) return 'json';
  return 'yaml';
}

const VERSION_LABEL = 'app.kubernetes.io/version';

/**
 * A `app.kubernetes.io/version` label that is, in every environment, the tag of its component's
 * image repeats `services.<name>.image.tag` instead of becoming a value of its own: changing the
 * tag then changes the label too, as it does in the plain render.
 */
function linkVersionLabels(plans: readonly Plan[]): void {
  const images = new Map<string, Site>();
  for (const p of plans) for (const s of p.sites) if (s.mode === 'image-tag') images.set(keyString(s.key), s);
  for (const p of plans) {
    const component = p.source.metadata.labels?.['app.kubernetes.io/name'];
    if (component === undefined) continue;
    const image = ['services', 'jobs', 'cronJobs'].map((section) => images.get(keyString([section, component, 'image']))).find((s) => s !== undefined);
    if (!image) continue;
    for (const s of p.sites) {
      if (s.mode !== 'quote' || s.path[s.path.length - 1] !== VERSION_LABEL) continue;
      const same = [...s.values].every(([v, label]) => {
        const img = image.values.get(v);
        return typeof img === 'string' && IMAGE_TAG.exec(img)?.[2] === label;
      });
      if (!same) continue;
      s.mode = 'alias';
      s.alias = valuesRef([...image.key, 'tag']);
    }
  }
}

/** The value stored in values.yaml for a site's value (images as repository + tag/digest). */
function storedValue(site: Site, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (site.mode === 'image-tag') {
    const m = IMAGE_TAG.exec(value);
    return { repository: m?.[1] ?? value, tag: m?.[2] ?? '' };
  }
  if (site.mode === 'image-digest') {
    const m = IMAGE_DIGEST.exec(value);
    return { repository: m?.[1] ?? value, digest: m?.[2] ?? '' };
  }
  return value;
}

/**
 * The complete values of one variant. A site's object missing from an environment keeps the
 * base value (values-<env>.yaml then does not mention it); missing from the base, the value of
 * the first environment that has it, so values.yaml always satisfies the schema.
 */
function valuesFor(plans: readonly Plan[], variant: string, globals: readonly (readonly [string, string])[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of globals) out[k] = v;
  for (const p of plans) {
    if (p.enabledKey) setKey(out, p.enabledKey, p.present.has(variant));
    for (const s of p.sites) if (!s.segments && !s.alias && s.values.has(variant)) setKey(out, s.key, storedValue(s, s.values.get(variant)));
  }
  // Second pass, so that a key shared by several objects takes the value of one that exists here.
  for (const p of plans) {
    for (const s of p.sites) {
      if (s.segments || s.alias !== undefined || s.values.has(variant) || getAt(out, s.key) !== undefined) continue;
      const fallback = s.values.has(BASE) ? s.values.get(BASE) : s.values.get([...p.present.keys()][0] ?? BASE);
      setKey(out, s.key, storedValue(s, fallback));
    }
  }
  return out;
}

/** Sets a value only when no site before set it: sites sharing a key agree (checked above). */
function setKey(root: Record<string, unknown>, key: readonly string[], value: unknown): void {
  let cur = root;
  key.forEach((seg, i) => {
    if (i === key.length - 1) {
      if (!Object.hasOwn(cur, seg)) cur[seg] = structuredClone(value);
      return;
    }
    const next = cur[seg];
    if (isRecord(next)) cur = next;
    else {
      const created: Record<string, unknown> = {};
      cur[seg] = created;
      cur = created;
    }
  });
}

/**
 * RFC 7386-style merge patch from `from` to `to`: what values-<env>.yaml must say so that Helm's
 * deep merge of it over values.yaml gives exactly `to`. Keys to drop become `null`, which Helm
 * treats as "remove this key".
 */
export function mergePatch(from: unknown, to: unknown): unknown {
  if (!isRecord(from) || !isRecord(to)) return deepEqual(from, to) ? undefined : to;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(to)) {
    const sub = Object.hasOwn(from, k) ? mergePatch(from[k], v) : v;
    if (sub !== undefined) out[k] = sub;
  }
  for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) out[k] = null;
  return Object.keys(out).length > 0 ? out : undefined;
}

function shapes(plans: readonly Plan[]): ValueShape[] {
  const out: ValueShape[] = [];
  for (const p of plans) {
    if (p.enabledKey) out.push({ key: p.enabledKey, kind: 'boolean' });
    for (const s of p.sites) {
      if (!s.segments && s.alias === undefined) out.push({ key: s.key, kind: s.mode === 'image-tag' ? 'image-tag' : s.mode === 'image-digest' ? 'image-digest' : 'any' });
    }
  }
  return out;
}

/** `.Values.a.b` when every segment is an identifier, else `(index .Values "a" "b-c")`. */
export function valuesRef(key: readonly string[]): string {
  if (key.every((s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s))) return `.Values.${key.join('.')}`;
  return `(index .Values ${key.map((s) => JSON.stringify(s)).join(' ')})`;
}

const PLACEHOLDER = /__SLIPWAY_P(\d+)__/;

function scalarExpr(site: Site): string {
  const ref = valuesRef(site.key);
  switch (site.mode) {
    case 'quote':
      return `{{ ${ref} | quote }}`;
    case 'json':
      return `{{ ${ref} | toJson }}`;
    case 'image-tag':
      return `{{ printf "%s:%s" ${valuesRef([...site.key, 'repository'])} ${valuesRef([...site.key, 'tag'])} | quote }}`;
    case 'image-digest':
      return `{{ printf "%s@%s" ${valuesRef([...site.key, 'repository'])} ${valuesRef([...site.key, 'digest'])} | quote }}`;
    case 'derived':
      return derivedExpr(site.segments ?? [], (t) => valuesRef([t]));
    case 'alias':
      return `{{ ${site.alias ?? ''} | quote }}`;
    case 'yaml':
    case 'extras':
      return '';
  }
}

/**
 * Strings that would read as template actions are emitted through a template string constant,
 * so `{{ $labels.pod }}` in an alert annotation reaches the cluster unchanged.
 */
function escapeActions(node: unknown, literals: string[]): unknown {
  if (typeof node === 'string') {
    if (!node.includes('{{')) return node;
    literals.push(node);
    return `__SLIPWAY_L${literals.length - 1}__`;
  }
  if (Array.isArray(node)) return node.map((n) => escapeActions(n, literals));
  if (isRecord(node)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) {
      if (k.includes('{{')) throw unsupported(`a map key containing "{{" cannot be written into a Helm template: ${k}`, { cause: k, hint: 'use --format plain or kustomize' });
      out[k] = escapeActions(v, literals);
    }
    return out;
  }
  return node;
}

function templateOf(plan: Plan): string {
  const root = plan.sites.find((s) => s.path.length === 0);
  let body: string;
  if (root) {
    body = `{{ toYaml ${valuesRef(root.key)} }}\n`;
  } else {
    const obj = structuredClone(plan.source) as unknown;
    plan.sites.forEach((s, i) => {
      if (s.optional === undefined) {
        setAt(obj, s.path, `__SLIPWAY_P${i}__`);
        return;
      }
      // Optional keys leave the map; a placeholder key, last so it never starts a list item, takes their place.
      const map = getAt(obj, s.path.slice(0, -1));
      if (!isRecord(map)) return;
      for (const k of s.optional) Reflect.deleteProperty(map, k);
      map[`__SLIPWAY_P${i}__`] = null;
    });
    const literals: string[] = [];
    const text = stringifyYaml(escapeActions(obj, literals));
    body = text
      .split('\n')
      .map((line) => substitute(line, plan.sites))
      .join('\n')
      .replace(/__SLIPWAY_L(\d+)__/g, (_, i: string) => `{{ ${JSON.stringify(literals[Number(i)] ?? '')} | quote }}`);
  }
  if (!plan.enabledKey) return body;
  return `{{- if ${valuesRef(plan.enabledKey)} }}\n${body}{{- end }}\n`;
}

function substitute(line: string, sites: readonly Site[]): string {
  const m = PLACEHOLDER.exec(line);
  if (!m) return line;
  const site = sites[Number(m[1])];
  if (!site) return line;
  if (site.mode === 'extras') {
    const indent = /^\s*/.exec(line)?.[0] ?? '';
    return `${indent}{{- with ${valuesRef(site.key)} }}{{ toYaml . | nindent ${indent.length} }}{{- end }}`;
  }
  if (site.mode !== 'yaml') return line.replace(m[0], scalarExpr(site));
  // A whole subtree: `key:` or `-` followed by toYaml indented under it.
  const lead = /^((?:\s*- )*\s*)(.*?)__SLIPWAY_P\d+__$/.exec(line);
  const indent = lead?.[1] ?? '';
  const keyPart = lead?.[2] ?? '';
  if (keyPart !== '') return `${indent}${keyPart.trimEnd()}{{ toYaml ${valuesRef(site.key)} | nindent ${indent.length + 2} }}`;
  return `${indent.trimEnd()}{{ toYaml ${valuesRef(site.key)} | nindent ${indent.length} }}`;
}

function chartYaml(input: FormatInput): Record<string, unknown> {
  return {
    apiVersion: 'v2',
    name: input.app,
    description: `${input.app}, rendered by slipway. Install with: helm upgrade --install ${input.app} . -f values-<env>.yaml`,
    type: 'application',
    version: input.chartVersion ?? '0.1.0',
    appVersion: input.appVersion ?? defaultAppVersion(input.base),
  };
}

function defaultAppVersion(objects: readonly KubeObject[]): string {
  for (const o of objects) {
    const version = o.metadata.labels?.['app.kubernetes.io/version'];
    if (version !== undefined && ['Deployment', 'StatefulSet'].includes(o.kind)) return version;
  }
  return '0.1.0';
}

const HELMIGNORE = `# Patterns ignored when packaging the chart (helm package).
.DS_Store
.git/
.gitignore
*.swp
*.bak
*.tmp
*.orig
*~
.idea/
.vscode/
`;

const NOTES = `{{ .Chart.Name }} {{ .Chart.AppVersion }} is installed as release {{ .Release.Name }}.
Objects carry their own namespace ({{ .Values.namespace | default "see values" }}); --namespace only chooses
where Helm keeps the release record.

Watch the rollout:
  kubectl get deployments,statefulsets,pods -n {{ .Values.namespace | default .Release.Namespace }}
`;
