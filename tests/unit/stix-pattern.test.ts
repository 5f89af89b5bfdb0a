// STIX 2.1 §9 (STIX Patterning): src/stix/pattern against a corpus (tests/fixtures/patterns), the syntax tree,
// hostile input, and every stix indicator pattern in the real data (../shared/data) and the demo bundle.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../src/paths.js';
import {
  describePatternFailure,
  MAX_PATTERN_LENGTH,
  MAX_PATTERN_NESTING,
  parseStixPattern,
  type ComparisonExpression,
  type Constant,
  type ObjectPath,
  type ObservationExpression,
  type PatternAst,
} from '../../src/stix/pattern/index.js';
import { sharedDataFile } from '../helpers/shared-data.js';

const CORPUS = join(projectRoot, 'tests', 'fixtures', 'patterns');

/** Non-blank lines that do not start with '#'. */
function corpusLines(file: string): string[] {
  return readFileSync(join(CORPUS, file), 'utf8')
    .split('\n')
    .map((line) => line.replace(/\r$/, ''))
    .filter((line) => line.trim() !== '' && !line.startsWith('#'));
}

interface InvalidCase {
  pattern: string;
  fragment: string;
  offset?: number;
}

function invalidCases(): InvalidCase[] {
  return corpusLines('invalid.txt').map((line) => {
    const tab = line.indexOf('\t');
    if (tab < 0) throw new Error(`invalid.txt: no TAB between pattern and reason in: ${line}`);
    const pattern = line.slice(0, tab);
    const expected = line.slice(tab + 1);
    const at = / @(\d+)$/.exec(expected);
    return at
      ? { pattern, fragment: expected.slice(0, at.index), offset: Number(at[1]) }
      : { pattern, fragment: expected };
  });
}

function parsed(pattern: string): PatternAst {
  const result = parseStixPattern(pattern);
  if (!result.ok) return expect.fail(`${pattern}\n  → ${describePatternFailure(result)}`);
  return result.ast;
}

function refused(pattern: string): { reason: string; offset: number } {
  const result = parseStixPattern(pattern);
  if (result.ok) return expect.fail(`expected a refusal of ${pattern.slice(0, 200)}`);
  return { reason: result.reason, offset: result.offset };
}

const title = (pattern: string): string => (pattern.length > 100 ? `${pattern.slice(0, 97)}...` : pattern);

// ---- a printer for round trips: the tree must hold everything the pattern means ---------------------------

const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET']);
const quoteString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

function printNumber(value: number, float: boolean): string {
  if (Object.is(value, -0)) return float ? '-0.0' : '-0';
  return float && Number.isInteger(value) ? `${value}.0` : String(value);
}

function printConstant(c: Constant): string {
  switch (c.kind) {
    case 'string':
      return quoteString(c.value);
    case 'integer':
      return printNumber(c.value, false);
    case 'float':
      return printNumber(c.value, true);
    case 'boolean':
      return String(c.value);
    case 'binary':
      return `b'${c.value}'`;
    case 'hex':
      return `h'${c.value}'`;
    case 'timestamp':
      return `t'${c.value}'`;
    case 'set':
      return `(${c.items.map(printConstant).join(', ')})`;
  }
}

function printPath(path: ObjectPath): string {
  let out = `${path.objectType}:`;
  path.steps.forEach((step, i) => {
    if (step.kind === 'index') out += `[${step.index}]`;
    else if (step.kind === 'any-index') out += '[*]';
    else {
      const name = PLAIN_NAME.test(step.name) && !RESERVED.has(step.name) ? step.name : quoteString(step.name);
      out += i === 0 ? name : `.${name}`;
    }
  });
  return out;
}

function printComparison(c: ComparisonExpression): string {
  switch (c.type) {
    case 'exists':
      return `${c.negated ? 'NOT ' : ''}EXISTS ${printPath(c.path)}`;
    case 'comparison':
      return `${printPath(c.path)} ${c.negated ? 'NOT ' : ''}${c.operator} ${printConstant(c.value)}`;
    case 'comparison-operator':
      return `(${c.operands.map(printComparison).join(` ${c.operator} `)})`;
  }
}

