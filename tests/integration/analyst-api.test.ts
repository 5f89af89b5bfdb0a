// The analyst API (/api/v1) over real ATT&CK data (the state-actors bundle: 38 intrusion sets with
// everything they link to) in a collection two users read, plus hand-made objects in a collection
// only the platform admin reads. Whatever the reader asks, nothing of the hidden collection shows:
// not in answers, not in counts, not as a different error.
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { expect } from 'chai';
import { asText } from '../helpers/text-body.js';
import { sharedDataFile } from '../helpers/shared-data.js';
import {
  ADMIN,
  ANALYST,
  C1,
  C2,
  NOBODY,
  READER,
  objectsPath,
  startTestApp,
  type TestApp,
  type TestUser,
} from '../helpers/test-app.js';

interface Stix {
  id: string;
  type: string;
  name?: string;
  modified?: string;
  created?: string;
  [k: string]: unknown;
}

const APT28 = 'intrusion-set--bef4c620-0787-42a8-a96d-b7eb6e85917c';
const SECRET_ACTOR = 'intrusion-set--0a0a0a0a-1111-4222-8333-444444444444';
const SECRET_REL = 'relationship--0a0a0a0a-1111-4222-8333-555555555555';
const T = '2026-01-01T00:00:00.000Z';

function secretObjects(sharedMalware: string): Stix[] {
  return [
    {
      type: 'intrusion-set',
      spec_version: '2.1',
      id: SECRET_ACTOR,
      created: T,
      modified: T,
      name: 'Quiet Heron',
      aliases: ['Quiet Heron', 'HERON-X'],
      description: 'A group only the platform operator may see.',
    },
    {
      type: 'relationship',
      spec_version: '2.1',
      id: SECRET_REL,
      created: T,
      modified: T,
      relationship_type: 'uses',
      source_ref: SECRET_ACTOR,
      target_ref: sharedMalware,
    },
  ];
}

