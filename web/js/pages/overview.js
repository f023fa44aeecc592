// overview.js: the first page: live concurrent players and UGC (GET .../live every few
// seconds, no reload), then active users, new users, sessions and revenue over the range, and
// the charts of concurrent players and daily active users.

import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { time } from '../format.js';
import { Panel, grid } from '../ui/panel.js';
import { stat, stats } from '../ui/stat.js';
import { metricChart } from '../ui/chart.js';
import { loadOne } from '../load.js';
import { totalPanel, revenuePanel } from './tiles.js';

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

export function render(main, ctx) {
  const ccu = new Panel({ title: 'Concurrent players', testid: 'panel-ccu-chart' });
  loadOne(ctx, ccu, 'ccu', {}, (data) => ccu.ready(metricChart(data, { kind: 'count', label: 'players' }, ctx.dispose)));
  const dau = new Panel({ title: 'Daily active users', wide: true, testid: 'panel-dau-chart' });
  loadOne(ctx, dau, 'dau', {}, (data) => dau.ready(metricChart(data, { kind: 'count', label: 'users' }, ctx.dispose)));
  main.append(grid(
    livePanel(ctx),
    totalPanel(ctx, 'dau', 'Active users', 'count', 'dau'),
    totalPanel(ctx, 'new_users', 'New users', 'count', 'new-users'),
    totalPanel(ctx, 'sessions', 'Sessions', 'count', 'sessions'),
    revenuePanel(ctx), ccu, dau));
}
