'use strict';
// Insights over analytics events, end to end: a simulated player base (installs spread over 40
// days, retention decaying with time, 1 to 3 sessions on active days, a paying minority in two
// currencies, platforms, builds and custom_01 values) sends GameAnalytics v2 events through
// POST /v2/{game_key}/events with client_ts in the past, in shuffled batches. Once the
// background rollups caught up, every metric (dau, wau, mau, new_users, sessions,
// avg_session_length, sessions_per_user, revenue, paying_users, arpdau, arppu, conversion,
// retention), unfiltered, filtered by platform, build and custom_01, and grouped by platform
// and build, is compared point by point with values computed here from the simulation's record.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const zlib = require('node:zlib');

const ps = require('./lib/playstat');
const { readParquet } = require('./lib/parquet_read');
const ev = require('./lib/events');
const { mulberry32, simulationSeed } = require('./lib/random');

const SEED = simulationSeed(777);
const DAY = 86400;
const PLATFORMS = [['ios', 'ios 17.1'], ['android', 'android 13'], ['windows', 'windows 10.0']];
const BUILDS = ['1.0.0', '1.1.0'];
const LEVELS = ['World1:Level1', 'World1:Level2', 'World1:Level2:Boss', 'World2:Level1'];
const RESOURCES = ['Source:Gold:Reward:Quest', 'Source:Gold:IAP:Pack', 'Sink:Gold:Shop:Sword', 'Sink:Gems:Boost:MegaBoost'];
const DESIGNS = ['Combat:Kill:Sword', 'Combat:Kill:Bow', 'Combat:Death', 'UI:Open:Shop'];
const ERRORS = ['NullReferenceException', 'IndexOutOfRange', 'Timeout talking to server'];

/** Events of the simulation, each with what the reference needs. */
function simulate(players, days, todayDay) {
  const rnd = mulberry32(SEED);
  const events = [];
  const firstDay = todayDay - days;
  for (let p = 0; p < players; p++) {
    const user = `sim-user-${SEED}-${p}-u`; // the suffix: no id is the start of another (the deletion test searches the files for one)
    const install = firstDay + Math.floor(rnd() * days);
    const [platform, osVersion] = PLATFORMS[Math.floor(rnd() * PLATFORMS.length)];
    const custom = rnd() < 0.5 ? 'a' : 'b';
    const payer = rnd() < 0.15;
    const currency = rnd() < 0.7 ? 'USD' : 'EUR';
    let sessionNum = 0;
    for (let day = install; day < todayDay; day++) {
      const age = day - install;
      if (age > 0 && rnd() > 0.6 * Math.exp(-age / 8)) continue; // retention decays
      const build = day - firstDay < days / 2 ? BUILDS[0] : BUILDS[1]; // an update mid-way
      const sessions = 1 + Math.floor(rnd() * 3);
      for (let s = 0; s < sessions; s++) {
        sessionNum += 1;
        const session = { user_id: user, session_id: crypto.randomUUID(), session_num: sessionNum };
        const t = day * DAY + 3600 + s * 7200 + Math.floor(rnd() * 3000);
        const dims = { platform, os_version: osVersion, build, custom_01: custom, client_ts: t };
        events.push({ day, user, ...dims, category: 'user', body: ev.makeEvent('user', session, dims) });
        events.push({ day, user, ...dims, category: 'design', event_id: 'GamePlay:Kill:AlienSmurf', value: 0.1, body: ev.makeEvent('design', session, { ...dims, client_ts: t + 60 }) });
        if (payer && rnd() < 0.3) {
          const amount = [99, 499, 999][Math.floor(rnd() * 3)];
          events.push({ day, user, ...dims, category: 'business', amount, currency,
            body: ev.makeEvent('business', session, { ...dims, client_ts: t + 120, amount, currency }) });
        }
        // Progression, resources, design, errors and ads: the families.
        const level = LEVELS[Math.floor(rnd() * LEVELS.length)];
        const attempt = 1 + Math.floor(rnd() * 4);
        const outcome = rnd() < 0.6 ? 'Complete' : 'Fail';
        const extra = [
          // As the official C++ SDK (5.4.0, 3.2.6) sends them: attempt_num on Complete only.
          ['progression', { event_id: `Start:${level}` }],
          ['progression', outcome === 'Complete' ? { event_id: `${outcome}:${level}`, attempt_num: attempt } : { event_id: `${outcome}:${level}` }],
          ['resource', { event_id: RESOURCES[Math.floor(rnd() * RESOURCES.length)], amount: 5 + Math.floor(rnd() * 50) }],
          ['design', { event_id: DESIGNS[Math.floor(rnd() * DESIGNS.length)], value: Math.round(rnd() * 1000) / 10 }],
        ];
        if (rnd() < 0.2) extra.push(['error', { severity: rnd() < 0.5 ? 'error' : 'critical', message: `${ERRORS[Math.floor(rnd() * ERRORS.length)]}\n  at Level.Load ()` }]);
        if (rnd() < 0.3) extra.push(['ads', { ad_sdk_name: rnd() < 0.5 ? 'admob' : 'unityads', ad_type: 'rewarded_video', ad_placement: rnd() < 0.5 ? 'end_of_level' : 'shop', ad_action: rnd() < 0.8 ? 'show' : 'clicked' }]);
        extra.forEach(([category, fields], k) => {
          events.push({ day, user, ...dims, category, ...fields, body: ev.makeEvent(category, session, { ...dims, client_ts: t + 70 + k, ...fields }) });
        });
        if (rnd() < 0.9) {
          const length = 60 + Math.floor(rnd() * 3000);
          events.push({ day, user, ...dims, category: 'session_end', length,
            body: ev.makeEvent('session_end', session, { ...dims, client_ts: t + 130, length }) });
        }
      }
    }
  }
  return events;
}

