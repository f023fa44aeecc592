'use strict';
// Helpers of the insights read API tests (issue 3): read-API tokens (`playstat api-token create`),
// authenticated GETs of /api/v1/games/{id}/metrics/{name} and /api/v1/games/{id}/live, and a
// reference model of the metric definitions (src/store/sqlite/session_metrics.h) that a test computes
// from its OWN record of the sessions it sent, never from what the server stored.
// Node >= 18 built-ins only.

const assert = require('node:assert/strict');

const ps = require('./playstat');

// ---------------------------------------------------------------------------------------------
// Tokens and requests

/** `playstat api-token create`: returns the token (one line of output). */
async function createApiToken(dataDir, name) {
  const args = ['api-token', 'create', '--data', dataDir];
  if (name !== undefined) args.push('--name', name);
  const { stdout } = await ps.runCli(args);
  const lines = stdout.split('\n').filter((l) => l.trim() !== '');
  assert.equal(lines.length, 1, `playstat api-token create prints one line: ${JSON.stringify(stdout)}`);
  const token = lines[0].trim();
  assert.ok(token.length >= 16 && !/\s/.test(token), `an API token is one word of some length: ${JSON.stringify(token)}`);
  return token;
}

/** The path of a metric query; query values that are undefined are left out. */
function metricPath(gameId, name, query = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.append(k, String(v));
  const text = q.toString();
  return `/api/v1/games/${gameId}/metrics/${name}${text ? `?${text}` : ''}`;
}

function livePath(gameId) { return `/api/v1/games/${gameId}/live`; }

/** Asserts the read API's error shape: JSON {"error": <string>, "message": <string>} with status. */
function assertApiError(res, status, what) {
  const desc = `status ${res.status}, body ${JSON.stringify(res.text.slice(0, 400))}`;
  assert.equal(res.status, status, `${what}: expected ${status}, got ${desc}`);
  assert.ok(/^application\/json/i.test(res.headers['content-type'] || ''),
    `${what}: Content-Type must be application/json, got ${res.headers['content-type']}`);
  assert.ok(res.json && typeof res.json === 'object' && !Array.isArray(res.json), `${what}: the body must be a JSON object, got ${desc}`);
  assert.equal(typeof res.json.error, 'string', `${what}: "error" must be a string: ${desc}`);
  assert.ok(res.json.error.length > 0, `${what}: "error" must not be empty`);
  assert.equal(typeof res.json.message, 'string', `${what}: "message" must be a string: ${desc}`);
  return res.json;
}

/** Asserts the documented shape of a metric answer and returns it. */
function assertMetricShape(json, name, what) {
  assert.ok(json && typeof json === 'object', `${what}: the answer must be a JSON object`);
  assert.equal(json.metric, name, `${what}: "metric"`);
  for (const k of ['from', 'to', 'total']) assert.equal(typeof json[k], 'number', `${what}: "${k}" must be a number`);
  assert.ok(['minute', 'hour', 'day'].includes(json.interval), `${what}: "interval" is minute, hour or day: ${json.interval}`);
  assert.ok(Array.isArray(json.points), `${what}: "points" must be an array`);
  const series = [json, ...(json.groups || [])];
  if (json.groups !== undefined) assert.ok(Array.isArray(json.groups), `${what}: "groups" must be an array`);
  for (const s of series) {
    assert.equal(s.points.length, json.points.length, `${what}: every series has one point per bucket`);
    s.points.forEach((p, i) => {
      assert.equal(p.t, json.from + i * INTERVAL_S[json.interval], `${what}: point ${i} of ${s.key === undefined ? 'the whole' : s.key} starts its bucket`);
      assert.equal(typeof p.v, 'number', `${what}: point values are numbers`);
    });
  }
  for (const g of json.groups || []) assert.equal(typeof g.key, 'string', `${what}: group keys are strings`);
  return json;
}

/**
 * A client of the read API with one bearer token. opts.agent: an http.Agent (keep-alive) or
 * false (a fresh connection per request).
 */
class InsightsClient {
  constructor(port, token, { agent = false } = {}) {
    this.port = port;
    this.token = token;
    this.agent = agent;
  }

