// @ts-check
// Mutation testing (issue 12). Not part of `npm test` or CI. Times on the 2-core machine:
//   npm run test:mutation        stryker run --ignoreStatic   ~20 min (module-level mutants reported as Ignored)
//   npm run test:mutation:full   stryker run                  ~75 min (also the module-level mutants, each
//                                                             in a fresh worker with the whole spec list)
// Reports: reports/mutation/{index.html,mutation.json}.
//
// One module only:    npx stryker run --ignoreStatic --mutate src/taxii/cursor.ts
// Part of a file:     npx stryker run --mutate 'src/store/sqlite/objects.ts:40-120'
// Rerun after adding tests:  npm run test:mutation -- --incremental

/**
 * WHAT IS MUTATED: the modules where a silent change hurts most. Edit this list when files move:
 * one line per area, globs allowed (a glob that matches nothing is skipped with a warning, so
 * check the "Found N of M file(s) to be mutated" line after a move).
 */
const MUTATE = [
  'src/taxii/query.ts', //              query parameter parsing (match[...], added_after, limit, next)
  'src/taxii/cursor.ts', //             `next` cursors: encode/decode, signature, binding fingerprint
  'src/taxii/paging.ts', //             keyset pages and the cursor binding
  'src/store/sqlite/objects.ts', //     SQLite paging, version selection, first/last, releasability filter
  // 'src/store/mongo/objects.ts', //   MongoDB paging: its tests need PALISADE_TEST_MONGO_URI (FerretDB);
  // 'src/store/mongo/version-flags.ts', // enable together with tests/store-contract/mongo.test.ts below.
  'src/access/gate.ts', //              the access gate: every rights decision
  'src/access/write-policy.ts', //      collection write policies
  'src/stix/stix-rules.ts', //          STIX 2.1 object rules
  'src/stix/timestamps.ts', //          timestamps and their comparison
  'src/stix/versions.ts', //            the version rule
]

/**
 * WHICH TESTS RUN: unit, SQLite store contract and the HTTP suites. Left out on purpose:
 *  - integration/cli.test.ts: spawns `palisade` child processes, which never see the active mutant;
 *  - integration/attack-enterprise.test.ts: needs ../shared/data, which is not beside the sandbox
 *    copy (it skips there, and fails when CI=true); 25k objects would also make every mutant slow;
 *  - the MongoDB suites (skip without PALISADE_TEST_MONGO_URI, fail when CI=true).
 */
const TESTS = [
  'tests/unit/**/*.test.ts',
  'tests/store-contract/sqlite.test.ts',
  'tests/integration/add-delete.test.ts',
  'tests/integration/discovery.test.ts',
  'tests/integration/error-codes.test.ts',
  'tests/integration/isolation-matrix.test.ts',
  'tests/integration/media-types-auth.test.ts',
  'tests/integration/objects.test.ts',
  'tests/integration/paging-cursors.test.ts',
  'tests/integration/releasability.test.ts',
  'tests/integration/status-retention.test.ts',
  'tests/integration/tenancy.test.ts',
  'tests/integration/timestamp-precision.test.ts',
]

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  mutate: MUTATE,

  testRunner: 'mocha',
  // The tests are TypeScript ESM run through tsx; .mocharc.json's node-option is not seen by the runner.
  testRunnerNodeArgs: ['--import', 'tsx'],
  mochaOptions: {
    // replaces (does not add to) the spec list in .mocharc.json
    spec: TESTS,
    // credits code run in a suite's before() hook to that suite's tests (see the file)
    require: ['tests/helpers/stryker-suite-coverage.ts'],
  },

  // Mutants that do not type-check are reported as CompileError and never run.
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',

  coverageAnalysis: 'perTest',
  // Module-level mutants (regex literals, lookup tables, SQL text) can only be tested by reloading
  // every test file in a fresh worker for each one. false = test them anyway (slower, complete).
  ignoreStatic: false,

  concurrency: 2,
  // Per mutant: timeout = net time of its tests × timeoutFactor + timeoutMS.
  timeoutMS: 10000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 10,

  reporters: ['clear-text', 'html', 'json', 'progress'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  clearTextReporter: { allowColor: false, reportScoreTable: true, reportMutants: true, logTests: false },
  // issue 12: ≥ 85 % on these modules. Reported only; the script does not fail on it.
  thresholds: { high: 90, low: 85, break: null },

  // `npm run test:mutation -- --incremental` reuses the previous results for unchanged code and tests.
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'data', '.bench', 'reports'],
};
