// `palisade tenant|group|user|token …`: the directory of tenants and groups, accounts and their API
// tokens. Each verb builds the admin API's request body and calls the AdminService, which checks
// rights and input and records the change; nothing here decides what is allowed.
import type { GroupView, TenantView, TokenView, UserView } from '../admin/views.js';
import {
  changes,
  commaList,
  flag,
  PASSWORD_OPTIONS,
  settable,
  str,
  strs,
  UsageError,
  utcTime,
  type Noun,
  type Values,
} from './args.js';
import { fieldsOf, record, table, type Output } from './format.js';

const ROLES = ['member', 'tenant-admin', 'platform-admin'];

const one = (view: object): Output => ({ json: view, text: record(fieldsOf(view)) });
const gone = (what: string): Output => ({ json: {}, text: `Deleted ${what}.\n` });

export const tenant: Noun = {
  usage: [
    'list',
    'show ID',
    'create ID --name NAME',
    'update ID --name NAME',
    'delete ID            (a tenant without accounts or collections)',
  ],
  verbs: {
    list: {
      args: [],
      run: async ({ admin, ctx }) => {
        const tenants = await admin.tenants.list(ctx);
        const text = table<TenantView>(
          tenants,
          [
            { header: 'ID', cell: (t) => t.id },
            { header: 'NAME', cell: (t) => t.name },
            { header: 'SOURCE', cell: (t) => t.source },
          ],
          'No tenants.',
        );
        return { json: { tenants }, text };
      },
    },
    show: { args: ['ID'], run: async ({ admin, ctx, args: [id] }) => one(await admin.tenants.get(ctx, id as string)) },
    create: {
      args: ['ID'],
      options: { name: { type: 'string' } },
      required: ['name'],
      run: async ({ admin, ctx, args: [id], values }) =>
        one(await admin.tenants.create(ctx, { id, name: str(values, 'name') })),
    },
    update: {
      args: ['ID'],
      options: { name: { type: 'string' } },
      check: (values) => changes({ name: str(values, 'name') }, '--name'),
      run: async ({ admin, ctx, args: [id], values }) =>
        one(await admin.tenants.update(ctx, id as string, changes({ name: str(values, 'name') }, '--name'))),
    },
    delete: {
      args: ['ID'],
      run: async ({ admin, ctx, args: [id] }) => {
        await admin.tenants.delete(ctx, id as string);
        return gone(`tenant "${id}"`);
      },
    },
  },
};

const groupChanges = (values: Values): Record<string, unknown> =>
  changes({ name: settable(values, 'name'), tenants: commaList(values, 'tenants') }, '--name, --no-name or --tenants');

export const group: Noun = {
  usage: [
    'list',
    'show ID',
    'create ID --tenants T1,T2,… [--name NAME]',
    'update ID [--tenants T1,T2,…] [--name NAME | --no-name]   (--tenants replaces the members)',
    'delete ID',
  ],
  verbs: {
    list: {
      args: [],
      run: async ({ admin, ctx }) => {
        const groups = await admin.groups.list(ctx);
        const text = table<GroupView>(
          groups,
          [
            { header: 'ID', cell: (g) => g.id },
            { header: 'NAME', cell: (g) => g.name },
            { header: 'TENANTS', cell: (g) => g.tenants },
            { header: 'SOURCE', cell: (g) => g.source },
          ],
          'No groups.',
        );
        return { json: { groups }, text };
      },
    },
    show: { args: ['ID'], run: async ({ admin, ctx, args: [id] }) => one(await admin.groups.get(ctx, id as string)) },
    create: {
      args: ['ID'],
      options: { tenants: { type: 'string' }, name: { type: 'string' } },
      required: ['tenants'],
      run: async ({ admin, ctx, args: [id], values }) =>
        one(
          await admin.groups.create(ctx, {
            id,
            tenants: commaList(values, 'tenants'),
            ...(str(values, 'name') !== undefined ? { name: str(values, 'name') } : {}),
          }),
        ),
    },
    update: {
      args: ['ID'],
      options: { tenants: { type: 'string' }, name: { type: 'string' }, 'no-name': { type: 'boolean' } },
      check: groupChanges,
      run: async ({ admin, ctx, args: [id], values }) =>
        one(await admin.groups.update(ctx, id as string, groupChanges(values))),
    },
    delete: {
      args: ['ID'],
      run: async ({ admin, ctx, args: [id] }) => {
        await admin.groups.delete(ctx, id as string);
        return gone(`group "${id}"`);
      },
    },
  },
};

function checkRole(values: Values): void {
  const role = str(values, 'role');
  if (role !== undefined && !ROLES.includes(role))
    throw new UsageError(`--role ${role}: the role is one of ${ROLES.join(', ')}`);
}

/** The certificate flags of an update: the new list (replacing the old), or undefined. */
function certificateChanges(values: Values): string[] | undefined {
  const given = strs(values, 'certificate');
  if (flag(values, 'no-certificates')) {
    if (given.length > 0) throw new UsageError('give either --certificate or --no-certificates, not both');
    return [];
  }
  return given.length > 0 ? given : undefined;
}

const USER_UPDATE_FLAGS =
  '--role, --tenant, --no-tenant, --certificate, --no-certificates, --password-env or --password-stdin';

function userChanges(values: Values, password?: string): Record<string, unknown> {
  return changes(
    {
      role: str(values, 'role'),
      tenant: settable(values, 'tenant'),
      certificates: certificateChanges(values),
      password:
        password ?? (str(values, 'password-env') !== undefined || flag(values, 'password-stdin') ? '' : undefined),
    },
    USER_UPDATE_FLAGS,
  );
}

