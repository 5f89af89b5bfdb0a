import type { AuditAction, AuditQuery, AuditRecord, AuditStore } from '../audit.js';
import type { Row, SqliteDb } from './database.js';

export class SqliteAudit implements AuditStore {
  constructor(private readonly s: SqliteDb) {}

  async append(records: readonly AuditRecord[]): Promise<void> {
    const ins = this.s.stmt(
      `INSERT OR IGNORE INTO audit (id, at, action, outcome, request_id, actor, tenant, address, api_root, collection_id, target, detail)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.s.db.transaction(() => {
      for (const r of records) {
        ins.run(
          r.id,
          r.at,
          r.action,
          r.outcome,
          r.requestId ?? null,
          r.actor ?? null,
          r.tenant ?? null,
          r.address ?? null,
          r.apiRoot ?? null,
          r.collectionId ?? null,
          r.target ?? null,
          r.detail ? JSON.stringify(r.detail) : null,
        );
      }
    })();
  }

  async queryAudit(q: AuditQuery): Promise<{ records: AuditRecord[]; more: boolean }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const eq = (column: string, value: string | undefined): void => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      params.push(value);
    };
    eq('actor', q.actor);
    eq('tenant', q.tenant);
    eq('collection_id', q.collectionId);
    eq('action', q.action);
    if (q.from !== undefined) {
      where.push('at >= ?');
      params.push(q.from);
    }
    if (q.to !== undefined) {
      where.push('at < ?');
      params.push(q.to);
    }
    if (q.after !== undefined) {
      where.push('id > ?');
      params.push(q.after);
    }
    const sql = `SELECT * FROM audit ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT ?`;
    const rows = this.s.stmt(sql).all(...params, q.limit + 1) as Row[];
    const more = rows.length > q.limit;
    if (more) rows.pop();
    return { records: rows.map(toRecord), more };
  }
}

function toRecord(r: Row): AuditRecord {
  const opt = (key: string, column: string): Record<string, string> =>
    r[column] !== null ? { [key]: r[column] as string } : {};
  return {
    id: r.id as string,
    at: r.at as number,
    action: r.action as AuditAction,
    outcome: r.outcome as AuditRecord['outcome'],
    ...opt('requestId', 'request_id'),
    ...opt('actor', 'actor'),
    ...opt('tenant', 'tenant'),
    ...opt('address', 'address'),
    ...opt('apiRoot', 'api_root'),
    ...opt('collectionId', 'collection_id'),
    ...opt('target', 'target'),
    ...(r.detail !== null ? { detail: JSON.parse(r.detail as string) as Record<string, unknown> } : {}),
  };
}