function printObservation(o: ObservationExpression): string {
  switch (o.type) {
    case 'observation':
      return `[${printComparison(o.comparison)}]`;
    case 'observation-operator':
      return `(${o.operands.map(printObservation).join(` ${o.operator} `)})`;
    case 'qualified': {
      const q = o.qualifier;
      const inner = `(${printObservation(o.expression)})`;
      if (q.kind === 'within') return `${inner} WITHIN ${printNumber(q.seconds, !Number.isInteger(q.seconds))} SECONDS`;
      if (q.kind === 'repeats') return `${inner} REPEATS ${q.times} TIMES`;
      return `${inner} START t'${q.start}' STOP t'${q.stop}'`;
    }
  }
}

// ---- shorthands for expected trees ----------------------------------------------------------------------

const eq = (objectType: string, name: string, value: number): ComparisonExpression => ({
  type: 'comparison',
  path: { objectType, steps: [{ kind: 'property', name }] },
  operator: '=',
  negated: false,
  value: { kind: 'integer', value },
});
const obs = (name: string): ObservationExpression => ({ type: 'observation', comparison: eq('abc', name, 1) });

describe('STIX 2.1 patterning (§9): src/stix/pattern', () => {
  describe('corpus: tests/fixtures/patterns/valid.txt parses', () => {
    for (const pattern of corpusLines('valid.txt')) {
      it(title(pattern), () => {
        parsed(pattern);
      });
    }
  });

  describe('corpus: tests/fixtures/patterns/invalid.txt is refused with the expected reason and offset', () => {
    for (const { pattern, fragment, offset } of invalidCases()) {
      it(title(pattern), () => {
        const failure = refused(pattern);
        expect(failure.reason, pattern).to.contain(fragment);
        if (offset !== undefined) expect(failure.offset, `${pattern}: ${failure.reason}`).to.equal(offset);
      });
    }
  });

  describe('syntax tree', () => {
    it('round-trips: printing the tree of every valid corpus pattern and parsing it again gives the same tree', () => {
      for (const pattern of corpusLines('valid.txt')) {
        const ast = parsed(pattern);
        const printed = printObservation(ast);
        expect(parsed(printed), `${pattern}\n  printed as ${printed}`).to.deep.equal(ast);
      }
    });

    it('observation operators: AND binds tighter than OR, OR tighter than FOLLOWEDBY, chains are flat', () => {
      expect(parsed('[abc:a = 1] AND [abc:b = 1] OR [abc:c = 1]')).to.deep.equal({
        type: 'observation-operator',
        operator: 'OR',
        operands: [{ type: 'observation-operator', operator: 'AND', operands: [obs('a'), obs('b')] }, obs('c')],
      });
      expect(parsed('[abc:a = 1] OR [abc:b = 1] AND [abc:c = 1]')).to.deep.equal({
        type: 'observation-operator',
        operator: 'OR',
        operands: [obs('a'), { type: 'observation-operator', operator: 'AND', operands: [obs('b'), obs('c')] }],
      });
      expect(parsed('[abc:a = 1] FOLLOWEDBY [abc:b = 1] OR [abc:c = 1] FOLLOWEDBY [abc:d = 1]')).to.deep.equal({
        type: 'observation-operator',
        operator: 'FOLLOWEDBY',
        operands: [
          obs('a'),
          { type: 'observation-operator', operator: 'OR', operands: [obs('b'), obs('c')] },
          obs('d'),
        ],
      });
      expect(parsed('[abc:a = 1] AND [abc:b = 1] AND [abc:c = 1]')).to.deep.equal({
        type: 'observation-operator',
        operator: 'AND',
        operands: [obs('a'), obs('b'), obs('c')],
      });
    });

    it('parentheses regroup and are kept as structure; redundant ones leave no trace', () => {
      expect(parsed('([abc:a = 1] OR [abc:b = 1]) AND [abc:c = 1]')).to.deep.equal({
        type: 'observation-operator',
        operator: 'AND',
        operands: [{ type: 'observation-operator', operator: 'OR', operands: [obs('a'), obs('b')] }, obs('c')],
      });
      expect(parsed('([abc:a = 1] AND [abc:b = 1]) AND [abc:c = 1]')).to.deep.equal({
        type: 'observation-operator',
        operator: 'AND',
        operands: [{ type: 'observation-operator', operator: 'AND', operands: [obs('a'), obs('b')] }, obs('c')],
      });
      expect(parsed('((([abc:a = 1])))')).to.deep.equal(obs('a'));
      expect(parsed('[((abc:a = 1))]')).to.deep.equal(obs('a'));
    });

    it('qualifiers bind to the nearest observation expression and nest in order', () => {
      expect(parsed('[abc:a = 1] AND [abc:b = 1] WITHIN 5 SECONDS')).to.deep.equal({
        type: 'observation-operator',
        operator: 'AND',
        operands: [obs('a'), { type: 'qualified', expression: obs('b'), qualifier: { kind: 'within', seconds: 5 } }],
      });
      expect(parsed('([abc:a = 1] AND [abc:b = 1]) WITHIN 2.5 SECONDS')).to.deep.equal({
        type: 'qualified',
        expression: { type: 'observation-operator', operator: 'AND', operands: [obs('a'), obs('b')] },
        qualifier: { kind: 'within', seconds: 2.5 },
      });
      expect(
        parsed("[abc:a = 1] REPEATS 3 TIMES START t'2024-01-01T00:00:00Z' STOP t'2024-01-02T00:00:00.5Z'"),
      ).to.deep.equal({
        type: 'qualified',
        expression: { type: 'qualified', expression: obs('a'), qualifier: { kind: 'repeats', times: 3 } },
        qualifier: { kind: 'start-stop', start: '2024-01-01T00:00:00Z', stop: '2024-01-02T00:00:00.5Z' },
      });
    });

    it('comparison expressions: AND binds tighter than OR; NOT negates the operator; EXISTS', () => {
      const x = eq('abc', 'x', 1);
      const y = eq('abc', 'y', 1);
      const z = eq('abc', 'z', 1);
      expect(parsed('[abc:x = 1 OR abc:y = 1 AND abc:z = 1]')).to.deep.equal({
        type: 'observation',
        comparison: {
          type: 'comparison-operator',
          operator: 'OR',
          operands: [x, { type: 'comparison-operator', operator: 'AND', operands: [y, z] }],
        },
      });
      expect(parsed('[(abc:x = 1 OR abc:y = 1) AND abc:z = 1]')).to.deep.equal({
        type: 'observation',
        comparison: {
          type: 'comparison-operator',
          operator: 'AND',
          operands: [{ type: 'comparison-operator', operator: 'OR', operands: [x, y] }, z],
        },
      });
      expect(parsed("[file:name NOT LIKE 'a%' AND NOT EXISTS file:size]")).to.deep.equal({
        type: 'observation',
        comparison: {
          type: 'comparison-operator',
          operator: 'AND',
          operands: [
            {
              type: 'comparison',
              path: { objectType: 'file', steps: [{ kind: 'property', name: 'name' }] },
              operator: 'LIKE',
              negated: true,
              value: { kind: 'string', value: 'a%' },
            },
            {
              type: 'exists',
              path: { objectType: 'file', steps: [{ kind: 'property', name: 'size' }] },
              negated: true,
            },
          ],
        },
      });
    });

    it('object paths: quoted names lose their quotes; [n], [-n] and [*] steps; email-message:from_ref.value', () => {
      const pathOf = (pattern: string): ObjectPath => {
        const ast = parsed(pattern);
        if (ast.type !== 'observation' || ast.comparison.type === 'comparison-operator') return expect.fail(pattern);
        return ast.comparison.path;
      };
      expect(pathOf("[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]")).to.deep.equal({
        objectType: 'file',
        steps: [
          { kind: 'property', name: 'extensions' },
          { kind: 'property', name: 'windows-pebinary-ext' },
          { kind: 'property', name: 'sections' },
          { kind: 'any-index' },
          { kind: 'property', name: 'entropy' },
        ],
      });
      expect(pathOf("[email-message:from_ref.value = 'a@example.com']")).to.deep.equal({
        objectType: 'email-message',
        steps: [
          { kind: 'property', name: 'from_ref' },
          { kind: 'property', name: 'value' },
        ],
      });
      expect(pathOf("[x-acme:'odd key'[0][-1].'it\\'s' = 1]")).to.deep.equal({
        objectType: 'x-acme',
        steps: [
          { kind: 'property', name: 'odd key' },
          { kind: 'index', index: 0 },
          { kind: 'index', index: -1 },
          { kind: 'property', name: "it's" },
        ],
      });
    });

    it('constants: decoded strings, numbers, booleans, b/h/t literals, sets; == and <> are = and !=', () => {
      const valueOf = (pattern: string): [string, Constant] => {
        const ast = parsed(pattern);
        if (ast.type !== 'observation' || ast.comparison.type !== 'comparison') return expect.fail(pattern);
        return [ast.comparison.operator, ast.comparison.value];
      };
      expect(valueOf("[abc:v = 'it\\'s a \\\\ path']")).to.deep.equal([
        '=',
        { kind: 'string', value: "it's a \\ path" },
      ]);
      expect(valueOf('[abc:v == -42]')).to.deep.equal(['=', { kind: 'integer', value: -42 }]);
      expect(valueOf('[abc:v <> +7]')).to.deep.equal(['!=', { kind: 'integer', value: 7 }]);
      expect(valueOf('[abc:v >= -.25]')).to.deep.equal(['>=', { kind: 'float', value: -0.25 }]);
      expect(valueOf('[abc:v = 7.0]')).to.deep.equal(['=', { kind: 'float', value: 7 }]);
      expect(valueOf('[abc:v != false]')).to.deep.equal(['!=', { kind: 'boolean', value: false }]);
      expect(valueOf("[abc:v = b'AQIDBA==']")).to.deep.equal(['=', { kind: 'binary', value: 'AQIDBA==' }]);
      expect(valueOf("[abc:v = h'ffD8']")).to.deep.equal(['=', { kind: 'hex', value: 'ffD8' }]);
      expect(valueOf("[abc:v < t'2016-06-01T00:00:00.123Z']")).to.deep.equal([
        '<',
        { kind: 'timestamp', value: '2016-06-01T00:00:00.123Z' },
      ]);
      expect(valueOf("[abc:v IN ('a', 1, 2.5, true)]")).to.deep.equal([
        'IN',
        {
          kind: 'set',
          items: [
            { kind: 'string', value: 'a' },
            { kind: 'integer', value: 1 },
            { kind: 'float', value: 2.5 },
            { kind: 'boolean', value: true },
          ],
        },
      ]);
      expect(valueOf("[ipv4-addr:value ISSUBSET '10.0.0.0/8']")).to.deep.equal([
        'ISSUBSET',
        { kind: 'string', value: '10.0.0.0/8' },
      ]);
    });
  });

  describe('whitespace and comments', () => {
    it('accepts tabs, line breaks, Unicode spaces and comments between any two tokens', () => {
      const spaced =
        "\r\n\t[\u00a0file\u3000:\u2003name\u000b=\u000c'a'\u2028]\n\tFOLLOWEDBY /* c */ [file:size = 1] // end";
      expect(parsed(spaced)).to.deep.equal(parsed("[file:name = 'a'] FOLLOWEDBY [file:size = 1]"));
      expect(parsed("[file:name = 'a'] // comment\nAND [file:size = 1]")).to.deep.equal(
        parsed("[file:name = 'a'] AND [file:size = 1]"),
      );
    });

    it('keeps line breaks inside strings and refuses characters the grammar does not know', () => {
      expect(parsed("[file:name = 'line\nbreak']")).to.deep.equal({
        type: 'observation',
        comparison: {
          type: 'comparison',
          path: { objectType: 'file', steps: [{ kind: 'property', name: 'name' }] },
          operator: '=',
          negated: false,
          value: { kind: 'string', value: 'line\nbreak' },
        },
      });
      expect(refused("[file:name = 'a']\u0000")).to.deep.equal({ reason: 'unexpected character U+0000', offset: 17 });
      expect(refused("[file:nïme = 'a']")).to.deep.equal({ reason: 'unexpected character U+00EF', offset: 7 });
      expect(refused('')).to.deep.equal({
        reason: "expected an observation expression: '[' or '(' but found the end of the pattern",
        offset: 0,
      });
      expect(refused('   /* only a comment */ ').offset).to.equal(24);
    });
  });

  describe('hostile input', () => {
    it(`refuses nesting deeper than ${MAX_PATTERN_NESTING} levels and accepts exactly ${MAX_PATTERN_NESTING}`, () => {
      const nest = (n: number): string => `${'('.repeat(n - 1)}[abc:a = 1]${')'.repeat(n - 1)}`;
      parsed(nest(MAX_PATTERN_NESTING));
      expect(refused(nest(MAX_PATTERN_NESTING + 1))).to.deep.equal({
        reason: `brackets and parentheses are nested more than ${MAX_PATTERN_NESTING} levels deep`,
        offset: MAX_PATTERN_NESTING,
      });
      const inner = (n: number): string => `[${'('.repeat(n - 1)}abc:a = 1${')'.repeat(n - 1)}]`;
      parsed(inner(MAX_PATTERN_NESTING));
      expect(refused(inner(MAX_PATTERN_NESTING + 1)).reason).to.contain('nested more than');
    });

    it('fails cleanly (no stack overflow) on 10,000 levels of parentheses and brackets', () => {
      const depth = 10_000;
      const cases = [
        `${'('.repeat(depth)}[abc:a = 1]${')'.repeat(depth)}`,
        `[${'('.repeat(depth)}abc:a = 1${')'.repeat(depth)}]`,
        '('.repeat(depth),
        '['.repeat(depth),
        '[('.repeat(depth),
        `${'(['.repeat(depth)}`,
      ];
      for (const pattern of cases) {
        const failure = refused(pattern);
        expect(failure.offset, pattern.slice(0, 20)).to.be.at.most(2 * MAX_PATTERN_NESTING + 2);
      }
      expect(refused(cases[0]!).reason).to.contain('nested more than');
      expect(refused(cases[3]!).reason).to.equal(
        "expected an object path such as file:name, EXISTS, or a parenthesised comparison but found '['",
      );
    });

    it('parses a 1 MB pattern in linear time and refuses anything longer than the cap', function () {
      this.timeout(30_000);
      const one = "[ipv4-addr:value = '198.51.100.1'] OR ";
      const count = Math.floor((MAX_PATTERN_LENGTH - 64) / one.length);
      const big = `${one.repeat(count)}[ipv4-addr:value = '203.0.113.9']`;
      expect(big.length).to.be.greaterThan(1_000_000);
      const start = process.hrtime.bigint();
      const ast = parsed(big);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      expect(ast.type === 'observation-operator' && ast.operands.length).to.equal(count + 1);
      expect(ms, `${ms} ms for ${big.length} characters`).to.be.below(3000);

      const comparisons = `[${"domain-name:value = 'a.example' OR ".repeat(count)}domain-name:value = 'b']`;
      expect(comparisons.length).to.be.below(MAX_PATTERN_LENGTH + 1);
      parsed(comparisons);

      const longString = `[file:name = '${'x'.repeat(MAX_PATTERN_LENGTH - 20)}']`;
      const parsedString = parsed(longString);
      expect(parsedString.type === 'observation' && parsedString.comparison.type === 'comparison').to.equal(true);

      expect(refused(`${big} OR ${'[ipv4-addr:value = 1] OR '.repeat(2000)}[ipv4-addr:value = 1]`)).to.deep.equal({
        reason: `pattern is longer than ${MAX_PATTERN_LENGTH} characters`,
        offset: MAX_PATTERN_LENGTH,
      });
    });

    it('fails fast on 1 MB of garbage and keeps reasons short', function () {
      this.timeout(30_000);
      const size = 1_000_000;
      const cases: [string, string][] = [
        [
          'x'.repeat(size),
          "expected an observation expression: '[' or '(' but found 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'",
        ],
        [`[file:name = '${'a'.repeat(size)}`, 'unterminated string'],
        [`[file:name = 'a'] /*${' '.repeat(size)}`, 'unterminated comment'],
        [`[file:name = t'${'1'.repeat(size)}']`, 'invalid timestamp'],
        [`[file:name = b'${'A'.repeat(size - 1)}']`, 'invalid binary constant'],
        [`[file:size = ${'9'.repeat(size)}]`, 'outside the STIX integer range'],
        [`[${'a'.repeat(size)}:b = 1]`, 'is not a STIX object type name'],
        [`[file:name = 'a'] WITHIN ${'9'.repeat(size)} SECONDS`, 'WITHIN needs a positive number'],
        [' '.repeat(size), 'found the end of the pattern'],
        ['[file:name = 1] AND '.repeat(size / 20), 'found the end of the pattern'],
      ];
      for (const [pattern, fragment] of cases) {
        const start = process.hrtime.bigint();
        const failure = refused(pattern);
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        expect(failure.reason, pattern.slice(0, 30)).to.contain(fragment);
        expect(failure.reason.length, failure.reason).to.be.below(200);
        expect(ms, `${ms} ms: ${pattern.slice(0, 30)}`).to.be.below(2000);
      }
    });

    it('a long run of qualifiers cannot build a deep tree: a second qualifier of one kind is refused', () => {
      const run = `[abc:a = 1]${' REPEATS 2 TIMES'.repeat(10_000)}`;
      expect(refused(run)).to.deep.equal({
        reason:
          'REPEATS is given twice for the same observation expression; use parentheses to qualify a qualified expression',
        offset: 28,
      });
    });

    it('is linear: eight times the input takes about eight times the CPU, not sixty-four', function () {
      this.timeout(60_000);
      // CPU time (not wall time) so that other processes on a busy machine do not distort the ratio;
      // the best of several interleaved runs so that a garbage collection does not either.
      const unit = "[file:x.y[*] = h'00' AND file:n NOT IN (1, 'a')] OR ";
      const small = `${unit.repeat(1_000)}[file:z = 1]`;
      const large = `${unit.repeat(8_000)}[file:z = 1]`;
      const cpu = (pattern: string): number => {
        const before = process.cpuUsage();
        parsed(pattern);
        const used = process.cpuUsage(before);
        return used.user + used.system;
      };
      cpu(small);
      cpu(large);
      let bestSmall = Infinity;
      let bestLarge = Infinity;
      for (let round = 0; round < 7; round++) {
        bestSmall = Math.min(bestSmall, cpu(small));
        bestLarge = Math.min(bestLarge, cpu(large));
      }
      expect(bestLarge / Math.max(bestSmall, 1), `${bestSmall} µs vs ${bestLarge} µs`).to.be.below(24);
    });
  });

  describe('real data', () => {
    const BUNDLES = ['attack-enterprise.json', 'attack-mobile.json', 'attack-ics.json', 'state-actors.json'];

    /** Patterns of stix indicators in a bundle, at any depth (indicators only appear as top-level objects). */
    function stixPatterns(file: string): string[] {
      const bundle = JSON.parse(readFileSync(file, 'utf8')) as { objects: Record<string, unknown>[] };
      return bundle.objects
        .filter((o) => o.type === 'indicator' && o.pattern_type === 'stix' && typeof o.pattern === 'string')
        .map((o) => o.pattern as string);
    }

    for (const name of BUNDLES) {
      it(`every stix indicator pattern in ../shared/data/${name} parses`, function () {
        this.timeout(60_000);
        const patterns = stixPatterns(sharedDataFile(this, name));
        const failures = patterns
          .map((p) => [p, parseStixPattern(p)] as const)
          .filter(([, r]) => !r.ok)
          .slice(0, 5);
        expect(failures).to.deep.equal([]);
        console.log(`      ${name}: ${patterns.length} stix indicator pattern(s), all parse`);
      });
    }

    it('every stix indicator pattern in demo/state-linked-groups.json parses', () => {
      const patterns = stixPatterns(join(projectRoot, 'demo', 'state-linked-groups.json'));
      expect(patterns.length).to.be.greaterThan(0);
      for (const pattern of patterns) parsed(pattern);
    });

    it('speed: patterns per second over the valid corpus', function () {
      this.timeout(60_000);
      const patterns = corpusLines('valid.txt');
      for (const p of patterns) parseStixPattern(p);
      const rounds = 200;
      const start = process.hrtime.bigint();
      for (let r = 0; r < rounds; r++) for (const p of patterns) parseStixPattern(p);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const rate = Math.round((rounds * patterns.length) / seconds);
      console.log(
        `      ${rate.toLocaleString('en-US')} patterns/s over ${rounds} × ${patterns.length} corpus patterns`,
      );
      expect(rate).to.be.greaterThan(1000);
    });
  });
});
