/** `--image-tag` of render, deploy and diff: the tag CI built this commit's images with. */

/** The flag's help text. */
export const IMAGE_TAG_HELP = 'tag of the images CI built for this commit: replaces the tag of every service with build: (default: $SLIPWAY_IMAGE_TAG)';

/** `--image-tag`, else `$SLIPWAY_IMAGE_TAG` (a pipeline sets it once for every command); unset or empty: the spec's own tags. */
export function imageTagOf(f: { readonly imageTag?: string | undefined }): string | undefined {
  const tag = f.imageTag ?? process.env['SLIPWAY_IMAGE_TAG'];
  return tag === undefined || tag === '' ? undefined : tag;
}
