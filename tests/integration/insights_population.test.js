'use strict';
// The insights read API over a simulated population, end to end: 3000 metrics sessions of 800
// players (known starts, ends, mods, platforms and portals, 15% abandoned, some players in two
// sessions at once, seconds and milliseconds, JSON and form bodies) are played through
// /v1/metrics/sessions/{start,heartbeat,end}; replays and stale order ids are sent too (and
// refused). Then every metric, at hour, day and minute resolution, unfiltered, filtered by
// platform, portal and both, and grouped by platform and portal, is compared point by point
// with a brute-force reference computed here from the simulation's own record (not from what
// the server stored). Also: the read API's 401/404/400 rules and `live` within a second.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');

const ps = require('./lib/playstat');
const { mulberry32, simulationSeed } = require('./lib/random');
const m = require('./lib/modio');

const SEED = simulationSeed(424242);
const MIN = 60000;
const HOUR = 3600000;
const DAY = 86400000;


// Header value sent -> what the server must count it as.
const PLATFORMS = [['windows', 'windows'], ['Windows', 'windows'], ['WINDOWS', 'windows'], ['ps5', 'ps5'],
  ['switch', 'switch'], ['android', 'android'], ['Amiga', 'unknown'], [undefined, 'unknown']];
const PORTALS = [['steam', 'steam'], ['Steam', 'steam'], ['epicgames', 'epicgames'], ['gog', 'gog'],
  ['psn', 'psn'], ['myportal', 'unknown'], [undefined, 'unknown']];

/** The record: what each session really was (times in ms as the server reads them). */
function simulate(count, nowMs) {
  const rnd = mulberry32(SEED);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const sessions = [];
  const lengths = [[0.3, 5], [0.3, 30], [0.2, 60], [0.12, 120], [0.08, 180]]; // share, up to minutes
  for (let i = 0; i < count; i++) {
    const unit = rnd() < 0.5 ? 's' : 'ms';
    const span = 20 * HOUR;
    let start = nowMs - 10 * MIN - span + Math.floor(rnd() * span);
    if (i % 50 === 0) start = sessions.length ? sessions[sessions.length - 1].start : start; // same instant
    let r = rnd();
    let bucket = 0;
    while (bucket < lengths.length - 1 && r > lengths[bucket][0]) { r -= lengths[bucket][0]; bucket += 1; }
    const lo = bucket ? lengths[bucket - 1][1] : 0;
    let length = Math.floor((lo + rnd() * (lengths[bucket][1] - lo)) * MIN) + 1000;
    if (start + length > nowMs - 2 * MIN) length = Math.max(1000, nowMs - 2 * MIN - start);
    if (unit === 's') { start -= start % 1000; length -= length % 1000; if (length === 0) length = 1000; }
    const nmods = 1 + Math.floor(rnd() * 4); // a start names at least one mod
    const mods = [...new Set(Array.from({ length: nmods }, () => 1 + Math.floor(rnd() * 40)))];
    const [platformSent, platform] = pick(PLATFORMS);
    const [portalSent, portal] = pick(PORTALS);
    sessions.push({
      index: i, unit, start, end: start + length, mods, platformSent, platform, portalSent, portal,
      player: `player-${Math.floor(rnd() * 800)}`, abandoned: rnd() < 0.15, form: rnd() < 0.2 ? 'brackets' : undefined,
      misbehave: rnd() < 0.05,
    });
  }
  return sessions;
}

const tsOf = (s, ms) => (s.unit === 's' ? Math.floor(ms / 1000) : ms);

/** Plays one session: start, heartbeats every 10 minutes of its time, end (or nothing). */
async function play(port, game, s, tokens, counters) {
  const session = new m.Session({ port, game, token: tokens.get(s.player), ids: s.mods, unit: s.unit, form: s.form,
    platform: s.platformSent, portal: s.portalSent, via: s.index % 2 ? 'host' : 'path' });
  const expect204 = (res, what) => {
    counters.requests += 1;
    if (res.status !== 204) throw new Error(`session ${s.index} ${what}: ${m.describe(res)}`);
  };
  expect204(await session.start({ ts: tsOf(s, s.start) }), 'start');
  const beats = [];
  for (let t = s.start + 10 * MIN; t < s.end; t += 10 * MIN) beats.push(t);
  if (s.abandoned) beats.push(s.end); // its last heartbeat is where it ends
  for (const t of beats) expect204(await session.heartbeat({ ts: tsOf(s, t) }), 'heartbeat');
  if (!s.abandoned) expect204(await session.end({ ts: tsOf(s, s.end) }), 'end');
  if (s.misbehave && session.sent.length >= 2) {
    // A replayed request and a stale order id: refused, nothing changes.
    const replay = session.sent[session.sent.length - 1];
    const again = await m.post(port, { gameId: game.id, kind: replay.kind === 'start' ? 'heartbeat' : replay.kind, token: tokens.get(s.player), body: replay.fields });
    counters.refused += again.status >= 400 ? 1 : 0;
    const stale = await session.heartbeat({ ts: tsOf(s, s.start + 1000), orderId: 1 });
    counters.refused += stale.status >= 400 ? 1 : 0;
  }
}

