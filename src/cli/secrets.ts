// Passwords for the admin commands. Never from an argument: arguments end up in shell history and
// in `ps` for every local user to read. From an environment variable named by --password-env, or
// from standard input with --password-stdin (piped, or typed at a terminal without echo).
import type { ReadStream } from 'node:tty';
import { UsageError } from './args.js';

export interface PasswordFlags {
  'password-env'?: string | undefined;
  'password-stdin'?: boolean | undefined;
}

/** The password the flags point at; undefined when they name none. */
export async function readPassword(
  flags: PasswordFlags,
  stdin: NodeJS.ReadStream = process.stdin,
): Promise<string | undefined> {
  const envName = flags['password-env'];
  if (envName !== undefined && flags['password-stdin'] === true)
    throw new UsageError('give either --password-env or --password-stdin, not both');
  if (envName !== undefined) {
    const value = process.env[envName];
    if (value === undefined || value === '')
      throw new UsageError(`--password-env: the environment variable ${envName} is not set or empty`);
    return value;
  }
  if (flags['password-stdin'] !== true) return undefined;
  const password = stdin.isTTY ? await typed(stdin as ReadStream) : await piped(stdin);
  if (password === '') throw new UsageError('--password-stdin: standard input held no password');
  return password;
}

/** Everything on standard input, less one final line break (what `echo` or a heredoc adds). */
async function piped(stdin: NodeJS.ReadStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** One line typed at the terminal, not echoed. Ctrl-C or Ctrl-D on an empty line gives up. */
function typed(tty: ReadStream): Promise<string> {
  process.stderr.write('Password: ');
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (err?: Error): void => {
      tty.setRawMode(false);
      tty.pause();
      tty.off('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    const onData = (data: Buffer): void => {
      for (const ch of data.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || (ch === '\u0004' && line === '')) return done(new Error('no password typed'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ') line += ch;
      }
    };
    tty.setRawMode(true);
    tty.resume();
    tty.on('data', onData);
  });
}
