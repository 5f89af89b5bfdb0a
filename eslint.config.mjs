import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', '.bench/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      'no-restricted-syntax': ['error', 'ExportDefaultDeclaration'],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/taxii/**/*.ts', 'src/admin/**/*.ts', 'src/access/**/*.ts', 'src/auth/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { group: ['**/store/sqlite/**', '**/store/mongo/**', 'mongodb', 'better-sqlite3'],
          message: 'Talk to the Store interface; only container.ts picks a backend.' } ] }],
    },
  },
  {
    files: ['src/store/**/*.ts', 'src/stix/**/*.ts', 'src/access/**/*.ts', 'src/**/*-service.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: ['express', 'passport'],
        patterns: [{ group: ['**/taxii/routes/**'], message: 'No HTTP below the routes.' }] }],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