  /** GET path; opts.auth: explicit Authorization value, null to send none. Resolves the response. */
  get(path, { auth } = {}) {
    const headers = {};
    if (auth !== null) headers.Authorization = auth !== undefined ? auth : `Bearer ${this.token}`;
    return ps.request(this.port, { path, headers, agent: this.agent });
  }

  /** GET a metric; asserts 200 and the documented shape; resolves the parsed answer. */
  async metric(gameId, name, query = {}, what = '') {
    const path = metricPath(gameId, name, query);
    const res = await this.get(path);
    assert.equal(res.status, 200, `${what} GET ${path}: expected 200, got ${res.status} ${res.text.slice(0, 400)}`);
    assert.ok(/^application\/json/i.test(res.headers['content-type'] || ''), `GET ${path}: Content-Type ${res.headers['content-type']}`);
    return assertMetricShape(res.json, name, `${what} GET ${path}`);
  }

  /** GET live; asserts 200 and its shape; resolves {at, ccu, concurrent_ugc}. */
  async live(gameId) {
    const res = await this.get(livePath(gameId));
    assert.equal(res.status, 200, `GET live: expected 200, got ${res.status} ${res.text.slice(0, 400)}`);
    for (const k of ['at', 'ccu', 'concurrent_ugc']) {
      assert.ok(Number.isInteger(res.json && res.json[k]), `GET live: "${k}" must be an integer: ${res.text}`);
    }
    return res.json;
  }
}

// ---------------------------------------------------------------------------------------------
// Reference model of the metrics (session_metrics.h), from a test's own record of sessions.
//
// A session is { player, mods: [int], startMs, endMs } and is over (ended, or timed out at its
// last request): it is active on [startMs, endMs) (half-open; empty when endMs <= startMs).
// A range is { from, to, interval } in unix seconds, from/to already on interval boundaries.

const METRICS = ['ccu', 'concurrent_ugc', 'total_players', 'sessions', 'avg_playtime',
  'avg_ugc_per_session', 'session_length_histogram', 'top_mods'];
/** The metrics that answer with groups of their own (group_by does not apply to them). */
const GROUPED_METRICS = ['session_length_histogram', 'top_mods'];
const INTERVAL_S = { minute: 60, hour: 3600, day: 86400 };
const LENGTH_BUCKETS = [
  { key: '0-5m', upToS: 5 * 60 },
  { key: '5-30m', upToS: 30 * 60 },
  { key: '30-60m', upToS: 60 * 60 },
  { key: '1-2h', upToS: 2 * 3600 },
  { key: '2h+', upToS: Infinity },
];
const TOP_MODS = 10;

/** from/to (unix s) widened to whole UTC intervals, as the API documents. */
function alignRange(fromS, toS, interval) {
  const step = INTERVAL_S[interval];
  return { from: Math.floor(fromS / step) * step, to: Math.ceil(toS / step) * step, interval };
}

/** The buckets of a range: [{ t (s), lo (ms), hi (ms) }]. */
function buckets(range) {
  const step = INTERVAL_S[range.interval];
  const out = [];
  for (let t = range.from; t < range.to; t += step) out.push({ t, lo: t * 1000, hi: (t + step) * 1000 });
  return out;
}

/** Length of [a, b) ∩ [lo, hi) in ms. */
function overlapMs(a, b, lo, hi) { return Math.max(0, Math.min(b, hi) - Math.max(a, lo)); }

/**
 * Peak, over [lo, hi), of the number of distinct values of keysOf(s) over the sessions active at
 * each instant. The count only rises when a session starts, so the peak is reached at lo or at
 * a start inside the bucket: each such instant is counted directly.
 */
function peakDistinct(byStart, keysOf, lo, hi) {
  const instants = [lo];
  for (const s of byStart) if (s.startMs > lo && s.startMs < hi && s.endMs > s.startMs) instants.push(s.startMs);
  let best = 0;
  for (const t of instants) {
    const seen = new Set();
    for (const s of byStart) {
      if (s.startMs > t) break; /* sorted by start: none of the rest has started */
      if (t < s.endMs) for (const k of keysOf(s)) seen.add(k);
    }
    if (seen.size > best) best = seen.size;
  }
  return best;
}

