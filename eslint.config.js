// Type-aware linting. The rules that matter most on a door controller are the promise rules:
// a floating promise is a write or a relay command whose failure nobody hears about.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import esik from './eslint-rules/index.js';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist-hub/', 'var/', 'coverage/', 'display/public/vendor/', '**/*.cjs', 'bin/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'max-lines': ['warn', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['warn', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    // The programs' sources: a folder with an index.ts is entered through it, and no import cycle.
    // Tests and benches may reach inside a module to test a part of it.
    files: ['device/**/*.ts', 'biometric/**/*.ts', 'display/**/*.ts', 'sync/**/*.ts', 'hub/**/*.ts', 'protocol/**/*.ts', 'lib/**/*.ts'],
    plugins: { esik },
    rules: { 'esik/public-face': 'error', 'esik/no-cycle': 'error' },
  },
  {
    // Tests may poke at loosely typed fixtures and fakes; domain code may not.
    files: ['tests/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
      'max-lines-per-function': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Browser pages are plain JS served as-is to Chromium in kiosk mode.
    files: ['display/public/**/*.js', 'device/sim/public/**/*.js'],
    languageOptions: { globals: { window: 'readonly', document: 'readonly', io: 'readonly', fetch: 'readonly', navigator: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', console: 'readonly', location: 'readonly', localStorage: 'readonly', URLSearchParams: 'readonly', Intl: 'readonly', Date: 'readonly', FormData: 'readonly', FileReader: 'readonly', Blob: 'readonly', performance: 'readonly', requestAnimationFrame: 'readonly' } },
  },
);
