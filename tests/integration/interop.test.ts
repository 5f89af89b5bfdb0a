// Interoperability with the OASIS Python clients that government and vendor tools build on
// (taxii2-client and stix2: MISP, OpenCTI connectors, XSOAR, Splunk apps), used unchanged: the
// pytest suite tests/interop/ runs against a real `palisade serve` process (tests/interop/serve.ts:
// 127.0.0.1, a free port, a throwaway data directory, users and collections from
// tests/interop/palisade.yaml, a service token issued through the admin API). The test fails with
// pytest's output when any pytest test fails.
//
// Needs the Python venv of scripts/python-env.sh: PALISADE_PYTHON names its python (.ci/run sets
// it). Without it the test skips with a message, and fails when CI=true. It runs on the store the
// pass selects: SQLite, and MongoDB in the pass of scripts/mongo-http-suite.mjs.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';
import { startInteropServer, type InteropServer } from '../interop/serve.js';

/** PALISADE_PYTHON, else the venv scripts/python-env.sh built earlier on this machine, if any. */
function venvPython(): string | undefined {
  const set = process.env.PALISADE_PYTHON;
  if (set) return set;
  if (process.env.CI === 'true') return undefined;
  const res = spawnSync('bash', [join(projectRoot, 'scripts', 'python-env.sh'), '--existing'], { encoding: 'utf8' });
  const path = res.status === 0 ? res.stdout.trim() : '';
  return path || undefined;
}

interface PytestRun {
  code: number | null;
  output: string;
  timedOut: boolean;
}

function runPytest(python: string, env: Record<string, string>, ms: number): Promise<PytestRun> {
  return new Promise((resolve, reject) => {
    // No cache or bytecode left in the work tree; -rfE lists what failed in the summary.
    const args = ['-m', 'pytest', 'tests/interop', '-q', '-rfE', '-p', 'no:cacheprovider', '--color=no'];
    const child = spawn(python, args, {
      cwd: projectRoot,
      env: { ...process.env, ...env, PYTHONDONTWRITEBYTECODE: '1', PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    let timedOut = false;
    // SIGINT first: pytest then reports where it was and what had failed so far.
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGINT');
      killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    }, ms);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({ code, output, timedOut });
    });
  });
}

describe('interoperability: taxii2-client and stix2 against palisade serve', function () {
  this.timeout(8 * 60_000);
  let server: InteropServer | undefined;

  after(async () => {
    await server?.stop();
  });

  it('the pytest suite tests/interop passes', async function () {
    const python = venvPython();
    if (!python || !existsSync(python)) {
      const why = python ? `PALISADE_PYTHON=${python} does not exist` : 'PALISADE_PYTHON is not set';
      const msg =
        `interop tests (taxii2-client, stix2) skipped: ${why}. Create the Python venv with ` +
        '`bash scripts/python-env.sh` (it prints the python to export as PALISADE_PYTHON)';
      if (process.env.CI === 'true') throw new Error(`CI=true but ${msg}`);
      console.log(`    ${msg}`);
      this.skip();
    }
    server = await startInteropServer();
    const started = Date.now();
    const run = await runPytest(python, server.env, 6 * 60_000);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const summary = run.output.trim().split('\n').pop() ?? '';
    if (run.timedOut) throw new Error(`pytest did not finish within 6 minutes\n${run.output}`);
    // Exit status 0: every test passed; anything else (failures, 5 for no test collected, usage
    // errors) fails this test with pytest's own report and the end of the server's log.
    if (run.code !== 0) {
      throw new Error(
        `pytest tests/interop exited ${run.code} on the ${server.backend} store\n${run.output}\n` +
          `--- palisade serve output (end) ---\n${server.process.output().slice(-4000)}`,
      );
    }
    console.log(`    pytest tests/interop on the ${server.backend} store: ${summary} (${seconds} s)`);
  });
});
