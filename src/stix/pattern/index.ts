// STIX 2.1 §9 (STIX Patterning): parser and syntax tree for patterns with pattern_type "stix".
export type * from './ast.js';
export {
  describePatternFailure,
  MAX_PATTERN_LENGTH,
  MAX_PATTERN_NESTING,
  parseStixPattern,
  type PatternResult,
} from './parser.js';
