// Meta area: small server-wide values shared by every instance on one store (e.g. the cursor key),
// and the access generation.
//
// The access generation is a counter that every write to the identity, tenancy, catalog, grants
// and markings areas moves forward, on SQLite in the write's own transaction, on MongoDB right after
// the write. A process that keeps those areas in memory (src/access/access-cache.ts) re-reads it to
// learn that another process or instance changed who may do what. It only ever grows; its value
// means nothing beyond "different from before".

export interface MetaStore {
  getMeta(key: string): Promise<string | undefined>;
  /** sets the value only if the key is absent; returns the value now stored */
  initMeta(key: string, value: string): Promise<string>;
  /** the access generation: 0 until the first write to an access area, then larger after each */
  getAccessGeneration(): Promise<number>;
}
