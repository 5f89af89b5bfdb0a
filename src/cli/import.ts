// `palisade import FILE|DIR|- --api-root R --collection C`: loads STIX 2.1 bundles or TAXII 2.1
// envelopes (both carry `objects`) into a collection through the ingestion queue, exactly as a
// TAXII POST (§5.5) by the CLI principal would be: same validation, write policy, status records
// and audit. Files are streamed (src/ingest/envelope-reader.ts): memory stays bounded whatever
// their size. A DIR imports its *.json files in name order; `-` reads standard input.
//
// A file is read twice: once to check that it is one JSON envelope (and to count its objects for
// the progress bar), then to queue its objects, so that a malformed file adds nothing, as a
// malformed POST body adds nothing. Standard input can be read only once: its objects are queued
// as they are read, and what was queued before a syntax error stays queued (the report says so).
//
// Exit status: 0 nothing failed, 1 some objects (or files) failed, 2 called the wrong way.
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container } from '../container.js';
import { envelopeEntries, type EnvelopeBounds } from '../ingest/ingest-service.js';
import { DEFAULT_ENVELOPE_DEPTH, readEnvelopeBatches } from '../ingest/envelope-reader.js';
import { flag, str, UsageError, type Values } from './args.js';
import {
  CommandError,
  dataPrincipal,
  parseCommand,
  positiveInt,
  reportFailure,
  required,
  STORE_OPTIONS_USAGE,
  withContainer,
} from './data-common.js';
import { createProgress, progressMode } from './progress.js';
import { addTallies, emptyTally, QueueRunner, type Tally } from './queue-runner.js';

export const IMPORT_USAGE = `Usage: palisade import FILE|DIR|- --api-root ROOT --collection ID [options]

Adds the objects of STIX 2.1 bundles or TAXII 2.1 envelopes to a collection, through the same
ingestion queue, validation and write policy as a TAXII POST, as the platform admin cli:<os user>.
DIR imports every *.json file in it (in name order); - reads standard input. Works while a server
runs on the same store. Reports added, duplicate and failed objects per file and in total.

Options:
  --api-root ROOT    the API root (its path segment)
  --collection ID    the collection id
  --failures N       failure reasons listed per file (default 10)
  --json             print the report as JSON
  --quiet            no progress on standard error
${STORE_OPTIONS_USAGE}

Exit status: 0 nothing failed, 1 some objects or files failed, 2 usage error.
`;

const OPTIONS = {
  'api-root': { type: 'string' },
  collection: { type: 'string' },
  failures: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

interface FileReport extends Tally {
  file: string;
  /** why the file could not be read as a whole (nothing of it was imported, but for stdin) */
  error?: string;
}

export async function runImport(argv: readonly string[]): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, OPTIONS);
    if (values.help === true) {
      process.stdout.write(IMPORT_USAGE);
      return 0;
    }
    required(values, 'api-root', 'collection');
    if (positionals.length !== 1)
      throw new UsageError(positionals.length === 0 ? 'missing FILE, DIR or -' : 'give one FILE, DIR or -');
    const keep = positiveInt(values, 'failures', 10, 10_000);
    const sources = await listSources(positionals[0] as string);
    return await withContainer(values, (c) => importAll(c, values, sources, keep));
  } catch (err) {
    return reportFailure(err, 'palisade import', `Run palisade import --help for usage.\n`);
  }
}

/** The files to read, in order: one file, the *.json files of a directory, or standard input. */
async function listSources(arg: string): Promise<string[]> {
  if (arg === '-') return ['-'];
  let st;
  try {
    st = await stat(arg);
  } catch {
    throw new CommandError(`${arg}: no such file or directory`);
  }
  if (!st.isDirectory()) return [arg];
  const names = (await readdir(arg, { withFileTypes: true }))
    .filter((d) => d.isFile() && d.name.toLowerCase().endsWith('.json'))
    .map((d) => d.name)
    .sort();
  if (names.length === 0) throw new CommandError(`${arg}: the directory holds no *.json file`);
  return names.map((n) => join(arg, n));
}

