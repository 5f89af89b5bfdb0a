// The benchmark's TAXII 2.1 client: the same requests against Palisade and the peers, over
// keep-alive connections on loopback, with a timeout on every request (peers can take minutes).
import { Agent, request, type ClientRequest } from 'node:http';

export const TAXII = 'application/taxii+json;version=2.1';

/** one server under test, as the client sees it */
export interface Target {
  name: string;
  port: number;
  pid: number;
  /** the discovery path (§4.1) */
  discovery: string;
  /** the API root path, with its trailing slash (§4.2) */
  root: string;
  /** collection ids by the benchmark's name for them */
  collections: Record<string, string>;
  user: string;
  password: string;
}

export interface Reply {
  status: number;
  body: Buffer;
  headers: Record<string, string | string[] | undefined>;
}

const EMPTY = Buffer.alloc(0);

/** Takes a response body chunk by chunk instead of the whole body (Reply.body is then empty). */
export interface BodySink {
  push(chunk: Buffer): void;
  /** the sink for a second attempt of the same request (the first one's chunks are dropped) */
  fresh(): BodySink;
}

export class Client {
  readonly agent: Agent;
  private readonly auth: string;
  /** requests awaiting their answer, so that abort() can end them */
  private readonly open = new Set<ClientRequest>();
  /** set by abort(): every request in flight and every later one fails with it */
  private aborted: Error | undefined;

  constructor(
    readonly target: Target,
    readonly timeoutMs: number,
    sockets = 8,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: sockets });
    this.auth = `Basic ${Buffer.from(`${target.user}:${target.password}`).toString('base64')}`;
  }

  /**
   * One request. A request sent on a kept-alive socket that the server closed at that moment fails
   * with ECONNRESET before any answer (the server never saw it): it is sent once more, on a new
   * socket, as Node's documentation advises for reused sockets.
   */
  async call(method: string, path: string, body?: Buffer, sink?: BodySink): Promise<Reply> {
    if (this.aborted) throw this.aborted;
    try {
      return await this.once(method, path, body, sink);
    } catch (err) {
      if ((err as { retry?: boolean }).retry && !this.aborted) return this.once(method, path, body, sink?.fresh());
      throw err;
    }
  }

  private once(method: string, path: string, body?: Buffer, sink?: BodySink): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.target.port,
          method,
          path,
          agent: this.agent,
          headers: {
            Accept: TAXII,
            Authorization: this.auth,
            ...(body ? { 'Content-Type': TAXII, 'Content-Length': body.length } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', sink ? (c: Buffer) => sink.push(c) : (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: sink ? EMPTY : Buffer.concat(chunks),
              headers: res.headers,
            }),
          );
          res.on('error', reject);
        },
      );
      this.open.add(req);
      req.once('close', () => this.open.delete(req));
      req.setTimeout(this.timeoutMs, () =>
        req.destroy(new Error(`${this.target.name}: ${method} ${path.slice(0, 120)} took over ${this.timeoutMs} ms`)),
      );
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (req.reusedSocket && err.code === 'ECONNRESET') Object.assign(err, { retry: true });
        reject(err);
      });
      req.end(body);
    });
  }

  objectsPath(collection: string): string {
    const id = this.target.collections[collection];
    if (!id) throw new Error(`${this.target.name} has no collection ${collection}`);
    return `${this.target.root}collections/${id}/objects/`;
  }

  close(): void {
    this.agent.destroy();
  }

  get isAborted(): boolean {
    return this.aborted !== undefined;
  }

  /**
   * Ends the work of this client for good (a row ran out of its time budget): the requests in
   * flight fail with `reason` at once instead of waiting for their answer, and so does every later
   * call, so the loops of ingest and walk stop at their next request.
   */
  abort(reason: Error): void {
    this.aborted ??= reason;
    for (const req of this.open) req.destroy(this.aborted);
    this.open.clear();
    this.agent.destroy();
  }
}

interface StatusResource {
  id: string;
  status: string;
  total_count?: number;
  success_count?: number;
  failure_count?: number;
  pending_count?: number;
  failures?: { id: string; message?: string }[];
}

export interface IngestResult {
  objects: number;
  seconds: number;
  succeeded: number;
  failed: number;
  firstFailure?: string;
}

/**
 * POSTs the envelopes one after the other (TAXII 2.1 §5.5) and waits until every status resource
 * (§4.3) says complete; the time runs from the first POST to the last complete status. At most
 * `window` envelopes are unfinished at a time: a client mirroring a feed does not queue without
 * bound, and a server that answers 202 early cannot hide a backlog behind it.
 */
