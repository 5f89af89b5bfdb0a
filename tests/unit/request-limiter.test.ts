// The per-caller limiter of src/http/limits.ts on a controlled clock: token bucket refill and
// Retry-After, the concurrency cap, one warning per caller per minute, and forgetting idle callers.
import { expect } from 'chai';
import { pino } from 'pino';
import { TooManyRequestsError } from '../../src/errors.js';
import { RequestLimiter } from '../../src/http/limits.js';

function limiter(opts: { maxConcurrent: number; requestsPerSecond: number; burst: number; maxCallers?: number }) {
  let now = 1_000_000;
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'warn' }, { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const l = new RequestLimiter(opts, log, () => now);
  return { l, lines, advance: (ms: number) => (now += ms) };
}

const admitted = (x: ReturnType<RequestLimiter['admit']>): { release: () => void } => {
  if (x instanceof TooManyRequestsError) throw new Error(`refused: ${x.message}`);
  return x;
};

describe('RequestLimiter', () => {
  it('spends the burst, then refuses with the seconds until one token is back, and refills at the rate', () => {
    const { l, advance } = limiter({ maxConcurrent: 100, requestsPerSecond: 0.5, burst: 3 });
    for (let i = 0; i < 3; i++) admitted(l.admit({ principal: 'a' })).release();
    const refused = l.admit({ principal: 'a' });
    expect(refused).to.be.instanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).to.equal(2);
    // Another caller has its own bucket; an address is a different caller from an account of the same name.
    admitted(l.admit({ principal: 'b' }));
    admitted(l.admit({ address: 'a' }));
    advance(1_000);
    expect((l.admit({ principal: 'a' }) as TooManyRequestsError).retryAfterSeconds).to.equal(1);
    advance(1_000);
    admitted(l.admit({ principal: 'a' }));
    expect(l.refused).to.deep.equal({ concurrency: 0, rate: 2 });
  });

  it('caps requests in flight per caller; release frees the slot once, whatever the number of calls', () => {
    const { l } = limiter({ maxConcurrent: 2, requestsPerSecond: 1_000, burst: 1_000 });
    const a = admitted(l.admit({ principal: 'a' }));
    admitted(l.admit({ principal: 'a' }));
    const refused = l.admit({ principal: 'a' });
    expect(refused).to.be.instanceOf(TooManyRequestsError);
    expect((refused as TooManyRequestsError).retryAfterSeconds).to.equal(1);
    admitted(l.admit({ principal: 'b' })).release();
    a.release();
    a.release();
    admitted(l.admit({ principal: 'a' }));
    expect(l.admit({ principal: 'a' })).to.be.instanceOf(TooManyRequestsError);
    expect(l.refused).to.deep.equal({ concurrency: 2, rate: 0 });
  });

  it('logs one warning per caller per minute, with the number of refusals it stands for', () => {
    const { l, lines, advance } = limiter({ maxConcurrent: 1, requestsPerSecond: 1_000, burst: 1_000 });
    admitted(l.admit({ principal: 'a' }));
    admitted(l.admit({ address: '192.0.2.1' }));
    for (let i = 0; i < 5; i++) l.admit({ principal: 'a' });
    l.admit({ address: '192.0.2.1' });
    expect(lines.map((w) => [w.principal ?? w.address, w.limit, w.refused])).to.deep.equal([
      ['a', 'concurrency', 1],
      ['192.0.2.1', 'concurrency', 1],
    ]);
    advance(30_000);
    l.admit({ principal: 'a' });
    expect(lines).to.have.length(2);
    advance(30_000);
    l.admit({ principal: 'a' });
    expect(lines).to.have.length(3);
    expect(lines[2]).to.include({ principal: 'a', refused: 6, level: 40 });
  });

  it('forgets idle callers with a full bucket, and stays within maxCallers under a flood of addresses', () => {
    const { l, advance } = limiter({ maxConcurrent: 5, requestsPerSecond: 10, burst: 10, maxCallers: 100 });
    const held = admitted(l.admit({ principal: 'busy' }));
    for (let i = 0; i < 50; i++) admitted(l.admit({ address: `198.51.100.${i}` })).release();
    expect(l.size).to.equal(51);
    advance(60_000);
    admitted(l.admit({ principal: 'new' })).release();
    expect(l.size).to.equal(2); // busy (in flight) and new
    for (let i = 0; i < 500; i++) admitted(l.admit({ address: `203.0.113.${i}` })).release();
    expect(l.size).to.be.at.most(100);
    held.release();
  });
});
