// live_events.js: the newest raw analytics events of the game (GET .../events/latest?limit=50,
// newest first), asked again every few seconds without reloading the page: when each arrived,
// its category, user, platform and build, what it says in a line, and the whole event on a
// click. Rows new since the previous poll are marked.

import { h, replace } from '../dom.js';
import * as api from '../api.js';
import { clock } from '../format.js';
import { Panel, grid } from '../ui/panel.js';
import { table } from '../ui/table.js';
import { showFailure } from '../load.js';

export const FEED_EVERY_MS = 3000;
export const FEED_LIMIT = 50;

/** One line about an event: its id, amount or message, whichever its category has. */
export function summary(e) {
  const parts = [];
  if (e.event_id) parts.push(e.event_id);
  if (e.category === 'business') parts.push(`${e.amount} ${e.currency} (cents)`);
  if (e.category === 'resource' && e.amount !== undefined) parts.push(`amount ${e.amount}`);
  if (e.category === 'design' && e.value !== undefined) parts.push(`value ${e.value}`);
  if (e.category === 'error') parts.push(`${e.severity}: ${String(e.message || '').split('\n')[0]}`);
  if (e.category === 'session_end' && e.length !== undefined) parts.push(`${e.length} s`);
  if (e.category === 'ads') parts.push([e.ad_action, e.ad_type, e.ad_placement].filter(Boolean).join(' '));
  return parts.join(' · ');
}

export function render(main, ctx) {
  const panel = new Panel({ title: `Latest ${FEED_LIMIT} events`, wide: true, testid: 'panel-live-events' });
  const detail = new Panel({ title: 'Event', wide: true, testid: 'panel-event-detail' });
  detail.empty('Click an event in the list to see it whole, as the game sent it.');
  panel.source(`/api/v1/games/${ctx.game.id}/events/latest?limit=${FEED_LIMIT}`);
  let known = null; // the keys of the rows shown, after the first answer
  const key = (e) => `${e.received_ms}|${e.event.event_uuid || JSON.stringify(e.event)}`;
  const tick = async () => {
    try {
      const res = await api.latestEvents(ctx.game.id, FEED_LIMIT, ctx.signal);
      if (!res.events.length) {
        panel.empty('No analytics events yet: send some to POST /v2/{game_key}/events (GameAnalytics v2) and they appear here within seconds.');
        known = new Set();
        return;
      }
      const rows = res.events.map((e) => ({
        key: key(e), received: e.received_ms, category: e.category, user: e.event.user_id || '',
        platform: e.event.platform || '', build: e.event.build || '', what: summary(e.event), fresh: known !== null && !known.has(key(e)), event: e.event,
      }));
      known = new Set(rows.map((r) => r.key));
      const view = table({
        columns: [
          { key: 'received', label: 'Received (UTC)', kind: 'text', format: (v) => clock(new Date(v).toISOString(), { withDate: true }) },
          { key: 'category', label: 'Category', kind: 'text' }, { key: 'what', label: 'Event', kind: 'text' },
          { key: 'user', label: 'User', kind: 'text' }, { key: 'platform', label: 'Platform', kind: 'text' },
          { key: 'build', label: 'Build', kind: 'text' },
        ],
        rows, csv: 'latest-events', testid: 'table-live-events',
        caption: `Newest first; asked again every ${FEED_EVERY_MS / 1000} s.`,
        onRow: (r) => detail.ready(h('pre', { 'data-testid': 'event-json' }, JSON.stringify(r.event, null, 2))),
      });
      view.querySelectorAll('tbody tr').forEach((tr, i) => { if (rows[i].fresh) tr.classList.add('fresh'); });
      if (panel.el.dataset.state === 'ready') replace(panel.body, view); else panel.ready(view);
      panel.el.dataset.polledAt = String(Date.now());
    } catch (err) {
      if (err.name === 'AbortError') return;
      if (panel.el.dataset.state !== 'ready') showFailure(ctx, panel, err, tick);
    }
  };
  tick();
  const timer = setInterval(tick, FEED_EVERY_MS);
  ctx.dispose(() => clearInterval(timer));
  main.append(grid(panel, detail));
}
