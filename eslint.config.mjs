import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.filter((m) => !m.startsWith('_'));
/** What exists only under Node or only in a page: src-shared must use neither. */
const nodeAndDomGlobals = [
  ...['process', 'Buffer', 'require', '__dirname', '__filename', 'global', 'setImmediate'].map((name) => ({
    name,
    message: 'src-shared runs in the renderer too: no Node globals.',
  })),
  ...['window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'HTMLElement', 'HTMLCanvasElement'].map(
    (name) => ({ name, message: 'src-shared runs under Node too: no DOM.' }),
  ),
];

export default ts.config(
  { ignores: ['out/', 'node_modules/', 'test-results/', 'resources/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser } },
  },
  // The layering, as rules: each side imports only what runs where it runs.
  {
    files: ['src-renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src-main/**'], message: 'The renderer reaches main only through the API contract.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src-shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/src-main/**', '**/src-renderer/**'], message: 'src-shared imports only src-shared.' },
            { group: ['node:*', ...nodeBuiltins], message: 'src-shared runs in the renderer too: no Node modules.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', ...nodeAndDomGlobals],
    },
  },
  {
    files: ['src-main/store/**'],
    ignores: ['src-main/store/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/training/**', '**/queue/**', '**/latent/**', '**/api/**', '**/workbench/**'],
              message:
                'The store sits below training, the queue, the latent engine and the API: it imports none of them.',
            },
          ],
        },
      ],
    },
  },
);
