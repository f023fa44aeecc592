// range.js: the date range and bucket size of every query. Presets end now (rounded up to
// the next whole minute, so that every panel of one page asks the same range); a custom range
// is whole UTC days. Metrics over metrics sessions take the chosen interval (auto: minutes up
// to 6 hours, hours up to 8 days, else days); metrics over analytics events are always daily.

export const PRESETS = [
  { id: '1h', label: 'Last hour', seconds: 3600 },
  { id: '24h', label: 'Last 24 hours', seconds: 86400 },
  { id: '7d', label: 'Last 7 days', seconds: 7 * 86400 },
  { id: '30d', label: 'Last 30 days', seconds: 30 * 86400 },
  { id: '90d', label: 'Last 90 days', seconds: 90 * 86400 },
];

export const INTERVALS = ['auto', 'minute', 'hour', 'day'];

/** 'YYYY-MM-DD' as unix seconds at 00:00 UTC, or NaN. */
function dayStart(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text || '') ? Date.parse(`${text}T00:00:00Z`) / 1000 : NaN;
}

/**
 * { from, to, interval } (unix seconds; interval minute|hour|day) of a view state
 * ({ range, from, to, interval }) at nowMs. A bad custom range falls back to 24 hours.
 */
export function resolve(state, nowMs = Date.now()) {
  let from;
  let to;
  if (state.range === 'custom' && dayStart(state.from) < dayStart(state.to) + 86400) {
    from = dayStart(state.from);
    to = dayStart(state.to) + 86400;
  } else {
    const preset = PRESETS.find((p) => p.id === state.range) || PRESETS[1];
    to = Math.ceil(nowMs / 60000) * 60;
    from = to - preset.seconds;
  }
  let interval = state.interval;
  if (!INTERVALS.includes(interval) || interval === 'auto') {
    const span = to - from;
    interval = span <= 6 * 3600 ? 'minute' : span <= 8 * 86400 ? 'hour' : 'day';
  }
  // at most 100,000 points per query (the API's limit): minutes over long ranges become hours
  if (interval === 'minute' && (to - from) / 60 > 100000) interval = 'hour';
  return { from, to, interval };
}
