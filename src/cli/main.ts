#!/usr/bin/env node
// The `palisade` command. Exit codes: 0 success, 1 runtime failure, 2 usage or configuration error.
import { parseArgs } from 'node:util';
import { ConfigError, StoreVersionError } from '../errors.js';
import { isAdminNoun, runAdminCommand } from './admin-commands.js';

const USAGE = `Usage: palisade <command> [options]

Commands:
  serve       start the TAXII 2.1 server
  tenant      list, show, create, update, delete tenants
  group       list, show, create, update, delete groups of tenants
  user        list, show, create, update, delete accounts; passwd sets a password
  token       list, create, revoke the API tokens of an account
  api-root    list, show, create, update, delete API roots
  collection  list, show, create, update, delete collections
  grant       list or set the grants on a collection
  import      add the objects of STIX bundles or TAXII envelopes (files, a directory, stdin)
  export      write a collection's objects as a STIX 2.1 bundle
  sync        mirror a collection of a remote TAXII 2.1 server into a local collection

The administration commands work on the store directly (bootstrap, recovery), as a platform
admin named cli:<os user>, and every change is audited. Run palisade <command> --help for usage.
They take --config, --data-dir, --store and --mongodb-uri as serve does, and --json.
The data commands (import, export, sync) work on the store the same way, as the same principal,
through the same access checks and ingestion queue as the TAXII API.

Options for serve (environment variable in brackets):
  --config FILE      YAML or JSON configuration file      [PALISADE_CONFIG]
  --host HOST        address to bind (default 127.0.0.1)  [PALISADE_HOST]
  --port PORT        port to bind (default 8000)          [PALISADE_PORT]
  --data-dir DIR     data directory (default ./data)      [PALISADE_DATA_DIR]
  --store KIND       sqlite (default) or mongodb          [PALISADE_STORE]
  --mongodb-uri URI  MongoDB connection string            [PALISADE_MONGODB_URI]
  --tls-cert FILE    serve HTTPS: PEM certificate (chain) [PALISADE_TLS_CERT]
  --tls-key FILE     HTTPS: its PEM private key           [PALISADE_TLS_KEY]
  --tls-ca FILE      PEM CA of client certificates (mTLS) [PALISADE_TLS_CA]
  -h, --help         show this help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (isAdminNoun(command)) return runAdminCommand(command, rest);
  // Loaded on demand, as serve's modules are.
  if (command === 'import') return (await import('./import.js')).runImport(rest);
  if (command === 'export') return (await import('./export.js')).runExport(rest);
  if (command === 'sync') return (await import('./sync.js')).runSync(rest);
  if (command !== 'serve') {
    process.stderr.write(`palisade: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  }
  let values;
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        config: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        store: { type: 'string' },
        'mongodb-uri': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-ca': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    process.stderr.write(`palisade serve: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  // Loaded only for serve: the administration commands and usage errors need none of it.
  const { loadConfig } = await import('../config/load-config.js');
  const { startServer } = await import('../server.js');
  let config;
  try {
    config = loadConfig(process.env, {
      ...(values.config !== undefined ? { configFile: values.config } : {}),
      ...(values.host !== undefined ? { host: values.host } : {}),
      ...(values.port !== undefined ? { port: values.port } : {}),
      ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
      ...(values.store !== undefined ? { store: values.store } : {}),
      ...(values['mongodb-uri'] !== undefined ? { mongodbUri: values['mongodb-uri'] } : {}),
      ...(values['tls-cert'] !== undefined ? { tlsCert: values['tls-cert'] } : {}),
      ...(values['tls-key'] !== undefined ? { tlsKey: values['tls-key'] } : {}),
      ...(values['tls-ca'] !== undefined ? { tlsCa: values['tls-ca'] } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`palisade: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  let running;
  try {
    running = await startServer(config);
  } catch (err) {
    // The TLS files are read by startServer: a missing or unusable one is a configuration error.
    if (err instanceof ConfigError) {
      process.stderr.write(`palisade: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StoreVersionError) {
      process.stderr.write(`palisade: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  return new Promise<number>((resolve) => {
    // The first SIGTERM or SIGINT drains (see RunningServer.close, bounded by
    // server.limits.shutdown_grace_ms); a second one exits at once, with the status a shell
    // gives a process killed by that signal (128 + its number).
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.once('SIGINT', () => now('SIGINT', 130));
      process.once('SIGTERM', () => now('SIGTERM', 143));
      running.close().then(
        () => resolve(0),
        (err: unknown) => {
          process.stderr.write(`palisade: shutdown failed: ${err instanceof Error ? err.message : String(err)}\n`);
          resolve(1);
        },
      );
    };
    const now = (signal: string, code: number): void => {
      process.stderr.write(`palisade: ${signal} during shutdown: exiting now\n`);
      process.exit(code);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`palisade: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
