// grouped.js: the shape shared by the resources, errors and ads pages: one metric whose
// groups are chosen with a "by" (and sometimes a "measure") select, shown as a chart of the
// largest groups per day and a table of every group with CSV.

import { Panel, grid } from '../ui/panel.js';
import { metricChart } from '../ui/chart.js';
import { groupTable } from '../ui/groups.js';
import { choice, pick } from '../ui/choice.js';
import { loadOne } from '../load.js';

/**
 * spec: { id (catalog), by: [[value, text]], measures: [[value, text]] or null, keyLabel(by),
 * kind(measure), testid, extraPanels(ctx) -> [Panel], keyBadge(key) -> node (before each key) }
 */
export function renderGrouped(main, ctx, spec) {
  const extra = ctx.st.extra;
  const by = pick(extra, 'by', spec.by);
  const measure = spec.measures ? pick(extra, 'measure', spec.measures) : undefined;
  const set = (patch) => ctx.go({ extra: { ...extra, ...patch } });
  const actions = [choice('By', by, spec.by, (v) => set({ by: v }), `${spec.testid}-by`),
    spec.measures ? choice('Measure', measure, spec.measures, (v) => set({ measure: v }), `${spec.testid}-measure`) : null];
  const params = { by, measure };
  const kind = spec.kind ? spec.kind(measure) : 'count';
  const chart = new Panel({ title: `${spec.title} per day`, wide: true, testid: `panel-${spec.testid}-chart`, actions });
  loadOne(ctx, chart, spec.id, params, (data) => chart.ready(metricChart(data, { kind, label: spec.title, groups: true }, ctx.dispose)));
  const tablePanel = new Panel({ title: `${spec.title} by ${by}`, wide: true, testid: `panel-${spec.testid}-table` });
  loadOne(ctx, tablePanel, spec.id, params, (data) => tablePanel.ready(groupTable(data, {
    keyLabel: spec.keyLabel(by), kind, csv: `${spec.testid}-by-${by}`, testid: `table-${spec.testid}`, keyBadge: spec.keyBadge,
  })));
  main.append(grid(chart, tablePanel, ...(spec.extraPanels ? spec.extraPanels(ctx) : [])));
}
