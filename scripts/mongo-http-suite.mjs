// Runs the HTTP integration suite a second time, on the MongoDB store (PALISADE_TEST_STORE=mongodb).
// Needs PALISADE_TEST_MONGO_URI (set by .ci/run, which starts FerretDB); without it the run is
// skipped with a message on a developer machine and fails in CI.
import { spawnSync } from 'node:child_process';

if (!process.env.PALISADE_TEST_MONGO_URI) {
  const msg =
    'MongoDB HTTP suite skipped: set PALISADE_TEST_MONGO_URI to a MongoDB-compatible server ' +
    '(bash scripts/ferretdb.sh start DIR PORT builds and starts FerretDB on 127.0.0.1)';
  if (process.env.CI === 'true') {
    console.error(`CI=true but ${msg}`);
    process.exit(1);
  }
  console.log(msg);
  process.exit(0);
}

console.log('\n== HTTP integration suite on the MongoDB store');
const res = spawnSync(
  process.execPath,
  [
    'node_modules/mocha/bin/mocha.js',
    '--no-config',
    '--node-option', 'import=tsx',
    '--timeout', '60000',
    '--forbid-only',
    '--ignore', 'tests/integration/cli.test.ts',
    // The browser test checks the console, not the store (the analyst API suites run here), and the
    // README tour starts its own server on the default SQLite store.
    '--ignore', 'tests/integration/console.test.ts',
    '--ignore', 'tests/integration/readme-analyst.test.ts',
    // The benchmark's own test runs on SQLite: its rows on FerretDB take over ten minutes.
    '--ignore', 'tests/integration/bench.test.ts',
    'tests/integration/**/*.test.ts',
  ],
  { stdio: 'inherit', env: { ...process.env, PALISADE_TEST_STORE: 'mongodb' } },
);
process.exit(res.status ?? 1);
