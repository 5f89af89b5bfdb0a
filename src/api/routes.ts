// The analyst REST API under /api/v1/: JSON answers, errors as RFC 9457 problem documents, the same
// authentication and limits as TAXII. Handlers parse the query string into typed inputs, call the
// AnalystService and record one audit entry per request. Endpoint reference: openapi.yaml.
import { randomUUID } from 'node:crypto';
import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { AuditLog } from '../access/audit-log.js';
import type { Principal } from '../auth/principal.js';
import { InvalidRequestError, MethodNotAllowedError, NotFoundError, PalisadeError } from '../errors.js';
import { handle } from '../http/async-handler.js';
import { requestIdOf } from '../http/request-id.js';
import { jsonResponder, useResponder } from '../http/responders.js';
import { isStixId } from '../stix/intel-fields.js';
import { toMicros } from '../stix/timestamps.js';
import { CursorCodec } from '../taxii/cursor.js';
import type { AnalystService } from './analyst-service.js';

const MAX_QUERY = 200;
const TYPE_RE = /^[a-z0-9][a-z0-9-]{0,249}$/;
const LABEL_RE = /^[a-z0-9][a-z0-9_-]{0,249}$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** The query string as given (the app's query parser is off), each known parameter checked. */
class Params {
  private readonly search: URLSearchParams;

  constructor(
    req: Request,
    private readonly known: readonly string[],
  ) {
    const q = req.originalUrl.indexOf('?');
    this.search = new URLSearchParams(q < 0 ? '' : req.originalUrl.slice(q + 1));
    for (const key of this.search.keys()) {
      if (!known.includes(key)) {
        throw new InvalidRequestError(
          `Unknown query parameter ${key}; this endpoint takes ${known.join(', ') || 'none'}.`,
        );
      }
    }
  }

  one(name: string): string | undefined {
    const values = this.search.getAll(name);
    if (values.length > 1) throw new InvalidRequestError(`The query parameter ${name} is repeated.`);
    return values[0];
  }

  /** Repeated and comma-separated values together; empty items are refused. */
  list(name: string, check: (v: string) => boolean, what: string): string[] | undefined {
    const values = this.search.getAll(name).flatMap((v) => v.split(','));
    if (values.length === 0) return undefined;
    for (const v of values) {
      if (!check(v)) throw new InvalidRequestError(`${name}: ${JSON.stringify(v.slice(0, 100))} is not ${what}.`);
    }
    return [...new Set(values)];
  }

  int(name: string, dflt: number, max: number, min = 1): number {
    const v = this.one(name);
    if (v === undefined) return dflt;
    if (!/^[0-9]{1,9}$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new InvalidRequestError(`${name} must be an integer from ${min} to ${max}.`);
    }
    return Number(v);
  }

  collection(): string | undefined {
    const v = this.one('collection');
    if (v !== undefined && !UUID_RE.test(v))
      throw new InvalidRequestError('collection must be a collection id (a UUID).');
    return v;
  }

  types(): string[] | undefined {
    return this.list('type', (v) => TYPE_RE.test(v), 'a STIX type');
  }
}

const API_PATH = /^\/api(\/|$)/;

/** Runs `h` for /api paths only; the routes mounted after this router serve the rest. */
const onApi =
  (h: RequestHandler): RequestHandler =>
  (req, res, next) =>
    API_PATH.test(req.path) ? h(req, res, next) : next();

const principalOf = (res: Response): Principal => res.locals.principal as Principal;
const ok = (res: Response, body: object): void => jsonResponder.send(res, 200, body);

const notAllowed: RequestHandler = (_req, res, next) => {
  res.setHeader('Allow', 'GET');
  next(new MethodNotAllowedError('The analyst API is read-only: GET only.'));
};

function textQuery(p: Params, required: boolean): string | undefined {
  const q = p.one('q');
  if (q === undefined || q.trim() === '') {
    if (required) throw new InvalidRequestError('q is required: the words to search for.');
    return undefined;
  }
  if (q.length > MAX_QUERY) throw new InvalidRequestError(`q holds ${MAX_QUERY} characters at most.`);
  return q;
}

/** The STIX id in the path: `:object` under /objects, `:actor` under /actors. */
const pathId = (req: Request): string | undefined => req.params.object ?? req.params.actor;

function objectId(req: Request): string {
  const id = pathId(req) as string;
  if (!isStixId(id)) throw new InvalidRequestError('The object id is not a STIX identifier (type--UUID).');
  return id;
}

/** Search cursors carry the store's position, signed and bound to the query they continue. */
class SearchCursors {
  constructor(private readonly codec: CursorCodec) {}

  encode(position: string, fingerprint: string): string {
    // The position is a short token of the store (base64url); it travels as a number-free payload.
    return `${Buffer.from(position, 'utf8').toString('base64url')}~${this.codec.encode(0, `${fingerprint}|${position}`)}`;
  }

  decode(token: string, fingerprint: string): string {
    const cut = token.indexOf('~');
    if (cut <= 0 || token.length > 2000) throw new InvalidRequestError('The cursor is not one issued by this server.');
    const position = Buffer.from(token.slice(0, cut), 'base64url').toString('utf8');
    this.codec.decode(token.slice(cut + 1), `${fingerprint}|${position}`);
    return position;
  }
}

export function apiRoutes(
  service: AnalystService,
  audit: AuditLog,
  authenticate: RequestHandler,
  cursorSecret: Buffer,
): Router {
  const codec = new CursorCodec(cursorSecret);
  const searchCursors = new SearchCursors(codec);
  const r = Router({ caseSensitive: true, strict: false });
  r.use(
    onApi((_req, res, next) => {
      useResponder(res, jsonResponder);
      next();
    }),
  );
  r.use(onApi(authenticate));

  /** Runs the handler and records one `api.read` audit entry with its outcome. */
  const audited = (endpoint: string, fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
    handle(async (req, res) => {
      const p = principalOf(res);
      const record = (outcome: 'ok' | 'denied' | 'failed', error?: string): void =>
        audit.record({
          action: 'api.read',
          outcome,
          requestId: requestIdOf(res),
          actor: p.username,
          ...(p.tenant !== undefined ? { tenant: p.tenant } : {}),
          ...(req.ip !== undefined ? { address: req.ip } : {}),
          target: endpoint,
          ...(typeof pathId(req) === 'string'
            ? { detail: { id: (pathId(req) as string).slice(0, 300), ...(error ? { error } : {}) } }
            : error
              ? { detail: { error } }
              : {}),
        });
      try {
        await fn(req, res);
        record('ok');
      } catch (err) {
        const kind = err instanceof PalisadeError ? err.kind : 'internal';
        record(kind === 'forbidden' || kind === 'not-found' ? 'denied' : 'failed', kind);
        throw err;
      }
    });

  r.route('/api/v1/me')
    .get(
      audited('me', async (req, res) => {
        new Params(req, []);
        const p = principalOf(res);
        ok(res, { username: p.username, role: p.role, ...(p.tenant !== undefined ? { tenant: p.tenant } : {}) });
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/collections')
    .get(
      audited('collections', async (req, res) => {
        new Params(req, []);
        ok(res, { collections: await service.collections(principalOf(res)) });
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/search')
    .get(
      audited('search', async (req, res) => {
        const p = new Params(req, ['q', 'type', 'collection', 'limit', 'cursor']);
        const q = textQuery(p, true) as string;
        const types = p.types();
        const collection = p.collection();
        const limit = p.int('limit', 20, 100);
        const fingerprint = CursorCodec.fingerprint([
          'search',
          principalOf(res).username,
          q,
          types ?? [],
          collection ?? '',
          limit,
        ]);
        const token = p.one('cursor');
        const cursor = token !== undefined ? searchCursors.decode(token, fingerprint) : undefined;
        const page = await service.search(principalOf(res), {
          q,
          limit,
          ...(types ? { types } : {}),
          ...(collection ? { collection } : {}),
          ...(cursor !== undefined ? { cursor } : {}),
        });
        ok(res, {
          hits: page.hits,
          ...(page.next !== undefined ? { next: searchCursors.encode(page.next, fingerprint) } : {}),
        });
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/objects/:object')
    .get(
      audited('object', async (req, res) => {
        new Params(req, []);
        ok(res, await service.object(principalOf(res), objectId(req)));
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/objects/:object/neighbors')
    .get(
      audited('neighbors', async (req, res) => {
        const p = new Params(req, ['depth', 'relationship_type', 'type', 'limit']);
        const id = objectId(req);
        const depth = p.int('depth', 1, 2) as 1 | 2;
        // Links are labelled by relationship_type, or by the property (sighting_of_ref, object_refs…).
        const relationshipTypes = p.list(
          'relationship_type',
          (v) => LABEL_RE.test(v),
          'a relationship type or property',
        );
        const types = p.types();
        const limit = p.int('limit', 200, 1000);
        ok(
          res,
          await service.neighbors(principalOf(res), id, {
            depth,
            limit,
            ...(relationshipTypes ? { relationshipTypes } : {}),
            ...(types ? { types } : {}),
          }),
        );
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/actors')
    .get(
      audited('actors', async (req, res) => {
        const p = new Params(req, ['limit']);
        ok(res, { actors: await service.actors(principalOf(res), p.int('limit', 50, 500)) });
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/actors/:actor')
    .get(
      audited('actor', async (req, res) => {
        new Params(req, []);
        ok(res, await service.actor(principalOf(res), objectId(req)));
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/actors/:actor/navigator-layer')
    .get(
      audited('navigator-layer', async (req, res) => {
        new Params(req, []);
        const id = objectId(req);
        const layer = await service.navigatorLayer(principalOf(res), id);
        jsonResponder.send(res, 200, layer, {
          'Content-Disposition': `attachment; filename="${id}-layer.json"`,
        });
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/compare')
    .get(
      audited('compare', async (req, res) => {
        const p = new Params(req, ['actors']);
        const ids = p.list('actors', isStixId, 'a STIX identifier');
        if (ids === undefined || ids.length < 2 || ids.length > 5) {
          throw new InvalidRequestError('actors takes two to five actor ids, separated by commas.');
        }
        ok(res, await service.compare(principalOf(res), ids));
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/changes')
    .get(
      audited('changes', async (req, res) => {
        const p = new Params(req, ['since', 'collection', 'limit', 'cursor']);
        const sinceText = p.one('since');
        const since = sinceText !== undefined ? toMicros(sinceText) : undefined;
        if (since === undefined) {
          throw new InvalidRequestError('since is required: a timestamp such as 2026-01-31T00:00:00Z.');
        }
        const collection = p.collection();
        const limit = p.int('limit', 100, 1000);
        const fingerprint = CursorCodec.fingerprint(['changes', principalOf(res).username, since, collection ?? '']);
        const token = p.one('cursor');
        const afterSeq = token !== undefined ? codec.decode(token, fingerprint) : undefined;
        const page = await service.changes(principalOf(res), {
          since,
          limit,
          ...(collection ? { collection } : {}),
          ...(afterSeq !== undefined ? { afterSeq } : {}),
        });
        ok(res, {
          changes: page.changes,
          ...(page.nextSeq !== undefined ? { next: codec.encode(page.nextSeq, fingerprint) } : {}),
        });
      }),
    )
    .all(notAllowed);

  r.route('/api/v1/export')
    .get(
      audited('export', async (req, res) => {
        const p = new Params(req, ['q', 'type', 'collection', 'ids']);
        const q = textQuery(p, false);
        const types = p.types();
        const collection = p.collection();
        const ids = p.list('ids', isStixId, 'a STIX identifier');
        if (ids !== undefined && ids.length > 10_000) throw new InvalidRequestError('ids holds 10000 ids at most.');
        if (q === undefined && types === undefined && collection === undefined && ids === undefined) {
          throw new InvalidRequestError('Say what to export: q, type, collection or ids.');
        }
        const batches = service.exportObjects(principalOf(res), {
          ...(q !== undefined ? { q } : {}),
          ...(types ? { types } : {}),
          ...(collection ? { collection } : {}),
          ...(ids ? { ids } : {}),
        });
        // The first batch is read before the headers go out, so that a refusal is still a problem answer.
        const first = await batches.next();
        res.status(200);
        res.setHeader('Content-Type', 'application/stix+json;version=2.1');
        res.setHeader('Content-Disposition', 'attachment; filename="palisade-export.json"');
        res.write(`{"type":"bundle","id":"bundle--${randomUUID()}","objects":[`);
        let n = 0;
        const write = async (batch: readonly string[]): Promise<void> => {
          for (const json of batch) {
            if (!res.write(n++ === 0 ? json : `,${json}`)) {
              await new Promise<void>((resolve, reject) => {
                const onDrain = (): void => {
                  res.off('close', onClose);
                  resolve();
                };
                const onClose = (): void => {
                  res.off('drain', onDrain);
                  reject(new Error('the client closed the connection during an export'));
                };
                res.once('drain', onDrain);
                res.once('close', onClose);
              });
            }
          }
        };
        if (!first.done) await write(first.value);
        for await (const batch of batches) await write(batch);
        res.end(']}');
      }),
    )
    .all(notAllowed);

  r.use(onApi((_req, _res, next) => next(new NotFoundError('There is no analyst API resource at this URL.'))));
  return r;
}
