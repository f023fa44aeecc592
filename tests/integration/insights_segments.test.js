'use strict';
// Segments (issue 15): several filters at once on the analytics-event metrics, the user
// attributes first_build and new, the catalogue's word on what each metric takes, and the
// distinct values of a dimension. Seeded random GameAnalytics traffic over 20 days: users play
// on one or two platforms (each with its own os_version), move between builds, keep a
// custom_01 and draw custom_02 per session, so that a day's events of one user carry several
// values of a dimension. Every figure is compared with a model computed here from what the
// test sent, with the semantics docs/http-api.md ("Segments") states:
//   - a user is in a segment on a day when, that day, it sent an event carrying each filtered
//     dimension value (one event per value, not necessarily one with them all), its first
//     build (the build of its first `user` event) is first_build, and the day is (new) or is
//     not (returning) the day of its first `user` event; paying: the same over its business
//     events; new users: those whose first `user` event carries every value;
//   - sessions, session length and revenue count the events that carry every filtered value;
//   - with a group_by beside the filters, each group is the filters and the group's value.
// PLAYSTAT_TEST_STORE=clickhouse runs it on the ClickHouse event store with the same model
// (ctest integration/insights_segments_clickhouse, inside tests/servers/run-with.sh).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const ps = require('./lib/playstat');
const ev = require('./lib/events');
const m = require('./lib/modio');
const { assertApiError } = require('./lib/insights');
const { mulberry32, simulationSeed } = require('./lib/random');

const SEED = simulationSeed(1515);
const DAY = 86400;
const PLATFORMS = [['ios', 'ios 17.1'], ['android', 'android 13'], ['windows', 'windows 10.0']];
const BUILDS = ['1.0.0', '1.1.0', '1.2.0'];
const CUSTOM_01 = ['whale', 'minnow'];
const CUSTOM_02 = ['red', 'green', 'blue'];
// The filters the test draws from: event dimensions, then the user attributes.
const DIMENSIONS = ['platform', 'build', 'os_version', 'custom_01', 'custom_02'];
const ATTRIBUTES = ['first_build', 'new'];
const FILTERS = [...DIMENSIONS, ...ATTRIBUTES];
const USER_METRICS = ['dau', 'wau', 'mau', 'new_users', 'paying_users', 'conversion'];
const EVENT_METRICS = ['sessions', 'avg_session_length', 'sessions_per_user', 'revenue', 'arpdau', 'arppu'];
const FAMILIES = ['progression', 'resources', 'design', 'errors', 'ads'];

/** The simulation: a list of events with what the model needs, and each body. */
function simulate(players, days, todayDay) {
  const rnd = mulberry32(SEED);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const events = [];
  const firstDay = todayDay - days;
  for (let p = 0; p < players; p++) {
    const user = `seg-${SEED}-${p}-u`;
    const install = firstDay + Math.floor(rnd() * days);
    const home = pick(PLATFORMS);
    const second = rnd() < 0.4 ? pick(PLATFORMS) : home;
    const custom01 = pick(CUSTOM_01);
    const payer = rnd() < 0.3;
    for (let day = install; day < todayDay; day++) {
      if (day > install && rnd() > 0.55) continue;
      // The build of the day: an update every week, some users lag one behind.
      const current = Math.min(BUILDS.length - 1, Math.floor((day - firstDay) / 7));
      const sessions = day === install ? 1 : 1 + Math.floor(rnd() * 3);
      for (let s = 0; s < sessions; s++) {
        // One platform and build on the install day: its first `user` event is unambiguous.
        const [platform, osVersion] = day === install || rnd() < 0.6 ? home : second;
        const build = BUILDS[day === install || rnd() < 0.7 ? current : Math.max(0, current - 1)];
        const dims = { platform, os_version: osVersion, build, custom_01: custom01, custom_02: pick(CUSTOM_02) };
        const session = { user_id: user, session_id: crypto.randomUUID(), session_num: s + 1 };
        const t = day * DAY + 3600 + s * 7200 + Math.floor(rnd() * 3000);
        const add = (category, fields, dt) => events.push({ day, user, ...dims, category, ...fields,
          body: ev.makeEvent(category, session, { ...dims, client_ts: t + dt, ...fields }) });
        add('user', {}, 0);
        add('design', { event_id: 'Combat:Kill:Sword', value: 2 }, 10);
        if (payer && rnd() < 0.5) {
          add('business', { amount: pick([99, 499, 999]), currency: 'USD' }, 20);
        }
        if (rnd() < 0.85) add('session_end', { length: 60 + Math.floor(rnd() * 2000) }, 30);
      }
    }
  }
  return events;
}