export async function ingest(
  c: Client,
  collection: string,
  bodies: { body: Buffer; count: number }[],
  window = 4,
): Promise<IngestResult> {
  const path = c.objectsPath(collection);
  const open: StatusResource[] = [];
  let succeeded = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let objects = 0;
  const settle = (s: StatusResource): void => {
    succeeded += s.success_count ?? 0;
    failed += s.failure_count ?? 0;
    if (!firstFailure && (s.failure_count ?? 0) > 0) firstFailure = JSON.stringify(s.failures?.[0] ?? s).slice(0, 300);
  };
  const finish = async (s: StatusResource): Promise<void> => {
    let delay = 10;
    let cur = s;
    while (cur.status !== 'complete') {
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(100, delay * 2);
      const r = await c.call('GET', `${c.target.root}status/${cur.id}/`);
      if (r.status !== 200)
        throw new Error(`${c.target.name}: status ${cur.id} answered ${r.status}: ${r.body.toString().slice(0, 300)}`);
      cur = JSON.parse(r.body.toString('utf8')) as StatusResource;
    }
    settle(cur);
  };
  const t0 = performance.now();
  for (const b of bodies) {
    while (open.length >= window) await finish(open.shift() as StatusResource);
    const r = await c.call('POST', path, b.body);
    if (r.status !== 202 && r.status !== 200)
      throw new Error(`${c.target.name}: POST answered ${r.status}: ${r.body.toString().slice(0, 400)}`);
    objects += b.count;
    open.push(JSON.parse(r.body.toString('utf8')) as StatusResource);
  }
  while (open.length > 0) await finish(open.shift() as StatusResource);
  return {
    objects,
    seconds: (performance.now() - t0) / 1000,
    succeeded,
    failed,
    ...(firstFailure ? { firstFailure } : {}),
  };
}

const SPEC = Buffer.from('"spec_version"');
/** how far into a page, from either end, its `next` is looked for */
const EDGE = 2048;

/** top-level STIX objects in a page: each has exactly one spec_version; nested structures have none */
function countObjects(body: Buffer): number {
  let n = 0;
  for (let i = body.indexOf(SPEC); i >= 0; i = body.indexOf(SPEC, i + SPEC.length)) n++;
  return n;
}

/** the `next` of an envelope, looked for at its head and its tail (servers put it either side) */
function nextOf(body: Buffer): string | undefined {
  return nextIn(body.subarray(0, EDGE), body.subarray(Math.max(0, body.length - EDGE)));
}

function nextIn(head: Buffer, tail: Buffer): string | undefined {
  const re = /"next"\s*:\s*"([^"]+)"/;
  return re.exec(head.toString('latin1'))?.[1] ?? re.exec(tail.toString('latin1'))?.[1];
}

/**
 * A page read as it arrives, as a client that streams pages to disk would: objects counted and the
 * head and tail kept for `next`, without joining the chunks into one buffer per page. Joining them
 * made the walking client allocate a megabyte per page, and its garbage collection cost it more
 * than twice the CPU per object (measured: 6 to 8 µs against 2.5 to 3.8) once the bench process
 * held the envelopes of the ingest rows.
 */
export class PageScan implements BodySink {
  objects = 0;
  bytes = 0;
  private head = EMPTY;
  private tail = EMPTY;
  /** the last bytes of the previous chunk: a key split between two chunks is still counted */
  private carry = EMPTY;

  push(c: Buffer): void {
    this.bytes += c.length;
    if (this.head.length < EDGE) this.head = Buffer.concat([this.head, c.subarray(0, EDGE - this.head.length)]);
    this.tail =
      c.length >= EDGE ? Buffer.from(c.subarray(c.length - EDGE)) : Buffer.concat([this.tail, c]).subarray(-EDGE);
    if (this.carry.length > 0) {
      // neither part can hold the whole key (each is shorter): a match here spans the boundary
      const joint = Buffer.concat([this.carry, c.subarray(0, SPEC.length - 1)]);
      if (joint.indexOf(SPEC) >= 0) this.objects++;
    }
    this.objects += countObjects(c);
    const keep = SPEC.length - 1;
    this.carry =
      c.length >= keep ? Buffer.from(c.subarray(c.length - keep)) : Buffer.concat([this.carry, c]).subarray(-keep);
  }

  next(): string | undefined {
    return nextIn(this.head, this.tail);
  }

