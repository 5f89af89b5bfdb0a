// The vocabulary of the admin commands: verbs with positional arguments and flags, parsed with
// node:util parseArgs, and helpers that turn flags into admin API request bodies. A mistake in how
// a command is called is a UsageError (exit status 2), found before the store is opened.
import type { AdminContext, AdminService } from '../admin/admin-service.js';
import type { ConfigOverrides } from '../config/load-config.js';
import type { Output } from './format.js';

/** A command called the wrong way: exit status 2, with the usage of its noun. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

export interface OptionSpec {
  type: 'string' | 'boolean';
  multiple?: boolean;
}

/** What a verb gets to work with. */
export interface Invocation {
  admin: AdminService;
  ctx: AdminContext;
  /** the positional arguments, as many as the verb names */
  args: readonly string[];
  values: Values;
  /** the password read from --password-env or --password-stdin, if the verb takes one */
  password?: string;
}

export interface Verb {
  /** positional arguments, named as in the usage; all required */
  args: readonly string[];
  options?: Record<string, OptionSpec>;
  /** flags that must be given */
  required?: readonly string[];
  /** checks on the flags that need no store (run before it is opened) */
  check?: (values: Values) => void;
  run(x: Invocation): Promise<Output>;
}

export interface Noun {
  /** the lines of the usage, without "palisade NOUN" */
  usage: readonly string[];
  verbs: Record<string, Verb>;
}

/** The flags through which a verb takes a password (never as an argument). */
export const PASSWORD_OPTIONS: Record<string, OptionSpec> = {
  'password-env': { type: 'string' },
  'password-stdin': { type: 'boolean' },
};

/** The store flags every command shares with `palisade serve`, as configuration overrides. */
export function storeOverrides(values: Values): ConfigOverrides {
  const out: ConfigOverrides = {};
  for (const [flag, key] of [
    ['config', 'configFile'],
    ['data-dir', 'dataDir'],
    ['store', 'store'],
    ['mongodb-uri', 'mongodbUri'],
  ] as const) {
    const v = str(values, flag);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

export function str(values: Values, key: string): string | undefined {
  const v = values[key];
  return typeof v === 'string' ? v : undefined;
}

export function strs(values: Values, key: string): string[] {
  const v = values[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

export function flag(values: Values, key: string): boolean {
  return values[key] === true;
}

/** A comma-separated list flag (`--tenants a,b`); undefined when absent. */
export function commaList(values: Values, key: string): string[] | undefined {
  const v = str(values, key);
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
}

/**
 * A field an update may set (`--alias A`), clear (`--no-alias`: null, as in the admin API's merge
 * patches) or leave alone (undefined).
 */
export function settable(values: Values, key: string): string | null | undefined {
  const v = str(values, key);
  if (flag(values, `no-${key}`)) {
    if (v !== undefined) throw new UsageError(`give either --${key} or --no-${key}, not both`);
    return null;
  }
  return v;
}

/** The body of an update, without the fields left alone; a usage error when it changes nothing. */
export function changes(body: Record<string, unknown>, flags: string): Record<string, unknown> {
  const out = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
  if (Object.keys(out).length === 0) throw new UsageError(`nothing to change: give ${flags}`);
  return out;
}

/** The subject and rights of `--user alice:rw`: r, w or rw (in either order). */
export function parseGrant(kind: 'user' | 'tenant' | 'group', spec: string): Record<string, unknown> {
  const at = spec.lastIndexOf(':');
  const id = at < 0 ? '' : spec.slice(0, at);
  const rights = at < 0 ? '' : spec.slice(at + 1);
  if (id === '' || !/^(r|w|rw|wr)$/.test(rights))
    throw new UsageError(`--${kind} ${spec}: write ${kind.toUpperCase()}:r, :w or :rw (read, write, both)`);
  return { [kind]: id, read: rights.includes('r'), write: rights.includes('w') };
}

/** Rights as r/w/rw, the notation of `grant set`. */
export function rightsOf(g: { read: boolean; write: boolean }): string {
  return `${g.read ? 'r' : ''}${g.write ? 'w' : ''}` || '-';
}

/**
 * An expiry time as the admin API takes it (UTC, ending in Z). RFC 3339 times with an offset are
 * converted; anything else goes on as given, for the service to refuse with its reason.
 */
export function utcTime(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$/.test(value)) return value;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}
