/**
 * A repository path at one commit → the objects to deploy, through the same loader and the same
 * hand-over of canary services as `slipway deploy`: a slipway.yaml rendered for the app's
 * environment, a kustomization (`kubectl kustomize`), or plain manifests. Files are named
 * relative to the repository root in every message (`apps/shop/slipway.yaml:12:5`), and a spec's
 * references (envFile) must stay inside the repository.
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { inputError, notFound } from '../errors/index.ts';
import { deployPlan } from '../rollout/index.ts';
import { findSpec, loadInput, type DesiredObject } from '../sync/index.ts';

export interface RenderedSource {
  readonly objects: readonly DesiredObject[];
  /** The namespace a slipway.yaml renders into, if any. */
  readonly namespace: string | undefined;
  readonly format: 'slipway' | 'kustomize' | 'manifests';
  /** Canary or blue-green services were handed to the rollout controller. */
  readonly progressive: boolean;
  /** Their timed pauses, added to the health wait. */
  readonly pauseMs: number;
}

const KUSTOMIZATIONS = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** `path` of the checkout at `root`, refused when it leaves the repository or does not exist. */
export function sourceDir(root: string, path: string | undefined): string {
  const p = path === undefined || path === '' ? '.' : path;
  const dir = resolve(root, p);
  const rel = relative(root, dir);
  if (isAbsolute(p) || rel.startsWith('..') || isAbsolute(rel)) {
    throw inputError(`spec.source.path "${p}" leaves the repository`, { cause: p, expected: 'a directory relative to the repository root', hint: 'e.g. apps/shop or deploy/overlays/prod' });
  }
  if (!existsSync(dir)) throw notFound(`spec.source.path "${p}" does not exist at this revision`, { cause: p, hint: 'check the path and the revision (`git ls-tree <revision> <path>`)' });
  return dir;
}

export async function renderSource(root: string, o: { readonly path?: string | undefined; readonly env: string; readonly app: string }): Promise<RenderedSource> {
  const dir = sourceDir(root, o.path);
  const isDir = statSync(dir).isDirectory();
  const kustomization = isDir && KUSTOMIZATIONS.some((k) => existsSync(join(dir, k)));
  const spec = kustomization ? undefined : await findSpec(dir);
  const input = await loadInput({ path: dir, kustomize: kustomization ? dir : undefined, app: o.app, env: o.env, root, displayRoot: root });
  const plan = deployPlan(input.objects, input.strategies, (object, from) => ({ ...from, object }));
  return { objects: plan.objects, namespace: input.namespace, format: kustomization ? 'kustomize' : spec ? 'slipway' : 'manifests', progressive: plan.progressive, pauseMs: plan.pauseMs };
}
