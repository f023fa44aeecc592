'use strict';
// lib/rates.js: the exchange-rate half of the money models (insights_money, insights_ltv):
// the ECB euro-reference CSV a test loads, the rate the server must take for a day
// (docs/http-api.md: the day's, else the latest of the LOOKBACK days before it), and the
// comparison of converted figures (floating-point sums in another order).

const DAY = 86400;
const LOOKBACK = 7;

/**
 * The ECB CSV of rates ({CODE: Map(day number -> units per EUR)}) in columns codes, one row per
 * day in [from, to) on which any of them has a rate, newest first, every line ending in a
 * comma (as the ECB's files do), N/A where a code lacks the day.
 */
function ecbCsv(rates, codes, from = -Infinity, to = Infinity) {
  const days = [...new Set(codes.flatMap((c) => (rates[c] ? [...rates[c].keys()] : [])))]
    .filter((day) => day >= from && day < to)
    .sort((a, b) => b - a);
  const lines = [`Date,${codes.join(',')},`];
  for (const day of days) {
    const date = new Date(day * DAY * 1000).toISOString().slice(0, 10);
    lines.push(`${date},${codes.map((c) => (rates[c] && rates[c].has(day) ? String(rates[c].get(day)) : 'N/A')).join(',')},`);
  }
  return `${lines.join('\n')}\n`;
}

/** Units of code per EUR on day, as the server takes it; null when there is none. */
function rateOn(rates, code, day) {
  if (code === 'EUR') return 1;
  for (let back = 0; back <= LOOKBACK; back++) {
    const r = rates[code] && rates[code].get(day - back);
    if (r !== undefined) return r;
  }
  return null;
}

/** Equal up to rounding (nulls only to nulls). */
const close = (a, b) => (a === null || b === null ? a === b : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)));

module.exports = { ecbCsv, rateOn, close };
