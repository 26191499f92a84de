/** The file names a directory's slipway spec may have, in lookup order (a leaf module: cheap to import). */
export const SPEC_FILE_NAMES = ['slipway.yaml', 'slipway.yml'] as const;
