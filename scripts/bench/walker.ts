// The walking client of the walk rows, in a process of its own so that what the benchmark process
// holds (the envelopes of the ingest rows, over 100 MB) does not weigh on the client's garbage
// collection: in the benchmark process the same client spent about twice the CPU per object.
//   node --import tsx scripts/bench/walker.ts '<json WalkerOptions>'
// Prints "ready", then for every line read on stdin (a JSON array of WalkSpec) walks those
// collections at once, one client each (kept, with its connections, across the runs), and prints
// one JSON line: a WalkerRun, or {"error": "..."}.
import { createInterface } from 'node:readline';
import { Client, walk, type Target, type WalkResult } from './client.js';

export interface WalkerOptions {
  target: Target;
  timeoutMs: number;
}

export interface WalkSpec {
  collection: string;
  limit: number;
  query?: string;
}

export interface WalkerRun {
  walks: WalkResult[];
  /** from the first request of any walk to the last answer of all */
  seconds: number;
  /** CPU of this process over the run, µs */
  cpu_us: number;
}

const opts = JSON.parse(process.argv[2] ?? '{}') as WalkerOptions;
const clients: Client[] = [];
const clientFor = (i: number): Client => (clients[i] ??= new Client(opts.target, opts.timeoutMs));

async function run(specs: WalkSpec[]): Promise<WalkerRun> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const walks = await Promise.all(specs.map((s, i) => walk(clientFor(i), s.collection, s.limit, s.query ?? '')));
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { walks, seconds, cpu_us: c.user + c.system };
}

const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line.trim() === '') continue;
  try {
    process.stdout.write(`${JSON.stringify(await run(JSON.parse(line) as WalkSpec[]))}\n`);
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`);
  }
}
for (const c of clients) c.close();
