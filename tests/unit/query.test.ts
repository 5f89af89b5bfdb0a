import { expect } from 'chai';
import { InvalidRequestError } from '../../src/errors.js';
import { parseTaxiiQuery } from '../../src/taxii/query.js';
import { versionKey } from '../../src/stix/timestamps.js';

const ID1 = 'indicator--6b1c2e9a-93f5-4d7b-8f0e-2a4c6e8b0d1f';
const ID2 = 'malware--6b1c2e9a-93f5-4d7b-8f0e-2a4c6e8b0d1e';

function rejects(q: string, endpoint: Parameters<typeof parseTaxiiQuery>[1] = 'objects'): InvalidRequestError {
  try {
    parseTaxiiQuery(q, endpoint, 1000);
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidRequestError);
    return err as InvalidRequestError;
  }
  return expect.fail(`expected ${q} to be rejected`);
}

describe('TAXII query parameters (§3.4)', () => {
  it('T-84 T-90 defaults: latest version only, no spec_version filter, server page size', () => {
    const q = parseTaxiiQuery('', 'objects', 500);
    expect(q.versions).to.deep.equal({ first: false, last: true, exact: [] });
    expect(q.specVersions).to.equal(undefined);
    expect(q.limit).to.equal(500);
  });

  it('T-70 T-82 T-83 parses comma lists, percent-encoded brackets and trims stray spaces', () => {
    const q = parseTaxiiQuery(`match%5Bid%5D=${ID1},%20${ID2}&match[type]=indicator,x-acme-thing`, 'objects', 1000);
    expect(q.ids).to.deep.equal([ID1, ID2]);
    expect(q.types).to.deep.equal(['indicator', 'x-acme-thing']);
  });

  it('T-85 parses first, last and exact versions into a union; all stands alone', () => {
    const q = parseTaxiiQuery('match[version]=first,2024-01-01T00:00:00Z,last', 'objects', 1000);
    expect(q.versions).to.deep.equal({ first: true, last: true, exact: [versionKey('2024-01-01T00:00:00Z')] });
    expect(parseTaxiiQuery('match[version]=all', 'objects', 1000).versions).to.deep.equal({ all: true });
    expect(parseTaxiiQuery('match[version]=first', 'objects', 1000).versions).to.deep.equal({
      first: true,
      last: false,
      exact: [],
    });
  });

  it('T-69 T-72 T-74 T-85 T-126 rejects malformed and repeated parameters with a reason', () => {
    expect(rejects('limit=0').message).to.match(/limit/);
    rejects('limit=01');
    rejects('limit=');
    rejects('added_after=2024-01-01');
    rejects('added_after=2024-01-01T00:00:00Z&added_after=2024-01-01T00:00:00Z');
    expect(rejects('match[type]=a&match[type]=b').message).to.match(/more than once/);
    rejects('match[version]=all,first');
    rejects('match[version]=2024-01-01T00:00:00Z,2024-01-01T00:00:00.000Z');
    rejects('match[version]=first,first');
    rejects('match[id]=indicator');
    rejects('match[type]=Indicator');
    rejects('match[spec_version]=2');
    rejects('next=');
    rejects(
      `match[id]=${Array.from({ length: 1001 }, (_, i) => `indicator--6b1c2e9a-93f5-4d7b-8f0e-${String(i).padStart(12, '0')}`).join(',')}`,
    );
  });

  it('T-71 T-61 parameters an endpoint does not define are ignored there', () => {
    const q = parseTaxiiQuery(`match[id]=not-an-id&match[type]=!!&match[version]=first`, 'object', 1000);
    expect(q.ids).to.equal(undefined);
    expect(q.types).to.equal(undefined);
    expect(q.versions).to.deep.equal({ first: true, last: false, exact: [] });
    const v = parseTaxiiQuery('match[version]=garbage&limit=5', 'versions', 1000);
    expect(v.limit).to.equal(5);
    const d = parseTaxiiQuery('limit=garbage&match[version]=all', 'delete', 1000);
    expect(d.versions).to.deep.equal({ all: true });
  });

  it('T-77 clamps limit to the server maximum', () => {
    expect(parseTaxiiQuery('limit=5000', 'objects', 1000).limit).to.equal(1000);
    expect(parseTaxiiQuery('limit=7', 'objects', 1000).limit).to.equal(7);
  });

  it('T-80 the canonical filter form ignores order and limit but not the filters', () => {
    const a = parseTaxiiQuery(`match[type]=malware,indicator&limit=5`, 'objects', 1000).canonical;
    const b = parseTaxiiQuery(`limit=9&match[type]=indicator,malware`, 'objects', 1000).canonical;
    const c = parseTaxiiQuery(`match[type]=indicator`, 'objects', 1000).canonical;
    expect(a).to.deep.equal(b);
    expect(a).not.to.deep.equal(c);
  });
});
