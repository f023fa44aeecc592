'use strict';
// LTV of install cohorts in one currency, end to end (issue 15): users with known first days
// (their first `user` event) and purchases in four currencies on known days since install,
// exchange rates the test loads (PUT /api/v1/rates: a gap day, JPY's rates ending so that they
// age out after the 7-day lookback, BRL without any rate). Every ltv figure (each cohort's
// points t = 0..days, their sizes, the whole over every cohort, days still to come as null,
// currency and left_out) is compared with a model computed here from what the test sent:
// unfiltered, with days=, currency=, a dimension filter, first_build and a segment of both.
// The traps the model covers: users first seen before the range (their purchases count
// nowhere), a purchase before the user's first `user` event, a user who never sent a `user`
// event, purchases after days, and later events that carry other values than the first one
// (filters choose the cohort by its first event; its purchases count whatever they carry).
// Then, with the first answers in: purchases that arrive before their user's first `user`
// event (they count once it comes, from its day on), a `user` event dated before a user's
// first day arriving late (the user, its first values and its purchases move to the earlier
// cohort), and that user deleted (its purchases leave).
//
// PLAYSTAT_TEST_CH_HTTP (tests/servers/run-with.sh --clickhouse 1) runs the same against the
// ClickHouse event store as well (ctest integration/insights_ltv_clickhouse).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const crypto = require('node:crypto');

const ps = require('./lib/playstat');
const ev = require('./lib/events');
const { assertApiError } = require('./lib/insights');
const { mulberry32, simulationSeed } = require('./lib/random');
const { ecbCsv, rateOn, close } = require('./lib/rates');

const SEED = simulationSeed(1616);
const DAY = 86400;
const CURRENCIES = ['USD', 'EUR', 'JPY', 'BRL'];
const todayDay = Math.floor(Date.now() / 1000 / DAY);
const FROM = todayDay - 14; // the cohorts asked: eight days
const TO = FROM + 8;

/** The record of what is sent: each event with the day, user and values the model reads. */
function simulate() {
  const rnd = mulberry32(SEED);
  const events = [];
  const send = (e) => events.push(e);
  const at = (day, s) => day * DAY + 3600 + s;
  for (let p = 0; p < 48; p++) {
    const user = `ltv-${SEED}-${p}-u`;
    const first = p % 12 === 11 ? FROM - 2 : FROM + (p % 8); // some are new before the range
    const platform = p % 3 === 0 ? 'android' : 'ios';
    const session = { user_id: user, session_id: crypto.randomUUID(), session_num: 1 };
    let s = 0;
    // Active on the first day and some later ones; later events on another build (and, for
    // some, another platform): the cohort is by the first event's values.
    for (let day = first; day < todayDay; day++) { // none in the future
      if (day !== first && rnd() < 0.5) continue;
      const later = day !== first;
      const dims = { platform: later && p % 5 === 0 ? 'android' : platform, build: later ? '1.1.0' : (p % 2 ? '1.0.0' : '0.9.0') };
      s += 7;
      send({ day, user, category: 'user', ...dims, body: ev.makeEvent('user', session, { ...dims, client_ts: at(day, s) }) });
      const buys = rnd() < (p % 4 === 0 ? 0.6 : 0.25) ? 1 + Math.floor(rnd() * 2) : 0;
      for (let k = 0; k < buys; k++) {
        const currency = CURRENCIES[(p + k + day) % CURRENCIES.length];
        const amount = [99, 499, 1999, 12000][Math.floor(rnd() * 4)];
        s += 3;
        send({ day, user, category: 'business', amount, currency, ...dims,
          body: ev.makeEvent('business', session, { ...dims, client_ts: at(day, s), amount, currency }) });
      }
    }
    // A purchase the day before the first `user` event: it counts nowhere.
    if (p % 7 === 3) {
      const day = first - 1;
      send({ day, user, category: 'business', amount: 5000, currency: 'USD', platform, build: '1.0.0',
        body: ev.makeEvent('business', session, { platform, build: '1.0.0', client_ts: at(day, 1), amount: 5000, currency: 'USD' }) });
    }
  }
  // A payer without any `user` event: in no cohort.
  const session = { user_id: `ltv-${SEED}-nouser-u`, session_id: crypto.randomUUID(), session_num: 1 };
  send({ day: FROM + 1, user: session.user_id, category: 'business', amount: 777, currency: 'EUR', platform: 'ios', build: '1.0.0',
    body: ev.makeEvent('business', session, { platform: 'ios', build: '1.0.0', client_ts: at(FROM + 1, 5), amount: 777, currency: 'EUR' }) });
  return events;
}

