'use strict';
// The insights read API (issue 3): GET /api/v1/games/{id}/metrics/{name} and /live.
//
// 1. The API's rules: bearer API tokens (`playstat api-token create`), 404 for an unknown game or
//    metric, 400 for a bad from/to/interval/group_by, live CCU and concurrent UGC within a second
//    of the 204 that changed them, half-open buckets, and refused heartbeats (replayed nonce,
//    lower order id, ended session) that change no metric.
// 2. A simulated population: thousands of sessions with known starts, ends, mods, platforms,
//    portals and abandoned sessions, placed over the last 20 hours, sent through the real HTTP
//    endpoints in every client variant; then every metric, with every filter and grouping, at
//    day, hour and minute resolution, is compared with the values the definitions of
//    src/store/sqlite/session_metrics.h give when computed here from the simulation's own record
//    (lib/insights.js referenceMetric), never from what the server stored.
//
// The simulation is seeded: the seed is printed; PLAYSTAT_SIM_SEED=<seed> replays the same
// population (relative to the current hour). PLAYSTAT_POP_SESSIONS changes its size.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');

const ps = require('./lib/playstat');
const { mulberry32 } = require('./lib/random');
const m = require('./lib/modio');
const ins = require('./lib/insights');

const PLATFORMS = ['source', 'windows', 'mac', 'linux', 'android', 'ios', 'xboxone', 'xboxseriesx', 'ps4',
  'ps5', 'switch', 'switch2', 'oculus', 'windowsserver', 'linuxserver'];
const PORTALS = ['apple', 'discord', 'epicgames', 'facebook', 'gog', 'google', 'itchio', 'nintendo', 'psn',
  'sso', 'steam', 'xboxlive'];

/** How the server must store an X-Modio-Platform / X-Modio-Portal value (PROTOCOLS.md §2). */
function canonical(list, sent) {
  if (typeof sent !== 'string') return 'unknown';
  return list.find((name) => name === sent.toLowerCase()) || 'unknown';
}

let playerSeq = 0;
function newPlayer(game, tag) {
  playerSeq += 1;
  const sub = `${tag}-${playerSeq}-${crypto.randomBytes(3).toString('hex')}`;
  return { sub, token: m.playerToken(game, sub) };
}

// =============================================================================================
// 1. The API's rules

