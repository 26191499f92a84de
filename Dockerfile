# The slipway image: the CLI and the controller (`slipway controller run`), which
# `slipway controller install` deploys. Multi-stage: dependencies are installed in a full Node
# image; the runtime stage has the Node 24 runtime, production dependencies and the sources only
# (Node 24 runs the TypeScript sources directly by stripping types), as a non-root user.
#
#   docker build -t ghcr.io/slipway-dev/slipway:0.1.0 .

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# The GitOps controller runs the system git (and ssh for ssh repositories, kubectl for kustomizations
# is not included: add it in an image of your own). Distroless has no package manager, so the runtime
# is the slim Node image with those packages and nothing else added, run as a non-root user.
FROM node:24-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
COPY schema ./schema
USER 65532:65532
EXPOSE 8090
# `--` ends Node's options: Node scans every argument for --env-file, even after the script name.
# --max-semi-space-size=8: Node sizes the young generation from the machine's memory; 8 MB keeps the
# controller's peak near what it holds (bench/rollout.ts: 144 MiB at 200 canaries, 255 MiB without).
ENTRYPOINT ["/usr/local/bin/node", "--disable-warning=ExperimentalWarning", "--max-semi-space-size=8", "--", "/app/bin/slipway.js"]
CMD ["controller", "run", "--all-namespaces", "--metrics-addr", "0.0.0.0:8090"]
