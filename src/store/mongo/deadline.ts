// Read deadlines on MongoDB: every read carries maxTimeMS, and one the server cancels is the
// caller's 503 (UnavailableError: narrow the request or retry), never a 500.
import { MongoServerError } from 'mongodb';
import { UnavailableError } from '../../errors.js';

/** MongoDB's error code for an operation cancelled at its maxTimeMS */
const MAX_TIME_MS_EXPIRED = 50;

/** `read`, with a cancelled-at-deadline error turned into an UnavailableError. */
export async function withDeadline<T>(read: Promise<T>, timeoutMs: number): Promise<T> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof MongoServerError && err.code === MAX_TIME_MS_EXPIRED) {
      throw new UnavailableError(
        `the query took longer than ${timeoutMs} ms and was cancelled; narrow the filter or try again`,
        { details: { timeout_ms: timeoutMs }, cause: err },
      );
    }
    throw err;
  }
}

/** Every method of `area` (an object of async methods) with its reads under withDeadline. */
export function deadlineArea<T extends object>(area: T, timeoutMs: number): T {
  const out: Record<string, unknown> = {};
  for (let o: object | null = area; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const key of Object.getOwnPropertyNames(o)) {
      const f = (area as Record<string, unknown>)[key];
      if (key === 'constructor' || key in out || typeof f !== 'function') continue;
      out[key] = (...args: unknown[]) =>
        withDeadline(Promise.resolve((f as (...a: unknown[]) => unknown).apply(area, args)), timeoutMs);
    }
  }
  return out as T;
}