/** The rates loaded: units per EUR by currency and day (BRL: none; JPY ends early). */
function makeRates() {
  const rnd = mulberry32(SEED + 7);
  const rates = { USD: new Map(), JPY: new Map() };
  for (let day = FROM - 5; day <= todayDay; day++) {
    if (day === FROM + 3 || day === FROM + 4) continue; // no row: a "weekend"
    rates.USD.set(day, Math.round((1 + rnd() * 0.2) * 10000) / 10000);
    if (day <= FROM + 2) rates.JPY.set(day, Math.round((150 + rnd() * 10) * 100) / 100);
  }
  return rates;
}

// ---- the model ----

const dateOf = (day) => new Date(day * DAY * 1000).toISOString().slice(0, 10);

/**
 * ltv as docs/http-api.md defines it, from the events sent: a user's first day and first
 * values are its earliest `user` event's; a cohort the users first seen on a day of
 * [FROM, TO) whose first event passes cohortFilter; its LTV at N the converted amounts its
 * users sent on days 0..N after it, per user; null where the day has not come.
 */
function model(all, rates, target, days, cohortFilter = () => true) {
  const firsts = new Map();
  for (const e of all) {
    if (e.category !== 'user') continue;
    const f = firsts.get(e.user);
    if (!f || e.day < f.day) firsts.set(e.user, e);
  }
  const cohorts = new Map(); // day -> Set of users
  for (const [user, f] of firsts) {
    if (f.day < FROM || f.day >= TO || !cohortFilter(f)) continue;
    if (!cohorts.has(f.day)) cohorts.set(f.day, new Set());
    cohorts.get(f.day).add(user);
  }
  const leftOut = new Set();
  let some = false;
  let any = false;
  const spent = new Array(days + 1).fill(0);
  const users = new Array(days + 1).fill(0);
  const groups = [];
  for (const c of [...cohorts.keys()].sort((a, b) => a - b)) {
    const members = cohorts.get(c);
    const size = members.size;
    const perDay = new Array(days + 1).fill(0);
    for (const e of all) {
      if (e.category !== 'business' || !members.has(e.user)) continue;
      const k = e.day - c;
      if (k < 0 || k > days) continue;
      any = true;
      const factor = e.currency === target ? 1 : (() => {
        const to = rateOn(rates, target, e.day);
        const from = rateOn(rates, e.currency, e.day);
        return to && from ? to / from : 0;
      })();
      if (factor) { some = true; perDay[k] += e.amount * factor; } else leftOut.add(e.currency);
    }
    let run = 0;
    const points = perDay.map((v, k) => {
      run += v;
      if (c + k > todayDay) return null;
      spent[k] += run;
      users[k] += size;
      return run / size;
    });
    groups.push({ key: dateOf(c), total: size, points });
  }
  const currency = some || !any ? target : null;
  let points = spent.map((v, k) => (users[k] ? v / users[k] : null));
  if (!currency) {
    points = points.map(() => null);
    for (const g of groups) g.points = g.points.map(() => null);
  }
  const total = groups.reduce((n, g) => n + g.total, 0);
  return { currency, left_out: [...leftOut].sort(), total, points, groups };
}

function assertSeries(got, want, what) {
  assert.equal(got.total, want.total, `${what}: total (cohort size)`);
  assert.equal(got.points.length, want.points.length, `${what}: points`);
  got.points.forEach((p, k) => {
    assert.equal(p.t, k, `${what}: point ${k} t`);
    if (!close(p.v, want.points[k])) assert.fail(`${what}: point ${k} is ${p.v}, want ${want.points[k]}`);
  });
}

function assertLtv(got, want, what) {
  assert.equal(got.metric, 'ltv', what);
  assert.equal(got.currency, want.currency, `${what}: currency`);
  assert.deepEqual(got.left_out, want.left_out, `${what}: left_out`);
  assertSeries(got, want, `${what} whole`);
  assert.deepEqual(got.groups.map((g) => g.key), want.groups.map((g) => g.key), `${what}: one group per cohort`);
  got.groups.forEach((g, i) => assertSeries(g, want.groups[i], `${what} cohort ${g.key}`));
}

