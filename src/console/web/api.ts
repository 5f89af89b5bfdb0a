// The console's only data source: the analyst API under /api/v1/. Credentials live in
// sessionStorage (one browser tab, gone when it closes) and go with every request; nothing the API
// returns is cached by the console or by the browser (`cache: 'no-store'`), so what one user saw is
// never shown to the next one after a logout.

const KEY = 'palisade.console.auth';

export type Credentials = { kind: 'basic'; username: string; password: string } | { kind: 'token'; token: string };

export interface Me {
  username: string;
  role: string;
  tenant?: string;
}

export interface Location {
  api_root: string;
  collection_id: string;
  collection_title: string;
  tenant?: string;
}

export interface NodeRef {
  id: string;
  type: string;
  name?: string;
  revoked?: boolean;
}

export interface SearchHit {
  id: string;
  type: string;
  name?: string;
  revoked: boolean;
  modified?: string;
  field: string;
  snippet: string;
  score: number;
  locations: Location[];
}

export interface SearchPage {
  hits: SearchHit[];
  next?: string;
}

export interface CollectionInfo {
  api_root: string;
  id: string;
  title: string;
  description?: string;
  can_read: boolean;
  can_write: boolean;
  objects: number;
}

export interface ObjectView {
  object: Record<string, unknown> & { id: string; type: string };
  locations: Location[];
  versions: { version: string; date_added: string; collection_id: string }[];
  revoked: boolean;
  revoked_by?: NodeRef;
}

export interface GraphNode extends NodeRef {
  depth: 0 | 1 | 2;
}

export interface GraphEdge {
  source: string;
  target: string;
  kind: 'relationship' | 'sighting' | 'ref';
  label: string;
  via?: string;
}

export interface Neighbors {
  root: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
}

export interface Change {
  id: string;
  type: string;
  name?: string;
  kind: string;
  version?: string;
  at: string;
  api_root?: string;
  collection_id?: string;
}

export interface Technique extends NodeRef {
  technique_id?: string;
  tactics: string[];
}

/** One entry of an actor's own history (its versions and revocation). */
export interface ActorChange {
  kind: string;
  version?: string;
  at: string;
  collection_id: string;
}

export interface ActorView {
  actor: NodeRef & {
    aliases: string[];
    goals?: string[];
    description?: string;
    first_seen?: string;
    last_seen?: string;
    external_ids: string[];
  };
  attributed_to: NodeRef[];
  /** actors attributed to this one */
  attributed_actors?: NodeRef[];
  campaigns: NodeRef[];
  malware: NodeRef[];
  tools: NodeRef[];
  techniques: Technique[];
  targets: { identities: NodeRef[]; locations: NodeRef[]; sectors: string[]; vulnerabilities: NodeRef[] };
  indicators: number;
  changes: ActorChange[];
  revoked?: boolean;
  revoked_by?: NodeRef;
  sources: Location[];
}

