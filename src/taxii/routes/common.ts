// What every TAXII route shares: the services, the caller, the path, and the audit trail.
import type { Request, RequestHandler, Response } from 'express';
import type { AuditLog } from '../../access/audit-log.js';
import type { CollectionRef } from '../../access/gate.js';
import type { Principal } from '../../auth/principal.js';
import { MethodNotAllowedError, PalisadeError } from '../../errors.js';
import { handle } from '../../http/async-handler.js';
import { requestIdOf } from '../../http/request-id.js';
import type { IngestService } from '../../ingest/ingest-service.js';
import type { AuditAction } from '../../store/store.js';
import type { CollectionsService } from '../collections-service.js';
import type { DiscoveryService } from '../discovery-service.js';
import type { ObjectsService } from '../objects-service.js';
import type { StatusService } from '../status-service.js';

export interface TaxiiServices {
  discovery: DiscoveryService;
  collections: CollectionsService;
  objects: ObjectsService;
  statuses: StatusService;
  ingest: IngestService;
  audit: AuditLog;
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

export function ref(req: Request): CollectionRef {
  return { apiRoot: req.params.root as string, collection: req.params.collection as string };
}

/** The raw query string: TAXII filters are parsed from it, never by Express's qs (repeats matter). */
export function rawQuery(req: Request): string {
  const q = req.originalUrl.indexOf('?');
  return q < 0 ? '' : req.originalUrl.slice(q + 1);
}

export const notAllowed =
  (allowed: string): RequestHandler =>
  (_req, res, next) => {
    res.setHeader('Allow', allowed);
    next(new MethodNotAllowedError(`This endpoint supports ${allowed} only.`));
  };

/** What a handler tells the audit trail about the request it served. */
export interface Noted {
  collectionId?: string;
  detail?: Record<string, unknown>;
}

/**
 * A collection-level handler whose every outcome is recorded: served (ok), refused by the access
 * gate (denied), or failed for another reason (failed), with the caller, its tenant, the address,
 * the request id and what the handler noted (the collection id, counts).
 */
export function audited(
  audit: AuditLog,
  action: AuditAction,
  endpoint: string,
  fn: (req: Request, res: Response, note: (n: Noted) => void) => Promise<void>,
): RequestHandler {
  return handle(async (req, res) => {
    let noted: Noted = {};
    const record = (outcome: 'ok' | 'denied' | 'failed', error?: string): void => {
      const collectionId = noted.collectionId ?? (req.params.collection as string | undefined);
      recordTaxiiAccess(audit, {
        action,
        outcome,
        requestId: requestIdOf(res),
        principal: principalOf(res),
        address: req.ip,
        apiRoot: req.params.root as string,
        endpoint,
        noted: collectionId !== undefined ? { ...noted, collectionId } : noted,
        ...(error !== undefined ? { error } : {}),
      });
    };
    try {
      await fn(req, res, (n) => (noted = { ...noted, ...n }));
      record('ok');
    } catch (err) {
      const kind = err instanceof PalisadeError ? err.kind : 'internal';
      record(kind === 'forbidden' || kind === 'not-found' ? 'denied' : 'failed', kind);
      throw err;
    }
  });
}

/** One TAXII request's audit event (what {@link audited} records; the lean path records the same). */
export function recordTaxiiAccess(
  audit: AuditLog,
  a: {
    action: AuditAction;
    outcome: 'ok' | 'denied' | 'failed';
    requestId: string;
    principal: Principal;
    address: string | undefined;
    apiRoot: string;
    endpoint: string;
    noted: Noted;
    error?: string;
  },
): void {
  const p = a.principal;
  const { collectionId, detail } = a.noted;
  audit.record({
    action: a.action,
    outcome: a.outcome,
    requestId: a.requestId,
    actor: p.username,
    ...(p.tenant !== undefined ? { tenant: p.tenant } : {}),
    ...(a.address !== undefined ? { address: a.address } : {}),
    apiRoot: a.apiRoot,
    ...(collectionId !== undefined ? { collectionId } : {}),
    target: a.endpoint,
    ...(detail || a.error ? { detail: { ...detail, ...(a.error ? { error: a.error } : {}) } } : {}),
  });
}
