// Starts HTTP, handles signals. The only place besides the CLI entry that ends the process.
import type { Server } from 'node:http';
import { buildApp } from './app.js';
import { bootstrap } from './bootstrap.js';
import type { Config } from './config/load-config.js';
import { createContainer } from './container.js';
import { createLogger } from './logger.js';

export interface RunningServer {
  server: Server;
  url: string;
  close(): Promise<void>;
}

export async function startServer(config: Readonly<Config>): Promise<RunningServer> {
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
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.server.port, config.server.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  const url = `http://${host}:${port}`;
  if (!['127.0.0.1', 'localhost', '::1'].includes(config.server.host)) {
    log.warn(
      { host: config.server.host },
      'serving plain HTTP on a non-loopback address: put a TLS-terminating proxy in front (TAXII 2.1 requires HTTPS)',
    );
  }
  log.info({ url: `${url}/taxii2/` }, 'Palisade is serving TAXII 2.1');
  return {
    server,
    url,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.close();
    },
  };
}
