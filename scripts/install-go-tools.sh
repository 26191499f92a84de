#!/usr/bin/env bash
# Installs the Go-built peer tools tests and benchmarks compare against, into
# ${SLIPWAY_CACHE:-$HOME/.cache/slipway}/tools/bin. Idempotent: a tool already there is skipped.
# Prints the bin dir on stdout. A tool that cannot be fetched (e.g. the module proxy refuses it)
# is reported on stderr and skipped; set SLIPWAY_TOOLS_STRICT=1 to make that fatal.
#
# Add a tool: one line "<binary> <module/cmd path>@<version>" in TOOLS below.
set -euo pipefail

TOOLS=(
  "kube-linter golang.stackrox.io/kube-linter/cmd/kube-linter@v0.7.6"
)

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
  if ! "$GO" install -trimpath -ldflags "-s -w" "$pkg" >&2; then
    echo "install-go-tools: WARNING: could not install $name ($pkg); tests comparing against it will skip" >&2
    failed=1
  fi
done
if [[ "$failed" == 1 && "${SLIPWAY_TOOLS_STRICT:-}" == 1 ]]; then exit 1; fi
echo "$bin"