function runLtvTests(label, storeArgs) {
  describe(`ltv of install cohorts, converted (${label})`, () => {
    let srv;
    let work;
    let game;
    let viewer;
    let events;
    const rates = makeRates();
    const get = (p) => ps.request(srv.port, { path: p, headers: { Authorization: `Bearer ${viewer}` } });
    const cli = (args) => ps.runCli([...args, ...storeArgs(work)]);
    const ltv = (q = {}) => `/api/v1/games/${game.id}/metrics/ltv?${new URLSearchParams({ from: String(FROM * DAY), to: String(TO * DAY - 1), ...q })}`;

    before(async () => {
      work = ps.makeTempDir(`ltv-${label}`);
      srv = await ps.startServer({ name: `ltv-${label}`, dataDir: path.join(work, 'data'), args: storeArgs(work).slice(2) });
      game = JSON.parse((await cli(['game', 'create', '--name', 'LTV Game', '--currency', 'USD'])).stdout);
      viewer = (await cli(['api-token', 'create'])).stdout.trim();
      const admin = (await cli(['api-token', 'create', '--role', 'admin'])).stdout.trim();
      events = simulate();
      for (let i = 0; i < events.length; i += 250) {
        const res = await ps.postEvents(srv.port, game, events.slice(i, i + 250).map((e) => e.body));
        assert.equal(res.status, 200, ps.describeRes(res));
      }
      const res = await ps.request(srv.port, { method: 'PUT', path: '/api/v1/rates', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'text/csv' }, body: ecbCsv(rates, ['USD', 'JPY']) });
      assert.equal(res.status, 200, res.text);
      const range = `from=${(FROM - 3) * DAY}&to=${(todayDay + 1) * DAY - 1}`;
      const sessions = events.filter((e) => e.category === 'user' && e.day >= FROM - 3).length;
      const payments = events.filter((e) => e.category === 'business' && e.day >= FROM - 3);
      // every user is first seen on FROM - 2 or later: new_users of the range counts them all
      // (on ClickHouse the users' first days are kept apart from the events and can lag them)
      const users = new Set(events.filter((e) => e.category === 'user').map((e) => e.user)).size;
      await ps.waitFor(async () => {
        const r = await get(`/api/v1/games/${game.id}/metrics/sessions?source=events&${range}`);
        const p = await get(`/api/v1/games/${game.id}/metrics/revenue?${range}`);
        const n = await get(`/api/v1/games/${game.id}/metrics/new_users?${range}`);
        return r.status === 200 && r.json.total === sessions && p.status === 200 &&
          p.json.groups.reduce((k, g) => k + g.total, 0) === payments.reduce((k, e) => k + e.amount, 0) &&
          n.status === 200 && n.json.total === users;
      }, { timeoutMs: 60000, what: 'the event rollups to catch up' });
    });
    after(async () => {
      if (srv) await srv.stop();
      if (work) ps.removeDir(work);
    });

    it('the model exercises what it claims', () => {
      const m = model(events, rates, 'USD', 30);
      assert.equal(m.groups.length, 8, 'a cohort on every day of the range');
      assert.ok(m.left_out.includes('BRL') && m.left_out.includes('JPY'), 'BRL and late JPY left out');
      const jpy = events.filter((e) => e.category === 'business' && e.currency === 'JPY' && e.day >= FROM);
      assert.ok(jpy.some((e) => rateOn(rates, 'JPY', e.day) !== null), 'some JPY converts');
      assert.ok(jpy.some((e) => rateOn(rates, 'JPY', e.day) === null), 'some JPY does not');
      assert.ok(m.points.some((v) => v === null), 'days still to come');
      assert.ok(m.points[0] > 0 && m.points[6] > m.points[0], 'LTV grows');
      const firstDay = new Map();
      for (const e of events) if (e.category === 'user' && !(firstDay.get(e.user) <= e.day)) firstDay.set(e.user, e.day);
      const pays = events.filter((e) => e.category === 'business');
      assert.ok(pays.some((e) => firstDay.get(e.user) < FROM && e.day >= FROM), 'users new before the range pay in it');
      assert.ok(pays.some((e) => e.day < firstDay.get(e.user)), 'a purchase before the first day');
      assert.ok(pays.some((e) => !firstDay.has(e.user)), 'a payer without a user event');
      assert.ok(pays.some((e) => firstDay.get(e.user) >= FROM && e.day - firstDay.get(e.user) > 7), 'purchases after days=7');
    });

    it('every figure equals the model: default days, days=, currency=, filters, a segment', async () => {
      const cases = [
        [{}, 'USD', 30, null],
        [{ days: '0' }, 'USD', 0, null],
        [{ days: '7' }, 'USD', 7, null],
        [{ days: '7', currency: 'EUR' }, 'EUR', 7, null],
        [{ days: '10', currency: 'JPY' }, 'JPY', 10, null],
        [{ days: '5', currency: 'BRL' }, 'BRL', 5, null],
        [{ days: '5', currency: 'CHF' }, 'CHF', 5, null], // no rate: nothing converts
        [{ days: '7', platform: 'ios' }, 'USD', 7, (f) => f.platform === 'ios'],
        [{ days: '7', first_build: '1.0.0' }, 'USD', 7, (f) => f.build === '1.0.0'],
        [{ days: '7', platform: 'android', first_build: '0.9.0', currency: 'EUR' }, 'EUR', 7, (f) => f.platform === 'android' && f.build === '0.9.0'],
        [{ days: '3', build: '0.9.0' }, 'USD', 3, (f) => f.build === '0.9.0'],
      ];
      for (const [q, target, days, filter] of cases) {
        const res = await get(ltv(q));
        const what = `ltv ${JSON.stringify(q)} (seed ${SEED})`;
        assert.equal(res.status, 200, `${what}: ${res.text}`);
        assertLtv(res.json, model(events, rates, target, days, filter || undefined), what);
      }
      const chf = await get(ltv({ currency: 'CHF' }));
      assert.equal(chf.json.currency, null);
      assert.ok(chf.json.points.every((p) => p.v === null));
    });

    it('a late earlier user event moves a cohort, purchases before the user event count once it comes, a deleted player leaves', async () => {
      // The cases compared after each step: unfiltered, the platform and build the mover has
      // before and after its move, and their segment (several filters).
      const cases = [
        [{}, 'USD', 30, null],
        [{ days: '7', currency: 'EUR' }, 'EUR', 7, null],
        [{ days: '7', platform: 'android' }, 'USD', 7, (f) => f.platform === 'android'],
        [{ days: '7', platform: 'ios' }, 'USD', 7, (f) => f.platform === 'ios'],
        [{ days: '7', first_build: '2.0.0' }, 'USD', 7, (f) => f.build === '2.0.0'],
        [{ days: '7', platform: 'android', first_build: '2.0.0' }, 'USD', 7, (f) => f.platform === 'android' && f.build === '2.0.0'],
      ];
      const mismatch = async () => {
        for (const [q, target, days, filter] of cases) {
          const res = await get(ltv(q));
          const what = `ltv ${JSON.stringify(q)} (seed ${SEED})`;
          if (res.status !== 200) return `${what}: ${res.text}`;
          try {
            // (an answer without any cohort has no groups)
            assertLtv({ groups: [], ...res.json }, model(events, rates, target, days, filter || undefined), what);
          } catch (err) {
            return err.message;
          }
        }
        return null;
      };
      // The rollups fold behind ingest (on ClickHouse the first days can lag too): wait until
      // the answers settle on the model, then say what differs if they never do.
      const settle = async (what) => {
        let last = null;
        try {
          await ps.waitFor(async () => (last = await mismatch()) === null, { timeoutMs: 30000, what });
        } catch (err) {
          assert.fail(`${what}: ${last || err.message}`);
        }
      };
      const post = async (sent) => {
        events.push(...sent);
        const res = await ps.postEvents(srv.port, game, sent.map((e) => e.body));
        assert.equal(res.status, 200, ps.describeRes(res));
      };
      const at = (day, s) => day * DAY + 7200 + s;
      const buy = (session, day, amount, currency, dims, s) => ({ day, user: session.user_id, category: 'business', amount, currency, ...dims,
        body: ev.makeEvent('business', session, { ...dims, client_ts: at(day, s), amount, currency }) });
      const userEvent = (session, day, dims, s) => ({ day, user: session.user_id, category: 'user', ...dims,
        body: ev.makeEvent('user', session, { ...dims, client_ts: at(day, s) }) });

      // The mover: the ios user first seen on FROM + 3 or later with the most purchases in
      // its cohort; its earlier user event two days before, on android and build 2.0.0.
      const firsts = new Map();
      for (const e of events) if (e.category === 'user' && !(firsts.get(e.user)?.day <= e.day)) firsts.set(e.user, e);
      const spend = (user) => events.filter((e) => e.category === 'business' && e.user === user && e.day >= firsts.get(user).day).length;
      const mover = [...firsts.values()].filter((f) => f.day >= FROM + 3 && f.day < TO && f.platform === 'ios')
        .sort((a, b) => spend(b.user) - spend(a.user))[0];
      assert.ok(mover && spend(mover.user) > 0, 'a paying ios user first seen on FROM + 3 or later');
      const moverSession = { user_id: mover.user, session_id: crypto.randomUUID(), session_num: 1 };
      const moved = { platform: 'android', build: '2.0.0' };
      // A purchase on the day before its first day (nowhere yet), sent and folded first.
      await post([buy(moverSession, mover.day - 1, 4321, 'USD', moved, 1)]);
      // The buyer first: purchases (one the day before its first day) and no user event yet.
      const buyer = { user_id: `ltv-${SEED}-buyfirst-u`, session_id: crypto.randomUUID(), session_num: 1 };
      const buyerDims = { platform: 'android', build: '2.0.0' };
      await post([buy(buyer, FROM + 1, 2500, 'USD', buyerDims, 1), buy(buyer, FROM + 2, 1234, 'USD', buyerDims, 2),
        buy(buyer, FROM + 4, 999, 'EUR', buyerDims, 3)]);
      await settle('the purchases without their user event counted nowhere');
      // ... and folded (revenue counts them) before the user event is sent
      const range = `from=${(FROM - 3) * DAY}&to=${(todayDay + 1) * DAY - 1}`;
      const paid = events.filter((e) => e.category === 'business' && e.day >= FROM - 3).reduce((k, e) => k + e.amount, 0);
      await ps.waitFor(async () => {
        const r = await get(`/api/v1/games/${game.id}/metrics/revenue?${range}`);
        return r.status === 200 && r.json.groups.reduce((k, g) => k + g.total, 0) === paid;
      }, { timeoutMs: 60000, what: 'the purchases without their user event rolled up' });
      // The buyer's user event, on FROM + 2: its purchases of that day and later count now.
      await post([userEvent(buyer, FROM + 2, buyerDims, 0)]);
      await settle('the purchases of the buyer who bought first in its cohort');
      // The mover's earlier user event: its cohort (and first platform and build) move, with
      // its purchases, and the one of the day before its old first day counts now.
      await post([userEvent(moverSession, mover.day - 2, moved, 0)]);
      await settle('the mover in its new cohort');
      assert.ok(model(events, rates, 'USD', 7, (f) => f.platform === 'android' && f.build === '2.0.0').total === 2,
        'the segment holds the mover and the buyer');

      // The mover deleted: its purchases leave its cohort.
      const admin = (await cli(['api-token', 'create', '--role', 'admin'])).stdout.trim();
      const res = await ps.request(srv.port, { method: 'DELETE', path: `/api/v1/games/${game.id}/players/${encodeURIComponent(mover.user)}`,
        headers: { Authorization: `Bearer ${admin}` } });
      assert.equal(res.status, 200, res.text);
      events = events.filter((e) => e.user !== mover.user);
      await settle('the mover deleted');
    });

    it('lists itself as a money metric with the filters it takes, and refuses the others', async () => {
      const list = await get('/api/v1/metrics');
      const entry = list.json.metrics.find((m) => m.name === 'ltv');
      assert.ok(entry, 'ltv in the catalogue');
      assert.equal(entry.source, 'events');
      assert.equal(entry.combine, true);
      assert.ok(entry.filters.includes('platform') && entry.filters.includes('first_build'));
      assert.ok(!entry.filters.includes('new'));
      assert.deepEqual(entry.group_by, []);
      assertApiError(await get(ltv({ group_by: 'platform' })), 400, 'group_by');
      assertApiError(await get(ltv({ new: 'new' })), 400, 'new');
      for (const bad of ['366', '-1', 'x', '']) assertApiError(await get(ltv({ days: bad })), 400, `days=${bad}`);
      assertApiError(await get(ltv({ currency: 'usd' })), 400, 'a malformed currency');
    });
  });
}

runLtvTests('sqlite', (work) => ['--data', path.join(work, 'data')]);

const CH = process.env.PLAYSTAT_TEST_CH_HTTP;
if (CH) {
  const db = `ltv_${process.pid}`;
  runLtvTests('clickhouse', (work) => ['--data', path.join(work, 'data'), '--store', `clickhouse://${CH.split(',')[0]}/${db}?spool=${path.join(work, 'spool')}`, '--state', `sqlite:${path.join(work, 'state')}`]);
}
