// ESLint flat config: type-aware rules at error, plus the architecture rules:
//  - import direction between capability folders (a folder may import only the ones listed in LAYERS),
//    for static imports, re-exports, and dynamic `import('…')`/`require('…')` of a literal path,
//  - one public entry per folder (import `../appspec/index.ts`, never `../appspec/load.ts`),
//  - the pure core (manifest, appspec, render, lint, ci) does no I/O and reads no ambient state: no
//    I/O or process modules (fs, net, child_process, module, os, process, …), no `process`/`fetch`/
//    `require` globals, no dynamic `import()` at all (it loads code chosen at run time).
// test/architecture/layers.test.ts lints snippets through this config and expects each violation.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** Which capability folders each folder may import. Anything not listed is a layering violation. */
const LAYERS = {
  errors: [],
  // Reading untrusted input files (confined, bounded, regular files only): the I/O side of the pure core's readFile callbacks.
  files: ['errors'],
  manifest: ['errors'],
  appspec: ['errors', 'manifest'],
  render: ['errors', 'manifest', 'appspec'],
  lint: ['errors', 'manifest', 'appspec', 'render'],
  ci: ['errors', 'manifest', 'appspec', 'render'],
  kube: ['errors', 'manifest'],
  cluster: ['errors', 'manifest', 'kube'],
  // Post-deploy verification of rolling releases measures SLOs with the analysis engine (src/sync/verify.ts).
  sync: ['errors', 'files', 'manifest', 'appspec', 'render', 'lint', 'kube', 'analysis'],
  controller: ['errors', 'manifest', 'kube'],
  // Metric providers, CEL conditions, measurement scheduling and verdicts (progressive delivery's analysis).
  analysis: ['errors', 'manifest', 'kube'],
  rollout: ['errors', 'files', 'manifest', 'appspec', 'render', 'kube', 'sync', 'controller', 'analysis'],
  gitops: ['errors', 'files', 'manifest', 'appspec', 'render', 'lint', 'kube', 'sync', 'rollout', 'controller', 'analysis'],
  server: ['errors', 'files', 'manifest', 'appspec', 'render', 'lint', 'ci', 'kube', 'cluster', 'sync', 'controller', 'analysis', 'rollout', 'gitops'],
  cli: ['errors', 'files', 'manifest', 'appspec', 'render', 'lint', 'ci', 'kube', 'cluster', 'sync', 'controller', 'analysis', 'rollout', 'gitops', 'server'],
};
const ALL = Object.keys(LAYERS);
const PURE = ['manifest', 'appspec', 'render', 'lint', 'ci'];
// `module` (createRequire, register hooks), `os` (host facts) and `process` (env, argv, cwd) are
// ambient state rather than I/O proper, but a pure function's result must not depend on them.
const IO_MODULES = ['fs', 'fs/promises', 'child_process', 'net', 'http', 'https', 'http2', 'dgram', 'tls', 'worker_threads', 'cluster', 'module', 'os', 'process', 'readline', 'vm', 'inspector']
  .flatMap((m) => [m, `node:${m}`]);
const PURE_MESSAGE = (folder) => `${folder}/ is pure core: no I/O. Do I/O at the edges (cli, server, kube, cluster).`;
/** Globals that reach the process or the network; in the pure core only through a parameter. */
const IMPURE_GLOBALS = ['process', 'fetch', 'require', 'WebSocket', 'XMLHttpRequest'];

/**
 * `no-restricted-syntax` selectors for the layer rule on dynamic `import('…')` and `require('…')`
 * of a literal path, which `no-restricted-imports` does not see.
 */
function dynamicLayerSelectors(folder, others, allowed) {
  const forbidden = others.filter((f) => !allowed.includes(f));
  // `…/errors/x.ts` but not `…/errors/index.ts`; `…/kube/…` when kube is not allowed at all.
  const alternatives = [
    ...(forbidden.length > 0 ? [`(^|/)(${forbidden.join('|')})/`] : []),
    ...(allowed.length > 0 ? [`(^|/)(${allowed.join('|')})/(?!index\\.ts$)`] : []),
  ];
  if (alternatives.length === 0) return [];
  // esquery ends a regex at the first `/`, even an escaped one: match the separator as \x2F.
  const re = `/${alternatives.join('|').replaceAll('/', '\\x2F')}/`;
  const message = `${folder}/ may import only the index.ts of: ${allowed.join(', ') || 'nothing'} (see LAYERS in eslint.config.js); dynamic import() and require() included.`;
  return [
    { selector: `ImportExpression[source.value=${re}]`, message },
    { selector: `CallExpression[callee.name="require"][arguments.0.value=${re}]`, message },
  ];
}

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
  const pure = PURE.includes(folder);
  const paths = pure ? IO_MODULES.map((name) => ({ name, message: PURE_MESSAGE(folder) })) : [];
  // The pure core bans dynamic import() and the require global outright; elsewhere they are
  // allowed (lazy loading), within the layers.
  const syntax = pure
    ? [{ selector: 'ImportExpression', message: `${PURE_MESSAGE(folder)} No dynamic import(): it loads code chosen at run time.` }]
    : dynamicLayerSelectors(folder, others, allowed);
  return {
    files: [`src/${folder}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', { patterns, paths }],
      'no-restricted-syntax': ['error', ...syntax],
      ...(pure
        ? {
            'no-restricted-globals': ['error', ...IMPURE_GLOBALS.map((name) => ({ name, message: PURE_MESSAGE(folder) }))],
            'no-restricted-properties': ['error', ...IMPURE_GLOBALS.map((property) => ({ object: 'globalThis', property, message: PURE_MESSAGE(folder) }))],
          }
        : {}),
    },
  };
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
