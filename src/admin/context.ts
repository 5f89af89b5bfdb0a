// Who asks for an admin operation, and the audit record every change leaves: served (ok), refused
// because the caller may not see or do it (denied), or failed for another reason (failed), with the
// caller, its tenant, the address, the request id and what was acted on. Never a password or a
// token: details carry names of changed fields, ids and error kinds only.
import type { AdminRights } from '../access/admin-rights.js';
import type { AuditLog } from '../access/audit-log.js';
import type { Principal } from '../auth/principal.js';
import { ConflictError, PalisadeError } from '../errors.js';
import type { Clock } from '../stix/timestamps.js';
import type { Source, Store } from '../store/store.js';

export interface AdminContext {
  principal: Principal;
  /** the HTTP request id, when there is one */
  requestId?: string;
  address?: string;
}

export type AdminAction = 'admin.create' | 'admin.update' | 'admin.delete';

/** What a change acts on: its admin resource path, and the collection when it is one or below one. */
export interface ChangeTarget {
  target: string;
  apiRoot?: string;
  collectionId?: string;
}

/** What a change tells its audit record as it goes: details (never secrets), and where it acts once known. */
export interface Recording {
  note(detail: Record<string, unknown>): void;
  at(on: Partial<ChangeTarget>): void;
}

export class ChangeRecorder {
  constructor(private readonly audit: AuditLog) {}

  /** Runs `fn` and records its outcome, with what `fn` noted on the way. */
  async change<T>(
    ctx: AdminContext,
    action: AdminAction,
    target: ChangeTarget,
    fn: (rec: Recording) => Promise<T>,
  ): Promise<T> {
    let detail: Record<string, unknown> = {};
    let on = target;
    const rec: Recording = {
      note: (d) => (detail = { ...detail, ...d }),
      at: (t) => (on = { ...on, ...t }),
    };
    try {
      const out = await fn(rec);
      this.write(ctx, action, on, 'ok', detail);
      return out;
    } catch (err) {
      const kind = err instanceof PalisadeError ? err.kind : 'internal';
      const outcome = kind === 'forbidden' || kind === 'not-found' ? 'denied' : 'failed';
      this.write(ctx, action, on, outcome, { ...detail, error: kind });
      throw err;
    }
  }

  private write(
    ctx: AdminContext,
    action: AdminAction,
    on: ChangeTarget,
    outcome: 'ok' | 'denied' | 'failed',
    detail: Record<string, unknown>,
  ): void {
    const p = ctx.principal;
    this.audit.record({
      action,
      outcome,
      ...(ctx.requestId !== undefined ? { requestId: ctx.requestId } : {}),
      actor: p.username,
      ...(p.tenant !== undefined ? { tenant: p.tenant } : {}),
      ...(ctx.address !== undefined ? { address: ctx.address } : {}),
      ...(on.apiRoot !== undefined ? { apiRoot: on.apiRoot } : {}),
      ...(on.collectionId !== undefined ? { collectionId: on.collectionId } : {}),
      target: on.target.slice(0, 300),
      ...(Object.keys(detail).length > 0 ? { detail } : {}),
    });
  }
}

/** The admin resource path of a record, its segments percent-encoded. */
export function adminPath(...segments: string[]): string {
  return `/admin/${segments.map(encodeURIComponent).join('/')}`;
}

/**
 * Records the configuration file declares are the file's: it rewrites them at every start, so a
 * change made here would silently come undone. Change them in the file instead (409).
 */
export function assertNotDeclared(record: { source: Source }, what: string): void {
  if (record.source === 'config')
    throw new ConflictError(`${what} is declared in the configuration file; change it there.`, {
      details: { source: 'config' },
    });
}

/** What every admin service works with. */
export interface AdminDeps {
  store: Store;
  rights: AdminRights;
  recorder: ChangeRecorder;
  clock: Clock;
}

/** A copy of `record` without `keys`: the optional fields a change may remove. */
export function without<T extends object, K extends keyof T>(record: T, ...keys: K[]): Omit<T, K> {
  const out = { ...record };
  for (const k of keys) delete out[k];
  return out;
}