// ---- the reference ----

const uniq = (list) => new Set(list).size;
const ratio = (a, b) => (b ? a / b : 0);

/** metric over the events that pass the filter ([dimension, value] or null); new users and
 * cohorts are users whose first `user` event (among all events) passes it. */
function reference(metric, all, filter, fromDay, toDay, todayDay) {
  const events = filter ? all.filter((e) => e[filter[0]] === filter[1]) : all;
  const days = [];
  for (let d = fromDay; d < toDay; d++) days.push(d);
  const on = (d) => events.filter((e) => e.day === d);
  const within = (a, b) => events.filter((e) => e.day >= a && e.day < b);
  const usersOf = (list) => uniq(list.map((e) => e.user));
  const payersOf = (list) => usersOf(list.filter((e) => e.category === 'business'));
  const revenueOf = (list) => list.filter((e) => e.category === 'business').reduce((a, e) => a + e.amount, 0);
  const usdOf = (list) => revenueOf(list.filter((e) => e.currency === 'USD'));
  const sessionsOf = (list) => list.filter((e) => e.category === 'user').length;
  const firstDay = new Map();
  const firstEvent = new Map();
  for (const e of [...all].sort((a, b) => a.day - b.day)) if (e.category === 'user' && !firstEvent.has(e.user)) firstEvent.set(e.user, e);
  for (const [u, e] of firstEvent) if (!filter || e[filter[0]] === filter[1]) firstDay.set(u, e.day);
  const range = within(fromDay, toDay);
  const perDay = (f) => days.map((d) => f(on(d), d));
  switch (metric) {
    case 'dau': return { points: perDay((l) => usersOf(l)), total: usersOf(range) };
    case 'wau': return { points: perDay((_, d) => usersOf(within(d - 6, d + 1))), total: usersOf(range) };
    case 'mau': return { points: perDay((_, d) => usersOf(within(d - 29, d + 1))), total: usersOf(range) };
    case 'new_users': {
      const points = perDay((_, d) => [...firstDay.values()].filter((f) => f === d).length);
      return { points, total: points.reduce((a, b) => a + b, 0) };
    }
    case 'sessions': return { points: perDay(sessionsOf), total: sessionsOf(range) };
    case 'avg_session_length': {
      const mean = (l) => { const s = l.filter((e) => e.category === 'session_end'); return ratio(s.reduce((a, e) => a + e.length, 0), s.length); };
      return { points: perDay(mean), total: mean(range) };
    }
    case 'sessions_per_user': return { points: perDay((l) => ratio(sessionsOf(l), usersOf(l))), total: ratio(sessionsOf(range), usersOf(range)) };
    case 'revenue': {
      const groups = new Map();
      for (const c of [...new Set(range.filter((e) => e.category === 'business').map((e) => e.currency))].sort()) {
        const points = perDay((l) => revenueOf(l.filter((e) => e.currency === c)));
        groups.set(c, { points, total: points.reduce((a, b) => a + b, 0) });
      }
      // The whole is in the game's reporting currency, USD, without exchange rates: EUR is left
      // out (insights_money.test.js checks conversions); the groups stay in their own cents.
      return { points: perDay(usdOf), total: usdOf(range), groups };
    }
    case 'paying_users': return { points: perDay(payersOf), total: payersOf(range) };
    case 'arpdau': {
      const dauSum = days.reduce((a, d) => a + usersOf(on(d)), 0);
      return { points: perDay((l) => ratio(usdOf(l), usersOf(l))), total: ratio(usdOf(range), dauSum) };
    }
    case 'arppu': return { points: perDay((l) => ratio(usdOf(l), payersOf(l))), total: ratio(usdOf(range), payersOf(range)) };
    case 'conversion': return { points: perDay((l) => ratio(payersOf(l), usersOf(l))), total: ratio(payersOf(range), usersOf(range)) };
    case 'retention': {
      const groups = new Map();
      const kept = new Array(30).fill(0);
      const sizes = new Array(30).fill(0);
      let total = 0;
      for (const c of days) {
        const cohort = [...firstDay.entries()].filter(([, f]) => f === c).map(([u]) => u);
        if (!cohort.length) continue;
        total += cohort.length;
        const points = [];
        for (let k = 1; k <= 30; k++) {
          if (c + k > todayDay) { points.push(0); continue; }
          const back = new Set(on(c + k).map((e) => e.user));
          const n = cohort.filter((u) => back.has(u)).length;
          points.push(n / cohort.length);
          kept[k - 1] += n;
          sizes[k - 1] += cohort.length;
        }
        groups.set(new Date(c * DAY * 1000).toISOString().slice(0, 10), { points, total: cohort.length });
      }
      return { points: kept.map((n, k) => ratio(n, sizes[k])), total, groups };
    }
    default: throw new Error(metric);
  }
}

