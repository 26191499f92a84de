/** Specs the ci tests generate workflows for (typed, so a schema change breaks them loudly). */
import type { AppSpec } from '../appspec/index.ts';

export const shop: AppSpec = {
  app: 'shop',
  services: {
    api: {
      image: 'ghcr.io/acme/shop-api:1.0.0',
      ports: [{ name: 'http', port: 8080 }],
      build: { context: 'services/api' },
      test: { command: 'npm ci && npm test', workingDir: 'services/api', image: 'node:24-bookworm' },
      strategy: { type: 'canary', canary: { steps: [{ setWeight: 20 }, { pause: { duration: '1m' } }] } },
    },
    web: {
      image: 'ghcr.io/acme/shop-web:1.0.0',
      build: { context: 'services/web', dockerfile: 'Dockerfile.prod' },
      test: { command: 'go test ./...' },
    },
    redis: { image: 'redis:7.4' },
  },
  environments: { staging: { namespace: 'shop-staging' }, prod: { namespace: 'shop-prod' } },
};

/** No build contexts, no tests, no environments: only ci.yml and deploy.yml, default envs. */
export const prebuilt: AppSpec = {
  app: 'prebuilt',
  services: { web: { image: 'nginx:1.27', strategy: { type: 'blueGreen' } } },
};

/** Three environments declared out of promotion order. */
export const threeEnvs: AppSpec = {
  app: 'three',
  services: { api: { image: 'ghcr.io/acme/api:1', build: { context: '.' } } },
  environments: { prod: {}, dev: {}, staging: {} },
};
