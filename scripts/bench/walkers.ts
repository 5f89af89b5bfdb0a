// The benchmark's side of scripts/bench/walker.ts: a walking client in a process of its own, kept
// across the runs of a row, asked for one run at a time.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { projectRoot } from '../../src/paths.js';
import type { Target } from './client.js';
import type { WalkerOptions, WalkerRun, WalkSpec } from './walker.js';

export type { WalkerRun, WalkSpec };

export class Walker {
  private readonly lines: Interface;
  private readonly pending: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private ended: Error | undefined;
  private stderr = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.resolve(line));
    child.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-3000)));
    child.once('exit', (code, signal) => {
      this.ended ??= new Error(`the walking client exited (${code ?? signal}): ${this.stderr}`);
      for (const p of this.pending.splice(0)) p.reject(this.ended);
    });
  }

  static async start(target: Target, timeoutMs: number): Promise<Walker> {
    const opts: WalkerOptions = { target, timeoutMs };
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(projectRoot, 'scripts', 'bench', 'walker.ts'), JSON.stringify(opts)],
      { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const w = new Walker(child);
    const ready = await w.next();
    if (ready !== 'ready') throw new Error(`the walking client did not start: ${ready}`);
    return w;
  }

  /** the collections walked at once, one client each; the run's figures */
  async run(specs: WalkSpec[]): Promise<WalkerRun> {
    const answer = this.next();
    this.child.stdin.write(`${JSON.stringify(specs)}\n`);
    const r = JSON.parse(await answer) as WalkerRun | { error: string };
    if ('error' in r) throw new Error(r.error);
    return r;
  }

  get isAborted(): boolean {
    return this.ended !== undefined;
  }

  /** Ends the process: a run in flight fails with `reason`. */
  abort(reason: Error): void {
    this.ended ??= reason;
    for (const p of this.pending.splice(0)) p.reject(reason);
    this.child.kill('SIGKILL');
  }

  close(): void {
    if (this.ended) return;
    this.ended = new Error('the walking client was closed');
    this.child.stdin.end();
    // it exits once its input ends; a walk still running is cut short
    setTimeout(() => this.child.kill('SIGKILL'), 5_000).unref();
  }

  private next(): Promise<string> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
}
