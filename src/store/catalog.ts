// Catalog area: API roots (TAXII 2.1 §4.2) and the collections they hold (§5.2).

export interface ApiRootRecord {
  path: string;
  title: string;
  description?: string;
  maxContentLength: number;
}

export interface CollectionRecord {
  id: string;
  apiRoot: string;
  title: string;
  description?: string;
  alias?: string;
  mediaTypes: string[];
}

export type NewCollection = Omit<CollectionRecord, 'mediaTypes'> & { mediaTypes?: string[] };

export interface CatalogStore {
  putApiRoot(root: ApiRootRecord): Promise<void>;
  getApiRoot(path: string): Promise<ApiRootRecord | undefined>;
  /** ordered by path */
  listApiRoots(): Promise<ApiRootRecord[]>;

  /** inserts or updates; media types are set on insert only */
  putCollection(collection: NewCollection): Promise<void>;
  /** by id or by alias, within one API root */
  getCollection(apiRoot: string, idOrAlias: string): Promise<CollectionRecord | undefined>;
  /** ordered by id (§5.1: a stable order across requests) */
  listCollections(apiRoot: string): Promise<CollectionRecord[]>;
}
