// monetisation.js: revenue (business events, amounts in cents, per currency), paying users,
// conversion, ARPDAU and ARPPU over the range (in the server's reporting currency when it
// converts; against the previous period when the comparison is on); revenue per day by
// currency; a table of revenue by currency, each in its own currency, and what was left out;
// LTV by install cohort (revenue per user of the cohort up to day N since install, converted;
// days still to come blank), every cohort together above the table.

import { money } from '../format.js';
import { Panel, grid } from '../ui/panel.js';
import { metricChart } from '../ui/chart.js';
import { table } from '../ui/table.js';
import { groupRows } from '../ui/groups.js';
import { loadOne } from '../load.js';
import { totalPanel, revenuePanel, leftOut } from './tiles.js';
import { h } from '../dom.js';

const LTV_DAYS = [0, 1, 3, 7, 14, 30];

/** LTV by install cohort: a row per cohort (key, users, LTV at each of LTV_DAYS). */
function ltvTable(data) {
  const currency = data.currency || undefined;
  const cell = (v) => (v === null || v === undefined ? '' : money(v, currency));
  const at = (points) => Object.fromEntries(LTV_DAYS.map((d) => [`d${d}`, points[d] ? points[d].v : null]));
  const columns = [{ key: 'key', label: 'Cohort', kind: 'text' }, { key: 'total', label: 'Users', kind: 'count' },
    ...LTV_DAYS.map((d) => ({ key: `d${d}`, label: `D${d}`, kind: 'money', format: cell }))];
  const all = at(data.points);
  const whole = h('p', { class: 'stat-note', 'data-testid': 'ltv-all' },
    `All cohorts (${data.total} users): ${LTV_DAYS.map((d) => `D${d} ${cell(all[`d${d}`]) || '–'}`).join(', ')}`);
  return [whole, table({ columns, rows: (data.groups || []).map((g) => ({ key: g.key, total: g.total, ...at(g.points) })),
    csv: 'ltv', testid: 'table-ltv', caption: `Revenue per user of each install cohort (UTC first day) up to N days after it${currency ? `, in ${currency}` : ''}; D0 = the first day.` }), leftOut(data)];
}

export function render(main, ctx) {
  const perDay = new Panel({ title: 'Revenue per day by currency', wide: true, testid: 'panel-revenue-chart' });
  const byCurrency = new Panel({ title: 'Revenue by currency', testid: 'panel-revenue-table' });
  loadOne(ctx, perDay, 'revenue', {}, (data) => perDay.ready(metricChart(data, { kind: 'money', label: 'revenue', groups: true }, ctx.dispose)));
  loadOne(ctx, byCurrency, 'revenue', {}, (data) => byCurrency.ready(table({
    columns: [{ key: 'key', label: 'Currency', kind: 'text' }, { key: 'total', label: 'Revenue (cents)', kind: 'count' },
      { key: 'amount', label: 'Revenue', kind: 'text' }],
    rows: groupRows(data).map((g) => ({ ...g, amount: money(g.total, g.key) })), csv: 'revenue-by-currency', testid: 'table-revenue',
    caption: 'Each currency in its own amounts: currencies are never added up.',
  }), leftOut(data)));
  const ltv = new Panel({ title: 'LTV by install cohort', wide: true, testid: 'panel-ltv' });
  loadOne(ctx, ltv, 'ltv', {}, (data) => ltv.ready(...ltvTable(data)));
  const conversion = new Panel({ title: 'Conversion per day', wide: true, testid: 'panel-conversion-chart' });
  const grouped = Boolean(ctx.view.group);
  loadOne(ctx, conversion, 'conversion', {}, (data, previous) => conversion.ready(metricChart(data, { kind: 'share', label: 'paying / active', groups: grouped, testid: 'chart-conversion' }, ctx.dispose, previous)), { compare: !grouped });
  main.append(grid(revenuePanel(ctx),
    totalPanel(ctx, 'paying_users', 'Paying users', 'count', 'paying-users'),
    totalPanel(ctx, 'conversion', 'Conversion', 'share', 'conversion'),
    totalPanel(ctx, 'arpdau', 'ARPDAU', 'money', 'arpdau'),
    totalPanel(ctx, 'arppu', 'ARPPU', 'money', 'arppu'),
    perDay, byCurrency, conversion, ltv));
}
