import { expect } from 'chai';
import { formatMicros, parseTimestamp, systemClock, toMicros, versionKey } from '../../src/stix/timestamps.js';

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
    for (const bad of ['2024-01-01T00:00:00+01:00', '2024-01-01 00:00:00Z', '2024-02-30T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T24:00:00Z', '2024-01-01T00:00:00.Z', 'yesterday']) {
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
    expect((versionKey('1999-12-31T23:59:59.999Z') as string) < (versionKey('2000-01-01T00:00:00Z') as string)).to.equal(true);
  });

  it('T-95 P-29 the system clock has sub-millisecond resolution and never goes back', () => {
    const clock = systemClock();
    const samples = Array.from({ length: 2000 }, () => clock.nowMicros());
    for (let i = 1; i < samples.length; i++) expect(samples[i]).to.be.at.least(samples[i - 1] as number);
    expect(samples.some((s) => s % 1000 !== 0)).to.equal(true);
    expect(Math.abs((samples[0] as number) / 1000 - Date.now())).to.be.below(5000);
  });
});
