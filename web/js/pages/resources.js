// resources.js: the virtual economy per currency: for each virtual currency, what flowed in
// (Source) and out (Sink) per day on a scale of its own (Gold's thousands never flatten Gems'
// tens), and a table of its sources and sinks by currency, item type or item id, each with its
// share of that currency's sources (or of its sinks): never a share of the net, which can be
// near zero or negative.

import { h } from '../dom.js';
import { Panel, grid } from '../ui/panel.js';
import { timeChart } from '../ui/chart.js';
import { table } from '../ui/table.js';
import { share } from '../format.js';
import { choice, pick } from '../ui/choice.js';
import { loadInto } from '../load.js';

const BY = [['currency', 'Flow:Currency'], ['item_type', 'Flow:Currency:Item type'], ['item_id', 'Event id (item)']];
const MEASURES = [['sum', 'Amount'], ['count', 'Events']];

/** { flow, currency, rest } of a resources group key ("Source:Gold:Reward:Quest"). */
export function parseKey(key) {
  const [flow, currency = '', ...rest] = key.split(':');
  return { flow, currency, rest: rest.join(':') };
}

/** Rows of one currency's groups with the share of their flow's total in that currency. */
export function currencyRows(groups, currency) {
  const mine = groups.filter((g) => parseKey(g.key).currency === currency);
  const flowTotal = new Map();
  for (const g of mine) {
    const { flow } = parseKey(g.key);
    flowTotal.set(flow, (flowTotal.get(flow) || 0) + g.total);
  }
  return mine.map((g) => {
    const { flow } = parseKey(g.key);
    const total = flowTotal.get(flow);
    return { key: g.key, flow, total: g.total, share: total ? g.total / total : null };
  }).sort((a, b) => a.flow.localeCompare(b.flow) || Math.abs(b.total) - Math.abs(a.total) || a.key.localeCompare(b.key));
}

function currencyPanel(ctx, currency, byCurrency, detail, by, measure) {
  const kind = 'count';
  const slug = currency.replace(/[^A-Za-z0-9_-]/g, '_');
  const panel = new Panel({ title: currency, testid: `panel-resources-${slug}` });
  panel.source(detail.url === byCurrency.url ? [byCurrency.url] : [byCurrency.url, detail.url]);
  const flows = byCurrency.data.groups.filter((g) => parseKey(g.key).currency === currency)
    .sort((a, b) => a.key.localeCompare(b.key));
  const xs = byCurrency.data.points.map((p) => p.t + 43200);
  const chart = timeChart({
    xs, series: flows.map((g) => ({ label: parseKey(g.key).flow, values: g.points.map((p) => p.v) })),
    kind, height: 180, testid: `chart-resources-${slug}`, xShift: 43200, xRange: [byCurrency.data.from, byCurrency.data.to], dayTicks: true,
  }, ctx.dispose);
  const rows = currencyRows(detail.data.groups || [], currency);
  panel.ready(chart, table({
    columns: [{ key: 'key', label: BY.find(([v]) => v === by)[1], kind: 'text' }, { key: 'total', label: measure === 'count' ? 'Events' : 'Amount', kind: 'count' },
      { key: 'share', label: 'Share of its flow', kind: 'share', format: (v) => share(v) }],
    rows, csv: `resources-${slug}-by-${by}`, testid: `table-resources-${slug}`,
    caption: 'Sources as a share of this currency\'s sources, sinks of its sinks.',
  }));
  return panel;
}

export function render(main, ctx) {
  const extra = ctx.st.extra;
  const by = pick(extra, 'by', BY);
  const measure = pick(extra, 'measure', MEASURES);
  const set = (patch) => ctx.go({ extra: { ...extra, ...patch } });
  const controls = h('div', { class: 'page-controls' },
    choice('By', by, BY, (v) => set({ by: v }), 'resources-by'),
    choice('Measure', measure, MEASURES, (v) => set({ measure: v }), 'resources-measure'));
  const overview = new Panel({ title: 'Currencies', wide: true, testid: 'panel-resources' });
  const area = h('div');
  main.append(controls, grid(overview), area);
  const specs = [['resources', { by: 'currency', measure }], ...(by === 'currency' ? [] : [['resources', { by, measure }]])];
  loadInto(ctx, overview, specs, (answers) => {
    const urls = overview.el.dataset.src.split(' ');
    const byCurrency = { data: answers[0], url: urls[0] };
    const detail = answers[1] ? { data: answers[1], url: urls[1] } : byCurrency;
    const currencies = [...new Set((answers[0].groups || []).map((g) => parseKey(g.key).currency))].sort();
    overview.ready(h('p', { 'data-testid': 'resources-currencies', 'data-value': currencies.join(',') },
      `${currencies.length} virtual ${currencies.length === 1 ? 'currency' : 'currencies'}: ${currencies.join(', ')}. Each has its own scale below.`));
    area.replaceChildren(grid(...currencies.map((c) => currencyPanel(ctx, c, byCurrency, detail, by, measure))));
  });
}
