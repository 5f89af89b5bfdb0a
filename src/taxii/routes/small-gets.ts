// The small GET resources of TAXII 2.1: discovery (§4.1), API root (§4.2), status (§4.3),
// collections (§5.1) and collection (§5.2). Each is a route template and what it reads for a caller.
// The express router (taxii-routes.ts) and the lean path (lean-routes.ts) both serve from this one
// table, so the two cannot answer differently.
import type { Principal } from '../../auth/principal.js';
import type { AuditAction, StatusRecord } from '../../store/store.js';
import { apiRootResource, collectionResource, statusResource } from '../resources.js';
import type { Noted, TaxiiServices } from './common.js';

export interface SmallGet {
  /** the express route template, in the order the router tries them; also the metrics label */
  readonly template: string;
  /** present when every outcome of the route is recorded in the audit trail */
  readonly audit?: { action: AuditAction; endpoint: string };
  /** the resource for this caller, with what the audit trail is told about it */
  read(
    svc: TaxiiServices,
    p: Principal,
    params: Readonly<Record<string, string>>,
  ): Promise<{ body: object; noted?: Noted }>;
}

/**
 * Status resources by the record they were built from: a complete status comes from the status
 * service's memory as the same (frozen) record on every poll, so its resource is built once.
 */
const statusResources = new WeakMap<StatusRecord, object>();

function statusBody(status: StatusRecord): object {
  let body = statusResources.get(status);
  if (body === undefined) statusResources.set(status, (body = statusResource(status)));
  return body;
}

const param = (params: Readonly<Record<string, string>>, name: string): string => params[name] as string;

export const SMALL_GETS: readonly SmallGet[] = [
  {
    template: '/taxii2/',
    read: async (svc, p) => ({ body: await svc.discovery.discovery(p) }),
  },
  {
    template: '/:root/',
    read: async (svc, p, x) => ({ body: apiRootResource(await svc.discovery.apiRoot(p, param(x, 'root'))) }),
  },
  {
    template: '/:root/status/:status/',
    audit: { action: 'taxii.status', endpoint: 'status' },
    read: async (svc, p, x) => {
      const status = await svc.statuses.get(p, param(x, 'root'), param(x, 'status'));
      return {
        body: statusBody(status),
        noted: { collectionId: status.collectionId, detail: { status: status.id } },
      };
    },
  },
  {
    template: '/:root/collections/',
    read: async (svc, p, x) => {
      const list = await svc.collections.list(p, param(x, 'root'));
      return {
        body: list.length > 0 ? { collections: list.map((c) => collectionResource(c.collection, c.rights)) } : {},
      };
    },
  },
  {
    template: '/:root/collections/:collection/',
    read: async (svc, p, x) => {
      const c = await svc.collections.get(p, { apiRoot: param(x, 'root'), collection: param(x, 'collection') });
      return { body: collectionResource(c.collection, c.rights) };
    },
  },
];
