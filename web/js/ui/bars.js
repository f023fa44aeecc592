// bars.js: horizontal bars for few categories (session-length histogram, funnels): a label,
// a bar as long as the value's share of the largest, and the value (raw in data-value).

import { h } from '../dom.js';
import { byKind, share } from '../format.js';

/** items: [{ label, value }]; opts: { kind, testid, ofFirst (show % of the first item) } */
export function bars(items, { kind = 'count', testid, ofFirst = false } = {}) {
  const max = Math.max(1e-9, ...items.map((i) => i.value));
  const first = items.length ? items[0].value : 0;
  return h('ol', { class: 'bars', 'data-testid': testid }, items.map((i) => h('li', { class: 'bar-row' },
    h('span', { class: 'bar-label', title: i.label }, i.label),
    h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: { width: `${(100 * i.value) / max}%` } })),
    h('span', { class: 'bar-value', 'data-value': String(i.value) }, byKind(kind, i.value),
      ofFirst && first > 0 ? h('span', { class: 'bar-share' }, ` ${share(i.value / first)}`) : null))));
}
