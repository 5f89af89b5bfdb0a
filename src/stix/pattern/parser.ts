// STIX 2.1 §9 (STIX Patterning): a recursive-descent parser for indicator patterns with pattern_type "stix".
//
// It accepts the language of the specification's ANTLR grammar (pattern, observation and comparison
// expressions, qualifiers, object paths and constants) and adds the checks the specification states in
// prose: object types are STIX type names, t'…' timestamps are real instants, START is before STOP, and
// WITHIN and REPEATS count in positive numbers. Object types and property names are not looked up:
// custom objects and properties are allowed (§11).
//
// Hostile input: every rule that can nest ('[' and '(') counts its depth and refuses more than
// MAX_PATTERN_NESTING levels, so recursion stays shallow; operator chains are loops; the lexer moves
// only forward. Parsing is therefore linear in the length, which is capped at MAX_PATTERN_LENGTH.

import { compareTimestamps } from '../timestamps.js';
import type {
  ComparisonExpression,
  ComparisonOperator,
  Constant,
  ObjectPath,
  ObservationExpression,
  PathStep,
  PatternAst,
  Qualifier,
  ScalarConstant,
} from './ast.js';
import { Lexer, PatternSyntaxError, quote, type TokenKind } from './lexer.js';

/** Deepest nesting of '[' and '(' accepted; real patterns stay far below it. */
export const MAX_PATTERN_NESTING = 64;
/** Longest pattern accepted, in characters (1 MiB). */
export const MAX_PATTERN_LENGTH = 1_048_576;

export type PatternResult =
  | { readonly ok: true; readonly ast: PatternAst }
  | { readonly ok: false; readonly reason: string; readonly offset: number };

/** Parses a STIX pattern. Any input, however hostile, ends in a result: no exception, no deep recursion. */
export function parseStixPattern(text: string): PatternResult {
  if (text.length > MAX_PATTERN_LENGTH) {
    return { ok: false, reason: `pattern is longer than ${MAX_PATTERN_LENGTH} characters`, offset: MAX_PATTERN_LENGTH };
  }
  try {
    return { ok: true, ast: new Parser(text).pattern() };
  } catch (err) {
    if (err instanceof PatternSyntaxError) return { ok: false, reason: err.reason, offset: err.offset };
    throw err;
  }
}

/** "reason (at offset n)": the form used in validation reasons. */
export function describePatternFailure(failure: { readonly reason: string; readonly offset: number }): string {
  return `${failure.reason} (at offset ${failure.offset})`;
}

/** Reserved words of the grammar; they are never object types or property names. */
const KEYWORDS: ReadonlySet<string> = new Set([
  'AND',
  'OR',
  'NOT',
  'FOLLOWEDBY',
  'LIKE',
  'MATCHES',
  'ISSUPERSET',
  'ISSUBSET',
  'EXISTS',
  'LAST',
  'IN',
  'START',
  'STOP',
  'SECONDS',
  'true',
  'false',
  'WITHIN',
  'REPEATS',
  'TIMES',
]);

/** Comparison operators written as words. */
const WORD_OPERATORS: readonly ComparisonOperator[] = ['IN', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET'];

/**
 * STIX 2.1 §3.1 (type): 3–250 characters of a-z, 0-9 and '-', starting with a letter, not ending with '-',
 * and without '--' (which separates the type from the UUID in identifiers).
 */
function isStixTypeName(name: string): boolean {
  if (name.length < 3 || name.length > 250 || name.includes('--')) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const letter = c >= 0x61 && c <= 0x7a;
    if (i === 0 ? !letter : !(letter || (c >= 0x30 && c <= 0x39) || (c === 0x2d && i < name.length - 1))) {
      return false;
    }
  }
  return true;
}

class Parser {
  /** The lexer doubles as the current token (kind, start, end, value). */
  private readonly lx: Lexer;
  private depth = 0;

  constructor(text: string) {
    this.lx = new Lexer(text);
    this.lx.next();
  }

  // ---- token helpers ------------------------------------------------------------------------------------

  private isWord(word: string): boolean {
    return this.lx.isWord(word);
  }

  /** A call rather than a field test, so that the type checker does not assume the token never changes. */
  private at(kind: TokenKind): boolean {
    return this.lx.kind === kind;
  }

  private found(): string {
    return this.at('eof') ? 'the end of the pattern' : quote(this.lx.text());
  }

