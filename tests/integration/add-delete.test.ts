// TAXII 2.1 §5.5 add objects, §4.3 status, §5.7 delete an object.
import { expect } from 'chai';
import { envelope, indicator, intrusionSet, ipv4, malware } from '../fixtures/builders.js';
import {
  ADMIN,
  ANALYST,
  C1,
  C_WO,
  NOBODY,
  READER,
  ROOT,
  TAXII,
  WRITER,
  objectPath,
  objectsPath,
  startTestApp,
  versionsPath,
  type TestApp,
} from '../helpers/test-app.js';

const TS6 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

describe('Add objects, status and delete', () => {
  let app: TestApp;
  beforeEach(async () => {
    app = await startTestApp();
  });
  afterEach(async () => app.close());

  it('T-105 T-45 T-46 T-106 answers 202 with a complete status whose counts add up', async () => {
    const objs = [indicator('s1'), malware('s2'), intrusionSet('s3')];
    const res = await app.post(objectsPath(), envelope(...objs)).expect(202);
    expect(res.headers['content-type']).to.equal(TAXII);
    const s = res.body;
    expect(s.id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(s).to.include({ status: 'complete', total_count: 3, success_count: 3, failure_count: 0, pending_count: 0 });
    expect(s.request_timestamp).to.match(TS6);
    expect(s.successes).to.deep.equal(objs.map((o) => ({ id: o.id, version: o.modified })));
    expect(s).not.to.have.property('failures');
    expect(s).not.to.have.property('pendings');
    const stored = await app.get(`${objectsPath()}?match[id]=${objs.map((o) => o.id).join(',')}`).expect(200);
    expect(stored.body.objects).to.deep.equal(objs);
  });

  it('T-112 P-24 the status is immediately readable under the API root', async () => {
    const post = await app.post(objectsPath(), envelope(indicator('st'))).expect(202);
    const res = await app.get(`/${ROOT}/status/${post.body.id}/`).expect(200);
    expect(res.body).to.deep.equal(post.body);
  });

  it('T-44 T-47 T-131 a status is 404 for other users, for unknown ids and under another API root', async () => {
    const post = await app.post(objectsPath(), envelope(indicator('own'))).expect(202);
    await app.get(`/${ROOT}/status/${post.body.id}/`, READER).expect(404);
    await app.get(`/${ROOT}/status/${post.body.id}/`, ADMIN).expect(200);
    await app.get(`/small/status/${post.body.id}/`).expect(404);
    await app.get(`/${ROOT}/status/00000000-0000-4000-8000-000000000000/`).expect(404);
  });

  it('T-107 T-108 P-23 re-posting identical objects is a success ("already present") and adds no row', async () => {
    const objs = [indicator('dup'), ipv4('203.0.113.9')];
    await app.post(objectsPath(), envelope(...objs)).expect(202);
    const again = await app.post(objectsPath(), envelope(...objs)).expect(202);
    expect(again.body).to.include({ success_count: 2, failure_count: 0, total_count: 2 });
    expect(again.body.successes.map((s: { message: string }) => s.message)).to.deep.equal([
      'already present',
      'already present',
    ]);
    const manifest = await app.get(`/${ROOT}/collections/${C1}/manifest/?match[version]=all`).expect(200);
    expect(manifest.body.objects).to.have.length(2);
  });

  it('A-10 the same id and modified with different content keeps the first copy and fails the newcomer', async () => {
    const a = indicator('clash');
    await app.post(objectsPath(), envelope(a)).expect(202);
    const res = await app.post(objectsPath(), envelope({ ...a, name: 'changed' })).expect(202);
    expect(res.body).to.include({ success_count: 0, failure_count: 1 });
    expect(res.body.failures[0]).to.include({ id: a.id, version: a.modified });
    expect(res.body.failures[0].message).to.match(/already stored/);
    const stored = await app.get(objectPath(a.id)).expect(200);
    expect(stored.body.objects[0].name).to.equal('clash');
  });

  it('T-111 S-3 an invalid object fails alone with a readable reason; the valid rest is stored', async () => {
    const good = indicator('good');
    const bad = { ...indicator('bad'), modified: '2023-01-01T00:00:00.000Z' }; // modified < created
    const res = await app.post(objectsPath(), envelope(good, bad, { type: 'indicator' })).expect(202);
    expect(res.body).to.include({ total_count: 3, success_count: 1, failure_count: 2 });
    expect(res.body.failures[0].id).to.equal(bad.id);
    expect(res.body.failures[0].message)
      .to.be.a('string')
      .and.match(/modified/);
    expect(res.body.failures[1].id).to.equal('objects[2]');
    await app.get(objectPath(good.id)).expect(200);
    await app.get(objectPath(bad.id)).expect(404);
  });

  it('A-15 custom object types and custom properties are accepted', async () => {
    const custom = {
      type: 'x-acme-sensor',
      spec_version: '2.1',
      id: 'x-acme-sensor--6b1c2e9a-93f5-4d7b-8f0e-2a4c6e8b0d1f',
      created: '2024-01-01T00:00:00.000Z',
      modified: '2024-01-01T00:00:00.000Z',
      x_acme_site: 'berlin',
    };
    const res = await app
      .post(objectsPath(), envelope(custom, indicator('c', undefined, { x_acme_score: 7 })))
      .expect(202);
    expect(res.body.success_count).to.equal(2);
  });

  it('T-101 T-104 P-21 a body that is not an envelope is a 422 TAXII error; invalid JSON is a 400', async () => {
    for (const body of ['[]', '{"objects": {}}', '{}', '{"objects": []}', JSON.stringify(indicator('bare'))]) {
      const res = await app.post(objectsPath(), body).expect(422);
      expect(res.body.http_status).to.equal('422');
      expect(res.body.error_code).to.equal('unprocessable');
    }
    // an entry that is not a JSON object makes the whole envelope invalid: nothing of it is stored
    const mixed = await app.post(objectsPath(), envelope(indicator('never-stored'), 'not an object')).expect(422);
    expect(mixed.body.error_code).to.equal('unprocessable');
    await app.get(objectPath(indicator('never-stored').id)).expect(404);
    const res = await app.post(objectsPath(), '{"objects": [').expect(400);
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(res.body).to.include({ error_code: 'invalid-request' });
    expect(res.body.description).to.match(/^The request body is not valid JSON: /);
  });

  it('T-13 ignores custom properties on the envelope', async () => {
    const res = await app.post(objectsPath(), { x_acme_batch: 'b-17', objects: [indicator('custom-env')] }).expect(202);
    expect(res.body.success_count).to.equal(1);
  });

  it('T-92 date_added belongs to the version in its collection and never changes on a repost', async () => {
    const obj = indicator('once');
    await app.post(objectsPath(), envelope(obj)).expect(202);
    const before = await app.get(`/${ROOT}/collections/${C1}/manifest/?match[id]=${obj.id}`).expect(200);
    await app.post(objectsPath(), envelope(obj)).expect(202);
    const after = await app.get(`/${ROOT}/collections/${C1}/manifest/?match[id]=${obj.id}`).expect(200);
    expect(after.body.objects).to.deep.equal(before.body.objects);
    await app.post(objectsPath(C_WO), envelope(obj), READER).expect(202);
    const other = await app.get(`/${ROOT}/collections/${C_WO}/manifest/?match[id]=${obj.id}`, ADMIN).expect(200);
    expect(other.body.objects[0].date_added).not.to.equal(before.body.objects[0].date_added);
  });

  it('A-9 accepts a STIX bundle by reading its objects', async () => {
    const obj = indicator('in-bundle');
    const res = await app
      .post(objectsPath(), { type: 'bundle', id: 'bundle--6b1c2e9a-93f5-4d7b-8f0e-2a4c6e8b0d1f', objects: [obj] })
      .expect(202);
    expect(res.body.success_count).to.equal(1);
  });

  it('T-102 P-28 a body over max_content_length is a 413; one just under it is accepted', async () => {
    const small = '/small/collections/0b5f3a4c-7d21-4e8f-9a6b-1c2d3e4f5a6b/objects/';
    const one = JSON.stringify(envelope(indicator('fits')));
    expect(one.length).to.be.below(2000);
    await app.post(small, one).expect(202);
    const big = JSON.stringify(envelope(...Array.from({ length: 10 }, (_, i) => indicator(`big-${i}`))));
    expect(big.length).to.be.above(2000);
    const res = await app.post(small, big).expect(413);
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(res.body.http_status).to.equal('413');
    expect(res.body.error_code).to.equal('payload-too-large');
  });

  it('T-103 POST to an invisible collection is a 404; to an unknown API root a 404', async () => {
    await app.post(objectsPath(), envelope(indicator('n')), NOBODY).expect(404);
    await app.post(`/nowhere/collections/${C1}/objects/`, envelope(indicator('n'))).expect(404);
  });

  it('T-115 T-117 A-7 DELETE without match[version] removes only the latest version', async () => {
    const v1 = indicator('del', '2024-01-01T00:00:00.000Z');
    const v2 = indicator('del', '2024-06-01T00:00:00.000Z');
    await app.post(objectsPath(), envelope(v1, v2)).expect(202);
    const res = await app.del(objectPath(v1.id)).expect(200);
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(res.text).to.equal('');
    const left = await app.get(versionsPath(v1.id)).expect(200);
    expect(left.body.versions).to.deep.equal([v1.modified]);
    const latest = await app.get(objectPath(v1.id)).expect(200);
    expect(latest.body.objects[0].modified).to.equal(v1.modified); // flags recomputed
  });

  it('T-118 T-119 DELETE match[version]=all removes every version; later reads 404 and listings omit it', async () => {
    const v1 = indicator('gone', '2024-01-01T00:00:00.000Z');
    const v2 = indicator('gone', '2024-06-01T00:00:00.000Z');
    const keep = indicator('keep');
    await app.post(objectsPath(), envelope(v1, v2, keep)).expect(202);
    await app.del(`${objectPath(v1.id)}?match[version]=all`).expect(200);
    await app.get(objectPath(v1.id)).expect(404);
    await app.get(versionsPath(v1.id)).expect(404);
    const list = await app.get(`${objectsPath()}?match[version]=all`).expect(200);
    expect(list.body.objects.map((o: { id: string }) => o.id)).to.deep.equal([keep.id]);
    await app.del(objectPath(v1.id)).expect(404);
  });

  it('T-116 DELETE honours a specific version and match[spec_version]', async () => {
    const v1 = indicator('spec', '2024-01-01T00:00:00.000Z');
    const v2 = indicator('spec', '2024-06-01T00:00:00.000Z');
    await app.post(objectsPath(), envelope(v1, v2)).expect(202);
    await app.del(`${objectPath(v1.id)}?match[version]=all&match[spec_version]=2.0`).expect(404);
    await app.del(`${objectPath(v1.id)}?match[version]=2024-01-01T00:00:00.000Z`).expect(200);
    const left = await app.get(versionsPath(v1.id)).expect(200);
    expect(left.body.versions).to.deep.equal([v2.modified]);
  });

  it('T-114 DELETE permission table: 404 without rights, 403 with only read or only write', async () => {
    const obj = indicator('perm');
    await app.post(objectsPath(), envelope(obj)).expect(202);
    await app.del(objectPath(obj.id), NOBODY).expect(404);
    await app.del(objectPath(obj.id), READER).expect(403);
    await app.del(objectPath(obj.id), WRITER).expect(403);
    await app.get(objectPath(obj.id)).expect(200);
    await app.del(objectPath(obj.id), ANALYST).expect(200);
  });

  it('T-95 P-14 date_added is unique and strictly increasing within one envelope', async () => {
    const objs = Array.from({ length: 50 }, (_, i) => indicator(`burst-${i}`));
    await app.post(objectsPath(), envelope(...objs)).expect(202);
    const res = await app.get(`/${ROOT}/collections/${C1}/manifest/`).expect(200);
    const added = (res.body.objects as { date_added: string }[]).map((r) => r.date_added);
    expect(new Set(added).size).to.equal(50);
    expect(added).to.deep.equal([...added].sort());
  });
});
