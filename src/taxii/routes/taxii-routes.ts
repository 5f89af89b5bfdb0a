// TAXII 2.1 endpoints (§4, §5). Each handler parses the request into typed inputs, calls one
// service method, and sends. Endpoint map: src/taxii/README.md.
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { handle } from '../../http/async-handler.js';
import { useResponder } from '../../http/responders.js';
import { assertAcceptable } from '../media-types.js';
import { sendTaxii, taxiiResponder } from '../respond.js';
import { audited, notAllowed, principalOf, type Noted, type TaxiiServices } from './common.js';
import { SMALL_GETS } from './small-gets.js';
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

  for (const g of SMALL_GETS) {
    const serve = async (req: Request, res: Response, note?: (n: Noted) => void): Promise<void> => {
      const { body, noted } = await g.read(svc, principalOf(res), req.params);
      if (noted !== undefined) note?.(noted);
      sendTaxii(res, 200, body);
    };
    r.get(g.template, g.audit ? audited(svc.audit, g.audit.action, g.audit.endpoint, serve) : handle(serve));
    r.all(g.template, notAllowed('GET'));
  }

  objectRoutes(r, svc, maxPageSize);
  return r;
}
