// The analyst API's answers: search, objects with their links, actor profiles, comparisons, changes
// and exports, over every collection the caller may read and nothing else. Inputs are typed (the
// routes parse the query string); the access gate decides the scope; the intel store area answers
// from its indexes; the objects area gives versions and exports.
import type { AccessGate } from '../access/gate.js';
import type { Principal } from '../auth/principal.js';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { intelFields, isStixId, searchTokens } from '../stix/intel-fields.js';
import { compareTimestamps, formatMicros } from '../stix/timestamps.js';
import type { SearchField } from '../stix/intel-fields.js';
import type { IntelChange, IntelEdge, IntelEntry, IntelStore, ObjectStore } from '../store/store.js';
import { navigatorLayer, type LayerTechnique } from './navigator.js';
import { ReadScope, type Location } from './scope.js';
import { bestMatch } from './snippet.js';

type Obj = Record<string, unknown>;

export const ACTOR_TYPES: readonly string[] = ['intrusion-set', 'threat-actor', 'campaign'];

export interface NodeView {
  id: string;
  type: string;
  name?: string;
  revoked?: boolean;
}

export interface SearchInput {
  q: string;
  types?: readonly string[];
  collection?: string;
  limit: number;
  cursor?: string;
}

export interface SearchHitView extends NodeView {
  modified?: string;
  field: SearchField;
  snippet: string;
  score: number;
  locations: Location[];
}

export interface NeighborsInput {
  depth: 1 | 2;
  relationshipTypes?: readonly string[];
  types?: readonly string[];
  limit: number;
}

export interface EdgeView {
  source: string;
  target: string;
  kind: IntelEdge['kind'];
  label: string;
  via?: string;
}

export interface ChangesInput {
  since: number;
  collection?: string;
  limit: number;
  afterSeq?: number;
}

export interface ChangeView {
  id: string;
  type: string;
  name?: string;
  kind: IntelChange['kind'];
  version?: string;
  at: string;
  api_root: string;
  collection_id: string;
}

export interface ExportInput {
  q?: string;
  types?: readonly string[];
  collection?: string;
  ids?: readonly string[];
}

/** At most this many links are read around one object for a profile or a comparison. */
const PROFILE_EDGES = 20_000;
/** An export holds at most this many objects. */
export const EXPORT_MAX = 100_000;

function nodeOf(e: IntelEntry): NodeView {
  return {
    id: e.id,
    type: e.type,
    ...(e.name !== undefined ? { name: e.name } : {}),
    ...(e.revoked ? { revoked: true } : {}),
  };
}

function parse(e: IntelEntry): Obj {
  return JSON.parse(e.json) as Obj;
}

/** The newer of two entries of one id: by version, then by date_added. */
function newer(a: IntelEntry, b: IntelEntry): IntelEntry {
  if (a.version !== undefined && b.version !== undefined && a.version !== b.version) {
    return compareTimestamps(a.version, b.version) >= 0 ? a : b;
  }
  return a.dateAdded >= b.dateAdded ? a : b;
}

/** One entry per id (the newest), with every collection it was found in. */
function mergeById(entries: readonly IntelEntry[]): Map<string, { entry: IntelEntry; collections: string[] }> {
  const out = new Map<string, { entry: IntelEntry; collections: string[] }>();
  for (const e of entries) {
    const seen = out.get(e.id);
    if (seen === undefined) out.set(e.id, { entry: e, collections: [e.collectionId] });
    else {
      seen.entry = newer(seen.entry, e);
      if (!seen.collections.includes(e.collectionId)) seen.collections.push(e.collectionId);
    }
  }
  return out;
}

function byName(a: NodeView, b: NodeView): number {
  return (a.name ?? a.id).localeCompare(b.name ?? b.id);
}

/** The ATT&CK id of an object (external_references of source mitre-attack), else any external id. */
function attackId(obj: Obj): string | undefined {
  const refs = Array.isArray(obj.external_references) ? (obj.external_references as Obj[]) : [];
  const mitre = refs.find(
    (r) => typeof r.source_name === 'string' && r.source_name.startsWith('mitre-') && typeof r.external_id === 'string',
  );
  return (mitre?.external_id as string | undefined) ?? undefined;
}

