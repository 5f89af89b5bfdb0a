// Bounded scrypt concurrency and the sign-in throttle, with controllable time.
import { expect } from 'chai';
import { Limiter } from '../../src/auth/limiter.js';
import { LoginThrottle } from '../../src/auth/throttle.js';
import { TooManyRequestsError } from '../../src/errors.js';

describe('Limiter (bounded concurrency for password hashing)', () => {
  it('runs at most `slots` jobs at once, queues up to `queue` more, and refuses beyond with a 429 error', async () => {
    const limiter = new Limiter(2, 3);
    let running = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const job = () =>
      limiter.run(async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise<void>((r) => releases.push(r));
        running--;
        return 'done';
      });
    const accepted = Array.from({ length: 5 }, job);
    await new Promise((r) => setImmediate(r));
    expect(running).to.equal(2);
    let refused: unknown;
    await job().catch((err: unknown) => (refused = err));
    expect(refused).to.be.instanceOf(TooManyRequestsError);
    // Let everything finish, one release at a time.
    while (releases.length > 0 || running > 0) {
      releases.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    expect(await Promise.all(accepted)).to.deep.equal(['done', 'done', 'done', 'done', 'done']);
    expect(peak).to.equal(2);
    // Slots are free again.
    const later = limiter.run(async () => 'again');
    expect(await later).to.equal('again');
  });

  it('frees the slot when a job fails', async () => {
    const limiter = new Limiter(1, 0);
    await limiter.run(async () => Promise.reject(new Error('boom'))).catch(() => undefined);
    expect(await limiter.run(async () => 'next')).to.equal('next');
  });
});

describe('LoginThrottle', () => {
  let now = 0;
  const throttle = () => new LoginThrottle({ limit: 3, windowMs: 10_000, maxKeys: 4 }, () => now);

  it('refuses an account or an address after `limit` failures within the window, with the wait in seconds', () => {
    now = 1_000;
    const t = throttle();
    for (let i = 0; i < 3; i++) {
      t.check('alice', '10.0.0.1');
      t.failed('alice', '10.0.0.1');
      now += 1_000;
    }
    expect(() => t.check('alice', '10.0.0.9')).to.throw(TooManyRequestsError);
    expect(() => t.check('bob', '10.0.0.1')).to.throw(TooManyRequestsError);
    expect(() => t.check('bob', '10.0.0.2')).to.not.throw();
    try {
      t.check('alice', undefined);
    } catch (err) {
      // first failure at 1 s, window 10 s, now 4 s: 7 s to wait
      expect((err as TooManyRequestsError).retryAfterSeconds).to.equal(7);
    }
    now = 11_001;
    expect(() => t.check('alice', '10.0.0.1')).to.not.throw();
  });

  it('forgets the oldest keys beyond maxKeys', () => {
    now = 0;
    const t = throttle();
    for (let i = 0; i < 3; i++) t.failed('victim', undefined);
    expect(() => t.check('victim', undefined)).to.throw(TooManyRequestsError);
    for (let i = 0; i < 4; i++) t.failed(`other-${i}`, undefined);
    expect(() => t.check('victim', undefined)).to.not.throw();
  });
});
