#!/usr/bin/env bash
# Fetches the third-party CRDs the local cluster installs (so routes and virtual services are
# validated by the real apiserver), from pinned Go modules, cached by version. Prints the cache
# dir on stdout: one folder per module@version holding the CRD YAML files.
#
#   SLIPWAY_CACHE   cache root (default ~/.cache/slipway)
#   SLIPWAY_CRDS_DIR use this folder instead (same layout)
set -euo pipefail

GATEWAY_API="sigs.k8s.io/gateway-api@v1.4.1"   # standard channel: config/crd/standard/*.yaml
ISTIO_API="istio.io/api@v1.28.0"               # kubernetes/customresourcedefinitions.gen.yaml

if [[ -n "${SLIPWAY_CRDS_DIR:-}" ]]; then echo "$SLIPWAY_CRDS_DIR"; exit 0; fi
root="${SLIPWAY_CACHE:-$HOME/.cache/slipway}/crds"
gw="$root/gateway-api@${GATEWAY_API##*@}"
istio="$root/istio-api@${ISTIO_API##*@}"
if [[ -d "$gw" && -d "$istio" ]]; then echo "$root"; exit 0; fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ ! -x "$GO" ]]; then echo "fetch-crds: no Go toolchain to fetch $GATEWAY_API and $ISTIO_API" >&2; exit 2; fi
export GOTOOLCHAIN=local GOFLAGS=-mod=mod
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cd "$tmp" && "$GO" mod init slipway.local/crds >/dev/null 2>&1
dir_of() { "$GO" mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p'; }
src="$(dir_of "$GATEWAY_API")"
mkdir -p "$gw.tmp" && cp "$src"/config/crd/standard/*.yaml "$gw.tmp/" && rm -rf "$gw" && mv "$gw.tmp" "$gw"
src="$(dir_of "$ISTIO_API")"
mkdir -p "$istio.tmp" && cp "$src/kubernetes/customresourcedefinitions.gen.yaml" "$istio.tmp/" && rm -rf "$istio" && mv "$istio.tmp" "$istio"
chmod -R u+w "$root"
echo "fetch-crds: cached $GATEWAY_API and $ISTIO_API in $root" >&2
echo "$root"
