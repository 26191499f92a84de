#!/usr/bin/env bash
# Fetches the third-party CustomResourceDefinitions `slipway cluster up` installs, from the Go
# modules that publish them, and caches them by version. Prints one cache dir per module on
# stdout (each holds only *.yaml CRD files):
#
#   Gateway API standard channel   sigs.k8s.io/gateway-api  config/crd/standard/*.yaml
#   Istio networking (VirtualService, DestinationRule)
#                                  istio.io/api             kubernetes/customresourcedefinitions.gen.yaml
#
#   SLIPWAY_CACHE      cache root                                    (default ~/.cache/slipway)
#   SLIPWAY_CRDS_DIR   use these dirs instead (colon-separated; printed one per line, not checked here)
#
# Cached under $SLIPWAY_CACHE/crds/<module>@<version>/. Bump a version: change it below; the old
# cache dir is simply no longer read.
set -euo pipefail

GATEWAY_API_VERSION="v1.4.1"
ISTIO_API_VERSION="v1.28.0"
# The Istio kinds slipway's traffic router writes; the module ships every Istio CRD in one file.
ISTIO_CRDS=(virtualservices.networking.istio.io destinationrules.networking.istio.io)

cache="${SLIPWAY_CACHE:-$HOME/.cache/slipway}/crds"

if [[ -n "${SLIPWAY_CRDS_DIR:-}" ]]; then
  tr ':' '\n' <<<"$SLIPWAY_CRDS_DIR" | sed '/^$/d'
  exit 0
fi

gateway="$cache/sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION"
istio="$cache/istio.io/api@$ISTIO_API_VERSION"
# A dir is complete once its .complete marker exists (written last, after an atomic rename).
if [[ -e "$gateway/.complete" && -e "$istio/.complete" ]]; then
  echo "$gateway"; echo "$istio"; exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ ! -x "$GO" ]]; then
  cat >&2 <<MSG
slipway: no CRDs cached in $cache and no Go toolchain to fetch them (they come from Go modules).
Either install Go (https://go.dev/dl) and rerun, or point SLIPWAY_CRDS_DIR (or --crds-dir) at
folders holding the CRD yaml files.
MSG
  exit 2
fi
export GOTOOLCHAIN=local

# Module dir in GOMODCACHE (downloads it once; works outside any Go module).
module_dir() {
  local dir
  dir="$(cd / && "$GO" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || { echo "fetch-crds: go mod download $1 gave no module dir" >&2; return 1; }
  echo "$dir"
}

# Fills dir $1 by running "$2 <tmp dir>", atomically.
fill() {
  local dest="$1"; shift
  [[ -e "$dest/.complete" ]] && return 0
  rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
  "$@" "$dest.tmp"
  compgen -G "$dest.tmp/*.yaml" >/dev/null || { echo "fetch-crds: no CRDs for $dest" >&2; return 1; }
  touch "$dest.tmp/.complete"
  rm -rf "$dest"; mv "$dest.tmp" "$dest"
}

gateway_crds() {
  local src
  src="$(module_dir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")/config/crd/standard"
  # Module files are read-only in GOMODCACHE: copy with normal permissions.
  for f in "$src"/*.yaml; do install -m 0644 "$f" "$1/"; done
}

istio_crds() {
  local all
  all="$(module_dir "istio.io/api@$ISTIO_API_VERSION")/kubernetes/customresourcedefinitions.gen.yaml"
  for crd in "${ISTIO_CRDS[@]}"; do
    # One YAML document per CRD, separated by `---`: keep the one whose metadata.name is $crd.
    awk -v want="$crd" '
      function flush() { if (doc ~ ("\n  name: " want "\n")) printf "%s", doc; doc = "\n" }
      BEGIN { doc = "\n" }
      /^---$/ { flush(); next }
      /^#/ { next }
      { doc = doc $0 "\n" }
      END { flush() }
    ' "$all" | sed '1{/^$/d}' >"$1/$crd.yaml"
    grep -q "^kind: CustomResourceDefinition$" "$1/$crd.yaml" || { echo "fetch-crds: $crd not found in $all" >&2; return 1; }
  done
}

echo "slipway: fetching CRDs (Gateway API $GATEWAY_API_VERSION, Istio API $ISTIO_API_VERSION) into $cache" >&2
fill "$gateway" gateway_crds
fill "$istio" istio_crds
echo "$gateway"
echo "$istio"
