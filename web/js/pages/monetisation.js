// monetisation.js: revenue (business events, amounts in cents, per currency), paying users,
// conversion, ARPDAU and ARPPU over the range (in the server's reporting currency when it
// converts; against the previous period when the comparison is on); revenue per day by
// currency; a table of revenue by currency, each in its own currency, and what was left out.

import { money } from '../format.js';
import { Panel, grid } from '../ui/panel.js';
import { metricChart } from '../ui/chart.js';
import { table } from '../ui/table.js';
import { groupRows } from '../ui/groups.js';
import { loadOne } from '../load.js';
import { totalPanel, revenuePanel, leftOut } from './tiles.js';

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
  const conversion = new Panel({ title: 'Conversion per day', wide: true, testid: 'panel-conversion-chart' });
  const grouped = Boolean(ctx.view.group);
  loadOne(ctx, conversion, 'conversion', {}, (data, previous) => conversion.ready(metricChart(data, { kind: 'share', label: 'paying / active', groups: grouped, testid: 'chart-conversion' }, ctx.dispose, previous)), { compare: !grouped });
  main.append(grid(revenuePanel(ctx),
    totalPanel(ctx, 'paying_users', 'Paying users', 'count', 'paying-users'),
    totalPanel(ctx, 'conversion', 'Conversion', 'share', 'conversion'),
    totalPanel(ctx, 'arpdau', 'ARPDAU', 'money', 'arpdau'),
    totalPanel(ctx, 'arppu', 'ARPPU', 'money', 'arppu'),
    perDay, byCurrency, conversion));
}