describe('insights read API: tokens, errors, live, half-open buckets, refused heartbeats', () => {
  let srv;
  let token;
  let api;

  before(async () => {
    srv = await ps.startServer({ name: 'insights-api' });
    token = await ins.createApiToken(srv.dataDir, 'insights-test');
    api = new ins.InsightsClient(srv.port, token);
  });
  after(async () => { if (srv) await srv.stop(); });

  it('401 with a JSON error without a token, with a wrong one or another scheme; 200 with tokens from api-token create', async () => {
    const game = await ps.createGame(srv.dataDir, 'Auth Game');
    const second = await ins.createApiToken(srv.dataDir);
    assert.notEqual(second, token, 'each api-token create prints a new token');
    const paths = [ins.metricPath(game.id, 'ccu'), ins.metricPath(game.id, 'top_mods', { interval: 'day' }), ins.livePath(game.id)];
    const wrong = [
      ['no Authorization', null],
      ['an unknown token', `Bearer ${crypto.randomBytes(24).toString('hex')}`],
      ['a token one character off', `Bearer ${token.slice(0, -1)}${token.endsWith('a') ? 'b' : 'a'}`],
      ['the token without a scheme', token],
      ['Basic scheme', `Basic ${Buffer.from(`x:${token}`).toString('base64')}`],
      ['Bearer and nothing', 'Bearer '],
      ['a player JWT of the game', `Bearer ${m.playerToken(game, 'someone')}`],
    ];
    for (const p of paths) {
      for (const [what, auth] of wrong) ins.assertApiError(await api.get(p, { auth }), 401, `GET ${p} with ${what}`);
      for (const t of [token, second]) {
        const res = await api.get(p, { auth: `Bearer ${t}` });
        assert.equal(res.status, 200, `GET ${p} with a created token: ${res.status} ${res.text}`);
      }
      const lower = await api.get(p, { auth: `bearer  ${token}` });
      assert.equal(lower.status, 200, `GET ${p}: the scheme is case-insensitive and may be followed by several spaces: ${lower.status}`);
    }
    ins.assertApiError(await api.get('/api/v1/games/999999/metrics/ccu', { auth: null }), 401, 'unknown game without a token: 401 comes first');
  });

  it('404 for an unknown game or metric; 400 for a bad from, to, interval or group_by', async () => {
    const game = await ps.createGame(srv.dataDir, 'Errors Game');
    for (const p of ['/api/v1/games/999999/metrics/ccu', '/api/v1/games/0/metrics/ccu', '/api/v1/games/abc/metrics/ccu',
      '/api/v1/games/999999/live', '/api/v1/games/-1/live']) {
      ins.assertApiError(await api.get(p), 404, `GET ${p}`);
    }
    for (const name of ['nope', 'CCU', 'players', 'top_mod']) {
      ins.assertApiError(await api.get(ins.metricPath(game.id, name)), 404, `unknown metric ${name}`);
    }
    const now = ps.nowSec();
    const bad = [
      { from: 'abc' }, { to: 'xyz' }, { from: '' }, { to: '' }, { from: -60 }, { from: '1.5' }, { to: '12e3' },
      { from: now, to: now }, { from: now, to: now - 3600 }, { from: now - 60, to: now + 'x' },
      { interval: 'week' }, { interval: '' }, { interval: 'Hour' }, { interval: 'second' },
      { interval: 'minute', from: now - 70 * 86400, to: now }, // more than 100,000 points
      { group_by: 'mods' }, { group_by: '' }, { group_by: 'Platform' },
      { platform: '' }, { portal: '' }, // a filter without a value: leave it out instead
    ];
    for (const q of bad) {
      for (const name of ['ccu', 'sessions']) {
        ins.assertApiError(await api.get(ins.metricPath(game.id, name, q)), 400, `${name} ${JSON.stringify(q)}`);
      }
    }
    for (const name of ins.GROUPED_METRICS) {
      for (const by of ['platform', 'portal']) {
        ins.assertApiError(await api.get(ins.metricPath(game.id, name, { group_by: by })), 400, `${name} already has groups: group_by=${by}`);
      }
    }
    // The same queries, well formed, answer 200 with the documented shape (and every metric is known).
    for (const name of ins.METRICS) {
      const q = { from: now - 7200, to: now, interval: 'minute' };
      const a = await api.metric(game.id, name, q);
      assert.equal(a.points.length, 120 + (now % 60 ? 1 : 0), `${name}: one point per minute of the widened range`);
      if (!ins.GROUPED_METRICS.includes(name)) {
        const g = await api.metric(game.id, name, { ...q, group_by: 'platform' });
        assert.deepEqual(g.groups, [], `${name} group_by with no sessions: no groups`);
      }
    }
    const edge = await api.metric(game.id, 'sessions', { from: 0, to: 1, interval: 'day' });
    assert.deepEqual([edge.from, edge.to, edge.points.length], [0, 86400, 1], 'from 0 is allowed; to widens to the day');
  });

  it('live: a start raises ccu by one and concurrent_ugc by its new mods, an end lowers them, each within a second of the 204', async () => {
    const game = await ps.createGame(srv.dataDir, 'Live Game');
    const a = newPlayer(game, 'live-a');
    const b = newPlayer(game, 'live-b');
    const session = (who, ids, unit = 's') => new m.Session({ port: srv.port, game, token: who.token, ids, unit });

    const first = await api.live(game.id);
    assert.deepEqual([first.ccu, first.concurrent_ugc], [0, 0], 'a new game has nobody online');
    assert.ok(Math.abs(first.at - ps.nowSec()) <= 2, `"at" is the server's unix time in seconds: ${first.at}`);

    const timings = [];
    async function expectLive(res, what, ccu, ugc) {
      m.assertNoContent(res, what);
      const answeredAt = res.at;
      let last;
      for (;;) {
        last = await api.live(game.id);
        if (last.ccu === ccu && last.concurrent_ugc === ugc) break;
        if (Date.now() - answeredAt > 1000) {
          assert.fail(`${what}: live must show ccu ${ccu}, concurrent_ugc ${ugc} within 1 s of the 204; still ${JSON.stringify(last)}`);
        }
        await ps.sleep(20);
      }
      timings.push(Date.now() - answeredAt);
    }

    const a1 = session(a, [1, 2]);
    await expectLive(await a1.start(), 'player A starts with mods 1,2', 1, 2);
    const b1 = session(b, [2, 3, 4], 'ms');
    await expectLive(await b1.start(), 'player B starts with mods 2,3,4 (ms timestamps)', 2, 4);
    const a2 = session(a, [5]);
    await expectLive(await a2.start(), 'player A starts a second session with mod 5 (still one player)', 2, 5);
    await expectLive(await a1.heartbeat(), 'a heartbeat changes nothing', 2, 5);
    await expectLive(await b1.end(), 'player B ends: mods 3,4 leave, 2 stays (A plays it)', 1, 3);
    await expectLive(await a1.end(), 'player A ends the first session: still online with mod 5', 1, 1);
    await expectLive(await a2.end(), 'player A ends the second session', 0, 0);
    const steady = await api.live(game.id);
    assert.deepEqual([steady.ccu, steady.concurrent_ugc], [0, 0], 'nobody online after every end');
    assert.ok(timings.every((ms) => ms <= 1000), `answers within a second: ${timings}`);
  });

  it('buckets are half-open: a session ending on a bucket boundary is not in the next bucket, one starting on it is', async () => {
    const game = await ps.createGame(srv.dataDir, 'Boundaries Game');
    const a = newPlayer(game, 'edge-a');
    const b = newPlayer(game, 'edge-b');
    const M = Math.floor(ps.nowSec() / 60) * 60 - 60; // a minute boundary 60 to 120 s ago
    // A: [M-45, M) with mods 11,12; B: [M-60, M-50) with mods 12,13 (starts on a boundary).
    const sa = new m.Session({ port: srv.port, game, token: a.token, ids: [11, 12] });
    m.assertNoContent(await sa.start({ ts: M - 45 }), 'A start');
    m.assertNoContent(await sa.heartbeat({ ts: M - 20 }), 'A heartbeat');
    m.assertNoContent(await sa.end({ ts: M }), 'A end on the boundary');
    const sb = new m.Session({ port: srv.port, game, token: b.token, ids: [12, 13], unit: 'ms' });
    m.assertNoContent(await sb.start({ ts: (M - 60) * 1000 }), 'B start on the boundary');
    m.assertNoContent(await sb.end({ ts: (M - 50) * 1000 }), 'B end');

    const range = { from: M - 120, to: M + 60, interval: 'minute' };
    const record = [
      { player: a.sub, mods: [11, 12], startMs: (M - 45) * 1000, endMs: M * 1000 },
      { player: b.sub, mods: [12, 13], startMs: (M - 60) * 1000, endMs: (M - 50) * 1000 },
    ];
    const answers = {};
    for (const name of ins.METRICS) answers[name] = await api.metric(game.id, name, range);
    const values = (name) => answers[name].points.map((p) => p.v);
    const problems = [];
    const expectPoints = (name, want) => {
      if (JSON.stringify(values(name)) !== JSON.stringify(want)) {
        problems.push(`${name} per minute [M-120, M-60, M]: expected ${JSON.stringify(want)}, got ${JSON.stringify(values(name))}`);
      }
    };
    expectPoints('ccu', [0, 1, 0]);
    expectPoints('concurrent_ugc', [0, 2, 0]);
    expectPoints('total_players', [0, 2, 0]);
    expectPoints('sessions', [0, 2, 0]);
    expectPoints('avg_playtime', [0, 10, 45]);
    expectPoints('top_mods', [0, 110, 0]);
    for (const name of ins.METRICS) {
      for (const d of ins.diffAnswer(answers[name], ins.referenceMetric(name, record, range), name, { rel: 1e-9 })) {
        problems.push(`${name}: ${d}`);
      }
    }
    assert.deepEqual(problems, [], `half-open [start, end) buckets (M = ${M})`);
  });

  it('replayed nonces, resends, lower order ids, requests to an ended session and a late older heartbeat change no metric', async () => {
    const game = await ps.createGame(srv.dataDir, 'Refusals Game');
    const p1 = newPlayer(game, 'dup-1');
    const p2 = newPlayer(game, 'dup-2');
    const now = ps.nowSec();
    // S1 (ended), S2 and S3 (open, with a last heartbeat in the future so that their end does not
    // move with the clock while the answers are compared).
    const s1 = new m.Session({ port: srv.port, game, token: p1.token, ids: [21, 22], platform: 'PS5', portal: 'PSN' });
    m.assertNoContent(await s1.start({ ts: now - 300, orderId: 1 }), 'S1 start');
    m.assertNoContent(await s1.heartbeat({ ts: now - 200, orderId: 2 }), 'S1 heartbeat');
    m.assertNoContent(await s1.heartbeat({ ts: now - 100, orderId: 3 }), 'S1 heartbeat');
    const s1End = s1.build('end', { ts: now - 50, orderId: 4 });
    m.assertNoContent(await s1.end({ fields: s1End }), 'S1 end');
    const s2 = new m.Session({ port: srv.port, game, token: p2.token, ids: [22, 23, 24], unit: 'ms', platform: 'Windows', portal: 'Steam' });
    const s2Start = s2.build('start', { ts: (now - 250) * 1000, orderId: 2 });
    m.assertNoContent(await s2.start({ fields: s2Start }), 'S2 start (order id 2)');
    const s2Beat = s2.build('heartbeat', { ts: (now - 150) * 1000 + 123, orderId: 3 });
    m.assertNoContent(await s2.heartbeat({ fields: s2Beat }), 'S2 heartbeat');
    m.assertNoContent(await s2.heartbeat({ ts: (now + 400) * 1000, orderId: 4 }), 'S2 heartbeat ahead of the clock');
    const s3 = new m.Session({ port: srv.port, game, token: p1.token, ids: [25], platform: 'linux' });
    m.assertNoContent(await s3.start({ ts: now - 280, orderId: 1 }), 'S3 start (same player as S1, overlapping)');
    m.assertNoContent(await s3.heartbeat({ ts: now + 300, orderId: 2 }), 'S3 heartbeat ahead of the clock');

    const queries = [];
    for (const [interval, from, to] of [['minute', now - 600, now + 600], ['hour', now - 7200, now + 3600], ['day', now - 86400, now + 86400]]) {
      for (const name of ins.METRICS) {
        queries.push([name, { from, to, interval }]);
        queries.push([name, { from, to, interval, platform: 'windows' }]);
        if (!ins.GROUPED_METRICS.includes(name)) {
          queries.push([name, { from, to, interval, group_by: 'platform' }]);
          queries.push([name, { from, to, interval, group_by: 'portal' }]);
        }
      }
    }
    const snapshot = async () => {
      const out = [];
      for (const [name, q] of queries) out.push(await api.metric(game.id, name, q));
      const live = await api.live(game.id);
      out.push({ ccu: live.ccu, concurrent_ugc: live.concurrent_ugc });
      return out;
    };
    const before = await snapshot();
    const wholeOf = (name) => before[queries.findIndex(([n, q]) => n === name && q.interval === 'day' && !q.platform && !q.group_by)].total;
    assert.equal(wholeOf('sessions'), 3, 'three sessions are in the answers');
    assert.equal(wholeOf('ccu'), 2, 'two players at the peak');
    assert.deepEqual(before[before.length - 1], { ccu: 2, concurrent_ugc: 4 }, 'live: S2 and S3 are active');

    const replayed = s2.build('heartbeat', { nonce: s2Beat.session_nonce, ts: (now + 800) * 1000, orderId: 9 });
    m.assertModioError(await s2.heartbeat({ fields: replayed }), 409, 13010, 'S2 heartbeat replaying a nonce (later ts, higher order id)');
    m.assertNoContent(await s2.heartbeat({ fields: s2Beat }), 'S2 heartbeat sent twice, byte for byte (a resend: 204, changes nothing)');
    m.assertModioError(await s2.heartbeat({ ts: (now + 850) * 1000, orderId: 3 }), 409, 13011, 'S2 heartbeat with a lower order id (3 < 4)');
    m.assertModioError(await s2.end({ ts: (now + 900) * 1000, orderId: 1 }), 409, 13011, 'S2 end with a lower order id');
    m.assertModioError(await s3.heartbeat({ ts: now + 500, orderId: 1 }), 409, 13011, 'S3 heartbeat with a lower order id (1 < 2)');
    m.assertNoContent(await s2.start({ fields: s2Start }), 'S2 start sent again (a resend)');
    m.assertModioError(await s2.start({ fields: { ...s2Start, session_order_id: 1 } }), 409, 13012, 'S2 start nonce with another order id');
    m.assertNoContent(await s1.end({ fields: s1End }), 'S1 end sent again after the end (a resend)');
    m.assertModioError(await s1.heartbeat({ ts: now - 40, orderId: 5 }), 404, 14000, 'S1 heartbeat after its end');
    // Delivered late: the same order id as the newest heartbeat, an older session_ts. Accepted
    // (order ids only must not go back), and the session keeps its latest time.
    m.assertNoContent(await s2.heartbeat({ ts: (now - 120) * 1000, orderId: 4 }), 'S2 late heartbeat, same order id, older ts');

    const afterRefusals = await snapshot();
    const changed = [];
    before.forEach((b, i) => {
      if (JSON.stringify(b) !== JSON.stringify(afterRefusals[i])) {
        const what = i < queries.length ? `${queries[i][0]} ${JSON.stringify(queries[i][1])}` : 'live';
        changed.push(`${what}: before ${JSON.stringify(b).slice(0, 300)} after ${JSON.stringify(afterRefusals[i]).slice(0, 300)}`);
      }
    });
    assert.deepEqual(changed, [], 'no metric answer changes');

    // Control: an accepted heartbeat that moves S2's last time does change answers.
    m.assertNoContent(await s2.heartbeat({ ts: (now + 700) * 1000, orderId: 5 }), 'S2 heartbeat moving its last time');
    const afterControl = await snapshot();
    const moved = before.filter((b, i) => JSON.stringify(b) !== JSON.stringify(afterControl[i])).length;
    assert.ok(moved > 0, 'the comparison sees an accepted heartbeat that extends a session');
  });
});