/** A family's answer from the record: groups by rule, measure per fold (like ga_query.h). */
function familyReference(metric, params, all, filter, fromDay, toDay) {
  const events = (filter ? all.filter((e) => e[filter[0]] === filter[1]) : all).filter((e) => e.day >= fromDay && e.day < toDay);
  const drill = (id, given) => {
    const prefix = (given || '').replace(/:$/, ''); // World1: and World1 name one level
    if (!prefix) return id.split(':')[0];
    if (id === prefix) return prefix;
    if (!id.startsWith(`${prefix}:`)) return null;
    return `${prefix}:${id.slice(prefix.length + 1).split(':')[0]}`;
  };
  let rows = [];
  let measure = 'count';
  const status = { starts: 'Start', fails: 'Fail', completes: 'Complete' }[params.measure || 'completes'];
  for (const e of events) {
    if ((metric === 'progression' || metric === 'funnel') && e.category === 'progression') {
      const [st, ...rest] = e.event_id.split(':');
      const id = rest.join(':');
      if (st !== (params.measure === 'attempts' ? 'Complete' : status)) continue; // attempts: of Completes
      // A funnel step covers the id itself and its parts (World1:Level2 covers World1:Level2:Boss);
      // the longest covering step takes the event.
      const covering = metric === 'funnel'
        ? params.steps.split(',').filter((st2) => id === st2 || id.startsWith(`${st2}:`)).sort((a, b) => b.length - a.length)[0] : null;
      const key = metric === 'funnel' ? (covering === undefined ? null : covering) : drill(id, params.prefix);
      if (key !== null) rows.push({ key, day: e.day, v: e.attempt_num });
      if (params.measure === 'attempts') measure = 'mean';
    } else if (metric === 'resources' && e.category === 'resource') {
      const parts = { currency: 2, item_type: 3, item_id: 4 }[params.by || 'currency'];
      rows.push({ key: e.event_id.split(':').slice(0, parts).join(':'), day: e.day, v: e.amount });
      measure = params.measure || 'sum';
    } else if (metric === 'design' && e.category === 'design') {
      const key = drill(e.event_id, params.prefix);
      if (key !== null) rows.push({ key, day: e.day, v: e.value });
      measure = params.measure || 'count';
    } else if (metric === 'errors' && e.category === 'error') {
      rows.push({ key: params.by === 'message' ? `${e.severity}|${e.message.split('\n')[0]}` : e.severity, day: e.day, v: 0 });
    } else if (metric === 'ads' && e.category === 'ads') {
      rows.push({ key: { action: e.ad_action, network: e.ad_sdk_name, type: e.ad_type, placement: e.ad_placement }[params.by || 'action'], day: e.day, v: 0 });
    }
  }
  const of = (list) => {
    if (measure === 'count') return list.length;
    if (!list.length) return 0;
    const vs = list.map((r) => r.v);
    if (measure === 'sum') return vs.reduce((a, b) => a + b, 0);
    if (measure === 'mean') return vs.reduce((a, b) => a + b, 0) / vs.length;
    return measure === 'min' ? Math.min(...vs) : Math.max(...vs);
  };
  const days = [];
  for (let d = fromDay; d < toDay; d++) days.push(d);
  const series = (list) => ({ points: days.map((d) => of(list.filter((r) => r.day === d))), total: of(list) });
  const groups = new Map();
  let keys = [...new Set(rows.map((r) => r.key))].sort();
  if (metric === 'funnel') keys = params.steps.split(',').filter((k) => keys.includes(k));
  if (metric === 'errors' && params.by === 'message') {
    keys = keys.sort((a, b) => rows.filter((r) => r.key === b).length - rows.filter((r) => r.key === a).length || (a < b ? -1 : 1)).slice(0, 10);
  }
  for (const k of keys) groups.set(k, series(rows.filter((r) => r.key === k)));
  return { ...series(rows), groups, ordered: keys };
}

