#!/usr/bin/env bash
# Installs the Go-built peer tools slipway tests and benchmarks against, pinned, into
# ${SLIPWAY_CACHE:-$HOME/.cache/slipway}/tools/bin, so a fresh CI machine gets the same binaries.
# Idempotent: a tool is rebuilt only when its pinned version changed (a stamp file per tool).
# Usage: scripts/install-go-tools.sh [tool...]   (no argument: all tools)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# shellcheck source=env.sh
source "$root/scripts/env.sh"
bin="${SLIPWAY_CACHE:-$HOME/.cache/slipway}/tools/bin"
mkdir -p "$bin"

# name -> module@version (the binary is named after the last path element of the command package).
declare -A TOOLS=(
  # Helm v3: the chart conformance suite runs `helm template` (src/render/formats).
  [helm]="helm.sh/helm/v3/cmd/helm@v3.22.0"
  # Kompose: bench/render.ts compares `slipway import compose` with `kompose convert`.
  [kompose]="github.com/kubernetes/kompose@v1.38.0"
  # actionlint: the CI generator's workflows are checked with it (src/ci).
  [actionlint]="github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"
)

# Tools whose module the proxy will not list (`go install m@v` then fails on its deprecation
# check): built from a throwaway module that requires the pinned version, with the tool's own
# replace directives copied over (go ignores replaces of dependencies).
declare -A VIA_MODULE=([kompose]=1)

build_via_module() {
  local name="$1" spec="$2" module="${2%@*}" version="${2##*@}"
  local tmp
  tmp="$(mktemp -d)"
  (
    cd "$tmp"
    go mod init "slipway.local/tools/$name" >/dev/null 2>&1
    go mod edit -require="$module@$version"
    go mod download "$module"
    grep -E '^replace ' "$(go env GOMODCACHE)/$module@$version/go.mod" >> go.mod || true
    GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$bin/$name" "$module"
  )
  rm -rf "$tmp"
}

install_one() {
  local name="$1" spec="${TOOLS[$1]}"
  local stamp="$bin/.$name.version"
  if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$spec" ]]; then return 0; fi
  echo "install-go-tools: building $spec" >&2
  if [[ -n "${VIA_MODULE[$name]:-}" ]]; then
    build_via_module "$name" "$spec"
  else
    GOBIN="$bin" GOTOOLCHAIN=local CGO_ENABLED=0 go install -trimpath -ldflags=-s "$spec"
  fi
  echo "$spec" > "$stamp"
}

if (( $# == 0 )); then set -- "${!TOOLS[@]}"; fi
for name in "$@"; do
  [[ -n "${TOOLS[$name]:-}" ]] || { echo "install-go-tools: unknown tool '$name' (known: ${!TOOLS[*]})" >&2; exit 2; }
  install_one "$name"
done
