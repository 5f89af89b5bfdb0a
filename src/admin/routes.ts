// The admin REST API under /admin/: JSON in and out, errors as RFC 9457 problem documents. Every
// /admin path is authenticated first, exactly like TAXII (an unknown admin path answers 401 before
// 404). Handlers only translate HTTP to the AdminService and back; rights, validation and the audit
// record live there. Endpoint reference: openapi.yaml.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Principal } from '../auth/principal.js';
import {
  InvalidRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from '../errors.js';
import { handle } from '../http/async-handler.js';
import { BodyTooLargeError, readLimitedBody, type LimitedBody } from '../ingest/body-stream.js';
import { parseStrictObject } from '../ingest/strict-json.js';
import { requestIdOf } from '../http/request-id.js';
import { jsonResponder, useResponder } from '../http/responders.js';
import type { AdminContext, AdminService } from './admin-service.js';
import { AUDIT_PARAMS, type AuditParams } from './audit-admin.js';

const ADMIN_PATH = /^\/admin(\/|$)/;
const BODY_LIMIT = 1_048_576;

/** Runs `h` for /admin paths only; the TAXII routes mounted after this router serve the rest. */
const onAdmin =
  (h: RequestHandler): RequestHandler =>
  (req, res, next) =>
    ADMIN_PATH.test(req.path) ? h(req, res, next) : next();

/**
 * POST, PUT and PATCH bodies are JSON objects (RFC 7396 merge patches too), else 415. They are read
 * like TAXII envelopes: size and decompression limits first, then the strict, lossless parser, so
 * invalid UTF-8, lone surrogates, duplicate member names or `__proto__` are refused (400), never
 * stored altered.
 */
const jsonBody: RequestHandler = (req, res, next) => {
  if (!['POST', 'PUT', 'PATCH'].includes(req.method)) return next();
  const length = req.headers['content-length'];
  if (req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0')) return next();
  if (!req.is(['application/json', 'application/merge-patch+json']))
    return next(new UnsupportedMediaTypeError('Admin requests carry JSON bodies (Content-Type: application/json).'));
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset))
    return next(
      new UnsupportedMediaTypeError(
        `Admin request bodies are UTF-8 JSON; charset ${JSON.stringify(charset)} is not supported.`,
      ),
    );
  let body: LimitedBody | undefined;
  const read = async (): Promise<Record<string, unknown>> => {
    body = readLimitedBody(req, { maxBytes: BODY_LIMIT, maxDecompressedBytes: BODY_LIMIT });
    const chunks: Buffer[] = [];
    for await (const c of body) chunks.push(c);
    const parsed = parseStrictObject(Buffer.concat(chunks));
    if (!parsed.ok) throw new InvalidRequestError(`The request body is not a valid JSON object: ${parsed.reason}.`);
    return parsed.value;
  };
  read().then(
    (value) => {
      req.body = value;
      next();
    },
    (err: unknown) => {
      if (body !== undefined && !body.complete) res.setHeader('Connection', 'close');
      next(
        err instanceof BodyTooLargeError
          ? new PayloadTooLargeError(`An admin request body may hold ${BODY_LIMIT} bytes at most.`)
          : err,
      );
    },
  );
};

const notAllowed =
  (allowed: string): RequestHandler =>
  (_req, res, next) => {
    res.setHeader('Allow', allowed);
    next(new MethodNotAllowedError(`This endpoint supports ${allowed} only.`));
  };

function ctx(req: Request, res: Response): AdminContext {
  return {
    principal: res.locals.principal as Principal,
    requestId: requestIdOf(res),
    ...(req.ip !== undefined ? { address: req.ip } : {}),
  };
}

const param = (req: Request, name: string): string => req.params[name] as string;
const ok = (res: Response, body: object): void => jsonResponder.send(res, 200, body);
const created = (res: Response, body: object): void => jsonResponder.send(res, 201, body);
/** For deletes: `done` is the awaited service call, so the 204 goes out only once it succeeded. */
const noContent = (res: Response, _done: void): void => {
  res.status(204).end();
};

