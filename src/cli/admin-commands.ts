// `palisade tenant|group|user|token|api-root|collection|grant …`: administration on the store
// itself, for bootstrap (before anyone can sign in) and recovery (when nobody can). The commands
// act as a platform admin named cli:<os user> through the AdminService, exactly like an admin API
// request: same rights, validation, refusals for what the configuration file declares, and an
// audit record for every change. The configuration file is not applied (that is `serve`'s job):
// the commands work on the store as it is.
//
// Exit status: 0 done, 1 refused or failed (the service's reason), 2 called the wrong way or an
// invalid configuration; nothing is changed in the last case.
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { AdminContext } from '../admin/admin-service.js';
import type { Config } from '../config/load-config.js';
import type { Container } from '../container.js';
import { ConfigError, PalisadeError } from '../errors.js';
import { group, tenant, token, user } from './admin-accounts.js';
import { apiRoot, collection, grant } from './admin-catalog.js';
import { storeOverrides, UsageError, type Noun, type OptionSpec, type Values, type Verb } from './args.js';
import { render, type Output } from './format.js';
import { readPassword } from './secrets.js';

export const ADMIN_NOUNS: Readonly<Record<string, Noun>> = {
  tenant,
  group,
  user,
  token,
  'api-root': apiRoot,
  collection,
  grant,
};

export const isAdminNoun = (name: string): boolean => Object.hasOwn(ADMIN_NOUNS, name);

const COMMON: Record<string, OptionSpec & { short?: string }> = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  'mongodb-uri': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

export const ADMIN_OPTIONS_USAGE = `Options of every administration command:
  --config, --data-dir, --store, --mongodb-uri   the store, as for serve (and the same environment)
  --json             print what the admin API would answer, as JSON
  -h, --help         show the usage of the command
`;

/** The usage lines of a noun, or of one of its verbs (with its continuation lines). */
function usageLines(name: string, noun: Noun, only?: string): string[] {
  const out: string[] = [];
  let current: string | undefined;
  for (const line of noun.usage) {
    const word = line.split(' ')[0] as string;
    if (Object.hasOwn(noun.verbs, word)) current = word;
    else if (!line.startsWith(' ')) current = undefined;
    if (only !== undefined && current !== only) continue;
    out.push(Object.hasOwn(noun.verbs, word) ? `  palisade ${name} ${line}` : `    ${line.trimStart()}`);
  }
  return out;
}

export function nounUsage(name: string, noun: Noun): string {
  return `Usage:\n${usageLines(name, noun).join('\n')}\n\n${ADMIN_OPTIONS_USAGE}`;
}

/** After a usage error: how the verb is called (the whole noun when the verb is unknown). */
function shortUsage(name: string, noun: Noun, verbName: string): string {
  const lines = Object.hasOwn(noun.verbs, verbName) ? usageLines(name, noun, verbName) : usageLines(name, noun);
  return `Usage:\n${lines.join('\n')}\nRun palisade ${name} --help for every option.\n`;
}

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs `palisade NAME …argv` and answers the exit status; never throws. */
export async function runAdminCommand(name: string, argv: readonly string[], io: Io = processIo): Promise<number> {
  const noun = ADMIN_NOUNS[name] as Noun;
  const [verbName, ...rest] = argv;
  if (verbName === undefined || verbName === '-h' || verbName === '--help' || verbName === 'help') {
    (verbName === undefined ? io.stderr : io.stdout)(nounUsage(name, noun));
    return verbName === undefined ? 2 : 0;
  }
  const prefix = `palisade ${name} ${verbName}`;
  try {
    const verb = Object.hasOwn(noun.verbs, verbName) ? (noun.verbs[verbName] as Verb) : undefined;
    if (!verb) throw new UsageError(`unknown command; ${name} takes ${Object.keys(noun.verbs).join(', ')}`);
    const { values, positionals } = parse(verb, rest);
    if (values.help === true) {
      io.stdout(nounUsage(name, noun));
      return 0;
    }
    const password = verb.options?.['password-env'] ? await readPassword(values) : undefined;
    // Loaded only now, so that help and usage errors answer at once.
    const { loadConfig } = await import('../config/load-config.js');
    const config = loadConfig(process.env, storeOverrides(values));
    const output = await withAdmin(config, (admin, ctx) =>
      verb.run({ admin, ctx, args: positionals, values, ...(password !== undefined ? { password } : {}) }),
    );
    print(output, values.json === true, io);
    return 0;
  } catch (err) {
    return report(err, prefix, shortUsage(name, noun, verbName), io);
  }
}

