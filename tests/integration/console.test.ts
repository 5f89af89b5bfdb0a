// The web console (/console/) in a real browser: Debian's Chromium driven by playwright-core
// against the real app on 127.0.0.1, with hand-made actors (and ATT&CK Enterprise when
// ../shared/data is there). An analyst signs in, searches as she types, opens an actor, its graph
// and an object, downloads bundles and a Navigator layer; a second user who may not read the
// restricted collection sees nothing of it; the phone-sized layout never scrolls sideways; a
// wrong password, a stale session and a logout return to the login form. Screenshots of each
// page go to tests/output/console/ (PALISADE_CONSOLE_DOCS=1 also copies two into docs/images/).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'chai';
import express from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { CONSOLE_CSP, consoleRoutes } from '../../src/console/routes.js';
import { errorMiddleware } from '../../src/http/error-middleware.js';
import { silentLogger } from '../../src/logger.js';
import { projectRoot } from '../../src/paths.js';
import {
  EXFIL,
  HARBOUR,
  IMPLANT,
  KESTREL,
  LOADER,
  LOW_TIDE,
  POWERSHELL,
  RESTRICTED,
  SANDCASTLE,
  SHARED,
  SPEARPHISH,
  TUNNEL,
  VALID_ACCOUNTS,
  relationshipIds,
} from '../helpers/console-fixtures.js';
import { sharedDataFile } from '../helpers/shared-data.js';
import { startTestApp, type TestApp, type TestUser } from '../helpers/test-app.js';

const CHROMIUM = '/usr/bin/chromium';
const OUT = join(projectRoot, 'tests', 'output', 'console');
const DIST = join(projectRoot, 'dist', 'console');
const WEB_SRC = join(projectRoot, 'src', 'console', 'web');

const SHARED_C = '3c0a1b2c-4d5e-4f60-8a71-92b3c4d5e6f7';
const RESTRICTED_C = '4d1b2c3d-5e6f-4a71-9b82-a3c4d5e6f708';
const ATTACK_C = '5e2c3d4e-6f70-4b82-8c93-b4d5e6f70819';
const APT28 = 'intrusion-set--bef4c620-0787-42a8-a96d-b7eb6e85917c';

const ALICE: TestUser = { name: 'alice', password: 'alice-pw-1' };
const BOB: TestUser = { name: 'bob', password: 'bob-pw-1' };
const OPS: TestUser = { name: 'ops', password: 'ops-pw-1' };

const CONFIG = `
auth: { failure_limit: 1000 }
taxii:
  title: Palisade console tests
  default_api_root: intel
  max_page_size: 1000
users:
  - { username: alice, password_env: PW_ALICE }
  - { username: bob, password_env: PW_BOB }
  - { username: ops, role: platform-admin, password_env: PW_OPS }
api_roots:
  - path: intel
    title: Threat intelligence
    collections:
      - id: ${SHARED_C}
        title: Shared actors
        grants:
          - { user: alice, read: true, write: true }
          - { user: bob, read: true }
      - id: ${RESTRICTED_C}
        title: Restricted actors
        grants:
          - { user: alice, read: true, write: true }
      - id: ${ATTACK_C}
        title: MITRE ATT&CK Enterprise
        grants:
          - { user: alice, read: true, write: true }
          - { user: bob, read: true }
`;
const ENV = { PW_ALICE: ALICE.password, PW_BOB: BOB.password, PW_OPS: OPS.password };

