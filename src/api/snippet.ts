// Which field of an object a search matched, and a short excerpt of it with the matched words
// wrapped in « and » (the console renders them highlighted; a plain client can show them as they are).
import { FIELD_WEIGHTS, SEARCH_FIELDS, searchTokens } from '../stix/intel-fields.js';
import type { SearchField } from '../stix/intel-fields.js';

const WINDOW = 160;

export interface Match {
  field: SearchField;
  snippet: string;
}

/** Whether a word of the text starts with one of the query words. */
function wordMatches(word: string, queryWords: readonly string[]): boolean {
  const tokens = searchTokens(word);
  return tokens.some((t) => queryWords.some((q) => t.startsWith(q)));
}

/**
 * The heaviest field holding a match, and its excerpt. Words are the runs between spaces and
 * punctuation; each is tested like the index tests it (lower-cased, accents removed, as a prefix).
 */
export function bestMatch(text: Record<SearchField, string>, query: string): Match | undefined {
  const words = searchTokens(query);
  if (words.length === 0) return undefined;
  const fields = [...SEARCH_FIELDS].sort((a, b) => FIELD_WEIGHTS[b] - FIELD_WEIGHTS[a]);
  for (const field of fields) {
    const value = text[field];
    if (value === '') continue;
    const parts = value.split(/([^\p{L}\p{N}]+)/u);
    const hit = parts.findIndex((p, i) => i % 2 === 0 && p !== '' && wordMatches(p, words));
    if (hit < 0) continue;
    return { field, snippet: excerpt(parts, hit, words) };
  }
  return undefined;
}

function excerpt(parts: readonly string[], hit: number, words: readonly string[]): string {
  // Start a little before the first hit, and keep about WINDOW characters.
  let start = hit;
  let before = 0;
  while (start > 0 && before + (parts[start - 1] as string).length < WINDOW / 3) {
    start--;
    before += (parts[start] as string).length;
  }
  let out = '';
  let i = start;
  for (; i < parts.length && out.length < WINDOW; i++) {
    const p = parts[i] as string;
    out += i % 2 === 0 && p !== '' && wordMatches(p, words) ? `«${p}»` : p;
  }
  return `${start > 0 ? '…' : ''}${out.trim()}${i < parts.length ? '…' : ''}`;
}
