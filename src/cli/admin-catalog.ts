// `palisade api-root|collection|grant …`: the catalog and who may read and write what. As for the
// accounts, each verb only builds the admin API's request body and calls the AdminService.
import type { ApiRootView, CollectionView, GrantView } from '../admin/views.js';
import {
  changes,
  parseGrant,
  rightsOf,
  settable,
  str,
  strs,
  UsageError,
  type Noun,
  type OptionSpec,
  type Values,
} from './args.js';
import { fieldsOf, record, table, type Output } from './format.js';

const one = (view: object): Output => ({ json: view, text: record(fieldsOf(view)) });
const gone = (what: string): Output => ({ json: {}, text: `Deleted ${what}.\n` });

/** --max-content-length as a number; a usage error when it is not a whole number. */
function maxContentLength(values: Values): number | undefined {
  const v = str(values, 'max-content-length');
  if (v === undefined) return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new UsageError(`--max-content-length ${v}: give a number of bytes`);
  return Number(v);
}

const ROOT_UPDATE = '--title, --description, --no-description or --max-content-length';
const rootChanges = (values: Values): Record<string, unknown> =>
  changes(
    {
      title: str(values, 'title'),
      description: settable(values, 'description'),
      max_content_length: maxContentLength(values),
    },
    ROOT_UPDATE,
  );

export const apiRoot: Noun = {
  usage: [
    'list',
    'show PATH',
    'create PATH --title TITLE [--description TEXT] [--max-content-length BYTES]',
    'update PATH [--title TITLE] [--description TEXT | --no-description] [--max-content-length BYTES]',
    'delete PATH          (an API root without collections)',
  ],
  verbs: {
    list: {
      args: [],
      run: async ({ admin, ctx }) => {
        const roots = await admin.apiRoots.list(ctx);
        const text = table<ApiRootView>(
          roots,
          [
            { header: 'PATH', cell: (r) => r.path },
            { header: 'TITLE', cell: (r) => r.title },
            { header: 'MAX-CONTENT-LENGTH', cell: (r) => r.max_content_length },
            { header: 'SOURCE', cell: (r) => r.source },
          ],
          'No API roots.',
        );
        return { json: { api_roots: roots }, text };
      },
    },
    show: {
      args: ['PATH'],
      run: async ({ admin, ctx, args: [path] }) => one(await admin.apiRoots.get(ctx, path as string)),
    },
    create: {
      args: ['PATH'],
      options: { title: { type: 'string' }, description: { type: 'string' }, 'max-content-length': { type: 'string' } },
      required: ['title'],
      check: (values) => void maxContentLength(values),
      run: async ({ admin, ctx, args: [path], values }) => {
        const max = maxContentLength(values);
        const description = str(values, 'description');
        return one(
          await admin.apiRoots.create(ctx, {
            path,
            title: str(values, 'title'),
            ...(description !== undefined ? { description } : {}),
            ...(max !== undefined ? { max_content_length: max } : {}),
          }),
        );
      },
    },
    update: {
      args: ['PATH'],
      options: {
        title: { type: 'string' },
        description: { type: 'string' },
        'no-description': { type: 'boolean' },
        'max-content-length': { type: 'string' },
      },
      check: rootChanges,
      run: async ({ admin, ctx, args: [path], values }) =>
        one(await admin.apiRoots.update(ctx, path as string, rootChanges(values))),
    },
    delete: {
      args: ['PATH'],
      run: async ({ admin, ctx, args: [path] }) => {
        await admin.apiRoots.delete(ctx, path as string);
        return gone(`API root "${path}"`);
      },
    },
  },
};

const COLLECTION_UPDATE = '--title, --description, --alias, --owner or their --no- forms';
const collectionChanges = (values: Values): Record<string, unknown> =>
  changes(
    {
      title: str(values, 'title'),
      description: settable(values, 'description'),
      alias: settable(values, 'alias'),
      owner: settable(values, 'owner'),
    },
    COLLECTION_UPDATE,
  );

const collectionColumns = [
  { header: 'API-ROOT', cell: (c: CollectionView) => c.api_root },
  { header: 'ID', cell: (c: CollectionView) => c.id },
  { header: 'ALIAS', cell: (c: CollectionView) => c.alias },
  { header: 'TITLE', cell: (c: CollectionView) => c.title },
  { header: 'OWNER', cell: (c: CollectionView) => c.owner },
  { header: 'SOURCE', cell: (c: CollectionView) => c.source },
];

