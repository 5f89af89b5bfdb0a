// A MongoDB read cancelled at its maxTimeMS is the caller's 503 (UnavailableError) in every area
// that reads with a deadline, the intel area included; other errors pass through unchanged.
import { expect } from 'chai';
import { MongoServerError } from 'mongodb';
import { UnavailableError } from '../../src/errors.js';
import { deadlineArea } from '../../src/store/mongo/deadline.js';

class Area {
  calls = 0;
  async slow(): Promise<number> {
    this.calls++;
    throw new MongoServerError({ message: 'operation exceeded time limit', code: 50 });
  }
  async broken(): Promise<number> {
    throw new MongoServerError({ message: 'something else', code: 2 });
  }
  async fine(x: number): Promise<number> {
    this.calls++;
    return x * 2;
  }
}

describe('MongoDB read deadlines', () => {
  it('turns a read cancelled at maxTimeMS into UnavailableError, keeps other errors and results', async () => {
    const inner = new Area();
    const area = deadlineArea(inner, 1234);
    const err = await area.slow().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(UnavailableError);
    expect((err as UnavailableError).message).to.match(/1234 ms/);
    const other = await area.broken().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(other).to.be.instanceOf(MongoServerError);
    expect(other).not.to.be.instanceOf(UnavailableError);
    expect(await area.fine(21)).to.equal(42);
    // methods run on the area itself (its state is the real one)
    expect(inner.calls).to.equal(2);
  });
});
