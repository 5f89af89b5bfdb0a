// The strict parser keeps one set of per-depth stacks for every scan of a thread (fewer
// allocations per object of a large envelope). A scan must never see what an earlier scan left in
// them: the reasons and paths of a refusal are the same whatever was parsed before.
import { expect } from 'chai';
import { parseStrictObject, type StrictParseResult } from '../../src/ingest/strict-json.js';

function reason(r: StrictParseResult): string {
  if (r.ok) throw new Error('expected a refusal');
  return r.reason;
}

const deep = (levels: number): string => `{"a":${'{"k":['.repeat(levels)}1${']}'.repeat(levels)}}`;

describe('parseStrictObject: one scan after another', () => {
  const cases: [string, string][] = [
    ['{"a":{"b":[1,2,{"c":1e309}]}}', 'number 1e309 overflows an IEEE 754 double at $.a.b[2].c (byte 20)'],
    ['{"x":[{"k":1},{"j":1,"k":2,"j":3}]}', 'duplicate member name "j" at $.x[1].j (byte 27)'],
    // an object just opened, with no member yet: its step of the path is empty
    ['{"a":[{"b":{1}}]}', 'expected a member name or "}", found "1" at $.a[0].b (byte 12)'],
    ['{"p":[[{"q":tru}]]}', 'invalid literal, expected true at $.p[0][0].q (byte 12)'],
    ['{"z":{}, "y":[1,{"w":-}]}', 'expected a digit in a number, found "}" at $.y[1].w (byte 22)'],
  ];

  it('gives the same reasons and paths alone, after deeper objects and after each other', () => {
    const alone = cases.map(([text]) => reason(parseStrictObject(Buffer.from(text))));
    // Fill every slot of the stacks with other names, indexes and kinds, at a larger maxDepth.
    expect(parseStrictObject(Buffer.from(deep(190)), { maxDepth: 400 }).ok).to.equal(true);
    expect(reason(parseStrictObject(Buffer.from(`{"b":${'[0,'.repeat(200)}x`), { maxDepth: 400 }))).to.include(
      '[1][1]',
    );
    const after = cases.map(([text]) => reason(parseStrictObject(Buffer.from(text))));
    const reversed = [...cases].reverse().map(([text]) => reason(parseStrictObject(Buffer.from(text))));
    expect(alone).to.deep.equal(cases.map(([, r]) => r));
    expect(after).to.deep.equal(alone);
    expect(reversed).to.deep.equal([...alone].reverse());
  });

  it('applies each call its own maxDepth, larger or smaller than the one before', () => {
    expect(parseStrictObject(Buffer.from(deep(30)), { maxDepth: 100 }).ok).to.equal(true);
    expect(reason(parseStrictObject(Buffer.from(deep(30)), { maxDepth: 10 }))).to.match(
      /^nesting deeper than 10 levels at \$\.a(\.k\[0\]){4}\.k /,
    );
    expect(parseStrictObject(Buffer.from(deep(499)), { maxDepth: 1000 }).ok).to.equal(true);
    expect(reason(parseStrictObject(Buffer.from(deep(30)), { maxDepth: 20 }))).to.match(
      /^nesting deeper than 20 levels at /,
    );
  });
});
