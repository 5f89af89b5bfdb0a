// TAXII 2.1 endpoints (§4, §5). Each handler parses the request into typed inputs, calls one
// service method, and sends. Endpoint map: src/taxii/README.md.
import { Router, type RequestHandler } from 'express';
import { handle } from '../../http/async-handler.js';
import { useResponder } from '../../http/responders.js';
import { assertAcceptable } from '../media-types.js';
import { apiRootResource, collectionResource, statusResource } from '../resources.js';
import { sendTaxii, taxiiResponder } from '../respond.js';
import { audited, notAllowed, principalOf, ref, type TaxiiServices } from './common.js';
import { objectRoutes } from './object-routes.js';

export type { TaxiiServices } from './common.js';

export function taxiiRoutes(svc: TaxiiServices, authenticate: RequestHandler, maxPageSize: number): Router {
  const r = Router({ caseSensitive: true, strict: false });

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
    audited(svc.audit, 'taxii.status', 'status', async (req, res, note) => {
      const status = await svc.statuses.get(principalOf(res), req.params.root as string, req.params.status as string);
      note({ collectionId: status.collectionId, detail: { status: status.id } });
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

  objectRoutes(r, svc, maxPageSize);
  return r;
}
