// Fuzzing Palisade from openapi.yaml with schemathesis, against a real `palisade serve` process.
//
// runFuzz() starts the server on 127.0.0.1 (free port, throwaway data directory, the configuration
// tests/fuzz/palisade.yaml: one API root with one collection, a platform admin and a member), seeds
// it with objects, a second object version, an API token and admin-made records, writes what it
// created into schemathesis dictionaries, then runs `st run` once per account (SCOPE) with the
// checks below, and turns schemathesis' NDJSON event stream into a list of findings (one per
// operation, check, status and cause) with a curl command that reproduces each.
//
// Exclusions: none. Every operation of openapi.yaml is fuzzed, DELETEs included, because nothing
// they can reach makes the rest of the run meaningless: the accounts the fuzzer signs in with, the
// API root and the collection are declared by the configuration file, which the admin API refuses
// to change or delete (409); the seeded objects may be deleted, which only turns later reads of
// them into documented 404s. Any exclusion added later must be listed in EXCLUDED with its reason.
//
// By hand (prints the summary; exit status 1 on findings):
//   npx tsx tests/fuzz/harness.ts [--examples N] [--seed N] [--accounts admin,member] [--keep]
//   npx tsx tests/fuzz/harness.ts --serve     start and seed the server, print how to reach it,
//                                             and keep it running (to replay the curl commands)
// PALISADE_PYTHON names the venv's python (bash scripts/python-env.sh prints it).
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../helpers/free-port.js';

const HERE = join(projectRoot, 'tests', 'fuzz');
const TAXII = 'application/taxii+json;version=2.1';

/** Accounts of tests/fuzz/palisade.yaml; the passwords exist only for this throwaway server. */
export const ACCOUNTS = {
  admin: { username: 'fuzz-admin', password: 'fuzz-admin-password-1', env: 'FUZZ_ADMIN_PASSWORD' },
  member: { username: 'fuzz-member', password: 'fuzz-member-password-1', env: 'FUZZ_MEMBER_PASSWORD' },
} as const;
export type AccountName = keyof typeof ACCOUNTS;

const API_ROOT = 'fuzz';
const COLLECTION_ID = '9d7c3e52-4b1a-4f0e-8c6d-2a5b7e9f1c34';
const COLLECTION_ALIAS = 'fuzzed';
/** made through the admin API during seeding, so the fuzzer may change and delete it */
const EXTRA_COLLECTION_ID = '5e0b6c1d-2f3a-4b5c-9d6e-7f8091a2b3c4';
const TLP_AMBER = 'marking-definition--f88d31f6-486f-44da-b317-01333bde0b82';

/**
 * The schemathesis checks run on every response. The five the brief names (no 5xx; status code,
 * content type, headers and body as documented) plus the ones that compare the server with the
 * document in other ways: a request the schema allows must not be refused with 400/422
 * (positive_data_acceptance) and one it forbids must not be accepted (negative_data_rejection);
 * 405 and Allow for undocumented methods; a missing documented header; credentials ignored;
 * a created resource that cannot be read back, or a deleted one that can.
 */
export const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
  'positive_data_acceptance',
  'negative_data_rejection',
  'missing_required_header',
  'unsupported_method',
  'allow_header_conformance',
  'ignored_auth',
  'use_after_free',
  'ensure_resource_availability',
] as const;

/**
 * What each account fuzzes. The member fuzzes the TAXII operations and the analyst API, where its
 * grants decide what it sees; on the admin API a member is refused everything (403), which
 * openapi.test.ts already checks operation by operation, so fuzzing it there would double the run
 * time for nothing.
 */
export const SCOPE: Record<AccountName, { tags?: RegExp; why: string }> = {
  admin: { why: 'every operation' },
  member: {
    tags: /^(server|status|collections|objects|operations|analyst)$/,
    why: 'the TAXII operations, the probes and the analyst API',
  },
};

/** Operations left out, each with its reason (schemathesis --exclude-operation-id). None so far. */
export const EXCLUDED: readonly { operationId: string; reason: string }[] = [];

