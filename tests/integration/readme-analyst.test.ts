// The analyst tour of README.md runs as written: `palisade serve` as a real process on a fresh data
// directory (the first start seeds the demo collection), then every line of the tour's shell block
// through bash and the real curl, with only the password and the port put in.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';
import { freePort } from '../helpers/free-port.js';
import { CLI } from '../helpers/serve-process.js';

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Analysts: search API and web console'));
const tour = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

describe('README analyst tour: every curl line against a fresh server', function () {
  this.timeout(120_000);
  const dir = mkdtempSync(join(tmpdir(), 'palisade-readme-api-'));
  let port = 0;
  let child: ReturnType<typeof spawn> | undefined;

  before(async function () {
    if (spawnSync('curl', ['--version']).status !== 0) {
      if (process.env.CI === 'true') throw new Error('CI=true but curl is not installed');
      console.log('      (skipped: curl is not installed)');
      this.skip();
    }
    expect(tour, 'the tour block').to.include('curl');
    port = await freePort();
    child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'serve', '--port', String(port), '--data-dir', join(dir, 'data')],
      {
        cwd: projectRoot,
        env: { PATH: process.env.PATH ?? '', PALISADE_LOG_LEVEL: 'warn', PALISADE_ADMIN_PASSWORD: 'readme-tour-pw' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (let i = 0; i < 300; i++) {
      const r = spawnSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${port}/readyz`]);
      if (r.stdout.toString() === '200') return;
      await new Promise((res) => setTimeout(res, 200));
    }
    throw new Error('the server did not become ready');
  });
  after(() => {
    child?.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs each line; every answer is JSON of the documented shape, downloads land in files', () => {
    const script = tour.replaceAll('PASSWORD', 'readme-tour-pw').replaceAll('127.0.0.1:8000', `127.0.0.1:${port}`);
    const lines = script.split('\n').filter((l) => l.trim() !== '');
    const setup = lines.filter((l) => !l.startsWith('curl')).join('\n');
    const outputs: unknown[] = [];
    for (const line of lines.filter((l) => l.startsWith('curl'))) {
      // --fail-with-body makes an HTTP error a failed command; -w prints the status on a line of its own
      const cmd = `${setup}\n${line.replace(/^curl -s /, 'curl -sS --fail-with-body -w "\\n%{http_code}" ')}`;
      const r = spawnSync('bash', ['-c', cmd], { cwd: dir, encoding: 'utf8' });
      expect(r.status, `${line}\n${r.stdout}\n${r.stderr}`).to.equal(0);
      const status = r.stdout.trim().split('\n').pop();
      expect(status, line).to.equal('200');
      const body = r.stdout.trim().split('\n').slice(0, -1).join('\n');
      if (body !== '') outputs.push(JSON.parse(body));
    }
    const [search] = outputs as { hits: { name: string }[] }[];
    expect(search?.hits[0]?.name).to.equal('APT28');
    const layer = JSON.parse(readFileSync(join(dir, 'apt28-layer.json'), 'utf8'));
    expect(layer.versions.layer).to.equal('4.5');
    expect(existsSync(join(dir, 'apt28-bundle.json'))).to.equal(true);
    const bundle = JSON.parse(readFileSync(join(dir, 'apt28-bundle.json'), 'utf8'));
    expect(bundle.objects.map((o: { name: string }) => o.name)).to.deep.equal(['APT28']);
  });
});
