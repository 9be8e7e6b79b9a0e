import type { StatusRow } from './components/component.js';

/** Renders rows as an aligned plain-text table (no colours: it must read the same in CI logs). */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function renderStatusTable(rows: readonly StatusRow[]): string {
  return renderTable(
    ['COMPONENT', 'URL', 'STATE'],
    rows.map((row) => [row.component, row.url, row.state]),
  );
}
