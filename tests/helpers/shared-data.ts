// ../shared/data holds the real ATT&CK bundles. A user's fresh clone has no ../shared: tests that
// need it skip with a visible message there, and fail (never skip) when CI=true.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { projectRoot } from '../../src/paths.js';

export const SHARED_DATA = resolve(projectRoot, '..', 'shared', 'data');

export function sharedDataFile(ctx: Mocha.Context, name: string): string {
  const file = join(SHARED_DATA, name);
  if (existsSync(file)) return file;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${file} is missing`);
  console.log(`      (skipped: ${file} is not present; it ships beside the repository in ../shared/data)`);
  ctx.skip();
  throw new Error('unreachable');
}
