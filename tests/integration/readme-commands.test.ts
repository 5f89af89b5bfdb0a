// Every shell block (```sh, ```bash) of README.md runs as written, in README order, through bash
// with `set -euo pipefail`, and so does the taxii2-client snippet (```python). What is put in:
// the password for PASSWORD (NEW-PASSWORD once the recovery block has set it), free ports for
// 127.0.0.1:8000 and taxii.example.gov:8443 (curl is told where that name points, so the server
// certificate is still checked), temporary directories for /var/lib/palisade and the MongoDB test
// server for a mongodb:// URI. curl runs with --fail-with-body and reports each status, which must
// be 2xx; `palisade` is the CLI from the sources.
//
// `npm start` / `palisade serve` start a real server in the background (from the sources: `npm
// start` would first rebuild dist/ with tsc, about 20 s, in a tree other processes use), which must
// become ready and answer discovery; later blocks talk to it. Not run, and said so on the console:
// the commands of NOT_RUN below.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../helpers/free-port.js';
import { mongoTestUri } from '../helpers/mongo-url.js';
import { CLI } from '../helpers/serve-process.js';

/** Commands of the README that this test does not run, with the reason. */
const NOT_RUN: Record<string, string> = {
  'npm install': 'installs dependencies into the shared tree; .ci/run installs from scratch with npm ci',
  'npm test': 'the whole suite, this test included; CI runs it',
  'npm run bench':
    'a measurement that takes the whole machine for 10 to 15 minutes; bench.test.ts runs it end to end on small sizes',
};

interface Block {
  lang: 'sh' | 'bash' | 'python';
  code: string;
  /** the nearest `##`/`###` heading above the block */
  heading: string;
  /** 1-based line of the opening fence */
  line: number;
}

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');

function readmeBlocks(): { blocks: Block[]; fences: string[] } {
  const blocks: Block[] = [];
  const fences: string[] = [];
  const lines = readme.split('\n');
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const h = /^#{2,3} (.+)$/.exec(line);
    if (h) heading = h[1] as string;
    const open = /^```(\S*)\s*$/.exec(line);
    if (!open) continue;
    const lang = open[1] as string;
    fences.push(lang);
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !(lines[i] as string).startsWith('```'); i++) body.push(lines[i] as string);
    if (lang === 'sh' || lang === 'bash' || lang === 'python') {
      blocks.push({ lang, code: `${body.join('\n')}\n`, heading, line: start + 1 });
    }
  }
  return { blocks, fences };
}

/** Lines joined where they end in a backslash, as the shell reads them. */
const logicalLines = (code: string): string[] =>
  code
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));

const SERVER_COMMAND = /^(npm start(?:\s+--)?|palisade serve)(\s.*)?$/;