/** The flags and positional arguments of a verb, checked as far as they can be without the store. */
function parse(verb: Verb, args: readonly string[]): { values: Values; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...COMMON, ...verb.options },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const values = parsed.values as Values;
  const positionals = parsed.positionals;
  if (values.help === true) return { values, positionals };
  if (positionals.length < verb.args.length)
    throw new UsageError(`missing ${verb.args.slice(positionals.length).join(' ')}`);
  if (positionals.length > verb.args.length)
    throw new UsageError(`unexpected argument "${positionals[verb.args.length] as string}"`);
  const missing = (verb.required ?? []).filter((key) => values[key] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
  verb.check?.(values);
  return { values, positionals };
}

/** Who the commands act as: a platform admin named after the operating system account. */
export function cliPrincipal(): AdminContext['principal'] {
  let name = 'cli';
  try {
    const os = userInfo().username;
    if (os !== '') name = `cli:${os}`;
  } catch {
    // No entry in the password database (some containers): the actor is plain "cli".
  }
  return { username: name, role: 'platform-admin', groups: [] };
}

/**
 * Opens the store (migrating it as serve would), runs `fn` as the CLI principal and closes the
 * store, which writes the buffered audit records: a change whose record could not be written is a
 * failure.
 */
async function withAdmin<T>(
  config: Readonly<Config>,
  fn: (admin: Container['admin'], ctx: AdminContext) => Promise<T>,
): Promise<T> {
  // Logs go to standard error, so that standard output holds only the answer; quiet unless asked.
  const { destination, pino } = await import('pino');
  const { createContainer } = await import('../container.js');
  const log = pino(
    { level: process.env.PALISADE_LOG_LEVEL || 'warn', base: { service: 'palisade' } },
    destination({ fd: 2, sync: true }),
  );
  const container = await createContainer(config, log);
  // One id for every audit record of this invocation, as an HTTP request has one.
  const ctx: AdminContext = { principal: cliPrincipal(), requestId: `cli-${randomUUID()}` };
  let result: T;
  try {
    result = await fn(container.admin, ctx);
  } catch (err) {
    await container.close().catch(() => undefined);
    throw err;
  }
  await container.close();
  return result;
}

function print(output: Output, json: boolean, io: Io): void {
  io.stdout(render(output, json));
  if (!json && output.note !== undefined) io.stderr(output.note);
}

/** One line for the reason, one more per problem; the exit status for it. Never a stack trace. */
function report(err: unknown, prefix: string, usage: string, io: Io): number {
  if (err instanceof UsageError) {
    io.stderr(`${prefix}: ${err.message}\n${usage}`);
    return 2;
  }
  if (err instanceof ConfigError) {
    io.stderr(`palisade: ${err.message}\n`);
    return 2;
  }
  if (err instanceof PalisadeError) {
    const problems = err.details?.problems;
    if (Array.isArray(problems) && problems.length > 0) {
      io.stderr(`${prefix}: invalid input:\n${problems.map((p) => `  - ${String(p)}\n`).join('')}`);
    } else {
      io.stderr(`${prefix}: ${err.message}\n`);
    }
    return 1;
  }
  io.stderr(`${prefix}: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}
