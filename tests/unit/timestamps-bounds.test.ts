// Field bounds, exact key format and comparison results of src/stix/timestamps.ts.
import { expect } from 'chai';
import { compareTimestamps, formatMicros, parseTimestamp, toMicros, versionKey } from '../../src/stix/timestamps.js';

const secondsOf = (iso: string): number => Date.parse(iso) / 1000;

describe('timestamps: bounds, key format and comparison results (src/stix/timestamps.ts)', () => {
  it('gives whole epoch seconds and the fraction exactly as written', () => {
    expect(parseTimestamp('2024-03-04T05:06:07Z')).to.deep.equal({
      seconds: secondsOf('2024-03-04T05:06:07Z'),
      fraction: '',
    });
    expect(parseTimestamp('2024-03-04T05:06:07.50Z')).to.deep.equal({
      seconds: secondsOf('2024-03-04T05:06:07Z'),
      fraction: '50',
    });
    expect(parseTimestamp('1970-01-01T00:00:00.000Z')).to.deep.equal({ seconds: 0, fraction: '000' });
    expect(parseTimestamp('2024-12-31T23:59:59.123456789Z')).to.deep.equal({
      seconds: secondsOf('2024-12-31T23:59:59Z'),
      fraction: '123456789',
    });
  });

  it('accepts every field at its upper and lower bound', () => {
    for (const ok of [
      '2024-01-01T00:00:00Z',
      '2024-12-31T23:59:59Z',
      '2024-01-31T00:00:00Z',
      '2024-03-31T00:00:00Z',
      '2024-04-30T00:00:00Z',
      '2024-07-31T00:00:00Z',
      '2024-08-31T00:00:00Z',
      '2024-11-30T00:00:00Z',
      '2024-12-31T00:00:00Z',
      '2024-02-29T00:00:00Z',
      '2000-02-29T00:00:00Z',
      '2023-02-28T00:00:00Z',
      '2024-06-15T23:00:00Z',
      '2024-06-15T00:59:00Z',
    ]) {
      expect(parseTimestamp(ok), ok).to.deep.equal({ seconds: secondsOf(ok), fraction: '' });
    }
  });

  it('refuses month 00 and 13, day 00 and past the month end, hour 24, minute 60, second 61', () => {
    for (const bad of [
      '2024-00-10T00:00:00Z',
      '2024-13-10T00:00:00Z',
      '2024-01-00T00:00:00Z',
      '2024-01-32T00:00:00Z',
      '2024-04-31T00:00:00Z',
      '2024-06-31T00:00:00Z',
      '2024-09-31T00:00:00Z',
      '2024-11-31T00:00:00Z',
      '2023-02-29T00:00:00Z',
      '1900-02-29T00:00:00Z',
      '2100-02-29T00:00:00Z',
      '2024-02-30T00:00:00Z',
      '2024-06-15T24:00:00Z',
      '2024-06-15T00:60:00Z',
      '2024-06-15T00:00:61Z',
      '2024-06-15T00:00:99Z',
    ]) {
      expect(parseTimestamp(bad), bad).to.equal(undefined);
      expect(versionKey(bad), bad).to.equal(undefined);
      expect(toMicros(bad), bad).to.equal(undefined);
    }
  });

  it('refuses text around a timestamp and missing digits', () => {
    for (const bad of [
      ' 2024-06-15T00:00:00Z',
      '2024-06-15T00:00:00Z ',
      'x2024-06-15T00:00:00Z',
      '2024-06-15T00:00:00Zx',
      '2024-06-15T00:00:00z',
      '2024-06-15t00:00:00Z',
      '2024-6-15T00:00:00Z',
      '24-06-15T00:00:00Z',
      '2024-06-15T00:00:00',
      '2024-06-15T00:00:00.Z',
      '2024-06-15T00:00:00.1a2Z',
    ]) {
      expect(parseTimestamp(bad), bad).to.equal(undefined);
    }
  });

  it('takes a leap second as the last second of its minute', () => {
    const leap = parseTimestamp('2016-12-31T23:59:60.5Z');
    expect(leap).to.deep.equal({ seconds: secondsOf('2016-12-31T23:59:59Z'), fraction: '5' });
    expect(versionKey('2016-12-31T23:59:60Z')).to.equal(versionKey('2016-12-31T23:59:59Z'));
    expect(toMicros('2016-12-31T23:59:60.25Z')).to.equal(secondsOf('2016-12-31T23:59:59Z') * 1_000_000 + 250_000);
  });

  it('version keys are twelve zero-padded second digits, a dot and nine fraction digits', () => {
    expect(versionKey('1970-01-01T00:00:00Z')).to.equal('000000000000.000000000');
    expect(versionKey('1970-01-01T00:00:01.5Z')).to.equal('000000000001.500000000');
    expect(versionKey('2001-09-09T01:46:40Z')).to.equal('001000000000.000000000');
    expect(versionKey('2001-09-09T01:46:39.999999999Z')).to.equal('000999999999.999999999');
    expect(versionKey('2024-01-01T00:00:00.000000001Z')).to.equal(`00${secondsOf('2024-01-01T00:00:00Z')}.000000001`);
    expect(versionKey('2024-01-01T00:00:00.1234567891Z')).to.equal(`00${secondsOf('2024-01-01T00:00:00Z')}.123456789`);
  });

  it('version keys order instants across the ten-digit boundary of 2001-09-09 as text', () => {
    const before = versionKey('2001-09-09T01:46:39Z') as string;
    const at = versionKey('2001-09-09T01:46:40Z') as string;
    const after = versionKey('2001-09-09T01:46:41.1Z') as string;
    expect(before < at).to.equal(true);
    expect(at < after).to.equal(true);
    expect((versionKey('1999-01-01T00:00:00Z') as string) < (versionKey('2030-01-01T00:00:00Z') as string)).to.equal(
      true,
    );
  });

  it('toMicros keeps at most six fraction digits and counts whole seconds in millions', () => {
    const s = secondsOf('2001-09-09T01:46:40Z');
    expect(toMicros('2001-09-09T01:46:40Z')).to.equal(s * 1_000_000);
    expect(toMicros('2001-09-09T01:46:40.7Z')).to.equal(s * 1_000_000 + 700_000);
    expect(toMicros('2001-09-09T01:46:40.0000079Z')).to.equal(s * 1_000_000 + 7);
    expect(toMicros('1970-01-01T00:00:00.000001Z')).to.equal(1);
  });

  it('formatMicros pads the fraction to six digits and reads negative values as before 1970', () => {
    expect(formatMicros(1)).to.equal('1970-01-01T00:00:00.000001Z');
    expect(formatMicros(1_000_000)).to.equal('1970-01-01T00:00:01.000000Z');
    expect(formatMicros(1_000_123_456)).to.equal('1970-01-01T00:16:40.123456Z');
    expect(formatMicros(999_999)).to.equal('1970-01-01T00:00:00.999999Z');
    expect(formatMicros(-1)).to.equal('1969-12-31T23:59:59.999999Z');
    const t = Date.UTC(2024, 5, 15, 12, 30, 45) * 1000 + 120_000;
    expect(formatMicros(t)).to.equal('2024-06-15T12:30:45.120000Z');
    expect(toMicros(formatMicros(t))).to.equal(t);
  });

  it('compareTimestamps answers exactly -1, 0 or 1', () => {
    const cases: [string, string, number][] = [
      ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 0],
      ['2024-01-01T00:00:00.123Z', '2024-01-01T00:00:00.123Z', 0],
      ['2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', -1],
      ['2024-01-01T00:00:01Z', '2024-01-01T00:00:00Z', 1],
      ['2024-01-01T00:00:00.5Z', '2024-01-01T00:00:01Z', -1],
      ['2024-01-01T00:00:01Z', '2024-01-01T00:00:00.5Z', 1],
      ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.001Z', -1],
      ['2024-01-01T00:00:00.001Z', '2024-01-01T00:00:00Z', 1],
      ['2024-01-01T00:00:00.5Z', '2024-01-01T00:00:00.50Z', 0],
      ['2024-01-01T00:00:00.05Z', '2024-01-01T00:00:00.5Z', -1],
      ['2024-01-01T00:00:00.5Z', '2024-01-01T00:00:00.05Z', 1],
      ['2024-01-01T00:00:00.51Z', '2024-01-01T00:00:00.5Z', 1],
      ['2024-01-01T00:00:00.5Z', '2024-01-01T00:00:00.51Z', -1],
      ['2023-12-31T23:59:59.999Z', '2024-01-01T00:00:00Z', -1],
    ];
    for (const [a, b, want] of cases) expect(compareTimestamps(a, b), `${a} vs ${b}`).to.equal(want);
  });

  it('counts epoch seconds by the proleptic Gregorian calendar for every year 0000-9999', () => {
    // Reference: a Date set with setUTCFullYear, which (unlike Date.UTC) takes years 0-99 literally.
    const reference = (y: number, m: number, d: number): number => {
      const date = new Date(0);
      date.setUTCFullYear(y, m - 1, d);
      return date.getTime() / 1000;
    };
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    for (const year of [
      0, 1, 3, 4, 99, 100, 101, 399, 400, 401, 1582, 1600, 1899, 1900, 1969, 1970, 1971, 2000, 2001, 2100, 2400, 9999,
    ]) {
      for (let month = 1; month <= 12; month++) {
        for (const day of [1, 15, 28]) {
          const ts = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T13:14:15Z`;
          expect(parseTimestamp(ts)?.seconds, ts).to.equal(reference(year, month, day) + 13 * 3600 + 14 * 60 + 15);
        }
      }
      const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
      const feb29 = `${pad(year, 4)}-02-29T00:00:00Z`;
      expect(parseTimestamp(feb29)?.seconds, feb29).to.equal(leap ? reference(year, 2, 29) : undefined);
      const dec31 = `${pad(year, 4)}-12-31T23:59:59Z`;
      expect(parseTimestamp(dec31)?.seconds, dec31).to.equal(reference(year, 12, 31) + 86_399);
    }
    expect(parseTimestamp('0050-01-01T00:00:00Z')?.seconds).not.to.equal(
      parseTimestamp('1950-01-01T00:00:00Z')?.seconds,
    );
  });

  it('version keys before 1970 start with a dash and still sort as instants', () => {
    expect(versionKey('1969-12-31T23:59:59Z')).to.equal('-999999999999.000000000');
    expect(versionKey('1969-12-31T23:59:58.25Z')).to.equal('-999999999998.250000000');
    expect(versionKey('0000-01-01T00:00:00Z')).to.equal(
      `-${String(1e12 + (parseTimestamp('0000-01-01T00:00:00Z')?.seconds as number)).padStart(12, '0')}.000000000`,
    );
    const ascending = [
      '0000-01-01T00:00:00Z',
      '0000-01-01T00:00:00.5Z',
      '0099-12-31T23:59:59Z',
      '0100-01-01T00:00:00Z',
      '1900-01-01T00:00:00Z',
      '1950-06-01T00:00:00Z',
      '1969-12-31T23:59:58Z',
      '1969-12-31T23:59:58.9Z',
      '1969-12-31T23:59:59Z',
      '1970-01-01T00:00:00Z',
      '1970-01-01T00:00:00.000000001Z',
      '2001-09-09T01:46:40Z',
      '9999-12-31T23:59:59.999999999Z',
    ];
    const keys = ascending.map((t) => versionKey(t) as string);
    for (let i = 1; i < keys.length; i++) {
      expect((keys[i - 1] as string) < (keys[i] as string), `${ascending[i - 1]} < ${ascending[i]}`).to.equal(true);
    }
    expect(toMicros('1969-12-31T23:59:59.5Z')).to.equal(-500_000);
    expect(formatMicros(toMicros('1900-02-03T04:05:06.000007Z') as number)).to.equal('1900-02-03T04:05:06.000007Z');
  });
});
