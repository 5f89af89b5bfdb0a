// TAXII 2.1 §2 timestamps, §3.4 added_after, §3.4.1 match[version]: timestamps with different numbers
// of fractional digits are the same instant (…01.1Z = …01.100Z = …01.1000Z = …01.100000Z), both ways.
import { expect } from 'chai';
import { versionKey } from '../../src/stix/timestamps.js';
import { envelope, indicator, type Stix } from '../fixtures/builders.js';
import {
  manifestPath,
  objectPath,
  objectsPath,
  startTestApp,
  versionsPath,
  type TestApp,
} from '../helpers/test-app.js';

const CREATED = '2024-01-01T00:00:00.000Z';
const T = (rest: string): string => `2024-01-01T00:00:${rest}Z`;

/** A clock the test sets; every call returns the same instant until it is moved. */
function settableClock(startMicros: number): { now: number; nowMicros(): number } {
  const clock = { now: startMicros, nowMicros: () => clock.now };
  return clock;
}

const modifiedOf = (body: { objects?: Stix[] }): string[] => (body.objects ?? []).map((o) => String(o.modified));

describe('Mixed-precision timestamps in match[version] and added_after', () => {
  let app: TestApp;
  const v = (modified: string): Stix => indicator('precision', modified, { created: CREATED });
  // Stored with a long fraction, with a short one, and with six digits; posted out of version order.
  const LONG = T('01.1000');
  const SHORT = T('02.100');
  const SIX = T('03.100000');
  const id = v(LONG).id;

  before(async () => {
    app = await startTestApp();
    const res = await app.post(objectsPath(), envelope(v(SIX), v(LONG), v(SHORT))).expect(202);
    expect(res.body.success_count).to.equal(3);
  });
  after(async () => app.close());

  for (const [stored, queries] of [
    [LONG, [T('01.100'), T('01.1'), T('01.10'), T('01.100000'), T('01.1000'), T('01.100000000')]],
    [SHORT, [T('02.1000'), T('02.1'), T('02.100000'), T('02.100')]],
    [SIX, [T('03.1'), T('03.100'), T('03.1000'), T('03.100000')]],
  ] as const) {
    it(`T-86 match[version] finds the version stored as ${stored} whatever the precision of the query`, async () => {
      for (const q of queries) {
        for (const path of [objectPath(id), objectsPath()]) {
          const res = await app.get(`${path}?match[version]=${q}`).expect(200);
          expect(modifiedOf(res.body), `${path} ${q}`).to.deep.equal([stored]);
        }
        const manifest = await app.get(`${manifestPath()}?match[version]=${q}`).expect(200);
        expect(
          (manifest.body.objects as { version: string }[]).map((r) => r.version),
          q,
        ).to.deep.equal([stored]);
      }
    });
  }

  it('T-86 match[version] does not match a different instant that shares a prefix', async () => {
    for (const q of [T('01.1001'), T('01.01'), T('01.0100'), T('02.10001'), T('03.1000001'), T('01'), T('11.000')]) {
      await app.get(`${objectPath(id)}?match[version]=${q}`).expect(200, {});
    }
  });

  it('T-85 T-86 an exact list mixing precisions selects each version once', async () => {
    const res = await app
      .get(`${objectPath(id)}?match[version]=${T('02.1')},${T('01.100')},${T('03.1000')}`)
      .expect(200);
    expect(modifiedOf(res.body)).to.deep.equal([SIX, LONG, SHORT]);
    const dup = await app.get(`${objectPath(id)}?match[version]=${T('01.1')},${T('01.100000')}`).expect(400);
    expect(dup.body.error_code).to.equal('invalid-request');
    expect(dup.body.description).to.equal(`match[version] names the version ${T('01.100000')} twice.`);
  });

  it('T-89 first and last order versions as instants, not as strings or as fraction numbers', async () => {
    // As instants: .500 < .5001 < .9000 < .950. A string compare puts .5001Z before .500Z;
    // comparing the fraction digits as numbers puts .9000 after .950.
    const w = (modified: string): Stix => indicator('order', modified, { created: CREATED });
    for (const m of [T('05.950'), T('05.500'), T('05.9000'), T('05.5001')])
      await app.post(objectsPath(), envelope(w(m))).expect(202);
    const oid = w(T('05.500')).id;
    const first = await app.get(`${objectPath(oid)}?match[version]=first`).expect(200);
    expect(modifiedOf(first.body)).to.deep.equal([T('05.500')]);
    const last = await app.get(objectPath(oid)).expect(200);
    expect(modifiedOf(last.body)).to.deep.equal([T('05.950')]);
    const versions = await app.get(versionsPath(oid)).expect(200);
    expect(versions.body.versions).to.deep.equal([T('05.950'), T('05.500'), T('05.9000'), T('05.5001')]);
  });

  it('A-10 a repost of a stored version written with another precision is the same version, not a new one', async () => {
    const res = await app.post(objectsPath(), envelope(v(T('02.100000')))).expect(202);
    expect(res.body).to.include({ success_count: 0, failure_count: 1 });
    // The failure names that version, as posted or as stored: either string is the same instant.
    expect(res.body.failures[0].id).to.equal(id);
    expect(versionKey(res.body.failures[0].version as string)).to.equal(versionKey(SHORT));
    const versions = await app.get(versionsPath(id)).expect(200);
    expect(versions.body.versions).to.deep.equal([SIX, LONG, SHORT]);
  });

  it('T-116 DELETE selects the exact version whatever the precision of the query', async () => {
    const d = (modified: string): Stix => indicator('delete-precision', modified, { created: CREATED });
    await app.post(objectsPath(), envelope(d(T('07.2000')), d(T('08.300')))).expect(202);
    const did = d(T('07.2000')).id;
    await app.del(`${objectPath(did)}?match[version]=${T('07.2')}`).expect(200);
    await app.del(`${objectPath(did)}?match[version]=${T('07.200')}`).expect(404);
    const left = await app.get(versionsPath(did)).expect(200);
    expect(left.body.versions).to.deep.equal([T('08.300')]);
  });
});

