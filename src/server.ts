// Starts HTTP or HTTPS, handles signals. The only place besides the CLI entry that ends the process.
import { createServer, type Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import type { Config } from './config/load-config.js';
import { createContainer } from './container.js';
import { createHttpsServer, readTlsMaterial } from './http/tls.js';
import { createLogger } from './logger.js';

export interface RunningServer {
  server: HttpServer | HttpsServer;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Readonly<Config>): Promise<RunningServer> {
  // The TLS files first: a TLS misconfiguration stops the start (ConfigError) before the store is
  // opened, and never falls back to plain HTTP.
  const tls = config.server.tls ? readTlsMaterial(config.server.tls) : undefined;
  const log = createLogger(config.log.level);
  const container = await createContainer(config, log);
  const report = await bootstrap(container);
  if (report.generatedAdminPassword !== undefined) {
    // Shown once; only its scrypt hash is stored.
    process.stdout.write(
      `\nCreated the admin user.\n  username: admin\n  password: ${report.generatedAdminPassword}\n` +
        `This password is shown only now. Set PALISADE_ADMIN_PASSWORD on first start to choose it.\n\n`,
    );
  }
  if (report.demoSeeded) log.info('seeded the demo API root /demo/ with the state-linked groups collection');

  const app = buildApp(container);
  const server = tls ? createHttpsServer(tls, app) : createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.server.port, config.server.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.keepAliveTimeout = 65_000;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
  if (!tls && !['127.0.0.1', 'localhost', '::1'].includes(config.server.host)) {
    log.warn(
      { host: config.server.host },
      'serving plain HTTP on a non-loopback address: put a TLS-terminating proxy in front (TAXII 2.1 requires HTTPS)',
    );
  }
  log.info(
    { url: `${url}/taxii2/`, ...(tls ? { clientCertificates: tls.clientCertificates } : {}) },
    'Palisade is serving TAXII 2.1',
  );
  return {
    server,
    url,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.close();
    },
  };
}
