// TAXII 2.1 §3.3–3.5 sorting, filtering, pagination; §5.3 manifest, §5.4 objects, §5.6 object, §5.8 versions.
import { expect } from 'chai';
import { TLP_WHITE, envelope, indicator, intrusionSet, ipv4, malware } from '../fixtures/builders.js';
import {
  ANALYST,
  READER,
  TAXII,
  WRITER,
  C_WO,
  manifestPath,
  objectPath,
  objectsPath,
  startTestApp,
  steppingClock,
  versionsPath,
  type TestApp,
} from '../helpers/test-app.js';

const TS6 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const V1 = '2024-01-01T00:00:00.000Z';
const V2 = '2024-02-01T00:00:00.000Z';
const V3 = '2024-03-01T00:00:00.000Z';

interface Envelope {
  more?: boolean;
  next?: string;
  objects?: { id: string; modified?: string; type: string }[];
}

describe('Objects, manifest, object and versions endpoints', () => {
  let app: TestApp;
  const apt = intrusionSet('apt-x');
  const indA = indicator('a', V1);
  const indA2 = indicator('a', V2);
  const indA3 = indicator('a', V3);
  const mal = malware('m');
  const ip = ipv4('198.51.100.7');

  before(async () => {
    app = await startTestApp({ clock: steppingClock() });
    // Added in this order: apt, indA(v1), mal, indA(v3), ip, TLP, indA(v2) — v2 arrives out of order (T-109).
    for (const o of [apt, indA, mal, indA3, ip, TLP_WHITE, indA2]) {
      const res = await app.post(objectsPath(), envelope(o)).expect(202);
      expect(res.body.success_count, o.id).to.equal(1);
    }
  });
  after(async () => app.close());

  const ids = (body: Envelope): string[] => (body.objects ?? []).map((o) => o.id);

  it('T-68 T-73 T-76 T-84 T-93 without match[version] returns the latest version of each object, oldest date_added first', async () => {
    const res = await app.get(objectsPath()).expect(200);
    const body = res.body as Envelope;
    expect(ids(body)).to.deep.equal([apt.id, mal.id, indA3.id, ip.id, TLP_WHITE.id]);
    expect(body.objects?.find((o) => o.id === indA.id)?.modified).to.equal(V3);
    expect(body.more).to.equal(false);
  });

  it('S-40 P-19 serves stored objects exactly as posted', async () => {
    const res = await app.get(objectPath(mal.id)).expect(200);
    expect(res.body.objects).to.deep.equal([mal]);
  });

  it('T-19 T-12 sets X-TAXII-Date-Added-First/Last to the first and last item of the page, in microseconds', async () => {
    const res = await app.get(`${manifestPath()}?match[version]=all`).expect(200);
    const records = res.body.objects as { date_added: string }[];
    expect(res.headers['x-taxii-date-added-first']).to.equal(records[0]?.date_added);
    expect(res.headers['x-taxii-date-added-last']).to.equal(records[records.length - 1]?.date_added);
    expect(res.headers['x-taxii-date-added-first']).to.match(TS6);
    for (const p of [objectsPath(), objectPath(indA.id), versionsPath(indA.id)]) {
      const r = await app.get(p).expect(200);
      expect(r.headers['x-taxii-date-added-first'], p).to.match(TS6);
      expect(r.headers['x-taxii-date-added-last'], p).to.match(TS6);
    }
  });

  it('T-19 A-3 omits the Date-Added headers on an empty page, and an empty result is {} (T-58, T-9)', async () => {
    const res = await app.get(`${objectsPath()}?match[type]=campaign`).expect(200);
    expect(res.body).to.deep.equal({});
    expect(res.headers).not.to.have.property('x-taxii-date-added-first');
    expect(res.headers).not.to.have.property('x-taxii-date-added-last');
  });

  it('T-54 T-55 T-110 T-56 manifest records carry id, date_added, version and media_type; latest only by default', async () => {
    const res = await app.get(manifestPath()).expect(200);
    const recs = res.body.objects as Record<string, string>[];
    expect(recs).to.have.length(5);
    const a = recs.find((r) => r.id === indA.id);
    expect(a).to.include({ version: V3, media_type: 'application/stix+json;version=2.1' });
    expect(a?.date_added).to.match(TS6);
    expect(Object.keys(a ?? {}).sort()).to.deep.equal(['date_added', 'id', 'media_type', 'version']);
  });

  it('T-87 P-16 versions an unversioned marking by created and an SCO by the server', async () => {
    const res = await app.get(`${manifestPath()}?match[id]=${TLP_WHITE.id},${ip.id}`).expect(200);
    const recs = res.body.objects as Record<string, string>[];
    expect(recs.find((r) => r.id === TLP_WHITE.id)?.version).to.equal('2017-01-20T00:00:00.000Z');
    expect(recs.find((r) => r.id === ip.id)?.version).to.match(TS6);
  });

  it('T-87 first, last and all return the single stored copy of an SCO', async () => {
    for (const v of ['first', 'last', 'all']) {
      const res = await app.get(`${objectPath(ip.id)}?match[version]=${v}`).expect(200);
      expect(ids(res.body)).to.deep.equal([ip.id]);
    }
  });

  it('T-85 T-89 match[version]=first is the earliest by modified, not by date_added', async () => {
    const res = await app.get(`${objectPath(indA.id)}?match[version]=first`).expect(200);
    expect((res.body as Envelope).objects?.map((o) => o.modified)).to.deep.equal([V1]);
  });

  it('T-85 match[version]=all lists every version, each its own item in date_added order', async () => {
    const res = await app.get(`${objectPath(indA.id)}?match[version]=all`).expect(200);
    expect((res.body as Envelope).objects?.map((o) => o.modified)).to.deep.equal([V1, V3, V2]);
  });

  it('T-85 T-86 match[version] combines first, last and exact timestamps compared as instants', async () => {
    const res = await app.get(`${objectPath(indA.id)}?match[version]=first,2024-02-01T00:00:00Z`).expect(200);
    expect((res.body as Envelope).objects?.map((o) => o.modified)).to.deep.equal([V1, V2]);
    const res2 = await app.get(`${objectPath(indA.id)}?match[version]=first,last`).expect(200);
    expect((res2.body as Envelope).objects?.map((o) => o.modified)).to.deep.equal([V1, V3]);
  });

  it('T-82 match[id] with a comma list returns only those objects', async () => {
    const res = await app.get(`${objectsPath()}?match[id]=${apt.id},${mal.id}`).expect(200);
    expect(ids(res.body)).to.deep.equal([apt.id, mal.id]);
  });

  it('T-83 match[type] filters; a type the collection never held is an empty result, not a 400', async () => {
    const res = await app.get(`${objectsPath()}?match[type]=indicator,malware`).expect(200);
    expect(ids(res.body)).to.deep.equal([mal.id, indA.id]);
    await app.get(`${objectsPath()}?match[type]=grouping`).expect(200, {});
    const manifest = await app.get(`${manifestPath()}?match[type]=indicator`).expect(200);
    expect((manifest.body.objects as unknown[]).length).to.equal(1);
  });

  it('T-90 match[spec_version] filters; 2.0 finds nothing in a 2.1 collection', async () => {
    await app.get(`${objectsPath()}?match[spec_version]=2.0`).expect(200, {});
    const both = await app.get(`${objectsPath()}?match[spec_version]=2.0,2.1`).expect(200);
    expect(ids(both.body)).to.have.length(5);
  });

  it('T-52 filters combine (AND across fields): type + version + spec_version', async () => {
    const res = await app
      .get(`${objectsPath()}?match[type]=indicator&match[version]=all&match[spec_version]=2.1`)
      .expect(200);
    expect((res.body as Envelope).objects?.map((o) => o.modified)).to.deep.equal([V1, V3, V2]);
  });

  it('T-72 T-98 added_after returns only versions added strictly after the timestamp', async () => {
    const all = await app.get(`${manifestPath()}?match[version]=all`).expect(200);
    const recs = all.body.objects as { id: string; date_added: string }[];
    const cut = recs[2]?.date_added as string;
    const res = await app.get(`${manifestPath()}?match[version]=all&added_after=${cut}`).expect(200);
    expect((res.body.objects as { date_added: string }[]).map((r) => r.date_added)).to.deep.equal(
      recs.slice(3).map((r) => r.date_added),
    );
  });

  it('T-12 accepts added_after with any number of fractional digits', async () => {
    for (const ts of ['2000-01-01T00:00:00Z', '2000-01-01T00:00:00.1Z', '2000-01-01T00:00:00.123456789Z']) {
      const res = await app.get(`${objectsPath()}?added_after=${ts}`).expect(200);
      expect(ids(res.body)).to.have.length(5);
    }
  });

  it('T-59 T-75 T-78 T-97 T-99 limit cuts the page; more is true and next is always present', async () => {
    const res = await app.get(`${objectsPath()}?limit=2`).expect(200);
    expect(ids(res.body)).to.deep.equal([apt.id, mal.id]);
    expect(res.body.more).to.equal(true);
    expect(res.body.next).to.be.a('string').with.length.above(0);
  });

  it('T-79 T-81 T-96 A-4 paging with next visits every item exactly once, in order, on every paged endpoint', async () => {
    const expectations: [string, (b: Record<string, unknown>) => unknown[]][] = [
      [`${objectsPath()}?match[version]=all&limit=2`, (b) => (b.objects as unknown[]) ?? []],
      [`${manifestPath()}?match[version]=all&limit=2`, (b) => (b.objects as unknown[]) ?? []],
      [`${objectPath(indA.id)}?match[version]=all&limit=1`, (b) => (b.objects as unknown[]) ?? []],
      [`${versionsPath(indA.id)}?limit=1`, (b) => (b.versions as unknown[]) ?? []],
    ];
    for (const [url, items] of expectations) {
      const full = await app.get(url.replace(/limit=\d+/, 'limit=100')).expect(200);
      const seen: unknown[] = [];
      let next: string | undefined;
      let pages = 0;
      do {
        const res = await app.get(next ? `${url}&next=${encodeURIComponent(next)}` : url).expect(200);
        seen.push(...items(res.body));
        next = res.body.more ? (res.body.next as string) : undefined;
        if (res.body.more) expect(res.body.next, url).to.be.a('string');
        pages++;
      } while (next && pages < 20);
      expect(seen, url).to.deep.equal(items(full.body));
      expect(pages, url).to.be.greaterThan(1);
    }
  });

  it('T-97 paging by added_after = X-TAXII-Date-Added-Last visits every item once', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 20; i++) {
      const res = await app
        .get(`${manifestPath()}?match[version]=all&limit=2${after ? `&added_after=${after}` : ''}`)
        .expect(200);
      const recs = (res.body.objects as { id: string; version: string }[] | undefined) ?? [];
      seen.push(...recs.map((r) => `${r.id}@${r.version}`));
      if (!res.body.more) break;
      after = res.headers['x-taxii-date-added-last'] as string;
    }
    expect(seen).to.have.length(7);
    expect(new Set(seen).size).to.equal(7);
  });

  it('T-80 T-127 P-12 a next token reused with different filters, by another user, or tampered with is a 400', async () => {
    const first = await app.get(`${objectsPath()}?limit=1`).expect(200);
    const next = encodeURIComponent(first.body.next as string);
    await app.get(`${objectsPath()}?limit=1&next=${next}`).expect(200);
    await app.get(`${objectsPath()}?limit=5&next=${next}`).expect(200); // limit may change (P-10)
    const changed = await app.get(`${objectsPath()}?limit=1&match[type]=indicator&next=${next}`).expect(400);
    expect(changed.body.error_code).to.equal('invalid-request');
    expect(changed.body.description).to.match(/different query/);
    await app.get(`${manifestPath()}?limit=1&next=${next}`).expect(400);
    await app.get(`${objectsPath()}?limit=1&next=${next}`, READER).expect(400);
    const raw = first.body.next as string;
    const tampered = `${raw.slice(0, 3)}${raw[3] === 'A' ? 'B' : 'A'}${raw.slice(4)}`;
    await app.get(`${objectsPath()}?limit=1&next=${encodeURIComponent(tampered)}`).expect(400);
    await app.get(`${objectsPath()}?next=garbage`).expect(400);
  });

  it('T-69 T-74 malformed parameters are a 400 with a TAXII error', async () => {
    for (const q of [
      'limit=0',
      'limit=-20',
      'limit=abc',
      'limit=1.5',
      'added_after=yesterday',
      'added_after=2024-01-01T00:00:00+01:00',
      'added_after=2024-01-01T00:00:00Z&added_after=2024-01-02T00:00:00Z',
      'match[type]=indicator&match[type]=malware',
      'match%5Btype%5D=indicator&match[type]=malware',
      'match[version]=all,last',
      'match[version]=last,last',
      'match[version]=not-a-time',
      'match[id]=not-an-id',
      'match[type]=',
      'match[spec_version]=two',
    ]) {
      const res = await app.get(`${objectsPath()}?${q}`);
      expect(res.status, q).to.equal(400);
      expect(res.body.http_status, q).to.equal('400');
      expect(res.body.error_code, q).to.equal('invalid-request');
    }
  });

  it('T-70 A-13 ignores unknown match fields and unrelated parameters', async () => {
    const res = await app.get(`${objectsPath()}?match[x_color]=blue&foo=bar`).expect(200);
    expect(ids(res.body)).to.have.length(5);
  });

  it('T-77 clamps limit to the server maximum and still pages', async () => {
    const small = await startTestApp({ maxPageSize: 2 });
    try {
      for (const o of [indicator('p1'), indicator('p2'), indicator('p3')])
        await small.post(objectsPath(), envelope(o)).expect(202);
      const res = await small.get(`${objectsPath()}?limit=100`).expect(200);
      expect(res.body.objects).to.have.length(2);
      expect(res.body.more).to.equal(true);
      const rest = await small
        .get(`${objectsPath()}?limit=100&next=${encodeURIComponent(res.body.next as string)}`)
        .expect(200);
      expect(rest.body.objects).to.have.length(1);
      expect(rest.body.more).to.equal(false);
    } finally {
      await small.close();
    }
  });

  it('T-60 T-62 get-object returns an envelope; unknown id 404; filtered out is 200 {}', async () => {
    const res = await app.get(objectPath(apt.id)).expect(200);
    expect(res.body.objects).to.deep.equal([apt]);
    await app.get(objectPath('indicator--00000000-0000-4000-8000-000000000000')).expect(404);
    await app.get(`${objectPath(apt.id)}?match[version]=2000-01-01T00:00:00.000Z`).expect(200, {});
  });

  it('T-64 T-65 T-66 T-94 versions lists every version string as stored, ascending by date_added', async () => {
    const res = await app.get(versionsPath(indA.id)).expect(200);
    expect(res.body).to.deep.equal({ more: false, versions: [V1, V3, V2] });
    await app.get(versionsPath('indicator--00000000-0000-4000-8000-000000000000')).expect(404);
    await app.get(`${versionsPath(indA.id)}?match[spec_version]=2.0`).expect(200, {});
  });

  it('T-53 T-57 T-63 T-67 T-122 can_read false ⇒ 403 on every read endpoint of a visible collection', async () => {
    for (const p of [objectsPath(), manifestPath(), objectPath(apt.id), versionsPath(apt.id)]) {
      const res = await app.get(p, WRITER).expect(403);
      expect(res.body.http_status).to.equal('403');
      expect(res.body.error_code).to.equal('forbidden');
      expect(res.body.description).to.equal('You may add objects to this collection but not read it.');
    }
  });

  it('T-103 can_write false ⇒ 403 on POST for a reader', async () => {
    await app.post(objectsPath(), envelope(indicator('x')), READER).expect(403);
  });

  it('T-51 a write-only drop box accepts POSTs from its writer, who cannot read it back', async () => {
    await app.post(objectsPath(C_WO), envelope(indicator('drop')), READER).expect(202);
    await app.get(objectsPath(C_WO), READER).expect(403);
    await app.get(objectsPath(C_WO), ANALYST).expect(404);
  });

  it('T-7 answers with TAXII JSON that parses (taxii content type, UTF-8)', async () => {
    const res = await app
      .get(objectsPath())
      .buffer(true)
      .parse((r, cb) => {
        let data = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (data += c));
        r.on('end', () => cb(null, data));
      });
    expect(res.headers['content-type']).to.equal(TAXII);
    expect(() => JSON.parse(res.body as string)).not.to.throw();
  });
});
