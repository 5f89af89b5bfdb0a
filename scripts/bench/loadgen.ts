// A small-request load generator that stays out of the way of what it measures: raw keep-alive
// sockets, pre-built request bytes, a minimal response parser, run as a process of its own.
//   node --import tsx scripts/bench/loadgen.ts run '<json options>'   prints one JSON line
//   node --import tsx scripts/bench/loadgen.ts trivial PORT             a trivial HTTP server (the
//     ceiling measurement: what this client reaches when the server does almost nothing)
//   node --import tsx scripts/bench/loadgen.ts pages PORT               fixed 1000-object pages (the
//     walk rows' ceiling: what the benchmark's walking client reaches)
//   node --import tsx scripts/bench/loadgen.ts express PORT             express + helmet, one route
//     (the floor of any Express app on this machine, with this client)
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface LoadOptions {
  port: number;
  /** paths requested in turn on every connection */
  paths: string[];
  headers: Record<string, string>;
  connections: number;
  /** requests in flight on one connection (1: plain keep-alive, no pipelining) */
  depth: number;
  warmupMs: number;
  durationMs: number;
}

export interface LoadResult {
  requests: number;
  rps: number;
  errors: number;
  statuses: Record<string, number>;
  p50_ms: number;
  p99_ms: number;
}

function run(o: LoadOptions): Promise<LoadResult> {
  const head = Object.entries(o.headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  const reqs = o.paths.map((p) => Buffer.from(`GET ${p} HTTP/1.1\r\nHost: 127.0.0.1:${o.port}\r\n${head}\r\n`));
  let measuring = false;
  let stopped = false;
  let requests = 0;
  let errors = 0;
  const statuses: Record<string, number> = {};
  const lat: number[] = [];
  const sockets: Socket[] = [];
  /** per connection slot: how many of its requests await an answer */
  const inFlight: (() => number)[] = [];

  const count = (status: string, t: number | undefined): void => {
    if (!measuring) return;
    requests++;
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status !== '200') errors++;
    if (t !== undefined && lat.length < 1_000_000) lat.push(performance.now() - t);
  };
  // One connection slot: a server that closes after each answer (HTTP/1.0, no keep-alive) gets a
  // new connection per request, which is what any client of it pays.
  const open = (n: number, turn: number): void => {
    const s = connect({ host: '127.0.0.1', port: o.port });
    s.setNoDelay(true);
    sockets[n] = s;
    let buf = Buffer.alloc(0);
    const sent: number[] = [];
    inFlight[n] = () => (s.destroyed ? 0 : sent.length);
    let closing = false;
    const send = (): void => {
      if (stopped || closing) return;
      sent.push(performance.now());
      s.write(reqs[turn++ % reqs.length] as Buffer);
    };
    s.on('connect', () => {
      for (let k = 0; k < o.depth; k++) send();
    });
    s.on('data', (d: Buffer) => {
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const header = buf.subarray(0, end).toString('latin1');
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(header);
        let total: number;
        if (cl) total = end + 4 + Number(cl[1]);
        else if (/\r\ntransfer-encoding:\s*chunked/i.test(header)) {
          const z = buf.indexOf('\r\n0\r\n\r\n', end + 4);
          if (z < 0) return;
          total = z + 7;
        } else return; // delimited by the end of the connection
        if (buf.length < total) return;
        buf = buf.subarray(total);
        if (/\r\nconnection:\s*close/i.test(header) || header.startsWith('HTTP/1.0')) closing = true;
        count(header.slice(9, 12), sent.shift());
        send();
      }
    });
    s.on('error', () => {
      if (measuring) errors++;
    });
    s.on('close', () => {
      const end = buf.indexOf('\r\n\r\n');
      if (end >= 0 && sent.length > 0) count(buf.subarray(9, 12).toString('latin1'), sent.shift());
      if (!stopped) open(n, turn);
      else inFlight[n] = () => 0;
    });
  };
  for (let n = 0; n < o.connections; n++) open(n, n);
  let done: (r: LoadResult) => void = () => undefined;
  return new Promise((resolve) => {
    done = resolve;
    setTimeout(() => {
      measuring = true;
      const t0 = performance.now();
      setTimeout(() => {
        measuring = false;
        stopped = true;
        const secs = (performance.now() - t0) / 1000;
        // a polite end: no new requests, the answers in flight are read, then the connections close
        const deadline = performance.now() + 5000;
        const drain = (): void => {
          if (inFlight.some((f) => f() > 0) && performance.now() < deadline) {
            setTimeout(drain, 10);
            return;
          }
          for (const s of sockets) s.destroy();
          finish(secs);
        };
        drain();
      }, o.durationMs);
    }, o.warmupMs);
  });

  function finish(secs: number): void {
    lat.sort((a, b) => a - b);
    const q = (p: number): number =>
      Number((lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN).toFixed(2));
    done({ requests, rps: Math.round(requests / secs), errors, statuses, p50_ms: q(0.5), p99_ms: q(0.99) });
  }
}

const [mode, arg] = process.argv.slice(2);
/** pages of one walk in `pages` mode */
export const PAGES_PER_WALK = 100;
if (mode === 'run') {
  run(JSON.parse(arg as string) as LoadOptions).then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exit(1);
    },
  );
} else if (mode === 'pages') {
  // The walk rows' ceiling: fixed pages of 1000 generated objects (the benchmark's own data), a
  // walk of PAGES_PER_WALK pages per collection path; what the walking client reaches when the
  // server only writes bytes it holds.
  const { generatedSource } = await import('./stix-gen.js');
  const gen = generatedSource(1);
  const texts: string[] = [];
  for (let i = 0; i < 1000; i++) texts.push(JSON.stringify(gen.object(i)));
  const page = (more: boolean): Buffer =>
    Buffer.from(`{"more":${more}${more ? ',"next":"n"' : ''},"objects":[${texts.join(',')}]}`);
  const mid = page(true);
  const end = page(false);
  const served = new Map<string, number>();
  createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0] as string;
    const n = (served.get(path) ?? 0) + 1;
    served.set(path, n);
    const body = n % PAGES_PER_WALK === 0 ? end : mid;
    res.writeHead(200, {
      'Content-Type': 'application/taxii+json;version=2.1',
      'Content-Length': body.length,
      'X-TAXII-Date-Added-Last': '2024-01-01T00:00:00.000000Z',
    });
    res.end(body);
  }).listen(Number(arg), '127.0.0.1', () => process.stdout.write('listening\n'));
} else if (mode === 'express') {
  // The floor of any Express app here: express with helmet's default headers and one route, the
  // same body as `trivial`. Palisade's small requests cannot beat it on the same machine.
  const [{ default: express }, { default: helmet }] = await Promise.all([import('express'), import('helmet')]);
  const body = JSON.stringify({ title: 'trivial', default: '/b/', api_roots: ['/b/'] });
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(helmet());
  app.get('/taxii2/', (_req, res) => {
    res.setHeader('Content-Type', 'application/taxii+json;version=2.1');
    res.end(body);
  });
  app.listen(Number(arg), '127.0.0.1', () => process.stdout.write('listening\n'));
} else if (mode === 'trivial') {
  // about the size of a TAXII discovery answer, with a comparable set of headers
  const body = JSON.stringify({ title: 'trivial', default: '/b/', api_roots: ['/b/'] });
  createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/taxii+json;version=2.1',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }).listen(Number(arg), '127.0.0.1', () => process.stdout.write('listening\n'));
}
