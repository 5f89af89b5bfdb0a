// TAXII 2.1 §2 timestamp (exactly microseconds); STIX 2.1 §2.16 timestamp (any precision, UTC 'Z').
// The only place that parses, formats and compares timestamps. TAXII date_added values are carried
// as integer microseconds since the epoch (exact in a double until the year 2255).

const STIX_TS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/;

export interface ParsedTimestamp {
  /** whole seconds since the epoch */
  seconds: number;
  /** fractional digits exactly as written (may be empty) */
  fraction: string;
}

export function parseTimestamp(value: string): ParsedTimestamp | undefined {
  const m = STIX_TS.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  if (day > daysInMonth(year, month)) return undefined;
  // Arithmetic, not Date.UTC: Date.UTC reads years 0–99 as 1900–1999. A leap second counts as :59.
  const seconds = daysFromCivil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + Math.min(second, 59);
  return { seconds, fraction: frac ?? '' };
}

const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  return month === 2 && isLeap(year) ? 29 : (DAYS[month - 1] as number);
}

/** Days from 1970-01-01 to the given proleptic Gregorian date (negative before it), for years 0–9999. */
function daysFromCivil(year: number, month: number, day: number): number {
  // Count from March so that the leap day ends the year; eras of 400 years repeat exactly.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * A key that orders STIX version timestamps as instants at nanosecond precision, so that
 * "…01Z", "…01.000Z" and "…01.000000Z" are the same version (STIX 2.1 §3.2: versions compare as instants).
 */
export function versionKey(value: string): string | undefined {
  const p = parseTimestamp(value);
  if (!p) return undefined;
  const frac = (p.fraction + '000000000').slice(0, 9);
  // Instants from 1970 on are 12 zero-padded digits. Earlier ones (down to year 0000, about
  // -6.2e10 s) start with '-', which sorts below every digit, followed by 10^12 + seconds, so that
  // an earlier instant still has the smaller key.
  if (p.seconds >= 0) return `${String(p.seconds).padStart(12, '0')}.${frac}`;
  return `-${String(1e12 + p.seconds).padStart(12, '0')}.${frac}`;
}

/** TAXII timestamp → integer microseconds, rounding sub-microsecond digits down. */
export function toMicros(value: string): number | undefined {
  const p = parseTimestamp(value);
  if (!p) return undefined;
  return p.seconds * 1_000_000 + Number((p.fraction + '000000').slice(0, 6));
}

/** Integer microseconds → `YYYY-MM-DDTHH:MM:SS.ffffffZ` (TAXII 2.1 §2, exactly six digits). */
export function formatMicros(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  const frac = micros - seconds * 1_000_000;
  const iso = new Date(seconds * 1000).toISOString(); // …:SS.000Z
  return `${iso.slice(0, 19)}.${String(frac).padStart(6, '0')}Z`;
}

/**
 * Orders two STIX timestamps whose syntax is already known good. Same-length strings compare as text; otherwise the
 * fractional parts are padded, since "…:00.5Z" and "…:00.500Z" are the same instant.
 */
export function compareTimestamps(a: string, b: string): number {
  if (a.length === b.length) return a < b ? -1 : a > b ? 1 : 0;
  const secA = a.slice(0, 19);
  const secB = b.slice(0, 19);
  if (secA !== secB) return secA < secB ? -1 : 1;
  const fracA = a.length > 20 ? a.slice(20, -1) : '';
  const fracB = b.length > 20 ? b.slice(20, -1) : '';
  const width = Math.max(fracA.length, fracB.length);
  const pa = fracA.padEnd(width, '0');
  const pb = fracB.padEnd(width, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

export interface Clock {
  /** Current time in integer microseconds since the epoch. */
  nowMicros(): number;
}

/**
 * Wall-clock microseconds: Date.now() only has milliseconds, so the sub-millisecond part comes from
 * the monotonic high-resolution timer anchored at start-up.
 */
export function systemClock(): Clock {
  const anchorWall = Date.now() * 1000;
  const anchorHr = process.hrtime.bigint();
  return {
    nowMicros: () => anchorWall + Number((process.hrtime.bigint() - anchorHr) / 1000n),
  };
}
