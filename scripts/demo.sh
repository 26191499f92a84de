#!/usr/bin/env bash
# `make demo`: a local control plane, examples/streaming-analytics deployed to `dev`, its status.
#
#   SLIPWAY_DEMO_NAME   cluster name (default: default → context slipway-default)
#   SLIPWAY_HOME        where cluster data lives (default ~/.slipway)
#   SLIPWAY_KUBE_BIN    prebuilt control plane binaries (default: built once by scripts/build-kube.sh)
#
# Leaves the cluster running; stop it with `./bin/slipway cluster down` (add --delete to wipe it).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
name="${SLIPWAY_DEMO_NAME:-default}"
slipway=("$here/bin/slipway")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "slipway cluster up --name $name"
"${slipway[@]}" cluster up --name "$name"

# Point every following command at the demo cluster only (the user's ~/.kube/config is untouched).
KUBECONFIG="$("${slipway[@]}" cluster kubeconfig --name "$name")"
export KUBECONFIG

step "slipway deploy examples/streaming-analytics --env dev --wait"
"${slipway[@]}" deploy examples/streaming-analytics --env dev --wait

step "slipway status examples/streaming-analytics --env dev"
"${slipway[@]}" status examples/streaming-analytics --env dev

cat <<MSG

The cluster keeps running:
  export KUBECONFIG=$KUBECONFIG
  ./bin/slipway cluster status --name $name
  ./bin/slipway cluster down --name $name [--delete]
MSG