export const collection: Noun = {
  usage: [
    'list [--api-root PATH]',
    'show ROOT ID|ALIAS',
    'create ROOT --title TITLE [--id UUID] [--alias ALIAS] [--owner TENANT] [--description TEXT]',
    'update ROOT ID|ALIAS [--title TITLE] [--alias A | --no-alias] [--owner T | --no-owner]',
    '       [--description TEXT | --no-description]',
    'delete ROOT ID|ALIAS (retires it: its objects stay stored, unreachable)',
  ],
  verbs: {
    list: {
      args: [],
      options: { 'api-root': { type: 'string' } },
      run: async ({ admin, ctx, values }) => {
        const only = str(values, 'api-root');
        const roots = only !== undefined ? [only] : (await admin.apiRoots.list(ctx)).map((r) => r.path);
        const collections: CollectionView[] = [];
        for (const root of roots) collections.push(...(await admin.collections.list(ctx, root)));
        return { json: { collections }, text: table(collections, collectionColumns, 'No collections.') };
      },
    },
    show: {
      args: ['ROOT', 'ID'],
      run: async ({ admin, ctx, args: [root, id] }) =>
        one(await admin.collections.get(ctx, root as string, id as string)),
    },
    create: {
      args: ['ROOT'],
      options: {
        title: { type: 'string' },
        id: { type: 'string' },
        alias: { type: 'string' },
        owner: { type: 'string' },
        description: { type: 'string' },
      },
      required: ['title'],
      run: async ({ admin, ctx, args: [root], values }) => {
        const body: Record<string, unknown> = { title: str(values, 'title') };
        for (const key of ['id', 'alias', 'owner', 'description']) {
          const v = str(values, key);
          if (v !== undefined) body[key] = v;
        }
        return one(await admin.collections.create(ctx, root as string, body));
      },
    },
    update: {
      args: ['ROOT', 'ID'],
      options: {
        title: { type: 'string' },
        ...Object.fromEntries(
          ['description', 'alias', 'owner'].flatMap((k): [string, OptionSpec][] => [
            [k, { type: 'string' }],
            [`no-${k}`, { type: 'boolean' }],
          ]),
        ),
      },
      check: collectionChanges,
      run: async ({ admin, ctx, args: [root, id], values }) =>
        one(await admin.collections.update(ctx, root as string, id as string, collectionChanges(values))),
    },
    delete: {
      args: ['ROOT', 'ID'],
      run: async ({ admin, ctx, args: [root, id] }) => {
        await admin.collections.delete(ctx, root as string, id as string);
        return gone(`collection ${id} of "${root}"`);
      },
    },
  },
};

const subjectOf = (g: GrantView): string =>
  g.user !== undefined ? `user:${g.user}` : g.tenant !== undefined ? `tenant:${g.tenant}` : `group:${g.group ?? ''}`;

function grantsOutput(grants: GrantView[]): Output {
  const text = table(
    grants,
    [
      { header: 'SUBJECT', cell: subjectOf },
      { header: 'RIGHTS', cell: rightsOf },
      { header: 'SOURCE', cell: (g) => g.source },
    ],
    'No grants.',
  );
  return { json: { grants }, text };
}

/** The grants of `grant set`, in the order user, tenant, group, each as given. */
const grantBody = (values: Values): Record<string, unknown>[] =>
  (['user', 'tenant', 'group'] as const).flatMap((kind) => strs(values, kind).map((spec) => parseGrant(kind, spec)));

export const grant: Noun = {
  usage: [
    'list COLLECTION-ID   (every grant, whatever its source)',
    'set COLLECTION-ID [--user NAME:RIGHTS]… [--tenant ID:RIGHTS]… [--group ID:RIGHTS]…',
    '       RIGHTS is r, w or rw. Replaces the grants made by the admin API and these commands;',
    '       those the configuration file declares stay. Without any, removes them all.',
  ],
  verbs: {
    list: {
      args: ['COLLECTION-ID'],
      run: async ({ admin, ctx, args: [id] }) => grantsOutput(await admin.grants.list(ctx, id as string)),
    },
    set: {
      args: ['COLLECTION-ID'],
      options: {
        user: { type: 'string', multiple: true },
        tenant: { type: 'string', multiple: true },
        group: { type: 'string', multiple: true },
      },
      check: (values) => void grantBody(values),
      run: async ({ admin, ctx, args: [id], values }) =>
        grantsOutput(await admin.grants.replace(ctx, id as string, { grants: grantBody(values) })),
    },
  },
};
