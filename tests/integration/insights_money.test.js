'use strict';
// Money in one currency, end to end (issue 15): business events in five currencies over ten
// days, exchange rates the test writes as an ECB euro-reference CSV (a day without a row, a
// rate N/A on a day, a currency with a rate only before the range so that it ages out after
// the 7-day lookback, one currency without any rate), loaded with `playstat rates load` and
// PUT /api/v1/rates. revenue (per currency and converted), arpdau, arppu, their totals and
// left_out are compared, unfiltered, filtered and grouped, in the game's reporting currency
// and in currency=, with a model computed here from what the test sent and the rates it
// wrote. A game without a reporting currency answers in EUR; a currency without any rate
// (CHF) converts nothing: null figures.
//
// PLAYSTAT_TEST_CH_HTTP (tests/servers/run-with.sh --clickhouse 1) runs the same against the
// ClickHouse event store as well (ctest integration/insights_money_clickhouse).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

const ps = require('./lib/playstat');
const ev = require('./lib/events');
const { assertApiError } = require('./lib/insights');
const { mulberry32, simulationSeed } = require('./lib/random');
const { ecbCsv, rateOn, close } = require('./lib/rates');

const SEED = simulationSeed(1515);
const DAY = 86400;
const CURRENCIES = ['USD', 'EUR', 'JPY', 'GBP', 'BRL'];
const PLATFORMS = ['ios', 'android'];
const RATE_CODES = ['USD', 'JPY', 'GBP', 'CHF']; // the CSV's columns (CHF: never a rate)
const todayDay = Math.floor(Date.now() / 1000 / DAY);
const FROM = todayDay - 12; // the range asked: ten days
const TO = FROM + 10;

/** The record of what is sent: users active on days, some of them paying in a currency. */
function simulate() {
  const rnd = mulberry32(SEED);
  const events = [];
  for (let p = 0; p < 40; p++) {
    const user = `money-${SEED}-${p}-u`;
    const platform = PLATFORMS[p % 2];
    const currency = CURRENCIES[p % CURRENCIES.length];
    for (let day = FROM; day < TO; day++) {
      if (rnd() < 0.35) continue;
      const session = { user_id: user, session_id: crypto.randomUUID(), session_num: day - FROM + 1 };
      const t = day * DAY + 3600 + Math.floor(rnd() * 60000);
      const dims = { platform, client_ts: t };
      events.push({ day, user, platform, category: 'user', body: ev.makeEvent('user', session, dims) });
      const pays = p % 3 === 0 ? rnd() < 0.7 : rnd() < 0.1;
      for (let k = 0; pays && k < 1 + (p % 2); k++) {
        const amount = [99, 499, 1999, 12000][Math.floor(rnd() * 4)];
        events.push({ day, user, platform, category: 'business', amount, currency,
          body: ev.makeEvent('business', session, { ...dims, client_ts: t + 60 + k, amount, currency }) });
      }
    }
  }
  // GBP on the range's last days: its only rate (FROM - 1) is too old there.
  for (const day of [TO - 2, TO - 1]) {
    const session = { user_id: `money-${SEED}-late-u`, session_id: crypto.randomUUID(), session_num: 1 };
    const dims = { platform: 'ios', client_ts: day * DAY + 7200 };
    events.push({ day, user: session.user_id, platform: 'ios', category: 'user', body: ev.makeEvent('user', session, dims) });
    events.push({ day, user: session.user_id, platform: 'ios', category: 'business', amount: 777, currency: 'GBP',
      body: ev.makeEvent('business', session, { ...dims, client_ts: dims.client_ts + 5, amount: 777, currency: 'GBP' }) });
  }
  return events;
}

/** The rates the test loads: units per EUR by currency and day (BRL: none at all). */
function makeRates() {
  const rnd = mulberry32(SEED + 7);
  const rates = { USD: new Map(), JPY: new Map(), GBP: new Map() };
  for (let day = FROM - 3; day < TO; day++) {
    if (day === FROM + 3 || day === FROM + 4) continue; // no row: a "weekend"
    rates.USD.set(day, Math.round((1 + rnd() * 0.2) * 10000) / 10000);
    if (day !== FROM + 6) rates.JPY.set(day, Math.round((150 + rnd() * 10) * 100) / 100); // N/A that day
  }
  rates.GBP.set(FROM - 1, 0.8612);
  return rates;
}

