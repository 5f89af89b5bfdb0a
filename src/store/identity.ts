// Identity area: the users that authenticate. Who may do what is decided in src/access/.

export interface UserRecord {
  username: string;
  /** scrypt hash in the format of src/auth/passwords.ts; never the password */
  passwordHash: string;
  admin: boolean;
}

export interface IdentityStore {
  putUser(user: UserRecord): Promise<void>;
  getUser(username: string): Promise<UserRecord | undefined>;
  countAdmins(): Promise<number>;
}
