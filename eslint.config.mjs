// ESLint flat config: `npm run lint` (and `npm test`) runs it with --max-warnings 0.
// TypeScript files get typescript-eslint's type-aware rules through tsconfig.json (it includes
// src, webview, test, scripts and bench); plain .mjs/.cjs files get the untyped rules only.
// Formatting is Prettier's job (.prettierrc.json): nothing here is about layout.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const TS = ['**/*.ts', '**/*.mts', '**/*.cts'];
const PLAIN_JS = ['**/*.js', '**/*.mjs', '**/*.cjs'];

export default defineConfig(
  {
    // Generated, installed or fetched code, and test data.
    ignores: [
      'dist/**',
      'dist-vsix/**',
      'node_modules/**',
      '.tools/**',
      '.cache/**',
      '.vscode-test/**',
      'test-results/**',
      '.mobileclip/**',
      'bench/out/**',
      'test/fixtures/data/**',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  {
    rules: {
      // `let x; ... () => x ...; x = make(...)`: a callback created before the value it refers to.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
    },
  },

  // ---- TypeScript: type-aware rules -------------------------------------------------------
  {
    files: TS,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Promises: a forgotten await loses errors and ordering. `void p` is the explicit opt-out.
      // node:test's test()/describe() return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { ignoreVoid: true, allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] }] },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // `typeof import('x')` types the modules loaded lazily (undici) or as ESM from CommonJS (Transformers.js).
      '@typescript-eslint/consistent-type-imports': ['error', { prefer: 'type-imports', fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // `${[1, 2]}` prints "1,2", which is what the error messages that interpolate shapes and ranges want.
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowAny: true, allowBoolean: true, allowNullish: true, allowNumber: true, allowRegExp: true, allowArray: true },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // An `async` method without `await` implements a Promise-returning interface (worker handlers, fakes); its throws still reject.
      '@typescript-eslint/require-await': 'off',
      // The code reads arrays as `a[i]!`, ready for noUncheckedIndexedAccess (DEVELOPERS.md, "Lint, format and type strictness"); without the flag this rule calls those 1126 assertions unnecessary.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },

  // ---- Tests and benchmarks: JSON and fixtures are checked by assertions, not types -------
  {
    files: ['test/**', 'bench/**'],
    rules: {
      // Tests read JSON.parse output and child-process results field by field; a wrong shape fails the assertion that reads it.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },

  // ---- Plain JavaScript (build scripts, test runners, CommonJS stubs): no type information --
  {
    files: PLAIN_JS,
    languageOptions: { globals: { ...globals.node } },
    rules: {
      'no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: ['**/*.cjs'], languageOptions: { sourceType: 'commonjs' } },

  // ---- Layering: the engine and the CLI never see VS Code ----------------------------------
  {
    files: ['src/engine/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'src/engine and src/cli are vscode-free; put VS Code code under src/extension.' }] }],
    },
  },
);