const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Builds the console unless dist/console is newer than every source file. */
function ensureBuilt(): void {
  const newest = (dir: string): number =>
    Math.max(
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  const built = ['index.html', 'app.js', 'app.css'].map((f) => join(DIST, f));
  const fresh = built.every(existsSync) && Math.min(...built.map((f) => statSync(f).mtimeMs)) >= newest(WEB_SRC);
  if (!fresh) execFileSync(process.execPath, [join(projectRoot, 'scripts', 'build-console.mjs')], { stdio: 'pipe' });
}

async function post(app: TestApp, collection: string, objects: unknown[]): Promise<void> {
  const res = await app.post(`/intel/collections/${collection}/objects/`, { objects }, ALICE).expect(202);
  expect(res.body.failure_count, JSON.stringify(res.body.failures?.slice(0, 3))).to.equal(0);
}

/** Everything the page reported that a user would not want: script errors and CSP refusals. */
interface Watch {
  problems: string[];
}

function watch(page: Page): Watch {
  const w: Watch = { problems: [] };
  page.on('pageerror', (err) => w.problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    // An API answer of 401 or 404 (a refused sign-in, an object the user may not read) is logged by
    // the browser as a failed resource load; the page shows it, so it is expected here.
    // Which resource failed is checked on the responses below.
    if (msg.type() === 'error' && !/status of 40[14]/.test(text)) w.problems.push(`console: ${text}`);
    if (/Content Security Policy/i.test(text)) w.problems.push(`CSP: ${text}`);
  });
  page.on('response', (res) => {
    const refusal = [401, 404].includes(res.status()) && new URL(res.url()).pathname.startsWith('/api/v1/');
    if (res.status() >= 400 && !refusal) w.problems.push(`HTTP ${res.status()} for ${res.url()}`);
  });
  return w;
}

async function signIn(page: Page, user: TestUser): Promise<void> {
  await page.locator('#login-username').fill(user.name);
  await page.locator('#login-password').fill(user.password);
  await page.locator('#login-submit').click();
  await page.locator('#search-input').waitFor();
}

/** The page never scrolls sideways: its scrolling width fits the viewport. */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => (document.scrollingElement?.scrollWidth ?? 0) - window.innerWidth);
}

async function downloaded(page: Page, click: () => Promise<void>): Promise<{ name: string; json: unknown }> {
  const [download] = await Promise.all([page.waitForEvent('download'), click()]);
  const path = await download.path();
  return { name: download.suggestedFilename(), json: JSON.parse(readFileSync(path, 'utf8')) as unknown };
}

interface Bundle {
  type: string;
  id: string;
  objects: { id: string; type: string; name?: string }[];
}

const shot = (page: Page, name: string): Promise<Buffer> =>
  page.screenshot({ path: join(OUT, `${name}.png`), fullPage: false });

describe('Web console (/console/): routes', function () {
  this.timeout(60_000);

  it('serves the built console without authentication, under its own strict CSP, and revalidates it', async () => {
    ensureBuilt();
    const app = await startTestApp({ config: CONFIG, env: ENV });
    try {
      const redirect = await app.http.get('/console?x=1').expect(301);
      expect(redirect.headers.location).to.equal('/console/?x=1');
      const index = await app.http.get('/console/').expect(200);
      expect(index.headers['content-type']).to.match(/^text\/html/);
      expect(index.headers['content-security-policy']).to.equal(CONSOLE_CSP);
      expect(index.headers['cache-control']).to.equal('no-cache');
      expect(index.text).to.include('<script defer src="app.js"></script>');
      const js = await app.http.get('/console/app.js').expect(200);
      expect(js.headers['content-type']).to.match(/javascript/);
      expect(js.headers['cache-control']).to.equal('no-cache');
      await app.http
        .get('/console/app.css')
        .expect('Content-Type', /text\/css/)
        .expect(200);
      const missing = await app.http.get('/console/nope.js').expect(404);
      expect(missing.headers['content-type']).to.match(/^application\/problem\+json/);
      expect(missing.body).to.include({ status: 404 });
      await app.http.get('/console/../package.json').expect((r) => expect(r.status).to.not.equal(200));
      const posted = await app.http.post('/console/').send('x').expect(405);
      expect(posted.headers.allow).to.equal('GET, HEAD');
      // The data is not public: the API still wants credentials.
      await app.http.get('/api/v1/search?q=sand').expect(401);
    } finally {
      await app.close();
    }
  });

  it('answers 503 with a problem naming the build command when the console was not built', async () => {
    const app = express();
    app.use(consoleRoutes({ dir: join(projectRoot, 'tests', 'output', 'no-such-console') }));
    app.use(errorMiddleware(silentLogger));
    const res = await supertest(app).get('/console/').expect(503);
    expect(res.headers['content-type']).to.match(/^application\/problem\+json/);
    expect(res.body).to.include({ status: 503 });
    expect(res.body.title).to.be.a('string').and.not.equal('');
    expect(res.body.detail).to.include('npm run build');
    expect(res.text).to.not.match(/at .+\.ts:\d+/);
  });
});