describe('added_after with any number of fractional digits', () => {
  let app: TestApp;
  const START = Date.UTC(2025, 0, 1) * 1000;
  const clock = settableClock(START);
  const objs = [1, 2, 3, 4].map((i) => indicator(`added-${i}`));

  before(async () => {
    app = await startTestApp({ clock });
    // Each object is added at START + i × 100 ms: …00.100000Z, …00.200000Z, …
    for (const [i, o] of objs.entries()) {
      clock.now = START + (i + 1) * 100_000;
      await app.post(objectsPath(), envelope(o)).expect(202);
    }
    const res = await app.get(manifestPath()).expect(200);
    expect((res.body.objects as { date_added: string }[]).map((r) => r.date_added)).to.deep.equal([
      '2025-01-01T00:00:00.100000Z',
      '2025-01-01T00:00:00.200000Z',
      '2025-01-01T00:00:00.300000Z',
      '2025-01-01T00:00:00.400000Z',
    ]);
  });
  after(async () => app.close());

  const idsAfter = async (ts: string): Promise<string[]> => {
    const res = await app.get(`${objectsPath()}?added_after=${ts}`).expect(200);
    return ((res.body.objects ?? []) as Stix[]).map((o) => o.id);
  };
  const ids = objs.map((o) => o.id);

  it('T-12 T-72 the same instant written with 0 to 9 fractional digits selects the same objects', async () => {
    for (const ts of [
      '2025-01-01T00:00:00.1Z',
      '2025-01-01T00:00:00.100Z',
      '2025-01-01T00:00:00.1000Z',
      '2025-01-01T00:00:00.100000Z',
      '2025-01-01T00:00:00.100000000Z',
    ]) {
      expect(await idsAfter(ts), ts).to.deep.equal(ids.slice(1));
    }
    for (const ts of ['2025-01-01T00:00:00.2Z', '2025-01-01T00:00:00.20Z', '2025-01-01T00:00:00.2000000Z']) {
      expect(await idsAfter(ts), ts).to.deep.equal(ids.slice(2));
    }
    expect(await idsAfter('2025-01-01T00:00:00Z')).to.deep.equal(ids);
    expect(await idsAfter('2025-01-01T00:00:01Z')).to.deep.equal([]);
  });

  it('T-72 added_after is strict and compares at microsecond precision', async () => {
    expect(await idsAfter('2025-01-01T00:00:00.099999Z')).to.deep.equal(ids);
    expect(await idsAfter('2025-01-01T00:00:00.0999999Z')).to.deep.equal(ids);
    expect(await idsAfter('2025-01-01T00:00:00.19Z')).to.deep.equal(ids.slice(1));
    expect(await idsAfter('2025-01-01T00:00:00.300001Z')).to.deep.equal(ids.slice(3));
    expect(await idsAfter('2025-01-01T00:00:00.35Z')).to.deep.equal(ids.slice(3));
  });
});