export interface FuzzOptions {
  /** the venv's python, with schemathesis installed */
  python: string;
  /** test cases per operation and phase (default 25, or PALISADE_FUZZ_EXAMPLES) */
  examples?: number;
  /** hypothesis seed (default 20241, or PALISADE_FUZZ_SEED): the same seed replays the same run */
  seed?: number;
  accounts?: AccountName[];
  /** progress lines */
  log?: (line: string) => void;
  /** keep the run directory (reports, server log) even when nothing was found */
  keep?: boolean;
}

export interface Finding {
  /** the accounts whose runs found it (the curl command is from the first) */
  accounts: AccountName[];
  operation: string;
  /** schemathesis check name, e.g. response_schema_conformance */
  check: string;
  /** schemathesis failure code and title, e.g. ST103 Undocumented status code */
  code: string;
  title: string;
  message: string;
  status: number | 'timeout' | 'no response';
  /** how many failing test cases fell in this group */
  count: number;
  phase: string;
  curl: string;
  /** the start of the response body */
  body: string;
  /** for an error answer, what it says was wrong (causeOf) */
  cause: string;
  /** set when the failure does not fail the run, with the reason (see advisoryReason) */
  advisory?: string;
}

export interface ToolError {
  account: AccountName;
  operation: string;
  message: string;
}

export interface AccountRun {
  account: AccountName;
  seconds: number;
  exitCode: number | null;
  generated: number;
  operationsTested: number;
  operationsSelected: number;
  warnings: string[];
}

export interface FuzzResult {
  url: string;
  runDir: string;
  seed: number;
  examples: number;
  seconds: number;
  runs: AccountRun[];
  findings: Finding[];
  errors: ToolError[];
  /** set when the server process died during the run, with the end of its log */
  serverDied?: string;
}

// ---- the server -------------------------------------------------------------------------------------

export interface FuzzServer {
  url: string;
  dir: string;
  process: ChildProcess;
  logFile: string;
  /** ids the seeding produced, for the dictionaries */
  seeded: Record<string, string[]>;
  stop(): Promise<number | null>;
}

function basic(account: AccountName): string {
  const a = ACCOUNTS[account];
  return `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
}

async function call(
  url: string,
  method: string,
  path: string,
  account: AccountName,
  body?: unknown,
  type = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    Authorization: basic(account),
    Accept: path.startsWith('/admin/') ? '*/*' : TAXII,
  };
  if (body !== undefined) headers['Content-Type'] = type;
  const res = await fetch(url + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function expectStatus(
  what: string,
  pending: Promise<{ status: number; json: Record<string, unknown> }>,
  ...ok: number[]
): Promise<Record<string, unknown>> {
  const res = await pending;
  if (!ok.includes(res.status)) {
    throw new Error(`fuzz seeding: ${what} answered ${res.status}: ${JSON.stringify(res.json).slice(0, 500)}`);
  }
  return res.json;
}

async function waitUntil<T>(
  what: string,
  child: ChildProcess,
  probe: () => Promise<T | undefined>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what}: the server exited first`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `palisade serve` with tests/fuzz/palisade.yaml and seeds it. */
export async function startFuzzServer(dir: string): Promise<FuzzServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(dir, 'server.log');
  const log = createWriteStream(logFile);
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', PALISADE_LOG_LEVEL: 'warn' };
  for (const a of Object.values(ACCOUNTS)) env[a.env] = a.password;
  const args = ['--import', 'tsx', join(projectRoot, 'src', 'cli', 'main.ts'), 'serve'];
  args.push('--config', join(HERE, 'palisade.yaml'), '--host', '127.0.0.1', '--port', String(port));
  args.push('--data-dir', join(dir, 'data'));
  const child = spawn(process.execPath, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log, { end: false });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const stop = async (): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const code = await exited;
    log.end();
    return code;
  };
  try {
    await waitUntil('server start', child, async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined), 60_000);
    const seeded = await seed(url, child);
    return { url, dir, process: child, logFile, seeded, stop };
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
  }
}

