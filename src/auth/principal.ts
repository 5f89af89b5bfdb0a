// Who is calling, as established by authentication. Permissions are decided in src/access/.
import type { Role } from '../store/store.js';

export interface Principal {
  username: string;
  role: Role;
  /** the caller's tenant; absent for accounts of a configuration without tenants */
  tenant?: string;
  /** the groups the caller's tenant belongs to */
  groups: readonly string[];
}
