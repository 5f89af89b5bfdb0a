// Connection and request limits (server.limits) against real servers started by startServer on
// 127.0.0.1, driven through raw sockets: header, body and idle timeouts, the connection cap, the
// per-account concurrency cap and rate limit (429 + Retry-After), and 413 closing the connection.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/load-config.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { envelope, indicator } from '../fixtures/builders.js';
import { makePki } from '../helpers/pki.js';
import { ADMIN, ANALYST, C1, NOBODY, READER, TAXII, TEST_CONFIG, WRITER, type TestUser } from '../helpers/test-app.js';

const SMALL_COLLECTION = '0b5f3a4c-7d21-4e8f-9a6b-1c2d3e4f5a6b';

/**
 * Fewer accounts than TEST_CONFIG, for servers that need only these (each account costs a password
 * hash at start); the first is a platform admin, so that no admin account is generated.
 */
const config = (...users: TestUser[]): string => `
api_roots:
  - path: eu
    title: EU threat sharing
    collections:
      - id: ${C1}
        title: State-linked intrusion sets
        grants:
${users.map((u) => `          - { user: ${u.name}, read: true, write: true }`).join('\n')}
users:
${users.map((u, i) => `  - { username: ${u.name}, password_env: ${ENV_OF.get(u)}${i === 0 ? ', admin: true' : ''} }`).join('\n')}
`;
const ENV_OF = new Map<TestUser, string>([
  [ADMIN, 'T_ADMIN'],
  [ANALYST, 'T_ANALYST'],
  [READER, 'T_READER'],
  [WRITER, 'T_WRITER'],
  [NOBODY, 'T_NOBODY'],
]);

interface Limited {
  /** the configuration file and the data directory (data/) live here */
  dir: string;
  running: RunningServer;
  port: number;
  /** the warn lines the server logged, parsed */
  warnings: Record<string, unknown>[];
  stop(): Promise<void>;
}

/** A real server (startServer, as `palisade serve`) on a free port with these server.limits. */
async function startLimited(
  limits: Record<string, unknown>,
  rest: string,
  tls?: { cert: string; key: string },
): Promise<Limited> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-limits-'));
  const file = join(dir, 'palisade.yaml');
  let tlsSection = '';
  if (tls) {
    await writeFile(join(dir, 'cert.pem'), tls.cert);
    await writeFile(join(dir, 'key.pem'), tls.key);
    tlsSection = ', tls: { cert: cert.pem, key: key.pem }';
  }
  await writeFile(
    file,
    `server: { host: 127.0.0.1, port: 0${tlsSection}, limits: ${JSON.stringify(limits)} }\n${rest}`,
  );
  const cfg = loadConfig(
    {
      T_ADMIN: ADMIN.password,
      T_ANALYST: ANALYST.password,
      T_READER: READER.password,
      T_WRITER: WRITER.password,
      T_NOBODY: NOBODY.password,
    },
    { configFile: file, dataDir: join(dir, 'data') },
  );
  const warnings: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'warn' },
    { write: (line: string) => warnings.push(JSON.parse(line) as Record<string, unknown>) },
  );
  const running = await startServer(cfg, { log });
  const port = (running.server.address() as { port: number }).port;
  return {
    dir,
    running,
    port,
    warnings,
    stop: async () => {
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const basic = (u: TestUser): string => `Basic ${Buffer.from(`${u.name}:${u.password}`).toString('base64')}`;

/** A raw TCP connection that records what it receives and when it was closed. */
interface Raw {
  socket: Socket;
  received(): string;
  closed: Promise<number>;
  isClosed(): boolean;
}

async function open(port: number): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  let data = '';
  let closedAt: number | undefined;
  const opened = Date.now();
  socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
  socket.on('error', () => undefined); // resets from the server are expected here
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => {
      closedAt = Date.now();
      resolve(closedAt - opened);
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, received: () => data, closed, isClosed: () => closedAt !== undefined };
}

/** Resolves with `p`'s value, or fails the test after `ms`. */
async function within<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms)),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` (backing off from 10 to 100 ms) until it returns true, for `ms` at most. */
async function until(what: string, probe: () => boolean | Promise<boolean>, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (let pause = 10; !(await probe()); pause = Math.min(pause * 2, 100)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, pause));
  }
}

/**
 * An add-objects POST whose headers are sent with `Expect: 100-continue` and whose body never
 * comes: once the server answers 100 Continue (RFC 9110 §10.1.1) it has dispatched the request,
 * which then waits in the body read, holding its slot.
 */
async function stalledPost(port: number, user: TestUser, path = `/eu/collections/${C1}/objects/`): Promise<Raw> {
  const raw = await open(port);
  raw.socket.write(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic(user)}\r\nAccept: ${TAXII}\r\n` +
      `Content-Type: ${TAXII}\r\nContent-Length: 1000\r\nExpect: 100-continue\r\n\r\n{"objects":[`,
  );
  await until('100 Continue', () => raw.received().includes('100 Continue'));
  return raw;
}