/** Objects, statuses, a token and admin-made records (those the fuzzer may change and delete). */
async function seed(url: string, child: ChildProcess): Promise<Record<string, string[]>> {
  const objects = `/${API_ROOT}/collections/${COLLECTION_ID}/objects/`;
  const bundle = JSON.parse(await readFile(join(projectRoot, 'demo', 'state-linked-groups.json'), 'utf8')) as {
    objects: Record<string, unknown>[];
  };
  const first = await expectStatus('add the demo bundle', call(url, 'POST', objects, 'member', bundle, TAXII), 202);
  // A second version of one indicator, so that versions and match[version] have something to pick.
  const indicator = bundle.objects.find((o) => o.type === 'indicator') as Record<string, unknown>;
  const v2 = { ...indicator, modified: '2024-06-01T00:00:00.000Z', name: 'second version' };
  const second = await expectStatus(
    'add a second version',
    call(url, 'POST', objects, 'admin', { objects: [v2] }, TAXII),
    202,
  );
  const statuses = [String(first.id), String(second.id)];
  for (const id of statuses) {
    await waitUntil(
      `status ${id} complete`,
      child,
      async () => {
        const res = await call(url, 'GET', `/${API_ROOT}/status/${id}/`, 'admin');
        return res.json.status === 'complete' ? true : undefined;
      },
      30_000,
    );
  }
  const token = await expectStatus(
    'issue a token',
    call(url, 'POST', `/admin/users/${ACCOUNTS.member.username}/tokens`, 'admin', { label: 'fuzz' }),
    201,
  );
  await expectStatus(
    'create a tenant',
    call(url, 'POST', '/admin/tenants', 'admin', { id: 'fuzz-extra', name: 'Extra' }),
    201,
  );
  await expectStatus(
    'create a group',
    call(url, 'POST', '/admin/groups', 'admin', { id: 'fuzz-extra-group', tenants: ['fuzz-extra', 'cert-b'] }),
    201,
  );
  await expectStatus(
    'create a user',
    call(url, 'POST', '/admin/users', 'admin', {
      username: 'fuzz-extra-user',
      password: 'fuzz-extra-password',
      tenant: 'fuzz-extra',
    }),
    201,
  );
  await expectStatus(
    'create an API root',
    call(url, 'POST', '/admin/api-roots', 'admin', { path: 'fuzz-extra', title: 'Extra' }),
    201,
  );
  await expectStatus(
    'create a collection',
    call(url, 'POST', '/admin/api-roots/fuzz-extra/collections', 'admin', {
      id: EXTRA_COLLECTION_ID,
      title: 'Extra',
      alias: 'extra',
      owner: 'fuzz-extra',
    }),
    201,
  );
  await expectStatus(
    'grant the extra collection',
    call(url, 'PUT', `/admin/collections/${EXTRA_COLLECTION_ID}/grants`, 'admin', {
      grants: [{ user: ACCOUNTS.member.username, read: true }],
    }),
    200,
  );
  await expectStatus(
    'bind a marking',
    call(url, 'PUT', `/admin/markings/${TLP_AMBER}`, 'admin', { groups: ['fuzz-extra-group'] }),
    200,
    201,
  );
  return {
    'api-roots': [API_ROOT, API_ROOT, API_ROOT, 'fuzz-extra'],
    collections: [COLLECTION_ID, COLLECTION_ID, COLLECTION_ALIAS, EXTRA_COLLECTION_ID],
    objects: bundle.objects.map((o) => String(o.id)),
    actors: bundle.objects.filter((o) => o.type === 'intrusion-set' || o.type === 'campaign').map((o) => String(o.id)),
    statuses,
    usernames: [ACCOUNTS.admin.username, ACCOUNTS.member.username, 'fuzz-extra-user'],
    tenants: ['cert-a', 'cert-b', 'fuzz-extra'],
    groups: ['partners', 'fuzz-extra-group'],
    markings: [TLP_AMBER, 'marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9'],
    tokens: [String(token.id)],
  };
}

// ---- schemathesis -----------------------------------------------------------------------------------

