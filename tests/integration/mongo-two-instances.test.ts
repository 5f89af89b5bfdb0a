// Two stateless Palisade instances on one MongoDB database (DESIGN.md §3): concurrent writes through
// both, reads through both, and a reader paging by added_after while the writes are in flight.
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { envelope, indicator } from '../fixtures/builders.js';
import { MONGO_SKIP_MESSAGE, freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';
import {
  ROOT,
  manifestPath,
  objectPath,
  objectsPath,
  startTestApp,
  versionsPath,
  type TestApp,
} from '../helpers/test-app.js';

const uri = mongoTestUri();

describe('Two instances on one MongoDB database', function () {
  this.timeout(300_000);
  let a: TestApp;
  let b: TestApp;
  let database: string;

  before(async function () {
    if (!uri) {
      console.log(`      ${MONGO_SKIP_MESSAGE}`);
      this.skip();
    }
    database = freshDatabaseName();
    a = await startTestApp({ sharedMongoDatabase: database });
    b = await startTestApp({ sharedMongoDatabase: database });
  });
  after(async () => {
    await a?.close();
    await b?.close();
    if (uri && database) {
      const client = await MongoClient.connect(uri);
      await client.db(database).dropDatabase();
      await client.close();
    }
  });

  const SHARED = (i: number): string => `2024-01-01T00:00:${String(i).padStart(2, '0')}.000Z`;
  const written: string[] = [];

  it('accepts concurrent writes through both instances, including versions of one object', async () => {
    const posts: Promise<unknown>[] = [];
    let readerDone = false;
    const seenByReader: string[] = [];
    // A reader polling by added_after while the writers run must end up with every version once.
    const reader = (async () => {
      let after: string | undefined;
      for (let idle = 0; idle < 3;) {
        const res = await a
          .get(`${manifestPath()}?match[version]=all&limit=25${after ? `&added_after=${after}` : ''}`)
          .expect(200);
        const recs = (res.body.objects ?? []) as { id: string; version: string }[];
        seenByReader.push(...recs.map((r) => `${r.id}|${r.version}`));
        if (recs.length > 0) after = res.headers['x-taxii-date-added-last'] as string;
        if (readerDone && !res.body.more) idle++;
      }
    })();
    for (let batch = 0; batch < 8; batch++) {
      for (const [name, app] of [
        ['a', a],
        ['b', b],
      ] as const) {
        const objs = Array.from({ length: 25 }, (_, i) => indicator(`${name}-${batch}-${i}`));
        written.push(...objs.map((o) => `${o.id}|${o.modified}`));
        posts.push(app.post(objectsPath(), envelope(...objs)).expect(202));
      }
      const shared = [indicator('shared', SHARED(batch * 2)), indicator('shared', SHARED(batch * 2 + 1))];
      written.push(...shared.map((o) => `${o.id}|${o.modified}`));
      posts.push(a.post(objectsPath(), envelope(shared[0])).expect(202));
      posts.push(b.post(objectsPath(), envelope(shared[1])).expect(202));
    }
    const results = (await Promise.all(posts)) as { body: { failure_count: number } }[];
    for (const r of results) expect(r.body.failure_count, JSON.stringify(r.body)).to.equal(0);
    readerDone = true;
    await reader;
    expect(seenByReader.length).to.equal(written.length);
    expect(new Set(seenByReader)).to.deep.equal(new Set(written));
  });

  it('serves the same pages through both instances, with no duplicate or skipped object', async () => {
    const pageAll = async (app: TestApp, query: string): Promise<string[]> => {
      const out: string[] = [];
      let next: string | undefined;
      for (let i = 0; i < 200; i++) {
        const res = await app
          .get(`${objectsPath()}?${query}&limit=37${next ? `&next=${encodeURIComponent(next)}` : ''}`)
          .expect(200);
        out.push(
          ...((res.body.objects ?? []) as { id: string; modified: string }[]).map((o) => `${o.id}|${o.modified}`),
        );
        if (!res.body.more) break;
        next = res.body.next as string;
      }
      return out;
    };
    const viaA = await pageAll(a, 'match[version]=all');
    const viaB = await pageAll(b, 'match[version]=all');
    expect(viaA).to.deep.equal(viaB);
    expect(viaA).to.have.length(written.length);
    expect(new Set(viaA)).to.deep.equal(new Set(written));
    const latest = await pageAll(b, 'match[type]=indicator');
    expect(latest).to.have.length(8 * 2 * 25 + 1);
  });

  it('keeps first/last right for the object written concurrently through both', async () => {
    const id = indicator('shared').id;
    for (const app of [a, b]) {
      const last = await app.get(objectPath(id)).expect(200);
      expect(last.body.objects.map((o: { modified: string }) => o.modified)).to.deep.equal([SHARED(15)]);
      const first = await app.get(`${objectPath(id)}?match[version]=first`).expect(200);
      expect(first.body.objects.map((o: { modified: string }) => o.modified)).to.deep.equal([SHARED(0)]);
      const versions = await app.get(versionsPath(id)).expect(200);
      expect([...(versions.body.versions as string[])].sort()).to.deep.equal(
        Array.from({ length: 16 }, (_, i) => SHARED(i)),
      );
    }
  });

  it('makes a status created through one instance readable through the other', async () => {
    const post = await a.post(objectsPath(), envelope(indicator('status-check'))).expect(202);
    const res = await b.get(`/${ROOT}/status/${post.body.id}/`).expect(200);
    expect(res.body).to.deep.equal(post.body);
  });

  it('accepts a next cursor issued by the other instance', async () => {
    const ids = (body: { objects?: { id: string }[] }): string[] => (body.objects ?? []).map((o) => o.id);
    const ten = await b.get(`${objectsPath()}?limit=10`).expect(200);
    expect(ids(ten.body)).to.have.length(10);
    const first = await a.get(`${objectsPath()}?limit=5`).expect(200);
    expect(ids(first.body)).to.deep.equal(ids(ten.body).slice(0, 5));
    const rest = await b
      .get(`${objectsPath()}?limit=5&next=${encodeURIComponent(first.body.next as string)}`)
      .expect(200);
    expect(ids(rest.body)).to.deep.equal(ids(ten.body).slice(5, 10));
  });
});
