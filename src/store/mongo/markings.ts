import type { MarkingBinding, MarkingStore } from '../markings.js';
import type { MongoCollections } from './documents.js';
import { accessWrite } from './meta.js';

export class MongoMarkings implements MarkingStore {
  constructor(private readonly c: MongoCollections) {}

  async setBinding(b: MarkingBinding): Promise<void> {
    return accessWrite(this.c, () => this.setBindingNow(b));
  }

  private async setBindingNow(b: MarkingBinding): Promise<void> {
    if (b.subjects.length === 0) {
      await this.c.markings.deleteOne({ _id: b.markingId });
      return;
    }
    await this.c.markings.replaceOne(
      { _id: b.markingId },
      { subjects: b.subjects.map((s) => ({ kind: s.kind, id: s.id })), source: b.source },
      { upsert: true },
    );
  }

  async listBindings(): Promise<MarkingBinding[]> {
    const docs = await this.c.markings.find().sort({ _id: 1 }).toArray();
    return docs.map((d) => ({
      markingId: d._id,
      subjects: [...d.subjects].sort((a, b) => (a.kind + a.id < b.kind + b.id ? -1 : 1)),
      source: d.source,
    }));
  }
}
