// Graceful shutdown: RunningServer.close (in process, through real sockets) and SIGTERM / SIGINT
// to the real `palisade serve` process with a stalled POST open.
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load-config.js';
import { silentLogger } from '../../src/logger.js';
import { startServer } from '../../src/server.js';
import { envelope, indicator } from '../fixtures/builders.js';
import { freePort } from '../helpers/free-port.js';
import { ANALYST, C1, TAXII, type TestUser } from '../helpers/test-app.js';
import { spawnServe, type ServeProcess } from '../helpers/serve-process.js';

const OBJECTS = `/eu/collections/${C1}/objects/`;

const CONFIG = (graceMs: number): string => `
server: { limits: { shutdown_grace_ms: ${graceMs} } }
api_roots:
  - path: eu
    title: EU threat sharing
    collections:
      - id: ${C1}
        title: State-linked intrusion sets
users:
  - { username: ${ANALYST.name}, password_env: T_ANALYST, admin: true }
`;

const basic = (u: TestUser): string => `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`;
const headers = { Authorization: basic(ANALYST), Accept: TAXII };

interface Raw {
  socket: Socket;
  received(): string;
  closed: Promise<void>;
  isClosed(): boolean;
}

async function open(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  let done = false;
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      done = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => data, closed, isClosed: () => done };
}