const tsxLoader = pathToFileURL(join(projectRoot, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

function tool(name: string, args: string[]): boolean {
  return spawnSync(name, args, { stdio: 'ignore' }).status === 0;
}

/** PALISADE_PYTHON, else the venv scripts/python-env.sh built earlier on this machine, if any. */
function venvPython(): string | undefined {
  if (process.env.PALISADE_PYTHON) return process.env.PALISADE_PYTHON;
  if (process.env.CI === 'true') return undefined;
  const res = spawnSync('bash', [join(projectRoot, 'scripts', 'python-env.sh'), '--existing'], { encoding: 'utf8' });
  return res.status === 0 && res.stdout.trim() !== '' ? res.stdout.trim() : undefined;
}

function skipOrFail(ctx: Mocha.Context, why: string): never {
  if (process.env.CI === 'true') throw new Error(`CI=true but ${why}`);
  console.log(`      (skipped: ${why})`);
  ctx.skip();
}

interface Server {
  child: ChildProcess;
  port: number;
  output: () => string;
}

const { blocks, fences } = readmeBlocks();

describe('README commands: every shell block and the Python snippet, run as written', function () {
  this.timeout(90_000);
  const work = mkdtempSync(join(tmpdir(), 'palisade-readme-cmd-'));
  const tlsDir = join(work, 'tls-setup');
  const dataDir = join(work, 'data');
  mkdirSync(tlsDir);
  const state = {
    password: `readme-pw-${randomBytes(6).toString('hex')}`,
    newPassword: `readme-new-${randomBytes(6).toString('hex')}`,
    main: undefined as Server | undefined,
    tls: undefined as Server | undefined,
    tlsPort: 0,
    mongoDatabases: [] as string[],
  };
  const servers: Server[] = [];

  before(function () {
    if (!tool('curl', ['--version'])) skipOrFail(this, 'curl is not installed');
    if (!tool('openssl', ['version'])) skipOrFail(this, 'openssl is not installed');
  });

  after(async () => {
    await Promise.all(servers.map(stop));
    const uri = mongoTestUri();
    if (uri && state.mongoDatabases.length > 0) {
      const client = await MongoClient.connect(uri);
      try {
        for (const db of state.mongoDatabases) await client.db(db).dropDatabase();
      } finally {
        await client.close();
      }
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('finds the blocks, and no shell block under another name (console, shell, zsh)', () => {
    expect(blocks.filter((b) => b.lang !== 'python').length).to.be.greaterThan(5);
    expect(blocks.filter((b) => b.lang === 'python')).to.have.length(1);
    expect(fences.filter((f) => ['shell', 'console', 'zsh', 'shell-session'].includes(f))).to.deep.equal([]);
  });

  /** What the README says, with the test's ports, passwords and directories put in. */
  function substitute(text: string): string {
    return text
      .replaceAll('NEW-PASSWORD', state.newPassword)
      .replaceAll('PASSWORD', state.password)
      .replaceAll('127.0.0.1:8000', `127.0.0.1:${state.main?.port ?? 0}`)
      .replaceAll('taxii.example.gov:8443', `taxii.example.gov:${state.tlsPort}`)
      .replaceAll('/var/lib/palisade', dataDir);
  }

  async function startServer(ctx: Mocha.Context, b: Block, command: string): Promise<Server> {
    const m = SERVER_COMMAND.exec(command);
    let args = substitute(m?.[2] ?? '');
    if (/mongodb:\/\//.test(args)) {
      const base = mongoTestUri();
      if (!base) skipOrFail(ctx, 'PALISADE_TEST_MONGO_URI is not set (bash scripts/ferretdb.sh start DIR PORT)');
      const db = `readme_${randomBytes(5).toString('hex')}`;
      state.mongoDatabases.push(db);
      const uri = new URL(base);
      uri.pathname = `/${db}`;
      args = args.replace(/'?mongodb:\/\/[^\s']+'?/, `'${uri.href}'`);
    }
    const tls = b.heading === 'Mutual TLS';
    const port = await freePort();
    if (tls) state.tlsPort = port;
    let out = '';
    // The port and data directory come from the environment, which the flags of the command would
    // override and which overrides the file (the TLS example's file says 8443).
    const child = spawn('bash', ['-c', `exec node --import '${tsxLoader}' '${CLI}' serve ${args}`], {
      cwd: tls ? tlsDir : work,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? work,
        PALISADE_PORT: String(port),
        PALISADE_DATA_DIR: join(work, tls ? 'data-tls' : b.heading === 'Running on MongoDB' ? 'data-mongo' : 'data'),
        PALISADE_ADMIN_PASSWORD: state.password,
        PALISADE_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const server: Server = { child, port, output: () => out };
    servers.push(server);
    const base = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = spawnSync('curl', ['-sk', '-o', '/dev/null', '-w', '%{http_code}', `${base}/readyz`], {
        encoding: 'utf8',
      });
      if (r.stdout === '200') break;
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        throw new Error(`\`${command}\` (README line ${b.line}) did not become ready:\n${out.slice(-4000)}`);
      }
      await new Promise((res) => setTimeout(res, 200));
    }
    // Discovery answers the first-start admin: the server serves TAXII, not just its probes.
    const disco = spawnSync(
      'curl',
      ['-sk', '-u', `admin:${state.password}`, '-H', 'Accept: application/taxii+json;version=2.1', `${base}/taxii2/`],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(disco.stdout), `discovery of \`${command}\``).to.have.property('title');
    return server;
  }

  async function stop(s: Server): Promise<void> {
    if (s.child.exitCode !== null || s.child.signalCode !== null) return;
    const exited = new Promise((res) => s.child.once('exit', res));
    s.child.kill('SIGTERM');
    const timer = setTimeout(() => s.child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  }

  const PRELUDE = [
    'set -euo pipefail',
    'palisade() { node --import "$RT_TSX" "$RT_CLI" "$@"; }',
    // Every curl: an HTTP error fails the command (and the block); the status goes to stderr.
    `curl() { command curl --fail-with-body -sS --resolve "taxii.example.gov:$RT_TLS_PORT:127.0.0.1" -w '%{stderr}@@HTTP %{http_code}\\n' "$@"; }`,
    '',
  ].join('\n');

  function runShell(b: Block, script: string): { stdout: string; statuses: string[] } {
    const r = spawnSync('bash', ['-c', PRELUDE + script], {
      cwd: b.heading === 'Mutual TLS' ? tlsDir : work,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? work,
        USER: process.env.USER ?? 'readme-test',
        PALISADE_LOG_LEVEL: 'warn',
        RT_TSX: tsxLoader,
        RT_CLI: CLI,
        RT_TLS_PORT: String(state.tlsPort),
      },
      // --password-stdin reads the new password, as typed at the prompt
      input: `${state.newPassword}\n`,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const statuses = [...r.stderr.matchAll(/@@HTTP (\d+)/g)].map((m) => m[1] as string);
    expect(
      r.status,
      `README line ${b.line} (${b.heading}):\n${script}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    ).to.equal(0);
    return { stdout: r.stdout, statuses };
  }

  for (const b of blocks) {
    it(`${b.lang} block of "${b.heading}" (README line ${b.line})`, async function () {
      if (b.lang === 'python') {
        const python = venvPython();
        if (!python) skipOrFail(this, 'no Python venv with taxii2-client (PALISADE_PYTHON, scripts/python-env.sh)');
        expect(state.main, 'a server started by an earlier block').to.not.equal(undefined);
        const file = join(work, `readme-${b.line}.py`);
        writeFileSync(file, substitute(b.code));
        const r = spawnSync(python, [file], { cwd: work, encoding: 'utf8', timeout: 60_000 });
        expect(r.status, `${r.stdout}\n${r.stderr}`).to.equal(0);
        expect(r.stdout).to.match(/^complete 1 of 1$/m);
        return;
      }

      // Split into what runs, what starts a server and what is not run.
      const kept: string[] = [];
      const serverCommands: string[] = [];
      for (const line of logicalLines(b.code)) {
        const parts = line.split(/\s+&&\s+/);
        const runnable = parts.filter((p) => {
          const skip = Object.keys(NOT_RUN).find((c) => p === c || p.startsWith(`${c} `));
          if (skip !== undefined) console.log(`      (not run: \`${p}\`: ${NOT_RUN[skip]})`);
          if (SERVER_COMMAND.test(p)) serverCommands.push(p);
          return skip === undefined && !SERVER_COMMAND.test(p);
        });
        if (runnable.length > 0) kept.push(runnable.join(' && '));
      }
      if (serverCommands.length > 0) {
        expect(kept, 'a block that starts a server holds nothing else to run').to.deep.equal([]);
        expect(serverCommands).to.have.length(1);
        if (b.heading === 'Mutual TLS') {
          // "the configuration, saved as palisade.yaml": the YAML block above this one, whose
          // second fingerprint is a placeholder (any valid one mapped to nobody stands in for it)
          const at = readme.split('\n').slice(0, b.line).join('\n');
          const yaml = [...at.matchAll(/```yaml\n([\s\S]*?)```/g)].pop()?.[1] ?? '';
          expect(yaml).to.include('tls:');
          writeFileSync(
            join(tlsDir, 'palisade.yaml'),
            yaml.replace(/sha256:[0-9A-Fa-f:]*…[0-9A-Fa-f:]*/, `sha256:${'ab'.repeat(32)}`),
          );
          state.tlsPort = 0;
        }
        const server = await startServer(this, b, serverCommands[0] as string);
        if (b.heading === 'Mutual TLS') state.tls = server;
        else if (b.heading === 'Running on MongoDB') await stop(server);
        else state.main ??= server;
        return;
      }

      if (kept.length === 0) {
        // every command of the block is in NOT_RUN: reported as pending, not as a pass
        this.skip();
      }
      const curls = kept.join('\n').match(/(^|[\s;&|(])curl\s/g)?.length ?? 0;
      if (curls > 0) {
        const needed = b.heading === 'Mutual TLS' ? state.tls : state.main;
        expect(needed, 'a server started by an earlier block').to.not.equal(undefined);
      }
      const { stdout, statuses } = runShell(b, substitute(b.code));
      expect(statuses, 'one HTTP status per curl').to.have.length(curls);
      expect(
        statuses.filter((s) => !/^2\d\d$/.test(s)),
        'non-2xx answers',
      ).to.deep.equal([]);
      if (b.code.includes('passwd admin')) {
        // the block signed in with the new password, so the server took it: use it from now on
        state.password = state.newPassword;
      }
      if (b.code.includes('openssl x509 -noout -subject')) {
        // the DN the README maps (users[].certificates) is the one OpenSSL prints
        expect(stdout).to.include('subject=CN=sync,O=ACN');
      }
    });
  }
});
