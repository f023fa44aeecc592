// groups.js: the groups of a metric answer ({"groups": [{"key", "total", "points"}]}) as a
// table: key, total and share of all groups, largest first.

import { table } from './table.js';
import { share } from '../format.js';

/** Rows { key, total, share } of data's groups, largest total first. */
export function groupRows(data) {
  const groups = data.groups || [];
  const sum = groups.reduce((s, g) => s + g.total, 0);
  return [...groups].sort((a, b) => b.total - a.total || a.key.localeCompare(b.key))
    .map((g) => ({ key: g.key, total: g.total, share: sum ? g.total / sum : 0 }));
}

/** opts: { keyLabel, totalLabel, kind (of totals), csv, testid, onRow, caption, keyBadge (key ->
 * a node shown before the key, e.g. a severity's colour, or null) } */
export function groupTable(data, { keyLabel = 'Key', totalLabel = 'Total', kind = 'count', csv, testid, onRow, caption, keyBadge }) {
  return table({
    columns: [
      { key: 'key', label: keyLabel, kind: 'text', format: keyBadge ? (v) => [keyBadge(v), v] : undefined },
      { key: 'total', label: totalLabel, kind },
      { key: 'share', label: 'Share', kind: 'share', format: (v) => share(v) },
    ],
    rows: groupRows(data), csv, testid, onRow, caption,
  });
}