/** A libFuzzer dictionary line: the value in double quotes, `\` and `"` escaped. */
const dictLine = (v: string): string => `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

async function writeDictionaries(runDir: string, seeded: Record<string, string[]>): Promise<void> {
  await mkdir(join(runDir, 'dict'), { recursive: true });
  for (const [name, values] of Object.entries(seeded)) {
    await writeFile(join(runDir, 'dict', `${name}.dict`), values.map(dictLine).join('\n') + '\n');
  }
}

interface StRun {
  exitCode: number | null;
  timedOut: boolean;
  output: string;
}

function runSchemathesis(
  cwd: string,
  python: string,
  args: string[],
  env: Record<string, string>,
  outFile: string,
  ms: number,
): Promise<StRun> {
  return new Promise((resolve, reject) => {
    // In the run directory: schemathesis and hypothesis leave their caches in the working directory.
    const child = spawn(python, ['-m', 'schemathesis.cli', ...args], {
      cwd,
      env: { ...process.env, ...env, PYTHONUNBUFFERED: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = createWriteStream(outFile);
    let tail = '';
    const keep = (d: Buffer) => {
      out.write(d);
      tail = (tail + d.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      out.end();
      resolve({ exitCode: code, timedOut, output: tail });
    });
  });
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});

function decodeBody(v: unknown): string | undefined {
  const b = obj(v).$base64;
  if (typeof b === 'string') return Buffer.from(b, 'base64').toString('utf8');
  return typeof v === 'string' ? v : undefined;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** A curl command for a recorded request; the server's origin is written as $PALISADE_URL. */
export function curlFor(request: Json, origin: string): string {
  const uri = String(request.uri ?? '');
  const target = uri.startsWith(origin) ? `"$PALISADE_URL"${shellQuote(uri.slice(origin.length))}` : shellQuote(uri);
  const parts = ['curl', '-i', '-X', String(request.method ?? 'GET')];
  for (const [name, values] of Object.entries(obj(request.headers))) {
    for (const value of Array.isArray(values) ? values : [values]) {
      parts.push('-H', shellQuote(`${name}: ${String(value)}`));
    }
  }
  const body = decodeBody(request.body);
  if (body !== undefined)
    parts.push('--data-binary', shellQuote(body.length > 2000 ? `${body.slice(0, 2000)}…` : body));
  parts.push(target);
  return parts.join(' ');
}

interface Parsed {
  findings: Finding[];
  errors: ToolError[];
  generated: number;
  /** operations with at least one recorded scenario, and how many were selected */
  tested: number;
  selected: number;
  untested: string[];
}

/**
 * Failures that do not fail the run, each with its reason; both are 400s to requests the schema
 * allows, which positive_data_acceptance counts as failures, but where the server is right and no
 * schema can say more:
 * - the admin API answers 400 when a body names a tenant, group or account that does not exist
 *   (an RFC 9457 problem listing each); advisory only when every listed problem is of that kind,
 *   so that any other problem in the same answer keeps it a finding;
 * - a `next` that this server did not issue for this very request (a string from elsewhere, or a
 *   cursor of another query) is a 400, as openapi.yaml says of the parameter (TAXII 2.1 §3.4);
 *   so is such a `cursor` of the analyst API (search and changes);
 * - an analyst export that selects nothing (none of q, type, collection and ids, or a blank q)
 *   is a 400: a rule across parameters, which no parameter schema can state;
 * - a token whose `expires_at` is a real timestamp in the past is a 400: the schema bounds the
 *   form of the timestamp, but "later than now" depends on the clock (documented on the field);
 * - an account that would be a tenant-admin without a tenant is a 400: whether it has one depends
 *   on the stored account (PATCH keeps its tenant unless the patch names one) or on the caller (a
 *   tenant administrator's own tenant is the default on POST), which no request schema sees.
 * A 400 is advisory only when every problem it lists is of one of these kinds.
 */
const REFERENTIAL = /^[\w.]+: there is no (tenant|group|account|user|api root|collection) "/;
const PAST_EXPIRY = /^expires_at: must lie in the future$/;
const TENANTLESS_ADMIN = /^tenant: a tenant-admin needs a tenant$/;
const FOREIGN_NEXT = /^The next parameter is not a cursor issued by this server\b/;
const FOREIGN_CURSOR = /^The cursor is not one issued by this server\.$/;
const EMPTY_EXPORT = /^Say what to export: q, type, collection or ids\.$/;
function advisoryReason(check: string, status: Finding['status'], body: string): string | undefined {
  if (check !== 'positive_data_acceptance' || status !== 400) return undefined;
  let json: Json;
  try {
    json = obj(JSON.parse(body));
  } catch {
    return undefined;
  }
  if (typeof json.description === 'string' && FOREIGN_NEXT.test(json.description)) {
    return 'a `next` the server did not issue for this request (400, as documented)';
  }
  // The analyst API answers problem documents: what was wrong is in `detail`.
  if (typeof json.detail === 'string' && (FOREIGN_NEXT.test(json.detail) || FOREIGN_CURSOR.test(json.detail))) {
    return 'a `cursor` the server did not issue for this request (400, as documented)';
  }
  if (typeof json.detail === 'string' && EMPTY_EXPORT.test(json.detail)) {
    return 'an export that selects nothing (400, as documented; a rule across parameters)';
  }
  const problems = obj(json.details).problems;
  if (!Array.isArray(problems) || problems.length === 0) return undefined;
  const reasons = new Set<string>();
  for (const p of problems) {
    if (typeof p === 'string' && REFERENTIAL.test(p))
      reasons.add('names a record that does not exist (400 by design; not expressible in the schema)');
    else if (typeof p === 'string' && PAST_EXPIRY.test(p))
      reasons.add('a token expiry in the past (400 by design; depends on the clock, not expressible in the schema)');
    else if (typeof p === 'string' && TENANTLESS_ADMIN.test(p))
      reasons.add('a tenant-admin without a tenant (400 by design; depends on the stored account or the caller)');
    else return undefined;
  }
  return [...reasons].sort().join('; ');
}

/**
 * What an error answer says was wrong, to tell apart failures of one operation, check and status:
 * the fields a problem list or TAXII `details` names (indices as N), else the start of the text.
 */
export function causeOf(body: string): string {
  let json: Json;
  try {
    json = obj(JSON.parse(body));
  } catch {
    return body ? body.slice(0, 60) : '(no body)';
  }
  const details = obj(json.details);
  const problems = details.problems;
  if (Array.isArray(problems)) {
    const fields = problems.map((p) =>
      String(p)
        .split(': ')[0]
        ?.replace(/\.\d+(?=\.|$)/g, '.N'),
    );
    return [...new Set(fields)].sort().join(', ');
  }
  if (Object.keys(details).length) return Object.keys(details).sort().join(', ');
  // The values a message quotes vary from case to case; what it says of them does not.
  const text = String(json.description ?? json.detail ?? json.title ?? '');
  return text.replace(/"(?:[^"\\]|\\.)*"/g, '"…"').slice(0, 80);
}

const findingKey = (f: Finding): string =>
  [f.operation, f.check, f.code, f.status, f.cause, f.advisory ?? ''].join('|');

/** Adds `more` to `into`, merging a failure another account's run found too. */
export function mergeFindings(into: Finding[], more: Finding[]): void {
  for (const f of more) {
    const same = into.find((x) => findingKey(x) === findingKey(f));
    if (!same) into.push(f);
    else {
      same.count += f.count;
      for (const a of f.accounts) if (!same.accounts.includes(a)) same.accounts.push(a);
    }
  }
}

/** Reads schemathesis' NDJSON events: every failed check of every recorded case, and tool errors. */
export function parseEvents(ndjson: string, account: AccountName, origin: string, tags?: RegExp): Parsed {
  const groups = new Map<string, Finding>();
  const errors: ToolError[] = [];
  const labels = new Set<string>();
  let generated = 0;
  let selected = 0;
  for (const line of ndjson.split('\n')) {
    if (!line.trim()) continue;
    const event = JSON.parse(line) as Json;
    if (event.LoadingFinished) {
      selected = Number(obj(obj(obj(event.LoadingFinished).statistic).operations).selected ?? 0);
    }
    if (event.NonFatalError) {
      const e = obj(event.NonFatalError);
      const v = obj(e.value);
      errors.push({ account, operation: String(e.label ?? '?'), message: `${String(v.type)}: ${String(v.message)}` });
    }
    const scenario = obj(event.ScenarioFinished);
    const recorder = obj(scenario.recorder);
    const checks = obj(recorder.checks);
    const cases = obj(recorder.cases);
    const interactions = obj(recorder.interactions);
    generated += Object.keys(cases).length;
    for (const c of Object.values(cases)) {
      const v = obj(obj(c).value);
      if (v.method && v.path) labels.add(`${String(v.method)} ${String(v.path)}`);
    }
    for (const [caseId, results] of Object.entries(checks)) {
      for (const result of Array.isArray(results) ? (results as Json[]) : []) {
        if (result.status !== 'failure') continue;
        const failure = obj(obj(result.failure_info).failure);
        const interaction = obj(interactions[caseId]);
        const response = interaction.response === null ? undefined : obj(interaction.response);
        const value = obj(obj(cases[caseId]).value);
        const operation = String(failure.operation ?? `${String(value.method)} ${String(value.path)}`);
        const status: Finding['status'] =
          response && typeof response.status_code === 'number'
            ? response.status_code
            : /timeout/i.test(`${String(failure.type)} ${String(failure.title)}`)
              ? 'timeout'
              : 'no response';
        const body = decodeBody(response?.content) ?? '';
        const check = String(result.name);
        const advisory = advisoryReason(check, status, body);
        const cause = typeof status === 'number' && status >= 400 ? causeOf(body) : '';
        const key = `${operation}|${check}|${String(failure.code)}|${String(status)}|${cause}|${advisory ?? ''}`;
        const known = groups.get(key);
        if (known) {
          known.count++;
          continue;
        }
        const request = Object.keys(obj(interaction.request)).length ? obj(interaction.request) : value;
        groups.set(key, {
          accounts: [account],
          operation,
          check,
          code: String(failure.code ?? ''),
          title: String(failure.title ?? ''),
          message: String(failure.message ?? '').trim(),
          status,
          count: 1,
          phase: String(scenario.phase ?? ''),
          curl: curlFor(request, origin),
          body: body.slice(0, 400),
          cause,
          advisory,
        });
      }
    }
  }
  const excluded = new Set(EXCLUDED.map((x) => x.operationId));
  const untested = documentedOperations()
    .filter((o) => !excluded.has(o.operationId) && (!tags || o.tags.some((t) => tags.test(t))))
    .filter((o) => !labels.has(o.label))
    .map((o) => o.label);
  return { findings: [...groups.values()], errors, generated, tested: labels.size, selected, untested };
}

/** Every operation of openapi.yaml as 'METHOD /path' with its operationId. */
function documentedOperations(): { label: string; operationId: string; tags: string[] }[] {
  const doc = parse(readFileSync(join(projectRoot, 'openapi.yaml'), 'utf8')) as Json;
  const out: { label: string; operationId: string; tags: string[] }[] = [];
  for (const [path, item] of Object.entries(obj(doc.paths))) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace']) {
      const op = obj(obj(item)[method]);
      if (!Object.keys(op).length) continue;
      const tags = Array.isArray(op.tags) ? op.tags.map(String) : [];
      out.push({ label: `${method.toUpperCase()} ${path}`, operationId: String(op.operationId), tags });
    }
  }
  return out;
}

/** The WARNINGS section of schemathesis' report (the NDJSON stream does not carry it), one line each. */
export function warningsOf(output: string): string[] {
  const m = /={3,} WARNINGS ={3,}\n([\s\S]*?)\n={3,} SUMMARY/.exec(output);
  if (!m?.[1]) return [];
  return m[1]
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p && !p.startsWith('💡'));
}

const envNumber = (name: string): number | undefined => {
  const v = process.env[name];
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
};

/** Starts and seeds the server, fuzzes it as each account, stops it. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const log = opts.log ?? (() => undefined);
  const examples = opts.examples ?? envNumber('PALISADE_FUZZ_EXAMPLES') ?? 25;
  const seedValue = opts.seed ?? envNumber('PALISADE_FUZZ_SEED') ?? 20241;
  const accounts = opts.accounts ?? ['admin', 'member'];
  const started = Date.now();
  const runDir = await mkdtemp(join(tmpdir(), 'palisade-fuzz-'));
  const server = await startFuzzServer(runDir);
  log(`server ${server.url} (pid ${server.process.pid}), run directory ${runDir}`);
  const result: FuzzResult = {
    url: server.url,
    runDir,
    seed: seedValue,
    examples,
    seconds: 0,
    runs: [],
    findings: [],
    errors: [],
  };
  try {
    await copyFile(join(HERE, 'schemathesis.toml'), join(runDir, 'schemathesis.toml'));
    await writeDictionaries(runDir, server.seeded);
    for (const account of accounts) {
      const t0 = Date.now();
      const events = join(runDir, `${account}.ndjson`);
      const args = ['--config-file', join(runDir, 'schemathesis.toml'), 'run', join(projectRoot, 'openapi.yaml')];
      args.push('--checks', CHECKS.join(','), '--seed', String(seedValue), '--max-examples', String(examples));
      args.push('--report', 'ndjson', '--report-ndjson-path', events, '--no-color', '--output-sanitize', 'false');
      for (const x of EXCLUDED) args.push('--exclude-operation-id', x.operationId);
      const tags = SCOPE[account].tags;
      if (tags) args.push('--include-tag-regex', tags.source);
      const env = {
        PALISADE_FUZZ_URL: server.url,
        PALISADE_FUZZ_USER: ACCOUNTS[account].username,
        PALISADE_FUZZ_PASSWORD: ACCOUNTS[account].password,
      };
      log(
        `schemathesis as ${account} (${ACCOUNTS[account].username}), ${examples} examples per operation, seed ${seedValue}`,
      );
      const run = await runSchemathesis(runDir, opts.python, args, env, join(runDir, `${account}.out`), 480_000);
      const seconds = (Date.now() - t0) / 1000;
      if (run.timedOut)
        throw new Error(`schemathesis as ${account} did not finish within 480 s:\n${run.output.slice(-3000)}`);
      if (run.exitCode !== 0 && run.exitCode !== 1) {
        throw new Error(`schemathesis as ${account} exited ${run.exitCode}:\n${run.output.slice(-3000)}`);
      }
      const parsed = parseEvents(await readFile(events, 'utf8'), account, server.url, SCOPE[account].tags);
      for (const op of parsed.untested) parsed.errors.push({ account, operation: op, message: 'not tested at all' });
      if (run.exitCode === 1 && parsed.findings.length === 0 && parsed.errors.length === 0) {
        parsed.errors.push({
          account,
          operation: '-',
          message: `exit 1 without a recorded failure:\n${run.output.slice(-2000)}`,
        });
      }
      mergeFindings(result.findings, parsed.findings);
      result.errors.push(...parsed.errors);
      result.runs.push({
        account,
        seconds,
        exitCode: run.exitCode,
        generated: parsed.generated,
        operationsTested: parsed.tested,
        operationsSelected: parsed.selected,
        warnings: warningsOf(await readFile(join(runDir, `${account}.out`), 'utf8')),
      });
      log(
        `  ${account}: ${seconds.toFixed(0)} s, ${parsed.generated} test cases, ${parsed.findings.length} finding groups`,
      );
      if (server.process.exitCode !== null || server.process.signalCode !== null) break;
    }
  } finally {
    const alive = server.process.exitCode === null && server.process.signalCode === null;
    const code = await server.stop();
    if (!alive) result.serverDied = `exit ${code}:\n${readFileSync(server.logFile, 'utf8').slice(-3000)}`;
    result.seconds = (Date.now() - started) / 1000;
    if (!failed(result) && !opts.keep) await rm(runDir, { recursive: true, force: true });
  }
  return result;
}

/** The findings that fail the run (advisory ones excluded), tool errors, or a dead server. */
export function failed(r: FuzzResult): boolean {
  return r.findings.some((f) => !f.advisory) || r.errors.length > 0 || r.serverDied !== undefined;
}

function findingLines(f: Finding): string[] {
  const cause = f.cause ? ` on ${f.cause}` : '';
  const out = [
    `- ${f.operation} [${f.accounts.join(', ')}] ${f.check} (${f.code} ${f.title}): ${f.status}${cause} ×${f.count} (${f.phase})`,
  ];
  if (f.advisory) out.push(`    advisory: ${f.advisory}`);
  const msg = f.message.replace(/\s+/g, ' ').slice(0, 300);
  if (msg) out.push(`    ${msg}`);
  if (f.body) out.push(`    response: ${f.body.replace(/\s+/g, ' ').slice(0, 240)}`);
  out.push(`    ${f.curl}`);
  return out;
}

/** The findings as a compact, stable text: one block per (account, operation, check, status). */
export function formatSummary(r: FuzzResult): string {
  const lines: string[] = [];
  const runs = r.runs.map((x) => `${x.account} ${x.seconds.toFixed(0)} s / ${x.generated} cases`).join(', ');
  lines.push(
    `schemathesis: seed ${r.seed}, ${r.examples} examples per operation; ${runs}; total ${r.seconds.toFixed(0)} s`,
  );
  if (r.serverDied) lines.push(`THE SERVER DIED during the run (${r.serverDied})`);
  const order = (a: Finding, b: Finding) =>
    `${a.operation} ${a.code} ${a.status} ${a.cause}`.localeCompare(`${b.operation} ${b.code} ${b.status} ${b.cause}`);
  const failing = r.findings.filter((f) => !f.advisory).sort(order);
  const advisory = r.findings.filter((f) => f.advisory).sort(order);
  if (failing.length) {
    lines.push(`${failing.length} finding(s) (curl: $PALISADE_URL from \`npx tsx tests/fuzz/harness.ts --serve\`):`);
    for (const f of failing) lines.push(...findingLines(f));
  }
  for (const e of r.errors)
    lines.push(`- schemathesis error [${e.account}] ${e.operation}: ${e.message.slice(0, 400)}`);
  if (advisory.length) {
    lines.push(`${advisory.length} advisory failure group(s), not failing the run:`);
    for (const f of advisory) lines.push(...findingLines(f).slice(0, 2));
  }
  for (const run of r.runs) for (const w of run.warnings) lines.push(`  warning [${run.account}] ${w.slice(0, 300)}`);
  if (failed(r)) lines.push(`reports and server log kept in ${r.runDir}`);
  return lines.join('\n');
}

