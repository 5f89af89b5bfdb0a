// Every rule of the TAXII query parser (src/taxii/query.ts): messages, details, bounds and the
// canonical form that cursors are bound to.
import { expect } from 'chai';
import { InvalidRequestError } from '../../src/errors.js';
import { versionKey } from '../../src/stix/timestamps.js';
import { parseTaxiiQuery, type Endpoint } from '../../src/taxii/query.js';

const uuid = (n: number): string => `6b1c2e9a-93f5-4d7b-8f0e-${String(n).padStart(12, '0')}`;
const ID_A = `indicator--${uuid(1)}`;
const ID_B = `malware--${uuid(2)}`;
const ID_C = `attack-pattern--${uuid(3)}`;
const micros = (iso: string): number => Date.parse(iso) * 1000;

function refusal(raw: string, endpoint: Endpoint = 'objects', max = 1000): InvalidRequestError {
  try {
    parseTaxiiQuery(raw, endpoint, max);
  } catch (err) {
    expect(err, raw).to.be.instanceOf(InvalidRequestError);
    return err as InvalidRequestError;
  }
  return expect.fail(`expected "${raw}" to be refused`);
}

const accepts = (raw: string, endpoint: Endpoint = 'objects') => parseTaxiiQuery(raw, endpoint, 1000);

