// Failed sign-ins are counted per account and per source address over a sliding window; past the
// limit, further attempts from that account or address are refused (429 with Retry-After) until
// the window has passed, whether or not the password would have been right. Kept per process:
// with N instances an attacker gets at most N times the limit.
import { TooManyRequestsError } from '../errors.js';

export interface ThrottleOptions {
  /** failures allowed per key within the window */
  limit: number;
  windowMs: number;
  /** keys remembered at most (oldest forgotten first) */
  maxKeys: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = { limit: 10, windowMs: 60_000, maxKeys: 100_000 };

export class LoginThrottle {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly opts: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws when the account or the address has failed too often recently. */
  check(account: string | undefined, address: string | undefined): void {
    let wait = 0;
    for (const key of keys(account, address)) wait = Math.max(wait, this.waitFor(key));
    if (wait > 0) {
      throw new TooManyRequestsError('Too many failed sign-ins; try again later.', Math.ceil(wait / 1000));
    }
  }

  failed(account: string | undefined, address: string | undefined): void {
    const t = this.now();
    for (const key of keys(account, address)) {
      const recent = this.recent(key, t);
      recent.push(t);
      this.failures.delete(key);
      this.failures.set(key, recent);
    }
    while (this.failures.size > this.opts.maxKeys) {
      const oldest = this.failures.keys().next().value as string;
      this.failures.delete(oldest);
    }
  }

  private recent(key: string, t: number): number[] {
    return (this.failures.get(key) ?? []).filter((at) => t - at < this.opts.windowMs);
  }

  private waitFor(key: string): number {
    const t = this.now();
    const recent = this.recent(key, t);
    if (recent.length < this.opts.limit) return 0;
    return (recent[recent.length - this.opts.limit] as number) + this.opts.windowMs - t;
  }
}

function keys(account: string | undefined, address: string | undefined): string[] {
  const out: string[] = [];
  if (account !== undefined) out.push(`u:${account}`);
  if (address !== undefined) out.push(`a:${address}`);
  return out;
}
