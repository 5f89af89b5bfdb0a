// TAXII 2.1 endpoints (§4, §5). Each handler parses, calls one service method, and sends.
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Principal } from '../../auth/principal.js';
import { MethodNotAllowedError } from '../../errors.js';
import { assertAcceptable, assertTaxiiContentType } from '../media-types.js';
import {
  apiRootResource,
  collectionResource,
  dateAddedHeaders,
  envelopeBody,
  manifestResource,
  statusResource,
  versionsResource,
} from '../resources.js';
import { sendTaxii } from '../respond.js';
import type { CollectionRef, TaxiiService } from '../taxii-service.js';

type AsyncHandler = (req: Request, res: Response) => Promise<void>;

/** Express 4 does not forward rejected promises; this does. */
function handle(fn: AsyncHandler): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    fn(req, res).catch(next);
  };
}

function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

function rawQuery(req: Request): string {
  const q = req.originalUrl.indexOf('?');
  return q < 0 ? '' : req.originalUrl.slice(q + 1);
}

function ref(req: Request): CollectionRef {
  return { apiRoot: req.params.root as string, collection: req.params.collection as string };
}

export function taxiiRoutes(svc: TaxiiService, authenticate: RequestHandler): Router {
  const r = Router({ caseSensitive: true, strict: false });

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

  // Appendix C order: authenticate, then content negotiation, then everything else.
  r.use(authenticate);
  r.use((req, _res, next) => {
    assertAcceptable(req.headers.accept);
    next();
  });

  const notAllowed = (allowed: string): RequestHandler => (_req, res, next) => {
    res.setHeader('Allow', allowed);
    next(new MethodNotAllowedError(`This endpoint supports ${allowed} only.`));
  };

  r.get('/taxii2/', handle(async (_req, res) => sendTaxii(res, 200, await svc.discovery())));
  r.all('/taxii2/', notAllowed('GET'));

  r.get('/:root/', handle(async (req, res) => sendTaxii(res, 200, apiRootResource(await svc.apiRoot(req.params.root as string)))));
  r.all('/:root/', notAllowed('GET'));

  r.get(
    '/:root/status/:status/',
    handle(async (req, res) => {
      const s = await svc.status(principalOf(res), req.params.root as string, req.params.status as string);
      sendTaxii(res, 200, statusResource(s));
    }),
  );
  r.all('/:root/status/:status/', notAllowed('GET'));

  r.get(
    '/:root/collections/',
    handle(async (req, res) => {
      const list = await svc.collections(principalOf(res), req.params.root as string);
      sendTaxii(res, 200, list.length > 0 ? { collections: list.map((c) => collectionResource(c.collection, c.rights)) } : {});
    }),
  );
  r.all('/:root/collections/', notAllowed('GET'));

  r.get(
    '/:root/collections/:collection/',
    handle(async (req, res) => {
      const c = await svc.resolve(principalOf(res), ref(req));
      sendTaxii(res, 200, collectionResource(c.collection, c.rights));
    }),
  );
  r.all('/:root/collections/:collection/', notAllowed('GET'));

  r.get(
    '/:root/collections/:collection/manifest/',
    handle(async (req, res) => {
      const { page, next } = await svc.list(principalOf(res), ref(req), rawQuery(req), 'manifest');
      sendTaxii(res, 200, manifestResource(page, next), dateAddedHeaders(page));
    }),
  );
  r.all('/:root/collections/:collection/manifest/', notAllowed('GET'));

  r.get(
    '/:root/collections/:collection/objects/',
    handle(async (req, res) => {
      const { page, next } = await svc.list(principalOf(res), ref(req), rawQuery(req), 'objects');
      sendTaxii(res, 200, envelopeBody(page, next), dateAddedHeaders(page));
    }),
  );
  r.post(
    '/:root/collections/:collection/objects/',
    handle(async (req, res) => {
      const principal = principalOf(res);
      const target = await svc.writable(principal, ref(req));
      assertTaxiiContentType(req.headers['content-type']);
      const body = await readBody(req, res, target.root.maxContentLength);
      const status = await svc.add(principal, target, body);
      sendTaxii(res, 202, statusResource(status));
    }),
  );
  r.all('/:root/collections/:collection/objects/', notAllowed('GET, POST'));

  r.get(
    '/:root/collections/:collection/objects/:object/',
    handle(async (req, res) => {
      const { page, next } = await svc.object(principalOf(res), ref(req), req.params.object as string, rawQuery(req), 'object');
      sendTaxii(res, 200, envelopeBody(page, next), dateAddedHeaders(page));
    }),
  );
  r.delete(
    '/:root/collections/:collection/objects/:object/',
    handle(async (req, res) => {
      await svc.deleteObject(principalOf(res), ref(req), req.params.object as string, rawQuery(req));
      sendTaxii(res, 200, undefined);
    }),
  );
  r.all('/:root/collections/:collection/objects/:object/', notAllowed('GET, DELETE'));

  r.get(
    '/:root/collections/:collection/objects/:object/versions/',
    handle(async (req, res) => {
      const { page, next } = await svc.object(principalOf(res), ref(req), req.params.object as string, rawQuery(req), 'versions');
      sendTaxii(res, 200, versionsResource(page, next), dateAddedHeaders(page));
    }),
  );
  r.all('/:root/collections/:collection/objects/:object/versions/', notAllowed('GET'));

  return r;
}
