// stat.js: one headline figure (a tile): a label, the value as people read it, the raw value
// in data-value (what tests and CSV compare), and a line of context below.

import { h } from '../dom.js';
import { byKind } from '../format.js';

/** opts: { label (none: the panel's title says it), value (number or null while unknown), kind (format.byKind), currency, testid, note } */
export function stat({ label, value, kind = 'count', currency, testid, note }) {
  const text = value === null || value === undefined ? '–' : byKind(kind, value, currency);
  return h('div', { class: 'stat', 'data-testid': testid },
    label ? h('div', { class: 'stat-label' }, label) : null,
    h('div', { class: 'stat-value', 'data-value': value === null || value === undefined ? '' : String(value) }, text),
    note ? h('div', { class: 'stat-note' }, note) : null);
}

/** A row of tiles. */
export function stats(...tiles) {
  return h('div', { class: 'stats' }, tiles);
}
