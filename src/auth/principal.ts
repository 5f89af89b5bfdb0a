/** Who is calling, as established by authentication. Permissions are decided in src/access/. */
export interface Principal {
  username: string;
  admin: boolean;
}
