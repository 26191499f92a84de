# The two entry points in README.md. Each installs what it needs and caches it.
SHELL := /bin/bash
.ONESHELL:
.PHONY: demo test setup kube-bin crds prometheus go-tools bench-tools typecheck lint knip unit integration golden clean

setup:
	@scripts/bootstrap.sh

kube-bin: setup crds prometheus
	@scripts/build-kube.sh >/dev/null

## crds: the Gateway API and Istio networking CRDs `slipway cluster up` installs, from pinned Go modules, cached by version.
crds:
	@scripts/fetch-crds.sh >/dev/null

## prometheus: the Prometheus server `slipway cluster up` runs (Debian's 2.42, unpacked, cached by version).
prometheus:
	@scripts/install-prometheus.sh >/dev/null

## go-tools: the peer tools tests compare against (helm, kustomize, kube-score, kompose, actionlint), cached by version.
go-tools: setup
	@scripts/install-go-tools.sh >&2

## bench-tools: the go-tools plus the benchmark-only peers (Flagger for bench/rollout.ts).
bench-tools: setup
	@scripts/install-go-tools.sh --bench >&2

## demo: local control plane up, examples/streaming-analytics deployed to dev, status printed.
demo: kube-bin
	@scripts/demo.sh

## test: typecheck, lint, unused code/dependencies (knip), unit + golden + integration tests;
## ends with "N passed, N failed". .ONESHELL runs the recipe as one script: `set -e` makes a failing
## tsc, eslint or knip fail it (without it only the last line's status counted).
test: kube-bin go-tools
	@set -eo pipefail
	source scripts/env.sh
	tsc -p tsconfig.json --noEmit
	eslint --max-warnings=0 .
	knip
	mkdir -p .test-results
	rc=0; vitest run --reporter=default --reporter=json --outputFile.json=.test-results/vitest.json || rc=$$?
	node scripts/test-summary.mjs .test-results/vitest.json || rc=1
	exit $$rc

typecheck: setup
	@source scripts/env.sh; tsc -p tsconfig.json --noEmit

lint: setup
	@source scripts/env.sh; eslint --max-warnings=0 .

## knip: unused files, exports and dependencies (knip.jsonc).
knip: setup
	@source scripts/env.sh; knip

unit: setup
	@source scripts/env.sh; vitest run --project unit

## golden: regenerate golden files after an intended render change (review the diff!).
golden: setup
	@source scripts/env.sh; UPDATE_GOLDEN=1 vitest run --project unit

clean:
	rm -rf node_modules .tools .test-results dist
