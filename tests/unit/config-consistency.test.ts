// Inconsistencies inside the configuration file: every name declared twice, every reference to
// something undeclared, every alias that clashes with another alias or shadows an id. Each is a
// problem of its own, and all of them are reported together (ConfigError), never the first alone.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load-config.js';
import { ConfigError } from '../../src/errors.js';

const A = '2f6c7c1e-5b1c-4e2a-9a3c-0d3f2b8c9e11';
const B = '8a1d2c3b-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const C = 'c0ffee00-1111-4222-8333-444455556666';
const IDENTITY = 'identity--0a1b2c3d-4e5f-4a6b-8c7d-000000000001';
const MARKING = 'marking-definition--1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

describe('configuration consistency (every problem at once)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-cfg-consistency-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  let n = 0;
  /** The problems loadConfig reports for this YAML (it must fail with a ConfigError). */
  async function problemsOf(yaml: string, env: NodeJS.ProcessEnv = { PW: 'pw' }): Promise<readonly string[]> {
    const file = join(dir, `c${++n}.yaml`);
    await writeFile(file, yaml);
    try {
      loadConfig(env, { configFile: file });
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      return (err as ConfigError).problems;
    }
    return expect.fail('the configuration was accepted');
  }

  async function accepts(yaml: string): Promise<void> {
    const file = join(dir, `c${++n}.yaml`);
    await writeFile(file, yaml);
    loadConfig({ PW: 'pw' }, { configFile: file });
  }

  const root = (collections: string, path = 'eu'): string =>
    `  - path: ${path}\n    title: ${path}\n    collections:\n${collections}`;

  it('two collections of one API root with the same alias', async () => {
    expect(
      await problemsOf(
        `api_roots:\n${root(`      - { id: ${A}, title: a, alias: x }\n      - { id: ${B}, title: b, alias: x }\n`)}`,
      ),
    ).to.deep.equal([
      'api_roots[0].collections[1]: alias "x" is already the alias of api_roots[0].collections[0] in the API root "eu"',
    ]);
  });

  it('the same alias in two API roots is fine', async () => {
    await accepts(
      `api_roots:\n${root(`      - { id: ${A}, title: a, alias: x }\n`)}\n${root(`      - { id: ${B}, title: b, alias: x }\n`, 'nl')}`,
    );
  });

  it('an alias equal to the id of another collection of the API root, declared before or after it', async () => {
    expect(
      await problemsOf(
        `api_roots:\n${root(`      - { id: ${A}, title: a, alias: ${B} }\n      - { id: ${B}, title: b }\n      - { id: ${C}, title: c, alias: ${A} }\n`)}`,
      ),
    ).to.deep.equal([
      `api_roots[0].collections[0]: alias "${B}" is the id of api_roots[0].collections[1] in the API root "eu"; an alias must not shadow an id`,
      `api_roots[0].collections[2]: alias "${A}" is the id of api_roots[0].collections[0] in the API root "eu"; an alias must not shadow an id`,
    ]);
  });

  it('an alias that looks like a UUID (any version, any case), its own id included', async () => {
    const upper = '0A0B1C2D-4E5F-1A6B-8C7D-000000000009';
    expect(
      await problemsOf(
        `api_roots:\n${root(`      - { id: ${A}, title: a, alias: ${upper} }\n      - { id: ${B}, title: b, alias: ${B} }\n`)}`,
      ),
    ).to.deep.equal([
      `api_roots[0].collections[0]: alias "${upper}" has the form of a collection id (a UUID); an alias must not`,
      `api_roots[0].collections[1]: alias "${B}" has the form of a collection id (a UUID); an alias must not`,
    ]);
  });

  it('duplicate collection ids, across API roots too, and duplicate API root paths', async () => {
    expect(
      await problemsOf(
        `api_roots:\n${root(`      - { id: ${A}, title: a }\n      - { id: ${A}, title: again }\n`)}\n${root(`      - { id: ${A}, title: elsewhere }\n`, 'nl')}\n${root(`      - { id: ${B}, title: b }\n`)}`,
      ),
    ).to.deep.equal([
      'api_roots[2]: path "eu" is declared twice (first at api_roots[0])',
      `api_roots[0].collections[1]: collection id ${A} is declared twice (first at api_roots[0].collections[0])`,
      `api_roots[1].collections[0]: collection id ${A} is declared twice (first at api_roots[0].collections[0])`,
    ]);
  });

  it('duplicate usernames, tenant ids, group ids and marking ids', async () => {
    expect(
      await problemsOf(`tenants:
  - { id: de, name: DE }
  - { id: de, name: DE again }
groups:
  - { id: eu, tenants: [de] }
  - { id: eu, tenants: [de] }
markings:
  - { id: ${MARKING}, tenants: [de] }
  - { id: ${MARKING}, groups: [eu] }
users:
  - { username: u, password_env: PW }
  - { username: u, password_env: PW }
`),
    ).to.deep.equal([
      'tenants[1]: tenant "de" is declared twice',
      'groups[1]: group "eu" is declared twice',
      `markings[1]: marking ${MARKING} is declared twice`,
      'users[1]: username "u" is declared twice',
    ]);
  });

  it('grants naming unknown users, tenants and groups; a subject granted twice; a grant of nothing', async () => {
    expect(
      await problemsOf(`tenants: [ { id: de, name: DE } ]
groups: [ { id: eu, tenants: [de] } ]
users: [ { username: u, password_env: PW } ]
api_roots:
${root(`      - id: ${A}
        title: a
        grants:
          - { user: ghost, read: true }
          - { tenant: nowhere, read: true }
          - { group: nobody, write: true }
          - { user: u, read: true }
          - { user: u, write: true }
          - { tenant: de }
          - { group: eu, read: false, write: false }
`)}`),
    ).to.deep.equal([
      'api_roots[0].collections[0].grants[0]: user "ghost" is not declared under users',
      'api_roots[0].collections[0].grants[1]: tenant "nowhere" is not declared under tenants',
      'api_roots[0].collections[0].grants[2]: group "nobody" is not declared under groups',
      'api_roots[0].collections[0].grants[4]: user "u" is named twice in the grants of this collection',
      'api_roots[0].collections[0].grants[5]: gives neither read nor write',
      'api_roots[0].collections[0].grants[6]: gives neither read nor write',
    ]);
  });

  it('a client certificate mapped to two accounts, or twice to one (compared normalized)', async () => {
    expect(
      await problemsOf(`users:
  - { username: a, kind: service, certificates: ["sha256:AB:CD", "CN=sync,O=ACN"] }
  - { username: b, kind: service, certificates: ["sha256:abcd"] }
  - { username: c, kind: service, certificates: ["CN=c", "CN=sync,O=ACN"] }
  - { username: d, kind: service, certificates: ["CN=d", "sha256:00:FF", "sha256:00ff"] }
`),
    ).to.deep.equal([
      'users[1] (b).certificates[0]: certificate "sha256:abcd" is already mapped to users[0] (a)',
      'users[2] (c).certificates[1]: certificate "CN=sync,O=ACN" is already mapped to users[0] (a)',
      'users[3] (d).certificates[2]: certificate "sha256:00ff" is listed twice',
    ]);
  });

  it('lists every problem of every class together, in the order of the file', async () => {
    const problems = await problemsOf(`tenants:
  - { id: de, name: DE, identities: [${IDENTITY}] }
  - { id: fr, name: FR, identities: [${IDENTITY}] }
  - { id: de, name: DE again }
groups: [ { id: eu, tenants: [de, xx] } ]
users:
  - { username: u, password_env: PW, certificates: ["CN=u"] }
  - { username: u, password_env: PW }
  - { username: v, kind: service, certificates: ["CN=u"] }
api_roots:
${root(`      - { id: ${A}, title: a, alias: x, grants: [ { user: ghost, read: true }, { group: eu, read: true }, { group: eu, write: true } ] }
      - { id: ${B}, title: b, alias: x, owner: nl }
      - { id: ${C}, title: c, alias: ${A} }
      - { id: ${A}, title: a again }
`)}
${root(`      - { id: 0b5f3a4c-7d21-4e8f-9a6b-1c2d3e4f5a6b, title: t }\n`)}
`);
    expect(problems).to.deep.equal([
      `tenants[1]: identity ${IDENTITY} already belongs to tenant "de"`,
      'tenants[2]: tenant "de" is declared twice',
      'groups[0].tenants[1]: tenant "xx" is not declared under tenants',
      'users[1]: username "u" is declared twice',
      'users[2] (v).certificates[0]: certificate "CN=u" is already mapped to users[0] (u)',
      'api_roots[1]: path "eu" is declared twice (first at api_roots[0])',
      'api_roots[0].collections[0].grants[0]: user "ghost" is not declared under users',
      'api_roots[0].collections[0].grants[2]: group "eu" is named twice in the grants of this collection',
      'api_roots[0].collections[1]: alias "x" is already the alias of api_roots[0].collections[0] in the API root "eu"',
      'api_roots[0].collections[1].owner: tenant "nl" is not declared under tenants',
      `api_roots[0].collections[2]: alias "${A}" is the id of api_roots[0].collections[0] in the API root "eu"; an alias must not shadow an id`,
      `api_roots[0].collections[3]: collection id ${A} is declared twice (first at api_roots[0].collections[0])`,
    ]);
  });
});
