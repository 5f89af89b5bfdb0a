// Loaded only by Stryker (stryker.config.mjs, mochaOptions.require), never by `mocha` itself.
//
// With coverageAnalysis "perTest" Stryker records which mutants each test reaches, keyed by the test
// that started last. Code run by a suite's before() hook (startTestApp, seeding objects) is therefore
// credited to the last test of the PREVIOUS suite, so a mutant there would later be run against that
// one unrelated test and survive even though the suite whose before() reaches it would kill it.
// This plugin credits before() coverage to every test of the suite that owns the hook instead.
import type { Context, Suite } from 'mocha';

interface StrykerGlobal {
  currentTestId?: string;
  mutantCoverage?: { static: Record<string, number>; perTest: Record<string, Record<string, number>> };
}

const PREFIX = 'stryker-suite:';
const suitesById = new Map<string, Suite>();
const prepared = new WeakSet<Suite>();
const stryker = (): StrykerGlobal => ((globalThis as { __stryker__?: StrykerGlobal }).__stryker__ ??= {});

/** Puts a hook in front of each suite's before() hooks that makes the suite the current "test". */
function prepare(suite: Suite): void {
  for (const child of suite.suites) {
    const hooks = (child as unknown as { _beforeAll: unknown[] })._beforeAll;
    if (!prepared.has(child) && hooks.length > 0) {
      prepared.add(child);
      const id = `${PREFIX}${child.fullTitle()}`;
      suitesById.set(id, child);
      child.beforeAll('stryker: credit before() coverage to this suite', () => {
        stryker().currentTestId = id;
      });
      hooks.unshift(hooks.pop());
    }
    prepare(child);
  }
}

/** Copies what each suite's before() hooks reached to every test in that suite. */
function distribute(): void {
  const perTest = stryker().mutantCoverage?.perTest;
  if (perTest === undefined) return;
  for (const [id, suite] of suitesById) {
    const hits = perTest[id];
    if (hits === undefined) continue;
    delete perTest[id];
    suite.eachTest((test) => {
      const target = (perTest[test.fullTitle()] ??= {});
      for (const [mutant, n] of Object.entries(hits)) target[mutant] = (target[mutant] ?? 0) + n;
    });
  }
}

export const mochaHooks = {
  beforeAll(this: Context): void {
    const root = this.test?.parent;
    if (root) prepare(root);
  },
  afterAll(): void {
    distribute();
  },
};
