// TAXII 2.1 §3.4 added_after, limit and next; §3.5 pagination; Appendix B (next is never trusted as-is).
// Paging while the collection grows, and cursors bound to the query they were issued for.
import { expect } from 'chai';
import { envelope, indicator, type Stix } from '../fixtures/builders.js';
import {
  ADMIN,
  ANALYST,
  C1,
  C2,
  READER,
  manifestPath,
  objectPath,
  objectsPath,
  startTestApp,
  steppingClock,
  versionsPath,
  type TestApp,
  type TestUser,
} from '../helpers/test-app.js';

const M = (month: number): string => `2024-${String(month).padStart(2, '0')}-01T00:00:00.000Z`;

interface PageBody {
  more?: boolean;
  next?: string;
  objects?: { id: string; modified?: string; version?: string }[];
  versions?: string[];
}

/** `name@version` of an object as posted, and of a manifest record / envelope object as served. */
const key = (o: Stix): string => `${String(o.name)}@${String(o.modified)}`;

describe('Paging by added_after and next while objects and versions are added between pages', () => {
  let app: TestApp;
  const names = new Map<string, string>();

  beforeEach(async () => {
    app = await startTestApp({ clock: steppingClock() });
  });
  afterEach(async () => app.close());

  const ind = (name: string, month: number): Stix => {
    const o = indicator(name, M(month));
    names.set(o.id, name);
    return o;
  };
  const add = async (...objs: Stix[]): Promise<void> => {
    for (const o of objs) {
      const res = await app.post(objectsPath(), envelope(o)).expect(202);
      expect(res.body.success_count, key(o)).to.equal(1);
    }
  };
  /** added_after that excludes everything stored so far: the Date-Added-Last of the newest version. */
  const cutNow = async (): Promise<string> => {
    const res = await app.get(`${manifestPath()}?match[version]=all`).expect(200);
    const last = res.headers['x-taxii-date-added-last'];
    expect(last).to.be.a('string');
    return last as string;
  };
  const served = (body: PageBody): string[] =>
    (body.objects ?? []).map((o) => `${names.get(o.id) ?? o.id}@${o.version ?? o.modified ?? '?'}`);

  /**
   * Follows `next` from `url` (which carries added_after), running `between[i]` after page i.
   * Stops at `more: false` or after `maxPages`, so a server that ignores `next` cannot loop forever.
   */
  async function pageThrough(
    url: string,
    items: (b: PageBody) => string[],
    between: (() => Promise<void>)[],
    maxPages: number,
  ): Promise<string[][]> {
    const pages: string[][] = [];
    let next: string | undefined;
    for (let i = 0; i < maxPages; i++) {
      const res = await app.get(next === undefined ? url : `${url}&next=${encodeURIComponent(next)}`).expect(200);
      const body = res.body as PageBody;
      pages.push(items(body));
      if (!body.more) {
        expect(body, `page ${i + 1}`).not.to.have.property('next');
        return pages;
      }
      expect(body.next, `page ${i + 1}: more without next`)
        .to.be.a('string')
        .with.length.above(0);
      next = body.next;
      await between[i]?.();
    }
    return pages;
  }

  it('T-79 T-80 T-97 A-4 manifest, match[version]=all: every version added after the cut is listed once, in date_added order', async () => {
    await add(ind('old', 1));
    const cut = await cutNow();
    await add(ind('a', 1), ind('b', 1), ind('c', 1), ind('d', 1), ind('e', 1));
    const pages = await pageThrough(
      `${manifestPath()}?added_after=${cut}&match[version]=all&limit=2`,
      served,
      [
        () => add(ind('a', 2), ind('c', 2), ind('f', 1)), // a version of a seen object and of an unseen one, a new object
        () => add(ind('g', 1), ind('b', 3)),
        () => add(ind('h', 1)),
      ],
      10,
    );
    expect(pages).to.deep.equal([
      [`a@${M(1)}`, `b@${M(1)}`],
      [`c@${M(1)}`, `d@${M(1)}`],
      [`e@${M(1)}`, `a@${M(2)}`],
      [`c@${M(2)}`, `f@${M(1)}`],
      [`g@${M(1)}`, `b@${M(3)}`],
      [`h@${M(1)}`],
    ]);
    // The same query in one page now gives the same sequence.
    const whole = await app.get(`${manifestPath()}?added_after=${cut}&match[version]=all&limit=100`).expect(200);
    expect(served(whole.body as PageBody)).to.deep.equal(pages.flat());
  });

  it('T-79 T-80 T-84 T-97 objects, latest version only: a superseded version not yet served drops out, the new one comes last', async () => {
    await add(ind('old', 1), ind('a', 1));
    const cut = await cutNow();
    await add(ind('b', 1), ind('c', 1), ind('d', 1), ind('e', 1), ind('a', 2));
    const pages = await pageThrough(
      `${objectsPath()}?added_after=${cut}&limit=2`,
      served,
      [
        // d@1 (not yet served) is superseded by d@2; b@1 was served and gets b@2; f is new.
        () => add(ind('d', 2), ind('b', 2), ind('f', 1)),
        () => add(ind('old', 5), ind('g', 1)),
      ],
      10,
    );
    expect(pages).to.deep.equal([
      [`b@${M(1)}`, `c@${M(1)}`],
      [`e@${M(1)}`, `a@${M(2)}`],
      [`d@${M(2)}`, `b@${M(2)}`],
      [`f@${M(1)}`, `old@${M(5)}`],
      [`g@${M(1)}`],
    ]);
    const whole = await app.get(`${objectsPath()}?added_after=${cut}&limit=100`).expect(200);
    expect(served(whole.body as PageBody)).to.deep.equal([
      `c@${M(1)}`,
      `e@${M(1)}`,
      `a@${M(2)}`,
      `d@${M(2)}`,
      `b@${M(2)}`,
      `f@${M(1)}`,
      `old@${M(5)}`,
      `g@${M(1)}`,
    ]);
  });

  it('T-79 T-80 T-94 versions and object endpoints: versions added between pages, one of them older, each served once', async () => {
    for (const [endpoint, path, items] of [
      ['versions', versionsPath, (b: PageBody) => b.versions ?? []],
      ['object', (id: string) => `${objectPath(id)}`, (b: PageBody) => (b.objects ?? []).map((o) => o.modified ?? '?')],
    ] as const) {
      const name = `single-${endpoint}`;
      const id = ind(name, 1).id;
      await add(ind(name, 1));
      const cut = await cutNow();
      await add(ind(name, 3), ind(name, 4), ind(name, 5));
      const query = endpoint === 'object' ? '&match[version]=all' : '';
      const pages = await pageThrough(
        `${path(id)}?added_after=${cut}${query}&limit=2`,
        items,
        [() => add(ind(name, 6), ind(name, 2)), () => add(ind(name, 7))],
        10,
      );
      expect(pages, endpoint).to.deep.equal([
        [M(3), M(4)],
        [M(5), M(6)],
        [M(2), M(7)],
      ]);
    }
  });

  it('T-97 T-98 paging by added_after = X-TAXII-Date-Added-Last while objects are added sees each once', async () => {
    await add(ind('a', 1), ind('b', 1), ind('c', 1));
    const seen: string[] = [];
    const extra = [ind('d', 1), ind('a', 2), ind('e', 1)];
    let after: string | undefined;
    let pages = 0;
    for (; pages < 10; pages++) {
      const res = await app
        .get(`${manifestPath()}?match[version]=all&limit=2${after ? `&added_after=${after}` : ''}`)
        .expect(200);
      const body = res.body as PageBody;
      seen.push(...served(body));
      if (!body.more && extra.length === 0) break;
      if (body.objects?.length) after = res.headers['x-taxii-date-added-last'] as string;
      const o = extra.shift();
      if (o) await add(o);
    }
    expect(seen).to.deep.equal([`a@${M(1)}`, `b@${M(1)}`, `c@${M(1)}`, `d@${M(1)}`, `a@${M(2)}`, `e@${M(1)}`]);
    expect(pages).to.equal(3);
  });
});