async function importAll(c: Container, values: Values, sources: string[], keep: number): Promise<number> {
  const principal = dataPrincipal();
  const target = await c.services.ingest.target(principal, {
    apiRoot: str(values, 'api-root') as string,
    collection: str(values, 'collection') as string,
  });
  c.start(); // this process's ingestion worker
  const runner = new QueueRunner(c, principal, target, `cli-${randomUUID()}`, QueueRunner.jobSizeFor(c), keep);
  const bounds: EnvelopeBounds = {
    ...c.config.ingest,
    // A file is not a request: max_objects_per_envelope bounds one POST, and the file is cut into
    // jobs anyway. max_object_bytes and max_depth still apply to each object.
    maxObjectsPerEnvelope: Number.MAX_SAFE_INTEGER,
  };
  const progress = createProgress(progressMode(flag(values, 'quiet')), 'import');
  const reports: FileReport[] = [];
  let read = 0; // objects queued so far
  let known = 0; // objects counted by the first reading of the files so far
  let processed = 0;
  const shown = (): number => Math.max(read, known);
  // Statuses are read while files are being queued, for the progress display.
  const ticker = setInterval(() => {
    runner.poll().then(
      (n) => {
        processed = n;
        progress.update(shown(), processed, 'import');
      },
      () => undefined,
    );
  }, 500);
  try {
    for (const source of sources) {
      const label = source === '-' ? 'standard input' : source;
      const report: FileReport = { file: label, ...emptyTally() };
      reports.push(report);
      try {
        // The first reading: the whole file is one envelope, or nothing of it is queued.
        if (source !== '-') known += await countObjects(source, bounds);
        await runner.queue(label, envelopeEntries(open(source), bounds), () => {
          read++;
        });
      } catch (err) {
        report.error = describe(err);
        const queued = runner.queuedCount(label);
        if (queued > 0) report.error += ` (the ${queued} objects read before it were queued and are imported)`;
      }
    }
    await runner.waitAll((n) => progress.update(shown(), (processed = n), 'import'));
  } finally {
    clearInterval(ticker);
    progress.stop();
  }
  let total = emptyTally();
  for (const r of reports) {
    Object.assign(r, runner.tally(r.file), r.error !== undefined ? { error: r.error } : {});
    total = addTallies(total, r, 0);
  }
  print(reports, total, flag(values, 'json'));
  return total.failed > 0 || reports.some((r) => r.error !== undefined) ? 1 : 0;
}

function open(source: string): AsyncIterable<Uint8Array> {
  return source === '-' ? process.stdin : createReadStream(source, { highWaterMark: 1 << 20 });
}

/** Reads a file through the envelope tokenizer without keeping anything: its syntax and size. */
async function countObjects(file: string, bounds: EnvelopeBounds): Promise<number> {
  let n = 0;
  for await (const batch of readEnvelopeBatches(open(file), {
    maxObjects: bounds.maxObjectsPerEnvelope,
    maxObjectBytes: bounds.maxObjectBytes,
    maxDepth: Math.max(DEFAULT_ENVELOPE_DEPTH, bounds.maxDepth + 2),
  }))
    n += batch.length;
  return n;
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EISDIR') return 'a directory, not a file';
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return err instanceof Error ? err.message : String(err);
}

function print(reports: FileReport[], total: Tally, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ files: reports, total: { ...total, failures: undefined } }, null, 2)}\n`);
    return;
  }
  const lines: string[] = [];
  for (const r of reports) {
    lines.push(`${r.file}: ${counts(r)}`);
    if (r.error !== undefined) lines.push(`  error: ${r.error}`);
    for (const f of r.failures) lines.push(`  failed ${f.id}${f.version ? ` (${f.version})` : ''}: ${f.message ?? ''}`);
    if (r.failed > r.failures.length) lines.push(`  … and ${r.failed - r.failures.length} more failures`);
  }
  if (reports.length > 1) lines.push(`total: ${counts(total)}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

function counts(t: Tally): string {
  const stored = t.stored > 0 ? `, ${t.stored} stored (added or already present)` : '';
  return `${t.total} objects: ${t.added} added, ${t.duplicate} duplicate${stored}, ${t.failed} failed`;
}
