// The configuration reference of README.md is complete and names nothing that does not exist: every
// key of schemas/config.schema.json (walked to its leaves, list entries included), every
// PALISADE_* variable the server reads and every flag of `palisade serve` has a table row in the
// "Configuration" section, and the defaults written there are the ones the loader applies.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { loadConfig } from '../../src/config/load-config.js';
import { projectRoot } from '../../src/paths.js';

const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');

/** The text from a `## ` heading to the next one. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${title}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Table rows as cells (the header and separator rows included; they hold no backticked key). */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .map((l) =>
      l
        .slice(1, l.endsWith('|') ? -1 : undefined)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

const ticked = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);

// ---- the schema, walked -------------------------------------------------------------------------

interface SchemaNode {
  $ref?: string;
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}
const schema = JSON.parse(readFileSync(join(projectRoot, 'schemas', 'config.schema.json'), 'utf8')) as SchemaNode & {
  definitions: Record<string, SchemaNode>;
};

function resolveRef(n: SchemaNode): SchemaNode {
  if (n.$ref === undefined) return n;
  const name = n.$ref.replace(/^#\/definitions\//, '');
  const target = schema.definitions[name];
  if (target === undefined) throw new Error(`unresolved $ref ${n.$ref}`);
  return resolveRef(target);
}

/**
 * Every path of the schema: `a.b` for properties, `a[]` for the entries of a list of objects.
 * A leaf is a property that holds no further properties (a scalar, or a list of scalars).
 */
function schemaPaths(): { leaves: string[]; all: Set<string> } {
  const leaves: string[] = [];
  const all = new Set<string>();
  const walk = (raw: SchemaNode, path: string): void => {
    const n = resolveRef(raw);
    if (path !== '') all.add(path);
    if (n.properties) {
      for (const [k, v] of Object.entries(n.properties)) walk(v, path === '' ? k : `${path}.${k}`);
      return;
    }
    const items = n.items && resolveRef(n.items);
    if (n.type === 'array' && items?.properties) {
      walk(items, `${path}[]`);
      return;
    }
    leaves.push(path);
  };
  walk(schema, '');
  return { leaves, all };
}

// ---- the sources, scanned -----------------------------------------------------------------------

function filesUnder(dir: string, ext: RegExp): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, ext));
    else if (ext.test(name)) out.push(p);
  }
  return out;
}

function variablesIn(files: string[]): Map<string, string> {
  const found = new Map<string, string>();
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/PALISADE_[A-Z0-9_]*[A-Z0-9]/g)) {
      if (!found.has(m[0])) found.set(m[0], relative(projectRoot, f));
    }
  }
  return found;
}

const SOURCE = /\.(ts|mjs|js|sh|py)$/;
/** What the server and the `palisade` command read: src/ only. */
const serverVariables = variablesIn(filesUnder(join(projectRoot, 'src'), /\.ts$/));
/**
 * What a developer sets to run the tests: scripts/, .ci/ and the shared test helpers. The
 * PALISADE_INTEROP_* variables of tests/interop/ are left out on purpose: tests/interop/serve.ts
 * sets them for the pytest run it starts, nobody sets them by hand.
 */
const developerVariables = variablesIn([
  ...filesUnder(join(projectRoot, 'scripts'), SOURCE),
  ...filesUnder(join(projectRoot, '.ci'), /.*/),
  ...filesUnder(join(projectRoot, 'tests', 'helpers'), SOURCE),
]);
/** Everything that reads or sets a PALISADE_* variable anywhere in the project. */
const existingVariables = new Set([
  ...serverVariables.keys(),
  ...developerVariables.keys(),
  ...variablesIn(filesUnder(join(projectRoot, 'tests'), SOURCE)).keys(),
]);