// =============================================================================================
// 2. A simulated population


const MOD_POOL = [1, 2, 3, 7, 9, 10, 11, 12, 42, 99, 100, 101, 256, 512, 999, 1000, 1001, 2024, 4096, 9999,
  10000, 12345, 54321, 65535, 99999, 100000, 123456, 777777, 1000000, 2345678, 9999999, 10000000,
  31415926, 123456789, 987654321, 1000000000, 2147483647, 2147483648, 4294967296, 9007199254740];
const ODD_PLATFORMS = ['amiga', 'Windows10', 'win', '', undefined, 'PS6', 'xbox one'];
const ODD_PORTALS = ['origin', 'Steam Deck', '', undefined, 'itch', 'uplay'];
const MIN = 60000;
const HOUR = 3600000;

/**
 * Builds the population: sessions with their requests (kind, tsMs, orderId), how each is sent,
 * and what the server must make of it (platform, portal, mods, startMs, endMs).
 * Every time is on or before anchorMs; starts spread over the 20 hours before it.
 */
function simulate(seed, nSessions, nPlayers, anchorMs) {
  const rand = mulberry32(seed);
  const int = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  const skewed = (arr, power) => arr[Math.floor(arr.length * rand() ** power)];
  const oddCase = (s) => s.split('').map((c) => (rand() < 0.5 ? c.toUpperCase() : c)).join('');
  const header = (list, odd) => {
    const r = rand();
    if (r < 0.7) return skewed(list, 1.8);
    if (r < 0.85) return oddCase(skewed(list, 1.5));
    return pick(odd);
  };
  const spanStart = anchorMs - 20 * HOUR;
  const sessions = [];
  for (let i = 0; i < nSessions; i++) {
    const unit = rand() < 0.6 ? 's' : 'ms';
    const grain = unit === 's' ? 1000 : 1;
    const floorTo = (t, g) => Math.floor(t / g) * g;
    // Length: every histogram bucket, and some lengths exactly on a bucket edge.
    let lenMs;
    const r = rand();
    if (r < 0.06) {
      lenMs = pick([300000, 1800000, 3600000, 7200000, 299000, unit === 'ms' ? 299999 : 1799000]);
    } else {
      const cat = r < 0.3 ? [1, 299] : r < 0.55 ? [300, 1799] : r < 0.74 ? [1800, 3599] : r < 0.88 ? [3600, 7199] : [7200, 10800];
      lenMs = floorTo(int(cat[0] * 1000, cat[1] * 1000 + 999), grain);
      lenMs = Math.max(grain === 1000 ? 1000 : 1, lenMs);
    }
    let player = Math.floor(nPlayers * rand() ** 1.6);
    // Start: anywhere, on a minute or an hour, in the same minute as another session, or
    // overlapping another session of the same player.
    let startMs = spanStart + Math.floor(rand() * (20 * HOUR - lenMs));
    const r2 = rand();
    if (r2 < 0.08) startMs = floorTo(startMs, MIN);
    else if (r2 < 0.11) startMs = floorTo(startMs, HOUR);
    else if (r2 < 0.21 && i > 0) startMs = floorTo(pick(sessions).startMs, MIN) + int(0, 59999);
    else if (r2 < 0.30 && i > 0) {
      const other = pick(sessions);
      player = other.playerIndex;
      startMs = other.startMs + Math.floor(rand() * Math.max(1, other.endMs - other.startMs));
    }
    startMs = floorTo(startMs, grain);
    let endMs = startMs + lenMs;
    const r3 = rand();
    if (r3 < 0.05) endMs = Math.ceil(endMs / MIN) * MIN;
    else if (r3 < 0.07) endMs = Math.ceil(endMs / HOUR) * HOUR;
    if (endMs > anchorMs) { // keep it in the past (a few end right on the anchor, an hour boundary)
      const len = endMs - startMs;
      startMs = floorTo(startMs - (endMs - anchorMs) - (rand() < 0.8 ? int(1, 1800000) : 0), grain);
      endMs = Math.min(anchorMs, startMs + len);
    }
    // Heartbeats: at most about 12 per session, a first one right after the start sometimes.
    const spacing = Math.max(150000, (endMs - startMs) / 12);
    const beats = [];
    if (rand() < 0.1) beats.push(startMs + (unit === 's' ? 1000 : int(1, 1500)));
    for (let t = startMs + spacing; t < endMs; t += spacing) {
      const ts = floorTo(Math.round(t + (rand() - 0.5) * 30000), grain);
      if (ts > (beats.length ? beats[beats.length - 1] : startMs) && ts < endMs) beats.push(ts);
    }
    while (beats.length && beats[beats.length - 1] >= endMs) beats.pop();
    // Abandoned: heartbeats stop (maybe before the first), no end; it ends at its last request.
    const abandoned = rand() < 0.15;
    if (abandoned) {
      beats.length = int(0, beats.length);
      endMs = beats.length ? beats[beats.length - 1] : startMs;
    }
    let order = rand() < 0.3 ? 2 : 1; // C++ starts at 1, Unity 2025 at 2
    const requests = [{ kind: 'start', tsMs: startMs, orderId: order }];
    for (const ts of beats) requests.push({ kind: 'heartbeat', tsMs: ts, orderId: ++order });
    if (!abandoned) requests.push({ kind: 'end', tsMs: endMs, orderId: beats.length && rand() < 0.3 ? order : order + 1 });
    const mods = [];
    const nMods = int(1, 5);
    while (mods.length < nMods) {
      const mod = skewed(MOD_POOL, 1.6);
      if (!mods.includes(mod)) mods.push(mod);
    }
    const platformSent = header(PLATFORMS, ODD_PLATFORMS);
    const portalSent = header(PORTALS, ODD_PORTALS);
    const encR = rand();
    sessions.push({
      index: i,
      sessionId: `pop-${seed}-${i}-${int(0, 1e9).toString(36)}`,
      playerIndex: player,
      unit,
      encoding: encR < 0.5 ? 'json' : encR < 0.65 ? 'json-strings' : encR < 0.85 ? 'form-brackets' : 'form-comma',
      via: rand() < 0.8 ? 'host' : 'path',
      platformSent,
      portalSent,
      platform: canonical(PLATFORMS, platformSent),
      portal: canonical(PORTALS, portalSent),
      mods,
      requests,
      abandoned,
      startMs,
      endMs,
    });
  }
  for (let i = sessions.length - 1; i > 0; i--) { // send order: shuffled
    const j = Math.floor(rand() * (i + 1));
    [sessions[i], sessions[j]] = [sessions[j], sessions[i]];
  }
  return { sessions, spanStart };
}

