#!/usr/bin/env bash
# Installs the Go-built peer tools tests and benchmarks compare against, into
# ${SLIPWAY_CACHE:-$HOME/.cache/slipway}/tools/bin. Idempotent: a tool already there is skipped.
# Prints the bin dir on stdout. A tool that cannot be fetched (e.g. the module proxy refuses it)
# is reported on stderr and skipped; set SLIPWAY_TOOLS_STRICT=1 to make that fatal.
#
# Add a tool: one line "<binary> <module/cmd path>@<version>" in TOOLS below (BENCH_TOOLS: only with --bench).
set -euo pipefail

TOOLS=(
  # lint agreement test (test/conformance/lint-kube-score.test.ts) and bench/lint.ts. (kube-linter
  # is not here: the module proxy refuses golang.stackrox.io/kube-linter.)
  "kube-score github.com/zegl/kube-score/cmd/kube-score@v1.20.0"
  # render formats conformance (test/conformance): helm template; kustomize when kubectl is absent.
  "helm helm.sh/helm/v3/cmd/helm@v3.22.0"
  "kustomize sigs.k8s.io/kustomize/kustomize/v5@v5.8.2"
  # bench/render.ts: slipway import compose vs kompose convert.
  "kompose github.com/kubernetes/kompose@v1.38.0"
  # CI generator checks (src/ci).
  "actionlint github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"
)
# Benchmark-only peers, with --bench (`make bench-tools`): no test needs them, so `make test` on a
# fresh machine does not spend minutes building them.
BENCH_TOOLS=(
  # bench/rollout.ts: the progressive-delivery peer (its CRDs: artifacts/flagger/crd.yaml in the
  # module cache, `go mod download github.com/fluxcd/flagger@v1.44.0`).
  "flagger github.com/fluxcd/flagger/cmd/flagger@v1.44.0"
)
if [[ "${1:-}" == "--bench" ]]; then TOOLS+=("${BENCH_TOOLS[@]}"); fi

# Fallback when `go install m@v` fails although the version itself is fetchable (the proxy
# refuses some modules' version list, which `go install` reads for its deprecation check): build
# from a throwaway module requiring the pinned version, with the tool's own replace directives
# copied over (go ignores replaces of dependencies). Used for kompose.
build_via_module() {
  local name="$1" pkg="$2" module="${2%@*}" version="${2##*@}" tmp
  tmp="$(mktemp -d)"
  (
    cd "$tmp" &&
      "$GO" mod init "slipway.local/tools/$name" >/dev/null 2>&1 &&
      "$GO" mod edit -require="$module@$version" &&
      "$GO" mod download "$module" &&
      { grep -E '^replace ' "$("$GO" env GOMODCACHE)/$module@$version/go.mod" >> go.mod || true; } &&
      GOFLAGS=-mod=mod "$GO" build -trimpath -ldflags "-s -w" -o "$bin/$name" "$module"
  ) >&2
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

bin="${SLIPWAY_CACHE:-$HOME/.cache/slipway}/tools/bin"
mkdir -p "$bin"
GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
export GOTOOLCHAIN=local GOBIN="$bin" CGO_ENABLED=0
failed=0
for entry in "${TOOLS[@]}"; do
  name="${entry%% *}"; pkg="${entry#* }"
  if [[ -x "$bin/$name" ]]; then continue; fi
  if [[ ! -x "$GO" ]]; then echo "install-go-tools: no Go toolchain; cannot install $name" >&2; failed=1; continue; fi
  echo "install-go-tools: go install $pkg" >&2
  if ! "$GO" install -trimpath -ldflags "-s -w" "$pkg" >&2 && ! build_via_module "$name" "$pkg"; then
    echo "install-go-tools: WARNING: could not install $name ($pkg); tests comparing against it will skip" >&2
    failed=1
  fi
done
if [[ "$failed" == 1 && "${SLIPWAY_TOOLS_STRICT:-}" == 1 ]]; then exit 1; fi
echo "$bin"