export const user: Noun = {
  usage: [
    'list',
    'show NAME',
    'create NAME --role member|tenant-admin|platform-admin [--tenant T]',
    '       (--password-env VAR | --password-stdin | --service) [--certificate DN|sha256:…]…',
    'update NAME [--role R] [--tenant T | --no-tenant] [--password-env VAR | --password-stdin]',
    '       [--certificate C]… [--no-certificates]   (--certificate replaces the mapped certificates)',
    'passwd NAME (--password-env VAR | --password-stdin)',
    'delete NAME          (also its tokens and the grants naming it)',
    'A password is never an argument: --password-env names an environment variable that holds it,',
    '--password-stdin reads it from standard input (typed without echo at a terminal).',
  ],
  verbs: {
    list: {
      args: [],
      run: async ({ admin, ctx }) => {
        const users = await admin.users.list(ctx);
        const text = table<UserView>(
          users,
          [
            { header: 'USERNAME', cell: (u) => u.username },
            { header: 'KIND', cell: (u) => u.kind },
            { header: 'ROLE', cell: (u) => u.role },
            { header: 'TENANT', cell: (u) => u.tenant },
            { header: 'CERTIFICATES', cell: (u) => u.certificates.length },
            { header: 'SOURCE', cell: (u) => u.source },
          ],
          'No accounts.',
        );
        return { json: { users }, text };
      },
    },
    show: {
      args: ['NAME'],
      run: async ({ admin, ctx, args: [name] }) => one(await admin.users.get(ctx, name as string)),
    },
    create: {
      args: ['NAME'],
      options: {
        role: { type: 'string' },
        tenant: { type: 'string' },
        service: { type: 'boolean' },
        certificate: { type: 'string', multiple: true },
        ...PASSWORD_OPTIONS,
      },
      required: ['role'],
      check: checkRole,
      run: async ({ admin, ctx, args: [username], values, password }) => {
        const certificates = strs(values, 'certificate');
        const body = {
          username,
          role: str(values, 'role'),
          ...(flag(values, 'service') ? { kind: 'service' } : {}),
          ...(str(values, 'tenant') !== undefined ? { tenant: str(values, 'tenant') } : {}),
          ...(password !== undefined ? { password } : {}),
          ...(certificates.length > 0 ? { certificates } : {}),
        };
        return one(await admin.users.create(ctx, body));
      },
    },
    update: {
      args: ['NAME'],
      options: {
        role: { type: 'string' },
        tenant: { type: 'string' },
        'no-tenant': { type: 'boolean' },
        certificate: { type: 'string', multiple: true },
        'no-certificates': { type: 'boolean' },
        ...PASSWORD_OPTIONS,
      },
      check: (values) => {
        checkRole(values);
        userChanges(values);
      },
      run: async ({ admin, ctx, args: [name], values, password }) =>
        one(await admin.users.update(ctx, name as string, userChanges(values, password))),
    },
    passwd: {
      args: ['NAME'],
      options: PASSWORD_OPTIONS,
      check: (values) => {
        if (str(values, 'password-env') === undefined && !flag(values, 'password-stdin'))
          throw new UsageError('give the new password with --password-env VAR or --password-stdin');
      },
      run: async ({ admin, ctx, args: [name], password }) => {
        await admin.users.update(ctx, name as string, { password });
        return { json: {}, text: `Changed the password of "${name}".\n` };
      },
    },
    delete: {
      args: ['NAME'],
      run: async ({ admin, ctx, args: [name] }) => {
        await admin.users.delete(ctx, name as string);
        return gone(`account "${name}"`);
      },
    },
  },
};

export const token: Noun = {
  usage: [
    'list USER            (revoked and expired ones too; never a secret)',
    'create USER [--label LABEL] [--expires RFC3339-TIME]',
    '       prints the token once on standard output: only a hash of it is kept',
    'revoke USER TOKEN-ID',
  ],
  verbs: {
    list: {
      args: ['USER'],
      run: async ({ admin, ctx, args: [username] }) => {
        const tokens = await admin.tokens.list(ctx, username as string);
        const text = table<TokenView>(
          tokens,
          [
            { header: 'ID', cell: (t) => t.id },
            { header: 'LABEL', cell: (t) => t.label },
            { header: 'CREATED', cell: (t) => t.created_at },
            { header: 'EXPIRES', cell: (t) => t.expires_at },
            { header: 'REVOKED', cell: (t) => t.revoked_at },
          ],
          'No tokens.',
        );
        return { json: { tokens }, text };
      },
    },
    create: {
      args: ['USER'],
      options: { label: { type: 'string' }, expires: { type: 'string' } },
      run: async ({ admin, ctx, args: [username], values }) => {
        const expires = str(values, 'expires');
        const issued = await admin.tokens.issue(ctx, username as string, {
          ...(str(values, 'label') !== undefined ? { label: str(values, 'label') } : {}),
          ...(expires !== undefined ? { expires_at: utcTime(expires) } : {}),
        });
        // The token alone on standard output, so that TOKEN=$(palisade token create …) works.
        const when = issued.expires_at !== undefined ? `, expires ${issued.expires_at}` : ', never expires';
        return {
          json: issued,
          text: `${issued.token}\n`,
          note: `Issued token ${issued.id} for "${issued.username}"${when}. It is shown only now: only a hash of it is stored.\n`,
        };
      },
    },
    revoke: {
      args: ['USER', 'TOKEN-ID'],
      run: async ({ admin, ctx, args: [username, id] }) => {
        await admin.tokens.revoke(ctx, username as string, id as string);
        return { json: {}, text: `Revoked token ${id} of "${username}".\n` };
      },
    },
  },
};
