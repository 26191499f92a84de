#!/usr/bin/env bash
# Builds the local control plane binaries (etcd 3.6, kube-apiserver, kube-controller-manager,
# kube-scheduler v1.34.x, kwok) from Go modules and caches them by version, because a cold
# build takes many minutes on a small machine. Prints the bin dir on stdout.
#
#   SLIPWAY_CACHE   cache root            (default ~/.cache/slipway)
#   SLIPWAY_KUBE_BIN use these binaries instead of building (must hold all five)
set -euo pipefail

KUBE_VERSION="v1.34.4"
ETCD_VERSION="v3.6.4"
KWOK_VERSION="v0.7.0"
here="$(cd "$(dirname "$0")/.." && pwd)"
cache="${SLIPWAY_CACHE:-$HOME/.cache/slipway}"
bin="$cache/kube/$KUBE_VERSION-etcd$ETCD_VERSION-kwok$KWOK_VERSION/bin"
want=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

have_all() { local d="$1"; for b in "${want[@]}"; do [[ -x "$d/$b" ]] || return 1; done; }

if [[ -n "${SLIPWAY_KUBE_BIN:-}" ]]; then
  have_all "$SLIPWAY_KUBE_BIN" || { echo "SLIPWAY_KUBE_BIN=$SLIPWAY_KUBE_BIN lacks one of: ${want[*]}" >&2; exit 2; }
  echo "$SLIPWAY_KUBE_BIN"; exit 0
fi
if have_all "$bin"; then echo "$bin"; exit 0; fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
if [[ ! -x "$GO" ]]; then
  cat >&2 <<MSG
slipway: no control plane binaries in $bin and no Go toolchain to build them.
Either install Go (https://go.dev/dl) and rerun, or point SLIPWAY_KUBE_BIN (or --bin-dir)
at a folder holding: ${want[*]}.
MSG
  exit 2
fi
export GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$bin.tmp"
cd "$here/src/cluster/kubebuild"
ldpkg="k8s.io/component-base/version"
ld="-s -w -X $ldpkg.gitVersion=$KUBE_VERSION -X $ldpkg.gitMajor=1 -X $ldpkg.gitMinor=34 \
 -X $ldpkg.gitTreeState=clean -X $ldpkg.gitCommit=slipway-module-build \
 -X $ldpkg.buildDate=1970-01-01T00:00:00Z \
 -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=34"
echo "slipway: building control plane $KUBE_VERSION into $bin (first time only; several minutes)" >&2
for c in kube-apiserver kube-controller-manager kube-scheduler; do
  [[ -x "$bin.tmp/$c" ]] || "$GO" build -trimpath -ldflags "$ld" -o "$bin.tmp/$c" "k8s.io/kubernetes/cmd/$c" >&2
  echo "slipway: built $c" >&2
done
[[ -x "$bin.tmp/etcd" ]] || "$GO" build -trimpath -ldflags "-s -w" -o "$bin.tmp/etcd" ./cmd/etcd >&2
GOBIN="$bin.tmp" "$GO" install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION" >&2
mkdir -p "$(dirname "$bin")"
rm -rf "$bin"; mv "$bin.tmp" "$bin"
echo "$bin"
