// What `palisade import`, `export` and `sync` share: their flags (the store flags of the admin
// commands), opening the store as `serve` would (same migrations, same services), acting as the
// CLI principal cli:<os user> through the access gate, and turning failures into one clear line
// with an exit status (0 done, 1 failed or refused, 2 called the wrong way). Never a stack trace.
import { parseArgs } from 'node:util';
import type { Config } from '../config/load-config.js';
import type { Container } from '../container.js';
import type { Principal } from '../auth/principal.js';
import { ConfigError, PalisadeError, StoreVersionError } from '../errors.js';
import { cliPrincipal } from './admin-commands.js';
import { storeOverrides, str, UsageError, type OptionSpec, type Values } from './args.js';

export const STORE_OPTIONS: Record<string, OptionSpec & { short?: string }> = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  'mongodb-uri': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

export const STORE_OPTIONS_USAGE = `  --config, --data-dir, --store, --mongodb-uri   the store, as for serve (and the same environment)
  -h, --help         show this help`;

/** A runtime failure that is not the store's or the service's (a remote, a file): exit status 1. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

export function parseCommand(
  args: readonly string[],
  options: Record<string, OptionSpec & { short?: string }>,
): { values: Values; positionals: string[] } {
  try {
    const parsed = parseArgs({
      args: [...args],
      options: { ...STORE_OPTIONS, ...options },
      strict: true,
      allowPositionals: true,
    });
    return { values: parsed.values as Values, positionals: parsed.positionals };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export function required(values: Values, ...keys: string[]): void {
  const missing = keys.filter((k) => values[k] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((k) => `--${k}`).join(', ')}`);
}

/** A positive integer flag, or its default. */
export function positiveInt(values: Values, key: string, dflt: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = str(values, key);
  if (v === undefined) return dflt;
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max)
    throw new UsageError(`--${key} must be a whole number from 1 to ${max}`);
  return Number(v);
}

/** The CLI principal as the access gate sees it (a platform admin without a tenant). */
export function dataPrincipal(): Principal {
  const p = cliPrincipal();
  return { username: p.username, role: p.role, groups: [...p.groups] };
}

/**
 * Opens the store named by the flags (migrating it as serve does), runs `fn` and closes the
 * store, waiting for the ingestion worker and the audit buffer.
 */
export async function withContainer<T>(values: Values, fn: (c: Container) => Promise<T>): Promise<T> {
  const { loadConfig } = await import('../config/load-config.js');
  const config: Readonly<Config> = loadConfig(process.env, storeOverrides(values));
  // Logs go to standard error, so that standard output holds only the data; quiet unless asked.
  const { destination, pino } = await import('pino');
  const { createContainer } = await import('../container.js');
  const log = pino(
    { level: process.env.PALISADE_LOG_LEVEL || 'warn', base: { service: 'palisade' } },
    destination({ fd: 2, sync: true }),
  );
  const container = await createContainer(config, log);
  try {
    return await fn(container);
  } finally {
    await container.close();
  }
}

/** One line for the reason and the exit status for it. */
export function reportFailure(err: unknown, prefix: string, usage: string): number {
  if (err instanceof UsageError) {
    process.stderr.write(`${prefix}: ${err.message}\n${usage}`);
    return 2;
  }
  if (err instanceof ConfigError) {
    process.stderr.write(`palisade: ${err.message}\n`);
    return 2;
  }
  if (err instanceof StoreVersionError || err instanceof PalisadeError || err instanceof CommandError) {
    process.stderr.write(`${prefix}: ${err.message}\n`);
    return 1;
  }
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && err instanceof Error) {
    process.stderr.write(`${prefix}: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(`${prefix}: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

/** Resolves after ms, or at once when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
