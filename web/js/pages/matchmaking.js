// matchmaking.js: the multiplayer sessions' metrics (read API, family 'matchmaking'): matches
// created, the allocation failure rate, the time to allocation (median and 95th percentile)
// and players per match over the range (against the previous period when the comparison is
// on), each per bucket in a chart, and every figure by region, pool or queue in one table.

import { Panel, grid } from '../ui/panel.js';
import { metricChart } from '../ui/chart.js';
import { table } from '../ui/table.js';
import { choice, pick } from '../ui/choice.js';
import { loadInto, loadOne } from '../load.js';
import { totalPanel } from './tiles.js';

const FIGURES = [
  ['matches_created', 'Matches created', 'count', 'matches'],
  ['allocation_failure_rate', 'Allocation failures', 'share', 'failed / requested'],
  ['time_to_allocation_p50', 'Time to allocation (median)', 'seconds', 'median'],
  ['time_to_allocation_p95', 'Time to allocation (p95)', 'seconds', 'p95'],
  ['players_per_match', 'Players per match', 'decimal', 'players'],
];
const BY = [['region', 'Region'], ['pool', 'Pool'], ['queue', 'Queue']];

function chartPanel(ctx, [id, title, kind, label]) {
  const grouped = Boolean(ctx.view.group);
  const panel = new Panel({ title: `${title} per ${ctx.view.interval}`, testid: `panel-${id}-chart` });
  loadOne(ctx, panel, id, {}, (data, previous) => panel.ready(metricChart(data, { kind, label, groups: grouped, testid: `chart-${id}` }, ctx.dispose, previous)), { compare: !grouped });
  return panel;
}

function byPanel(ctx) {
  const extra = ctx.st.extra;
  const by = pick(extra, 'by', BY);
  const panel = new Panel({ title: `Matchmaking by ${by}`, wide: true, testid: 'panel-matchmaking-table',
    actions: [choice('By', by, BY, (v) => ctx.go({ extra: { ...extra, by: v } }), 'matchmaking-by')] });
  loadInto(ctx, panel, FIGURES.map(([id]) => [id, { group_by: by }]), (answers) => {
    const rows = new Map();
    answers.forEach((data, i) => {
      for (const g of data.groups || []) {
        const r = rows.get(g.key) || { key: g.key };
        r[FIGURES[i][0]] = g.total;
        rows.set(g.key, r);
      }
    });
    panel.ready(table({
      columns: [{ key: 'key', label: BY.find(([v]) => v === by)[1], kind: 'text' },
        ...FIGURES.map(([id, title, kind]) => ({ key: id, label: title, kind }))],
      rows: [...rows.values()].sort((a, b) => (b.matches_created || 0) - (a.matches_created || 0) || a.key.localeCompare(b.key)),
      csv: `matchmaking-by-${by}`, testid: 'table-matchmaking',
    }));
  });
  return panel;
}

export function render(main, ctx) {
  main.append(grid(
    ...FIGURES.slice(0, 4).map(([id, title, kind]) => totalPanel(ctx, id, title, kind, id.replace(/_/g, '-'))),
    ...FIGURES.map((f) => chartPanel(ctx, f)),
    totalPanel(ctx, 'players_per_match', 'Players per match', 'decimal', 'players-per-match'),
    byPanel(ctx)));
}
