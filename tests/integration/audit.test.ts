// Every access is on record: reads (with what they returned), writes, deletes, status reads,
// refusals and authentication failures, with actor, tenant, address and request id; never a secret.
import { expect } from 'chai';
import type { AuditRecord } from '../../src/store/store.js';
import { envelope, indicator } from '../fixtures/builders.js';
import { TAXII, startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

const C = '5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12';
const HIDDEN = '7d2e3f4a-1b2c-4d3e-8f4a-5b6c7d8e9f01';
const DE: TestUser = { name: 'de-analyst', password: 'de-pw' };
const CONFIG = `
auth: { failure_limit: 1000 }
tenants: [ { id: de-bsi, name: Germany } ]
users: [ { username: de-analyst, tenant: de-bsi, password_env: PW_DE }, { username: ops, role: platform-admin, password_env: PW_DE } ]
api_roots:
  - path: eu
    title: EU
    collections:
      - { id: ${C}, title: Shared, grants: [ { tenant: de-bsi, read: true, write: true } ] }
      - { id: ${HIDDEN}, title: Hidden }
`;

describe('Audit trail', function () {
  this.timeout(60_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ config: CONFIG, env: { PW_DE: DE.password } });
  });
  after(async () => app.close());

  const trail = async (): Promise<AuditRecord[]> => {
    await app.container.services.audit.flush();
    return (await app.container.store.audit.queryAudit({ limit: 1000 })).records;
  };
  const last = async (action: AuditRecord['action']) => (await trail()).filter((r) => r.action === action).pop();

  it('records a write with its counts, a read with what it returned, a status read and a delete', async () => {
    const obj = indicator('audited');
    const posted = await app
      .post(`/eu/collections/${C}/objects/`, envelope(obj, { type: 'indicator', id: 'broken' }), DE)
      .expect(202);
    const write = await last('taxii.write');
    expect(write).to.deep.include({
      outcome: 'ok',
      actor: 'de-analyst',
      tenant: 'de-bsi',
      apiRoot: 'eu',
      collectionId: C,
      target: 'objects',
      requestId: posted.headers['x-request-id'],
    });
    expect(write?.detail).to.deep.equal({ status: posted.body.id, total: 2, queued: true });
    expect(write?.address).to.be.a('string');
    // the outcome is recorded by the worker once the queued request is processed
    expect(await last('taxii.ingest')).to.deep.include({
      outcome: 'ok',
      actor: 'de-analyst',
      tenant: 'de-bsi',
      apiRoot: 'eu',
      collectionId: C,
      target: 'objects',
      requestId: posted.headers['x-request-id'],
      detail: { status: posted.body.id, total: 2, succeeded: 1, failed: 1 },
    });

    const read = await app.get(`/eu/collections/${C}/objects/?limit=5`, DE).expect(200);
    expect(await last('taxii.read')).to.deep.include({
      outcome: 'ok',
      target: 'objects',
      collectionId: C,
      requestId: read.headers['x-request-id'],
      detail: { returned: 1, more: false },
    });
    await app.get(`/eu/collections/${C}/objects/${obj.id}/versions/`, DE).expect(200);
    expect((await last('taxii.read'))?.detail).to.deep.equal({ object: obj.id, returned: 1, more: false });

    await app.get(`/eu/status/${posted.body.id as string}/`, DE).expect(200);
    expect(await last('taxii.status')).to.deep.include({
      outcome: 'ok',
      collectionId: C,
      detail: { status: posted.body.id },
    });

    await app.del(`/eu/collections/${C}/objects/${obj.id}/`, DE).expect(200);
    expect(await last('taxii.delete')).to.deep.include({ outcome: 'ok', collectionId: C, detail: { object: obj.id } });
  });

  it('records refusals as denied, with the error kind', async () => {
    await app.get(`/eu/collections/${HIDDEN}/objects/`, DE).expect(404);
    expect(await last('taxii.read')).to.deep.include({
      outcome: 'denied',
      collectionId: HIDDEN,
      detail: { error: 'not-found' },
    });
    await app.get(`/eu/collections/${C}/objects/?limit=0`, DE).expect(400);
    expect(await last('taxii.read')).to.deep.include({
      outcome: 'failed',
      collectionId: C,
      detail: { error: 'invalid-request' },
    });
  });

  it('records authentication failures with account and address, never the secret', async () => {
    const res = await app.http.get('/taxii2/').set('Accept', TAXII).auth(DE.name, 'guess-p4ssw0rd').expect(401);
    const failure = await last('auth.failure');
    expect(failure).to.deep.include({ outcome: 'denied', actor: 'de-analyst', requestId: res.headers['x-request-id'] });
    expect(failure?.detail).to.deep.equal({ method: 'basic', reason: 'wrong password' });
    await app.http
      .get('/taxii2/')
      .set('Accept', TAXII)
      .set('Authorization', 'Bearer pal_0123456789abcdef_secret-token-text')
      .expect(401);
    const all = JSON.stringify(await trail());
    expect(all).to.not.contain('guess-p4ssw0rd');
    expect(all).to.not.contain('secret-token-text');
  });
});