  /** the start of the body, for an error message */
  start(): string {
    return this.head.toString('utf8', 0, 300);
  }

  /** starts over, for a request sent again */
  fresh(): this {
    this.objects = 0;
    this.bytes = 0;
    this.head = this.tail = this.carry = EMPTY;
    return this;
  }
}

export interface WalkResult {
  objects: number;
  pages: number;
  seconds: number;
  bytes: number;
  /** X-TAXII-Date-Added-Last of every page, for later jumps into the collection with added_after */
  marks: string[];
}

/**
 * Reads a whole collection in pages of `limit` by following `next` (§3.4), without parsing the
 * pages (a client that only stores them); objects are counted by their spec_version key.
 */
export async function walk(c: Client, collection: string, limit: number, query = ''): Promise<WalkResult> {
  const base = `${c.objectsPath(collection)}?limit=${limit}${query}`;
  let next: string | undefined;
  let objects = 0;
  let pages = 0;
  let bytes = 0;
  const marks: string[] = [];
  const t0 = performance.now();
  for (;;) {
    const scan = new PageScan();
    const r = await c.call('GET', next ? `${base}&next=${encodeURIComponent(next)}` : base, undefined, scan);
    if (r.status !== 200) throw new Error(`${c.target.name}: page ${pages + 1} answered ${r.status}: ${scan.start()}`);
    pages++;
    bytes += scan.bytes;
    objects += scan.objects;
    const mark = r.headers['x-taxii-date-added-last'];
    if (typeof mark === 'string') marks.push(mark);
    next = scan.next();
    if (!next) break;
  }
  return { objects, pages, seconds: (performance.now() - t0) / 1000, bytes, marks };
}

/**
 * Latencies of `samples` first pages and `samples` pages reached through `next` from a point deep
 * in the collection (added_after = a date_added from its middle and from 90 % in, §3.4.2).
 */
export async function pageLatencies(
  c: Client,
  collection: string,
  query: string,
  samples: number,
  deepMarks: string[],
): Promise<{ first: number[]; deep: number[] }> {
  const base = `${c.objectsPath(collection)}?limit=100${query}`;
  const timed = async (path: string): Promise<Reply> => {
    const t = performance.now();
    const r = await c.call('GET', path);
    if (r.status !== 200)
      throw new Error(`${c.target.name}: ${path} answered ${r.status}: ${r.body.toString().slice(0, 300)}`);
    (r as Reply & { ms?: number }).ms = performance.now() - t;
    return r;
  };
  const ms = (r: Reply): number => (r as Reply & { ms: number }).ms;
  await timed(base); // warm
  const first: number[] = [];
  for (let i = 0; i < samples; i++) first.push(ms(await timed(base)));
  const deep: number[] = [];
  let m = 0;
  while (deep.length < samples) {
    const mark = deepMarks[m++ % Math.max(1, deepMarks.length)];
    let r = await timed(mark ? `${base}&added_after=${encodeURIComponent(mark)}` : base);
    deep.push(ms(r));
    for (let k = 0; k < 9 && deep.length < samples; k++) {
      const next = nextOf(r.body);
      if (!next) break;
      r = await timed(
        `${base}${mark ? `&added_after=${encodeURIComponent(mark)}` : ''}&next=${encodeURIComponent(next)}`,
      );
      deep.push(ms(r));
    }
  }
  return { first, deep };
}

/**
 * The analyst index's backlog from /metrics (palisade_analyst_index_backlog): changes stored but
 * not yet applied to the index. The bench's servers allow anonymous scrapes on the loopback.
 */
export function indexBacklog(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'GET', path: '/metrics' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const m = /^palisade_analyst_index_backlog (\d+)$/m.exec(Buffer.concat(chunks).toString());
        if (res.statusCode === 200 && m) resolve(Number(m[1]));
        else reject(new Error(`GET /metrics answered ${res.statusCode ?? '?'} without the index backlog`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * Waits until the analyst index has applied everything stored (a SQLite server applies it after
 * the writes, when idle); returns the backlog found first and the seconds it took to reach 0.
 */
export async function indexSettled(port: number, timeoutMs = 600_000): Promise<{ backlog: number; seconds: number }> {
  const t0 = performance.now();
  const backlog = await indexBacklog(port);
  for (let n = backlog; n > 0; n = await indexBacklog(port)) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`the analyst index still had ${n} changes to apply`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { backlog, seconds: (performance.now() - t0) / 1000 };
}
