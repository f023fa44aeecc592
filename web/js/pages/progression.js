// progression.js: progression events per progression id one level below the chosen one
// (starts, fails, completes, completion rate, mean attempts; click a row to drill down), and
// a funnel over an ordered list of ids (by default the ids of the level shown, or at the top
// the ids below the first one).

import { h } from '../dom.js';
import { Panel, grid } from '../ui/panel.js';
import { table } from '../ui/table.js';
import { bars } from '../ui/bars.js';
import { breadcrumb, natural } from '../ui/drill.js';
import { share } from '../format.js';
import { loadInto } from '../load.js';
import * as api from '../api.js';
import { METRICS, paramsFor } from '../catalog.js';

const MEASURES = ['starts', 'fails', 'completes', 'attempts'];

/** Rows per progression id from the four answers (null answers count as nothing). */
function levelRows(answers) {
  const rows = new Map();
  answers.forEach((data, i) => {
    for (const g of (data && data.groups) || []) {
      const r = rows.get(g.key) || { key: g.key, starts: 0, fails: 0, completes: 0, attempts: null };
      r[MEASURES[i]] = g.total;
      rows.set(g.key, r);
    }
  });
  return [...rows.values()].sort((a, b) => natural(a.key, b.key))
    .map((r) => ({ ...r, rate: r.starts ? r.completes / r.starts : null }));
}

function funnelPanel(ctx, steps, emptyHint) {
  const extra = ctx.st.extra;
  const measure = extra.fmeasure || 'completes';
  const input = h('input', { name: 'steps', value: steps.join(','), size: 40, 'aria-label': 'Funnel steps', 'data-testid': 'funnel-steps' });
  const choose = h('select', { name: 'fmeasure', 'aria-label': 'Funnel measure' }, ['starts', 'completes'].map((m) => h('option', { value: m, selected: m === measure }, m)));
  const form = h('form', { class: 'inline-form' }, h('label', {}, 'Steps (ids in order) ', input), choose, h('button', { type: 'submit', class: 'button small' }, 'Show'));
  form.addEventListener('submit', (e) => { e.preventDefault(); ctx.go({ extra: { ...extra, steps: input.value.replace(/\s+/g, ''), fmeasure: choose.value } }); });
  choose.addEventListener('change', () => form.requestSubmit());
  const panel = new Panel({ title: `Funnel (${measure})`, testid: 'panel-funnel', actions: [form] });
  if (!steps.length) {
    panel.empty(emptyHint || 'Name the progression ids of the funnel, in order (e.g. World1:Level1,World1:Level2).');
    return panel;
  }
  loadInto(ctx, panel, [['funnel', { steps: steps.join(','), measure }]], ([data]) => {
    const totals = new Map((data.groups || []).map((g) => [g.key, g.total]));
    panel.ready(bars(steps.map((s) => ({ label: s, value: totals.get(s) || 0 })), { ofFirst: true, testid: 'funnel' }));
  }, `No ${measure} of these progression ids in this range. Steps are whole ids as the game sends them `
    + '(World1:Level1, not World1): Pick a level in the table above to get the funnel of the ids below it, or Name them here.');
  return panel;
}

/**
 * The funnel shown before one is named: the ids of the level shown when a level is chosen;
 * at the top, where ids are usually groups (World1) rather than the ids games send
 * (World1:Level01), the ids one level below the first row, if it has any.
 */
async function defaultSteps(ctx, prefix, rows) {
  const level = rows.slice(0, 8).map((r) => r.key);
  if (prefix || !rows.length) return level;
  const below = await api.metric(ctx.game.id, METRICS.progression.name,
    paramsFor('progression', ctx.view, { prefix: rows[0].key, measure: 'starts' }), ctx.signal);
  const ids = (below.groups || []).map((g) => g.key).filter((k) => k !== rows[0].key).sort(natural);
  return ids.length ? ids.slice(0, 12) : level;
}

export function render(main, ctx) {
  const extra = ctx.st.extra;
  const prefix = extra.prefix || '';
  const levels = new Panel({ title: 'Progression by id', wide: true, testid: 'panel-progression',
    actions: [breadcrumb(prefix, (p) => ctx.go({ extra: { ...extra, prefix: p, steps: '' } }))] });
  const funnelSlot = new Panel({ title: 'Funnel', testid: 'panel-funnel' }).el; // loading until its steps are known
  main.append(grid(levels, funnelSlot));
  const explicit = (extra.steps || '').split(',').filter(Boolean);
  if (explicit.length) funnelSlot.replaceWith(funnelPanel(ctx, explicit).el);
  loadInto(ctx, levels, MEASURES.map((measure) => ['progression', { prefix: prefix || undefined, measure }]), (answers) => {
    const rows = levelRows(answers);
    levels.ready(table({
      columns: [
        { key: 'key', label: 'Progression id', kind: 'text' },
        { key: 'starts', label: 'Starts', kind: 'count' },
        { key: 'fails', label: 'Fails', kind: 'count' },
        { key: 'completes', label: 'Completes', kind: 'count' },
        { key: 'rate', label: 'Completion', kind: 'share', format: (v) => share(v) },
        { key: 'attempts', label: 'Mean attempts', kind: 'decimal' },
      ],
      rows, csv: `progression${prefix ? `-${prefix}` : ''}`, testid: 'table-progression',
      caption: 'Click an id to see the level below it.',
      onRow: (r) => ctx.go({ extra: { ...extra, prefix: r.key, steps: '' } }),
    }));
    if (!explicit.length && funnelSlot.isConnected) {
      defaultSteps(ctx, prefix, rows).then((steps) => {
        if (funnelSlot.isConnected) funnelSlot.replaceWith(funnelPanel(ctx, steps).el);
      }, (err) => {
        if (err.name !== 'AbortError' && funnelSlot.isConnected) funnelSlot.replaceWith(funnelPanel(ctx, rows.slice(0, 8).map((r) => r.key)).el);
      });
    }
  }).then(() => {
    if (funnelSlot.isConnected && levels.el.dataset.state !== 'ready') funnelSlot.replaceWith(funnelPanel(ctx, [], METRICS.funnel.hint).el);
  });
}
