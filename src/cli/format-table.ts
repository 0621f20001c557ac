/**
 * Plain-text output for people: column-aligned tables and `key: value` blocks. Scripts use
 * --json instead. Control characters in values are escaped so a stored description cannot
 * move the cursor or rewrite the terminal.
 */

export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = [headers, ...rows].map((row) => row.map(printable));
  const widths = headers.map((_, col) => Math.max(...cells.map((row) => [...(row[col] ?? '')].length)));
  return cells
    .map((row) =>
      row
        .map((cell, col) => (col === row.length - 1 ? cell : cell.padEnd((widths[col] ?? 0) + (cell.length - [...cell].length))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function formatFields(fields: readonly (readonly [string, string])[]): string {
  const width = Math.max(...fields.map(([name]) => name.length)) + 1;
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width)}  ${printable(value)}`).join('\n');
}

export function printable(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `2030-01-15 00:00:00Z` from an ISO string, or `-`. */
export function shortTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '-';
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}
