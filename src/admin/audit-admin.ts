// Reading the audit trail: filters (actor, tenant, collection, action, time range) and keyset
// paging by record id, so a page never skips or repeats a record written before the walk began.
// Tenant admins read the records of their own tenant only.
import type { AuditLog } from '../access/audit-log.js';
import { InvalidRequestError } from '../errors.js';
import { toMicros } from '../stix/timestamps.js';
import type { AuditAction, AuditQuery } from '../store/store.js';
import { without, type AdminContext, type AdminDeps } from './context.js';
import { auditView, type AuditView } from './views.js';

export const AUDIT_ACTIONS: readonly AuditAction[] = [
  'auth.failure',
  'taxii.read',
  'api.read',
  'taxii.write',
  'taxii.delete',
  'taxii.status',
  'taxii.ingest',
  'admin.create',
  'admin.update',
  'admin.delete',
];

export const AUDIT_PARAMS = ['actor', 'tenant', 'collection', 'action', 'from', 'to', 'cursor', 'limit'] as const;

/** The query as given (strings), each parameter at most once; parsed after the rights check. */
export type AuditParams = Partial<Record<(typeof AUDIT_PARAMS)[number], string>>;

export interface AuditPage {
  records: AuditView[];
  /** the `cursor` of the next page; absent on the last page */
  next?: string;
}

export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1000;
const NAME = /^[^\s\0]{1,256}$/;
const CURSOR = /^[0-9A-Za-z-]{1,64}$/;

export class AuditAdmin {
  constructor(
    private readonly d: AdminDeps,
    private readonly log: AuditLog,
  ) {}

  async query(ctx: AdminContext, params: AuditParams): Promise<AuditPage> {
    this.d.rights.scope(ctx.principal);
    const q = parse(params);
    const tenant = this.d.rights.auditTenant(ctx.principal, q.tenant);
    // This instance's records still in the buffer are written first: a caller sees its own changes.
    await this.log.flush();
    const page = await this.d.store.audit.queryAudit({
      ...without(q, 'tenant'),
      ...(tenant !== undefined ? { tenant } : {}),
    });
    const last = page.records[page.records.length - 1];
    return {
      records: page.records.map(auditView),
      ...(page.more && last !== undefined ? { next: last.id } : {}),
    };
  }
}

function parse(p: AuditParams): AuditQuery {
  const problems: Record<string, string> = {};
  const name = (key: 'actor' | 'tenant' | 'collection'): string | undefined => {
    const v = p[key];
    if (v !== undefined && !NAME.test(v)) problems[key] = v;
    return v;
  };
  const time = (key: 'from' | 'to'): number | undefined => {
    const v = p[key];
    if (v === undefined) return undefined;
    const micros = toMicros(v);
    if (micros === undefined) problems[key] = v;
    return micros;
  };
  const actor = name('actor');
  const tenant = name('tenant');
  const collectionId = name('collection');
  const action = p.action as AuditAction | undefined;
  if (action !== undefined && !AUDIT_ACTIONS.includes(action)) problems.action = action;
  const from = time('from');
  const to = time('to');
  if (p.cursor !== undefined && !CURSOR.test(p.cursor)) problems.cursor = p.cursor;
  let limit = AUDIT_DEFAULT_LIMIT;
  if (p.limit !== undefined) {
    limit = /^\d{1,9}$/.test(p.limit) ? Number(p.limit) : 0;
    if (limit < 1) problems.limit = p.limit;
  }
  if (Object.keys(problems).length > 0)
    throw new InvalidRequestError(
      `Invalid audit query parameter(s): ${Object.keys(problems).join(', ')}. Times are UTC, such as ` +
        `2025-01-31T12:00:00Z; action is one of ${AUDIT_ACTIONS.join(', ')}; limit is a positive integer.`,
      { details: problems },
    );
  return {
    ...(actor !== undefined ? { actor } : {}),
    ...(tenant !== undefined ? { tenant } : {}),
    ...(collectionId !== undefined ? { collectionId } : {}),
    ...(action !== undefined ? { action } : {}),
    ...(from !== undefined ? { from } : {}),
    ...(to !== undefined ? { to } : {}),
    ...(p.cursor !== undefined ? { after: p.cursor } : {}),
    limit: Math.min(limit, AUDIT_MAX_LIMIT),
  };
}
