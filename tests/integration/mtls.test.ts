// Mutual TLS against a real HTTPS server (startServer, the code path of `palisade serve`) with a
// PKI made at test time: which client certificates name a user (verified, mapped by SHA-256
// fingerprint or subject DN), which never do (foreign CA, unmapped, expired, not yet valid), how a
// certificate combines with Basic, and `client_certificates: require`. Runs on both stores: the
// mapping goes through the store's userByCertificate.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { MongoClient } from 'mongodb';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';
import { distinguishedName, httpsServerOptions, readTlsMaterial } from '../../src/http/tls.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { freePort } from '../helpers/free-port.js';
import { freshDatabaseName, mongoTestUri } from '../helpers/mongo-url.js';
import { httpsGet, makePki, type Issued, type Pki, type TlsResponse } from '../helpers/pki.js';
import { TAXII, TEST_BACKEND } from '../helpers/test-app.js';

const FP_FEED = '1d6a4f2e-3b5c-4d7e-8f90-a1b2c3d4e5f6';
const DN_FEED = '2e7b5a3f-4c6d-4e8f-9a01-b2c3d4e5f6a7';
const ANALYST_FEED = '3f8c6b4a-5d7e-4f90-8b12-c3d4e5f6a7b8';
const ANALYST_PW = 'analyst-pw-1';
const basic = (user: string, pw: string): string => `Basic ${Buffer.from(`${user}:${pw}`).toString('base64')}`;

function configYaml(pki: Pki, port: number, tls: string, store: string): string {
  return `${store}log: { level: silent }
server:
  host: 127.0.0.1
  port: ${port}
  tls: ${tls}
auth: { failure_limit: 1000 }
api_roots:
  - path: eu
    title: EU
    collections:
      - { id: ${FP_FEED}, title: Fingerprint feed, grants: [ { user: sync-fp, read: true }, { user: expired-svc, read: true }, { user: early-svc, read: true } ] }
      - { id: ${DN_FEED}, title: DN feed, grants: [ { user: sync-dn, read: true } ] }
      - { id: ${ANALYST_FEED}, title: Analyst feed, grants: [ { user: analyst-de, read: true } ] }
users:
  - { username: ops, password_env: T_ADMIN, admin: true }
  - { username: analyst-de, password_env: T_ANALYST }
  # as an administrator copies it from OpenSSL: upper case with colons
  - { username: sync-fp, kind: service, certificates: ["sha256:${pki.byFingerprint.fingerprintColons}"] }
  - { username: sync-dn, kind: service, certificates: ["CN=sync,O=ACN"] }
  - { username: expired-svc, kind: service, certificates: ["${pki.expired.fingerprint}", "CN=expired,O=ACN"] }
  - { username: early-svc, kind: service, certificates: ["${pki.notYetValid.fingerprint}", "CN=early,O=ACN"] }
`;
}

interface Fixture {
  dir: string;
  running: RunningServer;
  database?: string;
  get(path: string, client?: Issued, headers?: Record<string, string>): Promise<TlsResponse>;
  close(): Promise<void>;
}

