/**
 * The renderer: an AppSpec environment → production-grade Kubernetes objects (Pod Security
 * restricted, NetworkPolicies, PDB/HPA, probes, monitoring). Pure core: no I/O.
 */
export type { RenderOptions, RenderResult } from './types.ts';
export { renderApp, renderAll, sortObjects, POD_SECURITY_LABELS } from './app.ts';
export { HOOK_ANNOTATION, CHECKSUM_ANNOTATION, MANAGED_BY } from './context.ts';
export { parseDotenv } from './config.ts';
export { DEFAULT_ENV } from './resolve.ts';
// Kustomize and Helm output, built on top of the plain renders (src/render/formats, another owner).
export * from './formats/index.ts';
