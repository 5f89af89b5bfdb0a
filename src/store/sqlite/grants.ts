import type { GrantRecord, GrantStore, NewGrant, Subject, SubjectKind } from '../grants.js';
import type { Source } from '../identity.js';
import type { Row, SqliteDb } from './database.js';
import { accessWrite } from './meta.js';

export class SqliteGrants implements GrantStore {
  constructor(private readonly s: SqliteDb) {}

  async setGrants(collectionId: string, grants: readonly NewGrant[], source: Source): Promise<void> {
    const del = this.s.stmt('DELETE FROM collection_grants WHERE collection_id = ? AND source = ?');
    const put = this.s.stmt(
      `INSERT INTO collection_grants (collection_id, subject_kind, subject_id, can_read, can_write, source)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (collection_id, subject_kind, subject_id) DO UPDATE SET
         can_read = excluded.can_read, can_write = excluded.can_write, source = excluded.source`,
    );
    accessWrite(this.s, () => {
      del.run(collectionId, source);
      for (const g of grants)
        put.run(collectionId, g.subject.kind, g.subject.id, g.read ? 1 : 0, g.write ? 1 : 0, source);
    });
  }

  async listGrants(collectionId: string): Promise<GrantRecord[]> {
    return (
      this.s
        .stmt('SELECT * FROM collection_grants WHERE collection_id = ? ORDER BY subject_kind, subject_id')
        .all(collectionId) as Row[]
    ).map(toGrant);
  }

  async grantsOf(subjects: readonly Subject[]): Promise<GrantRecord[]> {
    const bySubject = this.s.stmt('SELECT * FROM collection_grants WHERE subject_kind = ? AND subject_id = ?');
    return subjects.flatMap((s) => (bySubject.all(s.kind, s.id) as Row[]).map(toGrant));
  }

  async grantsOn(collectionId: string, subjects: readonly Subject[]): Promise<GrantRecord[]> {
    // The primary key (collection_id, subject_kind, subject_id) answers each probe.
    const one = this.s.stmt(
      'SELECT * FROM collection_grants WHERE collection_id = ? AND subject_kind = ? AND subject_id = ?',
    );
    const out: GrantRecord[] = [];
    for (const s of subjects) {
      const row = one.get(collectionId, s.kind, s.id) as Row | undefined;
      if (row) out.push(toGrant(row));
    }
    return out;
  }

  async deleteGrantsOf(subject: Subject): Promise<number> {
    return accessWrite(
      this.s,
      () =>
        this.s
          .stmt('DELETE FROM collection_grants WHERE subject_kind = ? AND subject_id = ?')
          .run(subject.kind, subject.id).changes,
    );
  }
}

function toGrant(r: Row): GrantRecord {
  return {
    collectionId: r.collection_id as string,
    subject: { kind: r.subject_kind as SubjectKind, id: r.subject_id as string },
    read: r.can_read === 1,
    write: r.can_write === 1,
    source: r.source as Source,
  };
}
