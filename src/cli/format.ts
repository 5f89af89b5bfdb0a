// Output of the admin commands: plain text for people (aligned tables for lists, one field per
// line for a record), or with --json exactly the body the admin REST API answers, for scripts.

/** A column of a table: its heading and how a row shows in it. */
export interface Column<T> {
  header: string;
  cell: (row: T) => unknown;
}

/** What a command prints: the JSON body, and the text shown without --json. */
export interface Output {
  json: unknown;
  text: string;
  /** said on standard error without --json, so that standard output holds only `text` */
  note?: string;
}

/** One value as text: lists joined, booleans as yes/no, nothing as "-". */
export function show(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map(show).join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Control characters would let a stored value rewrite the terminal; they show escaped. */
function safe(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** An aligned table with a heading row; `empty` stands alone when there are no rows. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = [columns.map((c) => c.header), ...rows.map((r) => columns.map((c) => safe(show(c.cell(r)))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => (line[i] as string).length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] as number)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

/** A record, one `field  value` line per field, in the order given. */
export function record(fields: readonly [string, unknown][]): string {
  const width = Math.max(...fields.map(([k]) => k.length));
  return fields
    .map(([k, v]) => `${k.padEnd(width)}  ${safe(show(v))}`.trimEnd())
    .join('\n')
    .concat('\n');
}

/** Every field of a view, in its own order (the order the admin API gives them). */
export function fieldsOf(view: object): [string, unknown][] {
  return Object.entries(view);
}

export function render(out: Output, json: boolean): string {
  return json ? `${JSON.stringify(out.json, null, 2)}\n` : out.text;
}
