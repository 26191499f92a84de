/**
 * The renderer: an AppSpec environment → production-grade Kubernetes objects (Pod Security
 * restricted, NetworkPolicies, PDB/HPA, probes, monitoring). Pure core: no I/O.
 */
export type { RenderResult } from './types.ts';
export { renderApp, renderAll } from './app.ts';
export { CHECKSUM_ANNOTATION } from './context.ts';
// Kustomize and Helm output, built on top of the plain renders (src/render/formats, another owner).
export * from './formats/index.ts';
