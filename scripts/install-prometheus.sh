#!/usr/bin/env bash
# Installs the Prometheus server `slipway cluster up` runs, pinned, into
# ${SLIPWAY_CACHE:-$HOME/.cache/slipway}/prometheus/<version>/prometheus, and prints that path.
# Idempotent: a cached binary is reused (no network).
#
# Why Debian's package (2.42) and not a build of the github.com/prometheus/prometheus v3 module:
# the package is a 19 MB download that installs in seconds; building v3 (hundreds of modules,
# every service-discovery SDK) costs minutes of CPU on these 2-core machines in every fresh CI
# run that lacks the cache. Analysis needs only the HTTP query API, rate() and
# histogram_quantile(), which 2.42 has. The .deb is unpacked, never installed: no service, no
# user, no /etc changes.
set -euo pipefail

VERSION="2.42.0+ds-5+b6"
dir="${SLIPWAY_CACHE:-$HOME/.cache/slipway}/prometheus/$VERSION"
bin="$dir/prometheus"
if [[ -x "$bin" ]]; then echo "$bin"; exit 0; fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
# apt-get download needs package lists; refresh them once when the version is not known yet.
if ! apt-get download "prometheus=$VERSION" >&2 2>/dev/null; then
  echo "install-prometheus: apt-get update (prometheus=$VERSION not in the package lists)" >&2
  if [[ "$(id -u)" == 0 ]]; then apt-get update -qq >&2; else sudo -n apt-get update -qq >&2; fi
  apt-get download "prometheus=$VERSION" >&2
fi
dpkg-deb -x prometheus_*.deb root
"root/usr/bin/prometheus" --version >/dev/null
mkdir -p "$dir"
cp root/usr/bin/prometheus "$dir/prometheus.tmp"
mv "$dir/prometheus.tmp" "$bin"
echo "$bin"