// ---- the reference: brute force over the record ----

/** Peak distinct keys over the instants of [b0, b1): its start and every session start in it. */
function peak(sessions, keysOf, b0, b1) {
  const instants = [b0, ...sessions.map((s) => s.start).filter((t) => t > b0 && t < b1)];
  let best = 0;
  for (const t of instants) {
    const keys = new Set();
    for (const s of sessions) if (s.start <= t && t < s.end) for (const k of keysOf(s)) keys.add(k);
    if (keys.size > best) best = keys.size;
  }
  return best;
}

function mean(values) { return values.length ? values.reduce((a, b) => a + b, 0) / values.length : 0; }

const HISTOGRAM = [['0-5m', 300], ['5-30m', 1800], ['30-60m', 3600], ['1-2h', 7200], ['2h+', Infinity]];

/** { total, points: [v], groups?: Map(key -> {total, points}) } for one metric. */
function reference(metric, sessions, from, to, step) {
  const buckets = [];
  for (let t = from; t < to; t += step) buckets.push([t, Math.min(t + step, to)]);
  const overlaps = (s, b0, b1) => s.start < b1 && s.end > b0 && s.end > s.start;
  const inside = (t, b0, b1) => t >= b0 && t < b1;
  switch (metric) {
    case 'ccu':
    case 'concurrent_ugc': {
      const keysOf = metric === 'ccu' ? (s) => [s.player] : (s) => s.mods;
      const points = buckets.map(([b0, b1]) => peak(sessions.filter((s) => overlaps(s, b0, b1)), keysOf, b0, b1));
      return { total: Math.max(0, ...points), points };
    }
    case 'total_players': {
      const points = buckets.map(([b0, b1]) => new Set(sessions.filter((s) => overlaps(s, b0, b1)).map((s) => s.player)).size);
      return { total: new Set(sessions.filter((s) => overlaps(s, from, to)).map((s) => s.player)).size, points };
    }
    case 'sessions': {
      const points = buckets.map(([b0, b1]) => sessions.filter((s) => inside(s.start, b0, b1)).length);
      return { total: sessions.filter((s) => inside(s.start, from, to)).length, points };
    }
    case 'avg_playtime': {
      const len = (s) => (s.end - s.start) / 1000;
      const points = buckets.map(([b0, b1]) => mean(sessions.filter((s) => inside(s.end, b0, b1)).map(len)));
      return { total: mean(sessions.filter((s) => inside(s.end, from, to)).map(len)), points };
    }
    case 'avg_ugc_per_session': {
      const points = buckets.map(([b0, b1]) => mean(sessions.filter((s) => inside(s.start, b0, b1)).map((s) => s.mods.length)));
      return { total: mean(sessions.filter((s) => inside(s.start, from, to)).map((s) => s.mods.length)), points };
    }
    case 'session_length_histogram': {
      const bucketOf = (s) => HISTOGRAM.find(([, upper]) => Math.floor((s.end - s.start) / 1000) < upper)[0];
      const groups = new Map(HISTOGRAM.map(([key]) => {
        const mine = sessions.filter((s) => bucketOf(s) === key);
        return [key, { total: mine.filter((s) => inside(s.end, from, to)).length,
          points: buckets.map(([b0, b1]) => mine.filter((s) => inside(s.end, b0, b1)).length) }];
      }));
      return { total: sessions.filter((s) => inside(s.end, from, to)).length,
        points: buckets.map(([b0, b1]) => sessions.filter((s) => inside(s.end, b0, b1)).length), groups };
    }
    case 'top_mods': {
      const seconds = (s, b0, b1) => Math.max(0, Math.min(s.end, b1) - Math.max(s.start, b0)) / 1000;
      const all = new Map();
      for (const s of sessions) for (const mod of s.mods) {
        const key = String(mod);
        if (!all.has(key)) all.set(key, { total: 0, points: buckets.map(() => 0) });
        const g = all.get(key);
        buckets.forEach(([b0, b1], k) => { g.points[k] += seconds(s, b0, b1); });
        g.total += seconds(s, from, to);
      }
      const top = [...all.entries()].sort((a, b) => (b[1].total - a[1].total) || (a[0] < b[0] ? -1 : 1)).slice(0, 10);
      return {
        total: sessions.reduce((a, s) => a + s.mods.length * seconds(s, from, to), 0),
        points: buckets.map(([b0, b1]) => sessions.reduce((a, s) => a + s.mods.length * seconds(s, b0, b1), 0)),
        groups: new Map(top), ordered: top.map(([k]) => k),
      };
    }
    default: throw new Error(metric);
  }
}

