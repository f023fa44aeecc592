// chart.js: time-series charts with uPlot (served from node_modules at /vendor/uplot/, see
// docs/http-api.md "Dashboard"). uPlot is loaded on first use, so a server without it (no
// `npm ci`) still shows every table and figure, with a note where a chart would be. Times are
// UTC, like the metrics' buckets; charts follow their container's width.

import { h } from '../dom.js';
import { byKind } from '../format.js';

export const PALETTE = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];

/** Error severities keep their own colours, from grey (debug) to red (critical), whatever the
 * series' order. */
const SEVERITY = { critical: '#b91c1c', error: '#ea580c', warning: '#ca8a04', info: '#2563eb', debug: '#6b7280' };
const colourOf = (label, i) => SEVERITY[label] || PALETTE[i % PALETTE.length];

/** ISO dates (UTC) on time axes and in legends: 2026-11-30, 2026-11-30 14:00. */
const pad = (n) => String(n).padStart(2, '0');
function isoDay(d) { return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`; }
function isoTime(ts, withDay = true) {
  const d = new Date(ts * 1000);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (!withDay) return time;
  return d.getUTCHours() || d.getUTCMinutes() ? `${isoDay(d)} ${time}` : isoDay(d);
}
/** Axis labels: the day where it changes from the previous tick (or at midnight), else the time. */
function isoTicks(u, splits) {
  return splits.map((ts, i) => {
    const day = isoDay(new Date(ts * 1000));
    const previous = i ? isoDay(new Date(splits[i - 1] * 1000)) : null;
    return day !== previous ? isoTime(ts) : isoTime(ts, false);
  });
}

let uPlotModule = null;
function loadUPlot() {
  if (!uPlotModule) uPlotModule = import('/vendor/uplot/uPlot.esm.js').then((m) => m.default);
  return uPlotModule;
}

/**
 * Draws series over shared times into a new element, returned at once (the chart appears when
 * uPlot has loaded). spec: { xs: unix seconds, series: [{ label, values }], kind (format.byKind
 * kind of the values), height, testid, barWidth (seconds: one series drawn as bars that wide,
 * e.g. a day's total, instead of a line between points) }. dispose(fn) is called with the
 * chart's cleanup.
 */
export function timeChart(spec, dispose) {
  const el = h('div', { class: 'chart', 'data-testid': spec.testid, role: 'img', 'aria-label': spec.series.map((s) => s.label).join(', ') });
  let plot = null;
  let observer = null;
  let gone = false;
  dispose(() => {
    gone = true;
    if (observer) observer.disconnect();
    if (plot) plot.destroy();
  });
  loadUPlot().then((uPlot) => {
    if (gone) return;
    const fmt = (v) => (v === null || v === undefined ? '–' : byKind(spec.kind, v));
    const last = spec.xs.length - 1;
    const opts = {
      width: Math.max(240, el.clientWidth || 600),
      height: spec.height || 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: spec.barWidth
        ? { x: { time: true, range: (u, min, max) => [min - spec.barWidth / 2, max + spec.barWidth / 2] },
          y: { range: (u, min, max) => [0, max > 0 ? max * 1.1 : 1] } } // bars stand on zero
        : { x: { time: true } },
      legend: { live: true },
      // Away from the cursor the legend shows the latest bucket, not placeholders.
      hooks: {
        ready: [(u) => { if (last >= 0) u.setLegend({ idx: last }); }],
        setCursor: [(u) => { if (u.cursor.idx == null && last >= 0) u.setLegend({ idx: last }, false); }],
      },
      series: [{ label: 'UTC', value: (u, ts) => (ts == null ? '' : isoTime(ts)) }, ...spec.series.map((s, i) => (spec.barWidth
        ? { label: s.label, stroke: colourOf(s.label, i), fill: `${colourOf(s.label, i)}99`, width: 1,
          value: (u, v) => fmt(v), paths: uPlot.paths.bars({ size: [0.7, 80] }), points: { show: false } }
        : { label: s.label, stroke: colourOf(s.label, i), width: 2, value: (u, v) => fmt(v),
          points: { show: spec.xs.length < 60 } }))],
      axes: [{ values: isoTicks, space: 96 }, { values: (u, vals) => vals.map(fmt), size: 64 }],
    };
    plot = new uPlot(opts, [spec.xs, ...spec.series.map((s) => s.values)], el);
    observer = new ResizeObserver(() => {
      const width = Math.max(240, el.clientWidth);
      if (plot && width !== plot.width) plot.setSize({ width, height: opts.height });
    });
    observer.observe(el);
  }).catch(() => {
    if (!gone) el.replaceChildren(h('p', { class: 'state-note' }, 'Charts need uPlot: run `npm ci` where playstat serves web/ from.'));
  });
  return el;
}

/** The chart of a metric answer: the whole series, or its groups (at most max, largest first);
 * one daily series as bars (a day's figure belongs to the whole day, not to its midnight). */
export function metricChart(data, { kind, label, max = 8, groups = false, testid }, dispose) {
  const xs = data.points.map((p) => p.t);
  let series;
  if (groups && data.groups && data.groups.length) {
    const top = [...data.groups].sort((a, b) => b.total - a.total).slice(0, max);
    series = top.map((g) => ({ label: g.key, values: g.points.map((p) => p.v) }));
  } else {
    series = [{ label, values: data.points.map((p) => p.v) }];
  }
  const barWidth = data.interval === 'day' && series.length === 1 ? 86400 : 0;
  return timeChart({ xs, series, kind, testid, barWidth }, dispose);
}
