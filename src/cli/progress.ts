// Progress of the data commands on standard error (standard output stays for data and the
// report): a bar when standard error is a terminal, otherwise a plain line at most every few
// seconds (logs, CI), or nothing with --quiet.
import cliProgress from 'cli-progress';

export interface Progress {
  /** objects read so far (the bar's total) and processed (its value) */
  update(read: number, processed: number, label?: string): void;
  /** a line of its own (a file done, a pass done), printed above the bar */
  note(text: string): void;
  stop(): void;
}

export type ProgressMode = 'bar' | 'lines' | 'none';

export function progressMode(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (quiet) return 'none';
  return stream.isTTY ? 'bar' : 'lines';
}

export function createProgress(mode: ProgressMode, what: string, lineEveryMs = 5_000): Progress {
  if (mode === 'none') return { update: () => undefined, note: () => undefined, stop: () => undefined };
  if (mode === 'lines') {
    let last = Date.now();
    let shown = '';
    return {
      update(read, processed, label) {
        const now = Date.now();
        const line = `${label ?? what}: ${processed} of ${read} objects processed`;
        if (now - last < lineEveryMs || line === shown) return;
        last = now;
        shown = line;
        process.stderr.write(`${line}\n`);
      },
      note: (text) => void process.stderr.write(`${text}\n`),
      stop: () => undefined,
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format: `{label} [{bar}] {value}/{total} objects processed | {duration_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(read, processed, label) {
      if (!started) {
        bar.start(Math.max(read, 1), processed, { label: label ?? what });
        started = true;
        return;
      }
      bar.setTotal(Math.max(read, 1));
      bar.update(processed, { label: label ?? what });
    },
    note(text) {
      if (started) bar.stop();
      started = false;
      process.stderr.write(`${text}\n`);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