describe('Analyst API (/api/v1) over the state-actors data', function () {
  this.timeout(300_000);
  let app: TestApp;
  let data: Stix[];
  let sharedMalware: string;
  let since: string;

  const api = (path: string, as: TestUser = READER) => app.http.get(`/api/v1${path}`).auth(as.name, as.password);

  before(async function () {
    const file = sharedDataFile(this, 'state-actors.json');
    data = (JSON.parse(readFileSync(file, 'utf8')) as { objects: Stix[] }).objects;
    app = await startTestApp();
    since = new Date(Date.now() - 1000).toISOString();
    const uses = data.find(
      (o) => o.type === 'relationship' && o.source_ref === APT28 && String(o.target_ref).startsWith('malware--'),
    );
    sharedMalware = uses?.target_ref as string;
    const res = await app.post(objectsPath(C1), JSON.stringify({ objects: data })).expect(202);
    expect(res.body.success_count).to.equal(data.length);
    await app.post(objectsPath(C2), JSON.stringify({ objects: secretObjects(sharedMalware) }), ADMIN).expect(202);
  });
  after(async () => app?.close());

  describe('search', () => {
    for (const q of ['APT28', 'apt28', 'Fancy Bear', 'fancy bear', 'G0007', 'Forest Blizzard']) {
      it(`finds APT28 first for q=${q}`, async () => {
        const res = await api(`/search?q=${encodeURIComponent(q)}`).expect(200);
        expect(res.headers['content-type']).to.match(/^application\/json/);
        const first = res.body.hits[0];
        expect(first?.id, JSON.stringify(res.body.hits.slice(0, 3))).to.equal(APT28);
        expect(first.name).to.equal('APT28');
        expect(first.locations).to.deep.equal([
          { api_root: 'eu', collection_id: C1, collection_title: 'State-linked intrusion sets' },
        ]);
        expect(first.snippet).to.include('«');
      });
    }

    it('matches word prefixes: sofac finds APT28 (alias Sofacy) among the malware named after it', async () => {
      const hits = (await api('/search?q=sofac').expect(200)).body.hits as Stix[];
      expect(hits.slice(0, 10).map((h) => h.id)).to.include(APT28);
    });

    it('says which field matched, with a highlighted snippet', async () => {
      const byAlias = (await api('/search?q=Fancy%20Bear').expect(200)).body.hits[0];
      expect(byAlias.field).to.equal('aliases');
      expect(byAlias.snippet).to.include('«Fancy» «Bear»');
      const byId = (await api('/search?q=G0007').expect(200)).body.hits[0];
      expect(byId.field).to.equal('external_id');
      expect(byId.snippet).to.include('«G0007»');
    });

    it('filters by type and pages with an opaque cursor, every hit once', async () => {
      const first = await api('/search?q=group&type=intrusion-set&limit=5').expect(200);
      expect(first.body.hits).to.have.length(5);
      for (const h of first.body.hits) expect(h.type).to.equal('intrusion-set');
      expect(first.body.next).to.be.a('string');
      const seen = new Set<string>(first.body.hits.map((h: Stix) => h.id));
      let next: string | undefined = first.body.next;
      let pages = 1;
      while (next !== undefined && pages < 20) {
        const page = await api(`/search?q=group&type=intrusion-set&limit=5&cursor=${encodeURIComponent(next)}`).expect(
          200,
        );
        for (const h of page.body.hits) {
          expect(seen.has(h.id), `duplicate ${h.id}`).to.equal(false);
          seen.add(h.id);
        }
        next = page.body.next;
        pages++;
      }
      expect(next).to.equal(undefined);
      expect(seen.size).to.be.greaterThan(5);
    });

    it('refuses a cursor of another query, and bad parameters, as JSON problems', async () => {
      const first = await api('/search?q=group&limit=2').expect(200);
      const other = await api(`/search?q=bear&limit=2&cursor=${encodeURIComponent(first.body.next)}`).expect(400);
      expect(other.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(other.body.status).to.equal(400);
      for (const bad of [
        '',
        '?q=',
        '?q=x&limit=0',
        '?q=x&limit=101',
        '?q=x&type=Not_A_Type',
        '?q=x&collection=nope',
        '?q=x&bogus=1',
        `?q=${'a'.repeat(201)}`,
        '?q=x&cursor=garbage',
      ]) {
        const res = await api(`/search${bad}`).expect(400);
        expect(res.body.title, bad).to.be.a('string');
        expect(res.body.detail, bad).to.be.a('string');
        expect(JSON.stringify(res.body)).to.not.match(/at .*\.ts:\d+/);
      }
    });

    it('answers hostile query text without error', async () => {
      for (const q of ['"', '*', 'NEAR(', 'AND OR NOT', '-', "'; DROP TABLE x; --", '{"$gt": ""}', '\u0000', '🙂']) {
        const res = await api(`/search?q=${encodeURIComponent(q)}`);
        expect([200, 400], q).to.include(res.status);
        if (res.status === 200) expect(res.body.hits).to.be.an('array');
      }
    });

    it('needs authentication', async () => {
      await app.http.get('/api/v1/search?q=apt28').expect(401);
      await app.http.get('/api/v1/search?q=apt28').auth(READER.name, 'wrong').expect(401);
    });
  });

  describe('objects, neighbors and actors', () => {
    it('gives an object with its locations, versions and revocation', async () => {
      const res = await api(`/objects/${APT28}`).expect(200);
      expect(res.body.object.id).to.equal(APT28);
      expect(res.body.object.name).to.equal('APT28');
      expect(res.body.locations).to.have.length(1);
      expect(res.body.versions).to.have.length(1);
      expect(res.body.versions[0].collection_id).to.equal(C1);
      expect(res.body.revoked).to.equal(false);
    });

    it('walks neighbors at depth 1 and 2 in both directions', async () => {
      const d1 = (await api(`/objects/${APT28}/neighbors?depth=1&limit=1000`).expect(200)).body;
      const d2 = (await api(`/objects/${APT28}/neighbors?depth=2&limit=1000`).expect(200)).body;
      expect(d1.root).to.equal(APT28);
      const types1 = new Set(d1.nodes.map((n: Stix) => n.type));
      for (const t of ['attack-pattern', 'malware', 'tool', 'campaign']) expect(types1.has(t), t).to.equal(true);
      // campaigns point at the actor (attributed-to): an incoming link
      expect(d1.edges.some((e: Stix) => e.target === APT28 && e.label === 'attributed-to')).to.equal(true);
      expect(d1.edges.some((e: Stix) => e.source === APT28 && e.label === 'uses')).to.equal(true);
      expect(d2.nodes.length).to.be.greaterThan(d1.nodes.length);
      expect(d2.nodes.some((n: { depth: number }) => n.depth === 2)).to.equal(true);
      const ids = new Set(d2.nodes.map((n: Stix) => n.id));
      for (const e of d2.edges) expect(ids.has(e.source) && ids.has(e.target)).to.equal(true);
      const onlyUses = (await api(`/objects/${APT28}/neighbors?relationship_type=uses&type=malware`).expect(200)).body;
      for (const n of onlyUses.nodes.filter((x: { depth: number }) => x.depth > 0)) expect(n.type).to.equal('malware');
      for (const e of onlyUses.edges) expect(e.label).to.equal('uses');
      const cut = (await api(`/objects/${APT28}/neighbors?limit=3`).expect(200)).body;
      expect(cut.edges).to.have.length(3);
      expect(cut.truncated).to.equal(true);
    });

    it('profiles APT28: aliases, campaigns, malware, tools, techniques with ATT&CK ids and tactics', async () => {
      const p = (await api(`/actors/${APT28}`).expect(200)).body;
      expect(p.actor.name).to.equal('APT28');
      expect(p.actor.aliases).to.include('Fancy Bear');
      expect(p.actor.external_ids).to.include('G0007');
      const uses = data.filter(
        (o) =>
          o.type === 'relationship' && o.source_ref === APT28 && o.relationship_type === 'uses' && o.revoked !== true,
      );
      const techniqueIds = new Set(
        uses
          .map((r) => r.target_ref as string)
          .filter((t) => t.startsWith('attack-pattern--'))
          .filter((t) => {
            const ap = data.find((o) => o.id === t);
            return ap !== undefined && ap.revoked !== true;
          }),
      );
      expect(p.techniques.length).to.equal(techniqueIds.size);
      expect(p.techniques.length).to.be.greaterThan(20);
      for (const t of p.techniques) {
        expect(t.technique_id).to.match(/^T\d{4}(\.\d{3})?$/);
        expect(t.tactics).to.be.an('array');
        expect(t.tactics.length).to.be.greaterThan(0);
      }
      expect(p.campaigns.length).to.be.greaterThan(0);
      for (const c of p.campaigns) expect(c.type).to.equal('campaign');
      expect(p.malware.map((m: Stix) => m.id)).to.include(sharedMalware);
      expect(p.tools.length).to.be.greaterThan(0);
      expect(p.sources).to.deep.equal([
        { api_root: 'eu', collection_id: C1, collection_title: 'State-linked intrusion sets' },
      ]);
      expect(p.changes[0].kind).to.equal('added');
    });

    it('exports a Navigator layer that validates against the layer format 4.5 schema', async () => {
      const res = await api(`/actors/${APT28}/navigator-layer`).expect(200);
      expect(res.headers['content-disposition']).to.match(/^attachment; filename=".+\.json"$/);
      const schema = JSON.parse(
        readFileSync(new URL('../fixtures/navigator-layer-4.5.schema.json', import.meta.url), 'utf8'),
      );
      const ajv = new Ajv2020({ allErrors: true, strict: false });
      const valid = ajv.validate(schema, res.body);
      expect(valid, JSON.stringify(ajv.errors?.slice(0, 5))).to.equal(true);
      const profile = (await api(`/actors/${APT28}`).expect(200)).body;
      const layerIds = new Set(res.body.techniques.map((t: { techniqueID: string }) => t.techniqueID));
      expect(layerIds).to.deep.equal(new Set(profile.techniques.map((t: { technique_id: string }) => t.technique_id)));
      expect(res.body.domain).to.equal('enterprise-attack');
    });

    it('compares two actors: techniques in common and apart', async () => {
      const other = data.find((o) => o.type === 'intrusion-set' && o.name === 'APT29') as Stix;
      const res = (await api(`/compare?actors=${APT28},${other.id}`).expect(200)).body;
      expect(res.actors.map((a: Stix) => a.name)).to.deep.equal(['APT28', 'APT29']);
      const a = (await api(`/actors/${APT28}`).expect(200)).body.techniques.map((t: Stix) => t.id);
      const b = (await api(`/actors/${other.id}`).expect(200)).body.techniques.map((t: Stix) => t.id);
      const common = a.filter((x: string) => b.includes(x)).sort();
      expect(res.techniques.common.map((t: Stix) => t.id).sort()).to.deep.equal(common);
      expect(res.techniques.only[APT28].length).to.equal(a.length - common.length);
      expect(res.techniques.only[other.id].length).to.equal(b.length - common.length);
      await api(`/compare?actors=${APT28}`).expect(400);
    });

    it('lists actors and readable collections with counts', async () => {
      const actors = (await api('/actors?limit=500').expect(200)).body.actors;
      expect(actors.filter((a: Stix) => a.type === 'intrusion-set')).to.have.length(38);
      const cols = (await api('/collections').expect(200)).body.collections;
      expect(cols).to.have.length(1);
      expect(cols[0]).to.include({
        id: C1,
        api_root: 'eu',
        can_read: true,
        can_write: false,
        objects: new Set(data.map((o) => o.id)).size,
      });
    });
  });

  describe('changes and export', () => {
    it('lists what was added, then a new version and a revocation', async () => {
      const all: Stix[] = [];
      let next: string | undefined;
      do {
        const res = await api(
          `/changes?since=${since}&limit=1000${next ? `&cursor=${encodeURIComponent(next)}` : ''}`,
        ).expect(200);
        all.push(...res.body.changes);
        next = res.body.next;
      } while (next);
      expect(all.length).to.equal(new Set(data.map((o) => o.id)).size);
      expect(new Set(all.map((c) => c.kind))).to.deep.equal(new Set(['added']));
      const mark = new Date().toISOString();
      await new Promise((r) => setTimeout(r, 5));
      const apt = data.find((o) => o.id === APT28) as Stix;
      const v2 = { ...apt, modified: '2030-01-01T00:00:00.000Z', description: 'Updated profile.' };
      const v3 = { ...apt, modified: '2030-06-01T00:00:00.000Z', revoked: true };
      await app.post(objectsPath(C1), JSON.stringify({ objects: [v2] }), ANALYST).expect(202);
      await app.post(objectsPath(C1), JSON.stringify({ objects: [v3] }), ANALYST).expect(202);
      const after = (await api(`/changes?since=${mark}`).expect(200)).body.changes;
      expect(after.map((c: Stix) => [c.id, c.kind, c.version])).to.deep.equal([
        [APT28, 'versioned', '2030-01-01T00:00:00.000Z'],
        [APT28, 'revoked', '2030-06-01T00:00:00.000Z'],
      ]);
      const obj = (await api(`/objects/${APT28}`).expect(200)).body;
      expect(obj.revoked).to.equal(true);
      expect(obj.versions).to.have.length(3);
      await api('/changes').expect(400);
      await api('/changes?since=yesterday').expect(400);
    });

    it('exports search results, types and ids as a STIX bundle that round-trips', async () => {
      const res = await asText(api('/export?type=intrusion-set')).expect(200);
      expect(res.headers['content-type']).to.equal('application/stix+json;version=2.1');
      const bundle = JSON.parse(res.body as string);
      expect(bundle.type).to.equal('bundle');
      expect(bundle.id).to.match(/^bundle--[0-9a-f-]{36}$/);
      expect(bundle.objects).to.have.length(38);
      const byId = new Map(data.map((o) => [o.id, o]));
      for (const o of bundle.objects) {
        if (o.id === APT28) continue; // versioned above
        expect(o).to.deep.equal(byId.get(o.id));
      }
      const one = await asText(api(`/export?ids=${APT28}`)).expect(200);
      expect(JSON.parse(one.body as string).objects.map((o: Stix) => o.id)).to.deep.equal([APT28]);
      await api('/export').expect(400);
    });
  });

  describe('two users, different collections: nothing of the hidden one shows', () => {
    it('the admin finds the hidden actor; the reader does not, by any route', async () => {
      const admin = (await api('/search?q=Quiet%20Heron', ADMIN).expect(200)).body.hits;
      expect(admin.map((h: Stix) => h.id)).to.deep.equal([SECRET_ACTOR]);
      expect((await api('/search?q=Quiet%20Heron').expect(200)).body.hits).to.deep.equal([]);
      expect((await api('/search?q=HERON').expect(200)).body.hits).to.deep.equal([]);
      // the hidden object answers exactly like one that never existed
      const hidden = await api(`/objects/${SECRET_ACTOR}`).expect(404);
      const never = await api('/objects/intrusion-set--99999999-1111-4222-8333-444444444444').expect(404);
      const strip = (b: Record<string, unknown>) => ({ ...b, request_id: undefined });
      expect(strip(hidden.body)).to.deep.equal(strip(never.body));
      await api(`/actors/${SECRET_ACTOR}`).expect(404);
      await api(`/objects/${SECRET_ACTOR}/neighbors`).expect(404);
      await api(`/compare?actors=${APT28},${SECRET_ACTOR}`).expect(404);
      await api(`/search?q=x&collection=${C2}`).expect(404);
      await api(`/search?q=x&collection=99999999-1111-4222-8333-444444444444`).expect(404);
    });

    it('links made in the hidden collection do not show around a shared object', async () => {
      const admin = (await api(`/objects/${sharedMalware}/neighbors`, ADMIN).expect(200)).body;
      expect(admin.nodes.map((n: Stix) => n.id)).to.include(SECRET_ACTOR);
      const reader = (await api(`/objects/${sharedMalware}/neighbors?depth=2&limit=1000`).expect(200)).body;
      expect(reader.nodes.map((n: Stix) => n.id)).to.not.include(SECRET_ACTOR);
      expect(JSON.stringify(reader)).to.not.include(SECRET_REL);
      const profile = (await api(`/actors/${APT28}`, ADMIN).expect(200)).body;
      expect(profile.sources).to.have.length(1);
    });

    it('counts, changes, actors and exports leave the hidden collection out', async () => {
      const cols = (await api('/collections').expect(200)).body.collections;
      expect(cols.map((c: Stix) => c.id)).to.deep.equal([C1]);
      const adminCols = (await api('/collections', ADMIN).expect(200)).body.collections;
      expect(adminCols.find((c: Stix) => c.id === C2)?.objects).to.equal(2);
      const changes = (await api(`/changes?since=${since}&limit=1000`).expect(200)).body.changes;
      expect(changes.map((c: Stix) => c.id)).to.not.include(SECRET_ACTOR);
      const actors = (await api('/actors?limit=500').expect(200)).body.actors;
      expect(actors.map((a: Stix) => a.id)).to.not.include(SECRET_ACTOR);
      const exp = await asText(api('/export?q=Heron')).expect(200);
      expect(JSON.parse(exp.body as string).objects).to.deep.equal([]);
      await api(`/export?collection=${C2}`).expect(404);
    });

    it('a user who reads nothing gets empty answers, and the audit trail records analyst reads', async () => {
      expect((await api('/collections', NOBODY).expect(200)).body.collections).to.deep.equal([]);
      expect((await api('/search?q=apt28', NOBODY).expect(200)).body.hits).to.deep.equal([]);
      await api(`/objects/${APT28}`, NOBODY).expect(404);
      await app.container.services.audit.flush();
      const audit = await app.http.get('/admin/audit?action=api.read').auth(ADMIN.name, ADMIN.password).expect(200);
      const records = audit.body.records as { actor: string; target: string; outcome: string }[];
      expect(records.some((r) => r.actor === NOBODY.name && r.target === 'object' && r.outcome === 'denied')).to.equal(
        true,
      );
      expect(records.some((r) => r.actor === READER.name && r.target === 'search' && r.outcome === 'ok')).to.equal(
        true,
      );
      void ANALYST;
    });
  });
});