  private fail(expected: string): never {
    throw new PatternSyntaxError(`expected ${expected} but found ${this.found()}`, this.lx.start);
  }

  /** Checks the current token's kind and moves past it. */
  private expect(kind: TokenKind, expected: string): void {
    if (!this.at(kind)) this.fail(expected);
    this.lx.next();
  }

  /** Checks the current token's kind (a string or a typed constant) and returns its value before moving on. */
  private take(kind: 'string' | 'timestamp', expected: string): string {
    if (!this.at(kind)) this.fail(expected);
    const value = this.lx.value;
    this.lx.next();
    return value;
  }

  private expectWord(word: string, context: string): void {
    if (!this.isWord(word)) this.fail(`${word} ${context}`);
    this.lx.next();
  }

  /** Enters a '[' or '(' level; the depth cap is what keeps recursion bounded on hostile input. */
  private enter(): void {
    this.depth++;
    if (this.depth > MAX_PATTERN_NESTING) {
      throw new PatternSyntaxError(
        `brackets and parentheses are nested more than ${MAX_PATTERN_NESTING} levels deep`,
        this.lx.start,
      );
    }
    this.lx.next();
  }

  // ---- observation expressions (§9: observation operators and qualifiers) --------------------------------

  pattern(): PatternAst {
    const ast = this.followedBy();
    if (!this.at('eof')) this.fail('AND, OR, FOLLOWEDBY, a qualifier or the end of the pattern');
    return ast;
  }

  /** Lowest precedence: FOLLOWEDBY. */
  private followedBy(): ObservationExpression {
    const first = this.observationOr();
    if (!this.isWord('FOLLOWEDBY')) return first;
    const operands = [first];
    while (this.isWord('FOLLOWEDBY')) {
      this.lx.next();
      operands.push(this.observationOr());
    }
    return { type: 'observation-operator', operator: 'FOLLOWEDBY', operands };
  }

  private observationOr(): ObservationExpression {
    const first = this.observationAnd();
    if (!this.isWord('OR')) return first;
    const operands = [first];
    while (this.isWord('OR')) {
      this.lx.next();
      operands.push(this.observationAnd());
    }
    return { type: 'observation-operator', operator: 'OR', operands };
  }

  private observationAnd(): ObservationExpression {
    const first = this.qualified();
    if (!this.isWord('AND')) return first;
    const operands = [first];
    while (this.isWord('AND')) {
      this.lx.next();
      operands.push(this.qualified());
    }
    return { type: 'observation-operator', operator: 'AND', operands };
  }

  /**
   * Qualifiers bind tighter than any observation operator: in `[a] AND [b] WITHIN 5 SECONDS` the WITHIN
   * applies to `[b]` alone. One qualifier of each kind per expression: a second WITHIN (or REPEATS, or
   * START/STOP) on the same expression would restate or contradict the first, and refusing it keeps the
   * tree's depth bounded.
   */
  private qualified(): ObservationExpression {
    let expression = this.observationPrimary();
    let seen = 0; // one bit per qualifier kind
    for (;;) {
      const at = this.lx.start;
      let qualifier: Qualifier;
      let bit: number;
      if (this.isWord('WITHIN')) [qualifier, bit] = [this.within(), 1];
      else if (this.isWord('REPEATS')) [qualifier, bit] = [this.repeats(), 2];
      else if (this.isWord('START')) [qualifier, bit] = [this.startStop(), 4];
      else return expression;
      if ((seen & bit) !== 0) {
        const word = bit === 1 ? 'WITHIN' : bit === 2 ? 'REPEATS' : 'START';
        throw new PatternSyntaxError(
          `${word} is given twice for the same observation expression; use parentheses to qualify a qualified expression`,
          at,
        );
      }
      seen |= bit;
      expression = { type: 'qualified', expression, qualifier };
    }
  }

  private observationPrimary(): ObservationExpression {
    if (this.at('[')) {
      this.enter();
      if (this.at(']')) this.fail('a comparison expression');
      const comparison = this.comparisonOr();
      this.expect(']', "']'");
      this.depth--;
      return { type: 'observation', comparison };
    }
    if (this.at('(')) {
      this.enter();
      const inner = this.followedBy();
      this.expect(')', "')'");
      this.depth--;
      return inner;
    }
    return this.fail("an observation expression: '[' or '('");
  }

