// Identity area: users and service accounts (each in at most one tenant), their roles, the
// certificates that identify them, and API tokens. Who may do what is decided in src/access/.

/** platform-admin: everything; tenant-admin: administers its own tenant; member: what grants say. */
export type Role = 'platform-admin' | 'tenant-admin' | 'member';

/** Who wrote a record: the configuration file (reconciled at every start), the admin API, or the first start. */
export type Source = 'config' | 'admin' | 'bootstrap';

export interface UserRecord {
  username: string;
  /** 'service' accounts authenticate with tokens or certificates, not passwords */
  kind: 'user' | 'service';
  /** scrypt hash in the format of src/auth/passwords.ts; never the password; absent for service accounts */
  passwordHash?: string;
  role: Role;
  /** the tenant the account belongs to; absent for accounts of a configuration without tenants */
  tenant?: string;
  /** client certificates that identify this account: `sha256:<hex>` fingerprints or subject DNs */
  certificates: string[];
  source: Source;
}

export interface TokenRecord {
  /** public part of the token, also its key */
  id: string;
  username: string;
  /** SHA-256 of the secret part (tokens are long random values: no slow hash needed) */
  secretHash: string;
  label: string;
  /** microseconds since the epoch */
  createdAt: number;
  expiresAt?: number;
  revokedAt?: number;
}

export interface IdentityStore {
  putUser(user: UserRecord): Promise<void>;
  getUser(username: string): Promise<UserRecord | undefined>;
  /** ordered by username */
  listUsers(): Promise<UserRecord[]>;
  /** removes the user and its tokens; returns whether it existed */
  deleteUser(username: string): Promise<boolean>;
  /** the account a certificate (fingerprint or subject DN) is mapped to */
  userByCertificate(certificate: string): Promise<UserRecord | undefined>;
  countPlatformAdmins(): Promise<number>;

  putToken(token: TokenRecord): Promise<void>;
  getToken(id: string): Promise<TokenRecord | undefined>;
  listTokens(username: string): Promise<TokenRecord[]>;
}
