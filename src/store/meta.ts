// Meta area: small server-wide values shared by every instance on one store (e.g. the cursor key).

export interface MetaStore {
  getMeta(key: string): Promise<string | undefined>;
  /** sets the value only if the key is absent; returns the value now stored */
  initMeta(key: string, value: string): Promise<string>;
}
