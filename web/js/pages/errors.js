// errors.js: error events per severity per day (each severity in its own colour, grey debug
// to red critical), the most frequent messages ("severity|first line of the message", the top
// 10), and, with a group-by chosen (build: which release crashes), errors per severity for each
// of the dimension's most common values (the values endpoint, one filtered question each).

import { h } from '../dom.js';
import * as api from '../api.js';
import { Panel } from '../ui/panel.js';
import { table } from '../ui/table.js';
import { SEVERITY } from '../ui/chart.js';
import { loadInto, showFailure } from '../load.js';
import { filterText } from '../catalog.js';
import { renderGrouped } from './grouped.js';

const MOST_VALUES = 10;
const LEVELS = ['critical', 'error', 'warning', 'info', 'debug'];

function byGroupPanel(ctx) {
  const group = ctx.view.group;
  const panel = new Panel({ title: `Errors by ${group}`, wide: true, testid: 'panel-errors-by-group' });
  const values = `/api/v1/games/${ctx.game.id}/dimensions/${group}/values`;
  panel.source(`${values}${api.queryString({ from: ctx.view.from, to: ctx.view.to })}`);
  api.dimensionValues(ctx.game.id, group, { from: ctx.view.from, to: ctx.view.to }, ctx.signal).then((list) => {
    const top = list.slice(0, MOST_VALUES).map((v) => v.value);
    if (!top.length) {
      panel.unavailable(`No ${group} values to split by: this server does not list them (GET ${values}), or none occur in this range.`);
      return;
    }
    // each value as the one filter of its question (the view's own filters are left out, and
    // the caption says so)
    const dropped = filterText('errors', ctx.view);
    const clear = { platform: undefined, ...(ctx.view.dim ? { [ctx.view.dim]: undefined } : {}) };
    loadInto(ctx, panel, top.map((value) => ['errors', { ...clear, by: 'severity', [group]: value }]), (answers) => {
      const rows = answers.map((data, i) => {
        const r = { key: top[i], total: data.total };
        for (const g of data.groups || []) r[g.key] = g.total;
        return r;
      });
      const seen = LEVELS.filter((l) => rows.some((r) => r[l] !== undefined));
      for (const r of rows) for (const l of seen) if (r[l] === undefined) r[l] = 0; // none of that severity
      panel.ready(table({
        columns: [{ key: 'key', label: group, kind: 'text' }, { key: 'total', label: 'Errors', kind: 'count' },
          ...seen.map((l) => ({ key: l, label: l, kind: 'count' }))],
        rows: rows.sort((a, b) => b.total - a.total || a.key.localeCompare(b.key)), csv: `errors-by-${group}`, testid: 'table-errors-by-group',
        caption: `The ${top.length} ${group} values with the most users in the range.${dropped ? ` Errors take one filter at a time: ${dropped} does not apply here.` : ''}`,
      }));
    });
  }, (err) => showFailure(ctx, panel, err));
  return panel;
}

export function render(main, ctx) {
  renderGrouped(main, ctx, {
    id: 'errors', title: 'Errors', testid: 'errors',
    by: [['severity', 'Severity'], ['message', 'Top messages']],
    keyLabel: (by) => (by === 'message' ? 'Severity | message' : 'Severity'),
    keyBadge: (key) => {
      const level = key.split('|')[0];
      return SEVERITY[level] ? h('span', { class: 'severity-dot', style: { backgroundColor: SEVERITY[level] }, 'aria-hidden': 'true' }) : null;
    },
    extraPanels: (c) => (c.view.group ? [byGroupPanel(c)] : []),
  });
}