const get = (port: number, path: string, user: TestUser, accept = TAXII): Promise<Response> =>
  fetch(`http://127.0.0.1:${port}${path}`, { headers: { Authorization: basic(user), Accept: accept } });

describe('connection and request limits (server.limits)', function () {
  this.timeout(20_000);

  describe('timeouts', () => {
    let srv: Limited;
    before(async () => {
      srv = await startLimited(
        {
          headers_timeout_ms: 300,
          request_timeout_ms: 800,
          keep_alive_timeout_ms: 300,
          idle_timeout_ms: 1_500,
          max_header_size: 2_048,
        },
        config(ANALYST),
      );
    });
    after(async () => srv.stop());

    it('cuts headers trickled past headers_timeout_ms with 408 and closes the connection', async () => {
      const raw = await open(srv.port);
      raw.socket.write('GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const trickle = setInterval(() => raw.socket.writable && raw.socket.write('X-Slow: a\r\n'), 50);
      try {
        const after = await within('server closing the slow-header connection', raw.closed, 2_000);
        expect(after).to.be.at.least(250);
        expect(raw.received()).to.match(/^HTTP\/1\.1 408 /);
      } finally {
        clearInterval(trickle);
      }
    });

    it('closes a connection that sends nothing within headers_timeout_ms', async () => {
      const raw = await open(srv.port);
      expect(await within('server closing the silent connection', raw.closed, 2_000)).to.be.at.least(250);
    });

    it('cuts a body trickled past request_timeout_ms with 408 and closes the connection', async () => {
      const raw = await open(srv.port);
      raw.socket.write(
        `POST /eu/collections/${C1}/objects/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${basic(ANALYST)}\r\n` +
          `Accept: ${TAXII}\r\nContent-Type: ${TAXII}\r\nContent-Length: 100000\r\n\r\n{"objects":[`,
      );
      const trickle = setInterval(() => raw.socket.writable && raw.socket.write('          '), 50);
      try {
        const after = await within('server closing the trickled body', raw.closed, 3_000);
        expect(after).to.be.at.least(700);
        expect(raw.received()).to.match(/^HTTP\/1\.1 408 /);
      } finally {
        clearInterval(trickle);
      }
    });

    it('answers 431 to a header section over max_header_size and closes the connection', async () => {
      const raw = await open(srv.port);
      raw.socket.write(`GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(3_000)}\r\n\r\n`);
      await within('server closing the connection', raw.closed, 2_000);
      expect(raw.received()).to.match(/^HTTP\/1\.1 431 /);
    });

    it('keeps a connection whose answer waits on the store longer than idle_timeout_ms, and answers', async () => {
      // Another process holds the database's write lock (as a CLI import beside the server can):
      // the add-objects request waits on SQLite's busy timeout, silent in both directions.
      const db = new Database(join(srv.dir, 'data', 'palisade.db'));
      db.exec('BEGIN IMMEDIATE');
      const t0 = Date.now();
      const release = setTimeout(() => db.exec('COMMIT'), 2_500);
      try {
        const res = await fetch(`http://127.0.0.1:${srv.port}/eu/collections/${C1}/objects/`, {
          method: 'POST',
          headers: { Authorization: basic(ANALYST), Accept: TAXII, 'Content-Type': TAXII },
          body: JSON.stringify(envelope(indicator('held', '2024-01-01T00:00:00.000Z'))),
        });
        expect(res.status).to.equal(202);
        expect(Date.now() - t0, 'the answer waited past the idle timeout').to.be.above(1_500);
      } finally {
        clearTimeout(release);
        if (db.inTransaction) db.exec('COMMIT');
        db.close();
      }
    });

    it('closes an idle keep-alive connection after keep_alive_timeout_ms', async () => {
      const raw = await open(srv.port);
      raw.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await until('the health answer', () => raw.received().includes('"ok"'));
      const answeredAt = Date.now();
      await within('server closing the idle keep-alive connection', raw.closed, 3_000);
      expect(raw.received()).to.match(/^HTTP\/1\.1 200 /);
      expect(raw.received()).to.match(/\r\nConnection: keep-alive\r\n/i);
      // Node waits one second beyond the announced timeout, for a request already on its way.
      expect(Date.now() - answeredAt).to.be.below(300 + 1_000 + 700);
    });
  });

  describe('over TLS', () => {
    let srv: Limited;
    let ca: string;
    before(async () => {
      const pki = makePki();
      ca = pki.ca.cert;
      srv = await startLimited({ headers_timeout_ms: 300, request_timeout_ms: 800 }, config(ANALYST), pki.server);
    });
    after(async () => srv.stop());

    it('closes a connection that never completes the TLS handshake within headers_timeout_ms', async () => {
      const raw = await open(srv.port);
      expect(await within('server closing the handshake-less connection', raw.closed, 2_000)).to.be.at.least(250);
    });

    it('cuts headers trickled past headers_timeout_ms after the handshake with 408', async () => {
      const socket = tlsConnect({ host: '127.0.0.1', port: srv.port, ca, servername: 'localhost' });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      socket.write('GET /taxii2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const trickle = setInterval(() => socket.writable && socket.write('X-Slow: a\r\n'), 50);
      try {
        await within('server closing the slow TLS request', closed, 2_000);
        expect(data).to.match(/^HTTP\/1\.1 408 /);
      } finally {
        clearInterval(trickle);
      }
    });
  });

  describe('max_connections', () => {
    let srv: Limited;
    before(async () => {
      srv = await startLimited({ max_connections: 4, headers_timeout_ms: 5_000 }, config(ANALYST));
    });
    after(async () => srv.stop());

    const connections = (): Promise<number> =>
      new Promise((resolve, reject) => srv.running.server.getConnections((err, n) => (err ? reject(err) : resolve(n))));

    it('closes connections beyond the cap at once; the server serves again when connections go', async () => {
      const kept: Raw[] = [];
      for (let i = 0; i < 4; i++) kept.push(await open(srv.port));
      await until('the server holding 4 connections', async () => (await connections()) === 4);
      const extra: Raw[] = [];
      for (let i = 0; i < 3; i++) extra.push(await open(srv.port));
      await within('the 3 extra connections closed', Promise.all(extra.map((r) => r.closed)), 1_500);
      expect(kept.map((r) => r.isClosed())).to.deep.equal([false, false, false, false]);
      expect(srv.warnings.some((w) => /connection limit reached/.test(String(w.msg)))).to.equal(true);

      for (const r of kept) r.socket.destroy();
      await until('the server holding no connection', async () => (await connections()) === 0);
      const res = await get(srv.port, '/taxii2/', ANALYST);
      expect(res.status).to.equal(200);
    });
  });

  describe('max_concurrent_requests_per_principal, and 413', () => {
    let srv: Limited;
    before(async () => {
      srv = await startLimited({ max_concurrent_requests_per_principal: 2 }, TEST_CONFIG);
    });
    after(async () => srv.stop());

    it('answers the request beyond the cap 429 with Retry-After and a TAXII error; other accounts are unaffected', async () => {
      const held = [await stalledPost(srv.port, ANALYST), await stalledPost(srv.port, ANALYST)];
      let refused: Response | undefined;
      // The held requests take their slots once their authentication is done.
      await until('a 429 for the third request', async () => {
        const res = await get(srv.port, '/taxii2/', ANALYST);
        if (res.status === 429) refused = res;
        else await res.arrayBuffer();
        return res.status === 429;
      });
      const res = refused as Response;
      expect(res.headers.get('retry-after')).to.equal('1');
      expect(res.headers.get('content-type')).to.equal(TAXII);
      const body = (await res.json()) as { http_status?: string; error_code?: string; description?: string };
      expect(body).to.include({ http_status: '429', error_code: 'too-many-requests' });
      expect(body.description).to.match(/at most 2/);

      const other = await get(srv.port, '/taxii2/', READER);
      expect(other.status).to.equal(200);
      await other.arrayBuffer();
      // The admin API counts against the same cap and answers in its own format.
      const admin = [await stalledPost(srv.port, ADMIN), await stalledPost(srv.port, ADMIN)];
      await until('a 429 from the admin API', async () => {
        const r = await get(srv.port, '/admin/tenants', ADMIN, 'application/json');
        await r.arrayBuffer();
        return (
          r.status === 429 &&
          r.headers.get('content-type') === 'application/problem+json' &&
          r.headers.has('retry-after')
        );
      });
      // Healthz and readyz are never limited.
      expect((await fetch(`http://127.0.0.1:${srv.port}/readyz`)).status).to.equal(200);

      // A finished (here: abandoned) request frees its slot.
      held[0]?.socket.destroy();
      await until('the analyst served again', async () => {
        const r = await get(srv.port, '/taxii2/', ANALYST);
        await r.arrayBuffer();
        return r.status === 200;
      });
      for (const r of [...held, ...admin]) r.socket.destroy();
      const warned = srv.warnings.filter((w) => w.msg === 'request limit reached: answering 429');
      expect(warned.map((w) => [w.principal, w.limit])).to.deep.include(['analyst-de', 'concurrency']);
    });
    it('a request whose client went away during authentication gives its slot back', async () => {
      // Each connection sends a request and is gone before the answer, usually while the password
      // is still being checked: 40 of them would hold every slot forever if a slot were kept.
      for (let round = 0; round < 3; round++) {
        await Promise.all(
          Array.from(
            { length: 40 },
            () =>
              new Promise<void>((done) => {
                const s = connect(srv.port, '127.0.0.1', () => {
                  s.write(
                    `GET /taxii2/ HTTP/1.1\r\nHost: x\r\nAccept: ${TAXII}\r\nAuthorization: ${basic(ANALYST)}\r\n\r\n`,
                  );
                  setImmediate(() => {
                    s.destroy();
                    done();
                  });
                });
              }),
          ),
        );
      }
      await until('the analyst served again', async () => {
        const r = await get(srv.port, '/taxii2/', ANALYST);
        await r.arrayBuffer();
        return r.status === 200;
      });
    });

    it('answers 413 to a body declared over max_content_length with Connection: close, and closes the connection', async () => {
      const raw = await open(srv.port);
      // The small API root takes 2000 bytes; the body is sent whole, as a patient client would.
      const body = `{"objects":[${' '.repeat(5000)}]}`;
      raw.socket.write(
        `POST /small/collections/${SMALL_COLLECTION}/objects/ HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          `Authorization: ${basic(ANALYST)}\r\nAccept: ${TAXII}\r\nContent-Type: ${TAXII}\r\n` +
          `Content-Length: ${body.length}\r\n\r\n${body}`,
      );
      await until('the 413 answer', () => /\r\n\r\n\{.*\}$/s.test(raw.received()));
      const answeredAt = Date.now();
      // Without the close, this connection would stay open for the keep-alive timeout (5 s here).
      await within('server closing the connection after 413', raw.closed, 2_500);
      expect(Date.now() - answeredAt).to.be.below(2_500);
      const text = raw.received();
      expect(text).to.match(/^HTTP\/1\.1 413 /);
      expect(text).to.match(/\r\nconnection: close\r\n/i);
      expect(text).to.match(new RegExp(`\\r\\ncontent-type: ${TAXII.replace(/[+.]/g, '\\$&')}\\r\\n`, 'i'));
      const resource = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { http_status?: string };
      expect(resource.http_status).to.equal('413');
    });
  });

  describe('rate_limit', () => {
    let srv: Limited;
    before(async () => {
      srv = await startLimited({ rate_limit: { requests_per_second: 2, burst: 5 } }, config(WRITER, READER));
    });
    after(async () => srv.stop());

    it('answers 429 with Retry-After once the bucket is empty, logs once per account and minute, and recovers', async () => {
      let refused: Response | undefined;
      let served = 0;
      for (let i = 0; i < 30 && refused === undefined; i++) {
        const res = await get(srv.port, '/taxii2/', WRITER);
        if (res.status === 429) refused = res;
        else {
          expect(res.status).to.equal(200);
          served++;
          await res.arrayBuffer();
        }
      }
      expect(refused, 'a 429 within 30 requests').not.to.equal(undefined);
      expect(served).to.be.at.least(5);
      const res = refused as Response;
      const retryAfter = Number(res.headers.get('retry-after'));
      expect(retryAfter).to.be.within(1, 2);
      const body = (await res.json()) as { http_status?: string; description?: string };
      expect(body.http_status).to.equal('429');
      expect(body.description).to.match(/2 requests per second/);
      // The other accounts have their own buckets.
      expect((await get(srv.port, '/taxii2/', READER)).status).to.equal(200);

      const again = await get(srv.port, '/taxii2/', WRITER);
      expect(again.status).to.equal(429);
      await again.arrayBuffer();
      const lines = srv.warnings.filter((w) => w.msg === 'request limit reached: answering 429');
      expect(lines).to.have.length(1);
      expect(lines[0]).to.include({ principal: 'writer-nl', limit: 'rate', refused: 1 });

      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      const later = await get(srv.port, '/taxii2/', WRITER);
      expect(later.status).to.equal(200);
    });
  });
});
