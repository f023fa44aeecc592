// format.js: how numbers, money, durations, shares and times read on the dashboard, in the
// browser's locale. Times are shown in UTC, the zone every metric is bucketed in.

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const decimal = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const percent = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });

/** A count or measure: whole numbers without decimals, others with at most two. */
export function number(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  return Number.isInteger(v) ? integer.format(v) : decimal.format(v);
}

/** A share in 0..1 as a percentage. */
export function share(v) {
  return v === null || v === undefined || Number.isNaN(v) ? '–' : percent.format(v);
}

/** An amount in cents (GameAnalytics business events) in its currency, or plain units. */
export function money(cents, currency) {
  const units = cents / 100;
  if (!currency || !/^[A-Z]{3}$/.test(currency)) return decimal.format(units);
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(units);
  } catch (_) {
    return `${decimal.format(units)} ${currency}`;
  }
}

/** Seconds as "1h 02m", "4m 05s" or "12s". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
  const s = Math.round(seconds);
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  if (hh) return `${hh}h ${String(mm).padStart(2, '0')}m`;
  if (mm) return `${mm}m ${String(ss).padStart(2, '0')}s`;
  return `${ss}s`;
}

/** A unix time (seconds) as "2026-11-22 22:12" UTC (days only: "2026-11-22"). */
export function time(unixSeconds, { days = false } = {}) {
  const iso = new Date(unixSeconds * 1000).toISOString();
  return days ? iso.slice(0, 10) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** An RFC 3339 timestamp as "22:12:47.847" (with the date when withDate). */
export function clock(rfc3339, { withDate = false } = {}) {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339 || '–';
  const iso = d.toISOString();
  return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 23)}` : iso.slice(11, 23);
}

/** Formats v by kind: 'count', 'share', 'money', 'seconds' or 'decimal'. */
export function byKind(kind, v, currency) {
  switch (kind) {
    case 'share': return share(v);
    case 'money': return money(v, currency);
    case 'seconds': return duration(v);
    default: return number(v);
  }
}
