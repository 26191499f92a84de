import type { KubeObject } from '../manifest/index.ts';

/** Options for {@link renderApp}. The renderer is pure: everything read from disk comes in here. */
export interface RenderOptions {
  /**
   * Contents of the dotenv files named by `configMaps.<name>.envFile`, keyed by the path exactly
   * as written in the spec. The cli reads them; the renderer never touches the file system.
   * @default {}
   */
  readonly envFiles?: Readonly<Record<string, string>>;
  /**
   * The tag CI built the images of this commit with: replaces the tag (and digest) of every
   * service that has `build:` (the images `slipway ci github` builds), e.g. `sha-<commit>`.
   * `slipway render|deploy|diff --image-tag`, default `$SLIPWAY_IMAGE_TAG`.
   * @default the tags written in the spec
   */
  readonly imageTag?: string | undefined;
}

/** What rendering one environment produced. */
export interface RenderResult {
  /** The environment rendered. */
  readonly env: string;
  /** The namespace every namespaced object lives in. */
  readonly namespace: string;
  /**
   * Objects in apply order: Namespace, ServiceAccounts, ConfigMaps, Services, workloads, PDBs,
   * HPAs, NetworkPolicies, Ingress/HTTPRoute, ServiceMonitors, PrometheusRules, dashboards;
   * by name within a kind.
   */
  readonly objects: KubeObject[];
  /** Things the user should know that do not make the output wrong (sorted, de-duplicated). */
  readonly warnings: string[];
  /**
   * The spec path each object comes from (`services.api`, `configMaps.shared`,
   * `services.web.dependsOn[0]`, `app` for the Namespace): a problem found in an object (a lint
   * finding) is reported where the spec writes it.
   */
  readonly origins: ReadonlyMap<KubeObject, string>;
}
