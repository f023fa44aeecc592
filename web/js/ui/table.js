// table.js: every table of the dashboard: a header, rows, optional shading of numeric cells
// (heat maps such as retention cohorts), optional row actions (drill-downs), and an
// "Export CSV" button that saves exactly the rows shown, with raw values.

import { h } from '../dom.js';
import { byKind } from '../format.js';
import { toCsv, download } from '../csv.js';

/**
 * opts: {
 *   columns: [{ key, label, kind ('text' | format.byKind kinds), shade (0..1 of a value, for
 *              a heat map), format (value, row) -> text }],
 *   rows: [objects], csv: file name (without .csv), testid, onRow (row) -> void (rows become
 *   buttons), caption
 * }
 */
export function table({ columns, rows, csv, testid, onRow, caption }) {
  const head = h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.kind && c.kind !== 'text' ? 'num' : '' }, c.label)));
  const body = rows.map((row) => h('tr', {
    class: onRow ? 'clickable' : '',
    tabindex: onRow ? '0' : null,
    onclick: onRow ? () => onRow(row) : null,
    onkeydown: onRow ? (e) => { if (e.key === 'Enter') onRow(row); } : null,
  }, columns.map((c) => cell(c, row))));
  const exportCsv = () => download(`${csv || 'table'}.csv`, toCsv(columns.map((c) => c.label), rows.map((r) => columns.map((c) => r[c.key]))));
  return h('div', { class: 'table-wrap', 'data-testid': testid },
    h('div', { class: 'table-tools' },
      caption ? h('span', { class: 'table-caption' }, caption) : null,
      h('button', { type: 'button', class: 'button small', onclick: exportCsv, 'data-testid': testid ? `${testid}-csv` : null }, 'Export CSV')),
    h('div', { class: 'table-scroll' }, h('table', {}, h('thead', {}, head), h('tbody', {}, body))));
}

function cell(c, row) {
  const v = row[c.key];
  const numeric = c.kind && c.kind !== 'text';
  const text = c.format ? c.format(v, row) : numeric ? (v === null || v === undefined ? '' : byKind(c.kind, v, row.currency)) : v;
  const attrs = { class: numeric ? 'num' : '', 'data-key': c.key };
  if (numeric && v !== null && v !== undefined) attrs['data-value'] = String(v);
  if (c.shade && v !== null && v !== undefined) {
    const a = Math.max(0, Math.min(1, c.shade(v, row)));
    attrs.style = { backgroundColor: `rgba(37, 99, 235, ${(0.08 + 0.82 * a).toFixed(3)})`, color: a > 0.45 ? '#fff' : '' };
  }
  return h('td', attrs, text);
}