/** Polls `probe` (backing off from 10 to 200 ms) until it returns true, for `ms` at most. */
async function until(what: string, probe: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let pause = 10; !(await probe()); pause = Math.min(pause * 2, 200)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** An add-objects POST dispatched by the server (100 Continue received) whose body never comes. */
async function stalledPost(port: number): Promise<Raw> {
  const raw = await open(port);
  raw.socket.write(
    `POST ${OBJECTS} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic(ANALYST)}\r\nAccept: ${TAXII}\r\n` +
      `Content-Type: ${TAXII}\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n{"objects":[`,
  );
  await until('100 Continue', () => raw.received().includes('100 Continue'));
  return raw;
}

describe('graceful shutdown', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-shutdown-'));
  });
  afterEach(async () => rm(dir, { recursive: true, force: true }));

  it('close(): idle connections at once, readyz 503 while draining, stalled requests cut at the grace period, callbacks before the store closes', async () => {
    const file = join(dir, 'palisade.yaml');
    await writeFile(file, `${CONFIG(1_000).replace('limits:', 'port: 0, limits:')}`);
    const config = loadConfig({ T_ANALYST: ANALYST.password }, { configFile: file, dataDir: join(dir, 'data') });
    const running = await startServer(config, { log: silentLogger });
    const port = (running.server.address() as { port: number }).port;

    const idle = await open(port);
    idle.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await until('the health answer', () => idle.received().includes('"ok"'));
    const stalled = await stalledPost(port);
    // A request whose headers are still arriving is in progress: its connection is not idle.
    const probe = await open(port);
    probe.socket.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    await new Promise((r) => setTimeout(r, 20)); // lets the server read the partial request

    let calledAt: number | undefined;
    let openAtCallback: number | undefined;
    running.onShutdown(async () => {
      calledAt = Date.now();
      // The HTTP connections are gone before the callbacks run.
      openAtCallback = await new Promise<number>((resolve, reject) =>
        running.server.getConnections((err, n) => (err ? reject(err) : resolve(n))),
      );
    });
    const started = Date.now();
    const closing = running.close();
    expect(running.draining.aborted).to.equal(true);
    expect(running.close()).to.equal(closing);

    await until('the idle keep-alive connection closed', () => idle.isClosed(), 500);
    probe.socket.write('\r\n');
    await until('the readyz answer', () => /\r\n\r\n\{.*\}$/s.test(probe.received()), 2_000);
    expect(probe.received()).to.match(/^HTTP\/1\.1 503 /);
    expect(probe.received()).to.match(/\r\nconnection: close\r\n/i);
    await until('the probe connection closed after its answer', () => probe.isClosed(), 1_000);

    expect(stalled.isClosed()).to.equal(false);
    await closing;
    const took = Date.now() - started;
    expect(took).to.be.within(900, 1_000 + 1_500);
    await until('the stalled connection closed', () => stalled.isClosed(), 1_000);
    expect(calledAt).to.be.a('number');
    expect(openAtCallback).to.equal(0);
  });

  describe('palisade serve', () => {
    function serve(port: number, extraEnv: Record<string, string> = {}): ServeProcess {
      return spawnServe({
        config: join(dir, 'palisade.yaml'),
        dataDir: join(dir, 'data'),
        port,
        logLevel: 'info',
        env: { T_ANALYST: ANALYST.password, ...extraEnv },
      });
    }

    const exited = (child: ChildProcess): Promise<number | null> =>
      child.exitCode !== null
        ? Promise.resolve(child.exitCode)
        : new Promise((resolve) => child.once('exit', (code) => resolve(code)));

    async function up(child: ChildProcess & { output: () => string }, port: number): Promise<void> {
      await until(
        'the server answering',
        async () => {
          if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}:\n${child.output()}`);
          const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
          return res?.status === 200;
        },
        20_000,
      );
    }

    it('SIGTERM with a stalled POST open exits 0 within the grace period; the store is intact', async () => {
      await writeFile(join(dir, 'palisade.yaml'), CONFIG(1_000));
      const port = await freePort();
      const child = serve(port);
      const exit = exited(child);
      try {
        await up(child, port);
        const ind = indicator('shutdown-1');
        const posted = await fetch(`http://127.0.0.1:${port}${OBJECTS}`, {
          method: 'POST',
          headers: { ...headers, 'Content-Type': TAXII },
          body: JSON.stringify(envelope(ind)),
        });
        expect(posted.status).to.equal(202);
        await until('the object stored', async () => {
          const res = await fetch(`http://127.0.0.1:${port}${OBJECTS}${ind.id}/`, { headers });
          await res.arrayBuffer();
          return res.status === 200;
        });

        const stalled = await stalledPost(port);
        const signalled = Date.now();
        child.kill('SIGTERM');
        const code = await Promise.race([
          exit,
          new Promise((r) => setTimeout(() => r('still running'), 1_000 + 2_000)),
        ]);
        expect(code, child.output()).to.equal(0);
        expect(Date.now() - signalled).to.be.below(1_000 + 2_000);
        await until('the stalled connection closed', () => stalled.isClosed(), 1_000);
        expect(child.output()).to.match(/shutdown grace period over/);
        expect(child.output()).to.match(/Palisade has stopped/);

        // The same store, opened again by a server in this process.
        const config = loadConfig(
          { T_ANALYST: ANALYST.password },
          { configFile: join(dir, 'palisade.yaml'), dataDir: join(dir, 'data'), port: '0' },
        );
        const again = await startServer(config, { log: silentLogger });
        try {
          const res = await fetch(`${again.url}${OBJECTS}${ind.id}/`, { headers });
          expect(res.status).to.equal(200);
          expect(((await res.json()) as { objects: { id: string }[] }).objects.map((o) => o.id)).to.deep.equal([
            ind.id,
          ]);
        } finally {
          await again.close();
        }
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });

    it('a second signal during the drain exits at once', async () => {
      await writeFile(join(dir, 'palisade.yaml'), CONFIG(60_000));
      const port = await freePort();
      const child = serve(port);
      const exit = exited(child);
      try {
        await up(child, port);
        await stalledPost(port);
        child.kill('SIGTERM');
        await until('the drain started', () => /letting requests finish/.test(child.output()));
        const signalled = Date.now();
        child.kill('SIGINT');
        expect(await exit).to.equal(130);
        expect(Date.now() - signalled).to.be.below(2_000);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    });
  });
});