describe('Web console in Chromium', function () {
  this.timeout(180_000);
  let app: TestApp;
  let server: Server;
  let base: string;
  let browser: Browser;
  let desk: BrowserContext;
  let page: Page;
  let watched: Watch;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') throw new Error(`CI=true but ${CHROMIUM} is missing`);
      console.log(`      (skipped: ${CHROMIUM} is not installed; apt-get install chromium to run the browser tests)`);
      this.skip();
    }
    mkdirSync(OUT, { recursive: true });
    ensureBuilt();
    app = await startTestApp({ config: CONFIG, env: ENV });
    await post(app, SHARED_C, SHARED);
    await post(app, RESTRICTED_C, RESTRICTED);
    server = createServer(buildApp(app.container));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    desk = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    page = await desk.newPage();
    watched = watch(page);
  });

  after(async () => {
    await browser?.close();
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await app?.close();
  });

  afterEach(function () {
    if (!watched) return;
    const problems = watched.problems.splice(0);
    expect(problems, `${this.currentTest?.title ?? ''}: the page reported problems`).to.deep.equal([]);
  });

  it('refuses a wrong password with a clear message and stays on the login form', async () => {
    await page.goto(`${base}/console/`);
    await page.locator('#login-form').waitFor();
    await shot(page, 'login');
    await page.locator('#login-username').fill(ALICE.name);
    await page.locator('#login-password').fill('not-her-password');
    await page.locator('#login-submit').click();
    await page.locator('#login-error').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await page.locator('#login-error').textContent()).to.equal('Wrong username or password.');
    expect(await page.evaluate(() => sessionStorage.length)).to.equal(0);
    expect(await page.locator('#search-input').count()).to.equal(0);
  });

  it('signs in and finds an actor as the analyst types, the snippet highlighted and markup shown as text', async () => {
    await signIn(page, ALICE);
    expect(await page.locator('#who').textContent()).to.equal('alice');
    await page.locator('#search-input').pressSequentially('Sandc', { delay: 40 });
    const hit = page.locator('#search-results .hit', { hasText: 'Sandcastle Typhoon' });
    await hit.first().waitFor({ timeout: 10_000 });
    expect(await hit.first().locator('mark').first().textContent()).to.match(/^Sandcastle$/i);
    expect(await hit.first().locator('.where').textContent()).to.include('intel / Shared actors');
    // An alias holding markup: matched, shown as typed, never parsed.
    await page.locator('#search-input').fill('glass');
    const glass = page.locator('#search-results .hit', { hasText: 'Glass' });
    await glass.first().waitFor({ timeout: 10_000 });
    expect(await glass.first().locator('.snippet').textContent()).to.include('<i>');
    expect(await page.locator('#search-results i, #search-results script').count()).to.equal(0);
    // Back to the actor; the last query typed wins whatever order the answers come in.
    await page.locator('#search-input').fill('');
    await page.locator('#search-input').pressSequentially('sandcastle typ', { delay: 15 });
    await page.waitForFunction(
      () =>
        location.hash === '#/search?q=sandcastle+typ' &&
        /^\d+\+? results?$/.test(document.querySelector('#search-status')?.textContent ?? ''),
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.locator('#search-results .hit-name').first().textContent()).to.equal('Sandcastle Typhoon');
    await shot(page, 'search');
  });

  it('downloads the search result set as a STIX bundle', async () => {
    const { name, json } = await downloaded(page, () => page.locator('#search-download').click());
    const bundle = json as Bundle;
    expect(name).to.equal('palisade-export.json');
    expect(bundle.type).to.equal('bundle');
    expect(bundle.id).to.match(/^bundle--[0-9a-f-]{36}$/);
    expect(bundle.objects.map((o) => o.id)).to.include(SANDCASTLE.id);
  });

  it('opens the actor page: profile, techniques grouped by tactic, malware, tools, campaigns, targets, indicators', async () => {
    await page.locator('#search-results .hit-name', { hasText: 'Sandcastle Typhoon' }).first().click();
    await page.locator('#actor-name').waitFor();
    expect(page.url()).to.include(`#/actor/${SANDCASTLE.id}`);
    expect(await page.locator('#actor-name').textContent()).to.equal('Sandcastle Typhoon');
    const text = (await page.locator('main').textContent()) ?? '';
    for (const s of ['TIDE-7', 'PT-0007', LOADER.name, IMPLANT.name, TUNNEL.name, LOW_TIDE.name, HARBOUR.name])
      expect(text).to.include(s as string);
    // The description's markup is text: no script element came from the data.
    expect(text).to.include('<script>alert("x")</script>');
    expect(await page.locator('main script').count()).to.equal(0);
    expect(await page.locator('#actor-indicators').textContent()).to.equal('1');
    const groups = await page
      .locator('#actor-techniques .tactic')
      .evaluateAll((els) =>
        els.map((e) => [
          e.getAttribute('data-tactic'),
          [...e.querySelectorAll('li')].map((li) => li.querySelector('.tid')?.textContent ?? ''),
        ]),
      );
    // ATT&CK matrix order; a technique under each of its tactics.
    expect(groups).to.deep.equal([
      ['initial-access', ['T1078', 'T1566.001']],
      ['execution', ['T1059.001']],
      ['persistence', ['T1078']],
      ['privilege-escalation', ['T1078']],
      ['defense-evasion', ['T1078']],
      ['exfiltration', ['T1041']],
    ]);
    expect(await page.locator('.tactic[data-tactic="execution"] li').textContent()).to.include(POWERSHELL.name);
    await shot(page, 'actor');
  });

  it('downloads the actor with its neighbours as a STIX bundle, and its ATT&CK Navigator layer', async () => {
    const { json } = await downloaded(page, () => page.locator('#actor-bundle').click());
    const bundle = json as Bundle;
    expect(bundle.type).to.equal('bundle');
    const ids = new Set(bundle.objects.map((o) => o.id));
    for (const o of [SANDCASTLE, SPEARPHISH, VALID_ACCOUNTS, EXFIL, LOADER, TUNNEL, LOW_TIDE])
      expect(ids.has(o.id), o.name as string).to.equal(true);
    const rels = relationshipIds(SHARED);
    expect(rels.filter((r) => ids.has(r)).length).to.be.greaterThan(0);
    expect([...ids].some((id) => RESTRICTED.some((o) => o.id === id))).to.equal(false);

    const layer = (await downloaded(page, () => page.locator('#actor-layer').click())).json as {
      techniques?: { techniqueID?: string }[];
    };
    const tids = new Set((layer.techniques ?? []).map((t) => t.techniqueID));
    for (const t of ['T1566.001', 'T1059.001', 'T1078', 'T1041']) expect(tids.has(t), t).to.equal(true);
  });

  it('draws the actor and its neighbours with Cytoscape; tapping a node recentres; depth 2 reaches further', async () => {
    await page.locator('#actor-graph').click();
    await page.waitForFunction(() => (window.__palisadeGraph?.nodes().length ?? 0) > 1);
    const info = await page.evaluate(() => {
      const cy = window.__palisadeGraph;
      return {
        nodes: cy?.nodes().map((n) => String(n.data('label'))) ?? [],
        edges: cy?.edges().map((e) => String(e.data('label'))) ?? [],
        canvases: document.querySelectorAll('#graph canvas').length,
        styles: document.querySelectorAll('style').length,
      };
    });
    expect(info.nodes).to.include.members(['Sandcastle Typhoon', LOADER.name, TUNNEL.name, LOW_TIDE.name]);
    expect(info.nodes).to.not.include('Obsidian Kestrel');
    expect(info.edges).to.include.members(['uses', 'attributed-to', 'targets', 'indicates']);
    expect(info.canvases).to.be.greaterThan(0);
    expect(info.styles, 'no inline <style> element (the CSP refuses them)').to.equal(0);
    // The canvas is drawn: some pixels differ from the background.
    const drawn = await page.evaluate(() =>
      [...document.querySelectorAll<Canvas>('#graph canvas')].some((c) => {
        const ctx = c.getContext('2d');
        if (!ctx || c.width === 0) return false;
        const d = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 3; i < d.length; i += 4) if ((d[i] ?? 0) > 0) return true;
        return false;
      }),
    );
    expect(drawn).to.equal(true);
    await shot(page, 'graph');

    // A real click on the tool's node centres the graph on it.
    const box = await page.locator('#graph').boundingBox();
    const pos = await page.evaluate((id) => window.__palisadeGraph?.$id(id).renderedPosition(), TUNNEL.id);
    expect(box).to.not.equal(null);
    expect(pos).to.not.equal(undefined);
    await page.mouse.click((box?.x ?? 0) + (pos?.x ?? 0), (box?.y ?? 0) + (pos?.y ?? 0));
    await page.waitForURL(new RegExp(`#/graph/${TUNNEL.id}\\?depth=1$`));
    await page.waitForFunction(
      (id) => window.__palisadeGraph?.nodes('.root').id() === id && window.__palisadeGraph.nodes().length > 1,
      TUNNEL.id,
    );
    const depth1 = await page.evaluate(() => window.__palisadeGraph?.nodes().length ?? 0);
    await page.locator('#graph-depth-2').click();
    await page.waitForURL(/depth=2$/);
    await page.waitForFunction((n) => (window.__palisadeGraph?.nodes().length ?? 0) > n, depth1);
    const labels = await page.evaluate(() => window.__palisadeGraph?.nodes().map((n) => String(n.data('label'))));
    expect(labels).to.include.members([SPEARPHISH.name, HARBOUR.name]);
  });

  it('shows any other object as JSON with its versions, where it lives and whether it was revoked', async () => {
    await page.goto(`${base}/console/#/object/${LOADER.id}`);
    await page.locator('#object-json').waitFor();
    const json = JSON.parse((await page.locator('#object-json').textContent()) ?? '{}') as Record<string, unknown>;
    expect(json).to.deep.equal(LOADER);
    expect(await page.locator('#object-revoked').textContent()).to.equal('no');
    expect(await page.locator('main').textContent()).to.include('Shared actors');
    await page.goto(`${base}/console/#/object/malware--00000000-0000-4000-8000-000000000000`);
    await page.locator('.problem').waitFor();
    expect(await page.locator('.problem h1').textContent()).to.equal('Not found');
  });

  it('lists the collections the user reads with their object counts', async () => {
    await page.goto(`${base}/console/#/collections`);
    await page.locator('#collections-table').waitFor();
    const rows = await collectionRows(page);
    expect(rows).to.deep.equal({
      [SHARED_C]: String(SHARED.length),
      [RESTRICTED_C]: String(RESTRICTED.length),
      [ATTACK_C]: '0',
    });
    await shot(page, 'collections');
  });

  it('logs out, forgetting the session; another user sees nothing of a collection it may not read', async () => {
    await page.locator('#logout').click();
    await page.locator('#login-form').waitFor();
    expect(await page.evaluate(() => sessionStorage.length)).to.equal(0);
    expect(await page.locator('#who').textContent()).to.equal('');
    expect(await page.locator('#login-error').textContent()).to.equal('You are signed out.');
    await signIn(page, BOB);
    expect(await page.locator('#who').textContent()).to.equal('bob');
    for (const q of ['Kestrel', 'Ember', 'Talon']) {
      await page.locator('#search-input').fill(q);
      await page.waitForFunction(
        (text) => document.querySelector('#search-status')?.textContent === `No results for “${text}”.`,
        q,
        { timeout: 10_000 },
      );
      expect(await page.locator('#search-results .hit').count()).to.equal(0);
    }
    // What both may read is still found.
    await page.locator('#search-input').fill('Driftwood');
    await page.locator('#search-results .hit', { hasText: LOADER.name as string }).waitFor({ timeout: 10_000 });
    await page.goto(`${base}/console/#/actor/${KESTREL.id}`);
    await page.locator('.problem').waitFor();
    expect(await page.locator('main').textContent()).to.not.include('Obsidian');
    await page.goto(`${base}/console/#/collections`);
    await page.locator('#collections-table').waitFor();
    expect(await collectionRows(page)).to.deep.equal({ [SHARED_C]: String(SHARED.length), [ATTACK_C]: '0' });
    // And the actor page does not count the restricted collection's links either.
    await page.goto(`${base}/console/#/graph/${SANDCASTLE.id}?depth=2`);
    await page.waitForFunction(() => (window.__palisadeGraph?.nodes().length ?? 0) > 1);
    const labels = await page.evaluate(() => window.__palisadeGraph?.nodes().map((n) => String(n.data('label'))));
    expect(labels).to.not.include('Obsidian Kestrel');
  });

  it('sends a user whose credentials stopped working back to the login form with a message', async () => {
    await page.evaluate(() =>
      sessionStorage.setItem(
        'palisade.console.auth',
        JSON.stringify({ kind: 'basic', username: 'bob', password: 'changed-meanwhile' }),
      ),
    );
    await page.goto(`${base}/console/#/collections`);
    await page.locator('#login-form').waitFor();
    expect(await page.locator('#login-error').textContent()).to.not.equal('');
    expect(await page.evaluate(() => sessionStorage.length)).to.equal(0);
  });

  it('signs in with an API token (Bearer)', async () => {
    const issued = await app.http
      .post('/admin/users/bob/tokens')
      .auth(OPS.name, OPS.password)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ label: 'console test' }))
      .expect(201);
    await page.locator('#login-mode-token').check();
    await page.locator('#login-token').fill('pal_0000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro');
    await page.locator('#login-submit').click();
    await page.waitForFunction(
      () => document.querySelector('#login-error')?.textContent === 'This API token was not accepted.',
      undefined,
      { timeout: 10_000 },
    );
    await page.locator('#login-token').fill(issued.body.token as string);
    await page.locator('#login-submit').click();
    await page.locator('#collections-table').waitFor();
    expect(await page.locator('#who').textContent()).to.equal('bob');
    await page.locator('#logout').click();
    await page.locator('#login-form').waitFor();
  });

  it('fits a phone-sized screen (390×844) on every page without sideways scrolling', async () => {
    const phone = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      acceptDownloads: true,
    });
    const p = await phone.newPage();
    const w = watch(p);
    try {
      await p.goto(`${base}/console/`);
      await p.locator('#login-form').waitFor();
      expect(await horizontalOverflow(p), 'login').to.be.at.most(0);
      await signIn(p, ALICE);
      await p.locator('#search-input').fill('sandcastle');
      await p.locator('#search-results .hit').first().waitFor({ timeout: 10_000 });
      expect(await horizontalOverflow(p), 'search').to.be.at.most(0);
      await shot(p, 'phone-search');
      const pages: [string, string][] = [
        [`#/actor/${SANDCASTLE.id}`, '#actor-techniques'],
        [`#/object/${SANDCASTLE.id}`, '#object-json'],
        [`#/graph/${SANDCASTLE.id}?depth=1`, '#graph canvas'],
        ['#/collections', '#collections-table'],
      ];
      for (const [hash, ready] of pages) {
        await p.goto(`${base}/console/${hash}`);
        await p.locator(ready).first().waitFor();
        expect(await horizontalOverflow(p), hash).to.be.at.most(0);
      }
      await p.goto(`${base}/console/#/actor/${SANDCASTLE.id}`);
      await p.locator('#actor-techniques').waitFor();
      await shot(p, 'phone-actor');
      expect(w.problems).to.deep.equal([]);
    } finally {
      await phone.close();
    }
  });

  it('shows ATT&CK Enterprise: APT28 found as typed, its techniques by tactic, a large graph', async function () {
    this.timeout(900_000);
    const file = sharedDataFile(this, 'attack-enterprise.json');
    const objects = (JSON.parse(readFileSync(file, 'utf8')) as { objects: unknown[] }).objects;
    const started = Date.now();
    for (let i = 0; i < objects.length; i += 2500) await post(app, ATTACK_C, objects.slice(i, i + 2500));
    console.log(`      loaded ${objects.length} ATT&CK objects in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // A fresh browser context: a new session, whatever the tests before left behind.
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const page = await ctx.newPage();
    const w = watch(page);
    await page.goto(`${base}/console/`);
    await signIn(page, ALICE);
    await page.locator('#search-input').pressSequentially('APT2', { delay: 40 });
    const hit = page.locator('#search-results .hit', { hasText: 'APT28' });
    await hit.first().waitFor({ timeout: 15_000 });
    await shot(page, 'attack-search');
    await page.goto(`${base}/console/#/actor/${APT28}`);
    await page.locator('#actor-techniques').waitFor({ timeout: 30_000 });
    const tactics = await page
      .locator('#actor-techniques .tactic')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-tactic')));
    expect(tactics.length).to.be.greaterThan(8);
    expect(tactics.slice(0, 2)).to.deep.equal(['reconnaissance', 'resource-development']);
    const tids = await page.locator('#actor-techniques .tid').allTextContents();
    expect(tids).to.include('T1566.001');
    expect(await page.locator('main').textContent()).to.include('Fancy Bear');
    await shot(page, 'attack-actor');
    await page.locator('#actor-graph').click();
    await page.waitForFunction(() => (window.__palisadeGraph?.nodes().length ?? 0) > 50, undefined, {
      timeout: 30_000,
    });
    await shot(page, 'attack-graph');
    await page.goto(`${base}/console/#/collections`);
    await page.locator('#collections-table').waitFor();
    expect(Number((await collectionRows(page))[ATTACK_C]?.replace(/,/g, ''))).to.be.greaterThan(10_000);
    // The bundle of a large actor: more ids than one URL holds, put together into one bundle.
    await page.goto(`${base}/console/#/actor/${APT28}`);
    await page.locator('#actor-bundle').waitFor();
    const bundle = (await downloaded(page, () => page.locator('#actor-bundle').click())).json as Bundle;
    expect(bundle.type).to.equal('bundle');
    expect(bundle.objects.map((o) => o.id)).to.include(APT28);
    expect(bundle.objects.length).to.be.greaterThan(100);
    expect(w.problems).to.deep.equal([]);
    await ctx.close();
  });
});

