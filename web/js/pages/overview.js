// overview.js: the first page: live concurrent players and UGC (GET .../live every few
// seconds, no reload), then active users, new users, sessions and revenue over the range, the
// charts of concurrent players and daily active users (each against the previous period when
// the comparison is on; split by the chosen group), and active users and revenue by country.

import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { time } from '../format.js';
import { Panel, grid } from '../ui/panel.js';
import { stat, stats } from '../ui/stat.js';
import { metricChart } from '../ui/chart.js';
import { table } from '../ui/table.js';
import { loadInto, loadOne } from '../load.js';
import { money } from '../format.js';
import { totalPanel, revenuePanel, leftOut } from './tiles.js';

export const LIVE_EVERY_MS = 5000;

function livePanel(ctx) {
  const panel = new Panel({ title: 'Live now', testid: 'panel-live' });
  panel.source(`/api/v1/games/${ctx.game.id}/live`);
  let shown = false;
  const tick = async () => {
    try {
      const live = await api.live(ctx.game.id, ctx.signal);
      const body = h('div', {},
        stats(stat({ label: 'Concurrent players', value: live.ccu, testid: 'live-ccu' }),
          stat({ label: 'Concurrent UGC', value: live.concurrent_ugc, testid: 'live-ugc' })),
        h('p', { class: 'stat-note', 'data-testid': 'live-at', 'data-value': String(live.at) }, `updated ${time(live.at)}:${String(live.at % 60).padStart(2, '0')} UTC, every ${LIVE_EVERY_MS / 1000} s`));
      if (shown) replace(panel.body, body); else panel.ready(body);
      shown = true;
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (err.status === 401) ctx.signOut('This server no longer accepts your API token: sign in again.');
      else if (!shown) panel.error(err.message, tick);
    }
  };
  tick();
  const timer = setInterval(tick, LIVE_EVERY_MS);
  ctx.dispose(() => clearInterval(timer));
  return panel;
}

/** Active users and revenue per country (group_by=country, beside the view's filters): a
 * server that knows no country (no --geoip) answers no group, which the panel says. */
function countryPanel(ctx) {
  const panel = new Panel({ title: 'Countries', wide: true, testid: 'panel-countries' });
  loadInto(ctx, panel, [['dau', { group_by: 'country' }], ['revenue', { group_by: 'country' }]], ([dau, revenue]) => {
    const rows = new Map();
    for (const g of dau.groups || []) rows.set(g.key, { key: g.key, dau: g.total, revenue: null });
    for (const g of revenue.groups || []) {
      const r = rows.get(g.key) || { key: g.key, dau: 0, revenue: null };
      r.revenue = g.total;
      rows.set(g.key, r);
    }
    if (!rows.size) {
      panel.ready(h('p', { class: 'state-note', 'data-testid': 'no-countries' }, 'No country is known for these players: `playstat serve --geoip FILE` looks client addresses up in a country database.'));
      return;
    }
    const currency = typeof revenue.currency === 'string' ? revenue.currency : null;
    const list = [...rows.values()].sort((a, b) => b.dau - a.dau || a.key.localeCompare(b.key));
    panel.ready(table({
      columns: [{ key: 'key', label: 'Country', kind: 'text' }, { key: 'dau', label: 'Active users', kind: 'count' },
        { key: 'revenue', label: currency ? `Revenue (${currency})` : 'Revenue (cents, as sent)', kind: currency ? 'money' : 'count', format: (v) => (v === null ? '' : currency ? money(v, currency) : String(v)) }],
      rows: list, csv: 'countries', testid: 'table-countries',
      caption: currency ? 'Revenue converted to the reporting currency.' : 'Revenue in each event\'s own cents (the server converts none).',
    }), leftOut(revenue));
  });
  return panel;
}

export function render(main, ctx) {
  const grouped = Boolean(ctx.view.group);
  const ccu = new Panel({ title: 'Concurrent players', testid: 'panel-ccu-chart' });
  loadOne(ctx, ccu, 'ccu', {}, (data, previous) => ccu.ready(metricChart(data, { kind: 'count', label: 'players', groups: grouped, testid: 'chart-ccu' }, ctx.dispose, previous)), { compare: !grouped });
  const dau = new Panel({ title: 'Daily active users', wide: true, testid: 'panel-dau-chart' });
  loadOne(ctx, dau, 'dau', {}, (data, previous) => dau.ready(metricChart(data, { kind: 'count', label: 'users', groups: grouped, testid: 'chart-dau' }, ctx.dispose, previous)), { compare: !grouped });
  main.append(grid(
    livePanel(ctx),
    totalPanel(ctx, 'dau', 'Active users', 'count', 'dau'),
    totalPanel(ctx, 'new_users', 'New users', 'count', 'new-users'),
    totalPanel(ctx, 'sessions', 'Sessions', 'count', 'sessions'),
    revenuePanel(ctx), ccu, dau, countryPanel(ctx)));
}
