// TAXII 2.1 §4 (discovery, API roots, status) and §5 (collections, objects) rules. Routes parse
// and delegate here; persistence is behind the Store interface; STIX rules live in src/stix/.
import { randomUUID } from 'node:crypto';
import { AccessPolicy, type Rights } from '../access/policy.js';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config/load-config.js';
import { ForbiddenError, InvalidRequestError, NotFoundError, UnprocessableError } from '../errors.js';
import type { StixValidator } from '../stix/validator.js';
import { versionKey, type Clock } from '../stix/timestamps.js';
import type {
  ApiRootRecord,
  CollectionRecord,
  NewVersion,
  Page,
  StatusDetail,
  StatusRecord,
  Store,
  StoredVersion,
} from '../store/store.js';
import { CursorCodec } from './cursor.js';
import { parseTaxiiQuery, type Endpoint, type TaxiiQuery } from './query.js';

export interface CollectionRef {
  apiRoot: string;
  collection: string;
}

export interface Resolved {
  root: ApiRootRecord;
  collection: CollectionRecord;
  rights: Rights;
}

export interface PageResult {
  page: Page<StoredVersion>;
  next?: string;
}

export class TaxiiService {
  constructor(
    private readonly store: Store,
    private readonly access: AccessPolicy,
    private readonly validator: StixValidator,
    private readonly cursors: CursorCodec,
    private readonly clock: Clock,
    private readonly taxii: Config['taxii'],
    private readonly baseUrl: string,
  ) {}

  async discovery(): Promise<object> {
    const roots = await this.store.listApiRoots();
    const t = this.taxii;
    return {
      title: t.title,
      ...(t.description !== undefined ? { description: t.description } : {}),
      ...(t.contact !== undefined ? { contact: t.contact } : {}),
      ...(t.defaultApiRoot !== undefined ? { default: this.apiRootUrl(t.defaultApiRoot) } : {}),
      ...(roots.length > 0 ? { api_roots: roots.map((r) => this.apiRootUrl(r.path)) } : {}),
    };
  }

  private apiRootUrl(path: string): string {
    return `${this.baseUrl}/${path}/`;
  }

  async apiRoot(path: string): Promise<ApiRootRecord> {
    const root = await this.store.getApiRoot(path);
    if (!root) throw new NotFoundError(`There is no API root at /${path}/.`);
    return root;
  }

  async collections(principal: Principal, apiRoot: string): Promise<{ collection: CollectionRecord; rights: Rights }[]> {
    await this.apiRoot(apiRoot);
    const grants = await this.access.rightsByCollection(principal);
    return (await this.store.listCollections(apiRoot))
      .map((collection) => ({ collection, rights: this.access.rightsFrom(principal, grants, collection.id) }))
      .filter((c) => AccessPolicy.visible(c.rights));
  }

  /** API root → collection → rights; anything the caller may not see is a 404 (T-123). */
  async resolve(principal: Principal, ref: CollectionRef): Promise<Resolved> {
    const root = await this.apiRoot(ref.apiRoot);
    const collection = await this.store.getCollection(ref.apiRoot, ref.collection);
    const rights = collection ? await this.access.rights(principal, collection.id) : undefined;
    if (!collection || !rights || !AccessPolicy.visible(rights)) {
      throw new NotFoundError('There is no such collection in this API root.');
    }
    return { root, collection, rights };
  }

  private async readable(principal: Principal, ref: CollectionRef): Promise<Resolved> {
    const r = await this.resolve(principal, ref);
    if (!r.rights.read) throw new ForbiddenError('You may add objects to this collection but not read it.');
    return r;
  }

  private async page(
    principal: Principal,
    r: Resolved,
    endpoint: Endpoint,
    q: TaxiiQuery,
    objectId?: string,
  ): Promise<PageResult> {
    const fp = CursorCodec.fingerprint([principal.username, r.root.path, r.collection.id, endpoint, objectId ?? null, q.canonical]);
    const after = q.next !== undefined ? this.cursors.decode(q.next, fp) : undefined;
    const page = await this.store.queryObjects(
      r.collection.id,
      {
        ...(objectId !== undefined ? { objectId } : {}),
        ...(q.ids ? { ids: q.ids } : {}),
        ...(q.types ? { types: q.types } : {}),
        versions: endpoint === 'versions' ? { all: true } : q.versions,
        ...(q.specVersions ? { specVersions: q.specVersions } : {}),
        ...(q.addedAfter !== undefined ? { addedAfter: q.addedAfter } : {}),
      },
      { limit: q.limit, ...(after !== undefined ? { after } : {}) },
    );
    const last = page.items[page.items.length - 1];
    // T-99: `next` always accompanies `more: true`, or taxii2-client loops on the first page.
    const next = page.more && last ? this.cursors.encode(last.dateAdded, fp) : undefined;
    return { page, ...(next !== undefined ? { next } : {}) };
  }

  /** §5.3 manifest and §5.4 objects share filters and paging. */
  async list(principal: Principal, ref: CollectionRef, rawQuery: string, endpoint: 'objects' | 'manifest'): Promise<PageResult> {
    const r = await this.readable(principal, ref);
    const q = parseTaxiiQuery(rawQuery, endpoint, this.taxii.maxPageSize);
    return this.page(principal, r, endpoint, q);
  }