describe('insights: a simulated population through the HTTP API, checked against its own record', () => {
  const SEED = process.env.PLAYSTAT_SIM_SEED ? Number(process.env.PLAYSTAT_SIM_SEED) >>> 0 : crypto.randomInt(0, 2 ** 32 - 1);
  const N_SESSIONS = Number(process.env.PLAYSTAT_POP_SESSIONS || 3000);
  const N_PLAYERS = Math.max(10, Math.round(N_SESSIONS * 0.27));
  const TIMEOUT_S = 3;
  let srv;
  let game;
  let api;
  let agent;
  let sim;
  let record; // what the metrics must be computed from: [{player, platform, portal, mods, startMs, endMs}]
  let lastAnswerAt = 0;
  let sent = null;

  before(async () => {
    srv = await ps.startServer({
      name: 'insights-pop',
      args: ['--session-window', '86400', '--session-timeout', String(TIMEOUT_S), '--player-rate', '100000'],
    });
    game = await ps.createGame(srv.dataDir, 'Population Game');
    agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
    api = new ins.InsightsClient(srv.port, await ins.createApiToken(srv.dataDir), { agent });
    const anchorMs = Math.floor(Date.now() / HOUR) * HOUR;
    sim = simulate(SEED, N_SESSIONS, N_PLAYERS, anchorMs);
    const players = Array.from({ length: N_PLAYERS }, (_, i) => (i % 7 === 0 ? `user${i}@example.com` : `pop-player-${i}`));
    const tokens = players.map((sub) => m.playerToken(game, sub, 7200));
    for (const s of sim.sessions) {
      s.player = players[s.playerIndex];
      s.token = tokens[s.playerIndex];
    }
    record = sim.sessions.map((s) => ({
      player: s.player, platform: s.platform, portal: s.portal, mods: s.mods, startMs: s.startMs, endMs: s.endMs,
    }));
    console.log(`# population seed ${SEED} (PLAYSTAT_SIM_SEED=${SEED} replays it): ${N_SESSIONS} sessions, ${N_PLAYERS} players, `
      + `${sim.sessions.reduce((a, s) => a + s.requests.length, 0)} requests, anchor ${new Date(anchorMs).toISOString()}`);
  });
  after(async () => {
    if (agent) agent.destroy();
    if (srv) await srv.stop();
  });

  /** The body and headers of one request of a simulated session, in the session's client variant. */
  function wire(s, req) {
    const ts = s.unit === 's' ? req.tsMs / 1000 : req.tsMs;
    const strings = s.encoding === 'json-strings';
    let ids = s.mods;
    if (strings) ids = s.index % 2 ? s.mods.map(String) : s.mods.join(','); // older Unity: strings
    const fields = m.fields(req.kind, game.metrics_key, {
      ids: req.kind === 'start' ? ids : undefined,
      ts: strings ? String(ts) : ts,
      orderId: strings ? String(req.orderId) : req.orderId,
      sessionId: s.sessionId,
      nonce: `${s.sessionId}.${req.kind}.${req.orderId}.${req.tsMs}`,
    });
    const headers = { Authorization: `Bearer ${s.token}` };
    let body;
    if (s.encoding.startsWith('form')) {
      body = m.toForm(fields, s.encoding === 'form-comma' ? 'comma' : 'brackets');
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
    } else {
      body = JSON.stringify(fields);
      headers['Content-Type'] = 'application/json';
    }
    if (s.platformSent !== undefined) headers['X-Modio-Platform'] = s.platformSent;
    if (s.portalSent !== undefined) headers['X-Modio-Portal'] = s.portalSent;
    let path = `/v1/metrics/sessions/${req.kind}`;
    if (s.via === 'path') {
      path = `/g-${game.id}${path}`;
      headers.Host = `127.0.0.1:${srv.port}`;
    } else {
      headers.Host = `g-${game.id}.modapi.example`;
    }
    return { path, headers, body };
  }

  it('the simulation covers what the metrics distinguish', () => {
    const sessions = sim.sessions;
    const count = (f) => sessions.filter(f).length;
    const lengths = new Set(record.map((s) => ins.LENGTH_BUCKETS.findIndex((b) => (s.endMs - s.startMs) / 1000 < b.upToS)));
    assert.equal(lengths.size, 5, 'every session-length bucket has sessions');
    assert.ok(count((s) => s.abandoned) > N_SESSIONS * 0.1, 'abandoned sessions');
    assert.ok(count((s) => s.abandoned && s.requests.length === 1) > 0, 'abandoned right after the start');
    assert.ok(count((s) => s.startMs % MIN === 0) > N_SESSIONS * 0.05, 'starts on minute boundaries');
    assert.ok(count((s) => s.endMs % MIN === 0) > N_SESSIONS * 0.03, 'ends on minute boundaries');
    assert.ok(count((s) => s.endMs % HOUR === 0) > 0 && count((s) => s.startMs % HOUR === 0) > 0, 'ends and starts on hour boundaries');
    assert.ok(count((s) => s.platform === 'unknown') > 0 && count((s) => s.portal === 'unknown') > 0, 'unknown platforms and portals');
    assert.ok(count((s) => s.platformSent !== undefined && s.platformSent !== s.platform && s.platform !== 'unknown') > 0, 'oddly cased platforms');
    assert.ok(new Set(sessions.map((s) => `${s.unit}/${s.encoding}/${s.via}`)).size === 16, 'every client variant');
    const byPlayer = new Map();
    for (const s of record) byPlayer.set(s.player, [...(byPlayer.get(s.player) || []), s]);
    let overlapping = 0;
    for (const list of byPlayer.values()) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          if (list[i].startMs < list[j].endMs && list[j].startMs < list[i].endMs) overlapping++;
        }
      }
    }
    assert.ok(overlapping > N_SESSIONS * 0.05, `players with overlapping sessions: ${overlapping} pairs`);
    const minutes = new Map();
    for (const s of record) minutes.set(Math.floor(s.startMs / MIN), (minutes.get(Math.floor(s.startMs / MIN)) || 0) + 1);
    assert.ok([...minutes.values()].filter((n) => n > 1).length > N_SESSIONS * 0.05, 'several sessions starting in the same minute');
  });

  it('every request of the population is answered 204', async () => {
    const t0 = Date.now();
    const queue = [...sim.sessions];
    const statuses = new Map();
    const failures = [];
    let requests = 0;
    const worker = async () => {
      for (let s = queue.shift(); s; s = queue.shift()) {
        for (const req of s.requests) {
          const { path, headers, body } = wire(s, req);
          const res = await ps.request(srv.port, { method: 'POST', path, headers, body, agent });
          requests++;
          lastAnswerAt = Math.max(lastAnswerAt, Date.now());
          statuses.set(res.status, (statuses.get(res.status) || 0) + 1);
          if (res.status !== 204) {
            if (failures.length < 10) failures.push(`${req.kind} of session ${s.index} (${s.unit}, ${s.encoding}, ${s.via}): ${res.status} ${res.text.slice(0, 300)}`);
            break;
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 64 }, worker));
    const expected = sim.sessions.reduce((a, s) => a + s.requests.length, 0);
    console.log(`# sent ${requests} requests in ${Date.now() - t0} ms: ${JSON.stringify(Object.fromEntries(statuses))}`);
    assert.deepEqual(failures, [], 'every request answered 204');
    assert.deepEqual(Object.fromEntries(statuses), { 204: expected }, `${expected} requests, all 204`);
    sent = { requests };
  });

  /** Every metric x interval x filter equals the reference computed from record. */
  async function compareAll(record, label) {
    const t0 = Date.now();
    const anchorS = sim.spanStart / 1000 + 20 * 3600;
    const mostCommon = (key) => {
      const n = new Map();
      for (const s of record) n.set(s[key], (n.get(s[key]) || 0) + 1);
      return [...n.entries()].filter(([k]) => k !== 'unknown').sort((a, b) => b[1] - a[1])[0][0];
    };
    const platform = mostCommon('platform');
    const portal = mostCommon('portal');
    const full = { from: sim.spanStart / 1000 - 1234, to: anchorS + 77 };
    const sub = { from: sim.spanStart / 1000 + 8 * 3600 + 17, to: sim.spanStart / 1000 + 11 * 3600 + 12 };
    const filters = [
      {}, { platform }, { platform: 'unknown' }, { portal }, { portal: 'unknown' }, { platform, portal },
      { group_by: 'platform' }, { group_by: 'portal' }, { platform, group_by: 'portal' },
    ];
    const plan = [];
    for (const [interval, range] of [['day', full], ['hour', full], ['minute', sub]]) {
      for (const name of ins.METRICS) {
        for (const f of filters) {
          if (f.group_by && ins.GROUPED_METRICS.includes(name)) continue;
          plan.push({ name, query: { from: range.from, to: range.to, interval, ...f } });
        }
      }
    }
    plan.push({ name: 'sessions', query: { from: full.from, to: full.to, platform: 'amiga' } }); // stored as unknown: matches none
    plan.push({ name: 'top_mods', query: { from: full.from, to: full.to } }); // interval omitted: hour

    const mismatches = [];
    let checked = 0;
    const inFlight = 4;
    const queue = [...plan];
    const worker = async () => {
      for (let p = queue.shift(); p; p = queue.shift()) {
        const { name, query } = p;
        const got = await api.metric(game.id, name, query);
        const range = ins.alignRange(query.from, query.to, query.interval || 'hour');
        const what = `${name} ${JSON.stringify(query)}`;
        const head = [];
        if (got.from !== range.from || got.to !== range.to) head.push(`from/to: expected ${range.from}/${range.to} (whole UTC intervals), got ${got.from}/${got.to}`);
        if (got.interval !== range.interval) head.push(`interval: expected ${range.interval}, got ${got.interval}`);
        const subset = record.filter((s) => (!query.platform || s.platform === query.platform) && (!query.portal || s.portal === query.portal));
        let want;
        if (query.group_by) {
          want = ins.referenceMetric(name, subset, range);
          const keys = [...new Set(subset.map((s) => s[query.group_by]))];
          want.groups = keys.map((key) => ({ key, ...ins.referenceMetric(name, subset.filter((s) => s[query.group_by] === key), range) }));
        } else {
          want = ins.referenceMetric(name, subset, range);
        }
        const rel = ['avg_playtime', 'avg_ugc_per_session', 'top_mods'].includes(name) ? 1e-9 : 0;
        const diffs = [...head, ...ins.diffAnswer(got, want, name, { rel, groupBy: Boolean(query.group_by) })];
        checked += 1 + (got.groups || []).length;
        if (diffs.length) mismatches.push({ what, diffs });
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    console.log(`# ${label}: compared ${plan.length} answers (${checked} series) in ${Date.now() - t0} ms`);

    // The answers are not vacuous: the population is in them.
    const whole = await api.metric(game.id, 'sessions', { from: full.from, to: full.to, interval: 'day' });
    assert.equal(whole.total, record.length, `${label}: every session of the record is counted once`);

    if (mismatches.length) {
      const byMetric = {};
      for (const mm of mismatches) {
        const key = `${mm.what.split(' ')[0]} ${JSON.parse(mm.what.slice(mm.what.indexOf(' ') + 1)).interval || 'hour'}`;
        byMetric[key] = (byMetric[key] || 0) + 1;
      }
      const text = mismatches.map((mm) => `${mm.what}\n  ${mm.diffs.join('\n  ')}`).join('\n');
      const file = ps.writeTestOut(`insights-population-${SEED}-${label.replace(/\W+/g, '-')}.txt`, `seed ${SEED}\n${text}\n`);
      const shown = mismatches.slice(0, 12).map((mm) => `${mm.what}\n    ${mm.diffs.slice(0, 4).join('\n    ')}${mm.diffs.length > 4 ? `\n    ... ${mm.diffs.length - 4} more` : ''}`);
      assert.fail(`seed ${SEED}, ${label}: ${mismatches.length} of ${plan.length} answers differ from the reference `
        + `(${JSON.stringify(byMetric)}); all in ${file}\n${shown.join('\n')}`);
    }
  }

  it('every metric, filtered and grouped, at day, hour and minute resolution, equals the reference computed from the simulation', async () => {
    assert.ok(sent, 'the population was sent');
    // Abandoned sessions are over once no request has come for the timeout.
    const wait = lastAnswerAt + TIMEOUT_S * 1000 + 700 - Date.now();
    if (wait > 0) await ps.sleep(wait);
    await compareAll(record, 'everyone');
  });

  it('deleting a player: every metric equals the reference without the player, and the id is in no file', async () => {
    const count = new Map();
    for (const s of record) count.set(s.player, (count.get(s.player) || 0) + 1);
    // The busiest player whose id looks like an e-mail address (what a deletion request names).
    const [victim, theirs] = [...count].filter(([p]) => p.includes('@')).sort((a, b) => b[1] - a[1])[0];
    const admin = (await ps.runCli(['api-token', 'create', '--data', srv.dataDir, '--role', 'admin'])).stdout.trim();
    const del = () => ps.request(srv.port, { method: 'DELETE', path: `/api/v1/games/${game.id}/players/${encodeURIComponent(victim)}`,
      headers: { Authorization: `Bearer ${admin}` } });
    const res = await del();
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.removed, { events: 0, rejected_events: 0, metrics_sessions: theirs });
    assert.deepEqual((await del()).json.removed, { events: 0, rejected_events: 0, metrics_sessions: 0 }, 'idempotent');
    await compareAll(record.filter((s) => s.player !== victim), 'without one player');
    for (const [file, bytes] of ps.filesOf(srv.dataDir)) {
      assert.equal(bytes.indexOf(victim), -1, `the player's id is in ${file}`);
    }
  });
});