async function startTlsServer(pki: Pki, tls: string): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-mtls-'));
  await writeFile(join(dir, 'server.pem'), pki.server.cert);
  await writeFile(join(dir, 'server-key.pem'), pki.server.key);
  await writeFile(join(dir, 'clients-ca.pem'), pki.ca.cert);
  let database: string | undefined;
  let store = '';
  if (TEST_BACKEND === 'mongodb') {
    database = freshDatabaseName();
    store = `store: { kind: mongodb, uri: ${JSON.stringify(mongoTestUri())}, database: ${database} }\n`;
  }
  const file = join(dir, 'palisade.yaml');
  await writeFile(file, configYaml(pki, await freePort(), tls, store));
  const config = loadConfig(
    { T_ADMIN: 'ops-pw-1', T_ANALYST: ANALYST_PW },
    { configFile: file, dataDir: join(dir, 'data') },
  );
  const running = await startServer(config);
  return {
    dir,
    running,
    ...(database !== undefined ? { database } : {}),
    get: (path, client, headers = {}) =>
      httpsGet(`${running.url}${path}`, {
        ca: pki.ca.cert,
        ...(client ? { client } : {}),
        headers: { Accept: TAXII, ...headers },
      }),
    close: async () => {
      await running.close();
      if (database !== undefined) {
        const c = await MongoClient.connect(mongoTestUri() as string);
        await c
          .db(database)
          .dropDatabase()
          .finally(() => c.close());
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The titles of the collections the caller sees: tells which user the server took it for. */
function titles(res: TlsResponse): string[] {
  expect(res.status, res.body).to.equal(200);
  return ((JSON.parse(res.body) as { collections?: { title: string }[] }).collections ?? []).map((c) => c.title);
}

/** A TAXII error resource without the identifiers that differ per request. */
function withoutIds(body: string): Record<string, unknown> {
  const parsed = JSON.parse(body) as Record<string, unknown>;
  delete parsed.error_id;
  return parsed;
}

function expectTaxii401(res: TlsResponse): void {
  expect(res.status, res.body).to.equal(401);
  expect(res.headers['content-type']).to.equal(TAXII);
  expect(JSON.parse(res.body)).to.include({ http_status: '401', error_code: 'unauthenticated' });
}

describe(`mutual TLS (${TEST_BACKEND})`, function () {
  this.timeout(60_000);
  let pki: Pki;
  before(() => {
    pki = makePki();
  });

  describe('client_certificates: request (the default)', () => {
    let f: Fixture;
    before(async () => {
      // Relative paths: resolved against the configuration file's directory.
      f = await startTlsServer(pki, '{ cert: server.pem, key: server-key.pem, ca: clients-ca.pem }');
    });
    after(async () => f?.close());

    it('serves HTTPS with a certificate the test CA vouches for, TLS 1.3 by default and 1.2 on request', async () => {
      expect(f.running.url).to.match(/^https:\/\/127\.0\.0\.1:\d+$/);
      const tls13 = await f.get('/taxii2/', pki.byFingerprint);
      expect(tls13.status).to.equal(200);
      expect(tls13.protocol).to.equal('TLSv1.3');
      const tls12 = await httpsGet(`${f.running.url}/taxii2/`, {
        ca: pki.ca.cert,
        client: pki.byFingerprint,
        headers: { Accept: TAXII },
        tls: { maxVersion: 'TLSv1.2' },
      });
      expect(tls12.status).to.equal(200);
      expect(tls12.protocol).to.equal('TLSv1.2');
    });

    it('refuses TLS 1.1 and a TLS 1.2 cipher suite without forward secrecy or AEAD', async () => {
      const old = httpsGet(`${f.running.url}/taxii2/`, {
        ca: pki.ca.cert,
        tls: { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT:@SECLEVEL=0' },
      });
      await expectRejection(old);
      const cbc = httpsGet(`${f.running.url}/taxii2/`, {
        ca: pki.ca.cert,
        tls: { maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA256:ECDHE-RSA-AES128-SHA256' },
      });
      await expectRejection(cbc);
    });

    it('a certificate mapped by SHA-256 fingerprint (configured upper case with colons) authenticates alone', async () => {
      expect(titles(await f.get('/eu/collections/', pki.byFingerprint))).to.deep.equal(['Fingerprint feed']);
    });

    it('a certificate mapped by subject DN (CN=sync,O=ACN for O=ACN, CN=sync) authenticates alone', async () => {
      expect(titles(await f.get('/eu/collections/', pki.byDn))).to.deep.equal(['DN feed']);
    });

    it('rejects a certificate from an unknown CA even though its subject DN is mapped', async () => {
      expectTaxii401(await f.get('/eu/collections/', pki.foreign));
    });

    it('rejects a valid certificate that is mapped to nobody', async () => {
      expectTaxii401(await f.get('/eu/collections/', pki.unmapped));
    });

    it('rejects an expired certificate and one not yet valid, though both are mapped', async () => {
      expectTaxii401(await f.get('/eu/collections/', pki.expired));
      expectTaxii401(await f.get('/taxii2/', pki.expired));
      expectTaxii401(await f.get('/eu/collections/', pki.notYetValid));
    });

    it('every rejection looks the same as missing credentials', async () => {
      const none = await f.get('/eu/collections/');
      expectTaxii401(none);
      for (const client of [pki.foreign, pki.unmapped, pki.expired]) {
        const res = await f.get('/eu/collections/', client);
        expect(withoutIds(res.body)).to.deep.equal(withoutIds(none.body));
        expect(res.headers['www-authenticate']).to.deep.equal(none.headers['www-authenticate']);
      }
    });

    it('Basic without a certificate still works', async () => {
      const res = await f.get('/eu/collections/', undefined, { Authorization: basic('analyst-de', ANALYST_PW) });
      expect(titles(res)).to.deep.equal(['Analyst feed']);
    });

    it('with a certificate and Basic, the Authorization header decides', async () => {
      const both = await f.get('/eu/collections/', pki.byFingerprint, {
        Authorization: basic('analyst-de', ANALYST_PW),
      });
      expect(titles(both)).to.deep.equal(['Analyst feed']);
      // A wrong password is not rescued by a good certificate.
      const wrong = await f.get('/eu/collections/', pki.byFingerprint, { Authorization: basic('analyst-de', 'nope') });
      expectTaxii401(wrong);
      // A rejected certificate does not stand in the way of Basic when certificates are only requested.
      const expired = await f.get('/eu/collections/', pki.expired, { Authorization: basic('analyst-de', ANALYST_PW) });
      expect(titles(expired)).to.deep.equal(['Analyst feed']);
    });

    it('health endpoints stay open', async () => {
      expect((await f.get('/healthz')).status).to.equal(200);
    });
  });

  describe('client_certificates: require', () => {
    let f: Fixture;
    before(async () => {
      f = await startTlsServer(
        pki,
        '{ cert: server.pem, key: server-key.pem, ca: clients-ca.pem, client_certificates: require }',
      );
    });
    after(async () => f?.close());

    it('a mapped certificate alone authenticates', async () => {
      expect(titles(await f.get('/eu/collections/', pki.byDn))).to.deep.equal(['DN feed']);
    });

    it('Basic without a certificate is a TAXII 401', async () => {
      expectTaxii401(await f.get('/eu/collections/', undefined, { Authorization: basic('analyst-de', ANALYST_PW) }));
      expectTaxii401(await f.get('/taxii2/'));
    });

    it('Basic with an expired or foreign certificate is a TAXII 401', async () => {
      for (const client of [pki.expired, pki.foreign]) {
        expectTaxii401(await f.get('/eu/collections/', client, { Authorization: basic('analyst-de', ANALYST_PW) }));
      }
    });

    it('Basic with a verified certificate acts as the Basic user, mapped or not', async () => {
      for (const client of [pki.unmapped, pki.byFingerprint]) {
        const res = await f.get('/eu/collections/', client, { Authorization: basic('analyst-de', ANALYST_PW) });
        expect(titles(res)).to.deep.equal(['Analyst feed']);
      }
    });

    it('health endpoints stay open without a certificate', async () => {
      expect((await f.get('/healthz')).status).to.equal(200);
    });
  });

  describe('configuration', () => {
    let dir: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'palisade-tlscfg-'));
      await writeFile(join(dir, 'server.pem'), pki.server.cert);
      await writeFile(join(dir, 'server-key.pem'), pki.server.key);
      await writeFile(join(dir, 'other-key.pem'), pki.byDn.key);
      await writeFile(join(dir, 'ca.pem'), pki.ca.cert + pki.otherCa.cert);
      await writeFile(join(dir, 'empty.pem'), 'nothing here\n');
    });
    after(async () => rm(dir, { recursive: true, force: true }));

    const problemsOf = (fn: () => unknown): readonly string[] => {
      try {
        fn();
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      expect.fail('expected a ConfigError');
    };

    it('flags win over the environment, which wins over the file; flag and env paths are relative to the working directory', async () => {
      const file = join(dir, 'c.yaml');
      await writeFile(file, 'server: { tls: { cert: server.pem, key: server-key.pem } }\n');
      const fromFile = loadConfig({}, { configFile: file }).server.tls;
      expect(fromFile).to.deep.equal({
        cert: join(dir, 'server.pem'),
        key: join(dir, 'server-key.pem'),
        clientCertificates: 'request',
      });
      const rel = relative(process.cwd(), join(dir, 'ca.pem'));
      const env = loadConfig({ PALISADE_TLS_CA: rel, PALISADE_TLS_KEY: '/env/key.pem' }, { configFile: file }).server
        .tls;
      expect(env).to.include({ ca: join(dir, 'ca.pem'), key: '/env/key.pem', cert: join(dir, 'server.pem') });
      const flag = loadConfig({ PALISADE_TLS_KEY: '/env/key.pem' }, { configFile: file, tlsKey: '/flag/key.pem' });
      expect(flag.server.tls?.key).to.equal('/flag/key.pem');
      expect(loadConfig({}).server).not.to.have.property('tls');
    });

    it('cert and key go together; require needs a CA', async () => {
      const file = join(dir, 'c2.yaml');
      await writeFile(file, 'server: { tls: { cert: server.pem, client_certificates: require } }\n');
      expect(problemsOf(() => loadConfig({}, { configFile: file })).join('\n')).to.match(
        /server\.tls: missing required key "key"/,
      );
      await writeFile(
        file,
        'server: { tls: { cert: server.pem, key: server-key.pem, client_certificates: require } }\n',
      );
      expect(problemsOf(() => loadConfig({}, { configFile: file })).join('\n')).to.match(
        /client_certificates: "require" needs server\.tls\.ca/,
      );
    });

    it('lists every unreadable or unusable file at start-up', () => {
      const missing = problemsOf(() =>
        readTlsMaterial({
          cert: join(dir, 'nope.pem'),
          key: join(dir, 'nope-key.pem'),
          ca: join(dir, 'nope-ca.pem'),
          clientCertificates: 'request',
        }),
      );
      expect(missing).to.have.length(3);
      expect(missing.join('\n')).to.match(/server\.tls\.cert: cannot read .*nope\.pem/);
      expect(missing.join('\n')).to.match(/server\.tls\.ca: cannot read .*nope-ca\.pem/);
      const wrong = problemsOf(() =>
        readTlsMaterial({
          cert: join(dir, 'server.pem'),
          key: join(dir, 'other-key.pem'),
          ca: join(dir, 'empty.pem'),
          clientCertificates: 'request',
        }),
      );
      expect(wrong.join('\n')).to.match(/server\.tls\.key: .* is not the private key of the certificate/);
      expect(wrong.join('\n')).to.match(/server\.tls\.ca: .* holds no PEM certificate/);
    });

    it('a TLS misconfiguration stops startServer before anything is served', async () => {
      const config = loadConfig(
        {},
        { dataDir: join(dir, 'data'), tlsCert: join(dir, 'server.pem'), tlsKey: join(dir, 'missing.pem') },
      );
      let caught: unknown;
      await startServer(config).catch((err: unknown) => (caught = err));
      expect(caught).to.be.instanceOf(ConfigError);
    });

    it('TLS 1.2 is the floor; a certificate is asked for only when a CA is configured', () => {
      const withCa = readTlsMaterial({
        cert: join(dir, 'server.pem'),
        key: join(dir, 'server-key.pem'),
        ca: join(dir, 'ca.pem'),
        clientCertificates: 'request',
      });
      expect(httpsServerOptions(withCa)).to.include({
        minVersion: 'TLSv1.2',
        requestCert: true,
        rejectUnauthorized: false,
      });
      const withoutCa = readTlsMaterial({
        cert: join(dir, 'server.pem'),
        key: join(dir, 'server-key.pem'),
        clientCertificates: 'request',
      });
      expect(withoutCa.clientCertificates).to.equal('none');
      expect(httpsServerOptions(withoutCa)).to.include({ requestCert: false });
      expect(httpsServerOptions(withoutCa)).not.to.have.property('ca');
    });
  });

  describe('subject DN form (RFC 4514)', () => {
    it('reverses the RDNs of the certificate: O=ACN, CN=sync is CN=sync,O=ACN', () => {
      expect(distinguishedName('O=ACN\nCN=sync')).to.equal('CN=sync,O=ACN');
      expect(distinguishedName('C=IT\nO=ACN\nOU=CSIRT\nCN=sync')).to.equal('CN=sync,OU=CSIRT,O=ACN,C=IT');
    });

    it('keeps RFC 2253 escapes, so a comma or plus inside a value cannot forge another RDN', () => {
      expect(distinguishedName('O=Agenzia\\, per+la\nCN=a\\+b')).to.equal('CN=a\\+b,O=Agenzia\\, per+la');
      expect(distinguishedName('O=x\\\\\nCN=y')).to.equal('CN=y,O=x\\\\');
    });

    it('joins the members of a multi-valued RDN with + in reverse order, as OpenSSL does', () => {
      expect(distinguishedName('C=IT\nOU=b + O=Zoë\\, per\nCN=sync')).to.equal('CN=sync,O=Zoë\\, per+OU=b,C=IT');
      expect(distinguishedName('CN=a\\ \\+ b + UID=7')).to.equal('UID=7+CN=a\\ \\+ b');
    });

    it('an empty subject maps to nothing', () => {
      expect(distinguishedName('')).to.equal(undefined);
    });
  });
});

async function expectRejection(p: Promise<unknown>): Promise<void> {
  let failed = false;
  await p.catch(() => (failed = true));
  expect(failed, 'the handshake should have failed').to.equal(true);
}