// ---- the model ----

const ratio = (a, b) => (b ? a / b : 0);

/** What the model knows of the users: first `user` event (its day and dimensions). */
function usersOf(events) {
  const first = new Map();
  for (const e of events) {
    if (e.category !== 'user') continue;
    const f = first.get(e.user);
    if (!f || e.day < f.day) first.set(e.user, e);
  }
  return first;
}

/**
 * metric over days [fromDay, toDay) for the filters (an object dimension -> value), from the
 * record. first: usersOf(events). A group of a group_by is the filters and its value (also).
 */
function model(metric, events, first, filters, fromDay, toDay, todayDay, also = null) {
  // also: one more [dimension, value] (a group of a group_by), beside a filter of the same one
  const dims = [...Object.entries(filters).filter(([k]) => DIMENSIONS.includes(k)), ...(also ? [also] : [])];
  const fb = filters.first_build;
  const nd = filters.new;
  const carriesAll = (e) => dims.every(([k, v]) => e[k] === v);
  const attrsOk = (user, day) => (fb === undefined || (first.has(user) && first.get(user).build === fb)) &&
    (nd === undefined || ((first.has(user) && first.get(user).day === day) === (nd === 'new')));
  // Per (user, day): the values of each dimension seen, over all events and over business ones.
  const seen = new Map();
  for (const e of events) {
    const key = `${e.user}\u0000${e.day}`;
    if (!seen.has(key)) seen.set(key, { user: e.user, day: e.day, any: new Set(), paid: new Set() });
    const s = seen.get(key);
    for (const k of DIMENSIONS) {
      s.any.add(`${k}=${e[k]}`);
      if (e.category === 'business') s.paid.add(`${k}=${e[k]}`);
    }
    if (e.category === 'business') s.paid.add('*');
  }
  const active = new Map(); // day -> Set of users in the segment
  const paying = new Map();
  for (const s of seen.values()) {
    if (!attrsOk(s.user, s.day)) continue;
    if (dims.every(([k, v]) => s.any.has(`${k}=${v}`))) {
      if (!active.has(s.day)) active.set(s.day, new Set());
      active.get(s.day).add(s.user);
    }
    if (s.paid.has('*') && dims.every(([k, v]) => s.paid.has(`${k}=${v}`))) {
      if (!paying.has(s.day)) paying.set(s.day, new Set());
      paying.get(s.day).add(s.user);
    }
  }
  const fresh = new Map(); // day -> users new that day in the segment
  for (const [user, e] of first) {
    if (!carriesAll(e) || (fb !== undefined && e.build !== fb) || nd === 'returning') continue;
    if (!fresh.has(e.day)) fresh.set(e.day, new Set());
    fresh.get(e.day).add(user);
  }
  const count = (m, d) => (m.get(d) ? m.get(d).size : 0);
  const union = (m, a, b) => { const u = new Set(); for (let d = a; d < b; d++) for (const x of m.get(d) || []) u.add(x); return u.size; };
  const days = [];
  for (let d = fromDay; d < toDay; d++) days.push(d);
  const matching = events.filter((e) => carriesAll(e) && e.day >= fromDay && e.day < toDay);
  const on = (d, category) => matching.filter((e) => e.day === d && e.category === category);
  const inRange = (category) => matching.filter((e) => e.category === category);
  const sum = (list, f) => list.reduce((a, e) => a + f(e), 0);
  const series = (f) => days.map(f);
  const users = union(active, fromDay, toDay);
  const payers = union(paying, fromDay, toDay);
  const revenue = sum(inRange('business'), (e) => e.amount);
  switch (metric) {
    case 'dau': return { points: series((d) => count(active, d)), total: users };
    case 'wau': return { points: series((d) => union(active, d - 6, d + 1)), total: users };
    case 'mau': return { points: series((d) => union(active, d - 29, d + 1)), total: users };
    case 'new_users': { const p = series((d) => count(fresh, d)); return { points: p, total: p.reduce((a, b) => a + b, 0) }; }
    case 'paying_users': return { points: series((d) => count(paying, d)), total: payers };
    case 'conversion': return { points: series((d) => ratio(count(paying, d), count(active, d))), total: ratio(payers, users) };
    case 'sessions': return { points: series((d) => on(d, 'user').length), total: inRange('user').length };
    case 'avg_session_length': {
      const mean = (l) => ratio(sum(l, (e) => e.length), l.length);
      return { points: series((d) => mean(on(d, 'session_end'))), total: mean(inRange('session_end')) };
    }
    case 'sessions_per_user': return { points: series((d) => ratio(on(d, 'user').length, count(active, d))), total: ratio(inRange('user').length, users) };
    case 'revenue': {
      const groups = new Map();
      for (const c of new Set(inRange('business').map((e) => e.currency))) {
        const p = series((d) => sum(on(d, 'business').filter((e) => e.currency === c), (e) => e.amount));
        groups.set(c, { points: p, total: p.reduce((a, b) => a + b, 0) });
      }
      return { points: series((d) => sum(on(d, 'business'), (e) => e.amount)), total: revenue, groups };
    }
    case 'arpdau': {
      const dauSum = days.reduce((a, d) => a + count(active, d), 0);
      return { points: series((d) => ratio(sum(on(d, 'business'), (e) => e.amount), count(active, d))), total: ratio(revenue, dauSum) };
    }
    case 'arppu': return { points: series((d) => ratio(sum(on(d, 'business'), (e) => e.amount), count(paying, d))), total: ratio(revenue, payers) };
    case 'retention': {
      const kept = new Array(30).fill(0);
      const sizes = new Array(30).fill(0);
      const groups = new Map();
      let total = 0;
      for (const c of days) {
        const cohort = [...(fresh.get(c) || [])];
        if (!cohort.length) continue;
        total += cohort.length;
        const points = [];
        for (let k = 1; k <= 30; k++) {
          if (c + k > todayDay) { points.push(0); continue; }
          const back = cohort.filter((u) => active.has(c + k) && active.get(c + k).has(u)).length;
          points.push(back / cohort.length);
          kept[k - 1] += back;
          sizes[k - 1] += cohort.length;
        }
        groups.set(new Date(c * DAY * 1000).toISOString().slice(0, 10), { points, total: cohort.length });
      }
      return { points: kept.map((n, k) => ratio(n, sizes[k])), total, groups };
    }
    default: throw new Error(metric);
  }
}

