// TAXII 2.1 endpoints (§4, §5). Each handler parses the request into typed inputs, calls one
// service method, and sends. Endpoint map: src/taxii/README.md.
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { CollectionRef } from '../../access/gate.js';
import type { Principal } from '../../auth/principal.js';
import { MethodNotAllowedError } from '../../errors.js';
import { handle } from '../../http/async-handler.js';
import { useResponder } from '../../http/responders.js';
import type { IngestService } from '../../ingest/ingest-service.js';
import type { CollectionsService } from '../collections-service.js';
import type { DiscoveryService } from '../discovery-service.js';
import { assertAcceptable, assertTaxiiContentType } from '../media-types.js';
import type { ObjectsService } from '../objects-service.js';
import { parseTaxiiQuery, type Endpoint, type TaxiiQuery } from '../query.js';
import {
  apiRootResource,
  collectionResource,
  dateAddedHeaders,
  envelopeBody,
  manifestResource,
  statusResource,
  versionsResource,
} from '../resources.js';
import { sendTaxii, taxiiResponder } from '../respond.js';
import type { StatusService } from '../status-service.js';

export interface TaxiiServices {
  discovery: DiscoveryService;
  collections: CollectionsService;
  objects: ObjectsService;
  statuses: StatusService;
  ingest: IngestService;
}

function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

function ref(req: Request): CollectionRef {
  return { apiRoot: req.params.root as string, collection: req.params.collection as string };
}

/** The raw query string: TAXII filters are parsed from it, never by Express's qs (repeats matter). */
function rawQuery(req: Request): string {
  const q = req.originalUrl.indexOf('?');
  return q < 0 ? '' : req.originalUrl.slice(q + 1);
}

export function taxiiRoutes(svc: TaxiiServices, authenticate: RequestHandler, maxPageSize: number): Router {
  const r = Router({ caseSensitive: true, strict: false });
  const query = (req: Request, endpoint: Endpoint): TaxiiQuery => parseTaxiiQuery(rawQuery(req), endpoint, maxPageSize);

  // One raw-body parser per max_content_length in use, built on first need.
  const rawParsers = new Map<number, RequestHandler>();
  const readBody = (req: Request, res: Response, limit: number): Promise<Buffer> => {
    let parser = rawParsers.get(limit);
    if (!parser) {
      parser = express.raw({ type: () => true, limit });
      rawParsers.set(limit, parser);
    }
    const p = parser;
    return new Promise((resolve, reject) => {
      p(req, res, (err?: unknown) => {
        if (err) reject(err);
        else resolve(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      });
    });
  };

  // Everything below answers as TAXII, errors included (§3.6).
  r.use((_req, res, next) => {
    useResponder(res, taxiiResponder);
    next();
  });
  // Appendix C order: authenticate, then content negotiation, then everything else.
  r.use(authenticate);
  r.use((req, _res, next) => {
    assertAcceptable(req.headers.accept);
    next();
  });

  const notAllowed =
    (allowed: string): RequestHandler =>
    (_req, res, next) => {
      res.setHeader('Allow', allowed);
      next(new MethodNotAllowedError(`This endpoint supports ${allowed} only.`));
    };

  r.get(
    '/taxii2/',
    handle(async (_req, res) => sendTaxii(res, 200, await svc.discovery.discovery(principalOf(res)))),
  );
  r.all('/taxii2/', notAllowed('GET'));

  r.get(
    '/:root/',
    handle(async (req, res) =>
      sendTaxii(res, 200, apiRootResource(await svc.discovery.apiRoot(principalOf(res), req.params.root as string))),
    ),
  );
  r.all('/:root/', notAllowed('GET'));

  r.get(
    '/:root/status/:status/',
    handle(async (req, res) => {
      const status = await svc.statuses.get(principalOf(res), req.params.root as string, req.params.status as string);
      sendTaxii(res, 200, statusResource(status));
    }),
  );
  r.all('/:root/status/:status/', notAllowed('GET'));

  r.get(
    '/:root/collections/',
    handle(async (req, res) => {
      const list = await svc.collections.list(principalOf(res), req.params.root as string);
      sendTaxii(
        res,
        200,
        list.length > 0 ? { collections: list.map((c) => collectionResource(c.collection, c.rights)) } : {},
      );
    }),
  );
  r.all('/:root/collections/', notAllowed('GET'));

  r.get(
    '/:root/collections/:collection/',
    handle(async (req, res) => {
      const c = await svc.collections.get(principalOf(res), ref(req));
      sendTaxii(res, 200, collectionResource(c.collection, c.rights));
    }),
  );
  r.all('/:root/collections/:collection/', notAllowed('GET'));

  r.get(
    '/:root/collections/:collection/manifest/',
    handle(async (req, res) => {
      const principal = principalOf(res);
      const at = await svc.objects.admit(principal, ref(req), 'read');
      const { page, next } = await svc.objects.list(principal, at, query(req, 'manifest'), 'manifest');
      sendTaxii(res, 200, manifestResource(page, next), dateAddedHeaders(page));
    }),
  );
  r.all('/:root/collections/:collection/manifest/', notAllowed('GET'));

  r.get(
    '/:root/collections/:collection/objects/',
    handle(async (req, res) => {
      const principal = principalOf(res);
      const at = await svc.objects.admit(principal, ref(req), 'read');
      const { page, next } = await svc.objects.list(principal, at, query(req, 'objects'), 'objects');
      sendTaxii(res, 200, envelopeBody(page, next), dateAddedHeaders(page));
    }),
  );
  r.post(
    '/:root/collections/:collection/objects/',
    handle(async (req, res) => {
      const principal = principalOf(res);
      const target = await svc.ingest.target(principal, ref(req));
      assertTaxiiContentType(req.headers['content-type']);
      const bytes = await readBody(req, res, target.root.maxContentLength);
      sendTaxii(res, 202, statusResource(await svc.ingest.ingest(principal, target, { bytes })));
    }),
  );
  r.all('/:root/collections/:collection/objects/', notAllowed('GET, POST'));

  r.get(
    '/:root/collections/:collection/objects/:object/',
    handle(async (req, res) => {
      const principal = principalOf(res);
      const at = await svc.objects.admit(principal, ref(req), 'read');
      const id = req.params.object as string;
      const { page, next } = await svc.objects.object(principal, at, id, query(req, 'object'), 'object');
      sendTaxii(res, 200, envelopeBody(page, next), dateAddedHeaders(page));
    }),
  );
  r.delete(
    '/:root/collections/:collection/objects/:object/',
    handle(async (req, res) => {
      const at = await svc.objects.admit(principalOf(res), ref(req), 'delete');
      await svc.objects.delete(at, req.params.object as string, query(req, 'delete'));
      sendTaxii(res, 200, undefined);
    }),
  );
  r.all('/:root/collections/:collection/objects/:object/', notAllowed('GET, DELETE'));

  r.get(
    '/:root/collections/:collection/objects/:object/versions/',
    handle(async (req, res) => {
      const principal = principalOf(res);
      const at = await svc.objects.admit(principal, ref(req), 'read');
      const id = req.params.object as string;
      const { page, next } = await svc.objects.object(principal, at, id, query(req, 'versions'), 'versions');
      sendTaxii(res, 200, versionsResource(page, next), dateAddedHeaders(page));
    }),
  );
  r.all('/:root/collections/:collection/objects/:object/versions/', notAllowed('GET'));

  return r;
}
