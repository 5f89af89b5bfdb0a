// Builds the web console (src/console/web/) into dist/console/: index.html, app.js, app.css.
// One bundle, minified, no source map, for browsers that support ES2020. Usage:
//   node scripts/build-console.mjs
import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src', 'console', 'web');
const out = join(root, 'dist', 'console');

export async function buildConsole() {
  await mkdir(out, { recursive: true });
  const common = { bundle: true, minify: true, sourcemap: false, target: 'es2020', logLevel: 'warning' };
  await build({
    ...common,
    entryPoints: [join(src, 'main.ts')],
    outfile: join(out, 'app.js'),
    format: 'iife',
    platform: 'browser',
  });
  await build({ ...common, entryPoints: [join(src, 'app.css')], outfile: join(out, 'app.css') });
  await copyFile(join(src, 'index.html'), join(out, 'index.html'));
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = await buildConsole();
  console.log(`console built into ${dir}`);
}
