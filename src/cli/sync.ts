// `palisade sync --from URL --collection C --to-api-root R --to-collection C2`: mirrors a collection
// of a remote TAXII 2.1 server into a local collection, incrementally.
//
// Each pass asks the remote for every version (match[version]=all, §3.4.1) added after the stored
// position (added_after, §3.4.2), in pages of --limit objects followed by `next` (§3.4.3), and puts
// each page through the ingestion queue as a TAXII POST by the CLI principal would (see
// queue-runner.ts), waiting until it is processed. The position is the X-TAXII-Date-Added-Last of
// the pages fully ingested (sync-state.ts). Several objects may share one date_added (a server may
// stamp a whole request with one time): a page's last time is stored only once the next page is
// seen to start later, or the pass has reached the end, so that resuming with added_after never
// skips the rest of a tie. What a cut run ingested past the stored position is fetched again and
// is a duplicate: nothing is stored twice and nothing is missed.
//
// Objects the local collection refuses (invalid, a different copy of the same version, the write
// policy) are reported with their reasons and the position moves past them, so that one bad object
// does not stop the mirror; the exit status is then 1.
import { randomUUID } from 'node:crypto';
import type { Container } from '../container.js';
import { envelopeEntries, type EnvelopeBounds } from '../ingest/ingest-service.js';
import { compareTimestamps, parseTimestamp } from '../stix/timestamps.js';
import { flag, str, UsageError, type Values } from './args.js';
import {
  CommandError,
  dataPrincipal,
  parseCommand,
  positiveInt,
  reportFailure,
  required,
  sleep,
  STORE_OPTIONS_USAGE,
  withContainer,
} from './data-common.js';
import { createProgress, progressMode, type Progress } from './progress.js';
import { addTallies, emptyTally, QueueRunner, type Tally } from './queue-runner.js';
import { SyncState, type SyncIdentity } from './sync-state.js';

export const SYNC_USAGE = `Usage: palisade sync --from URL --collection ID --to-api-root ROOT --to-collection ID [options]

Copies what a remote TAXII 2.1 collection holds (every version) into a local collection, through
the same ingestion queue as a TAXII POST, as the platform admin cli:<os user>. The position is
kept in the local store: the next run fetches only what the remote added since, and a run that
was cut short resumes where it stopped.

Options:
  --from URL           the remote API root URL, e.g. https://taxii.example/api1/
  --collection ID      the remote collection id
  --to-api-root ROOT   the local API root (its path segment)
  --to-collection ID   the local collection id
  --user USER          HTTP Basic authentication as USER, with the password in
  --password-env VAR     the environment variable VAR
  --token-env VAR      Bearer token authentication, the token in the environment variable VAR
  --limit N            objects asked for per page (default 1000)
  --interval SECONDS   sync again every SECONDS until SIGINT or SIGTERM
  --once               one pass, then exit (the default)
  --failures N         failure reasons listed per pass (default 10)
  --json               print the report of each pass as a JSON line
  --quiet              no progress on standard error
${STORE_OPTIONS_USAGE}

Exit status: 0 done, 1 the remote failed or some objects were refused, 2 usage error.
`;

const OPTIONS = {
  from: { type: 'string' },
  collection: { type: 'string' },
  'to-api-root': { type: 'string' },
  'to-collection': { type: 'string' },
  user: { type: 'string' },
  'password-env': { type: 'string' },
  'token-env': { type: 'string' },
  limit: { type: 'string' },
  interval: { type: 'string' },
  once: { type: 'boolean' },
  failures: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

const TAXII = 'application/taxii+json;version=2.1';
/** one request to the remote may take this long */
const REQUEST_TIMEOUT_MS = 120_000;

interface Settings {
  who: SyncIdentity;
  auth?: string;
  limit: number;
  intervalMs?: number;
  keep: number;
  json: boolean;
}

export async function runSync(argv: readonly string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, OPTIONS);
    if (values.help === true) {
      process.stdout.write(SYNC_USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0] as string}"`);
    const settings = settingsOf(values);
    const stop = new AbortController();
    const onSignal = (): void => {
      if (stop.signal.aborted) process.exit(130); // a second signal: at once
      process.stderr.write('palisade sync: stopping after the current page (again to stop at once)\n');
      stop.abort();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return await withContainer(values, (c) => syncLoop(c, settings, values, stop.signal));
  } catch (err) {
    return reportFailure(err, 'palisade sync', `Run palisade sync --help for usage.\n`);
  }
}

