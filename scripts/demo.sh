#!/usr/bin/env bash
# `make demo`: a local control plane, examples/streaming-analytics deployed to `dev`, its status.
#
#   SLIPWAY_DEMO_NAME   cluster name (default: default → context slipway-default)
#   SLIPWAY_HOME        where cluster data lives (default ~/.slipway)
#   SLIPWAY_KUBE_BIN    prebuilt control plane binaries (default: built once by scripts/build-kube.sh)
#
# `cluster up` merges the context slipway-<name> into your kubeconfig ($KUBECONFIG, else ~/.kube/config)
# and makes it current, as kind does: every command below, and plain kubectl afterwards, use it.
# Leaves the cluster running; stop it with `./bin/slipway cluster down` (add --delete to wipe it and
# remove the context again).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
name="${SLIPWAY_DEMO_NAME:-default}"
slipway=("$here/bin/slipway")

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "slipway cluster up --name $name"
"${slipway[@]}" cluster up --name "$name"

step "slipway deploy examples/streaming-analytics --env dev --wait"
"${slipway[@]}" deploy examples/streaming-analytics --env dev --wait

step "slipway status examples/streaming-analytics --env dev"
"${slipway[@]}" status examples/streaming-analytics --env dev

if command -v kubectl >/dev/null; then
  step "kubectl get pods -n streaming-analytics-dev"
  kubectl get pods -n streaming-analytics-dev
fi

cat <<MSG

The cluster keeps running, and slipway-$name is your current kubectl context:
  kubectl get pods -A
  ./bin/slipway status examples/streaming-analytics --env dev
  ./bin/slipway cluster status --name $name
  ./bin/slipway cluster down --name $name [--delete]   (--delete also removes the context)
MSG
