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
  const ms = Date.UTC(year, month - 1, day, hour, minute, Math.min(second, 59));
  return { seconds: Math.floor(ms / 1000), fraction: frac ?? '' };
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * A key that orders STIX version timestamps as instants at nanosecond precision, so that
 * "…01Z", "…01.000Z" and "…01.000000Z" are the same version (STIX 2.1 §3.2: versions compare as instants).
 */
export function versionKey(value: string): string | undefined {
  const p = parseTimestamp(value);
  if (!p) return undefined;
  const frac = (p.fraction + '000000000').slice(0, 9);
  return `${String(p.seconds).padStart(12, '0')}.${frac}`;
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
