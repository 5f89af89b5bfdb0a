// `palisade tenant|group|user|token|api-root|collection|grant …` as real processes on a store that
// a server in this process also opens: bootstrap from an empty store, JSON listings, refusals (exit
// 1 with the service's reason) and usage errors (exit 2, nothing changed), records the
// configuration file declares, the locked-out admin's recovery, CLI tokens on TAXII, and the
// audit trail of it all. On PALISADE_TEST_STORE=mongodb the commands run with --store mongodb.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { bootstrap } from '../../src/bootstrap.js';
import { cliPrincipal } from '../../src/cli/admin-commands.js';
import { loadConfig, type ConfigOverrides } from '../../src/config/load-config.js';
import { createContainer } from '../../src/container.js';
import { silentLogger } from '../../src/logger.js';
import { projectRoot } from '../../src/paths.js';
import { freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';
import { TAXII, TEST_BACKEND } from '../helpers/test-app.js';

const CLI = join(projectRoot, 'src', 'cli', 'main.ts');
const COLLECTION = '4f1c9a2e-6b3d-4c5e-8f7a-9b0c1d2e3f4a';
const ACTOR = cliPrincipal().username;
const STACK = /\n\s+at /;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where the store lives, as CLI flags and as loadConfig overrides; and how to remove it. */
interface StoreLocation {
  args: string[];
  overrides: ConfigOverrides;
  /** the `store:` section of a configuration file naming the same store ('' for SQLite) */
  yaml: string;
  dispose(): Promise<void>;
}

async function storeLocation(dir: string): Promise<StoreLocation> {
  if (TEST_BACKEND === 'sqlite') {
    const dataDir = join(dir, 'data');
    return { args: ['--data-dir', dataDir], overrides: { dataDir }, yaml: '', dispose: async () => undefined };
  }
  const base = mongoTestUri();
  if (!base) throw new Error('the MongoDB store needs PALISADE_TEST_MONGO_URI');
  const database = freshDatabaseName();
  const url = new URL(base);
  url.pathname = `/${database}`;
  const uri = url.toString();
  return {
    args: ['--store', 'mongodb', '--mongodb-uri', uri],
    overrides: { store: 'mongodb', mongodbUri: uri },
    yaml: `store: { kind: mongodb, uri: ${JSON.stringify(base)}, database: ${database} }\n`,
    dispose: async () => {
      const client = await MongoClient.connect(base);
      try {
        await client.db(database).dropDatabase();
      } finally {
        await client.close();
      }
    },
  };
}

/** Runs the CLI to its end, with `input` on standard input. */
function palisade(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Result> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    cwd: projectRoot,
    env: { PATH: process.env.PATH ?? '', ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.input ?? '');
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The answer of a command that must succeed, parsed from its --json output. */
async function json<T>(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<T> {
  const r = await palisade([...args, '--json'], opts);
  expect(r.code, `palisade ${args.join(' ')}: ${r.stderr}`).to.equal(0);
  return JSON.parse(r.stdout) as T;
}

/** A server on the same store, as `serve` starts it (configuration applied, first-start admin). */
async function serveOn(where: StoreLocation, env: Record<string, string> = {}) {
  const config = loadConfig(env, where.overrides);
  const container = await createContainer(config, silentLogger);
  await bootstrap(container);
  container.start();
  const http = supertest(buildApp(container));
  return {
    http,
    get: (path: string, authorization: string) =>
      http
        .get(path)
        .set('Accept', path.startsWith('/admin') ? 'application/json' : TAXII)
        .set('Authorization', authorization),
    close: () => container.close(),
  };
}

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

interface AuditRecord {
  action: string;
  outcome: string;
  actor?: string;
  target?: string;
  request_id?: string;
  detail?: Record<string, unknown>;
}

describe(`palisade administration commands (CLI, ${TEST_BACKEND})`, function () {
  this.timeout(180_000);
  let dir: string;
  let where: StoreLocation;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-cli-admin-'));
    where = await storeLocation(dir);
  });
  afterEach(async () => {
    await where.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('bootstraps an empty store: tenants, a group, accounts, a collection, grants and a token that works on TAXII', async () => {
    const s = where.args;
    const ok = async (args: string[], opts: { env?: Record<string, string>; input?: string } = {}) => {
      const r = await palisade([...args, ...s], opts);
      expect(r.code, `palisade ${args.join(' ')}: ${r.stderr}`).to.equal(0);
      return r;
    };
    // The first command creates the store alone; the others go in parallel where they can.
    await ok(['tenant', 'create', 'de-bsi', '--name', 'Germany (BSI)']);
    await Promise.all([
      ok(['tenant', 'create', 'fr-anssi', '--name', 'France (ANSSI)']),
      ok(['api-root', 'create', 'eu', '--title', 'EU threat sharing']),
      ok(['user', 'create', 'ops', '--role', 'platform-admin', '--password-stdin'], { input: 'ops-password-123\n' }),
      ok(['user', 'create', 'de-analyst', '--role', 'member', '--tenant', 'de-bsi', '--password-env', 'PW'], {
        env: { PW: 'analyst-password-1' },
      }),
    ]);
    const [created] = await Promise.all([
      ok([
        'collection',
        'create',
        'eu',
        '--title',
        'EU-wide',
        '--id',
        COLLECTION,
        '--alias',
        'eu-wide',
        '--owner',
        'de-bsi',
      ]),
      ok(['group', 'create', 'eu-member-states', '--tenants', 'de-bsi,fr-anssi', '--name', 'EU']),
      ok(['user', 'create', 'fr-sync', '--role', 'member', '--tenant', 'fr-anssi', '--service']),
    ]);
    expect(created.stdout).to.match(/^title\s+EU-wide$/m);
    const set = await ok([
      'grant',
      'set',
      COLLECTION,
      '--user',
      'de-analyst:rw',
      '--tenant',
      'fr-anssi:r',
      '--group',
      'eu-member-states:w',
    ]);
    expect(set.stdout).to.match(/^user:de-analyst\s+rw\s+admin$/m);

    const [tenants, groups, users, collections, grants] = await Promise.all([
      json<{ tenants: { id: string; name: string; source: string }[] }>(['tenant', 'list', ...s]),
      json<{ groups: { id: string; tenants: string[] }[] }>(['group', 'list', ...s]),
      json<{ users: Record<string, unknown>[] }>(['user', 'list', ...s]),
      json<{ collections: { id: string; api_root: string; alias?: string; owner?: string }[] }>([
        'collection',
        'list',
        ...s,
      ]),
      json<{ grants: Record<string, unknown>[] }>(['grant', 'list', COLLECTION, ...s]),
    ]);
    expect(tenants.tenants.map((t) => [t.id, t.name, t.source])).to.deep.equal([
      ['de-bsi', 'Germany (BSI)', 'admin'],
      ['fr-anssi', 'France (ANSSI)', 'admin'],
    ]);
    expect(groups.groups).to.have.length(1);
    expect(groups.groups[0]).to.deep.include({ id: 'eu-member-states', tenants: ['de-bsi', 'fr-anssi'] });
    expect(users.users.map((u) => [u.username, u.kind, u.role, u.tenant])).to.have.deep.members([
      ['ops', 'user', 'platform-admin', undefined],
      ['de-analyst', 'user', 'member', 'de-bsi'],
      ['fr-sync', 'service', 'member', 'fr-anssi'],
    ]);
    expect(JSON.stringify(users)).not.to.match(/password|hash/i);
    expect(collections.collections).to.have.length(1);
    expect(collections.collections[0]).to.deep.include({
      id: COLLECTION,
      api_root: 'eu',
      alias: 'eu-wide',
      owner: 'de-bsi',
    });
    expect(grants.grants).to.have.deep.members([
      { user: 'de-analyst', read: true, write: true, source: 'admin' },
      { tenant: 'fr-anssi', read: true, write: false, source: 'admin' },
      { group: 'eu-member-states', read: false, write: true, source: 'admin' },
    ]);

    // The text form of a token: the token alone on standard output, the notice on standard error.
    const text = await ok(['token', 'create', 'fr-sync', '--label', 'nightly']);
    expect(text.stdout).to.match(/^pal_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    expect(text.stderr).to.match(/shown only now/);
    const issued = await json<{ id: string; token: string; expires_at: string }>([
      'token',
      'create',
      'fr-sync',
      '--label',
      'sync job',
      '--expires',
      '2999-01-01T02:00:00+02:00',
      ...s,
    ]);
    expect(issued.expires_at).to.equal('2999-01-01T00:00:00.000000Z');
    const listed = await json<{ tokens: Record<string, unknown>[] }>(['token', 'list', 'fr-sync', ...s]);
    expect(listed.tokens.map((t) => t.label)).to.have.members(['nightly', 'sync job']);
    expect(JSON.stringify(listed)).not.to.contain(issued.token);

    // A server on the same store: no generated admin and no demo (the store has both already).
    const server = await serveOn(where);
    try {
      const analyst = await server.get('/eu/collections/', basic('de-analyst', 'analyst-password-1')).expect(200);
      expect(analyst.body.collections).to.deep.equal([
        {
          id: COLLECTION,
          title: 'EU-wide',
          alias: 'eu-wide',
          can_read: true,
          can_write: true,
          media_types: ['application/stix+json;version=2.1'],
        },
      ]);
      // fr-sync reads through its tenant and writes through the group.
      const sync = await server.get(`/eu/collections/${COLLECTION}/`, `Bearer ${issued.token}`).expect(200);
      expect(sync.body).to.deep.include({ can_read: true, can_write: true });
      await server.get('/taxii2/', `Token ${issued.token}`).expect(200);
      await server.get('/demo/collections/', basic('ops', 'ops-password-123')).expect(404);

      const revoked = await palisade(['token', 'revoke', 'fr-sync', issued.id, ...s]);
      expect(revoked.code, revoked.stderr).to.equal(0);
      await server.get('/taxii2/', `Bearer ${issued.token}`).expect(401);

      // Every change above is on record, as made by the CLI's platform admin.
      const audit = await server
        .get(`/admin/audit?actor=${encodeURIComponent(ACTOR)}&limit=1000`, basic('ops', 'ops-password-123'))
        .expect(200);
      const records = audit.body.records as AuditRecord[];
      const targets = records.filter((r) => r.outcome === 'ok').map((r) => `${r.action} ${r.target ?? ''}`);
      expect(targets).to.include.members([
        'admin.create /admin/tenants/de-bsi',
        'admin.create /admin/groups/eu-member-states',
        'admin.create /admin/users/ops',
        'admin.create /admin/api-roots/eu',
        `admin.create /admin/api-roots/eu/collections/${COLLECTION}`,
        `admin.update /admin/collections/${COLLECTION}/grants`,
        `admin.create /admin/users/fr-sync/tokens/${issued.id}`,
        `admin.delete /admin/users/fr-sync/tokens/${issued.id}`,
      ]);
      expect(records.every((r) => r.actor === ACTOR && /^cli-/.test(r.request_id ?? ''))).to.equal(true);
      const serialized = JSON.stringify(records);
      for (const secret of ['ops-password-123', 'analyst-password-1', issued.token])
        expect(serialized).not.to.contain(secret);
    } finally {
      await server.close();
    }
  });

  it('refusals exit 1 with the reason; usage errors exit 2 and change nothing; never a stack trace', async () => {
    const s = where.args;
    const created = await palisade(['tenant', 'create', 'de-bsi', '--name', 'Germany', ...s]);
    expect(created.code, created.stderr).to.equal(0);

    const unknownTenant = await palisade(
      ['user', 'create', 'x-user', '--role', 'member', '--tenant', 'nope', '--password-env', 'PW', ...s],
      {
        env: { PW: 'a-long-password-1' },
      },
    );
    expect(unknownTenant.code).to.equal(1);
    expect(unknownTenant.stderr)
      .to.contain('palisade user create: invalid input')
      .and.contain('tenant: there is no tenant "nope"');

    const twice = await palisade(['tenant', 'create', 'de-bsi', '--name', 'Again', ...s]);
    expect(twice.code).to.equal(1);
    expect(twice.stderr).to.equal('palisade tenant create: The tenant "de-bsi" exists already.\n');
    const noAccount = await palisade(['token', 'create', 'ghost', ...s]);
    expect(noAccount.code).to.equal(1);
    expect(noAccount.stderr).to.equal('palisade token create: There is no account "ghost".\n');
    const shortPassword = await palisade(['user', 'create', 'y-user', '--role', 'member', '--password-stdin', ...s], {
      input: 'short\n',
    });
    expect(shortPassword.code).to.equal(1);
    expect(shortPassword.stderr).to.match(/password: must NOT have fewer than 12 characters/);

    const usage: [string[], RegExp][] = [
      [
        ['tenant', 'create', 'it-acn'],
        /palisade tenant create: missing --name\nUsage:\n {2}palisade tenant create ID --name NAME/,
      ],
      [
        ['user', 'create', 'z-user', '--role', 'boss', '--service'],
        /--role boss: the role is one of member, tenant-admin, platform-admin/,
      ],
      [['user', 'passwd', 'admin'], /give the new password with --password-env VAR or --password-stdin/],
      [['user', 'passwd', 'admin', '--password-env', 'UNSET_VARIABLE'], /UNSET_VARIABLE is not set or empty/],
      [['user', 'create', 'z-user', '--role', 'member', '--password', 'in-the-clear-1'], /Unknown option '--password'/],
      [['grant', 'set', COLLECTION, '--user', 'de-analyst:x'], /write USER:r, :w or :rw/],
      [['tenant', 'update', 'de-bsi'], /nothing to change: give --name/],
      [['tenant', 'show'], /missing ID/],
      [['tenant', 'frobnicate'], /unknown command; tenant takes list, show, create, update, delete/],
      [['tenant', 'list', '--config', join(dir, 'absent.yaml')], /cannot read configuration file/],
    ];
    const results = await Promise.all(usage.map(([args]) => palisade([...args, ...s])));
    results.forEach((r, i) => {
      const [args, message] = usage[i] as [string[], RegExp];
      expect(r.code, `palisade ${args.join(' ')}: ${r.stderr}`).to.equal(2);
      expect(r.stderr).to.match(message);
      expect(r.stdout).to.equal('');
    });
    for (const r of [unknownTenant, twice, noAccount, shortPassword, ...results]) expect(r.stderr).not.to.match(STACK);

    const tenants = await json<{ tenants: { id: string }[] }>(['tenant', 'list', ...s]);
    expect(tenants.tenants.map((t) => t.id)).to.deep.equal(['de-bsi']);
    const users = await json<{ users: unknown[] }>(['user', 'list', ...s]);
    expect(users.users).to.deep.equal([]);

    const help = await palisade(['--help']);
    expect(help.stdout).to.match(/^ {2}grant {7}list or set the grants on a collection$/m);
    const userHelp = await palisade(['user', '--help']);
    expect(userHelp.code).to.equal(0);
    expect(userHelp.stdout).to.match(/palisade user passwd NAME \(--password-env VAR \| --password-stdin\)/);
  });

  it('records the configuration file declares are refused with "declared in the configuration file"', async () => {
    const file = join(dir, 'palisade.yaml');
    await writeFile(
      file,
      `${where.yaml}tenants:\n  - { id: de-bsi, name: Germany (BSI) }\n` +
        'users:\n  - { username: ops, role: platform-admin, password_env: PW_OPS }\n',
    );
    const env = { PW_OPS: 'ops-password-123' };
    // `serve` applies the file (here in this process); the CLI never does.
    const config = loadConfig(env, { configFile: file });
    const container = await createContainer(config, silentLogger);
    await bootstrap(container);
    await container.close();

    const tenant = await palisade(['tenant', 'update', 'de-bsi', '--name', 'Renamed', '--config', file], { env });
    expect(tenant.code).to.equal(1);
    expect(tenant.stderr).to.equal(
      'palisade tenant update: The tenant "de-bsi" is declared in the configuration file; change it there.\n',
    );
    const passwd = await palisade(['user', 'passwd', 'ops', '--password-stdin', '--config', file], {
      env,
      input: 'a-new-password-12\n',
    });
    expect(passwd.code).to.equal(1);
    expect(passwd.stderr).to.match(/The account "ops" is declared in the configuration file/);
    // What the file does not declare is the CLI's to change.
    const other = await palisade(['tenant', 'create', 'fr-anssi', '--name', 'France', '--config', file], { env });
    expect(other.code, other.stderr).to.equal(0);
    const listed = await json<{ tenants: { id: string; source: string }[] }>(['tenant', 'list', '--config', file], {
      env,
    });
    expect(listed.tenants.map((t) => [t.id, t.source])).to.deep.equal([
      ['de-bsi', 'config'],
      ['fr-anssi', 'admin'],
    ]);
  });

  it('recovery: a locked-out platform admin sets a new password with user passwd --password-stdin and signs in over HTTP', async () => {
    // First start: the generated admin, whose password is then lost.
    let server = await serveOn(where, { PALISADE_ADMIN_PASSWORD: 'forgotten-password-1' });
    try {
      await server.get('/taxii2/', basic('admin', 'a-guess-that-fails')).expect(401);
      const r = await palisade(['user', 'passwd', 'admin', '--password-stdin', ...where.args], {
        input: 'recovered-password-2\n',
      });
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.equal('Changed the password of "admin".\n');
      expect(r.stdout + r.stderr).not.to.contain('recovered-password-2');
      // The running server takes the new password at once.
      await server.get('/taxii2/', basic('admin', 'recovered-password-2')).expect(200);
      await server.get('/taxii2/', basic('admin', 'forgotten-password-1')).expect(401);
    } finally {
      await server.close();
    }
    // And so does a server started afresh on the same store.
    server = await serveOn(where);
    try {
      const ok = basic('admin', 'recovered-password-2');
      await server.get('/demo/collections/', ok).expect(200);
      const audit = await server.get('/admin/audit?action=admin.update', ok).expect(200);
      const records = audit.body.records as AuditRecord[];
      expect(records).to.have.length(1);
      expect(records[0]).to.deep.include({
        actor: ACTOR,
        outcome: 'ok',
        target: '/admin/users/admin',
        detail: { changed: ['password'] },
      });
      expect(JSON.stringify(records)).not.to.contain('recovered-password-2');
    } finally {
      await server.close();
    }
  });
});
