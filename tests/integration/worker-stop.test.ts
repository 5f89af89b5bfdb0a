// Stopping the ingestion worker right after starting it (container.close() while the worker's
// first look at the queue is in flight) must end the worker at once. It used to go on to sleep one
// poll interval on an unreferenced timer, and a process with nothing else to run (a CLI command
// whose first request failed) then exited with status 0 before reporting anything.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';

describe('closing a container right after starting its ingestion worker', function () {
  this.timeout(60_000);

  it('the process gets past close() and exits with its own status', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palisade-worker-stop-'));
    try {
      for (let run = 0; run < 3; run++) {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(projectRoot, 'tests', 'fixtures', 'processes', 'close-right-after-start.ts'), dir],
          { cwd: projectRoot, env: { PATH: process.env.PATH ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        const [code] = (await once(child, 'exit')) as [number | null];
        expect({ code, out: out.trim() }, `run ${run}`).to.deep.equal({ code: 3, out: 'closed' });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