/** The options of `palisade serve`, from its parseArgs call in src/cli/main.ts. */
function serveOptions(): { options: string[]; usage: Map<string, string> } {
  const main = readFileSync(join(projectRoot, 'src', 'cli', 'main.ts'), 'utf8');
  const block = /parseArgs\(\{[\s\S]*?options:\s*\{([\s\S]*?)\n\s*\},\n/.exec(main)?.[1];
  if (block === undefined) throw new Error('src/cli/main.ts: the options of parseArgs were not found');
  const options = [...block.matchAll(/^\s*'?([a-z][a-z-]*)'?:\s*\{/gm)].map((m) => m[1] as string);
  // The usage text pairs each flag with its variable: "--host HOST ... [PALISADE_HOST]".
  const usage = new Map<string, string>();
  for (const m of main.matchAll(/^\s+--([a-z-]+)\b.*\[(PALISADE_[A-Z_]+)\]\s*$/gm)) {
    usage.set(m[1] as string, m[2] as string);
  }
  return { options, usage };
}

// ---- the checks ---------------------------------------------------------------------------------

const configuration = section('Configuration');
const rows = tableRows(configuration);
/** backticked dotted names in any cell of the section's tables, and the keys that start a row */
const KEY_FORM = /^[a-z][a-z0-9_]*(\[\])?(\.[a-z][a-z0-9_]*(\[\])?)+$/;

describe('README configuration reference', () => {
  const { leaves, all } = schemaPaths();

  it('walks a schema that has keys (the walk itself works)', () => {
    expect(leaves).to.include.members(['server.port', 'api_roots[].collections[].grants[].user', 'data_dir']);
  });

  it('has a table row for every configuration key of the schema, list entries included', () => {
    const rowKeys = new Set(rows.flatMap((r) => ticked(r[0] ?? '')));
    const missing = leaves.filter((k) => !rowKeys.has(k));
    expect(missing, 'keys of schemas/config.schema.json without a row in "## Configuration"').to.deep.equal([]);
  });

  it('names no configuration key that the schema does not have', () => {
    const named = rows.flatMap((r) => r.flatMap(ticked)).filter((t) => KEY_FORM.test(t));
    expect(named.length).to.be.greaterThan(0);
    const unknown = [...new Set(named.filter((k) => !all.has(k)))];
    expect(unknown, 'dotted keys in the tables of "## Configuration" that are not in the schema').to.deep.equal([]);
  });

  it('gives, for each key whose default the loader exposes, the default the loader applies', () => {
    // Defaults as loadConfig applies them with no file, no environment and no flag; a key is
    // looked up by its camelCase path (server.limits.max_connections -> server.limits.maxConnections).
    const loaded = loadConfig({}) as unknown as Record<string, unknown>;
    const lookup = (key: string): unknown =>
      key
        .split('.')
        .map((seg) => seg.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()))
        .reduce<unknown>(
          (o, seg) => (o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[seg] : undefined),
          loaded,
        );
    const compared: string[] = [];
    const wrong: string[] = [];
    for (const r of rows) {
      const [keyCell, typeCell, defaultCell] = r;
      const key = ticked(keyCell ?? '')[0];
      if (key === undefined || !leaves.includes(key) || typeCell === undefined || defaultCell === undefined) continue;
      // Only a default cell that is one literal is compared; "none", "required" and prose are not.
      const literal = /^`([^`]+)`$/.exec(defaultCell)?.[1];
      const actual = lookup(key);
      if (literal === undefined || !['number', 'boolean', 'string'].includes(typeof actual)) continue;
      if (typeCell === 'path') continue; // the loader resolves paths to absolute ones
      compared.push(key);
      if (String(actual) !== literal)
        wrong.push(`${key}: README says ${literal}, the loader applies ${String(actual)}`);
    }
    expect(wrong).to.deep.equal([]);
    // the limits, ingest bounds, host, port, log level, page size… are all compared
    expect(compared).to.include.members([
      'server.port',
      'server.limits.max_connections',
      'ingest.workers',
      'log.level',
    ]);
  });

  it('has a row for every PALISADE_* variable the server and the CLI read (src/)', () => {
    expect(serverVariables.size).to.be.greaterThan(0);
    const inRows = new Set(rows.flatMap((r) => r.flatMap(ticked)));
    const missing = [...serverVariables].filter(([v]) => !inRows.has(v)).map(([v, f]) => `${v} (read in ${f})`);
    expect(missing, 'variables read in src/ without a row in "## Configuration"').to.deep.equal([]);
  });

  it('documents every PALISADE_* variable a developer sets for the tests (scripts/, .ci/, tests/helpers/)', () => {
    const missing = [...developerVariables]
      .filter(([v]) => !readme.includes(`\`${v}\``))
      .map(([v, f]) => `${v} (${f})`);
    expect(missing).to.deep.equal([]);
  });

  it('mentions no PALISADE_* variable that nothing reads', () => {
    const mentioned = [...new Set([...readme.matchAll(/PALISADE_[A-Z0-9_]*[A-Z0-9]/g)].map((m) => m[0]))];
    expect(mentioned.length).to.be.greaterThan(0);
    expect(mentioned.filter((v) => !existingVariables.has(v))).to.deep.equal([]);
  });

  it('has a row for every flag of `palisade serve`, with the variable its usage names, and no other flag', () => {
    const { options, usage } = serveOptions();
    expect(options).to.include('port');
    const flagRows = rows.filter((r) => ticked(r[0] ?? '').some((t) => t.startsWith('-')));
    const rowFor = (name: string) =>
      flagRows.find((r) => ticked(r[0] ?? '').some((t) => t.split(' ')[0] === `--${name}`));
    expect(
      options.filter((o) => rowFor(o) === undefined),
      'serve options without a row',
    ).to.deep.equal([]);
    const mismatched = [...usage]
      .filter(([flag, variable]) => !ticked(rowFor(flag)?.[1] ?? '').includes(variable))
      .map(([flag, variable]) => `--${flag} should sit beside ${variable}`);
    expect(mismatched).to.deep.equal([]);
    const documented = flagRows.flatMap((r) => ticked(r[0] ?? '')).map((t) => t.split(' ')[0] as string);
    const known = new Set([...options.map((o) => `--${o}`), '-h']);
    expect(
      documented.filter((f) => !known.has(f)),
      'flags in the tables that serve does not take',
    ).to.deep.equal([]);
  });
});
