// `palisade serve` as a real process: first start seeds the demo and prints nothing secret twice;
// bad configuration exits non-zero listing every problem.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DEMO_API_ROOT, DEMO_COLLECTION_ID } from '../../src/bootstrap.js';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../helpers/free-port.js';
import { httpsGet, makePki } from '../helpers/pki.js';
import { TAXII } from '../helpers/test-app.js';

const CLI = join(projectRoot, 'src', 'cli', 'main.ts');

function run(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', PALISADE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}

function exitCode(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

type Running = ChildProcess & { output: () => string };

/**
 * Polls `probe` until it returns a value, backing off from 20 ms to 250 ms between tries. Gives up
 * when `child` has exited (with its output, instead of waiting for nothing) or after `timeoutMs`.
 */
async function until<T>(
  what: string,
  child: Running,
  probe: () => Promise<T | undefined>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 20; ; pause = Math.min(pause * 2, 250)) {
    const value = await probe();
    if (value !== undefined) return value;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what}: the process exited (${child.exitCode ?? child.signalCode}) first:\n${child.output()}`);
    }
    if (Date.now() + pause > deadline) throw new Error(`${what}: not within ${timeoutMs} ms:\n${child.output()}`);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** The first answer of the server at `url`, once it accepts connections. */
function waitFor(child: Running, url: string, headers: Record<string, string>): Promise<Response> {
  return until(`server at ${url}`, child, () => fetch(url, { headers }).catch(() => undefined));
}

describe('palisade serve (CLI)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-cli-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('first start on an empty data dir serves the demo collection; admin password from PALISADE_ADMIN_PASSWORD', async () => {
    const port = await freePort();
    const child = run(['serve', '--port', String(port), '--data-dir', join(dir, 'data')], {
      PALISADE_ADMIN_PASSWORD: 'demo-secret',
    });
    const exited = exitCode(child);
    try {
      const auth = { Authorization: `Basic ${Buffer.from('admin:demo-secret').toString('base64')}`, Accept: TAXII };
      const disc = await waitFor(child, `http://127.0.0.1:${port}/taxii2/`, auth);
      expect(disc.status).to.equal(200);
      expect(disc.headers.get('content-type')).to.equal(TAXII);
      expect(((await disc.json()) as { api_roots: string[] }).api_roots).to.deep.equal([`/${DEMO_API_ROOT}/`]);
      const objs = await fetch(`http://127.0.0.1:${port}/${DEMO_API_ROOT}/collections/${DEMO_COLLECTION_ID}/objects/`, {
        headers: auth,
      });
      const body = (await objs.json()) as { objects: { type: string }[] };
      expect(body.objects).to.have.length(25);
      expect(body.objects.filter((o) => o.type === 'intrusion-set')).to.have.length(4);
      expect(child.output()).not.to.contain('demo-secret');
      const bad = await fetch(`http://127.0.0.1:${port}/taxii2/`, {
        headers: { ...auth, Authorization: 'Basic YWRtaW46bm9wZQ==' },
      });
      expect(bad.status).to.equal(401);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);
  });

  it('prints a generated admin password exactly once, on the first start only', async () => {
    const port = await freePort();
    const args = ['serve', '--port', String(port), '--data-dir', join(dir, 'data')];
    const first = run(args, {});
    const firstExit = exitCode(first);
    let password = '';
    try {
      password = await until(
        'the generated password on standard output',
        first,
        async () => /password: (\S+)\r?\n/.exec(first.output())?.[1],
      );
      expect(password).to.have.length.above(16);
      const res = await waitFor(first, `http://127.0.0.1:${port}/taxii2/`, {
        Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
      });
      expect(res.status).to.equal(200);
    } finally {
      first.kill('SIGTERM');
    }
    expect(await firstExit).to.equal(0);
    const second = run(args, {});
    const secondExit = exitCode(second);
    try {
      const res = await waitFor(second, `http://127.0.0.1:${port}/taxii2/`, {
        Authorization: `Basic ${Buffer.from(`admin:${password}`).toString('base64')}`,
      });
      expect(res.status).to.equal(200);
      expect(second.output()).not.to.contain('password:');
    } finally {
      second.kill('SIGTERM');
    }
    expect(await secondExit).to.equal(0);
  });

  it('exits 2 listing every configuration problem', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'server: { port: -1 }\nusers:\n  - { username: a, password_env: NOPE_NOT_SET }\nbogus: 1\n');
    const child = run(['serve', '--config', file], {});
    const code = await exitCode(child);
    expect(code).to.equal(2);
    expect(child.output()).to.match(/server\.port/);
    expect(child.output()).to.match(/unknown key "bogus"/);
    const env = run(['serve'], { PALISADE_CONFIG: file });
    expect(await exitCode(env)).to.equal(2);
  });

  it('--tls-cert, --tls-key and --tls-ca serve HTTPS; a mapped client certificate authenticates', async () => {
    const pki = makePki();
    const files = { cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem'), ca: join(dir, 'ca.pem') };
    await writeFile(files.cert, pki.server.cert);
    await writeFile(files.key, pki.server.key);
    await writeFile(files.ca, pki.ca.cert);
    const config = join(dir, 'palisade.yaml');
    await writeFile(
      config,
      'users:\n  - { username: ops, password_env: PW_OPS, admin: true }\n' +
        '  - { username: sync, kind: service, certificates: ["CN=sync,O=ACN"] }\n',
    );
    const port = await freePort();
    const args = ['serve', '--config', config, '--port', String(port), '--data-dir', join(dir, 'data')];
    const tls = ['--tls-cert', files.cert, '--tls-key', files.key, '--tls-ca', files.ca];
    const child = run([...args, ...tls], { PW_OPS: 'ops-secret' });
    const exited = exitCode(child);
    try {
      const url = `https://127.0.0.1:${port}/taxii2/`;
      const headers = { Accept: TAXII };
      const disc = await until(`server at ${url}`, child, () =>
        httpsGet(url, { ca: pki.ca.cert, client: pki.byDn, headers }).catch(() => undefined),
      );
      expect(disc.status).to.equal(200);
      expect(disc.headers['content-type']).to.equal(TAXII);
      expect(JSON.parse(disc.body)).to.have.property('title');
      expect((await httpsGet(url, { ca: pki.ca.cert, client: pki.unmapped, headers })).status).to.equal(401);
      expect((await httpsGet(url, { ca: pki.ca.cert, headers })).status).to.equal(401);
      // No plain HTTP on the same port.
      expect(
        await fetch(`http://127.0.0.1:${port}/taxii2/`).then(
          (r) => r.status,
          () => 'refused',
        ),
      ).not.to.equal(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).to.equal(0);

    const missing = run([...args, '--tls-cert', files.cert, '--tls-key', join(dir, 'absent-key.pem')], { PW_OPS: 'x' });
    expect(await exitCode(missing)).to.equal(2);
    expect(missing.output()).to.match(/server\.tls\.key: cannot read .*absent-key\.pem/);
  });

  it('exits 2 on an unknown flag or command, with usage', async () => {
    const child = run(['serve', '--colour'], {});
    expect(await exitCode(child)).to.equal(2);
    expect(child.output()).to.match(/Usage: palisade/);
    const cmd = run(['frobnicate'], {});
    expect(await exitCode(cmd)).to.equal(2);
  });
});
