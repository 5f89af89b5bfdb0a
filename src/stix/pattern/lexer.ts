// STIX 2.1 §9 (STIX Patterning): the tokens of the patterning grammar.
//
// Tokens are produced on demand (one at a time) so that the first error in reading order is the one
// reported, whether it is a malformed token or a misplaced one. The current token lives in the lexer's own
// fields rather than in a fresh object, which keeps allocation (and garbage collection) proportional to
// the syntax tree alone. Every loop only moves forward, so the whole input is read in linear time.

import { parseTimestamp } from '../timestamps.js';

export type TokenKind =
  /** `[A-Za-z_][A-Za-z0-9_-]*`: object types, property names and the keywords (AND, true, …) */
  | 'word'
  | 'string'
  | 'int'
  | 'float'
  | 'binary'
  | 'hex'
  | 'timestamp'
  /** a comparison operator; `value` holds the normalised spelling (`==` → `=`, `<>` → `!=`) */
  | 'op'
  | '['
  | ']'
  | '('
  | ')'
  | ':'
  | '.'
  | ','
  | '*'
  | 'eof';

/** A pattern that cannot be read; `offset` points at the offending character. */
export class PatternSyntaxError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} (at offset ${offset})`);
  }
}

const QUOTE = 0x27; // '
const BACKSLASH = 0x5c; // \

/** The grammar's whitespace: ASCII blanks plus the Unicode space separators it lists. */
function isWhitespace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0x85 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000
  );
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isWordStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f;
}

function isWordPart(c: number): boolean {
  return isWordStart(c) || isDigit(c) || c === 0x2d;
}

function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isBase64Char(c: number): boolean {
  return isWordStart(c) ? c !== 0x5f : isDigit(c) || c === 0x2b || c === 0x2f;
}

/** Quotes a piece of the pattern for an error message, cut short so that reasons stay small. */
export function quote(text: string): string {
  const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
  return `'${shown}'`;
}

function describeChar(c: number): string {
  if (c >= 0x21 && c <= 0x7e) return `'${String.fromCharCode(c)}'`;
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

export class Lexer {
  /** The current token: its kind, where it starts and ends (UTF-16 offsets), and its decoded value. */
  kind: TokenKind = 'eof';
  start = 0;
  end = 0;
  /**
   * string: the content with escapes resolved; binary, hex, timestamp: the text between the quotes;
   * op: the normalised operator. Empty for the other kinds (see text()).
   */
  value = '';
  private pos = 0;

  constructor(private readonly src: string) {}

  /** The current token as written. */
  text(): string {
    return this.src.slice(this.start, this.end);
  }

  /** true when the current token is the word `word` (no allocation: keywords are tested on every token). */
  isWord(word: string): boolean {
    return this.kind === 'word' && this.end - this.start === word.length && this.src.startsWith(word, this.start);
  }

  /** Moves to the next token. */
  next(): void {
    this.skipTrivia();
    const src = this.src;
    const start = this.pos;
    this.start = start;
    this.value = '';
    if (start >= src.length) return this.set('eof', start);
    const c = src.charCodeAt(start);
    switch (c) {
      case 0x5b: // [
        return this.set('[', start + 1);
      case 0x5d: // ]
        return this.set(']', start + 1);
      case 0x28: // (
        return this.set('(', start + 1);
      case 0x29: // )
        return this.set(')', start + 1);
      case 0x3a: // :
        return this.set(':', start + 1);
      case 0x2c: // ,
        return this.set(',', start + 1);
      case 0x2a: // *
        return this.set('*', start + 1);
      case 0x2e: // . starts a float only when a digit follows (".5"); otherwise it separates path steps
        return isDigit(src.charCodeAt(start + 1)) ? this.number(start) : this.set('.', start + 1);
      case QUOTE:
        return this.string(start);
      case 0x3d: // = or ==
        return this.op(src.charCodeAt(start + 1) === 0x3d ? 2 : 1, '=');
      case 0x21: // !=
        if (src.charCodeAt(start + 1) === 0x3d) return this.op(2, '!=');
        throw new PatternSyntaxError("unexpected '!' (the not-equal operator is != or <>)", start);
      case 0x3c: {
        // <, <=, <>
        const d = src.charCodeAt(start + 1);
        if (d === 0x3d) return this.op(2, '<=');
        if (d === 0x3e) return this.op(2, '!=');
        return this.op(1, '<');
      }
      case 0x3e: // >, >=
        return src.charCodeAt(start + 1) === 0x3d ? this.op(2, '>=') : this.op(1, '>');
      case 0x2b: // +
      case 0x2d: // -
        return this.number(start);
      default:
        if (isDigit(c)) return this.number(start);
        if (isWordStart(c)) return this.word(start);
        throw new PatternSyntaxError(`unexpected character ${describeChar(src.codePointAt(start) ?? c)}`, start);
    }
  }

  private set(kind: TokenKind, end: number): void {
    this.kind = kind;
    this.end = end;
    this.pos = end;
  }

  private op(length: number, value: string): void {
    this.set('op', this.start + length);
    this.value = value;
  }

  /** Whitespace, `/* … *\/` and `// …` comments, which the grammar skips between tokens. */
  private skipTrivia(): void {
    const src = this.src;
    for (;;) {
      const c = src.charCodeAt(this.pos);
      if (isWhitespace(c)) {
        this.pos++;
      } else if (c === 0x2f && src.charCodeAt(this.pos + 1) === 0x2a) {
        const end = src.indexOf('*/', this.pos + 2);
        if (end < 0) throw new PatternSyntaxError('unterminated comment', this.pos);
        this.pos = end + 2;
      } else if (c === 0x2f && src.charCodeAt(this.pos + 1) === 0x2f) {
        let i = this.pos + 2;
        while (i < src.length && src.charCodeAt(i) !== 0x0a && src.charCodeAt(i) !== 0x0d) i++;
        this.pos = i;
      } else {
        return;
      }
    }
  }

  /**
   * Integers `[+-]?(0|[1-9][0-9]*)` and floats `[+-]?[0-9]*\.[0-9]+`. Leading zeros and a bare sign do not
   * form a number in the grammar and are reported here with a precise reason; `1.` is the integer 1 followed
   * by a '.', which the parser then refuses where it stands.
   */
  private number(start: number): void {
    const src = this.src;
    let i = start;
    const sign = src.charCodeAt(i);
    if (sign === 0x2b || sign === 0x2d) i++;
    const digitsStart = i;
    while (isDigit(src.charCodeAt(i))) i++;
    const intDigits = i - digitsStart;
    if (src.charCodeAt(i) === 0x2e && isDigit(src.charCodeAt(i + 1))) {
      i++;
      while (isDigit(src.charCodeAt(i))) i++;
      return this.set('float', i);
    }
    if (intDigits === 0) {
      throw new PatternSyntaxError(`unexpected ${describeChar(sign)} (a sign must be followed by a number)`, start);
    }
    if (intDigits > 1 && src.charCodeAt(digitsStart) === 0x30) {
      const text = src.slice(start, i);
      throw new PatternSyntaxError(`invalid number ${quote(text)}: integers are written without leading zeros`, start);
    }
    return this.set('int', i);
  }

  /** `'…'`: any character except a lone quote or backslash; `\'` and `\\` are the only escapes. */
  private string(start: number): void {
    const src = this.src;
    let value = '';
    let chunk = start + 1;
    let i = chunk;
    for (;;) {
      if (i >= src.length) throw new PatternSyntaxError('unterminated string', start);
      const c = src.charCodeAt(i);
      if (c === QUOTE) break;
      if (c === BACKSLASH) {
        const e = src.charCodeAt(i + 1);
        if (e !== QUOTE && e !== BACKSLASH) {
          const shown = i + 1 < src.length ? describeChar(e) : 'the end of the pattern';
          throw new PatternSyntaxError(
            `invalid escape in string: a backslash must be followed by ' or \\, not ${shown}`,
            i,
          );
        }
        value += src.slice(chunk, i) + String.fromCharCode(e);
        i += 2;
        chunk = i;
      } else {
        i++;
      }
    }
    this.set('string', i + 1);
    this.value = value + src.slice(chunk, i);
  }

  private word(start: number): void {
    const src = this.src;
    let i = start + 1;
    while (isWordPart(src.charCodeAt(i))) i++;
    // b'…', h'…' and t'…' are typed constants. A one-letter word directly before a quote can be nothing
    // else in a valid pattern, so a malformed constant is reported as such rather than as a stray word.
    if (i === start + 1 && src.charCodeAt(i) === QUOTE) {
      const letter = src.charCodeAt(start);
      if (letter === 0x62) return this.binary(start);
      if (letter === 0x68) return this.hex(start);
      if (letter === 0x74) return this.timestamp(start);
    }
    return this.set('word', i);
  }

  /** The content of a typed constant `x'…'` (no escapes), and the offset just past its closing quote. */
  private typedContent(start: number, what: string): [content: string, end: number] {
    const close = this.src.indexOf("'", start + 2);
    if (close < 0) throw new PatternSyntaxError(`unterminated ${what}`, start);
    return [this.src.slice(start + 2, close), close + 1];
  }

  /** b'…': base64 (RFC 4648 alphabet, padded to whole 4-character groups), at least one group. */
  private binary(start: number): void {
    const [content, end] = this.typedContent(start, 'binary constant');
    const n = content.length;
    let valid = n > 0 && n % 4 === 0;
    for (let k = 0; valid && k < n; k++) {
      const c = content.charCodeAt(k);
      if (c === 0x3d) {
        // '=' only as padding: the last character, or the last two
        valid = k === n - 1 || (k === n - 2 && content.charCodeAt(n - 1) === 0x3d);
      } else {
        valid = isBase64Char(c);
      }
    }
    if (!valid) {
      throw new PatternSyntaxError(
        `invalid binary constant ${quote(this.src.slice(start, end))}: b'…' holds base64 in whole padded groups of four characters`,
        start,
      );
    }
    this.set('binary', end);
    this.value = content;
  }

  /** h'…': pairs of hexadecimal digits (possibly none). */
  private hex(start: number): void {
    const [content, end] = this.typedContent(start, 'hex constant');
    let valid = content.length % 2 === 0;
    for (let k = 0; valid && k < content.length; k++) valid = isHexDigit(content.charCodeAt(k));
    if (!valid) {
      throw new PatternSyntaxError(
        `invalid hex constant ${quote(this.src.slice(start, end))}: h'…' holds pairs of hexadecimal digits`,
        start,
      );
    }
    this.set('hex', end);
    this.value = content;
  }

  /** t'…': a STIX timestamp (§2, RFC 3339 in UTC with a Z) that names a real calendar instant. */
  private timestamp(start: number): void {
    const [content, end] = this.typedContent(start, 'timestamp constant');
    if (parseTimestamp(content) === undefined) {
      throw new PatternSyntaxError(
        `invalid timestamp ${quote(this.src.slice(start, end))}: expected a valid UTC timestamp such as t'2024-01-31T12:00:00Z'`,
        start,
      );
    }
    this.set('timestamp', end);
    this.value = content;
  }
}
