// TAXII 2.1 §4.1 discovery and §4.2 API root information.
import type { AccessGate } from '../access/gate.js';
import type { Config } from '../config/load-config.js';
import type { ApiRootRecord, CatalogStore } from '../store/store.js';

export class DiscoveryService {
  constructor(
    private readonly catalog: CatalogStore,
    private readonly gate: AccessGate,
    private readonly taxii: Config['taxii'],
    private readonly baseUrl: string,
  ) {}

  async discovery(): Promise<object> {
    const roots = await this.catalog.listApiRoots();
    const t = this.taxii;
    return {
      title: t.title,
      ...(t.description !== undefined ? { description: t.description } : {}),
      ...(t.contact !== undefined ? { contact: t.contact } : {}),
      ...(t.defaultApiRoot !== undefined ? { default: this.apiRootUrl(t.defaultApiRoot) } : {}),
      ...(roots.length > 0 ? { api_roots: roots.map((r) => this.apiRootUrl(r.path)) } : {}),
    };
  }

  apiRoot(path: string): Promise<ApiRootRecord> {
    return this.gate.apiRoot(path);
  }

  private apiRootUrl(path: string): string {
    return `${this.baseUrl}/${path}/`;
  }
}