// ---- the model ----

const ratio = (a, b) => (b ? a / b : 0);

/** revenue, arpdau or arppu of the events passing filter, in target (null: none). */
function model(metric, all, rates, target, filter) {
  const events = filter ? all.filter((e) => e[filter[0]] === filter[1]) : all;
  const days = [];
  for (let d = FROM; d < TO; d++) days.push(d);
  const pay = events.filter((e) => e.category === 'business' && e.day >= FROM && e.day < TO);
  const leftOut = new Set();
  let some = false;
  const converted = days.map((d) => pay.filter((e) => e.day === d).reduce((sum, e) => {
    const to = target && rateOn(rates, target, d);
    const from = rateOn(rates, e.currency, d);
    if (target && e.currency === target) { some = true; return sum + e.amount; }
    if (to && from) { some = true; return sum + e.amount * to / from; }
    leftOut.add(e.currency);
    return sum;
  }, 0));
  const usersOn = (d, list) => new Set(list.filter((e) => e.day === d).map((e) => e.user)).size;
  const sum = converted.reduce((a, b) => a + b, 0);
  let points;
  let total;
  if (metric === 'revenue') {
    points = converted;
    total = sum;
  } else if (metric === 'arpdau') {
    const dau = days.map((d) => usersOn(d, events));
    points = converted.map((v, k) => ratio(v, dau[k]));
    total = ratio(sum, dau.reduce((a, b) => a + b, 0));
  } else {
    points = converted.map((v, k) => ratio(v, usersOn(days[k], pay)));
    total = ratio(sum, new Set(pay.map((e) => e.user)).size);
  }
  const currency = target && (some || pay.length === 0) ? target : null;
  if (!currency) { points = points.map(() => null); total = null; }
  const groups = new Map();
  for (const c of [...new Set(pay.map((e) => e.currency))].sort()) {
    const own = days.map((d) => pay.filter((e) => e.day === d && e.currency === c).reduce((a, e) => a + e.amount, 0));
    groups.set(c, { points: own, total: own.reduce((a, b) => a + b, 0) });
  }
  return { currency, left_out: [...leftOut].sort(), points, total, groups };
}

function assertSeries(got, want, what) {
  assert.ok(close(got.total, want.total), `${what}: total ${got.total}, want ${want.total}`);
  assert.equal(got.points.length, want.points.length, `${what}: points`);
  got.points.forEach((p, k) => {
    assert.equal(p.t, (FROM + k) * DAY, `${what}: point ${k} t`);
    if (!close(p.v, want.points[k])) assert.fail(`${what}: point ${k} is ${p.v}, want ${want.points[k]}`);
  });
}

