/**
 * The real peer toolchains the conformance suite compares against: kustomize (via `kubectl
 * kustomize`, or a standalone `kustomize build`), helm v3 and kube-score (installed by
 * scripts/install-go-tools.sh). Missing tools skip the suite locally and fail it under CI=true.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const toolsBin = join(process.env['SLIPWAY_CACHE'] ?? join(homedir(), '.cache', 'slipway'), 'tools', 'bin');

function onPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(':')) {
    const p = join(dir, name);
    if (dir !== '' && existsSync(p)) return p;
  }
  return undefined;
}

export interface Tool {
  readonly name: string;
  /** argv prefix: the binary and any sub-command. */
  readonly argv: readonly string[] | undefined;
}

export function helmTool(): Tool {
  const cached = join(toolsBin, 'helm');
  return { name: 'helm', argv: existsSync(cached) ? [cached] : onPath('helm') !== undefined ? ['helm'] : undefined };
}

export function kustomizeTool(): Tool {
  const kubectl = onPath('kubectl');
  if (kubectl !== undefined) return { name: 'kustomize', argv: [kubectl, 'kustomize'] };
  const cached = join(toolsBin, 'kustomize');
  if (existsSync(cached)) return { name: 'kustomize', argv: [cached, 'build'] };
  const standalone = onPath('kustomize');
  return { name: 'kustomize', argv: standalone !== undefined ? [standalone, 'build'] : undefined };
}

export function kubeScoreTool(): Tool {
  const cached = join(toolsBin, 'kube-score');
  const argv = existsSync(cached) ? [cached] : onPath('kube-score') !== undefined ? ['kube-score'] : undefined;
  return { name: 'kube-score', argv };
}

/** Writes a format's files under a fresh temp dir; returns the dir. */
export function writeTree(files: ReadonlyMap<string, string>, label: string): string {
  const root = mkdtempSync(join(tmpdir(), `slipway-${label}-`));
  for (const [rel, content] of files) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  }
  return root;
}

export function run(argv: readonly string[], args: readonly string[]): string {
  const [cmd, ...pre] = argv;
  if (cmd === undefined) throw new Error('no command');
  return execFileSync(cmd, [...pre, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}