  /** The number after WITHIN or REPEATS, with its text for messages. */
  private count(after: string): [value: number, text: string, isInt: boolean, start: number] {
    const kind = this.lx.kind;
    if (kind !== 'int' && kind !== 'float') this.fail(`a number ${after}`);
    const text = this.lx.text();
    const start = this.lx.start;
    this.lx.next();
    return [Number(text), text, kind === 'int', start];
  }

  /** WITHIN n SECONDS: a positive number of seconds; the grammar takes an integer or a decimal literal here. */
  private within(): Qualifier {
    this.lx.next();
    const [seconds, text, isInt, start] = this.count('of seconds after WITHIN');
    if (!(seconds > 0) || !Number.isFinite(seconds) || (isInt && !Number.isSafeInteger(seconds))) {
      throw new PatternSyntaxError(`WITHIN needs a positive number of seconds, not ${quote(text)}`, start);
    }
    this.expectWord('SECONDS', `after WITHIN ${text}`);
    return { kind: 'within', seconds };
  }

  /** REPEATS n TIMES: a positive integer. */
  private repeats(): Qualifier {
    this.lx.next();
    const [times, text, isInt, start] = this.count('of times after REPEATS');
    if (!isInt || !(times > 0) || !Number.isSafeInteger(times)) {
      throw new PatternSyntaxError(`REPEATS needs a positive integer, not ${quote(text)}`, start);
    }
    this.expectWord('TIMES', `after REPEATS ${text}`);
    return { kind: 'repeats', times };
  }

  /** START t'…' STOP t'…': the window must not be empty, so START is strictly earlier than STOP. */
  private startStop(): Qualifier {
    const at = this.lx.start;
    this.lx.next();
    const start = this.take('timestamp', "a timestamp t'…' after START");
    this.expectWord('STOP', `after START t'${start}'`);
    const stop = this.take('timestamp', "a timestamp t'…' after STOP");
    if (compareTimestamps(start, stop) >= 0) {
      throw new PatternSyntaxError(`START t'${start}' must be earlier than STOP t'${stop}'`, at);
    }
    return { kind: 'start-stop', start, stop };
  }

  // ---- comparison expressions (§9: comparison operators; AND binds tighter than OR) ----------------------

  private comparisonOr(): ComparisonExpression {
    const first = this.comparisonAnd();
    if (!this.isWord('OR')) return first;
    const operands = [first];
    while (this.isWord('OR')) {
      this.lx.next();
      operands.push(this.comparisonAnd());
    }
    return { type: 'comparison-operator', operator: 'OR', operands };
  }

  private comparisonAnd(): ComparisonExpression {
    const first = this.propertyTest();
    if (!this.isWord('AND')) return first;
    const operands = [first];
    while (this.isWord('AND')) {
      this.lx.next();
      operands.push(this.propertyTest());
    }
    return { type: 'comparison-operator', operator: 'AND', operands };
  }

  /** `path [NOT] op constant`, `[NOT] EXISTS path`, or a parenthesised comparison expression. */
  private propertyTest(): ComparisonExpression {
    if (this.at('(')) {
      this.enter();
      const inner = this.comparisonOr();
      this.expect(')', "')'");
      this.depth--;
      return inner;
    }
    if (this.isWord('NOT') || this.isWord('EXISTS')) {
      const negated = this.isWord('NOT');
      if (negated) {
        this.lx.next();
        if (!this.isWord('EXISTS')) this.fail('EXISTS after a leading NOT (elsewhere NOT goes before the operator)');
      }
      this.lx.next();
      return { type: 'exists', path: this.objectPath(), negated };
    }
    const path = this.objectPath();
    const negated = this.isWord('NOT');
    if (negated) this.lx.next();
    const operator = this.operator();
    this.lx.next();
    return { type: 'comparison', path, operator, negated, value: this.operand(operator) };
  }

  private operator(): ComparisonOperator {
    if (this.at('op')) return this.lx.value as ComparisonOperator;
    for (const word of WORD_OPERATORS) if (this.isWord(word)) return word;
    return this.fail('a comparison operator (=, !=, <, <=, >, >=, IN, LIKE, MATCHES, ISSUBSET, ISSUPERSET)');
  }

