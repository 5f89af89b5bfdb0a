// Copies two screenshots of the console's browser test run (tests/output/console/) into
// docs/images/ for the README: the actor page and the search page at 1280×800. The ATT&CK
// Enterprise ones are preferred (real data); the hand-made ones are used when ../shared/data was
// absent from the run. Usage, after `npx mocha tests/integration/console.test.ts`:
//   node scripts/console-screenshots.mjs
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'tests', 'output', 'console');
const to = join(root, 'docs', 'images');
const wanted = [
  ['console-actor.png', ['attack-actor.png', 'actor.png']],
  ['console-search.png', ['attack-search.png', 'search.png']],
];

mkdirSync(to, { recursive: true });
let missing = 0;
for (const [target, candidates] of wanted) {
  const source = candidates.map((c) => join(from, c)).find((f) => existsSync(f));
  if (!source) {
    console.error(
      `no screenshot for ${target}: run the console browser tests first (looked for ${candidates.join(', ')} in ${from})`,
    );
    missing++;
    continue;
  }
  copyFileSync(source, join(to, target));
  console.log(`${target} <- ${source.slice(root.length + 1)}`);
}
process.exit(missing > 0 ? 1 : 0);
