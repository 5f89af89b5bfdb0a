// Authentication: RFC 7617 Basic (exact scheme, colons in passwords), API tokens as Bearer and
// Token, immediate effect of revocation, removal and password changes, throttled failures, and
// failure logs that name the account and address but never the secret.
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino, type Logger } from 'pino';
import { hashPassword } from '../../src/auth/passwords.js';
import { issueToken } from '../../src/auth/tokens.js';
import { envelope, indicator } from '../fixtures/builders.js';
import { TAXII, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

const COLLECTION = '5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12';
const OPS: TestUser = { name: 'ops', password: 'pw:with:colons:' };
const DE: TestUser = { name: 'de-analyst', password: 'de-pw' };

const config = (limit: number, windowSeconds = 60) => `
auth: { failure_limit: ${limit}, failure_window_seconds: ${windowSeconds} }
tenants: [ { id: de-bsi, name: Germany }, { id: it-acn, name: Italy } ]
users:
  - { username: ops, role: platform-admin, password_env: PW_OPS }
  - { username: de-analyst, tenant: de-bsi, password_env: PW_DE }
  - { username: it-sync, kind: service, tenant: it-acn }
api_roots:
  - path: eu
    title: EU
    collections:
      - id: ${COLLECTION}
        title: Shared
        grants: [ { tenant: de-bsi, read: true, write: true }, { tenant: it-acn, read: true } ]
`;
const ENV = { PW_OPS: OPS.password, PW_DE: DE.password };
const discovery = (app: TestApp, authorization: string) =>
  app.http.get('/taxii2/').set('Accept', TAXII).set('Authorization', authorization);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function capture(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    log: pino({ level: 'warn' }, sink),
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('Authentication', function () {
  this.timeout(60_000);
  let app: TestApp;
  const logs = capture();
  before(async () => {
    app = await startTestApp({ config: config(1000), env: ENV, log: logs.log });
  });
  after(async () => app.close());

  describe('HTTP Basic (RFC 7617)', () => {
    it('takes the password as everything after the first colon', async () => {
      await discovery(app, basic(OPS.name, OPS.password)).expect(200);
      await discovery(app, basic(OPS.name, 'pw')).expect(401);
      await discovery(app, basic(OPS.name, 'pw:with')).expect(401);
    });

    it('matches the scheme exactly, in any case, and refuses anything else', async () => {
      const token = Buffer.from(`${DE.name}:${DE.password}`).toString('base64');
      for (const scheme of ['Basic', 'basic', 'BASIC']) await discovery(app, `${scheme} ${token}`).expect(200);
      for (const header of [
        `XBasic ${token}`,
        `Basics ${token}`,
        `Basic`,
        `Basic ${token} extra`,
        'Basic !!!notbase64',
        basic('', 'x'),
        basic('nocolon', '').slice(0, -4),
      ]) {
        const res = await discovery(app, header);
        expect(res.status, header).to.equal(401);
        expect(res.body.error_code).to.equal('unauthenticated');
      }
    });

    it('stops accepting a password the moment it is changed or the account is removed', async () => {
      await discovery(app, basic(DE.name, DE.password)).expect(200);
      const user = await app.container.store.identity.getUser(DE.name);
      await app.container.store.identity.putUser({
        ...(user as NonNullable<typeof user>),
        passwordHash: await hashPassword('new-pw'),
      });
      await discovery(app, basic(DE.name, DE.password)).expect(401);
      await discovery(app, basic(DE.name, 'new-pw')).expect(200);
      await app.container.store.identity.putUser({ ...(user as NonNullable<typeof user>) });
      await discovery(app, basic(DE.name, DE.password)).expect(200);
    });

    it('logs each failure with the account and address, never the password', async () => {
      await discovery(app, basic(DE.name, 'secret-guess-123')).expect(401);
      const line = logs.lines().find((l) => l.msg === 'authentication failed' && l.account === DE.name);
      expect(line).to.include({ method: 'basic', reason: 'wrong password' });
      expect(line?.address).to.be.a('string');
      expect(JSON.stringify(logs.lines())).to.not.contain('secret-guess-123');
    });
  });

  describe('API tokens', () => {
    const issue = async (username: string, over: { expiresAt?: number; revokedAt?: number } = {}) => {
      const t = issueToken();
      await app.container.store.identity.putToken({
        id: t.id,
        username,
        secretHash: t.secretHash,
        label: 'test',
        createdAt: Date.now() * 1000,
        ...over,
      });
      return t;
    };

    it('accepts a token as Bearer and as Token, with the rights of its account’s tenant', async () => {
      const t = await issue('it-sync');
      for (const scheme of ['Bearer', 'Token', 'bearer']) {
        const res = await app.http
          .get(`/eu/collections/${COLLECTION}/`)
          .set('Accept', TAXII)
          .set('Authorization', `${scheme} ${t.token}`);
        expect(res.status, scheme).to.equal(200);
        expect(res.body).to.include({ can_read: true, can_write: false });
      }
      const post = await app.http
        .post(`/eu/collections/${COLLECTION}/objects/`)
        .set('Accept', TAXII)
        .set('Content-Type', TAXII)
        .set('Authorization', `Token ${t.token}`)
        .send(JSON.stringify(envelope(indicator('by-token'))));
      expect(post.status).to.equal(403);
    });

    it('stores only a hash of the secret', async () => {
      const t = await issue('it-sync');
      const stored = await app.container.store.identity.getToken(t.id);
      // The secret is base64url and may itself hold '_': take all of it after the id.
      const secret = t.token.slice(`pal_${t.id}_`.length);
      expect(secret).to.have.length(43);
      expect(JSON.stringify(stored)).to.not.contain(secret);
    });

    it('refuses a revoked, expired, altered or unknown token, and one whose account is gone, at once', async () => {
      const now = Date.now() * 1000;
      const revoked = await issue('it-sync', { revokedAt: now - 1 });
      const expired = await issue('it-sync', { expiresAt: now - 1 });
      const future = await issue('it-sync', { expiresAt: now + 3_600_000_000 });
      await discovery(app, `Bearer ${future.token}`).expect(200);
      await discovery(app, `Bearer ${revoked.token}`).expect(401);
      await discovery(app, `Bearer ${expired.token}`).expect(401);
      await discovery(app, `Bearer ${future.token.slice(0, -1)}${future.token.endsWith('A') ? 'B' : 'A'}`).expect(401);
      await discovery(app, `Bearer pal_0000000000000000_${'A'.repeat(43)}`).expect(401);
      await discovery(app, 'Bearer not-a-token').expect(401);
      // Revoking works on the next request: nothing is cached.
      const record = await app.container.store.identity.getToken(future.id);
      await app.container.store.identity.putToken({
        ...(record as NonNullable<typeof record>),
        revokedAt: Date.now() * 1000,
      });
      await discovery(app, `Bearer ${future.token}`).expect(401);
      const live = await issue('it-sync');
      await discovery(app, `Token ${live.token}`).expect(200);
      const account = await app.container.store.identity.getUser('it-sync');
      await app.container.store.identity.deleteUser('it-sync');
      await discovery(app, `Token ${live.token}`).expect(401);
      await app.container.store.identity.putUser(account as NonNullable<typeof account>);
    });

    it('gives service accounts no password to sign in with', async () => {
      await discovery(app, basic('it-sync', '')).expect(401);
      await discovery(app, basic('it-sync', 'anything')).expect(401);
    });
  });
});

describe('Authentication throttling', function () {
  this.timeout(60_000);

  it('answers 429 with Retry-After after too many failures from an address, even to the right password, then recovers', async () => {
    const app = await startTestApp({ config: config(3, 2), env: ENV });
    try {
      for (let i = 0; i < 3; i++) await discovery(app, basic(DE.name, `wrong-${i}`)).expect(401);
      const blocked = await discovery(app, basic(DE.name, DE.password));
      expect(blocked.status).to.equal(429);
      expect(blocked.headers['content-type']).to.equal(TAXII);
      expect(blocked.body).to.include({ error_code: 'too-many-requests', http_status: '429' });
      const retry = Number(blocked.headers['retry-after']);
      expect(retry).to.be.within(1, 2);
      // Another account from the same address is held back too (per-address limit).
      expect((await discovery(app, basic(OPS.name, OPS.password))).status).to.equal(429);
      // After the window, the right password works again.
      const deadline = Date.now() + 10_000;
      let status = 429;
      while (status === 429 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 250));
        status = (await discovery(app, basic(DE.name, DE.password))).status;
      }
      expect(status).to.equal(200);
    } finally {
      await app.close();
    }
  });
});
