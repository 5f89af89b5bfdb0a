// STIX 2.1 §9 (STIX Patterning): the syntax tree produced by parseStixPattern.
//
// The tree keeps what a pattern says, not how it was spelled: whitespace, comments and redundant
// parentheses are gone, `==` is folded into `=` and `<>` into `!=` (the grammar treats each pair as one
// operator), and string constants hold their decoded text. Grouping survives as tree structure: a chain
// such as `a AND b AND c` becomes one node with three operands, while `(a AND b) AND c` keeps the
// parenthesised pair as its own operand.
//
// Depth is bounded: the parser refuses more than MAX_PATTERN_NESTING levels of brackets and parentheses
// and more than one qualifier of each kind on one expression, so a consumer may walk the tree recursively.

/** A whole pattern: one observation expression (possibly compound). */
export type PatternAst = ObservationExpression;

/** §9: `[ comparison expression ]`, observation expressions joined by AND/OR/FOLLOWEDBY, or one with a qualifier. */
export type ObservationExpression = ObservationNode | ObservationOperatorNode | QualifiedNode;

/** One `[ … ]`: a comparison expression that a single observed object must satisfy. */
export interface ObservationNode {
  readonly type: 'observation';
  readonly comparison: ComparisonExpression;
}

/**
 * Observation operators. Precedence, from the tightest: qualifiers, AND, OR, FOLLOWEDBY; all
 * left-associative. `operands` has at least two entries, in pattern order (order matters for FOLLOWEDBY).
 */
export interface ObservationOperatorNode {
  readonly type: 'observation-operator';
  readonly operator: 'AND' | 'OR' | 'FOLLOWEDBY';
  readonly operands: readonly ObservationExpression[];
}

/** An observation expression restricted by a qualifier; several qualifiers nest, the first one innermost. */
export interface QualifiedNode {
  readonly type: 'qualified';
  readonly expression: ObservationExpression;
  readonly qualifier: Qualifier;
}

/** §9 qualifiers: WITHIN n SECONDS, REPEATS n TIMES, START t'…' STOP t'…'. */
export type Qualifier =
  | { readonly kind: 'within'; readonly seconds: number }
  | { readonly kind: 'repeats'; readonly times: number }
  /** Timestamps as written (STIX timestamp format); start is strictly earlier than stop. */
  | { readonly kind: 'start-stop'; readonly start: string; readonly stop: string };

/** Inside `[ … ]`: tests of object paths joined by AND/OR (AND binds tighter), with parentheses. */
export type ComparisonExpression = ComparisonNode | ExistsNode | ComparisonOperatorNode;

export interface ComparisonOperatorNode {
  readonly type: 'comparison-operator';
  readonly operator: 'AND' | 'OR';
  /** At least two entries, in pattern order. */
  readonly operands: readonly ComparisonExpression[];
}

export type ComparisonOperator =
  '=' | '!=' | '<' | '<=' | '>' | '>=' | 'IN' | 'LIKE' | 'MATCHES' | 'ISSUBSET' | 'ISSUPERSET';

/**
 * `path [NOT] operator constant`. The constant's kind follows the operator: a `set` for IN, a `string`
 * for LIKE, MATCHES, ISSUBSET and ISSUPERSET, anything but a boolean for the ordering operators.
 */
export interface ComparisonNode {
  readonly type: 'comparison';
  readonly path: ObjectPath;
  readonly operator: ComparisonOperator;
  /** true for `path NOT operator constant` */
  readonly negated: boolean;
  readonly value: Constant;
}

/** `[NOT] EXISTS path` */
export interface ExistsNode {
  readonly type: 'exists';
  readonly path: ObjectPath;
  readonly negated: boolean;
}

/**
 * `object-type:property` followed by `.property`, `[index]` or `[*]` steps. Property steps hold the name
 * without quotes, whether it was written quoted (`hashes.'SHA-256'`) or not. The first step is always a
 * property.
 */
export interface ObjectPath {
  readonly objectType: string;
  readonly steps: readonly PathStep[];
}

export type PathStep =
  | { readonly kind: 'property'; readonly name: string }
  | { readonly kind: 'index'; readonly index: number }
  | { readonly kind: 'any-index' };

/** The constants of §9: strings, numbers, booleans, b'base64', h'hex' and t'timestamp'. */
export type ScalarConstant =
  /** decoded text: `\'` and `\\` are already replaced */
  | { readonly kind: 'string'; readonly value: string }
  /** a safe integer (|n| ≤ 2^53 − 1, STIX 2.1 §2 integer range) */
  | { readonly kind: 'integer'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'boolean'; readonly value: boolean }
  /** the base64 text between the quotes of b'…' */
  | { readonly kind: 'binary'; readonly value: string }
  /** the hex digits between the quotes of h'…', as written */
  | { readonly kind: 'hex'; readonly value: string }
  /** the timestamp between the quotes of t'…', as written; a valid calendar instant in UTC */
  | { readonly kind: 'timestamp'; readonly value: string };

/** A set constant `(c1, c2, …)` appears only as the operand of IN; it may be empty. */
export type Constant = ScalarConstant | { readonly kind: 'set'; readonly items: readonly ScalarConstant[] };
