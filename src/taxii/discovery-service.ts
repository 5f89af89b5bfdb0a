// TAXII 2.1 §4.1 discovery and §4.2 API root information.
import type { AccessGate } from '../access/gate.js';
import type { Principal } from '../auth/principal.js';
import type { Config } from '../config/load-config.js';
import type { ApiRootRecord } from '../store/store.js';

export class DiscoveryService {
  constructor(
    private readonly gate: AccessGate,
    private readonly taxii: Config['taxii'],
    private readonly baseUrl: string,
  ) {}

  /** Lists the API roots the caller can see; the default one only when it is among them. */
  async discovery(principal: Principal): Promise<object> {
    const roots = await this.gate.visibleApiRoots(principal);
    const t = this.taxii;
    const defaultRoot = roots.find((r) => r.path === t.defaultApiRoot);
    return {
      title: t.title,
      ...(t.description !== undefined ? { description: t.description } : {}),
      ...(t.contact !== undefined ? { contact: t.contact } : {}),
      ...(defaultRoot !== undefined ? { default: this.apiRootUrl(defaultRoot.path) } : {}),
      ...(roots.length > 0 ? { api_roots: roots.map((r) => this.apiRootUrl(r.path)) } : {}),
    };
  }

  apiRoot(principal: Principal, path: string): Promise<ApiRootRecord> {
    return this.gate.apiRoot(principal, path);
  }

  private apiRootUrl(path: string): string {
    return `${this.baseUrl}/${path}/`;
  }
}
