// TAXII 2.1 §5.3 manifest, §5.4 objects (GET and POST), §5.6 get an object, §5.7 delete,
// §5.8 versions: every request is recorded in the audit trail with what it returned or changed.
import type { Request, Router } from 'express';
import { readLimitedBody } from '../../ingest/body-stream.js';
import { envelopeEntries } from '../../ingest/ingest-service.js';
import { requestIdOf } from '../../http/request-id.js';
import { assertTaxiiContentType } from '../media-types.js';
import { parseTaxiiQuery, type Endpoint, type TaxiiQuery } from '../query.js';
import {
  dateAddedHeaders,
  dateAddedRange,
  envelopeBody,
  manifestResource,
  statusResource,
  textEnvelope,
  versionsResource,
} from '../resources.js';
import { sendTaxii } from '../respond.js';
import { audited, notAllowed, principalOf, rawQuery, ref, type TaxiiServices } from './common.js';

const BASE = '/:root/collections/:collection';

export function objectRoutes(r: Router, svc: TaxiiServices, maxPageSize: number): void {
  const query = (req: Request, endpoint: Endpoint): TaxiiQuery => parseTaxiiQuery(rawQuery(req), endpoint, maxPageSize);

  const listing = (endpoint: 'manifest') =>
    audited(svc.audit, 'taxii.read', endpoint, async (req, res, note) => {
      const principal = principalOf(res);
      const at = await svc.objects.admit(principal, ref(req), 'read');
      note({ collectionId: at.collection.id });
      const { page, next } = await svc.objects.list(principal, at, query(req, endpoint), endpoint);
      note({ detail: { returned: page.items.length, more: page.more } });
      sendTaxii(res, 200, manifestResource(page, next), dateAddedHeaders(page));
    });

  const oneObject = (endpoint: 'object' | 'versions') =>
    audited(svc.audit, 'taxii.read', endpoint, async (req, res, note) => {
      const principal = principalOf(res);
      const at = await svc.objects.admit(principal, ref(req), 'read');
      const id = req.params.object as string;
      note({ collectionId: at.collection.id, detail: { object: id } });
      const { page, next } = await svc.objects.object(principal, at, id, query(req, endpoint), endpoint);
      note({ detail: { object: id, returned: page.items.length, more: page.more } });
      const body = endpoint === 'versions' ? versionsResource(page, next) : envelopeBody(page, next);
      sendTaxii(res, 200, body, dateAddedHeaders(page));
    });

  r.get(`${BASE}/manifest/`, listing('manifest'));
  r.all(`${BASE}/manifest/`, notAllowed('GET'));

  // §5.4: the envelope is made of the stored texts as the store joined them (TextPage).
  r.get(
    `${BASE}/objects/`,
    audited(svc.audit, 'taxii.read', 'objects', async (req, res, note) => {
      const principal = principalOf(res);
      const at = await svc.objects.admit(principal, ref(req), 'read');
      note({ collectionId: at.collection.id });
      const { texts, next } = await svc.objects.listTexts(principal, at, query(req, 'objects'));
      // The texts may live in memory the store reuses: given back once the socket is done with
      // them (the response finished, or the connection closed), never while they are being sent.
      if (texts.release) res.once('close', texts.release);
      note({ detail: { returned: texts.count, more: texts.more } });
      sendTaxii(res, 200, textEnvelope(texts, next), dateAddedRange(texts.first, texts.last));
    }),
  );
  r.post(
    `${BASE}/objects/`,
    audited(svc.audit, 'taxii.write', 'objects', async (req, res, note) => {
      const principal = principalOf(res);
      const target = await svc.ingest.target(principal, ref(req));
      note({ collectionId: target.collection.id });
      assertTaxiiContentType(req.headers['content-type']);
      // Read as it arrives, within fixed memory: the body is decoded and counted against the API
      // root's max_content_length, and each envelope entry is queued as raw bytes (src/ingest/).
      const limits = svc.ingest.envelopeLimits;
      const body = readLimitedBody(req, {
        maxBytes: target.root.maxContentLength,
        maxDecompressedBytes: limits.maxDecompressedBytes,
      });
      let status;
      try {
        status = await svc.ingest.enqueue(principal, target, envelopeEntries(body, limits), requestIdOf(res));
      } catch (err) {
        // The rest of the body is not wanted: do not let Node read it to keep the connection.
        if (!body.complete) res.setHeader('Connection', 'close');
        throw err;
      }
      note({ detail: { status: status.id, total: status.totalCount, queued: true } });
      sendTaxii(res, 202, statusResource(status));
    }),
  );
  r.all(`${BASE}/objects/`, notAllowed('GET, POST'));

  r.get(`${BASE}/objects/:object/`, oneObject('object'));
  r.delete(
    `${BASE}/objects/:object/`,
    audited(svc.audit, 'taxii.delete', 'object', async (req, res, note) => {
      const at = await svc.objects.admit(principalOf(res), ref(req), 'delete');
      const id = req.params.object as string;
      note({ collectionId: at.collection.id, detail: { object: id } });
      await svc.objects.delete(at, id, query(req, 'delete'));
      sendTaxii(res, 200, undefined);
    }),
  );
  r.all(`${BASE}/objects/:object/`, notAllowed('GET, DELETE'));

  r.get(`${BASE}/objects/:object/versions/`, oneObject('versions'));
  r.all(`${BASE}/objects/:object/versions/`, notAllowed('GET'));
}