  /** The constant an operator takes: a set for IN, a string for the text and subnet operators. */
  private operand(operator: ComparisonOperator): Constant {
    switch (operator) {
      case 'IN':
        return this.setConstant();
      case 'LIKE':
      case 'MATCHES':
      case 'ISSUBSET':
      case 'ISSUPERSET':
        return { kind: 'string', value: this.take('string', `a quoted string after ${operator}`) };
      case '=':
      case '!=':
        return this.scalar(true, `a constant after ${operator}`);
      case '<':
      case '<=':
      case '>':
      case '>=':
        return this.scalar(false, `a constant that can be ordered (not a boolean) after ${operator}`);
    }
  }

  /** `( c1, c2, … )`, possibly empty. */
  private setConstant(): Constant {
    this.expect('(', "a set of constants in parentheses after IN, such as ('a', 'b')");
    const items: ScalarConstant[] = [];
    if (!this.at(')')) {
      for (;;) {
        items.push(this.scalar(true, 'a constant in the set'));
        if (this.at(')')) break;
        this.expect(',', "',' or ')' in the set");
      }
    }
    this.lx.next();
    return { kind: 'set', items };
  }

  private scalar(allowBoolean: boolean, expected: string): ScalarConstant {
    const lx = this.lx;
    const kind = lx.kind;
    let constant: ScalarConstant;
    if (kind === 'string' || kind === 'binary' || kind === 'hex' || kind === 'timestamp') {
      constant = { kind, value: lx.value };
    } else if (kind === 'int') {
      const value = Number(lx.text());
      if (!Number.isSafeInteger(value)) {
        throw new PatternSyntaxError(
          `integer ${quote(lx.text())} is outside the STIX integer range ±(2^53 − 1)`,
          lx.start,
        );
      }
      constant = { kind: 'integer', value };
    } else if (kind === 'float') {
      const value = Number(lx.text());
      if (!Number.isFinite(value)) throw new PatternSyntaxError(`number ${quote(lx.text())} is too large`, lx.start);
      constant = { kind: 'float', value };
    } else if (allowBoolean && (lx.isWord('true') || lx.isWord('false'))) {
      constant = { kind: 'boolean', value: lx.isWord('true') };
    } else {
      return this.fail(expected);
    }
    lx.next();
    return constant;
  }

  // ---- object paths (§9: object path syntax) --------------------------------------------------------------

  /** A word that may name an object type or a property: not one of the grammar's reserved words. */
  private isName(): boolean {
    return this.at('word') && !KEYWORDS.has(this.lx.text());
  }

  /**
   * `type:property` then `.property`, `[n]` or `[*]`. Unquoted property names are identifiers without '-';
   * names with other characters (hash names, extension names, dictionary keys) are quoted: `hashes.'SHA-256'`.
   */
  private objectPath(): ObjectPath {
    if (!this.isName()) return this.fail('an object path such as file:name, EXISTS, or a parenthesised comparison');
    const objectType = this.lx.text();
    if (!isStixTypeName(objectType)) {
      throw new PatternSyntaxError(
        `${quote(objectType)} is not a STIX object type name (3–250 characters of a-z, 0-9 and '-', starting with a letter)`,
        this.lx.start,
      );
    }
    this.lx.next();
    this.expect(':', `':' after the object type ${quote(objectType)}`);
    const steps: PathStep[] = [this.propertyName()];
    for (;;) {
      if (this.at('.')) {
        this.lx.next();
        steps.push(this.propertyName());
      } else if (this.at('[')) {
        this.lx.next();
        if (this.at('*')) {
          steps.push({ kind: 'any-index' });
        } else if (this.at('int') && Number.isSafeInteger(Number(this.lx.text()))) {
          steps.push({ kind: 'index', index: Number(this.lx.text()) });
        } else {
          this.fail('a list index (an integer or *)');
        }
        this.lx.next();
        this.expect(']', "']' after the list index");
      } else {
        return { objectType, steps };
      }
    }
  }

  private propertyName(): PathStep {
    if (this.at('string')) {
      const name = this.lx.value;
      this.lx.next();
      return { kind: 'property', name };
    }
    if (!this.isName()) return this.fail('a property name');
    const name = this.lx.text();
    if (name.includes('-')) {
      throw new PatternSyntaxError(
        `property name ${quote(name)} contains '-' and must be written in single quotes`,
        this.lx.start,
      );
    }
    this.lx.next();
    return { kind: 'property', name };
  }
}
