// `palisade serve` as a real child process (through tsx, like the tests' own code), for tests of
// what only a process shows: exit codes, signals, kills and restarts.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { projectRoot } from '../../src/paths.js';

export const CLI = join(projectRoot, 'src', 'cli', 'main.ts');

export interface ServeOptions {
  config: string;
  dataDir: string;
  port: number;
  /** environment beside PATH (password_env variables and the like) */
  env?: Record<string, string>;
  /** PALISADE_LOG_LEVEL, warn unless given */
  logLevel?: string;
}

export type ServeProcess = ChildProcessByStdio<null, Readable, Readable> & {
  /** everything printed on standard output and error so far */
  output(): string;
};

export function spawnServe(o: ServeOptions): ServeProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'serve', '--config', o.config, '--port', String(o.port), '--data-dir', o.dataDir],
    {
      cwd: projectRoot,
      env: { PATH: process.env.PATH ?? '', PALISADE_LOG_LEVEL: o.logLevel ?? 'warn', ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return Object.assign(child, { output: () => out });
}