  /** §5.6 get an object; §5.8 its versions. Unknown id ⇒ 404 (T-62, T-65). */
  async object(principal: Principal, ref: CollectionRef, objectId: string, rawQuery: string, endpoint: 'object' | 'versions'): Promise<PageResult> {
    const r = await this.readable(principal, ref);
    const q = parseTaxiiQuery(rawQuery, endpoint, this.taxii.maxPageSize);
    if (!(await this.store.objectExists(r.collection.id, objectId))) {
      throw new NotFoundError('There is no object with this id in the collection.');
    }
    return this.page(principal, r, endpoint, q, objectId);
  }

  /** §5.7: the permission table of T-114, then delete the selected versions (default: latest, A-7). */
  async deleteObject(principal: Principal, ref: CollectionRef, objectId: string, rawQuery: string): Promise<void> {
    const r = await this.resolve(principal, ref);
    if (!r.rights.read || !r.rights.write) {
      throw new ForbiddenError('Deleting objects requires both read and write access to the collection.');
    }
    const q = parseTaxiiQuery(rawQuery, 'delete', this.taxii.maxPageSize);
    const removed = await this.store.deleteObjects(r.collection.id, {
      objectId,
      versions: q.versions,
      ...(q.specVersions ? { specVersions: q.specVersions } : {}),
    });
    if (removed === 0) throw new NotFoundError('There is no object with this id and version in the collection.');
  }

  /** §4.3: a status is visible only to the principal that created it (T-47), else 404. */
  async status(principal: Principal, apiRoot: string, statusId: string): Promise<StatusRecord> {
    await this.apiRoot(apiRoot);
    const s = await this.store.getStatus(apiRoot, statusId);
    if (!s || (s.owner !== principal.username && !principal.admin)) {
      throw new NotFoundError('There is no such status resource.');
    }
    return s;
  }

  /** Resolves the collection for a POST and checks write access before the body is read. */
  async writable(principal: Principal, ref: CollectionRef): Promise<Resolved> {
    const r = await this.resolve(principal, ref);
    if (!r.rights.write) throw new ForbiddenError('You may read this collection but not add objects to it.');
    return r;
  }

  /**
   * §5.5 add objects. Each object is validated alone: an invalid one becomes a failure with its
   * reason and the valid rest is stored (T-111). Everything is committed before the status is
   * written, so `complete` never reports an object that is not stored.
   */
  async add(principal: Principal, r: Resolved, body: Buffer): Promise<StatusRecord> {
    const requestTimestamp = this.clock.nowMicros();
    const objects = parseEnvelope(body);
    const successes: StatusDetail[] = [];
    const failures: StatusDetail[] = [];
    const valid: NewVersion[] = [];
    for (const [i, obj] of objects.entries()) {
      const verdict = this.validator.validate(obj);
      if (!verdict.ok) {
        failures.push({ id: verdict.id ?? `objects[${i}]`, version: versionOf(obj) ?? '', message: verdict.reason });
        continue;
      }
      const o = obj as Record<string, unknown>;
      const version = versionOf(o);
      valid.push({
        id: verdict.id,
        type: verdict.type,
        specVersion: verdict.specVersion,
        ...(version !== undefined ? { version, versionKey: versionKey(version) as string } : {}),
        json: JSON.stringify(o),
      });
    }
    if (valid.length > 0) {
      const outcomes = await this.store.addObjects(r.collection.id, valid, this.clock.nowMicros());
      for (const o of outcomes) {
        if (o.outcome === 'added') successes.push({ id: o.id, version: o.version });
        else if (o.outcome === 'duplicate') successes.push({ id: o.id, version: o.version, message: 'already present' });
        else {
          failures.push({
            id: o.id,
            version: o.version,
            message: 'a different object with this id and version is already stored; a new version needs a new modified',
          });
        }
      }
    }
    const status: StatusRecord = {
      id: randomUUID(),
      apiRoot: r.root.path,
      collectionId: r.collection.id,
      owner: principal.username,
      status: 'complete',
      requestTimestamp,
      totalCount: objects.length,
      successes,
      failures,
      pendings: [],
    };
    await this.store.putStatus(status);
    return status;
  }

  async purgeStatuses(): Promise<number> {
    return this.store.purgeStatuses(this.clock.nowMicros() - this.taxii.statusRetentionHours * 3_600_000_000);
  }
}

function versionOf(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const o = obj as { modified?: unknown; created?: unknown };
  if (typeof o.modified === 'string') return o.modified;
  if (typeof o.created === 'string') return o.created;
  return undefined;
}

/** §3.7 envelope. A STIX bundle is read the same way: its `objects`, ignoring `type`/`id`. */
function parseEnvelope(body: Buffer): unknown[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UnprocessableError('The request body must be a TAXII envelope: a JSON object with an "objects" list.');
  }
  const objects = (parsed as { objects?: unknown }).objects;
  if (!Array.isArray(objects) || objects.length === 0) {
    throw new UnprocessableError('The envelope must have an "objects" list with at least one STIX object.');
  }
  return objects;
}