/** A problem document from the API (or a network failure), ready to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }
}

export function loadCredentials(): Credentials | undefined {
  const raw = sessionStorage.getItem(KEY);
  if (!raw) return undefined;
  try {
    const c = JSON.parse(raw) as Credentials;
    if (c.kind === 'basic' && typeof c.username === 'string' && typeof c.password === 'string') return c;
    if (c.kind === 'token' && typeof c.token === 'string') return c;
  } catch {
    // a damaged entry is treated as no login
  }
  sessionStorage.removeItem(KEY);
  return undefined;
}

export function saveCredentials(c: Credentials): void {
  sessionStorage.setItem(KEY, JSON.stringify(c));
}

export function forgetCredentials(): void {
  sessionStorage.removeItem(KEY);
}

/** RFC 7617 Basic credentials: user-id ":" password, UTF-8, then base64. */
function basic(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

export function authorization(c: Credentials): string {
  return c.kind === 'basic' ? basic(c.username, c.password) : `Bearer ${c.token}`;
}

/** Called on every 401: the app returns to the login form. */
let onUnauthorized: (message: string) => void = () => undefined;
export function whenUnauthorized(f: (message: string) => void): void {
  onUnauthorized = f;
}

/** Every request in flight, so that a logout can cancel them all. */
const inFlight = new Set<AbortController>();
export function abortAll(): void {
  for (const c of inFlight) c.abort();
  inFlight.clear();
}

async function problemOf(res: Response): Promise<ApiError> {
  let title = res.statusText || `HTTP ${res.status}`;
  let detail = '';
  try {
    const body = (await res.json()) as { title?: unknown; detail?: unknown; description?: unknown };
    if (typeof body.title === 'string') title = body.title;
    if (typeof body.detail === 'string') detail = body.detail;
    else if (typeof body.description === 'string') detail = body.description;
  } catch {
    // not a problem document: the status line is all there is
  }
  return new ApiError(res.status, title, detail);
}

/** GETs a path under /api/v1/ with the stored credentials; 401 sends the user back to the login form. */
export async function request(path: string, signal?: AbortSignal, creds = loadCredentials()): Promise<Response> {
  if (!creds) {
    onUnauthorized('Please sign in.');
    throw new ApiError(401, 'Authentication required', 'Please sign in.');
  }
  const ctl = new AbortController();
  const abort = (): void => ctl.abort();
  signal?.addEventListener('abort', abort);
  inFlight.add(ctl);
  try {
    let res: Response;
    try {
      res = await fetch(`/api/v1/${path}`, {
        headers: { Authorization: authorization(creds), Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
        signal: ctl.signal,
      });
    } catch (err) {
      if (ctl.signal.aborted) throw err;
      throw new ApiError(0, 'Network error', 'The server could not be reached.');
    }
    if (res.status === 401) {
      const p = await problemOf(res);
      onUnauthorized(p.detail || 'Your session is no longer valid. Please sign in again.');
      throw p;
    }
    if (!res.ok) throw await problemOf(res);
    return res;
  } finally {
    inFlight.delete(ctl);
    signal?.removeEventListener('abort', abort);
  }
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  const res = await request(path, signal);
  return (await res.json()) as T;
}

/** Checks credentials before they are stored: resolves with the user, or rejects with the problem. */
export async function signIn(c: Credentials): Promise<Me> {
  const res = await fetch('/api/v1/me', {
    headers: { Authorization: authorization(c), Accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
  }).catch(() => {
    throw new ApiError(0, 'Network error', 'The server could not be reached.');
  });
  if (!res.ok) throw await problemOf(res);
  return (await res.json()) as Me;
}

export const isAbort = (err: unknown): boolean => err instanceof DOMException && err.name === 'AbortError';

/** Query string from pairs, leaving out empty values. */
export function qs(params: Record<string, string | number | undefined | string[]>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === '') continue;
    if (Array.isArray(v)) for (const x of v) u.append(k, x);
    else u.append(k, String(v));
  }
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** Saves bytes as a file through a temporary object URL and a download link. */
export function saveFile(data: Blob, filename: string): void {
  const url = URL.createObjectURL(data);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** The file name from a Content-Disposition header (RFC 6266 filename="…"), or a fallback. */
export function filenameOf(res: Response, fallback: string): string {
  const cd = res.headers.get('Content-Disposition') ?? '';
  const m = /filename="([^"]+)"/i.exec(cd) ?? /filename=([^;\s]+)/i.exec(cd);
  const name = m?.[1]?.replace(/[\\/]/g, '_');
  return name || fallback;
}

/** Downloads an API resource (an export or a Navigator layer) as a file. */
export async function download(path: string, fallback: string): Promise<void> {
  const res = await request(path);
  saveFile(await res.blob(), filenameOf(res, fallback));
}

/** URL length budget for one export request: Node refuses request heads beyond 16 KiB. */
const MAX_IDS_QUERY = 6000;

/**
 * Exports a set of objects by id as one STIX bundle. Long id lists are split over several
 * /export?ids= requests (each URL stays well under the server's header limit) and the objects the
 * API returned are put together into one bundle, each (id, modified) once.
 */
export async function exportIds(ids: string[], filename: string): Promise<void> {
  const unique = [...new Set(ids)];
  const chunks: string[][] = [];
  let cur: string[] = [];
  let len = 0;
  for (const id of unique) {
    if (cur.length > 0 && len + id.length + 3 > MAX_IDS_QUERY) {
      chunks.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(id);
    len += encodeURIComponent(id).length + 3;
  }
  if (cur.length > 0) chunks.push(cur);
  if (chunks.length === 1) {
    await download(`export${qs({ ids: (chunks[0] ?? []).join(',') })}`, filename);
    return;
  }
  const seen = new Set<string>();
  const objects: unknown[] = [];
  for (const chunk of chunks) {
    const res = await request(`export${qs({ ids: chunk.join(',') })}`);
    const bundle = (await res.json()) as { objects?: { id?: string; modified?: string }[] };
    for (const o of bundle.objects ?? []) {
      const key = `${o.id ?? ''}|${o.modified ?? ''}`;
      if (seen.has(key)) continue;
      seen.add(key);
      objects.push(o);
    }
  }
  const bundle = { type: 'bundle', id: `bundle--${uuid4()}`, objects };
  saveFile(new Blob([JSON.stringify(bundle)], { type: 'application/stix+json;version=2.1' }), filename);
}

/** A random UUID (version 4); crypto.randomUUID exists only in secure contexts, this does not. */
function uuid4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