function runMoneyTests(label, storeArgs) {
  describe(`money per currency and converted (${label})`, () => {
    let srv;
    let work;
    let game;
    let bare; // a game without a reporting currency
    let viewer;
    let admin;
    let events;
    const rates = makeRates();
    const get = (p, token = viewer) => ps.request(srv.port, { path: p, headers: { Authorization: `Bearer ${token}` } });
    const cli = (args) => ps.runCli([...args, ...storeArgs(work)]);
    const metric = (id, name, q = {}) => `/api/v1/games/${id}/metrics/${name}?${new URLSearchParams({ from: String(FROM * DAY), to: String(TO * DAY - 1), ...q })}`;

    before(async () => {
      work = ps.makeTempDir(`money-${label}`);
      srv = await ps.startServer({ name: `money-${label}`, dataDir: path.join(work, 'data'), args: storeArgs(work).slice(2) });
      game = JSON.parse((await cli(['game', 'create', '--name', 'Money Game', '--currency', 'USD'])).stdout);
      assert.equal(game.currency, 'USD');
      bare = JSON.parse((await cli(['game', 'create', '--name', 'No Currency'])).stdout);
      assert.equal(bare.currency, null);
      viewer = (await cli(['api-token', 'create'])).stdout.trim();
      admin = (await cli(['api-token', 'create', '--role', 'admin'])).stdout.trim();
      events = simulate();
      for (const g of [game, bare]) {
        for (let i = 0; i < events.length; i += 250) {
          const res = await ps.postEvents(srv.port, g, events.slice(i, i + 250).map((e) => ({ ...e.body, event_uuid: crypto.randomUUID() })));
          assert.equal(res.status, 200, ps.describeRes(res));
        }
      }
      // The older half of the rates from a file with the CLI, the newer half over HTTP.
      const file = path.join(work, 'eurofxref-hist.csv');
      fs.writeFileSync(file, ecbCsv(rates, RATE_CODES, FROM - 3, FROM + 5));
      const loaded = JSON.parse((await ps.runCli(['rates', 'load', file, ...storeArgs(work)])).stdout);
      assert.equal(loaded.from, new Date((FROM - 3) * DAY * 1000).toISOString().slice(0, 10));
      assert.deepEqual(loaded.currencies, ['USD', 'JPY', 'GBP', 'CHF']);
      const body = ecbCsv(rates, RATE_CODES, FROM + 5, TO);
      const put = (token, text) => ps.request(srv.port, { method: 'PUT', path: '/api/v1/rates', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'text/csv' }, body: text });
      const res = await put(admin, body);
      assert.equal(res.status, 200, res.text);
      const days = [...new Set([...rates.USD.keys(), ...rates.JPY.keys()].filter((d) => d >= FROM + 5))];
      assert.equal(res.json.days, days.length);
      assert.equal(res.json.rates, days.reduce((n, d) => n + (rates.USD.has(d) ? 1 : 0) + (rates.JPY.has(d) ? 1 : 0), 0));
      assertApiError(await put(viewer, body), 403, 'a viewer token cannot load rates');
      const bad = assertApiError(await put(admin, 'Date,USD\n2026-12-01,1\n2026-12-01x,2\n'), 400, 'a bad line');
      assert.match(bad.message, /line 3/);
      const want = events.filter((e) => e.category === 'user').length;
      await ps.waitFor(async () => {
        const r = await get(`/api/v1/games/${game.id}/metrics/sessions?source=events&from=${FROM * DAY}&to=${TO * DAY - 1}`);
        const b = await get(`/api/v1/games/${bare.id}/metrics/sessions?source=events&from=${FROM * DAY}&to=${TO * DAY - 1}`);
        return r.status === 200 && r.json.total === want && b.json.total === want;
      }, { timeoutMs: 30000, what: 'the event rollups to catch up' });
    });
    after(async () => {
      if (srv) await srv.stop();
      if (work) ps.removeDir(work);
    });

    it('the model exercises what it claims (several currencies, a gap day, an aged-out rate, no rate)', () => {
      const m = model('revenue', events, rates, 'USD', null);
      assert.deepEqual(m.left_out, ['BRL', 'GBP']);
      assert.ok(m.groups.size === 5);
      assert.equal(rateOn(rates, 'USD', FROM + 3), rates.USD.get(FROM + 2), 'a day without a row takes the day before');
      assert.equal(rateOn(rates, 'GBP', FROM + 2), 0.8612, 'GBP converts early in the range');
      assert.equal(rateOn(rates, 'GBP', TO - 1), null, 'and not at its end');
      const gbp = events.filter((e) => e.currency === 'GBP');
      assert.ok(gbp.some((e) => rateOn(rates, 'GBP', e.day) !== null), 'some GBP converts');
      assert.ok(gbp.some((e) => rateOn(rates, 'GBP', e.day) === null), 'some GBP is left out');
    });

    it('revenue, arpdau and arppu equal the model: reporting currency, currency=, filtered, grouped', async () => {
      const cases = [
        [{}, 'USD', null], [{ currency: 'EUR' }, 'EUR', null], [{ currency: 'JPY' }, 'JPY', null],
        [{ currency: 'BRL' }, 'BRL', null], [{ platform: 'ios' }, 'USD', ['platform', 'ios']],
        [{ currency: 'EUR', platform: 'android' }, 'EUR', ['platform', 'android']],
        [{ currency: 'CHF' }, 'CHF', null], // CHF has no rate: nothing converts, currency null
      ];
      let compared = 0;
      for (const name of ['revenue', 'arpdau', 'arppu']) {
        for (const [q, target, filter] of cases) {
          const res = await get(metric(game.id, name, q));
          const what = `${name} ${JSON.stringify(q)} (seed ${SEED})`;
          assert.equal(res.status, 200, `${what}: ${res.text}`);
          const want = model(name, events, rates, target, filter);
          assert.equal(res.json.currency, want.currency, `${what}: currency`);
          assert.deepEqual(res.json.left_out, want.left_out, `${what}: left_out`);
          assertSeries(res.json, want, what);
          if (name === 'revenue') {
            assert.deepEqual(res.json.groups.map((g) => g.key), [...want.groups.keys()], `${what}: one group per currency`);
            for (const g of res.json.groups) assertSeries(g, want.groups.get(g.key), `${what}: ${g.key} in its own cents`);
          } else {
            assert.equal(res.json.groups, undefined, `${what}: no groups`);
          }
          compared += 1;
        }
        // group_by: each group is the metric of its segment, converted.
        for (const currency of [undefined, 'EUR']) {
          const q = currency ? { currency, group_by: 'platform' } : { group_by: 'platform' };
          const res = await get(metric(game.id, name, q));
          const what = `${name} ${JSON.stringify(q)}`;
          assert.equal(res.status, 200, `${what}: ${res.text}`);
          const target = currency || 'USD';
          const whole = model(name, events, rates, target, null);
          assertSeries(res.json, whole, `${what} whole`);
          assert.deepEqual(res.json.left_out, whole.left_out, `${what}: left_out`);
          assert.deepEqual(res.json.groups.map((g) => g.key), [...PLATFORMS].sort(), `${what}: groups`);
          for (const g of res.json.groups) assertSeries(g, model(name, events, rates, target, ['platform', g.key]), `${what} ${g.key}`);
          compared += 1;
        }
      }
      assert.equal(compared, 3 * 9);
    });

    it('a game without a reporting currency answers in EUR, then in the one set', async () => {
      for (const name of ['revenue', 'arpdau', 'arppu']) {
        const res = await get(metric(bare.id, name));
        assert.equal(res.status, 200, res.text);
        const want = model(name, events, rates, 'EUR', null);
        assert.equal(res.json.currency, 'EUR');
        assert.deepEqual(res.json.left_out, want.left_out);
        assertSeries(res.json, want, `${name} without a reporting currency`);
        if (name === 'revenue') for (const g of res.json.groups) assertSeries(g, want.groups.get(g.key), `revenue ${g.key}`);
      }
      // Asked for one, it converts into it; set one, it is the default.
      const asked = await get(metric(bare.id, 'revenue', { currency: 'GBP' }));
      assert.equal(asked.json.currency, 'GBP');
      assertSeries(asked.json, model('revenue', events, rates, 'GBP', null), 'currency=GBP');
      const set = JSON.parse((await cli(['game', 'set', '--game', String(bare.id), '--currency', 'JPY'])).stdout);
      assert.equal(set.currency, 'JPY');
      const listed = JSON.parse((await cli(['game', 'list'])).stdout);
      assert.deepEqual(listed.map((g) => g.currency), ['USD', 'JPY']);
      const res = await get(metric(bare.id, 'arppu'));
      assert.equal(res.json.currency, 'JPY');
      assertSeries(res.json, model('arppu', events, rates, 'JPY', null), 'arppu after game set');
    });

    it('refuses a malformed currency, in the API and the CLI', async () => {
      for (const bad of ['usd', 'EURO', 'E1R', '']) {
        assertApiError(await get(metric(game.id, 'revenue', { currency: bad })), 400, `currency=${bad}`);
      }
      const out = ps.runCliFailing(['game', 'set', '--game', String(game.id), '--currency', 'dollar', ...storeArgs(work)]);
      assert.match(out.stderr || String(out), /ISO 4217/);
    });
  });
}

runMoneyTests('sqlite', (work) => ['--data', path.join(work, 'data')]);

const CH = process.env.PLAYSTAT_TEST_CH_HTTP;
if (CH) {
  const db = `money_${process.pid}`;
  runMoneyTests('clickhouse', (work) => ['--data', path.join(work, 'data'), '--store', `clickhouse://${CH.split(',')[0]}/${db}?spool=${path.join(work, 'spool')}`, '--state', `sqlite:${path.join(work, 'state')}`]);
}
