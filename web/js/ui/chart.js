// chart.js: time-series charts with uPlot (served from node_modules at /vendor/uplot/, see
// docs/http-api.md "Dashboard"). uPlot is loaded on first use, so a server without it (no
// `npm ci`) still shows every table and figure, with a note where a chart would be. Times are
// UTC, like the metrics' buckets; charts follow their container's width.

import { h } from '../dom.js';
import { byKind } from '../format.js';

export const PALETTE = ['#2563eb', '#d97706', '#059669', '#dc2626', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];

/** Error severities keep their own colours, from grey (debug) to red (critical), whatever the
 * series' order. */
export const SEVERITY = { critical: '#b91c1c', error: '#ea580c', warning: '#ca8a04', info: '#2563eb', debug: '#6b7280' };
/** Resource flows: what comes in green, what goes out red. */
const FLOWS = { Source: '#059669', Sink: '#dc2626' };
const colourOf = (label, i) => SEVERITY[label] || FLOWS[label] || PALETTE[i % PALETTE.length];

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
 * uPlot has loaded). spec: { xs: unix seconds, series: [{ label, values, bars (drawn as bars,
 * e.g. a day's total, instead of a line between points), dash (a dashed line:
 * the previous period) }], kind (format.byKind kind of the values), height, testid, xRange ([min, max] of the time axis: the range asked, never wider), dayTicks
 * (ticks on whole UTC days only), xShift (seconds added to each bucket's start in xs: a day's
 * bar at its middle; the legend shows the bucket's start) }. The element's data-x-min / data-x-max say the axis drawn
 * (for tests). dispose(fn) is called with the chart's cleanup.
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
    const anyBars = spec.series.some((s) => s.bars);
    const xRange = spec.xRange;
    const opts = {
      width: Math.max(240, el.clientWidth || 600),
      height: spec.height || 220,
      padding: [12, 40, 0, 0], // room for the last tick's label
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      scales: {
        x: { time: true, ...(xRange ? { range: () => xRange } : {}) },
        ...(anyBars ? { y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] } } : {}), // bars stand on zero
      },
      legend: { live: true },
      // Away from the cursor the legend shows the latest bucket, not placeholders.
      hooks: {
        ready: [(u) => { if (last >= 0) u.setLegend({ idx: last }); }],
        // the axis as drawn, for tests (uPlot sets its scales once it has laid the chart out)
        setScale: [(u, key) => {
          if (key !== 'x' || !Number.isFinite(u.scales.x.min)) return;
          el.dataset.xMin = String(u.scales.x.min);
          el.dataset.xMax = String(u.scales.x.max);
        }],
        setCursor: [(u) => { if (u.cursor.idx == null && last >= 0) u.setLegend({ idx: last }, false); }],
      },
      series: [{ label: 'UTC', value: (u, ts) => (ts == null ? '' : isoTime(ts - (spec.xShift || 0))) },
        ...spec.series.map((s, i) => {
          const colour = s.dash ? '#64748b' : colourOf(s.label, i);
          if (s.bars) {
            return { label: s.label, stroke: colour, fill: `${colour}99`, width: 1, value: (u, v) => fmt(v),
              paths: uPlot.paths.bars({ size: [0.7, 80] }), points: { show: false } };
          }
          return { label: s.label, stroke: colour, width: 2, dash: s.dash ? [6, 4] : undefined, value: (u, v) => fmt(v),
            points: { show: spec.xs.length < 60 } };
        })],
      axes: [{ values: isoTicks, space: 96, ...(spec.dayTicks ? { incrs: DAY_INCRS } : {}) }, { values: (u, vals) => vals.map(fmt), size: 64 }],
    };
    plot = new uPlot(opts, [spec.xs, ...spec.series.map((s) => s.values)], el);
    observer = new ResizeObserver(() => {
      const width = Math.max(240, el.clientWidth);
      if (plot && width !== plot.width) plot.setSize({ width, height: opts.height });
    });
    observer.observe(el);
  }).catch((err) => {
    if (gone) return;
    if (err instanceof TypeError && /import|module|fetch/i.test(err.message)) {
      el.replaceChildren(h('p', { class: 'state-note' }, 'Charts need uPlot: run `npm ci` where playstat serves web/ from.'));
    } else {
      console.error(err); // a bug of the dashboard: tests fail on console errors
    }
  });
  return el;
}

/** Tick steps of daily charts: whole days only (a day's bar never sits under hourly ticks). */
const DAY_INCRS = [1, 2, 3, 7, 14, 28, 56, 91, 182, 365].map((d) => d * 86400);

/** Values aligned with the buckets of data: previous[i] is the bucket as long before. */
function aligned(previous, n) {
  const values = previous ? previous.points.map((p) => p.v) : [];
  return Array.from({ length: n }, (_, i) => (i < values.length ? values[i] : null));
}

/** The chart of a metric answer: the whole series, or its groups (at most max, largest first);
 * one daily series as bars centred on their day (a day's figure belongs to the whole day, not to
 * its midnight), on day ticks. previous: the answer over the period before (same length), drawn
 * dashed over the same buckets ("previous period"). The time axis is the answer's range. */
export function metricChart(data, { kind, label, max = 8, groups = false, testid }, dispose, previous = null) {
  const step = data.interval === 'day' ? 86400 : data.interval === 'minute' ? 60 : 3600;
  let series;
  if (groups && data.groups && data.groups.length) {
    const top = [...data.groups].sort((a, b) => b.total - a.total).slice(0, max);
    series = top.map((g) => ({ label: g.key, values: g.points.map((p) => p.v) }));
  } else {
    series = [{ label, values: data.points.map((p) => p.v) }];
  }
  const bars = data.interval === 'day' && series.length === 1;
  if (bars) series[0].bars = true;
  if (previous) series.push({ label: 'previous period', values: aligned(previous, data.points.length), dash: true });
  const half = bars ? step / 2 : 0;
  const xs = data.points.map((p) => p.t + half);
  // a line ends at its last bucket's start; bars fill their buckets: the axis is what was asked
  const xRange = bars || xs.length < 2 ? [data.from, data.to] : [xs[0], xs[xs.length - 1]];
  return timeChart({ xs, series, kind, testid, xShift: half, xRange, dayTicks: data.interval === 'day' }, dispose);
}
