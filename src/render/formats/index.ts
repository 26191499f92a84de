/**
 * Output formats besides plain YAML: a Kustomize base + overlays and a Helm chart, both built
 * from the plain renders (see {@link FormatInput}) and proven equal to them by the conformance
 * suite (test/conformance/render-formats.test.ts) with the real kustomize and helm.
 */
export type { FormatInput } from './common.ts';
export { toKustomize } from './kustomize.ts';
export { toHelmChart } from './helm.ts';
export { formatInputFor } from './input.ts';
