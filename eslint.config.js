// ESLint flat config: type-aware rules at error, plus the architecture rules:
//  - import direction between capability folders (a folder may import only the ones listed in LAYERS),
//  - one public entry per folder (import `../appspec/index.ts`, never `../appspec/load.ts`),
//  - the pure core (appspec, render, lint, ci) does no I/O.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Which capability folders each folder may import. Anything not listed is a layering violation. */
const LAYERS = {
  errors: [],
  manifest: ['errors'],
  appspec: ['errors', 'manifest'],
  render: ['errors', 'manifest', 'appspec'],
  lint: ['errors', 'manifest', 'appspec', 'render'],
  ci: ['errors', 'manifest', 'appspec', 'render'],
  kube: ['errors', 'manifest'],
  cluster: ['errors', 'manifest', 'kube'],
  sync: ['errors', 'manifest', 'appspec', 'render', 'lint', 'kube'],
  rollout: ['errors', 'manifest', 'appspec', 'render', 'kube', 'sync'],
  gitops: ['errors', 'manifest', 'appspec', 'render', 'lint', 'kube', 'sync', 'rollout'],
  server: ['errors', 'manifest', 'appspec', 'render', 'lint', 'ci', 'kube', 'cluster', 'sync', 'rollout', 'gitops'],
  cli: ['errors', 'manifest', 'appspec', 'render', 'lint', 'ci', 'kube', 'cluster', 'sync', 'rollout', 'gitops', 'server'],
};
const ALL = Object.keys(LAYERS);
const PURE = ['manifest', 'appspec', 'render', 'lint', 'ci'];
const IO_MODULES = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'http2', 'dgram', 'tls', 'worker_threads', 'cluster']
  .flatMap((m) => [m, `node:${m}`]);

function layerRules(folder) {
  const others = ALL.filter((f) => f !== folder);
  const allowed = LAYERS[folder];
  const patterns = [
    {
      // Forbidden folders entirely; allowed folders only through their index.ts (one public entry).
      group: [...others.map((f) => `**/${f}/**`), ...allowed.map((f) => `!**/${f}/index.ts`)],
      message: `${folder}/ may import only the index.ts of: ${allowed.join(', ') || 'nothing'} (see LAYERS in eslint.config.js).`,
    },
  ];
  const paths = PURE.includes(folder) ? IO_MODULES.map((name) => ({ name, message: `${folder}/ is pure core: no I/O. Do I/O at the edges (cli, server, kube, cluster).` })) : [];
  return { files: [`src/${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns, paths }] } };
}

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', 'dist/**', 'out/**', '**/testdata/**', '**/golden/**', 'web/dist/**', '**/*.generated.js', '**/*.generated.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      complexity: ['error', 25],
      'max-params': ['error', 5],
      'max-depth': ['error', 5],
      'max-lines-per-function': ['error', { max: 200, skipBlankLines: true, skipComments: true }],
    },
  },
  { files: ['**/*.test.ts', 'test/**', 'bench/**'], rules: { 'max-lines-per-function': 'off', '@typescript-eslint/no-non-null-assertion': 'off' } },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['**/*.js', '**/*.mjs'], languageOptions: { globals: { ...globals.node } } },
  ...ALL.map(layerRules),
);