const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function assertSeries(got, want, what) {
  assert.ok(close(got.total, want.total), `${what}: total ${got.total}, want ${want.total}`);
  assert.equal(got.points.length, want.points.length, `${what}: points`);
  got.points.forEach((p, k) => { if (!close(p.v, want.points[k])) assert.fail(`${what}: point ${k} (t=${p.t}) is ${p.v}, want ${want.points[k]}`); });
}

describe('insights over analytics events', () => {
  let srv;
  let game;
  let token;
  let events;
  const todayDay = Math.floor(Date.now() / 1000 / DAY);
  const get = (p) => ps.request(srv.port, { path: p, headers: { Authorization: `Bearer ${token}` } });

  before(async () => {
    srv = await ps.startServer({ name: 'event-insights' });
    game = await ps.createGame(srv.dataDir, 'Events Game');
    await ps.runCli(['game', 'set', '--data', srv.dataDir, '--game', String(game.id), '--currency', 'USD']);
    token = (await ps.runCli(['api-token', 'create', '--data', srv.dataDir])).stdout.trim();
    events = simulate(400, 40, todayDay);
    // Shuffled into batches: rollups must not depend on arrival order.
    const rnd = mulberry32(SEED + 1);
    const order = events.map((e, i) => [rnd(), i]).sort((a, b) => a[0] - b[0]).map(([, i]) => events[i]);
    for (let i = 0; i < order.length; i += 200) {
      const res = await ps.postEvents(srv.port, game, order.slice(i, i + 200).map((e) => e.body));
      assert.equal(res.status, 200, ps.describeRes(res));
    }
    // The rollups follow within seconds: wait until they account for every event.
    const expectedUsers = uniq(events.map((e) => e.user));
    await ps.waitFor(async () => {
      const res = await get(`/api/v1/games/${game.id}/metrics/dau?from=${(todayDay - 60) * DAY}&to=${todayDay * DAY + DAY - 1}&interval=day`);
      const sessions = await get(`/api/v1/games/${game.id}/metrics/sessions?source=events&from=${(todayDay - 60) * DAY}&to=${todayDay * DAY + DAY - 1}`);
      return res.status === 200 && res.json.total === expectedUsers && sessions.json.total === events.filter((e) => e.category === 'user').length;
    }, { timeoutMs: 30000, what: 'the event rollups to catch up' });
  });
  after(async () => { if (srv) await srv.stop(); });

  const METRICS = ['dau', 'wau', 'mau', 'new_users', 'sessions', 'avg_session_length', 'sessions_per_user', 'revenue',
    'paying_users', 'arpdau', 'arppu', 'conversion', 'retention'];
  const VARIANTS = [{}, { platform: 'ios' }, { build: '1.1.0' }, { custom_01: 'a' }, { group_by: 'platform' }, { group_by: 'build' }];

  /** Every metric x variant equals the reference over events. */
  async function compareMetrics(events) {
    const fromDay = todayDay - 35;
    const toDay = todayDay + 1;
    let compared = 0;
    for (const metric of METRICS) {
      for (const variant of VARIANTS) {
        if (metric === 'retention' && variant.group_by) continue;
        const q = new URLSearchParams({ from: String(fromDay * DAY), to: String(toDay * DAY - 1), interval: 'day', source: 'events', ...variant });
        const res = await get(`/api/v1/games/${game.id}/metrics/${metric}?${q}`);
        const what = `${metric} ${q} (seed ${SEED})`;
        assert.equal(res.status, 200, `${what}: ${res.text}`);
        const filter = Object.entries(variant).find(([k]) => k !== 'group_by') || null;
        if (!variant.group_by) {
          const want = reference(metric, events, filter, fromDay, toDay, todayDay);
          assertSeries(res.json, want, what);
          if (want.groups) {
            assert.deepEqual(res.json.groups.map((g) => g.key).sort(), [...want.groups.keys()].sort(), `${what}: groups`);
            for (const g of res.json.groups) assertSeries(g, want.groups.get(g.key), `${what} group ${g.key}`);
          }
        } else {
          assertSeries(res.json, reference(metric, events, null, fromDay, toDay, todayDay), `${what} whole`);
          const keys = [...new Set(events.filter((e) => e.day >= fromDay - 29).map((e) => e[variant.group_by]))].sort();
          assert.deepEqual(res.json.groups.map((g) => g.key), keys, `${what}: groups`);
          for (const g of res.json.groups) {
            assertSeries(g, reference(metric, events, [variant.group_by, g.key], fromDay, toDay, todayDay), `${what} group ${g.key}`);
          }
        }
        compared += 1;
      }
    }
    assert.equal(compared, METRICS.length * VARIANTS.length - 2);
  }

  /** Every family question equals the reference over events. */
  async function compareFamilies(events) {
    const fromDay = todayDay - 35;
    const toDay = todayDay + 1;
    const cases = [
      ['progression', {}], ['progression', { prefix: 'World1' }], ['progression', { prefix: 'World1:Level2' }],
      ['progression', { measure: 'starts' }], ['progression', { measure: 'fails', prefix: 'World1:' }],
      ['progression', { measure: 'attempts', prefix: 'World1' }],
      ['funnel', { steps: 'World1:Level1,World1:Level2,World1:Level2:Boss' }], ['funnel', { steps: 'World2:Level1,World1:Level1', measure: 'starts' }],
      ['funnel', { steps: 'World1,World1:Level2,World2' }], ['funnel', { steps: 'World1:Level1,World1:Level2', measure: 'attempts' }],
      ['resources', {}], ['resources', { by: 'item_type' }], ['resources', { by: 'item_id', measure: 'count' }],
      ['design', {}], ['design', { prefix: 'Combat' }], ['design', { prefix: 'Combat:Kill', measure: 'mean' }],
      ['design', { prefix: 'Combat:', measure: 'min' }], ['design', { measure: 'max' }], ['design', { measure: 'sum' }],
      ['errors', {}], ['errors', { by: 'message' }],
      ['ads', {}], ['ads', { by: 'network' }], ['ads', { by: 'placement' }], ['ads', { by: 'type' }],
    ];
    for (const [metric, params] of cases) {
      for (const filter of [null, ['platform', 'android'], ['custom_01', 'b']]) {
        const q = new URLSearchParams({ from: String(fromDay * DAY), to: String(toDay * DAY - 1), ...params, ...(filter ? { [filter[0]]: filter[1] } : {}) });
        const res = await get(`/api/v1/games/${game.id}/metrics/${metric}?${q}`);
        const what = `${metric} ${q} (seed ${SEED})`;
        assert.equal(res.status, 200, `${what}: ${res.text}`);
        const want = familyReference(metric, params, events, filter, fromDay, toDay);
        assertSeries(res.json, want, what);
        assert.deepEqual(res.json.groups.map((g) => g.key), want.ordered, `${what}: groups`);
        for (const g of res.json.groups) assertSeries(g, want.groups.get(g.key), `${what} group ${g.key}`);
      }
    }
  }

  it('every metric, filtered and grouped, equals the reference computed from the record', async () => {
    await compareMetrics(events);
  });

  it('progression, funnel, resources, design, errors and ads equal the record, with drilldown and filters', async () => {
    await compareFamilies(events);
    for (const bad of ['progression?measure=sum', 'funnel', 'resources?by=flow', 'design?measure=median', 'errors?by=severity&measure=sum', 'ads?by=country', 'design?group_by=platform']) {
      const res = await get(`/api/v1/games/${game.id}/metrics/${bad}`);
      assert.equal(res.status, 400, `${bad}: ${res.text}`);
    }
  });

  it('deleting a player: every metric equals the reference without the player, and the id is in no file', async () => {
    // The payer with the most events: revenue, retention, dau, every family changes.
    const count = new Map();
    for (const e of events) count.set(e.user, (count.get(e.user) || 0) + (e.category === 'business' ? 1000 : 1));
    const victim = [...count].sort((a, b) => b[1] - a[1])[0][0];
    const theirs = events.filter((e) => e.user === victim).length;
    const admin = (await ps.runCli(['api-token', 'create', '--data', srv.dataDir, '--role', 'admin'])).stdout.trim();
    const del = (auth) => ps.request(srv.port, { method: 'DELETE', path: `/api/v1/games/${game.id}/players/${encodeURIComponent(victim)}`,
      headers: auth ? { Authorization: `Bearer ${auth}` } : {} });
    assert.equal((await del(null)).status, 401, 'no token');
    assert.equal((await del(token)).status, 403, 'a viewer token may not delete');
    const res = await del(admin);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { game_id: game.id, removed: { events: theirs, rejected_events: 0, metrics_sessions: 0 } });
    const again = await del(admin);
    assert.deepEqual(again.json.removed, { events: 0, rejected_events: 0, metrics_sessions: 0 }, 'idempotent');
    const rest = events.filter((e) => e.user !== victim);
    await compareMetrics(rest);
    await compareFamilies(rest);
    const left = (await ps.readEvents(srv.dataDir, game.id)).filter((r) => r.obj.user_id === victim);
    assert.equal(left.length, 0, 'no stored event of the player');
    for (const [file, bytes] of ps.filesOf(srv.dataDir)) {
      assert.equal(bytes.indexOf(victim), -1, `the player's id is in ${file}`);
    }
    assert.equal(srv.log().indexOf(victim), -1, 'the player id is not logged');
    // A later export holds every other player's events and none of the player's.
    const out = ps.makeTempDir('event-insights-export');
    const today = new Date().toISOString().slice(0, 10);
    await ps.runCli(['export', '--data', srv.dataDir, '--game', String(game.id), '--from', today, '--to', today,
      '--to-url', `file:${out}`, '--kinds', 'events,rejected', '--format', 'both', '--delay', '-172800']);
    let exported = 0;
    for (const [file, bytes] of ps.filesOf(out)) {
      if (file.endsWith('.ndjson.gz')) {
        const text = zlib.gunzipSync(bytes).toString('utf8');
        assert.equal(text.indexOf(victim), -1, `the player's id is in the export ${file}`);
        if (file.startsWith('events')) exported += text.split('\n').filter(Boolean).length;
      } else {
        const { rows } = await readParquet(bytes);
        assert.ok(rows.every((r) => !JSON.stringify(Object.values(r).map(String)).includes(victim)), `the player's id is in the export ${file}`);
      }
    }
    assert.equal(exported, rest.length, 'the export holds every other event');
    ps.removeDir(out);
  });

  it('bad parameters answer 400', async () => {
    for (const q of ['interval=hour', 'new=maybe', 'group_by=continent', 'group_by=first_build', 'source=elsewhere']) {
      const res = await get(`/api/v1/games/${game.id}/metrics/dau?${q}`);
      assert.equal(res.status, 400, `${q}: ${res.text}`);
    }
    assert.equal((await get(`/api/v1/games/${game.id}/metrics/retention?group_by=platform`)).status, 400);
  });
});