async function collectionRows(page: Page): Promise<Record<string, string>> {
  return Object.fromEntries(
    await page
      .locator('#collections-table tbody tr')
      .evaluateAll((rows) =>
        rows.map((r) => [r.getAttribute('data-collection') ?? '', r.querySelector('.count')?.textContent ?? '']),
      ),
  ) as Record<string, string>;
}

// The browser globals used by the functions page.evaluate runs inside the page. The test program
// is compiled for Node (no DOM lib), so they are declared here, in this module only, as far as used.
interface GraphNodes {
  length: number;
  id(): string;
  map<T>(f: (n: { data(k: string): unknown }) => T): T[];
}
interface Graph {
  nodes(selector?: string): GraphNodes;
  edges(): { map<T>(f: (e: { data(k: string): unknown }) => T): T[] };
  $id(id: string): { renderedPosition(): { x: number; y: number } };
}
interface Canvas {
  width: number;
  height: number;
  getContext(
    kind: '2d',
  ): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}
declare const window: { __palisadeGraph?: Graph; innerWidth: number };
declare const document: {
  scrollingElement: { scrollWidth: number } | null;
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  querySelectorAll<T>(selector: string): Iterable<T>;
};
declare const location: { hash: string };
declare const sessionStorage: { length: number; setItem(key: string, value: string): void };