function externalIds(obj: Obj): string[] {
  const refs = Array.isArray(obj.external_references) ? (obj.external_references as Obj[]) : [];
  return refs.map((r) => r.external_id).filter((x): x is string => typeof x === 'string');
}

function killChainPhases(obj: Obj): { chain: string; phase: string }[] {
  const phases = Array.isArray(obj.kill_chain_phases) ? (obj.kill_chain_phases as Obj[]) : [];
  return phases
    .filter((p) => typeof p.kill_chain_name === 'string' && typeof p.phase_name === 'string')
    .map((p) => ({ chain: p.kill_chain_name as string, phase: p.phase_name as string }));
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** What an actor is linked to, read once and shared by the profile, the layer and a comparison. */
interface ActorLinks {
  actor: IntelEntry;
  collections: string[];
  edges: IntelEdge[];
  /** the other end of every edge, newest entry per id */
  others: Map<string, IntelEntry>;
}

export class AnalystService {
  constructor(
    private readonly gate: AccessGate,
    private readonly intel: IntelStore,
    private readonly objects: ObjectStore,
  ) {}

  async scope(principal: Principal): Promise<ReadScope> {
    return new ReadScope(await this.gate.readableCollections(principal));
  }

  async collections(principal: Principal): Promise<Record<string, unknown>[]> {
    const scope = await this.scope(principal);
    const counts = scope.empty ? {} : await this.intel.countLatest(scope.intel);
    return scope.readable.map((r) => ({
      api_root: r.root.path,
      id: r.collection.id,
      title: r.collection.title,
      ...(r.collection.description !== undefined ? { description: r.collection.description } : {}),
      ...(r.collection.alias !== undefined ? { alias: r.collection.alias } : {}),
      can_read: r.rights.read,
      can_write: r.rights.write,
      objects: counts[r.collection.id] ?? 0,
    }));
  }

  async search(principal: Principal, input: SearchInput): Promise<{ hits: SearchHitView[]; next?: string }> {
    const scope = (await this.scope(principal)).narrow(input.collection);
    if (scope.empty) return { hits: [] };
    const page = await this.intel.searchObjects(
      scope.intel,
      { text: input.q, ...(input.types ? { types: input.types } : {}) },
      input.limit,
      input.cursor,
    );
    // One hit per id: an object held by several collections is listed once, with every location.
    const hits: SearchHitView[] = [];
    const byId = new Map<string, SearchHitView>();
    for (const h of page.hits) {
      const seen = byId.get(h.id);
      if (seen) {
        if (!seen.locations.some((l) => l.collection_id === h.collectionId))
          seen.locations.push(scope.location(h.collectionId));
        continue;
      }
      const match = bestMatch(intelFields(parse(h)).text, input.q);
      const view: SearchHitView = {
        ...nodeOf(h),
        revoked: h.revoked,
        ...(h.version !== undefined ? { modified: h.version } : {}),
        field: match?.field ?? 'name',
        snippet: match?.snippet ?? h.name ?? h.id,
        score: Math.round(h.score * 1000) / 1000,
        locations: [scope.location(h.collectionId)],
      };
      byId.set(h.id, view);
      hits.push(view);
    }
    // Within the page, an object whose name or an alias is exactly the query comes first: "APT28"
    // names the group, not the campaign named after it. The store's order decides the rest.
    const words = searchTokens(input.q).join(' ');
    const exact = (h: SearchHitView, entry: IntelEntry | undefined): number => {
      if (entry === undefined) return 0;
      if (searchTokens(h.name ?? '').join(' ') === words) return 2;
      const obj = parse(entry);
      const aliases = [...stringList(obj.aliases), ...stringList(obj.x_mitre_aliases), ...externalIds(obj)];
      return aliases.some((a) => searchTokens(a).join(' ') === words) ? 1 : 0;
    };
    const entries = new Map(page.hits.map((h) => [h.id, h as IntelEntry]));
    const tier = new Map(hits.map((h) => [h.id, exact(h, entries.get(h.id))]));
    hits.sort((a, b) => (tier.get(b.id) ?? 0) - (tier.get(a.id) ?? 0));
    return { hits, ...(page.next !== undefined ? { next: page.next } : {}) };
  }

  /** The newest readable entry of an object and the collections holding it, else 404. */
  private async latest(scope: ReadScope, id: string): Promise<{ entry: IntelEntry; collections: string[] }> {
    if (!isStixId(id)) throw new InvalidRequestError('The object id is not a STIX identifier (type--UUID).');
    const found = mergeById(await this.intel.getLatest(scope.intel, [id])).get(id);
    if (found === undefined) throw new NotFoundError('There is no such object.');
    return found;
  }

  async object(principal: Principal, id: string): Promise<Record<string, unknown>> {
    const scope = await this.scope(principal);
    const { entry, collections } = await this.latest(scope, id);
    const versions: { version?: string; date_added: string; collection_id: string }[] = [];
    for (const c of collections) {
      const r = scope.get(c);
      const page = await this.objects.queryObjects(
        c,
        { objectId: id, versions: { all: true }, deniedMarkings: r?.deniedMarkings ?? [] },
        { limit: 1000 },
      );
      for (const v of page.items) {
        versions.push({
          ...(v.version !== '' ? { version: v.version } : {}),
          date_added: formatMicros(v.dateAdded),
          collection_id: c,
        });
      }
    }
    versions.sort((a, b) => a.date_added.localeCompare(b.date_added));
    let revokedBy: NodeView | undefined;
    if (entry.revoked) {
      const edges = await this.intel.findEdges(scope.intel, {
        ids: [id],
        relationshipTypes: ['revoked-by'],
        limit: 10,
      });
      const target = edges.find((e) => e.source === id)?.target;
      if (target !== undefined) {
        const t = mergeById(await this.intel.getLatest(scope.intel, [target])).get(target);
        if (t) revokedBy = nodeOf(t.entry);
      }
    }
    return {
      object: parse(entry),
      locations: collections.map((c) => scope.location(c)),
      versions,
      revoked: entry.revoked,
      ...(revokedBy ? { revoked_by: revokedBy } : {}),
    };
  }

  async neighbors(
    principal: Principal,
    id: string,
    input: NeighborsInput,
  ): Promise<{ root: string; nodes: (NodeView & { depth: number })[]; edges: EdgeView[]; truncated: boolean }> {
    const scope = await this.scope(principal);
    const root = await this.latest(scope, id);
    const nodes = new Map<string, NodeView & { depth: number }>([[id, { ...nodeOf(root.entry), depth: 0 }]]);
    const edges = new Map<string, EdgeView>();
    let truncated = false;
    let frontier = [id];
    for (let depth = 1; depth <= input.depth && frontier.length > 0 && !truncated; depth++) {
      const found = await this.intel.findEdges(scope.intel, {
        ids: frontier,
        ...(input.relationshipTypes ? { relationshipTypes: input.relationshipTypes } : {}),
        limit: input.limit + 1,
      });
      const otherIds = [...new Set(found.flatMap((e) => [e.source, e.target]).filter((x) => !nodes.has(x)))];
      // Only objects the caller can read become nodes; links to anything else are left out.
      const others = mergeById(otherIds.length > 0 ? await this.intel.getLatest(scope.intel, otherIds) : []);
      const next: string[] = [];
      for (const e of found) {
        for (const end of [e.source, e.target]) {
          if (nodes.has(end)) continue;
          const o = others.get(end);
          if (o === undefined) continue;
          if (input.types && !input.types.includes(o.entry.type)) continue;
          nodes.set(end, { ...nodeOf(o.entry), depth });
          next.push(end);
        }
        if (!nodes.has(e.source) || !nodes.has(e.target)) continue;
        const key = `${e.source}|${e.target}|${e.kind}|${e.label}|${e.via ?? ''}`;
        if (edges.has(key)) continue;
        if (edges.size >= input.limit) {
          truncated = true;
          break;
        }
        edges.set(key, {
          source: e.source,
          target: e.target,
          kind: e.kind,
          label: e.label,
          ...(e.via ? { via: e.via } : {}),
        });
      }
      if (found.length > input.limit) truncated = true;
      frontier = next;
    }
    // Nodes reached only through a link that was cut off are dropped with it.
    const linked = new Set([id, ...[...edges.values()].flatMap((e) => [e.source, e.target])]);
    return {
      root: id,
      nodes: [...nodes.values()].filter((n) => linked.has(n.id)),
      edges: [...edges.values()],
      truncated,
    };
  }

  async actors(principal: Principal, limit: number): Promise<(NodeView & { aliases: string[] })[]> {
    const scope = await this.scope(principal);
    if (scope.empty) return [];
    const entries = await this.intel.queryLatestByType(scope.intel, ACTOR_TYPES, limit * 2);
    return [...mergeById(entries).values()].slice(0, limit).map(({ entry }) => ({
      ...nodeOf(entry),
      aliases: stringList(parse(entry).aliases),
    }));
  }

  private async actorLinks(scope: ReadScope, id: string): Promise<ActorLinks> {
    const { entry, collections } = await this.latest(scope, id);
    if (!ACTOR_TYPES.includes(entry.type)) {
      throw new NotFoundError('There is no such actor (an intrusion-set, threat-actor or campaign).');
    }
    const edges = await this.intel.findEdges(scope.intel, { ids: [id], limit: PROFILE_EDGES });
    const otherIds = [...new Set(edges.map((e) => (e.source === id ? e.target : e.source)))];
    const others = new Map(
      [...mergeById(otherIds.length > 0 ? await this.intel.getLatest(scope.intel, otherIds) : [])].map(([k, v]) => [
        k,
        v.entry,
      ]),
    );
    return { actor: entry, collections, edges, others };
  }

  /** The objects linked to the actor by a relationship of one type, in one direction, of some types. */
  private linked(l: ActorLinks, relType: string, outgoing: boolean, types: readonly string[]): IntelEntry[] {
    const out = new Map<string, IntelEntry>();
    for (const e of l.edges) {
      if (e.kind !== 'relationship' || e.label !== relType) continue;
      const other = outgoing
        ? e.source === l.actor.id
          ? e.target
          : undefined
        : e.target === l.actor.id
          ? e.source
          : undefined;
      const o = other !== undefined ? l.others.get(other) : undefined;
      if (o && types.includes(o.type) && !o.revoked) out.set(o.id, o);
    }
    return [...out.values()];
  }

  private techniques(
    l: ActorLinks,
  ): (NodeView & { technique_id?: string; tactics: string[]; kill_chains: string[] })[] {
    return this.linked(l, 'uses', true, ['attack-pattern'])
      .map((t) => {
        const obj = parse(t);
        const phases = killChainPhases(obj);
        const techniqueId = attackId(obj);
        return {
          ...nodeOf(t),
          ...(techniqueId !== undefined ? { technique_id: techniqueId } : {}),
          tactics: [...new Set(phases.map((p) => p.phase))],
          kill_chains: [...new Set(phases.map((p) => p.chain))],
        };
      })
      .sort((a, b) => (a.technique_id ?? a.id).localeCompare(b.technique_id ?? b.id));
  }

  async actor(principal: Principal, id: string): Promise<Record<string, unknown>> {
    const scope = await this.scope(principal);
    const l = await this.actorLinks(scope, id);
    const obj = parse(l.actor);
    const nodes = (es: IntelEntry[]): NodeView[] => es.map(nodeOf).sort(byName);
    const identities = this.linked(l, 'targets', true, ['identity']);
    const sectors = new Set<string>();
    for (const i of identities) for (const s of stringList(parse(i).sectors)) sectors.add(s);
    const indicators = this.linked(l, 'indicates', false, ['indicator']).length;
    const attributedTo = this.linked(l, 'attributed-to', true, ['intrusion-set', 'threat-actor']);
    const campaigns = this.linked(l, 'attributed-to', false, ['campaign']);
    const versions = await this.object(principal, id);
    return {
      actor: {
        ...nodeOf(l.actor),
        aliases: [...new Set([...stringList(obj.aliases), ...stringList(obj.x_mitre_aliases)])],
        ...(typeof obj.description === 'string' ? { description: obj.description } : {}),
        ...(typeof obj.first_seen === 'string' ? { first_seen: obj.first_seen } : {}),
        ...(typeof obj.last_seen === 'string' ? { last_seen: obj.last_seen } : {}),
        external_ids: externalIds(obj),
        ...(Array.isArray(obj.goals) ? { goals: stringList(obj.goals) } : {}),
      },
      attributed_to: nodes(attributedTo),
      campaigns: nodes(campaigns),
      attributed_actors: nodes(this.linked(l, 'attributed-to', false, ['intrusion-set', 'threat-actor'])),
      malware: nodes(this.linked(l, 'uses', true, ['malware'])),
      tools: nodes(this.linked(l, 'uses', true, ['tool'])),
      techniques: this.techniques(l).map(({ kill_chains: _k, ...t }) => t),
      targets: {
        identities: nodes(identities),
        locations: nodes(this.linked(l, 'targets', true, ['location'])),
        sectors: [...sectors].sort(),
        vulnerabilities: nodes(this.linked(l, 'targets', true, ['vulnerability'])),
      },
      indicators,
      changes: this.actorChanges(
        versions.versions as { version?: string; date_added: string; collection_id: string }[],
        l.actor,
      ),
      revoked: l.actor.revoked,
      ...(versions.revoked_by !== undefined ? { revoked_by: versions.revoked_by } : {}),
      sources: l.collections.map((c) => {
        const owner = scope.get(c)?.collection.owner;
        return { ...scope.location(c), ...(owner !== undefined ? { tenant: owner } : {}) };
      }),
    };
  }

  /** The actor's own history: its first version, later versions, and the revocation if any. */
  private actorChanges(
    versions: readonly { version?: string; date_added: string; collection_id: string }[],
    actor: IntelEntry,
  ): Record<string, unknown>[] {
    const firstIn = new Set<string>();
    const out = versions.map((v) => {
      const kind = firstIn.has(v.collection_id) ? 'versioned' : 'added';
      firstIn.add(v.collection_id);
      return {
        kind,
        ...(v.version !== undefined ? { version: v.version } : {}),
        at: v.date_added,
        collection_id: v.collection_id,
      };
    });
    if (actor.revoked && out.length > 0) (out[out.length - 1] as { kind: string }).kind = 'revoked';
    return out.reverse().slice(0, 50);
  }

  async navigatorLayer(principal: Principal, id: string): Promise<Record<string, unknown>> {
    const scope = await this.scope(principal);
    const l = await this.actorLinks(scope, id);
    const techniques = this.techniques(l);
    const layerTechniques: LayerTechnique[] = techniques
      .filter((t) => t.technique_id !== undefined)
      .map((t) => ({
        technique_id: t.technique_id as string,
        ...(t.name !== undefined ? { name: t.name } : {}),
        tactics: t.tactics,
      }));
    const killChains = new Set(techniques.flatMap((t) => t.kill_chains));
    const obj = parse(l.actor);
    return navigatorLayer(
      {
        id,
        name: l.actor.name ?? id,
        ...(typeof obj.description === 'string' ? { description: obj.description } : {}),
      },
      layerTechniques,
      killChains,
    );
  }

  async compare(principal: Principal, ids: readonly string[]): Promise<Record<string, unknown>> {
    const scope = await this.scope(principal);
    const links = await Promise.all(ids.map((id) => this.actorLinks(scope, id)));
    const sets = {
      techniques: links.map((l) => this.techniques(l).map(({ kill_chains: _k, tactics: _t, ...n }) => n)),
      malware: links.map((l) => this.linked(l, 'uses', true, ['malware']).map(nodeOf)),
      tools: links.map((l) => this.linked(l, 'uses', true, ['tool']).map(nodeOf)),
    };
    const split = (perActor: NodeView[][]): { common: NodeView[]; only: Record<string, NodeView[]> } => {
      const idSets = perActor.map((ns) => new Set(ns.map((n) => n.id)));
      const common = (perActor[0] ?? []).filter((n) => idSets.every((s) => s.has(n.id))).sort(byName);
      const commonIds = new Set(common.map((n) => n.id));
      const only: Record<string, NodeView[]> = {};
      perActor.forEach((ns, i) => {
        only[ids[i] as string] = ns.filter((n) => !commonIds.has(n.id)).sort(byName);
      });
      return { common, only };
    };
    return {
      actors: links.map((l) => nodeOf(l.actor)),
      techniques: split(sets.techniques),
      malware: split(sets.malware),
      tools: split(sets.tools),
    };
  }

  async changes(principal: Principal, input: ChangesInput): Promise<{ changes: ChangeView[]; nextSeq?: number }> {
    const scope = (await this.scope(principal)).narrow(input.collection);
    if (scope.empty) return { changes: [] };
    const found = await this.intel.queryChanges(scope.intel, {
      since: input.since,
      ...(input.afterSeq !== undefined ? { afterSeq: input.afterSeq } : {}),
      limit: input.limit + 1,
    });
    const page = found.slice(0, input.limit);
    const ids = [...new Set(page.map((c) => c.id))];
    const names = mergeById(ids.length > 0 ? await this.intel.getLatest(scope.intel, ids) : []);
    const changes = page.map((c) => {
      const name = names.get(c.id)?.entry.name;
      const loc = scope.location(c.collectionId);
      return {
        id: c.id,
        type: c.type,
        ...(name !== undefined ? { name } : {}),
        kind: c.kind,
        ...(c.version !== undefined ? { version: c.version } : {}),
        at: formatMicros(c.at),
        api_root: loc.api_root,
        collection_id: c.collectionId,
      };
    });
    const last = page[page.length - 1];
    return { changes, ...(found.length > input.limit && last ? { nextSeq: last.seq } : {}) };
  }

  /**
   * The objects of an export, the latest readable version of each id once, as JSON text, a batch at
   * a time. At most EXPORT_MAX objects; `truncated` in the last batch says when more matched.
   */
  async *exportObjects(principal: Principal, input: ExportInput): AsyncGenerator<string[]> {
    const scope = (await this.scope(principal)).narrow(input.collection);
    if (scope.empty) return;
    const seen = new Set<string>();
    let count = 0;
    const take = (entries: readonly IntelEntry[]): string[] => {
      const out: string[] = [];
      for (const { entry } of mergeById(entries).values()) {
        if (seen.has(entry.id) || count >= EXPORT_MAX) continue;
        seen.add(entry.id);
        count++;
        out.push(entry.json);
      }
      return out;
    };
    if (input.ids !== undefined) {
      for (let i = 0; i < input.ids.length; i += 500) {
        yield take(await this.intel.getLatest(scope.intel, input.ids.slice(i, i + 500)));
      }
      return;
    }
    if (input.q !== undefined) {
      let cursor: string | undefined;
      do {
        const page = await this.intel.searchObjects(
          scope.intel,
          { text: input.q, ...(input.types ? { types: input.types } : {}) },
          500,
          cursor,
        );
        yield take(page.hits);
        cursor = page.next;
      } while (cursor !== undefined && count < EXPORT_MAX);
      return;
    }
    // By type and/or collection: each collection's latest versions, in date_added order.
    for (const r of scope.readable) {
      let after: number | undefined;
      for (;;) {
        const page = await this.objects.queryObjects(
          r.collection.id,
          {
            versions: { first: false, last: true, exact: [] },
            ...(input.types ? { types: input.types } : {}),
            deniedMarkings: r.deniedMarkings,
          },
          { limit: 1000, ...(after !== undefined ? { after } : {}) },
        );
        const out: string[] = [];
        for (const v of page.items) {
          if (seen.has(v.id) || count >= EXPORT_MAX) continue;
          seen.add(v.id);
          count++;
          out.push(typeof v.json === 'string' ? v.json : v.json.toString('utf8'));
        }
        yield out;
        const last = page.items[page.items.length - 1];
        if (!page.more || last === undefined || count >= EXPORT_MAX) break;
        after = last.dateAdded;
      }
      if (count >= EXPORT_MAX) return;
    }
  }
}
