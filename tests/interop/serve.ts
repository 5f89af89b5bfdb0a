// A real `palisade serve` for the interoperability tests with the OASIS Python clients
// (tests/interop/test_*.py): 127.0.0.1, a free port, a throwaway data directory, the configuration
// tests/interop/palisade.yaml (on SQLite, or on the MongoDB test server when the suite runs on the
// MongoDB store), and an API token for the service account issued through the admin API, the way
// an operator hands one to a connector. interopEnvironment() is what the pytest run needs to reach it.
//
// By hand (prints the environment for pytest and keeps the server running until Ctrl-C):
//   npx tsx tests/interop/serve.ts
//   env <printed variables> $PALISADE_PYTHON -m pytest tests/interop -q
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../helpers/free-port.js';
import { mongoTestUri } from '../helpers/mongo-url.js';
import { spawnServe, type ServeProcess } from '../helpers/serve-process.js';
import { restartableStore, TEST_BACKEND } from '../helpers/test-app.js';

const HERE = join(projectRoot, 'tests', 'interop');

/** Accounts of tests/interop/palisade.yaml; the passwords exist only for this throwaway server. */
export const ACCOUNTS = {
  admin: { username: 'interop-admin', password: 'interop-admin-password-1', env: 'INTEROP_ADMIN_PASSWORD' },
  analyst: { username: 'interop-analyst', password: 'interop-analyst-password-1', env: 'INTEROP_ANALYST_PASSWORD' },
  outsider: {
    username: 'interop-outsider',
    password: 'interop-outsider-password-1',
    env: 'INTEROP_OUTSIDER_PASSWORD',
  },
} as const;
/** the service account that signs in with a token only */
export const SERVICE_ACCOUNT = 'interop-sync';
export const API_ROOT = 'interop';

export interface InteropServer {
  url: string;
  backend: 'sqlite' | 'mongodb';
  /** the service account's API token, issued at start */
  token: string;
  process: ServeProcess;
  /** what the pytest run reads (tests/interop/conftest.py) */
  env: Record<string, string>;
  stop(): Promise<void>;
}

async function waitReady(url: string, child: ServeProcess, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`palisade serve exited before it was ready:\n${child.output().slice(-4000)}`);
    }
    if (Date.now() > deadline)
      throw new Error(`palisade serve not ready within ${ms} ms:\n${child.output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function issueToken(url: string): Promise<string> {
  const { username, password } = ACCOUNTS.admin;
  const res = await fetch(`${url}/admin/users/${SERVICE_ACCOUNT}/tokens`, {
    method: 'POST',
    headers: {
      Authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`,
      'Content-Type': 'application/json',
      Accept: 'application/json',
    },
    body: JSON.stringify({ label: 'interop connector' }),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`issuing the service account's token answered ${res.status}: ${text}`);
  const token = (JSON.parse(text) as { token?: unknown }).token;
  if (typeof token !== 'string' || token === '') throw new Error(`no token in the answer: ${text}`);
  return token;
}

/** Starts the server, on the store the test run selects (PALISADE_TEST_STORE), and issues the token. */
export async function startInteropServer(): Promise<InteropServer> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-interop-'));
  const store = restartableStore();
  let storeYaml = '';
  if (store.sharedMongoDatabase !== undefined) {
    const uri = mongoTestUri();
    if (!uri) throw new Error('the MongoDB store needs PALISADE_TEST_MONGO_URI');
    storeYaml = `store: { kind: mongodb, uri: ${JSON.stringify(uri)}, database: ${store.sharedMongoDatabase} }\n`;
  }
  const config = join(dir, 'palisade.yaml');
  await writeFile(config, storeYaml + (await readFile(join(HERE, 'palisade.yaml'), 'utf8')));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {};
  for (const a of Object.values(ACCOUNTS)) env[a.env] = a.password;
  const child = spawnServe({ config, dataDir: join(dir, 'data'), port, env });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await store.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(url, child, 60_000);
    const token = await issueToken(url);
    return {
      url,
      backend: TEST_BACKEND,
      token,
      process: child,
      env: {
        PALISADE_INTEROP_URL: url,
        PALISADE_INTEROP_API_ROOT: API_ROOT,
        PALISADE_INTEROP_USER: ACCOUNTS.analyst.username,
        PALISADE_INTEROP_PASSWORD: ACCOUNTS.analyst.password,
        PALISADE_INTEROP_OUTSIDER: ACCOUNTS.outsider.username,
        PALISADE_INTEROP_OUTSIDER_PASSWORD: ACCOUNTS.outsider.password,
        PALISADE_INTEROP_TOKEN: token,
        PALISADE_INTEROP_BACKEND: TEST_BACKEND,
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const server = await startInteropServer();
  for (const [k, v] of Object.entries(server.env)) console.log(`${k}=${v}`);
  console.log(`# serving on ${server.url} (${server.backend}); Ctrl-C stops it`);
  process.once('SIGINT', () => void server.stop().then(() => process.exit(0)));
}
