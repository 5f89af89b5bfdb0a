// `npm run bench` end to end, small: the one command of docs/benchmarks.md starts Palisade as a
// process of its own, runs every row (ingest, walks, page latency at a small and a big size, small
// requests, peak memory) and medallion and OpenTAXII from their pinned venvs, then prints one JSON
// line holding every figure. The sizes are far below the real run's: this checks that the
// benchmark works and that each figure comes out, not how fast anything is. SQLite only: on
// FerretDB the rows' 20,000 objects alone take over ten minutes (docs/benchmarks.md), so the
// MongoDB pass leaves this file out and `--store mongodb` is run by hand.
import { spawn } from 'node:child_process';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';

interface BenchRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runBench(args: string[], ms: number): Promise<BenchRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'bench', '--', ...args], {
      cwd: projectRoot,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-20_000)));
    const timer = setTimeout(() => {
      // the whole process group: npm, the bench and the servers it started
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    }, ms);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const FIGURES = [
  'ingest_obj_s',
  'ingest_1m_obj_s',
  'walk_obj_s',
  'walk2_obj_s',
  'page_latency_ratio',
  'small_rps',
  'peak_rss_mb',
  'medallion_walk_ratio',
  'medallion_ingest_ratio',
  'opentaxii_walk_ratio',
  'opentaxii_ingest_ratio',
];

describe('npm run bench, end to end on small sizes', function () {
  this.timeout(900_000);

  it('measures every row on SQLite and the two peers and ends with one JSON line of figures', async () => {
    const args = ['--objects', '1000', '--big', '10000', '--quick', '--runs', '1', '--seconds', '1', '--rss-mb', '2'];
    args.push('--store', 'sqlite', '--peers', '--peer-objects', '200', '--peer-runs', '1');
    const run = await runBench(args, 840_000);
    expect(run.code, `the benchmark failed:\n${run.stderr}`).to.equal(0);
    const last = run.stdout.trim().split('\n').pop() ?? '';
    const figures = JSON.parse(last) as Record<string, unknown>;
    expect(figures).to.include.all.keys(FIGURES);
    expect(figures.store).to.equal('sqlite');
    // --quick leaves out the ingest into the big collection; every other Palisade row has a figure
    expect(figures.ingest_1m_obj_s).to.equal(null);
    for (const k of ['ingest_obj_s', 'walk_obj_s', 'walk2_obj_s', 'page_latency_ratio', 'small_rps', 'peak_rss_mb'])
      expect(figures[k], k).to.be.a('number').above(0);
    for (const k of FIGURES.filter((f) => f.includes('_ratio') && f !== 'page_latency_ratio'))
      expect(figures[k], k).to.be.a('number').above(0);
    // the analyst index's catch-up is reported beside the ingest, never inside it
    expect(figures.ingest_indexed_obj_s).to.be.a('number').above(0);
    expect(figures.ingest_indexed_obj_s as number).to.be.at.most(figures.ingest_obj_s as number);
    expect(figures.client_ceiling_rps).to.be.a('number').above(0);
    expect(figures.express_helmet_rps).to.be.a('number').above(0);
    expect(figures.walk_client_ceiling_obj_s).to.be.a('number').above(0);
    expect(figures.walk2_client_ceiling_obj_s).to.be.a('number').above(0);
    // the human table comes first, with the targets beside the figures
    expect(run.stdout).to.match(/ingest/i);
    expect(run.stdout).to.match(/target/i);
    // every object sent was stored and every walk returned what was stored
    expect(run.stderr).not.to.match(/NOTE: .*(failed to ingest|returned \d+ objects, expected)/);
  });
});
