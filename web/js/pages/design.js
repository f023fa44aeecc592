// design.js: design events as a drill-down tree of their ids (Tutorial › Tutorial:Step1 ›
// ...), with the count, sum, mean, min and max of their values at every level. The ids opened
// are kept in the URL (open=a,b), so a reload or a link opens them again.

import * as api from '../api.js';
import { Panel, grid } from '../ui/panel.js';
import { treeTable } from '../ui/tree.js';
import { loadInto } from '../load.js';
import { METRICS, paramsFor } from '../catalog.js';
import * as state from '../state.js';

const MEASURES = ['count', 'sum', 'mean', 'min', 'max'];

/** Rows per event id from the answers of the five measures. */
function rows(answers) {
  const byKey = new Map();
  answers.forEach((data, i) => {
    for (const g of (data && data.groups) || []) {
      const r = byKey.get(g.key) || { key: g.key };
      r[MEASURES[i]] = g.total;
      byKey.set(g.key, r);
    }
  });
  return [...byKey.values()].sort((a, b) => (b.count || 0) - (a.count || 0) || a.key.localeCompare(b.key));
}

const specs = (prefix) => MEASURES.map((measure) => ['design', { prefix: prefix || undefined, measure }]);

export function render(main, ctx) {
  const panel = new Panel({ title: 'Design events', wide: true, testid: 'panel-design' });
  const children = async (prefix) => rows(await Promise.all(specs(prefix).map(([id, extra]) =>
    api.metric(ctx.game.id, METRICS[id].name, paramsFor(id, ctx.view, extra), ctx.signal))));
  loadInto(ctx, panel, specs(''), (answers) => panel.ready(treeTable({
    idLabel: 'Event id',
    columns: [{ key: 'count', label: 'Events', kind: 'count' }, { key: 'sum', label: 'Sum', kind: 'decimal' },
      { key: 'mean', label: 'Mean', kind: 'decimal' }, { key: 'min', label: 'Min', kind: 'decimal' }, { key: 'max', label: 'Max', kind: 'decimal' }],
    roots: rows(answers), loadChildren: children, csv: 'design', testid: 'tree-design',
    open: (ctx.st.extra.open || '').split(',').filter(Boolean),
    onOpen: (keys) => state.replace({ extra: { ...state.read().extra, open: keys.join(',') } }),
  })));
  main.append(grid(panel));
}
