// playtime.js: metrics sessions: players, play sessions, average playtime and mods per
// session over the range; concurrent players and concurrent UGC over time; how long sessions
// last (histogram); the most played mods (table with CSV). Charts compare with the previous
// period when asked, or split by platform or portal (the group-by).

import { Panel, grid } from '../ui/panel.js';
import { metricChart } from '../ui/chart.js';
import { bars } from '../ui/bars.js';
import { table } from '../ui/table.js';
import { groupRows } from '../ui/groups.js';
import { duration, share } from '../format.js';
import { loadOne } from '../load.js';
import { totalPanel } from './tiles.js';

// the histogram's buckets in their natural order (docs/http-api.md)
const LENGTHS = ['0-5m', '5-30m', '30-60m', '1-2h', '2h+'];

function chartPanel(ctx, id, title, label, testid) {
  const panel = new Panel({ title, testid });
  const grouped = Boolean(ctx.view.group);
  loadOne(ctx, panel, id, {}, (data, previous) => panel.ready(metricChart(data, { kind: 'count', label, groups: grouped, testid: `chart-${id}` }, ctx.dispose, previous)), { compare: !grouped });
  return panel;
}

export function render(main, ctx) {
  const histogram = new Panel({ title: 'Session lengths (sessions ended)', testid: 'panel-session-lengths' });
  loadOne(ctx, histogram, 'session_length_histogram', {}, (data) => {
    const order = (k) => (LENGTHS.indexOf(k) < 0 ? LENGTHS.length : LENGTHS.indexOf(k));
    const groups = [...data.groups].sort((a, b) => order(a.key) - order(b.key));
    histogram.ready(bars(groups.map((g) => ({ label: g.key, value: g.total })), { testid: 'session-lengths' }));
  });
  const mods = new Panel({ title: 'Top mods by playtime', testid: 'panel-top-mods' });
  loadOne(ctx, mods, 'top_mods', {}, (data) => mods.ready(table({
    columns: [
      { key: 'key', label: 'Mod id', kind: 'text' },
      { key: 'total', label: 'Playtime (s)', kind: 'count' },
      { key: 'playtime', label: 'Playtime', kind: 'text' },
      { key: 'share', label: 'Share', kind: 'share', format: (v) => share(v) },
    ],
    rows: groupRows(data).map((g) => ({ ...g, playtime: duration(g.total) })), csv: 'top-mods', testid: 'table-top_mods',
  })));
  main.append(grid(
    totalPanel(ctx, 'total_players', 'Players', 'count', 'players'),
    totalPanel(ctx, 'play_sessions', 'Play sessions', 'count', 'play-sessions'),
    totalPanel(ctx, 'avg_playtime', 'Average playtime', 'seconds', 'avg-playtime'),
    totalPanel(ctx, 'avg_ugc_per_session', 'Mods per session', 'decimal', 'mods-per-session'),
    chartPanel(ctx, 'ccu', 'Concurrent players', 'players', 'panel-ccu-chart'),
    chartPanel(ctx, 'concurrent_ugc', 'Concurrent UGC (mods in use)', 'mods', 'panel-ugc-chart'),
    histogram, mods));
}