function close(a, b) { return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)); }

function assertSeries(got, want, what) {
  assert.ok(close(got.total, want.total), `${what}: total ${got.total}, want ${want.total}`);
  assert.equal(got.points.length, want.points.length, `${what}: number of points`);
  got.points.forEach((p, k) => {
    if (!close(p.v, want.points[k])) assert.fail(`${what}: point ${k} (t=${p.t}) is ${p.v}, want ${want.points[k]}`);
  });
}

// ---------------------------------------------------------------------------------------------

describe('insights over a simulated population', () => {
  let srv;
  let game;
  let token;
  let sessions;
  const counters = { requests: 0, refused: 0 };
  const nowMs = Date.now();

  const get = (p, auth = token) => ps.request(srv.port, { path: p, headers: auth ? { Authorization: `Bearer ${auth}` } : {} });

  before(async () => {
    srv = await ps.startServer({ name: 'population', args: ['--session-window', '86400', '--session-timeout', '3', '--player-rate', '1000000'] });
    game = await ps.createGame(srv.dataDir, 'Population');
    token = (await ps.runCli(['api-token', 'create', '--data', srv.dataDir])).stdout.trim();
    sessions = simulate(3000, nowMs);
    const tokens = new Map();
    for (const s of sessions) if (!tokens.has(s.player)) tokens.set(s.player, m.playerToken(game, s.player, 7200));
    let next = 0;
    await Promise.all(Array.from({ length: 48 }, async () => {
      while (next < sessions.length) await play(srv.port, game, sessions[next++], tokens, counters);
    }));
    // Abandoned sessions are over once no request came for the timeout (3 s).
    await ps.sleep(3500);
  });
  after(async () => { if (srv) await srv.stop(); });

  it('every request of the population was answered 204, and every replay refused', () => {
    assert.ok(counters.requests > 9000, `${counters.requests} requests`);
    const misbehaving = sessions.filter((s) => s.misbehave).length;
    assert.equal(counters.refused, 2 * misbehaving, `seed ${SEED}`);
  });

  const METRICS = ['ccu', 'concurrent_ugc', 'total_players', 'sessions', 'avg_playtime', 'avg_ugc_per_session', 'session_length_histogram', 'top_mods'];
  const VARIANTS = [{}, { platform: 'windows' }, { portal: 'steam' }, { platform: 'windows', portal: 'steam' },
    { group_by: 'platform' }, { group_by: 'portal' }, { portal: 'unknown', group_by: 'platform' }];
  const RESOLUTIONS = [
    ['hour', HOUR, () => [nowMs - 21 * HOUR, nowMs]],
    ['day', DAY, () => [nowMs - 21 * HOUR, nowMs]],
    ['minute', MIN, () => [nowMs - 8 * HOUR, nowMs - 5 * HOUR]],
  ];

  for (const [interval, step, rangeOf] of RESOLUTIONS) {
    it(`every metric by ${interval}, filtered and grouped, equals the reference computed from the record`, async () => {
      const [fromMs, toMs] = rangeOf();
      const from = Math.floor(fromMs / step) * step;
      const to = Math.ceil(toMs / step) * step;
      let compared = 0;
      for (const metric of METRICS) {
        for (const variant of VARIANTS) {
          const grouped = metric === 'session_length_histogram' || metric === 'top_mods';
          if (grouped && variant.group_by) continue;
          const q = new URLSearchParams({ from: String(Math.floor(fromMs / 1000)), to: String(Math.floor(toMs / 1000)), interval, ...variant });
          const res = await get(`/api/v1/games/${game.id}/metrics/${metric}?${q}`);
          const what = `${metric} ${q} (seed ${SEED})`;
          assert.equal(res.status, 200, `${what}: ${res.text.slice(0, 300)}`);
          assert.equal(res.json.metric, metric);
          assert.equal(res.json.from, from / 1000, `${what}: from widened to the ${interval}`);
          assert.equal(res.json.to, to / 1000, `${what}: to widened to the ${interval}`);
          assert.equal(res.json.interval, interval);
          const mine = sessions.filter((s) => (!variant.platform || s.platform === variant.platform) && (!variant.portal || s.portal === variant.portal));
          const want = reference(metric, mine, from, to, step);
          assertSeries(res.json, want, what);
          res.json.points.forEach((p, k) => assert.equal(p.t, (from + k * step) / 1000));
          if (variant.group_by) {
            const keys = [...new Set(mine.filter((s) => s.start < to).map((s) => s[variant.group_by]))].sort();
            const gotKeys = res.json.groups.map((g) => g.key);
            // Groups list the values that have sessions near the range; each equals its own subset.
            for (const g of res.json.groups) {
              assert.ok(keys.includes(g.key), `${what}: unexpected group ${g.key}`);
              assertSeries(g, reference(metric, mine.filter((s) => s[variant.group_by] === g.key), from, to, step), `${what} group ${g.key}`);
            }
            assert.deepEqual(gotKeys, [...gotKeys].sort(), `${what}: groups in key order`);
            for (const key of keys) {
              const sub = reference(metric, mine.filter((s) => s[variant.group_by] === key), from, to, step);
              if (sub.total > 0) assert.ok(gotKeys.includes(key), `${what}: group ${key} missing`);
            }
          } else if (want.groups) {
            const gotKeys = res.json.groups.map((g) => g.key);
            if (metric === 'top_mods') assert.deepEqual(gotKeys, want.ordered, `${what}: the 10 most played mods, in order`);
            else assert.deepEqual(gotKeys, [...want.groups.keys()], `${what}: histogram buckets`);
            for (const g of res.json.groups) assertSeries(g, want.groups.get(g.key), `${what} group ${g.key}`);
          } else {
            assert.equal(res.json.groups, undefined, `${what}: no groups`);
          }
          compared += 1;
        }
      }
      assert.equal(compared, METRICS.length * VARIANTS.length - 2 * 3);
    });
  }

  it('the population is not trivial: every histogram bucket, platform and portal has sessions', () => {
    for (const [key] of HISTOGRAM) {
      assert.ok(sessions.some((s) => HISTOGRAM.find(([, u]) => Math.floor((s.end - s.start) / 1000) < u)[0] === key), key);
    }
    for (const [, p] of PLATFORMS) assert.ok(sessions.some((s) => s.platform === p), p);
    for (const [, p] of PORTALS) assert.ok(sessions.some((s) => s.portal === p), p);
    assert.ok(sessions.filter((s) => s.abandoned).length > 300);
  });

  it('read API: 401 without or with a wrong token, 404 unknown game or metric, 400 bad parameters', async () => {
    for (const p of [`/api/v1/games/${game.id}/metrics/ccu`, `/api/v1/games/${game.id}/live`]) {
      for (const auth of [null, 'pst_wrong', `${token}x`]) {
        const res = await get(p, auth);
        assert.equal(res.status, 401, `${p} with ${auth}: ${res.text}`);
        assert.equal(res.json.error, 'unauthorized');
      }
    }
    assert.equal((await get('/api/v1/games/999999/metrics/ccu')).status, 404);
    assert.equal((await get(`/api/v1/games/${game.id}/metrics/nope`)).status, 404);
    for (const q of ['from=10&to=5', 'interval=week', 'from=x', 'group_by=mod', 'from=0&to=9000000000&interval=minute']) {
      const res = await get(`/api/v1/games/${game.id}/metrics/ccu?${q}`);
      assert.equal(res.status, 400, `${q}: ${res.text}`);
    }
    assert.equal((await get(`/api/v1/games/${game.id}/metrics/top_mods?group_by=platform`)).status, 400);
  });

  it('live: a start shows within a second, an end too', async () => {
    const live = async () => (await get(`/api/v1/games/${game.id}/live`)).json;
    const base = await live();
    assert.deepEqual([base.ccu, base.concurrent_ugc], [0, 0], 'the population is over');
    const player = 'live-player';
    const session = new m.Session({ port: srv.port, game, token: m.playerToken(game, player), ids: [7001, 7002] });
    m.assertNoContent(await session.start(), 'start');
    const started = Date.now();
    await ps.waitFor(async () => (await live()).ccu === 1, { timeoutMs: 1000, what: 'live ccu 1' });
    assert.equal((await live()).concurrent_ugc, 2);
    assert.ok(Date.now() - started <= 1000);
    m.assertNoContent(await session.end(), 'end');
    await ps.waitFor(async () => (await live()).ccu === 0, { timeoutMs: 1000, what: 'live ccu 0' });
  });
});
