import type { SubjectKind } from '../grants.js';
import type { Source } from '../identity.js';
import type { MarkingBinding, MarkingStore } from '../markings.js';
import type { Row, SqliteDb } from './database.js';
import { accessWrite } from './meta.js';

export class SqliteMarkings implements MarkingStore {
  constructor(private readonly s: SqliteDb) {}

  async setBinding(b: MarkingBinding): Promise<void> {
    const del = this.s.stmt('DELETE FROM marking_bindings WHERE marking_id = ?');
    const ins = this.s.stmt(
      'INSERT OR IGNORE INTO marking_bindings (marking_id, subject_kind, subject_id, source) VALUES (?, ?, ?, ?)',
    );
    accessWrite(this.s, () => {
      del.run(b.markingId);
      for (const s of b.subjects) ins.run(b.markingId, s.kind, s.id, b.source);
    });
  }

  async listBindings(): Promise<MarkingBinding[]> {
    const rows = this.s
      .stmt('SELECT * FROM marking_bindings ORDER BY marking_id, subject_kind, subject_id')
      .all() as Row[];
    const out = new Map<string, MarkingBinding>();
    for (const r of rows) {
      const id = r.marking_id as string;
      const b = out.get(id) ?? { markingId: id, subjects: [], source: r.source as Source };
      b.subjects.push({ kind: r.subject_kind as SubjectKind, id: r.subject_id as string });
      out.set(id, b);
    }
    return [...out.values()];
  }
}
