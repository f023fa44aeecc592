// tiles.js: the one-figure panels several pages share: the total of a metric over the range,
// and revenue (one currency's, or every currency's when there are several).

import { h } from '../dom.js';
import { money } from '../format.js';
import { Panel } from '../ui/panel.js';
import { stat, stats } from '../ui/stat.js';
import { groupRows } from '../ui/groups.js';
import { loadOne } from '../load.js';

/** A panel holding one figure: the total of metric id. */
export function totalPanel(ctx, id, title, kind, testid) {
  const panel = new Panel({ title, tile: true, testid: `panel-${testid}` });
  loadOne(ctx, panel, id, {}, (data) => panel.ready(stats(stat({ value: data.total, kind, testid, note: 'over the range' }))));
  return panel;
}

/** The revenue tile: the total in its currency, or every currency's when there are several. */
export function revenueStat(data) {
  const groups = data.groups || [];
  if (groups.length === 1) return stat({ value: data.total, kind: 'money', currency: groups[0].key, testid: 'revenue', note: 'over the range' });
  const tile = stat({ value: data.total, kind: 'money', testid: 'revenue', note: groups.length ? 'all currencies added up' : 'over the range' });
  if (groups.length) tile.append(h('ul', { class: 'currencies' }, groupRows(data).map((g) => h('li', {}, money(g.total, g.key)))));
  return tile;
}

/** The revenue panel (a tile). */
export function revenuePanel(ctx) {
  const panel = new Panel({ title: 'Revenue', tile: true, testid: 'panel-revenue' });
  loadOne(ctx, panel, 'revenue', {}, (data) => panel.ready(stats(revenueStat(data))));
  return panel;
}