// ---- command line -------------------------------------------------------------------------------------

async function main(argv: string[]): Promise<number> {
  const flag = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  if (argv.includes('--serve')) {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-fuzz-serve-'));
    const server = await startFuzzServer(dir);
    const a = ACCOUNTS.admin;
    console.log(
      `export PALISADE_URL=${server.url}   # admin ${a.username}:${a.password}, member ${ACCOUNTS.member.username}:${ACCOUNTS.member.password}`,
    );
    console.log(`seeded: ${JSON.stringify(server.seeded)}\nserver log: ${server.logFile}; Ctrl-C stops it`);
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
    await server.stop();
    await rm(dir, { recursive: true, force: true });
    return 0;
  }
  const python = process.env.PALISADE_PYTHON;
  if (!python) {
    console.error('PALISADE_PYTHON is not set: export PALISADE_PYTHON=$(bash scripts/python-env.sh)');
    return 2;
  }
  const accounts = flag('--accounts')?.split(',') as AccountName[] | undefined;
  const examples = flag('--examples');
  const seedArg = flag('--seed');
  const r = await runFuzz({
    python,
    accounts,
    examples: examples ? Number(examples) : undefined,
    seed: seedArg ? Number(seedArg) : undefined,
    keep: argv.includes('--keep'),
    log: (l) => console.log(l),
  });
  console.log(formatSummary(r));
  return failed(r) ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(2);
    },
  );
}