function mean(values) { return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0; }

function lengthBucket(s) {
  const lengthS = (s.endMs - s.startMs) / 1000;
  return LENGTH_BUCKETS.findIndex((b) => lengthS < b.upToS);
}

/**
 * The answer the definitions give for metric name over sessions in range:
 * { total, points: [{t, v}], groups?: [{key, total, points}] }. For top_mods, groups are the mods
 * with playtime in the range, most first (ties by key), at most 10; the whole is the playtime of
 * every mod added up.
 */
function referenceMetric(name, sessions, range) {
  const bs = buckets(range);
  const whole = { lo: range.from * 1000, hi: range.to * 1000 };
  const series = (fn) => ({ total: fn(whole.lo, whole.hi, true), points: bs.map((b) => ({ t: b.t, v: fn(b.lo, b.hi, false) })) });
  const startedIn = (lo, hi) => sessions.filter((s) => s.startMs >= lo && s.startMs < hi);
  const endedIn = (lo, hi) => sessions.filter((s) => s.endMs >= lo && s.endMs < hi);
  switch (name) {
    case 'ccu':
    case 'concurrent_ugc': {
      const keysOf = name === 'ccu' ? (s) => [s.player] : (s) => s.mods;
      const byStart = [...sessions].sort((x, y) => x.startMs - y.startMs);
      const points = bs.map((b) => ({ t: b.t, v: peakDistinct(byStart, keysOf, b.lo, b.hi) }));
      return { total: Math.max(0, ...points.map((p) => p.v)), points };
    }
    case 'total_players':
      // A zero-length session (start == end) is present at its start instant.
      return series((lo, hi) => new Set(sessions.filter((s) => overlapMs(s.startMs, s.endMs, lo, hi) > 0 ||
        (s.startMs === s.endMs && s.startMs >= lo && s.startMs < hi)).map((s) => s.player)).size);
    case 'sessions':
      return series((lo, hi) => startedIn(lo, hi).length);
    case 'avg_playtime':
      return series((lo, hi) => mean(endedIn(lo, hi).map((s) => (s.endMs - s.startMs) / 1000)));
    case 'avg_ugc_per_session':
      return series((lo, hi) => mean(startedIn(lo, hi).map((s) => s.mods.length)));
    case 'session_length_histogram': {
      const out = series((lo, hi) => endedIn(lo, hi).length);
      out.groups = LENGTH_BUCKETS.map((lb, k) => ({
        key: lb.key,
        ...series((lo, hi) => endedIn(lo, hi).filter((s) => lengthBucket(s) === k).length),
      }));
      return out;
    }
    case 'top_mods': {
      // Playtime in whole ms (exact), as seconds at the end.
      const perMod = new Map();
      for (const s of sessions) {
        for (const mod of s.mods) {
          const key = String(mod);
          if (!perMod.has(key)) perMod.set(key, { key, totalMs: 0, pointsMs: bs.map(() => 0) });
          const g = perMod.get(key);
          g.totalMs += overlapMs(s.startMs, s.endMs, whole.lo, whole.hi);
          bs.forEach((b, i) => { g.pointsMs[i] += overlapMs(s.startMs, s.endMs, b.lo, b.hi); });
        }
      }
      const all = [...perMod.values()].filter((g) => g.totalMs > 0);
      const wholeMs = all.reduce((a, g) => a + g.totalMs, 0);
      const wholePoints = bs.map((b, i) => ({ t: b.t, v: all.reduce((a, g) => a + g.pointsMs[i], 0) / 1000 }));
      all.sort((x, y) => (y.totalMs - x.totalMs) || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
      return {
        total: wholeMs / 1000,
        points: wholePoints,
        groups: all.slice(0, TOP_MODS).map((g) => ({
          key: g.key, total: g.totalMs / 1000, points: bs.map((b, i) => ({ t: b.t, v: g.pointsMs[i] / 1000 })),
        })),
      };
    }
    default:
      throw new Error(`unknown metric ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Comparison

/** Equal numbers; with rel, equal within that relative tolerance. */
function close(got, want, rel) {
  if (typeof got !== 'number' || !Number.isFinite(got)) return false;
  if (!rel) return got === want;
  return Math.abs(got - want) <= rel * Math.max(1, Math.abs(want));
}

function isZero(series) { return series.total === 0 && series.points.every((p) => p.v === 0); }

/**
 * Differences (strings, empty when equal) between a server answer and the reference answer of
 * the same range. opts: { rel: relative tolerance of values (0: exact), groupBy: expected groups
 * are per key of a group_by (keys without data may be left out or answered with zeros) }.
 * top_mods groups with no playtime in the range are allowed after the others (they rank last).
 */
function diffAnswer(got, want, name, opts = {}) {
  const out = [];
  const rel = opts.rel || 0;
  const fmt = (v) => JSON.stringify(v);
  const diffSeries = (g, w, label) => {
    if (!close(g.total, w.total, rel)) out.push(`${label} total: expected ${fmt(w.total)}, got ${fmt(g.total)}`);
    if (!Array.isArray(g.points) || g.points.length !== w.points.length) {
      out.push(`${label}: expected ${w.points.length} points, got ${g.points && g.points.length}`);
      return;
    }
    w.points.forEach((p, i) => {
      const q = g.points[i];
      if (q.t !== p.t) out.push(`${label} point ${i}: expected t ${p.t}, got ${q.t}`);
      else if (!close(q.v, p.v, rel)) out.push(`${label} t=${p.t} (${new Date(p.t * 1000).toISOString()}): expected ${fmt(p.v)}, got ${fmt(q.v)}`);
    });
  };
  diffSeries(got, want, 'whole');
  if (opts.groupBy) {
    const gotGroups = new Map((got.groups || []).map((g) => [g.key, g]));
    const wantGroups = new Map((want.groups || []).map((g) => [g.key, g]));
    if (!Array.isArray(got.groups)) out.push('expected "groups" (group_by), got none');
    if (gotGroups.size !== (got.groups || []).length) out.push(`group keys repeat: ${fmt((got.groups || []).map((g) => g.key))}`);
    for (const key of new Set([...gotGroups.keys(), ...wantGroups.keys()])) {
      const g = gotGroups.get(key);
      const w = wantGroups.get(key);
      if (!g) {
        if (!isZero(w)) out.push(`group ${fmt(key)} is missing (expected total ${w.total})`);
      } else if (!w) {
        if (!isZero(g)) out.push(`group ${fmt(key)} is not expected (no session has it) but has total ${g.total}`);
      } else {
        diffSeries(g, w, `group ${fmt(key)}`);
      }
    }
  } else if (want.groups) {
    const gotGroups = got.groups || [];
    if (!Array.isArray(got.groups)) out.push('expected "groups", got none');
    let shown = gotGroups;
    if (name === 'top_mods') {
      // Mods loaded but not played in the range may follow with zeros (still at most 10).
      if (gotGroups.length > TOP_MODS) out.push(`at most ${TOP_MODS} groups, got ${gotGroups.length}`);
      const firstZero = gotGroups.findIndex((g) => g.total === 0);
      if (firstZero >= 0) {
        shown = gotGroups.slice(0, firstZero);
        for (const g of gotGroups.slice(firstZero)) if (!isZero(g)) out.push(`group ${fmt(g.key)} after a zero group is not zero`);
      }
    }
    const gotKeys = shown.map((g) => g.key);
    const wantKeys = want.groups.map((g) => g.key);
    if (fmt(gotKeys) !== fmt(wantKeys)) out.push(`group keys (in order): expected ${fmt(wantKeys)}, got ${fmt(gotKeys)}`);
    const byKey = new Map(shown.map((g) => [g.key, g]));
    for (const w of want.groups) if (byKey.has(w.key)) diffSeries(byKey.get(w.key), w, `group ${fmt(w.key)}`);
  } else if (got.groups !== undefined) {
    out.push(`no "groups" expected, got ${got.groups.length}`);
  }
  return out;
}

module.exports = {
  createApiToken, metricPath, livePath, assertApiError, assertMetricShape, InsightsClient,
  METRICS, GROUPED_METRICS, INTERVAL_S, LENGTH_BUCKETS, TOP_MODS,
  alignRange, buckets, referenceMetric, diffAnswer,
};
