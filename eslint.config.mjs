import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// ---- architecture boundaries ------------------------------------------------------------------------
// Each source file falls in exactly one zone below (a later config object would replace, not add to,
// an earlier no-restricted-imports), and each zone lists everything it must not import.
const ban = (regex, message) => ({ regex, message });
const HTTP_LAYERS = ban(
  '(^|/)(taxii|access|http|ingest|auth|ops|api|admin|console|cli)/',
  'The store knows nothing of protocols, rights or HTTP.',
);
const BACKENDS = ban(
  '(^|/)store/(sqlite|mongo)/|^\\./(sqlite|mongo)/',
  'Talk to the Store interfaces; only store/open-store.ts picks a backend.',
);
const DRIVERS = { group: ['mongodb', 'better-sqlite3'], message: 'Database drivers belong to their store backend.' };
const SQLITE_ONLY = { group: ['better-sqlite3', '**/sqlite/**'], message: 'The MongoDB backend does not use SQLite.' };
const MONGO_ONLY = { group: ['mongodb', '**/mongo/**'], message: 'The SQLite backend does not use MongoDB.' };
const STORE = ban('(^|/)store/', 'STIX rules do not depend on storage.');
const STIX_UP = ban(
  '(^|/)(taxii|access|http|ingest|auth|ops)/',
  'STIX rules do not depend on the layers that use them.',
);
const ROUTES = ban('(^|/)routes/', 'No HTTP below the routes.');
const TAXII = ban('(^|/)taxii/', 'Access and ingest serve every protocol; they do not depend on TAXII.');
const NO_HTTP_PATHS = ['express', 'passport', 'passport-http'];

const zone = (files, patterns, { paths = [], ignores = [] } = {}) => ({
  files,
  ignores,
  rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
});
const SERVICES = ['src/taxii/*.ts'];
const TAXII_HTTP = ['src/taxii/respond.ts'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', '.bench/**', 'reports/**', '.stryker-tmp/**'] },
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
  // Everything in src/ not named below: no backend, no driver.
  zone(['src/**/*.ts'], [BACKENDS, DRIVERS], {
    ignores: ['src/store/**', 'src/stix/**', 'src/access/**', 'src/ingest/**', 'src/admin/**', ...SERVICES],
  }),
  // The admin service is shared by the HTTP routes and the CLI: only routes.ts knows HTTP.
  zone(
    ['src/admin/**/*.ts'],
    [BACKENDS, DRIVERS, ban('(^|/)(http|taxii)/', 'The admin service knows no HTTP; routes.ts does.')],
    {
      paths: NO_HTTP_PATHS,
      ignores: ['src/admin/routes.ts'],
    },
  ),
  zone(['src/admin/routes.ts'], [BACKENDS, DRIVERS]),
  zone(['src/store/*.ts'], [HTTP_LAYERS, BACKENDS, DRIVERS], {
    paths: NO_HTTP_PATHS,
    ignores: ['src/store/open-store.ts'],
  }),
  zone(['src/store/open-store.ts'], [HTTP_LAYERS], { paths: NO_HTTP_PATHS }),
  zone(['src/store/sqlite/**/*.ts'], [HTTP_LAYERS, MONGO_ONLY], { paths: NO_HTTP_PATHS }),
  zone(['src/store/mongo/**/*.ts'], [HTTP_LAYERS, SQLITE_ONLY], { paths: NO_HTTP_PATHS }),
  zone(['src/stix/**/*.ts'], [STORE, STIX_UP, DRIVERS], { paths: NO_HTTP_PATHS }),
  zone(['src/access/**/*.ts', 'src/ingest/**/*.ts'], [TAXII, ROUTES, BACKENDS, DRIVERS], { paths: NO_HTTP_PATHS }),
  zone(SERVICES, [ROUTES, BACKENDS, DRIVERS], { paths: NO_HTTP_PATHS, ignores: TAXII_HTTP }),
  zone(TAXII_HTTP, [BACKENDS, DRIVERS]),
  // The console's browser code has its own compiler settings (DOM, bundler resolution) and talks to
  // the server over HTTP only.
  {
    files: ['src/console/web/**/*.ts'],
    languageOptions: {
      parserOptions: { project: './src/console/web/tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [ban('^\\.\\./\\.\\./', 'Browser code imports nothing from the server.')] },
      ],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