describe('next cursors are bound to the query they were issued for (T-80, T-127)', () => {
  let app: TestApp;
  const x = [indicator('cx', M(1)), indicator('cx', M(2)), indicator('cx', M(3))];
  const y = [indicator('cy', M(1)), indicator('cy', M(2)), indicator('cy', M(3))];
  const singles = [indicator('c1', M(1)), indicator('c2', M(1)), indicator('c3', M(1)), indicator('c4', M(1))];
  let cut = '';
  let otherCut = '';

  before(async () => {
    app = await startTestApp({ clock: steppingClock() });
    await app.post(objectsPath(), envelope(indicator('before-cut', M(1)))).expect(202);
    const all = await app.get(`${manifestPath()}?match[version]=all`).expect(200);
    cut = all.headers['x-taxii-date-added-last'] as string;
    for (const o of [...singles, ...x, ...y]) await app.post(objectsPath(), envelope(o)).expect(202);
    for (const o of [indicator('c2-a', M(1)), indicator('c2-b', M(1)), indicator('c2-c', M(1))]) {
      await app.post(objectsPath(C2), envelope(o), ADMIN).expect(202);
    }
    const some = await app.get(`${manifestPath()}?match[version]=all&added_after=${cut}&limit=2`).expect(200);
    otherCut = some.headers['x-taxii-date-added-first'] as string;
    expect(otherCut).not.to.equal(cut);
  });
  after(async () => app.close());

  async function cursor(url: string, as: TestUser = ANALYST): Promise<string> {
    const res = await app.get(url, as).expect(200);
    expect(res.body.more, url).to.equal(true);
    return encodeURIComponent(res.body.next as string);
  }
  async function refused(url: string, as: TestUser = ANALYST): Promise<void> {
    const res = await app.get(url, as);
    expect(res.status, url).to.equal(400);
    expect(res.body.error_code, url).to.equal('invalid-request');
    expect(res.body.description, url).to.equal(
      'The next parameter belongs to a different query: repeat the original filters unchanged with it.',
    );
  }

  it('T-80 P-10 accepts the cursor when only limit changes or the parameters are reordered, and continues after the page', async () => {
    const full = await app.get(`${objectsPath()}?match[version]=all&added_after=${cut}&limit=100`).expect(200);
    const ids = (full.body.objects as Stix[]).map(key);
    expect(ids).to.have.length(10);
    const next = await cursor(`${objectsPath()}?match[version]=all&added_after=${cut}&limit=2`);
    for (const url of [
      `${objectsPath()}?match[version]=all&added_after=${cut}&limit=3&next=${next}`,
      `${objectsPath()}?next=${next}&limit=3&added_after=${cut}&match[version]=all`,
    ]) {
      const res = await app.get(url).expect(200);
      expect((res.body.objects as Stix[]).map(key), url).to.deep.equal(ids.slice(2, 5));
    }
    const rest = await app.get(`${objectsPath()}?match[version]=all&added_after=${cut}&next=${next}`).expect(200);
    expect((rest.body.objects as Stix[]).map(key)).to.deep.equal(ids.slice(2));
    expect(rest.body.more).to.equal(false);
  });

  it('T-80 T-85 refuses a cursor reused with another match[version]', async () => {
    const base = `${objectsPath()}?added_after=${cut}&limit=1`;
    const next = await cursor(`${base}&match[version]=all`);
    await app.get(`${base}&match[version]=all&next=${next}`).expect(200);
    for (const v of ['last', 'first', 'first,last', M(1)]) await refused(`${base}&match[version]=${v}&next=${next}`);
    await refused(`${base}&next=${next}`); // no match[version] means last
    const exact = await cursor(`${objectsPath()}?match[version]=${M(1)}&limit=1`);
    await app.get(`${objectsPath()}?match[version]=${M(1)}&limit=1&next=${exact}`).expect(200);
    await refused(`${objectsPath()}?match[version]=${M(2)}&limit=1&next=${exact}`);
    await refused(`${objectsPath()}?match[version]=${M(1)},${M(2)}&limit=1&next=${exact}`);
  });

  it('T-80 T-72 refuses a cursor reused with another added_after, or without it, or with it added', async () => {
    const next = await cursor(`${manifestPath()}?match[version]=all&added_after=${cut}&limit=1`);
    await refused(`${manifestPath()}?match[version]=all&added_after=${otherCut}&limit=1&next=${next}`);
    await refused(`${manifestPath()}?match[version]=all&added_after=2000-01-01T00:00:00Z&limit=1&next=${next}`);
    await refused(`${manifestPath()}?match[version]=all&limit=1&next=${next}`);
    const plain = await cursor(`${manifestPath()}?match[version]=all&limit=1`);
    await refused(`${manifestPath()}?match[version]=all&added_after=${cut}&limit=1&next=${plain}`);
  });

  it('T-80 refuses a cursor reused with another match[id], match[type] or match[spec_version]', async () => {
    const base = `${objectsPath()}?match[type]=indicator&match[spec_version]=2.1&limit=1`;
    const next = await cursor(base);
    await app.get(`${base}&next=${next}`).expect(200);
    await refused(`${objectsPath()}?match[type]=indicator,malware&match[spec_version]=2.1&limit=1&next=${next}`);
    await refused(`${objectsPath()}?match[type]=indicator&match[spec_version]=2.0,2.1&limit=1&next=${next}`);
    await refused(`${objectsPath()}?match[type]=indicator&limit=1&next=${next}`);
    await refused(`${base}&match[id]=${singles[0]?.id}&next=${next}`);
  });

  it('T-80 refuses a cursor used on another collection, even by an admin who can read both', async () => {
    const next = await cursor(`${objectsPath(C1)}?limit=1`, ADMIN);
    await app.get(`${objectsPath(C1)}?limit=1&next=${next}`, ADMIN).expect(200);
    await refused(`${objectsPath(C2)}?limit=1&next=${next}`, ADMIN);
    const fromC2 = await cursor(`${manifestPath(C2)}?limit=1`, ADMIN);
    await refused(`${manifestPath(C1)}?limit=1&next=${fromC2}`, ADMIN);
  });

  it('T-80 refuses a cursor used on another endpoint', async () => {
    const fromObjects = await cursor(`${objectsPath()}?limit=1`);
    await refused(`${manifestPath()}?limit=1&next=${fromObjects}`);
    const fromManifest = await cursor(`${manifestPath()}?limit=1`);
    await refused(`${objectsPath()}?limit=1&next=${fromManifest}`);
    const fromObject = await cursor(`${objectPath(x[0]!.id)}?match[version]=all&limit=1`);
    await refused(`${versionsPath(x[0]!.id)}?limit=1&next=${fromObject}`);
    const fromVersions = await cursor(`${versionsPath(x[0]!.id)}?limit=1`);
    await refused(`${objectPath(x[0]!.id)}?match[version]=all&limit=1&next=${fromVersions}`);
    await refused(`${objectsPath()}?match[version]=all&limit=1&next=${fromVersions}`);
  });

  it('T-80 refuses a cursor of one object used on another object (object and versions endpoints)', async () => {
    const fromObject = await cursor(`${objectPath(x[0]!.id)}?match[version]=all&limit=1`);
    const ok = await app.get(`${objectPath(x[0]!.id)}?match[version]=all&limit=1&next=${fromObject}`).expect(200);
    expect((ok.body.objects as Stix[]).map((o) => o.modified)).to.deep.equal([M(2)]);
    await refused(`${objectPath(y[0]!.id)}?match[version]=all&limit=1&next=${fromObject}`);
    const fromVersions = await cursor(`${versionsPath(x[0]!.id)}?limit=1`);
    const okv = await app.get(`${versionsPath(x[0]!.id)}?limit=1&next=${fromVersions}`).expect(200);
    expect(okv.body.versions).to.deep.equal([M(2)]);
    await refused(`${versionsPath(y[0]!.id)}?limit=1&next=${fromVersions}`);
  });

  it('T-80 T-127 refuses a cursor used by another user, admins included', async () => {
    const next = await cursor(`${objectsPath()}?limit=1`, ANALYST);
    await refused(`${objectsPath()}?limit=1&next=${next}`, READER);
    await refused(`${objectsPath()}?limit=1&next=${next}`, ADMIN);
    await app.get(`${objectsPath()}?limit=1&next=${next}`, ANALYST).expect(200);
  });

  it('T-127 refuses a forged, tampered or malformed cursor with its own reason', async () => {
    const raw = decodeURIComponent(await cursor(`${objectsPath()}?limit=1`));
    const tampered = `${raw.slice(0, 3)}${raw[3] === 'A' ? 'B' : 'A'}${raw.slice(4)}`;
    for (const bad of [tampered, 'garbage', `${raw}x`, raw.split('.')[0] as string]) {
      const res = await app.get(`${objectsPath()}?limit=1&next=${encodeURIComponent(bad)}`).expect(400);
      expect(res.body.error_code, bad).to.equal('invalid-request');
      expect(res.body.description, bad).to.equal('The next parameter is not a cursor issued by this server.');
    }
  });
});
