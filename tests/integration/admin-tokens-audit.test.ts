// API tokens issued through the admin API work for TAXII as `Bearer` and `Token` and stop working
// the moment they are revoked or expire; the token is shown once and stored as a hash. Every admin
// change is on record, and GET /admin/audit filters by actor, tenant, collection, action and time
// and pages by keyset without skipping or repeating a record. Never a password or token on record.
import { expect } from 'chai';
import { formatMicros } from '../../src/stix/timestamps.js';
import { TAXII, startTestApp, type TestApp } from '../helpers/test-app.js';
import { ADMIN_CONFIG, ADMIN_ENV, DE_ADMIN, EU_WIDE, OPS, adminClient, type AdminClient } from './admin-fixtures.js';

interface AuditView {
  id: string;
  at: string;
  action: string;
  outcome: string;
  actor?: string;
  tenant?: string;
  request_id?: string;
  collection_id?: string;
  target?: string;
  detail?: Record<string, unknown>;
}

describe('Admin API: tokens and the audit trail', function () {
  this.timeout(60_000);
  let app: TestApp;
  let api: AdminClient;
  const secrets: string[] = ['sync-password-1', 'changed-password-2'];
  before(async () => {
    app = await startTestApp({ config: ADMIN_CONFIG, env: ADMIN_ENV });
    api = adminClient(app);
  });
  after(async () => app.close());

  const bearer = (token: string, scheme = 'Bearer') =>
    app.http.get('/eu/collections/').set('Accept', TAXII).set('Authorization', `${scheme} ${token}`);

  it('a token issued here works for TAXII as Bearer and Token, and stops working once revoked', async () => {
    await api.post('/admin/users', { username: 'de-sync', kind: 'service', tenant: 'de-bsi' }).expect(201);
    const issued = await api
      .post('/admin/users/de-sync/tokens', { label: 'nightly sync', expires_at: '2999-01-01T00:00:00Z' })
      .expect(201);
    const token = issued.body.token as string;
    secrets.push(token);
    expect(token).to.match(/^pal_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(issued.body).to.deep.include({
      username: 'de-sync',
      label: 'nightly sync',
      expires_at: '2999-01-01T00:00:00.000000Z',
    });
    expect(issued.body.created_at).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const stored = await app.container.store.identity.getToken(issued.body.id as string);
    expect(stored?.secretHash).to.be.a('string').and.not.include(token.slice(22));

    const ok = await bearer(token).expect(200);
    expect((ok.body.collections as { id: string }[]).map((c) => c.id)).to.deep.equal([EU_WIDE]);
    await bearer(token, 'Token').expect(200);

    const listed = await api.get('/admin/users/de-sync/tokens').expect(200);
    const shown: Record<string, unknown> = { ...issued.body };
    delete shown.token;
    expect(listed.body.tokens).to.deep.equal([shown]);
    expect(listed.text).to.not.include(token.slice(22));

    await api.del(`/admin/users/de-sync/tokens/${issued.body.id as string}`).expect(204);
    await bearer(token).expect(401);
    const after = (await api.get('/admin/users/de-sync/tokens').expect(200)).body.tokens as { revoked_at?: string }[];
    expect(after[0]?.revoked_at).to.match(/Z$/);
    // Revoking again changes nothing; an unknown id is a 404.
    await api.del(`/admin/users/de-sync/tokens/${issued.body.id as string}`).expect(204);
    await api.del('/admin/users/de-sync/tokens/ffffffffffffffff').expect(404);
  });

  it('refuses an expiry in the past; deleting the account ends its tokens', async () => {
    const past = await api.post('/admin/users/de-sync/tokens', { expires_at: '2001-01-01T00:00:00Z' }).expect(400);
    expect(past.body.details.problems).to.deep.equal(['expires_at: must lie in the future']);
    await api.post('/admin/users/de-sync/tokens', { expires_at: 'tomorrow' }).expect(400);
    const t = (await api.post('/admin/users/de-sync/tokens', {}).expect(201)).body.token as string;
    secrets.push(t);
    await bearer(t).expect(200);
    await api.del('/admin/users/de-sync').expect(204);
    await bearer(t).expect(401);
  });

  it('records every admin change with actor, tenant, request id and target, never a secret', async () => {
    await api.post('/admin/users', { username: 'de-op', password: 'sync-password-1' }, DE_ADMIN).expect(201);
    const changed = await api.patch('/admin/users/de-op', { password: 'changed-password-2' }, DE_ADMIN).expect(200);
    await api
      .put(`/admin/collections/${EU_WIDE}/grants`, { grants: [{ user: 'de-op', read: true }] }, DE_ADMIN)
      .expect(200);
    await api.post('/admin/tenants', { id: 'x-bad', name: 'x' }, DE_ADMIN).expect(403);
    await api.post('/admin/tenants', { id: 'Not Valid' }).expect(400);

    const all = (await api.get('/admin/audit?limit=1000').expect(200)).body.records as AuditView[];
    const update = all.find((r) => r.request_id === changed.headers['x-request-id']);
    expect(update).to.deep.include({
      action: 'admin.update',
      outcome: 'ok',
      actor: 'de-admin',
      tenant: 'de-bsi',
      target: '/admin/users/de-op',
      detail: { changed: ['password'] },
    });
    expect(update?.at).to.match(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
    const grants = all.find((r) => r.target === `/admin/collections/${EU_WIDE}/grants`);
    expect(grants).to.deep.include({
      action: 'admin.update',
      collection_id: EU_WIDE,
      detail: { grants: ['user:de-op:r'] },
    });
    // Refused before the body was read: the target is the list it would have been added to.
    expect(all.find((r) => r.target === '/admin/tenants' && r.outcome === 'denied')).to.deep.include({
      outcome: 'denied',
      detail: { error: 'forbidden' },
    });
    expect(all.find((r) => r.target === '/admin/tenants' && r.outcome === 'failed')).to.deep.include({
      action: 'admin.create',
      actor: 'ops',
      detail: { error: 'invalid-request' },
    });
    const text = JSON.stringify(all);
    for (const secret of secrets) expect(text).to.not.include(secret);
    expect(text).to.not.match(/scrypt\$/);
  });

  it('filters by actor, tenant, collection, action and time range', async () => {
    const query = async (q: string) =>
      (await api.get(`/admin/audit?limit=1000&${q}`).expect(200)).body.records as AuditView[];
    const byActor = await query('actor=de-admin');
    expect(byActor.length).to.be.above(2);
    expect(byActor.every((r) => r.actor === 'de-admin')).to.equal(true);
    expect((await query('tenant=de-bsi')).every((r) => r.tenant === 'de-bsi')).to.equal(true);
    const byCollection = await query(`collection=${EU_WIDE}`);
    expect(byCollection.length).to.be.above(0);
    expect(byCollection.every((r) => r.collection_id === EU_WIDE)).to.equal(true);
    const creates = await query('action=admin.create');
    expect(creates.length).to.be.above(3);
    expect(creates.every((r) => r.action === 'admin.create')).to.equal(true);
    // Other records are there as well: the revoked token presented above.
    const failures = await query('action=auth.failure&actor=de-sync');
    expect(failures.map((r) => r.detail?.reason)).to.include('revoked token');

    const everything = await query('');
    const middle = everything[Math.floor(everything.length / 2)] as AuditView;
    const from = await query(`from=${encodeURIComponent(middle.at)}`);
    const to = await query(`to=${encodeURIComponent(middle.at)}`);
    expect(from.every((r) => r.at >= middle.at)).to.equal(true);
    expect(to.every((r) => r.at < middle.at)).to.equal(true);
    expect(from.length + to.length).to.equal(everything.length);
    const future = formatMicros((Date.now() + 86_400_000) * 1000);
    expect(await query(`from=${future}`)).to.deep.equal([]);
    expect(await query('to=2000-01-01T00:00:00Z')).to.deep.equal([]);

    for (const bad of [
      'from=yesterday',
      'to=2025-13-01T00:00:00Z',
      'action=admin.nothing',
      'limit=0',
      'limit=x',
      'cursor=%20',
      'actor=',
    ]) {
      const res = await api.get(`/admin/audit?${bad}`);
      expect(res.status, bad).to.equal(400);
    }
    await api.get('/admin/audit?action=admin.create&action=admin.update').expect(400);
  });

  it('pages by keyset: limit and cursor walk every record once, in order', async () => {
    const all = (await api.get('/admin/audit?limit=1000&action=admin.create').expect(200)).body as {
      records: AuditView[];
      next?: string;
    };
    expect(all.next).to.equal(undefined);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 100; i++) {
      const url = `/admin/audit?action=admin.create&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await api.get(url).expect(200)).body as { records: AuditView[]; next?: string };
      expect(page.records.length).to.be.at.most(2);
      seen.push(...page.records.map((r) => r.id));
      if (page.next === undefined) break;
      expect(page.next).to.equal(page.records[page.records.length - 1]?.id);
      cursor = page.next;
    }
    expect(seen).to.deep.equal(all.records.map((r) => r.id));
  });

  it('caps a large limit at 1000', async () => {
    const res = await api.get('/admin/audit?limit=5000').expect(200);
    expect((res.body.records as unknown[]).length).to.be.at.most(1000);
  });

  it('the audit trail holds the requests of OPS too', async () => {
    const mine = (await api.get(`/admin/audit?actor=${OPS.name}&action=admin.delete`).expect(200)).body
      .records as AuditView[];
    expect(mine.map((r) => r.target)).to.include('/admin/users/de-sync');
  });
});

describe('Admin API: token expiry', function () {
  this.timeout(60_000);
  let now = Date.UTC(2030, 0, 1) * 1000;
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ config: ADMIN_CONFIG, env: ADMIN_ENV, clock: { nowMicros: () => now } });
  });
  after(async () => app.close());

  it('a token stops working when its expiry passes', async () => {
    const api = adminClient(app);
    await api.post('/admin/users', { username: 'short-lived', kind: 'service', tenant: 'de-bsi' }).expect(201);
    const issued = await api
      .post('/admin/users/short-lived/tokens', { expires_at: '2030-01-01T01:00:00Z' })
      .expect(201);
    const get = () =>
      app.http
        .get('/taxii2/')
        .set('Accept', TAXII)
        .set('Authorization', `Bearer ${issued.body.token as string}`);
    await get().expect(200);
    now += 2 * 3600 * 1_000_000;
    await get().expect(401);
    const listed = (await api.get('/admin/users/short-lived/tokens').expect(200)).body.tokens as object[];
    expect(listed[0]).to.include({ expires_at: '2030-01-01T01:00:00.000000Z' }).and.not.have.property('revoked_at');
  });
});
