import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  DEFAULT_INGEST_LIMITS,
  DEFAULT_QUERY_TIMEOUT_MS,
  DEFAULT_SERVER_LIMITS,
  loadConfig,
} from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const sqliteFile = (cfg: ReturnType<typeof loadConfig>): string =>
  cfg.store.kind === 'sqlite' ? cfg.store.file : expect.fail(`expected the sqlite store, got ${cfg.store.kind}`);

describe('configuration (validated once at start-up)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-cfg-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  const write = async (name: string, text: string): Promise<string> => {
    const file = join(dir, name);
    await writeFile(file, text);
    return file;
  };

  function problemsOf(fn: () => unknown): readonly string[] {
    try {
      fn();
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    return expect.fail('expected a ConfigError');
  }

  it('has working defaults without a file', () => {
    const cfg = loadConfig({});
    expect(cfg.server).to.deep.equal({
      host: '127.0.0.1',
      port: 8000,
      trustProxy: false,
      limits: DEFAULT_SERVER_LIMITS,
    });
    expect(cfg.store.kind).to.equal('sqlite');
    expect(sqliteFile(cfg)).to.match(/data\/palisade\.db$/);
    expect(cfg.apiRoots).to.equal(undefined);
    expect(Object.isFrozen(cfg.server)).to.equal(true);
  });

  it('reads the issue example (YAML) with passwords from the environment', async () => {
    const file = await write(
      'ok.yaml',
      `api_roots:
  - path: eu
    title: EU threat sharing
    max_content_length: 104857600
    collections:
      - id: 2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11
        title: State-linked intrusion sets
        grants:
          - { user: analyst-de, read: true, write: true }
          - { user: reader-fr, read: true }
users:
  - { username: analyst-de, password_env: PW_ANALYST_DE }
  - { username: reader-fr, password_env: PW_READER_FR }
`,
    );
    const cfg = loadConfig(
      { PW_ANALYST_DE: 'a', PW_READER_FR: 'b', PALISADE_PORT: '9000' },
      { configFile: file, host: '127.0.0.2' },
    );
    expect(cfg.server.port).to.equal(9000);
    expect(cfg.server.host).to.equal('127.0.0.2');
    expect(cfg.apiRoots?.[0]?.collections[0]?.grants).to.deep.equal([
      { subject: { kind: 'user', id: 'analyst-de' }, read: true, write: true },
      { subject: { kind: 'user', id: 'reader-fr' }, read: true, write: false },
    ]);
    expect(cfg.users?.map((u) => [u.password, u.role, u.tenant])).to.deep.equal([
      ['a', 'member', undefined],
      ['b', 'member', undefined],
    ]);
    expect(cfg.tenants).to.equal(undefined);
  });

  it('reads tenants, groups, roles, owners and grants to users, tenants and groups', async () => {
    const file = await write(
      'tenants.yaml',
      `tenants:
  - { id: de-bsi, name: Germany (BSI) }
  - { id: fr-anssi, name: France (ANSSI) }
  - { id: it-acn, name: Italy (ACN) }
groups:
  - { id: eu-member-states, tenants: [de-bsi, fr-anssi, it-acn] }
users:
  - { username: de-analyst, tenant: de-bsi, role: member, password_env: PW_DE }
  - { username: de-admin, tenant: de-bsi, role: tenant-admin, password_env: PW_DE_ADMIN }
  - { username: fr-analyst, tenant: fr-anssi, role: member, password_env: PW_FR }
  - { username: ops, admin: true, password_env: PW_DE }
  - { username: sync, kind: service, tenant: it-acn, certificates: ["sha256:AB:CD", "CN=sync,O=ACN"] }
api_roots:
  - path: eu
    title: EU threat sharing
    collections:
      - id: 5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12
        title: EU-wide state actors
        owner: de-bsi
        grants:
          - { group: eu-member-states, read: true }
          - { tenant: de-bsi, read: true, write: true }
      - id: 7d2e3f4a-1b2c-4d3e-8f4a-5b6c7d8e9f01
        title: French drop box
        owner: fr-anssi
        grants: [ { tenant: fr-anssi, read: true }, { group: eu-member-states, write: true } ]
`,
    );
    const cfg = loadConfig({ PW_DE: 'x', PW_DE_ADMIN: 'y', PW_FR: 'z' }, { configFile: file });
    expect(cfg.tenants?.map((t) => t.id)).to.deep.equal(['de-bsi', 'fr-anssi', 'it-acn']);
    expect(cfg.groups).to.deep.equal([{ id: 'eu-member-states', tenants: ['de-bsi', 'fr-anssi', 'it-acn'] }]);
    expect(cfg.users?.map((u) => [u.username, u.kind, u.role, u.tenant ?? null, u.password ?? null])).to.deep.equal([
      ['de-analyst', 'user', 'member', 'de-bsi', 'x'],
      ['de-admin', 'user', 'tenant-admin', 'de-bsi', 'y'],
      ['fr-analyst', 'user', 'member', 'fr-anssi', 'z'],
      ['ops', 'user', 'platform-admin', null, 'x'],
      ['sync', 'service', 'member', 'it-acn', null],
    ]);
    expect(cfg.users?.[4]?.certificates).to.deep.equal(['sha256:abcd', 'CN=sync,O=ACN']);
    const [eu, drop] = cfg.apiRoots?.[0]?.collections ?? [];
    expect(eu?.owner).to.equal('de-bsi');
    expect(eu?.grants).to.deep.equal([
      { subject: { kind: 'group', id: 'eu-member-states' }, read: true, write: false },
      { subject: { kind: 'tenant', id: 'de-bsi' }, read: true, write: true },
    ]);
    expect(drop?.grants.map((g) => g.subject.kind)).to.deep.equal(['tenant', 'group']);
  });

  it('refuses unknown tenants and groups, ambiguous grants, and passwords for service accounts', async () => {
    const file = await write(
      'tenants-bad.yaml',
      `tenants: [ { id: de-bsi, name: DE } ]
groups: [ { id: eu, tenants: [de-bsi, xx-ghost] } ]
users:
  - { username: a, tenant: fr-anssi, password_env: PW }
  - { username: b, role: tenant-admin, password_env: PW }
  - { username: c, kind: service, password_env: PW }
  - { username: d }
api_roots:
  - path: eu
    title: EU
    collections:
      - id: 5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12
        title: x
        owner: nl-ncsc
        grants: [ { group: nobody-group, read: true }, { tenant: ghost-tenant, read: true } ]
`,
    );
    const p = problemsOf(() => loadConfig({ PW: 'p' }, { configFile: file })).join('\n');
    expect(p).to.contain('groups[0].tenants[1]: tenant "xx-ghost" is not declared under tenants');
    expect(p).to.contain('users[0] (a).tenant: tenant "fr-anssi" is not declared under tenants');
    expect(p).to.contain('users[1] (b): a tenant-admin needs a tenant');
    expect(p).to.contain('users[2] (c): a service account has no password');
    expect(p).to.contain('users[3] (d): password_env is required for a user');
    expect(p).to.contain('.owner: tenant "nl-ncsc" is not declared under tenants');
    expect(p).to.contain('grants[0]: group "nobody-group" is not declared under groups');
    expect(p).to.contain('grants[1]: tenant "ghost-tenant" is not declared under tenants');

    const shared = await write(
      'identity-twice.yaml',
      'tenants:\n  - { id: a, name: A, identities: [identity--0a1b2c3d-4e5f-4a6b-8c7d-000000000001] }\n  - { id: b, name: B, identities: [identity--0a1b2c3d-4e5f-4a6b-8c7d-000000000001] }\n',
    );
    expect(problemsOf(() => loadConfig({}, { configFile: shared })).join('\n')).to.contain(
      'tenants[1]: identity identity--0a1b2c3d-4e5f-4a6b-8c7d-000000000001 already belongs to tenant "a"',
    );

    const both = await write(
      'grant-both.yaml',
      `api_roots: [ { path: eu, title: EU, collections: [ { id: 5b1c2f6c-7c1e-4e2a-9a3c-0d3f2b8c9e12, title: x, grants: [ { user: a, tenant: b, read: true } ] } ] } ]\n`,
    );
    expect(problemsOf(() => loadConfig({}, { configFile: both })).join('\n')).to.contain(
      'name exactly one of user, tenant or group',
    );
  });

  it('flags and environment override the file; data_dir places the SQLite file', async () => {
    const file = await write('ports.json', JSON.stringify({ server: { port: 1234 }, data_dir: 'var' }));
    expect(loadConfig({}, { configFile: file }).server.port).to.equal(1234);
    expect(loadConfig({ PALISADE_PORT: '2345' }, { configFile: file }).server.port).to.equal(2345);
    expect(loadConfig({ PALISADE_PORT: '2345' }, { configFile: file, port: '3456' }).server.port).to.equal(3456);
    expect(sqliteFile(loadConfig({}, { configFile: file }))).to.equal(join(dir, 'var', 'palisade.db'));
    expect(sqliteFile(loadConfig({ PALISADE_DATA_DIR: '/tmp/pal' }))).to.equal('/tmp/pal/palisade.db');
  });

  it('T-11 lists every problem at once (a collection id must be a version 4 UUID)', async () => {
    const file = await write(
      'bad.yaml',
      `server: { port: 99999, colour: blue }
api_roots:
  - path: taxii2
    title: ""
    collections:
      - id: not-a-uuid
        title: x
  - path: eu
    title: EU
    collections:
      - { id: 2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11, title: a, grants: [ { user: ghost, read: true } ] }
      - { id: 2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11, title: b }
users:
  - { username: u1, password_env: MISSING_PW }
`,
    );
    const schemaProblems = problemsOf(() => loadConfig({}, { configFile: file }));
    expect(schemaProblems.join('\n')).to.match(/server\.port/);
    expect(schemaProblems.join('\n')).to.match(/unknown key "colour"/);
    expect(schemaProblems.join('\n')).to.match(/api_roots\.0\.path/);
    expect(schemaProblems.join('\n')).to.match(/api_roots\.0\.collections\.0\.id/);
    expect(schemaProblems.length).to.be.at.least(4);

    const file2 = await write(
      'bad2.yaml',
      `api_roots:
  - path: eu
    title: EU
    collections:
      - { id: 2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11, title: a, grants: [ { user: ghost, read: true } ] }
      - { id: 2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11, title: b }
users:
  - { username: u1, password_env: MISSING_PW }
`,
    );
    const p = problemsOf(() => loadConfig({}, { configFile: file2 }));
    expect(p.join('\n')).to.match(/MISSING_PW/);
    expect(p.join('\n')).to.match(/"ghost" is not declared/);
    expect(p.join('\n')).to.match(/declared twice/);
  });

  it('selects MongoDB by file, environment or flag, and requires a URI for it', async () => {
    const file = await write(
      'mongo.yaml',
      'store: { kind: mongodb, uri: "mongodb://127.0.0.1:27017/", database: pal }\n',
    );
    expect(loadConfig({}, { configFile: file }).store).to.deep.equal({
      kind: 'mongodb',
      uri: 'mongodb://127.0.0.1:27017/',
      database: 'pal',
      queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
    });
    expect(loadConfig({ PALISADE_STORE: 'mongodb', PALISADE_MONGODB_URI: 'mongodb://h/' }).store).to.deep.equal({
      kind: 'mongodb',
      uri: 'mongodb://h/',
      queryTimeoutMs: DEFAULT_QUERY_TIMEOUT_MS,
    });
    expect(loadConfig({}, { store: 'mongodb', mongodbUri: 'mongodb://x/' }).store.kind).to.equal('mongodb');
    expect(
      loadConfig({ PALISADE_STORE: 'mongodb', PALISADE_MONGODB_URI: 'mongodb://h/' }, { store: 'sqlite' }).store.kind,
    ).to.equal('sqlite');
    expect(problemsOf(() => loadConfig({ PALISADE_STORE: 'mongodb' })).join('\n')).to.match(/uri/);
    expect(problemsOf(() => loadConfig({ PALISADE_STORE: 'postgres' })).join('\n')).to.match(/store\.kind/);
    expect(problemsOf(() => loadConfig({ PALISADE_MONGODB_URI: 'http://nope' })).join('\n')).to.match(/store\.uri/);
  });

  it('rejects an unreadable or unparsable file and a non-numeric port', async () => {
    expect(problemsOf(() => loadConfig({}, { configFile: join(dir, 'absent.yaml') }))[0]).to.match(/cannot read/);
    const broken = await write('broken.json', '{ "server": ');
    expect(problemsOf(() => loadConfig({}, { configFile: broken }))[0]).to.match(/cannot parse/);
    expect(problemsOf(() => loadConfig({ PALISADE_PORT: 'abc' }))[0]).to.match(/port/);
  });
  describe('limits', () => {
    it('defaults: server.limits, ingest and store.query_timeout_ms', () => {
      const cfg = loadConfig({});
      expect(cfg.server.limits).to.deep.equal({
        headersTimeoutMs: 15_000,
        requestTimeoutMs: 120_000,
        keepAliveTimeoutMs: 5_000,
        idleTimeoutMs: 30_000,
        maxConnections: 2_000,
        maxHeadersCount: 100,
        maxHeaderSize: 16_384,
        maxConcurrentRequestsPerPrincipal: 32,
        rateLimit: { requestsPerSecond: 20_000, burst: 40_000 },
        shutdownGraceMs: 10_000,
      });
      expect(cfg.ingest).to.deep.equal({
        maxObjectsPerEnvelope: 100_000,
        maxObjectBytes: 1_048_576,
        maxDecompressedBytes: 419_430_400,
        maxDepth: 64,
        chunkSize: 500,
        workers: 2,
        leaseSeconds: 60,
        statusDetailLimit: 10_000,
        handoffBytes: 33_554_432,
      });
      expect(cfg.ingest).to.deep.equal(DEFAULT_INGEST_LIMITS);
      expect(cfg.store.queryTimeoutMs).to.equal(5_000);
      expect(Object.isFrozen(cfg.server.limits.rateLimit)).to.equal(true);
      expect(Object.isFrozen(cfg.ingest)).to.equal(true);
    });

    it('reads every key from the file; a partial section keeps the other defaults', async () => {
      const file = await write(
        'limits.yaml',
        `server:
  limits:
    headers_timeout_ms: 1000
    request_timeout_ms: 2000
    keep_alive_timeout_ms: 3000
    idle_timeout_ms: 4000
    max_connections: 50
    max_headers_count: 60
    max_header_size: 8192
    max_concurrent_requests_per_principal: 4
    rate_limit: { requests_per_second: 0.5 }
    shutdown_grace_ms: 0
ingest: { max_objects_per_envelope: 10, max_object_bytes: 20, max_decompressed_bytes: 30, max_depth: 8, chunk_size: 5, workers: 3, lease_seconds: 9, status_detail_limit: 0, handoff_bytes: 0 }
store: { query_timeout_ms: 250 }
`,
      );
      const cfg = loadConfig({}, { configFile: file });
      expect(cfg.server.limits).to.deep.equal({
        headersTimeoutMs: 1000,
        requestTimeoutMs: 2000,
        keepAliveTimeoutMs: 3000,
        idleTimeoutMs: 4000,
        maxConnections: 50,
        maxHeadersCount: 60,
        maxHeaderSize: 8192,
        maxConcurrentRequestsPerPrincipal: 4,
        rateLimit: { requestsPerSecond: 0.5, burst: 40_000 },
        shutdownGraceMs: 0,
      });
      expect(cfg.ingest).to.deep.equal({
        maxObjectsPerEnvelope: 10,
        maxObjectBytes: 20,
        maxDecompressedBytes: 30,
        maxDepth: 8,
        chunkSize: 5,
        workers: 3,
        leaseSeconds: 9,
        statusDetailLimit: 0,
        handoffBytes: 0,
      });
      // A store section without kind is SQLite, unless it names a URI.
      expect(cfg.store).to.deep.include({ kind: 'sqlite', queryTimeoutMs: 250 });
      const mongo = await write('store-uri.yaml', 'store: { uri: "mongodb://h/", query_timeout_ms: 900 }\n');
      expect(loadConfig({}, { configFile: mongo }).store).to.deep.equal({
        kind: 'mongodb',
        uri: 'mongodb://h/',
        queryTimeoutMs: 900,
      });
      const partial = await write('partial.yaml', 'server: { limits: { max_connections: 10 } }\n');
      const p = loadConfig({}, { configFile: partial });
      expect(p.server.limits).to.deep.equal({ ...DEFAULT_SERVER_LIMITS, maxConnections: 10 });
      expect(p.ingest).to.deep.equal(DEFAULT_INGEST_LIMITS);
    });

    it('rejects values out of range, unknown keys and a headers timeout longer than the request timeout', async () => {
      const file = await write(
        'bad-limits.yaml',
        `server:
  limits:
    headers_timeout_ms: 0
    request_timeout_ms: 1.5
    max_connections: -1
    max_header_size: 10
    rate_limit: { requests_per_second: 0, burst: 0, window: 3 }
    shutdown_grace_ms: -5
    bogus: 1
ingest: { max_depth: 0, chunk_size: "500", extra: true }
store: { query_timeout_ms: 0 }
`,
      );
      const text = problemsOf(() => loadConfig({}, { configFile: file })).join('\n');
      for (const where of [
        'server.limits.headers_timeout_ms',
        'server.limits.request_timeout_ms',
        'server.limits.max_connections',
        'server.limits.max_header_size',
        'server.limits.rate_limit.requests_per_second',
        'server.limits.rate_limit.burst',
        'server.limits.shutdown_grace_ms',
        'ingest.max_depth',
        'ingest.chunk_size',
        'store.query_timeout_ms',
      ]) {
        expect(text).to.contain(`${where}:`);
      }
      expect(text).to.match(/server\.limits: unknown key "bogus"/);
      expect(text).to.match(/server\.limits\.rate_limit: unknown key "window"/);
      expect(text).to.match(/ingest: unknown key "extra"/);

      const order = await write(
        'order.yaml',
        'server: { limits: { headers_timeout_ms: 5000, request_timeout_ms: 4000 } }\n',
      );
      expect(problemsOf(() => loadConfig({}, { configFile: order }))).to.deep.equal([
        'server.limits.headers_timeout_ms: 5000 is longer than request_timeout_ms (4000), which includes the headers',
      ]);
    });
  });
});