describe('TAXII query parser rules (src/taxii/query.ts)', () => {
  describe('repeated parameters', () => {
    it('refuses a repeated filter or paging parameter, naming it', () => {
      for (const key of [
        'added_after',
        'limit',
        'next',
        'match[id]',
        'match[type]',
        'match[version]',
        'match[spec_version]',
      ]) {
        const err = refusal(`${key}=a&${key}=b`);
        expect(err.message).to.equal(`The parameter ${key} must not appear more than once.`);
        expect(err.details).to.deep.equal({ parameter: key });
      }
    });

    it('refuses a repeated unknown match[...] field, on any endpoint, even one that ignores it', () => {
      expect(refusal('match[colour]=red&match[colour]=blue').details).to.deep.equal({ parameter: 'match[colour]' });
      expect(refusal('match[id]=x&match[id]=y', 'versions').details).to.deep.equal({ parameter: 'match[id]' });
    });

    it('lets other parameters repeat, and a parameter appear once beside another', () => {
      const q = accepts('utm=1&utm=2&limit=3');
      expect(q.limit).to.equal(3);
      expect(accepts('limit=4&next=abc').next).to.equal('abc');
    });
  });

  describe('added_after', () => {
    it('converts to microseconds and refuses anything else with the value in the details', () => {
      expect(accepts('added_after=2024-03-04T05:06:07.123456Z').addedAfter).to.equal(
        micros('2024-03-04T05:06:07Z') + 123_456,
      );
      const err = refusal('added_after=2024-03-04');
      expect(err.message).to.equal('added_after must be one RFC 3339 UTC timestamp, e.g. 2024-01-01T00:00:00.000000Z.');
      expect(err.details).to.deep.equal({ added_after: '2024-03-04' });
    });

    it('is left out when not given, and ignored on the delete endpoint', () => {
      expect(accepts('')).to.not.have.property('addedAfter');
      expect(accepts('added_after=nonsense', 'delete')).to.not.have.property('addedAfter');
    });
  });

  describe('limit', () => {
    it('accepts 1 to 16 digits without a leading zero, and clamps to the server maximum', () => {
      expect(accepts('limit=1').limit).to.equal(1);
      expect(accepts('limit=999').limit).to.equal(999);
      expect(accepts('limit=1000').limit).to.equal(1000);
      expect(accepts('limit=1001').limit).to.equal(1000);
      expect(accepts('limit=9999999999999999').limit).to.equal(1000);
      expect(parseTaxiiQuery('limit=10', 'objects', 3).limit).to.equal(3);
      expect(parseTaxiiQuery('limit=2', 'objects', 3).limit).to.equal(2);
    });

    it('refuses anything else with the value in the details', () => {
      for (const bad of ['0', '00', '01', '-1', '+1', '1.5', '1e3', 'x5', '5x', ' 5x', 'ten', '99999999999999999']) {
        const err = refusal(`limit=${encodeURIComponent(bad)}`);
        expect(err.message, bad).to.equal('limit must be a positive integer.');
        expect(err.details, bad).to.deep.equal({ limit: bad });
      }
    });

    it('is ignored on the delete endpoint', () => {
      expect(parseTaxiiQuery('limit=5', 'delete', 77).limit).to.equal(77);
    });
  });

  describe('next', () => {
    it('keeps the token as given and refuses an empty one', () => {
      expect(accepts('next=abc.def').next).to.equal('abc.def');
      expect(accepts('')).to.not.have.property('next');
      expect(refusal('next=').message).to.equal('next must not be empty.');
    });
  });

  describe('match lists', () => {
    it('splits on commas and trims each value', () => {
      expect(accepts(`match[id]=${ID_A}, ${ID_B} ,${ID_C}`).ids).to.deep.equal([ID_A, ID_B, ID_C]);
      expect(accepts('match[spec_version]=2.1,2.0').specVersions).to.deep.equal(['2.1', '2.0']);
      expect(accepts('match[type]=indicator')).to.deep.include({ types: ['indicator'] });
    });

    it('leaves absent lists undefined', () => {
      const q = accepts('');
      for (const k of ['ids', 'types', 'specVersions']) expect(q, k).to.not.have.property(k);
    });

    it('refuses empty values, naming the parameter and the raw value', () => {
      for (const raw of ['', ',', 'indicator,', ',indicator', 'indicator,,malware', 'indicator, ']) {
        const err = refusal(`match[type]=${encodeURIComponent(raw)}`);
        expect(err.message, raw).to.equal('match[type] must be a comma-separated list without empty values.');
        expect(err.details, raw).to.deep.equal({ 'match[type]': raw });
      }
    });

    it('takes exactly 1000 values and refuses 1001', () => {
      const ids = (n: number) => Array.from({ length: n }, (_, i) => `indicator--${uuid(i)}`).join(',');
      expect(accepts(`match[id]=${ids(1000)}`).ids).to.have.length(1000);
      expect(refusal(`match[id]=${ids(1001)}`).message).to.equal('match[id] accepts at most 1000 values.');
      const types = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`).join(',');
      expect(accepts(`match[type]=${types(1000)}`).types).to.have.length(1000);
      expect(refusal(`match[type]=${types(1001)}`).message).to.equal('match[type] accepts at most 1000 values.');
    });

    it('refuses a repeated value', () => {
      const err = refusal(`match[id]=${ID_A},${ID_B},${ID_A}`);
      expect(err.message).to.equal('match[id] must not repeat a value.');
      expect(err.details).to.deep.equal({ 'match[id]': `${ID_A},${ID_B},${ID_A}` });
      expect(refusal('match[spec_version]=2.1,2.1').message).to.equal('match[spec_version] must not repeat a value.');
    });

    it('match[id] takes STIX identifiers only', () => {
      const good = [ID_A, `x-acme-2--${uuid(4)}`, `ab--${uuid(5).toUpperCase()}`];
      expect(accepts(`match[id]=${good.join(',')}`).ids).to.deep.equal(good);
      for (const bad of [
        'indicator',
        `Indicator--${uuid(1)}`,
        `1indicator--${uuid(1)}`,
        `-indicator--${uuid(1)}`,
        `a--${uuid(1)}`,
        `indicator---${uuid(1)}`,
        `indicator-${uuid(1)}`,
        `indicator--${uuid(1)}0`,
        `indicator--${uuid(1)}x`,
        `indicator--${uuid(1).slice(1)}`,
        `indicator--${uuid(1).replace(/-/g, '')}`,
        `indicator--g${uuid(1).slice(1)}`,
        `xx indicator--${uuid(1)}`,
      ]) {
        const err = refusal(`match[id]=${encodeURIComponent(bad)}`);
        expect(err.message, bad).to.equal(`match[id]: "${bad}" is not a STIX identifier.`);
        expect(err.details, bad).to.deep.equal({ 'match[id]': bad });
      }
    });

    it('match[type] takes STIX type names only', () => {
      const good = ['ab', 'x-acme-thing', '2x', `a${'b'.repeat(248)}c`];
      expect(accepts(`match[type]=${good.join(',')}`).types).to.deep.equal(good);
      for (const bad of [
        'a',
        'Indicator',
        '-indicator',
        'indicator-',
        'x_acme',
        `a${'b'.repeat(249)}c`,
        'ind icator',
      ]) {
        const err = refusal(`match[type]=${encodeURIComponent(bad)}`);
        expect(err.message, bad).to.equal(`match[type]: "${bad}" is not a STIX type name.`);
      }
    });

    it('match[spec_version] takes major.minor only', () => {
      expect(accepts('match[spec_version]=2.1,10.20').specVersions).to.deep.equal(['2.1', '10.20']);
      for (const bad of ['2', '2.', '.1', 'v2.1', '2.1a', '2.1.0', 'x']) {
        const err = refusal(`match[spec_version]=${bad}`);
        expect(err.message, bad).to.equal(`match[spec_version]: "${bad}" is not a spec version such as 2.1.`);
      }
    });
  });

  describe('match[version]', () => {
    it('defaults to the latest version only', () => {
      expect(accepts('').versions).to.deep.equal({ first: false, last: true, exact: [] });
    });

    it('keeps first and last apart and sorts the exact version keys', () => {
      expect(accepts('match[version]=last').versions).to.deep.equal({ first: false, last: true, exact: [] });
      expect(accepts('match[version]=first').versions).to.deep.equal({ first: true, last: false, exact: [] });
      const late = '2024-06-01T00:00:00Z';
      const early = '2023-06-01T00:00:00.5Z';
      expect(accepts(`match[version]=${late},${early}`).versions).to.deep.equal({
        first: false,
        last: false,
        exact: [versionKey(early), versionKey(late)],
      });
      expect(accepts(`match[version]=${early},${late}`).versions).to.deep.equal(
        accepts(`match[version]=${late},${early}`).versions,
      );
    });

    it('refuses all beside anything else, words and non-timestamps, and one instant named twice', () => {
      expect(refusal('match[version]=last,all').message).to.equal(
        'match[version]=all cannot be combined with other values.',
      );
      expect(refusal('match[version]=latest').message).to.equal(
        'match[version]: "latest" is neither first, last, all nor a STIX timestamp.',
      );
      expect(refusal('match[version]=2024-02-30T00:00:00Z').message).to.match(/neither first, last, all/);
      expect(refusal('match[version]=2024-01-01T00:00:00Z,2024-01-01T00:00:00.000Z').message).to.equal(
        'match[version] names the version 2024-01-01T00:00:00.000Z twice.',
      );
      expect(refusal('match[version]=last,last').message).to.equal('match[version] must not repeat a value.');
    });

    it('is ignored on the versions endpoint, which always lists every version', () => {
      expect(accepts('match[version]=all', 'versions').versions).to.deep.equal({ first: false, last: true, exact: [] });
    });
  });

  describe('endpoints', () => {
    it('objects and manifest honour every filter; object and versions only some; delete only versions', () => {
      const raw =
        `added_after=2024-01-01T00:00:00Z&limit=5&next=tok&match[id]=${ID_A}` +
        '&match[type]=indicator&match[version]=first&match[spec_version]=2.1';
      const full = {
        addedAfter: micros('2024-01-01T00:00:00Z'),
        limit: 5,
        next: 'tok',
        ids: [ID_A],
        types: ['indicator'],
        versions: { first: true, last: false, exact: [] },
        specVersions: ['2.1'],
      };
      const pick = (endpoint: Endpoint): Record<string, unknown> => {
        const parsed: Record<string, unknown> = { ...accepts(raw, endpoint) };
        delete parsed.canonical;
        return parsed;
      };
      expect(pick('objects')).to.deep.equal(full);
      expect(pick('manifest')).to.deep.equal(full);
      const object: Record<string, unknown> = { ...full };
      delete object.ids;
      delete object.types;
      expect(pick('object')).to.deep.equal(object);
      expect(pick('versions')).to.deep.equal({ ...object, versions: { first: false, last: true, exact: [] } });
      expect(pick('delete')).to.deep.equal({
        limit: 1000,
        versions: { first: true, last: false, exact: [] },
        specVersions: ['2.1'],
      });
    });
  });

  describe('canonical form (what a cursor is bound to)', () => {
    it('lists added_after, sorted ids, sorted types, the version selection and sorted spec versions', () => {
      const q = accepts(
        `added_after=2024-01-01T00:00:00Z&match[id]=${ID_B},${ID_A}&match[type]=malware,indicator` +
          '&match[version]=last,first&match[spec_version]=2.1,2.0&limit=3&next=x',
      );
      expect(q.canonical).to.deep.equal([
        micros('2024-01-01T00:00:00Z'),
        [ID_A, ID_B],
        ['indicator', 'malware'],
        { first: true, last: true, exact: [] },
        ['2.0', '2.1'],
      ]);
      // the parsed lists themselves keep the order the client gave
      expect(q.ids).to.deep.equal([ID_B, ID_A]);
      expect(q.types).to.deep.equal(['malware', 'indicator']);
      expect(q.specVersions).to.deep.equal(['2.1', '2.0']);
    });

    it('uses null for each absent filter', () => {
      expect(accepts('limit=3').canonical).to.deep.equal([
        null,
        null,
        null,
        { first: false, last: true, exact: [] },
        null,
      ]);
    });

    it('is the same whatever order ids and spec versions come in, and differs when they differ', () => {
      const a = accepts(`match[id]=${ID_A},${ID_B}&match[spec_version]=2.0,2.1`).canonical;
      const b = accepts(`match[spec_version]=2.1,2.0&match[id]=${ID_B},${ID_A}`).canonical;
      expect(a).to.deep.equal(b);
      expect(accepts(`match[id]=${ID_A}&match[spec_version]=2.0,2.1`).canonical).not.to.deep.equal(a);
      expect(accepts(`match[id]=${ID_A},${ID_B}&match[spec_version]=2.1`).canonical).not.to.deep.equal(a);
    });
  });
});
