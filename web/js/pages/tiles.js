// tiles.js: the one-figure panels several pages share: the total of a metric over the range
// (with the previous period's beside it when the comparison is on), and revenue: per currency
// (amounts in each currency, never added up across currencies), with the converted total when
// the server converts (its "currency"), and the currencies it left out (no rate).

import { h } from '../dom.js';
import { money, share, byKind } from '../format.js';
import { Panel } from '../ui/panel.js';
import { stat, stats } from '../ui/stat.js';
import { groupRows } from '../ui/groups.js';
import { loadOne } from '../load.js';

/** The line under a tile comparing value with the previous period's (data-previous: raw). */
export function comparison(value, before, kind, currency) {
  if (before === null || before === undefined) return null;
  const change = before ? (value - before) / Math.abs(before) : null;
  const sign = change > 0 ? '+' : '';
  return h('div', { class: `stat-compare${change > 0 ? ' up' : change < 0 ? ' down' : ''}`, 'data-testid': 'compare', 'data-previous': String(before) },
    `previous period: ${byKind(kind, before, currency)}`, change === null ? '' : ` (${sign}${share(change)})`);
}

/** A panel holding one figure: the total of metric id (compared when the view compares). */
export function totalPanel(ctx, id, title, kind, testid) {
  const panel = new Panel({ title, tile: true, testid: `panel-${testid}` });
  loadOne(ctx, panel, id, {}, (data, previous) => {
    const tile = stat({ value: data.total, kind, testid, currency: data.currency || undefined, note: 'over the range' });
    if (previous) tile.append(comparison(data.total, previous.total, kind, data.currency || undefined));
    panel.ready(stats(tile));
  }, { compare: true });
  return panel;
}

/** What the server said it could not convert ("left_out": currencies without a rate). */
export function leftOut(data) {
  const out = (data && data.left_out) || [];
  return out.length ? h('p', { class: 'stat-note', 'data-testid': 'left-out', 'data-value': out.join(',') },
    `Left out (no exchange rate): ${out.join(', ')}`) : null;
}

/** The revenue tile: the converted total when the server names its currency; else the one
 * currency's total, or no total at all (currencies are never added up); then each currency's
 * amount and what was left out. */
export function revenueStat(data, previous) {
  const groups = groupRows(data);
  const converted = typeof data.currency === 'string' && data.currency;
  const currency = converted || (groups.length === 1 ? groups[0].key : null);
  // one currency and no conversion: that currency's own total (the group's)
  const value = converted ? data.total : groups.length === 1 ? groups[0].total : null;
  const tile = currency
    ? stat({ value, kind: 'money', currency, testid: 'revenue', note: converted ? `over the range, converted to ${converted}` : 'over the range' })
    : stat({ value: null, kind: 'money', testid: 'revenue', note: groups.length ? 'several currencies, not added up:' : 'over the range' });
  if (converted && previous && previous.currency === converted) tile.append(comparison(data.total, previous.total, 'money', converted));
  if (groups.length > 1 || (converted && groups.length && groups[0].key !== converted)) {
    tile.append(h('ul', { class: 'currencies', 'data-testid': 'revenue-currencies' }, groups.map((g) => h('li', { 'data-key': g.key, 'data-value': String(g.total) }, money(g.total, g.key)))));
  }
  const note = leftOut(data);
  if (note) tile.append(note);
  return tile;
}

/** The revenue panel (a tile). */
export function revenuePanel(ctx) {
  const panel = new Panel({ title: 'Revenue', tile: true, testid: 'panel-revenue' });
  loadOne(ctx, panel, 'revenue', {}, (data, previous) => panel.ready(stats(revenueStat(data, previous))), { compare: true });
  return panel;
}
