// Bounded concurrency for expensive work (scrypt): at most `slots` run at once and at most `queue`
// wait; beyond that the caller is told to come back later instead of piling up work.
import { TooManyRequestsError } from '../errors.js';

export class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly slots: number,
    private readonly queue: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.slots) {
      if (this.waiting.length >= this.queue) {
        throw new TooManyRequestsError('The server is busy verifying credentials; try again shortly.', 1);
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