/** The audit query, each known parameter at most once (a repeat is ambiguous: 400); others are ignored. */
function auditParams(req: Request): AuditParams {
  const q = req.originalUrl.indexOf('?');
  const search = new URLSearchParams(q < 0 ? '' : req.originalUrl.slice(q + 1));
  const out: AuditParams = {};
  for (const key of AUDIT_PARAMS) {
    const values = search.getAll(key);
    if (values.length > 1)
      throw new InvalidRequestError(`The query parameter ${key} is repeated.`, { details: { [key]: values } });
    if (values.length === 1) out[key] = values[0] as string;
  }
  return out;
}

export function adminRoutes(admin: AdminService, authenticate: RequestHandler): Router {
  const r = Router({ caseSensitive: true, strict: false });
  r.use(
    onAdmin((_req, res, next) => {
      useResponder(res, jsonResponder);
      next();
    }),
  );
  r.use(onAdmin(authenticate));
  r.use(onAdmin(jsonBody));

  // ---- tenants and groups ----------------------------------------------------------------------------
  r.route('/admin/tenants')
    .get(handle(async (req, res) => ok(res, { tenants: await admin.tenants.list(ctx(req, res)) })))
    .post(handle(async (req, res) => created(res, await admin.tenants.create(ctx(req, res), req.body))))
    .all(notAllowed('GET, POST'));
  r.route('/admin/tenants/:tenant')
    .get(handle(async (req, res) => ok(res, await admin.tenants.get(ctx(req, res), param(req, 'tenant')))))
    .patch(
      handle(async (req, res) => ok(res, await admin.tenants.update(ctx(req, res), param(req, 'tenant'), req.body))),
    )
    .delete(handle(async (req, res) => noContent(res, await admin.tenants.delete(ctx(req, res), param(req, 'tenant')))))
    .all(notAllowed('GET, PATCH, DELETE'));

  r.route('/admin/groups')
    .get(handle(async (req, res) => ok(res, { groups: await admin.groups.list(ctx(req, res)) })))
    .post(handle(async (req, res) => created(res, await admin.groups.create(ctx(req, res), req.body))))
    .all(notAllowed('GET, POST'));
  r.route('/admin/groups/:group')
    .get(handle(async (req, res) => ok(res, await admin.groups.get(ctx(req, res), param(req, 'group')))))
    .patch(handle(async (req, res) => ok(res, await admin.groups.update(ctx(req, res), param(req, 'group'), req.body))))
    .delete(handle(async (req, res) => noContent(res, await admin.groups.delete(ctx(req, res), param(req, 'group')))))
    .all(notAllowed('GET, PATCH, DELETE'));

  // ---- accounts and tokens ---------------------------------------------------------------------------
  r.route('/admin/users')
    .get(handle(async (req, res) => ok(res, { users: await admin.users.list(ctx(req, res)) })))
    .post(handle(async (req, res) => created(res, await admin.users.create(ctx(req, res), req.body))))
    .all(notAllowed('GET, POST'));
  r.route('/admin/users/:username')
    .get(handle(async (req, res) => ok(res, await admin.users.get(ctx(req, res), param(req, 'username')))))
    .patch(
      handle(async (req, res) => ok(res, await admin.users.update(ctx(req, res), param(req, 'username'), req.body))),
    )
    .delete(handle(async (req, res) => noContent(res, await admin.users.delete(ctx(req, res), param(req, 'username')))))
    .all(notAllowed('GET, PATCH, DELETE'));
  r.route('/admin/users/:username/tokens')
    .get(
      handle(async (req, res) => ok(res, { tokens: await admin.tokens.list(ctx(req, res), param(req, 'username')) })),
    )
    .post(
      handle(async (req, res) =>
        created(res, await admin.tokens.issue(ctx(req, res), param(req, 'username'), req.body)),
      ),
    )
    .all(notAllowed('GET, POST'));
  r.route('/admin/users/:username/tokens/:token')
    .delete(
      handle(async (req, res) =>
        noContent(res, await admin.tokens.revoke(ctx(req, res), param(req, 'username'), param(req, 'token'))),
      ),
    )
    .all(notAllowed('DELETE'));

  // ---- API roots, collections, grants ----------------------------------------------------------------
  r.route('/admin/api-roots')
    .get(handle(async (req, res) => ok(res, { api_roots: await admin.apiRoots.list(ctx(req, res)) })))
    .post(handle(async (req, res) => created(res, await admin.apiRoots.create(ctx(req, res), req.body))))
    .all(notAllowed('GET, POST'));
  r.route('/admin/api-roots/:root')
    .get(handle(async (req, res) => ok(res, await admin.apiRoots.get(ctx(req, res), param(req, 'root')))))
    .patch(
      handle(async (req, res) => ok(res, await admin.apiRoots.update(ctx(req, res), param(req, 'root'), req.body))),
    )
    .delete(handle(async (req, res) => noContent(res, await admin.apiRoots.delete(ctx(req, res), param(req, 'root')))))
    .all(notAllowed('GET, PATCH, DELETE'));
  r.route('/admin/api-roots/:root/collections')
    .get(
      handle(async (req, res) =>
        ok(res, { collections: await admin.collections.list(ctx(req, res), param(req, 'root')) }),
      ),
    )
    .post(
      handle(async (req, res) =>
        created(res, await admin.collections.create(ctx(req, res), param(req, 'root'), req.body)),
      ),
    )
    .all(notAllowed('GET, POST'));
  r.route('/admin/api-roots/:root/collections/:collection')
    .get(
      handle(async (req, res) =>
        ok(res, await admin.collections.get(ctx(req, res), param(req, 'root'), param(req, 'collection'))),
      ),
    )
    .patch(
      handle(async (req, res) =>
        ok(res, await admin.collections.update(ctx(req, res), param(req, 'root'), param(req, 'collection'), req.body)),
      ),
    )
    .delete(
      handle(async (req, res) =>
        noContent(res, await admin.collections.delete(ctx(req, res), param(req, 'root'), param(req, 'collection'))),
      ),
    )
    .all(notAllowed('GET, PATCH, DELETE'));
  r.route('/admin/collections/:collection/grants')
    .get(
      handle(async (req, res) => ok(res, { grants: await admin.grants.list(ctx(req, res), param(req, 'collection')) })),
    )
    .put(
      handle(async (req, res) =>
        ok(res, { grants: await admin.grants.replace(ctx(req, res), param(req, 'collection'), req.body) }),
      ),
    )
    .all(notAllowed('GET, PUT'));

  // ---- marking bindings (releasability) -------------------------------------------------------------
  r.route('/admin/markings')
    .get(handle(async (req, res) => ok(res, { markings: await admin.markings.list(ctx(req, res)) })))
    .all(notAllowed('GET'));
  r.route('/admin/markings/:marking')
    .get(handle(async (req, res) => ok(res, await admin.markings.get(ctx(req, res), param(req, 'marking')))))
    .put(
      handle(async (req, res) => ok(res, await admin.markings.replace(ctx(req, res), param(req, 'marking'), req.body))),
    )
    .delete(
      handle(async (req, res) => noContent(res, await admin.markings.delete(ctx(req, res), param(req, 'marking')))),
    )
    .all(notAllowed('GET, PUT, DELETE'));

  // ---- audit trail -----------------------------------------------------------------------------------
  r.route('/admin/audit')
    .get(handle(async (req, res) => ok(res, await admin.audit.query(ctx(req, res), auditParams(req)))))
    .all(notAllowed('GET'));

  r.use(onAdmin((_req, _res, next) => next(new NotFoundError('There is no admin resource at this URL.'))));
  return r;
}