/** Which filters metric takes, and whether several at once (what the catalogue must say). */
function takes(metric) {
  if (USER_METRICS.includes(metric)) return { filters: FILTERS, combine: true };
  if (metric === 'retention') return { filters: [...DIMENSIONS, 'first_build'], combine: true };
  if (EVENT_METRICS.includes(metric)) return { filters: DIMENSIONS, combine: true };
  return { filters: DIMENSIONS, combine: false }; // families
}

/** Every combination of k of list. */
function combinations(list, k) {
  if (k === 0) return [[]];
  const out = [];
  list.forEach((x, i) => { for (const rest of combinations(list.slice(i + 1), k - 1)) out.push([x, ...rest]); });
  return out;
}

const close = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function assertSeries(got, want, what) {
  assert.ok(close(got.total, want.total), `${what}: total ${got.total}, want ${want.total}`);
  assert.equal(got.points.length, want.points.length, `${what}: points`);
  got.points.forEach((p, k) => { if (!close(p.v, want.points[k])) assert.fail(`${what}: point ${k} (t=${p.t}) is ${p.v}, want ${want.points[k]}`); });
}

describe(`segments (${process.env.PLAYSTAT_TEST_STORE || 'sqlite'})`, () => {
  let srv;
  let game;
  let token;
  let events;
  let first;
  const todayDay = Math.floor(Date.now() / 1000 / DAY);
  const fromDay = todayDay - 22;
  const toDay = todayDay + 1;
  const get = (p) => ps.request(srv.port, { path: p, headers: { Authorization: `Bearer ${token}` } });
  const rnd = mulberry32(SEED + 7);

  before(async () => {
    if (process.env.PLAYSTAT_TEST_STORE === 'clickhouse') {
      const ch = process.env.PLAYSTAT_TEST_CH_HTTP;
      assert.ok(ch, 'PLAYSTAT_TEST_CH_HTTP: run through tests/servers/run-with.sh --clickhouse 1');
      // The game and token in a SQLite state store, the events in ClickHouse.
      const state = ps.makeTempDir('segments-state');
      tempDirs.push(state);
      game = await ps.createGame(state, 'Segments Game');
      token = (await ps.runCli(['api-token', 'create', '--data', state])).stdout.trim();
      const db = `segments_${crypto.randomBytes(4).toString('hex')}`;
      const spool = ps.makeTempDir('segments-spool');
      tempDirs.push(spool);
      srv = await ps.startServer({ name: 'insights-segments-ch',
        args: ['--store', `clickhouse://${ch.split(',')[0]}/${db}?spool=${spool}`, '--state', `sqlite:${state}`] });
    } else {
      srv = await ps.startServer({ name: 'insights-segments' });
      game = await ps.createGame(srv.dataDir, 'Segments Game');
      token = (await ps.runCli(['api-token', 'create', '--data', srv.dataDir])).stdout.trim();
    }
    events = simulate(160, 20, todayDay);
    first = usersOf(events);
    const shuffle = mulberry32(SEED + 1);
    const order = events.map((e, i) => [shuffle(), i]).sort((a, b) => a[0] - b[0]).map(([, i]) => events[i]);
    for (let i = 0; i < order.length; i += 250) {
      const res = await ps.postEvents(srv.port, game, order.slice(i, i + 250).map((e) => e.body));
      assert.equal(res.status, 200, ps.describeRes(res));
    }
    const users = new Set(events.map((e) => e.user)).size;
    const sessions = events.filter((e) => e.category === 'user').length;
    const range = `from=${fromDay * DAY}&to=${toDay * DAY - 1}`;
    await ps.waitFor(async () => {
      const dau = await get(`/api/v1/games/${game.id}/metrics/dau?${range}`);
      const s = await get(`/api/v1/games/${game.id}/metrics/sessions?source=events&${range}`);
      return dau.status === 200 && dau.json.total === users && s.status === 200 && s.json.total === sessions;
    }, { timeoutMs: 60000, what: 'the event rollups to catch up' });
  });
  const tempDirs = [];
  after(async () => {
    if (srv) await srv.stop();
    for (const dir of tempDirs) ps.removeDir(dir);
  });

  /** A value of filter that occurs (drawn with the test's seed). */
  const valueOf = (filter) => {
    if (filter === 'new') return rnd() < 0.5 ? 'new' : 'returning';
    const values = filter === 'first_build' ? [...new Set([...first.values()].map((e) => e.build))]
      : [...new Set(events.map((e) => e[filter]))];
    return values.sort()[Math.floor(rnd() * values.length)];
  };

  it('the catalogue lists, per metric, the filters it takes and whether at once', async () => {
    const res = await get('/api/v1/metrics');
    assert.equal(res.status, 200, res.text);
    const byName = new Map(res.json.metrics.filter((m) => m.source === 'events').map((m) => [m.name, m]));
    for (const metric of [...USER_METRICS, ...EVENT_METRICS, 'retention', ...FAMILIES, 'funnel']) {
      const m = byName.get(metric);
      assert.ok(m, `${metric} is listed`);
      const want = takes(metric);
      for (const f of FILTERS) assert.equal(m.filters.includes(f), want.filters.includes(f), `${metric} takes ${f}: ${JSON.stringify(m)}`);
      assert.equal(m.combine, want.combine, `${metric} combine`);
      assert.equal(m.combine_per_user, metric === 'funnel', `${metric} combine_per_user (the per-user funnel)`);
      const grouped = [...USER_METRICS, ...EVENT_METRICS].includes(metric);
      assert.equal(m.filters_with_group_by, grouped, `${metric} filters_with_group_by: ${JSON.stringify(m)}`);
      if (grouped) for (const d of DIMENSIONS) assert.ok(m.group_by.includes(d), `${metric} groups by ${d}`);
      else assert.deepEqual(m.group_by, [], `${metric}: no group_by`);
    }
    const ccu = res.json.metrics.find((m) => m.name === 'ccu');
    assert.deepEqual(ccu.filters, ['platform', 'portal']);
    assert.equal((await ps.request(srv.port, { path: '/api/v1/metrics' })).status, 401, 'a token is needed');
  });

  /** Every combination of k filters (k in sizes) on every metric equals the model; refusals 400. */
  async function compareSegments(sizes) {
    let compared = 0;
    for (const k of sizes) {
      for (const combo of combinations(FILTERS, k)) {
        const filters = Object.fromEntries(combo.map((f) => [f, valueOf(f)]));
        for (const metric of [...USER_METRICS, ...EVENT_METRICS, 'retention']) {
          const q = new URLSearchParams({ from: String(fromDay * DAY), to: String(toDay * DAY - 1), source: 'events', ...filters });
          // money: one currency is sent, and the answer is asked in it (nothing to convert).
          if (['revenue', 'arpdau', 'arppu'].includes(metric)) q.set('currency', 'USD');
          const res = await get(`/api/v1/games/${game.id}/metrics/${metric}?${q}`);
          const what = `${metric} ${q} (seed ${SEED})`;
          const refused = combo.find((f) => !takes(metric).filters.includes(f));
          if (refused) {
            const err = assertApiError(res, 400, what);
            assert.ok(err.message.includes(metric) && err.message.includes(refused), `${what}: the message names the metric and ${refused}: ${err.message}`);
            continue;
          }
          assert.equal(res.status, 200, `${what}: ${res.text}`);
          const want = model(metric, events, first, filters, fromDay, toDay, todayDay);
          assertSeries(res.json, want, what);
          if (want.groups) {
            const groups = res.json.groups || []; // none when no currency or cohort matched
            assert.deepEqual(groups.map((g) => g.key).sort(), [...want.groups.keys()].sort(), `${what}: groups`);
            for (const g of groups) assertSeries(g, want.groups.get(g.key), `${what} group ${g.key}`);
          }
          compared += 1;
        }
      }
    }
    return compared;
  }

  /**
   * Filters (every combination of k of them, k in sizes) with a group_by beside them, on every
   * segment metric: the groups are those of the group_by alone (every value of the dimension
   * seen: all the test sent is within 29 days before and 31 after the range), each equal to
   * the model of the filters and the group's value; the whole equals the filters' model.
   */
  async function compareGrouped(sizes) {
    let compared = 0;
    const draw = mulberry32(SEED + 11);
    for (const k of sizes) {
      for (const combo of combinations(FILTERS, k)) {
        const filters = Object.fromEntries(combo.map((f) => [f, valueOf(f)]));
        // a dimension drawn, and (one filter) the filtered dimension itself
        const groupBys = new Set([DIMENSIONS[Math.floor(draw() * DIMENSIONS.length)]]);
        if (k === 1 && DIMENSIONS.includes(combo[0])) groupBys.add(combo[0]);
        for (const by of groupBys) {
          const keys = [...new Set(events.map((e) => e[by]))].sort();
          for (const metric of [...USER_METRICS, ...EVENT_METRICS]) {
            if (combo.some((f) => !takes(metric).filters.includes(f))) continue; // refused above
            const q = new URLSearchParams({ from: String(fromDay * DAY), to: String(toDay * DAY - 1), source: 'events', ...filters, group_by: by });
            if (['revenue', 'arpdau', 'arppu'].includes(metric)) q.set('currency', 'USD');
            const res = await get(`/api/v1/games/${game.id}/metrics/${metric}?${q}`);
            const what = `${metric} ${q} (seed ${SEED})`;
            assert.equal(res.status, 200, `${what}: ${res.text}`);
            assertSeries(res.json, model(metric, events, first, filters, fromDay, toDay, todayDay), `${what} whole`);
            assert.deepEqual(res.json.groups.map((g) => g.key), keys, `${what}: groups`);
            for (const g of res.json.groups) {
              assertSeries(g, model(metric, events, first, filters, fromDay, toDay, todayDay, [by, g.key]), `${what} group ${g.key}`);
            }
            compared += 1;
          }
        }
      }
    }
    return compared;
  }

  it('filters with a group_by: each group equals the model of the filters and its value', async () => {
    const compared = await compareGrouped([1, 2]);
    assert.ok(compared > 300, `compared ${compared}`);
    // Where a metric cannot group a segment, 400 names it.
    for (const [metric, extra] of [['retention', {}], ['errors', {}], ['progression', {}], ['funnel', { steps: 'World1:Level1' }]]) {
      const res = await get(`/api/v1/games/${game.id}/metrics/${metric}?${new URLSearchParams({ ...extra, platform: 'ios', group_by: 'build' })}`);
      const err = assertApiError(res, 400, `${metric} with a filter and group_by`);
      assert.ok(err.message.includes(metric) && err.message.includes('group_by'), err.message);
    }
  });

  it('every combination of 1, 2 and 3 filters equals the model on every metric that takes it', async () => {
    // 7 filters: 7 + 21 + 35 sets; each user metric takes all of them, the others fewer.
    const compared = await compareSegments([1, 2, 3]);
    assert.ok(compared > 500, `compared ${compared}`);
  });

  it('the families take one dimension at a time: a combination or a user attribute answers 400', async () => {
    for (const metric of [...FAMILIES, 'funnel']) {
      const params = metric === 'funnel' ? { steps: 'World1:Level1' } : {};
      const one = await get(`/api/v1/games/${game.id}/metrics/${metric}?${new URLSearchParams({ ...params, platform: 'ios' })}`);
      assert.equal(one.status, 200, `${metric} with one filter: ${one.text}`);
      const two = await get(`/api/v1/games/${game.id}/metrics/${metric}?${new URLSearchParams({ ...params, platform: 'ios', build: '1.0.0' })}`);
      const err = assertApiError(two, 400, `${metric} with two filters`);
      assert.ok(err.message.includes(metric) && err.message.includes('platform') && err.message.includes('build'), err.message);
      for (const attr of ATTRIBUTES) {
        const res = await get(`/api/v1/games/${game.id}/metrics/${metric}?${new URLSearchParams({ ...params, [attr]: valueOf(attr) })}`);
        const e = assertApiError(res, 400, `${metric} ${attr}`);
        assert.ok(e.message.includes(metric) && e.message.includes(attr), e.message);
      }
    }
    assertApiError(await get(`/api/v1/games/${game.id}/metrics/dau?new=maybe`), 400, 'new=maybe');
    const grouped = assertApiError(await get(`/api/v1/games/${game.id}/metrics/errors?platform=ios&group_by=build`), 400, 'a family with group_by');
    assert.ok(grouped.message.includes('errors') && grouped.message.includes('group_by'), grouped.message);
  });

  it('distinct values of every event dimension and first_build equal the model, most users first', async () => {
    const within = events.filter((e) => e.day >= fromDay && e.day < toDay);
    const wanted = (dimension) => {
      const users = new Map();
      for (const e of within) {
        const v = dimension === 'first_build' ? (first.has(e.user) ? first.get(e.user).build : undefined) : e[dimension];
        if (v === undefined) continue;
        if (!users.has(v)) users.set(v, new Set());
        users.get(v).add(e.user);
      }
      return [...users].map(([value, s]) => ({ value, users: s.size }))
        .sort((a, b) => b.users - a.users || (a.value < b.value ? -1 : 1));
    };
    for (const dimension of [...DIMENSIONS, 'first_build']) {
      const path = `/api/v1/games/${game.id}/dimensions/${dimension}/values?from=${fromDay * DAY}&to=${toDay * DAY - 1}`;
      const res = await get(path);
      assert.equal(res.status, 200, `${path}: ${res.text}`);
      assert.deepEqual(res.json, { dimension, values: wanted(dimension) }, path);
      const two = await get(`${path}&limit=2`);
      assert.deepEqual(two.json.values, wanted(dimension).slice(0, 2), `${path}&limit=2`);
    }
    // A range before any event: no values.
    const early = await get(`/api/v1/games/${game.id}/dimensions/platform/values?from=${(fromDay - 100) * DAY}&to=${(fromDay - 90) * DAY}`);
    assert.deepEqual(early.json, { dimension: 'platform', values: [] });
    for (const bad of ['dimensions/country_code/values', 'dimensions/platform/values?limit=0', 'dimensions/platform/values?limit=1001',
      'dimensions/new/values', 'dimensions/build/values?source=sessions', 'dimensions/platform/values?from=10&to=5']) {
      assertApiError(await get(`/api/v1/games/${game.id}/${bad}`), 400, bad);
    }
    assert.equal((await ps.request(srv.port, { path: `/api/v1/games/${game.id}/dimensions/platform/values` })).status, 401);
  });

  it('distinct values of the metrics sessions\' platform and portal (source=sessions) equal what was sent', async () => {
    const now = ps.nowSec();
    const pickOf = mulberry32(SEED + 3);
    const pick = (list) => list[Math.floor(pickOf() * list.length)];
    const sent = []; // { player, platform, portal }
    for (let p = 0; p < 12; p++) {
      const player = `seg-player-${SEED}-${p}`;
      const token = m.playerToken(game, player);
      for (let k = 0; k < 1 + (p % 2); k++) {
        const platform = pick(['windows', 'linux', 'android']);
        const portal = pick(['steam', 'epicgames', 'gog']);
        const session = new m.Session({ port: srv.port, game, token, ids: [7], platform, portal });
        m.assertNoContent(await session.start({ ts: now - 600 + k * 200, orderId: 1 }), 'start');
        m.assertNoContent(await session.end({ ts: now - 500 + k * 200, orderId: 2 }), 'end');
        sent.push({ player, platform, portal });
      }
    }
    const wanted = (dimension) => {
      const players = new Map();
      for (const x of sent) {
        if (!players.has(x[dimension])) players.set(x[dimension], new Set());
        players.get(x[dimension]).add(x.player);
      }
      return [...players].map(([value, set]) => ({ value, users: set.size }))
        .sort((a, b) => b.users - a.users || (a.value < b.value ? -1 : 1));
    };
    for (const dimension of ['platform', 'portal']) {
      const path = `/api/v1/games/${game.id}/dimensions/${dimension}/values?source=sessions&from=${now - DAY}&to=${now + 60}`;
      let res;
      await ps.waitFor(async () => {
        res = await get(path);
        return res.status === 200 && JSON.stringify(res.json) === JSON.stringify({ dimension, values: wanted(dimension) });
      }, { timeoutMs: 20000, what: `${path} to list what was sent` }).catch(() => {});
      assert.deepEqual(res.json, { dimension, values: wanted(dimension) }, path);
    }
  });

  it('deleting a player takes them out of every segment (pairs of filters equal the model without them)', async () => {
    // The payer with the most events: every figure of their segments changes.
    const weight = new Map();
    for (const e of events) weight.set(e.user, (weight.get(e.user) || 0) + (e.category === 'business' ? 100 : 1));
    const victim = [...weight].sort((a, b) => b[1] - a[1])[0][0];
    const state = process.env.PLAYSTAT_TEST_STORE === 'clickhouse' ? tempDirs[0] : srv.dataDir;
    const admin = (await ps.runCli(['api-token', 'create', '--data', state, '--role', 'admin'])).stdout.trim();
    const res = await ps.request(srv.port, { method: 'DELETE', path: `/api/v1/games/${game.id}/players/${encodeURIComponent(victim)}`,
      headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.removed.events, events.filter((e) => e.user === victim).length);
    events = events.filter((e) => e.user !== victim);
    first = usersOf(events);
    const compared = await compareSegments([2]);
    assert.ok(compared > 150, `compared ${compared}`);
    assert.ok(await compareGrouped([1]) > 50, 'grouped segments without the player');
  });

  if (process.env.PLAYSTAT_TEST_STORE !== 'clickhouse') {
    it('a store of schema 9 upgraded to 10 answers every pair of filters from the events it holds', async () => {
      // What schema 9 had: no combinations (the rollups of one dimension were there already).
      await srv.stop({ keepData: true });
      const db = `${srv.dataDir}/playstat.db`;
      const sql = 'DELETE FROM ga_aggs WHERE dim = -1; DELETE FROM ga_combos; PRAGMA user_version = 9;';
      require('node:child_process').execFileSync('sqlite3', [db, sql]);
      srv = await ps.startServer({ name: 'insights-segments-upgraded', dataDir: srv.dataDir });
      tempDirs.push(srv.dataDir); // given to startServer: not removed by stop()
      assert.match(srv.log(), /upgraded the database from schema 9 to 1\d/); // 10 or later
      const compared = await compareSegments([2]);
      assert.ok(compared > 150, `compared ${compared}`);
    });
  }
});
