import { expect } from 'chai';
import {
  compareTimestamps,
  formatMicros,
  parseTimestamp,
  systemClock,
  toMicros,
  versionKey,
} from '../../src/stix/timestamps.js';

describe('timestamps (TAXII 2.1 §2, STIX 2.1 §2.16)', () => {
  it('T-12 formats microseconds with exactly six fractional digits', () => {
    expect(formatMicros(Date.UTC(2024, 0, 2, 3, 4, 5) * 1000 + 7)).to.equal('2024-01-02T03:04:05.000007Z');
    expect(formatMicros(0)).to.equal('1970-01-01T00:00:00.000000Z');
  });

  it('T-12 parses 0 to 9 fractional digits and rounds sub-microseconds down', () => {
    const base = Date.UTC(2024, 0, 1) * 1000;
    expect(toMicros('2024-01-01T00:00:00Z')).to.equal(base);
    expect(toMicros('2024-01-01T00:00:00.5Z')).to.equal(base + 500_000);
    expect(toMicros('2024-01-01T00:00:00.123456789Z')).to.equal(base + 123_456);
    expect(formatMicros(toMicros('2024-01-01T00:00:00.123456Z') as number)).to.equal('2024-01-01T00:00:00.123456Z');
  });

  it('S-8 rejects non-UTC, malformed and impossible calendar values', () => {
    for (const bad of [
      '2024-01-01T00:00:00+01:00',
      '2024-01-01 00:00:00Z',
      '2024-02-30T00:00:00Z',
      '2024-13-01T00:00:00Z',
      '2024-01-01T24:00:00Z',
      '2024-01-01T00:00:00.Z',
      'yesterday',
    ]) {
      expect(parseTimestamp(bad), bad).to.equal(undefined);
    }
    expect(parseTimestamp('2024-02-29T00:00:00Z')).not.to.equal(undefined);
  });

  it('T-86 version keys compare instants: equal precision variants match, order is chronological', () => {
    expect(versionKey('2024-01-01T00:00:01Z')).to.equal(versionKey('2024-01-01T00:00:01.000Z'));
    expect(versionKey('2024-01-01T00:00:01.000000Z')).to.equal(versionKey('2024-01-01T00:00:01.000Z'));
    const a = versionKey('2024-01-01T00:00:01.9Z') as string;
    const b = versionKey('2024-01-01T00:00:10Z') as string;
    expect(a < b).to.equal(true);
    expect(
      (versionKey('1999-12-31T23:59:59.999Z') as string) < (versionKey('2000-01-01T00:00:00Z') as string),
    ).to.equal(true);
  });

  it('T-86 T-89 version keys equate mixed-precision variants of one instant, in both directions', () => {
    const same: [string, string][] = [
      ['2024-01-01T00:00:01.1000Z', '2024-01-01T00:00:01.100Z'],
      ['2024-01-01T00:00:01.1Z', '2024-01-01T00:00:01.100000Z'],
      ['2024-01-01T00:00:01.10Z', '2024-01-01T00:00:01.100000000Z'],
      ['2024-01-01T00:00:01Z', '2024-01-01T00:00:01.0Z'],
    ];
    for (const [a, b] of same) {
      expect(versionKey(a), `${a} = ${b}`).to.be.a('string').and.to.equal(versionKey(b));
      expect(versionKey(b), `${b} = ${a}`).to.equal(versionKey(a));
    }
    expect(versionKey('2024-01-01T00:00:01.1001Z')).not.to.equal(versionKey('2024-01-01T00:00:01.1Z'));
    expect(versionKey('2024-01-01T00:00:01.01Z')).not.to.equal(versionKey('2024-01-01T00:00:01.1Z'));
  });

  it('T-89 version keys order instants where a string compare or a numeric fraction compare would not', () => {
    // Ascending instants. As strings, "…01Z" sorts after "…01.5Z" and "…01.500Z" after "…01.5001Z";
    // as numbers, the fraction 9000 of "…01.9000Z" is larger than 950 of "…01.950Z"; "…01.9Z" > "…01.10Z".
    const ascending = [
      '2023-12-31T23:59:59.999999999Z',
      '2024-01-01T00:00:01Z',
      '2024-01-01T00:00:01.000001Z',
      '2024-01-01T00:00:01.0001Z',
      '2024-01-01T00:00:01.10Z',
      '2024-01-01T00:00:01.500Z',
      '2024-01-01T00:00:01.5001Z',
      '2024-01-01T00:00:01.9Z',
      '2024-01-01T00:00:01.9000001Z',
      '2024-01-01T00:00:01.950Z',
      '2024-01-01T00:00:02Z',
      '2024-01-01T00:00:10.5Z',
      '2024-01-01T00:01:00Z',
    ];
    const keys = ascending.map((t) => versionKey(t) as string);
    for (let i = 0; i < keys.length; i++) {
      for (let j = i + 1; j < keys.length; j++) {
        expect((keys[i] as string) < (keys[j] as string), `${ascending[i]} < ${ascending[j]}`).to.equal(true);
        expect((keys[j] as string) > (keys[i] as string), `${ascending[j]} > ${ascending[i]}`).to.equal(true);
      }
    }
    const shuffled = [...ascending].reverse().sort((a, b) => a.length - b.length || (a < b ? 1 : -1));
    const byKey = [...shuffled].sort((a, b) => ((versionKey(a) as string) < (versionKey(b) as string) ? -1 : 1));
    expect(byKey).to.deep.equal(ascending);
  });

  it('T-89 compareTimestamps orders mixed-precision timestamps as instants, in both directions', () => {
    const ascending = [
      '2023-12-31T23:59:59.999999999Z',
      '2024-01-01T00:00:01Z',
      '2024-01-01T00:00:01.000001Z',
      '2024-01-01T00:00:01.10Z',
      '2024-01-01T00:00:01.500Z',
      '2024-01-01T00:00:01.5001Z',
      '2024-01-01T00:00:01.9Z',
      '2024-01-01T00:00:01.9000001Z',
      '2024-01-01T00:00:01.950Z',
      '2024-01-01T00:00:02Z',
      '2024-01-01T00:00:10.5Z',
    ];
    for (let i = 0; i < ascending.length; i++) {
      for (let j = i + 1; j < ascending.length; j++) {
        const [a, b] = [ascending[i] as string, ascending[j] as string];
        expect(compareTimestamps(a, b), `${a} < ${b}`).to.be.below(0);
        expect(compareTimestamps(b, a), `${b} > ${a}`).to.be.above(0);
      }
    }
    for (const [a, b] of [
      ['2024-01-01T00:00:01.1000Z', '2024-01-01T00:00:01.100Z'],
      ['2024-01-01T00:00:01.1Z', '2024-01-01T00:00:01.100000Z'],
      ['2024-01-01T00:00:01Z', '2024-01-01T00:00:01.000Z'],
    ] as const) {
      expect(compareTimestamps(a, b), `${a} = ${b}`).to.equal(0);
      expect(compareTimestamps(b, a), `${b} = ${a}`).to.equal(0);
    }
  });

  it('T-12 T-72 toMicros gives one value per instant whatever the precision, and orders like the instants', () => {
    const base = Date.UTC(2024, 0, 1, 0, 0, 1) * 1000;
    for (const [ts, micros] of [
      ['2024-01-01T00:00:01.1Z', base + 100_000],
      ['2024-01-01T00:00:01.100Z', base + 100_000],
      ['2024-01-01T00:00:01.1000Z', base + 100_000],
      ['2024-01-01T00:00:01.100000Z', base + 100_000],
      ['2024-01-01T00:00:01.100000999Z', base + 100_000],
      ['2024-01-01T00:00:01.9Z', base + 900_000],
      ['2024-01-01T00:00:01.10Z', base + 100_000],
      ['2024-01-01T00:00:01.000001Z', base + 1],
      ['2024-01-01T00:00:01.0000019Z', base + 1],
      ['2024-01-01T00:00:01Z', base],
    ] as const) {
      expect(toMicros(ts), ts).to.equal(micros);
    }
    expect(toMicros('2024-01-01T00:00:01.9Z') as number).to.be.greaterThan(
      toMicros('2024-01-01T00:00:01.10Z') as number,
    );
    expect(toMicros('2024-01-01T00:00:01.5Z') as number).to.be.greaterThan(toMicros('2024-01-01T00:00:01Z') as number);
    expect(toMicros('2024-01-01T00:00:01.999999Z') as number).to.be.lessThan(
      toMicros('2024-01-01T00:00:02Z') as number,
    );
  });

  it('T-95 P-29 the system clock has sub-millisecond resolution and never goes back', () => {
    const clock = systemClock();
    const samples = Array.from({ length: 2000 }, () => clock.nowMicros());
    for (let i = 1; i < samples.length; i++) expect(samples[i]).to.be.at.least(samples[i - 1] as number);
    expect(samples.some((s) => s % 1000 !== 0)).to.equal(true);
    expect(Math.abs((samples[0] as number) / 1000 - Date.now())).to.be.below(5000);
  });
});