function settingsOf(values: Values): Settings {
  required(values, 'from', 'collection', 'to-api-root', 'to-collection');
  let url: URL;
  try {
    url = new URL(str(values, 'from') as string);
  } catch {
    throw new UsageError('--from takes the URL of the remote API root, e.g. https://taxii.example/api1/');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError('--from must be an http or https URL');
  if (url.search !== '' || url.hash !== '')
    throw new UsageError('--from takes the API root URL without query or fragment');
  if (!url.pathname.endsWith('/')) url.pathname += '/'; // TAXII 2.1 §1.6.1: URLs end with a slash
  const user = str(values, 'user');
  const passwordEnv = str(values, 'password-env');
  const tokenEnv = str(values, 'token-env');
  if (tokenEnv !== undefined && (user !== undefined || passwordEnv !== undefined))
    throw new UsageError('give either --user with --password-env or --token-env, not both');
  if ((user === undefined) !== (passwordEnv === undefined))
    throw new UsageError('--user and --password-env go together');
  let auth: string | undefined;
  if (tokenEnv !== undefined) auth = `Bearer ${secret(tokenEnv)}`;
  if (user !== undefined && passwordEnv !== undefined) {
    if (user.includes(':')) throw new UsageError('--user cannot contain ":" (HTTP Basic authentication)');
    auth = `Basic ${Buffer.from(`${user}:${secret(passwordEnv)}`, 'utf8').toString('base64')}`;
  }
  const interval = str(values, 'interval');
  if (interval !== undefined && flag(values, 'once')) throw new UsageError('give either --interval or --once');
  let intervalMs: number | undefined;
  if (interval !== undefined) {
    if (!/^\d+(\.\d+)?$/.test(interval) || Number(interval) <= 0)
      throw new UsageError('--interval takes a number of seconds above 0');
    intervalMs = Number(interval) * 1000;
  }
  return {
    who: {
      remoteUrl: url.toString(),
      remoteCollection: str(values, 'collection') as string,
      localApiRoot: str(values, 'to-api-root') as string,
      localCollection: str(values, 'to-collection') as string,
    },
    ...(auth !== undefined ? { auth } : {}),
    limit: positiveInt(values, 'limit', 1000, 100_000),
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    keep: positiveInt(values, 'failures', 10, 10_000),
    json: flag(values, 'json'),
  };
}

function secret(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new UsageError(`the environment variable ${name} is not set`);
  return v;
}

async function syncLoop(c: Container, s: Settings, values: Values, stop: AbortSignal): Promise<number> {
  const principal = dataPrincipal();
  const target = await c.services.ingest.target(principal, {
    apiRoot: s.who.localApiRoot,
    collection: s.who.localCollection,
  });
  const state = new SyncState(c.store.meta, s.who);
  c.start(); // this process's ingestion worker
  const remote = new Remote(s.who.remoteUrl, s.who.remoteCollection, s.auth, stop);
  const progress = createProgress(progressMode(flag(values, 'quiet')), 'sync');
  let failed = false;
  try {
    for (;;) {
      const runner = new QueueRunner(c, principal, target, `cli-${randomUUID()}`, QueueRunner.jobSizeFor(c), s.keep);
      let outcome: PassOutcome;
      try {
        outcome = await pass(c, s, remote, state, runner, progress, stop);
      } catch (err) {
        if (err instanceof Stopped) break; // stopped before any page of this pass
        throw err;
      }
      progress.stop();
      failed ||= outcome.tally.failed > 0;
      if (s.intervalMs === undefined || outcome.tally.total > 0 || stop.aborted) print(outcome, s.json);
      if (s.intervalMs === undefined || stop.aborted) break;
      await sleep(s.intervalMs, stop);
      if (stop.aborted) break;
    }
  } finally {
    progress.stop();
  }
  return failed ? 1 : 0;
}

interface PassOutcome {
  tally: Tally;
  position?: string;
  stopped: boolean;
}

async function pass(
  c: Container,
  s: Settings,
  remote: Remote,
  state: SyncState,
  runner: QueueRunner,
  progress: Progress,
  stop: AbortSignal,
): Promise<PassOutcome> {
  const start = await state.load();
  const title = await remote.collectionTitle();
  let fetched = 0;
  let total = start?.fetched ?? 0;
  let saved = start?.addedLast;
  /** the last date_added of the pages ingested, not yet known to be safe to store */
  let unsaved: string | undefined;
  const save = async (addedLast: string): Promise<void> => {
    await state.save({ ...(title !== undefined ? { remoteTitle: title } : {}), addedLast, fetched: total });
    saved = addedLast;
  };
  const bounds: EnvelopeBounds = { ...c.config.ingest, maxObjectsPerEnvelope: Number.MAX_SAFE_INTEGER };
  // The filters stay those of the first request of the pass: `next` belongs to them (§3.4.3).
  const from = start?.addedLast;
  let next: string | undefined;
  let page = 0;
  while (!stop.aborted) {
    let got: ObjectsPage;
    try {
      got = await remote.objects(s.limit, from, next);
    } catch (err) {
      if (err instanceof Stopped) break;
      throw err;
    }
    if (got.count > 0) {
      if (unsaved !== undefined && got.first !== undefined && compareTimestamps(got.first, unsaved) > 0) {
        await save(unsaved);
        unsaved = undefined;
      }
      if (got.last === undefined)
        throw new CommandError(
          `${remote.objectsUrl}: the answer has objects but no valid X-TAXII-Date-Added-Last header (TAXII 2.1 §5.4), so no position can be kept`,
        );
      const label = `page ${++page}`;
      await runner.queue(label, envelopeEntries(oneChunk(got.body), bounds), () => {
        fetched++;
        progress.update(fetched, 0, 'sync');
      });
      await runner.waitAll((n) => progress.update(fetched, n, 'sync'));
      total += got.count;
      if (unsaved === undefined || compareTimestamps(got.last, unsaved) > 0) unsaved = got.last;
    }
    if (!got.more || got.next === undefined) {
      if (unsaved !== undefined) await save(unsaved);
      unsaved = undefined;
      break;
    }
    next = got.next;
  }
  // Stopped between pages: what is ingested stays, and the position is the last safe one.
  let tally = emptyTally();
  for (let i = 1; i <= page; i++) tally = addTallies(tally, runner.tally(`page ${i}`), s.keep);
  return { tally, ...(saved !== undefined ? { position: saved } : {}), stopped: stop.aborted };
}

async function* oneChunk(body: Buffer): AsyncIterable<Uint8Array> {
  yield body;
}

function print(o: PassOutcome, json: boolean): void {
  const t = o.tally;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ...t, position: o.position ?? null, stopped: o.stopped })}\n`);
    return;
  }
  const lines = [
    `${t.total} objects fetched: ${t.added} added, ${t.duplicate} duplicate${t.stored > 0 ? `, ${t.stored} stored (added or already present)` : ''}, ${t.failed} failed; position ${o.position ?? '(start)'}${o.stopped ? ' (stopped)' : ''}`,
  ];
  for (const f of t.failures) lines.push(`  failed ${f.id}${f.version ? ` (${f.version})` : ''}: ${f.message ?? ''}`);
  if (t.failed > t.failures.length) lines.push(`  … and ${t.failed - t.failures.length} more failures`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** A request cut by SIGINT or SIGTERM: the pass ends where it stands. */
class Stopped extends Error {}

interface ObjectsPage {
  body: Buffer;
  count: number;
  more: boolean;
  next?: string;
  first?: string;
  last?: string;
}

/** A collection of a remote TAXII 2.1 API root, read with the TAXII media type. */
class Remote {
  readonly objectsUrl: string;
  private readonly collectionUrl: string;

  constructor(
    root: string,
    collection: string,
    private readonly auth: string | undefined,
    private readonly stop: AbortSignal,
  ) {
    this.collectionUrl = new URL(`collections/${encodeURIComponent(collection)}/`, root).toString();
    this.objectsUrl = `${this.collectionUrl}objects/`;
  }

  /** §5.2: the collection must exist and be readable; its title is kept with the position. */
  async collectionTitle(): Promise<string | undefined> {
    const { body } = await this.get(this.collectionUrl);
    const info = parseJson(body, this.collectionUrl);
    if (typeof info !== 'object' || info === null || Array.isArray(info))
      throw new CommandError(`${this.collectionUrl}: the answer is not a TAXII collection resource`);
    const c = info as Record<string, unknown>;
    if (c.can_read === false)
      throw new CommandError(
        `${this.collectionUrl}: the remote says this collection cannot be read by this account (can_read false)`,
      );
    return typeof c.title === 'string' ? c.title : undefined;
  }

  async objects(limit: number, addedAfter: string | undefined, next: string | undefined): Promise<ObjectsPage> {
    const q = new URLSearchParams();
    q.set('limit', String(limit));
    q.set('match[version]', 'all');
    if (addedAfter !== undefined) q.set('added_after', addedAfter);
    if (next !== undefined) q.set('next', next);
    const url = `${this.objectsUrl}?${q.toString()}`;
    const { body, headers } = await this.get(url);
    const envelope = parseJson(body, this.objectsUrl);
    if (typeof envelope !== 'object' || envelope === null || Array.isArray(envelope))
      throw new CommandError(`${this.objectsUrl}: the answer is not a TAXII envelope`);
    const e = envelope as Record<string, unknown>;
    const objects = e.objects ?? [];
    if (!Array.isArray(objects)) throw new CommandError(`${this.objectsUrl}: the envelope's objects is not a list`);
    if (e.more !== undefined && typeof e.more !== 'boolean')
      throw new CommandError(`${this.objectsUrl}: the envelope's more is not true or false`);
    if (e.next !== undefined && typeof e.next !== 'string')
      throw new CommandError(`${this.objectsUrl}: the envelope's next is not a string`);
    return {
      body,
      count: objects.length,
      more: e.more === true,
      ...(typeof e.next === 'string' && e.next !== '' ? { next: e.next } : {}),
      ...timeHeader('first', headers.get('x-taxii-date-added-first')),
      ...timeHeader('last', headers.get('x-taxii-date-added-last')),
    };
  }

  private async get(url: string): Promise<{ body: Buffer; headers: Headers }> {
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { Accept: TAXII, ...(this.auth !== undefined ? { Authorization: this.auth } : {}) },
        redirect: 'error',
        signal: AbortSignal.any([this.stop, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]),
      });
    } catch (err) {
      if (this.stop.aborted) throw new Stopped();
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CommandError(`${url}: cannot reach the remote (${why})`);
    }
    const body = Buffer.from(await res.arrayBuffer());
    if (!res.ok)
      throw new CommandError(`${url}: the remote answered ${res.status} ${res.statusText}${explain(res.status, body)}`);
    return { body, headers: res.headers };
  }
}

function parseJson(body: Buffer, url: string): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new CommandError(`${url}: the answer is not JSON (${(err as Error).message})`);
  }
}

/** The reason a remote gives in a TAXII error message (§3.6.1), and a hint for the usual ones. */
function explain(status: number, body: Buffer): string {
  let reason = '';
  try {
    const e = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const parts = [e.title, e.description].filter((x): x is string => typeof x === 'string' && x !== '');
    // A remote's text must not drive the terminal: control characters become spaces.
    // eslint-disable-next-line no-control-regex
    const controls = /[\u0000-\u001f\u007f]/g;
    if (parts.length > 0) reason = `: ${parts.join(': ').replace(controls, ' ').slice(0, 500)}`;
  } catch {
    // not a TAXII error message: the status says enough
  }
  const hint =
    status === 401
      ? ' (check --user and --password-env, or --token-env)'
      : status === 403
        ? ' (this account may not read the collection)'
        : status === 404
          ? ' (check --from and --collection)'
          : '';
  return `${reason}${hint}`;
}

function timeHeader(key: 'first' | 'last', value: string | null): Partial<Record<'first' | 'last', string>> {
  return value !== null && parseTimestamp(value.trim()) !== undefined ? { [key]: value.trim() } : {};
}
