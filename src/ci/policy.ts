/**
 * Security properties every generated workflow must have, checked on the YAML text (so they also
 * apply to a workflow someone edited). Used by the tests over every generated file; callers may
 * run it on any workflow.
 * @see https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions
 */
import { parse } from 'yaml';
import { isRecord } from '../manifest/index.ts';

export interface PolicyViolation {
  readonly job?: string;
  readonly rule: 'pinned-uses' | 'permissions' | 'untrusted-interpolation' | 'secret-echo' | 'id-token' | 'security-events' | 'deploy-concurrency';
  readonly message: string;
}

interface RawStep {
  uses?: unknown;
  run?: unknown;
  env?: unknown;
}
interface RawJob {
  permissions?: unknown;
  environment?: unknown;
  steps?: unknown;
}

/** Actions whose presence justifies `id-token: write` (OIDC federation or keyless signing). */
const OIDC_ACTIONS = ['aws-actions/configure-aws-credentials', 'google-github-actions/auth', 'azure/login', 'sigstore/cosign-installer'];
/** Expressions an attacker controls (PR titles, branch names, commit messages…) or secrets. */
const UNTRUSTED = /\$\{\{[^}]*\b(github\.event\.|github\.head_ref|secrets\.|inputs\.|steps\.[^}]*outputs)/;

function asRecord(v: unknown): Record<string, unknown> {
  return isRecord(v) ? v : {};
}
function steps(job: RawJob): RawStep[] {
  return Array.isArray(job.steps) ? (job.steps as RawStep[]) : [];
}
function usesOf(job: RawJob): string[] {
  return steps(job).flatMap((s) => (typeof s.uses === 'string' ? [s.uses] : []));
}

/** Every `uses:` pinned to a 40-hex commit with a `# v…` comment; local and docker refs exempt. */
function pinnedUses(text: string): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(?:- )?uses:\s*(\S+)(.*)$/.exec(line);
    if (m === null) continue;
    const ref = (m[1] ?? '').replace(/^["']|["']$/g, '');
    if (ref.startsWith('./') || ref.startsWith('docker://')) continue;
    if (!/^[^@\s]+@[0-9a-f]{40}$/.test(ref) || !/^\s+# v\d/.test(m[2] ?? '')) {
      out.push({ rule: 'pinned-uses', message: `"${line.trim()}" is not pinned to a full commit SHA with a "# vX.Y.Z" comment` });
    }
  }
  return out;
}

function permissionProblems(workflowPerms: unknown, jobs: Record<string, RawJob>): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const top = asRecord(workflowPerms);
  const topOk = workflowPerms !== undefined && typeof workflowPerms !== 'string' && Object.entries(top).every(([k, v]) => k === 'contents' && v === 'read');
  if (!topOk) out.push({ rule: 'permissions', message: `workflow-level permissions must be {} or contents: read, got ${JSON.stringify(workflowPerms)}` });
  for (const [name, job] of Object.entries(jobs)) {
    if (job.permissions === undefined) out.push({ job: name, rule: 'permissions', message: 'job has no permissions: block (it would inherit the workflow default)' });
    if (typeof job.permissions === 'string') out.push({ job: name, rule: 'permissions', message: `job permissions "${job.permissions}" (write-all/read-all) are not least privilege` });
    const perms = asRecord(job.permissions);
    const uses = usesOf(job);
    if (perms['id-token'] === 'write' && !uses.some((u) => OIDC_ACTIONS.some((a) => u.startsWith(`${a}@`)))) {
      out.push({ job: name, rule: 'id-token', message: 'id-token: write without an OIDC login or cosign step' });
    }
    if (perms['security-events'] === 'write' && !uses.some((u) => u.startsWith('github/codeql-action/upload-sarif@'))) {
      out.push({ job: name, rule: 'security-events', message: 'security-events: write without a SARIF upload' });
    }
  }
  return out;
}

/**
 * Whether a script prints an env var to the log (echo/printf without a redirect, or `set -x`), or
 * copies it into the files the runner turns into env, outputs or the job summary.
 */
function exposesVar(script: string, name: string): boolean {
  const ref = new RegExp(`\\$\\{?${name}\\b`);
  if (!ref.test(script)) return false;
  if (/^\s*set\s+-[a-z]*x/m.test(script)) return true;
  return script.split('\n').some((line) => {
    if (!ref.test(line) || !/\b(echo|printf)\b/.test(line)) return false;
    const redirect = /(>>?)\s*("?)([^\s"]+)\2\s*$/.exec(line);
    if (redirect !== null) return /GITHUB_(ENV|OUTPUT|STEP_SUMMARY|PATH)/.test(redirect[3] ?? '');
    // Piped into another program (e.g. `--password-stdin`): not printed.
    return !line.includes('|');
  });
}

function stepProblems(jobs: Record<string, RawJob>): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  for (const [name, job] of Object.entries(jobs)) {
    for (const s of steps(job)) {
      if (typeof s.run !== 'string') continue;
      const m = UNTRUSTED.exec(s.run);
      if (m !== null) out.push({ job: name, rule: 'untrusted-interpolation', message: `run: interpolates "${m[0]}…" directly; pass it through env:` });
      for (const [k, v] of Object.entries(asRecord(s.env))) {
        if (typeof v === 'string' && v.includes('secrets.') && exposesVar(s.run, k)) {
          out.push({ job: name, rule: 'secret-echo', message: `run: prints the secret-backed $${k}` });
        }
      }
    }
  }
  return out;
}

export function checkWorkflowSecurity(text: string): PolicyViolation[] {
  const doc = asRecord(parse(text));
  const jobs = asRecord(doc['jobs']) as Record<string, RawJob>;
  const out = [...pinnedUses(text), ...permissionProblems(doc['permissions'], jobs), ...stepProblems(jobs)];
  const deploys = Object.values(jobs).some((j) => j.environment !== undefined);
  const cancel = asRecord(doc['concurrency'])['cancel-in-progress'];
  if (deploys && cancel !== false) out.push({ rule: 'deploy-concurrency', message: 'a deploying workflow must set concurrency with cancel-in-progress: false' });
  return out;
}
