import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import boundaries from './hack/lint/eslint-plugin.ts';

export default tseslint.config(
  { ignores: ['**/node_modules/', 'api/src/generated/', 'out/', 'test-results/', '.acog/', 'console/build/', 'console/.svelte-kit/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  // One-way dependencies through declared package surfaces (docs/adr/0009-package-boundaries.md).
  {
    files: ['**/*.ts', '**/*.svelte'],
    plugins: { acog: boundaries },
    rules: { 'acog/package-boundaries': 'error' },
  },
  // The console's Svelte components: TypeScript inside <script lang="ts">, browser globals.
  ...svelte.configs.recommended,
  {
    files: ['console/web/**/*.svelte', 'console/web/**/*.svelte.ts', 'console/web/**/*.ts'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
    rules: {
      // The console is served at the root (no paths.base), so links need no resolve().
      'svelte/no-navigation-without-resolve': 'off',
      // Maps and URLSearchParams built and read within one function are not state.
      'svelte/prefer-svelte-reactivity': 'off',
    },
  },
);
