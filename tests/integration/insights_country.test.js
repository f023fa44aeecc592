'use strict';
// Country from the client address, end to end (issue 15): a small MaxMind DB written here by
// tests/data/make_geoip_db.pl (10.1.0.0/16 DE, 10.2.0.0/16 BR, 2001:db8::/32 JP), then
// `playstat serve --geoip DB --trusted-proxy 127.0.0.1/32`, and GameAnalytics events posted
// with X-Forwarded-For naming players' addresses in those networks and outside them (whose
// country is unknown). Some players change country from one day to the next: the country is
// the event's, not the player's. Some requests carry a spoofed entry left of the client's, as
// a proxy appends to what the client sent, in the same header or in a second one.
//   - dau, sessions and revenue, filtered by each country and grouped by country, equal a model
//     computed from what was sent (the address of each request and the networks written into
//     the database), day by day;
//   - the events export has each event's country (null for the unknown ones);
//   - restarted without --trusted-proxy, the same header is ignored: the event is the
//     loopback's, whose country is unknown;
//   - no address sent appears in any file of the data directory, nor in the server's log.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const path = require('node:path');
const zlib = require('node:zlib');

const ps = require('./lib/playstat');
const ev = require('./lib/events');
const { mulberry32, simulationSeed } = require('./lib/random');

const SEED = simulationSeed(1515);
const DAY = 86400;
const DAYS = 4;
// The database's networks, as written by make_geoip_db.pl: the model's only source of
// countries. Addresses outside them (10.9.0.0/16, 2001:db9::/32) have no country.
const NETWORKS = { DE: '10.1.0.0/16', BR: '10.2.0.0/16', JP: '2001:db8::/32' };
const COUNTRIES = Object.keys(NETWORKS).sort();

/** A player's address in a country's network (undefined: a network the database lacks). */
function addressIn(country, rnd) {
  const n = 1 + Math.floor(rnd() * 250);
  const m = 1 + Math.floor(rnd() * 250);
  switch (country) {
    case 'DE': return `10.1.${n}.${m}`;
    case 'BR': return `10.2.${n}.${m}`;
    case 'JP': return `2001:db8:${n.toString(16)}::${m.toString(16)}`;
    default: return rnd() < 0.5 ? `10.9.${n}.${m}` : `2001:db9::${n.toString(16)}:${m.toString(16)}`;
  }
}

/** The requests of the simulation: [{ address, spoof, events: [{user, day, country, category, amount, body}] }]. */
function simulate(players, todayDay) {
  const rnd = mulberry32(SEED);
  const requests = [];
  const firstDay = todayDay - DAYS;
  const homes = [...COUNTRIES, undefined];
  for (let p = 0; p < players; p++) {
    const user = `geo-user-${SEED}-${p}-u`;
    const home = homes[p % homes.length];
    const traveller = rnd() < 0.25;
    const payer = rnd() < 0.4;
    for (let day = firstDay; day < todayDay; day++) {
      if (rnd() < 0.3) continue;
      // A traveller plays from another country on odd days.
      const country = traveller && day % 2 ? homes[(homes.indexOf(home) + 1) % homes.length] : home;
      const address = addressIn(country, rnd);
      const sessions = 1 + Math.floor(rnd() * 2);
      const events = [];
      for (let s = 0; s < sessions; s++) {
        const session = { user_id: user, session_id: ev.uuid(), session_num: s + 1 };
        const t = day * DAY + 3600 + s * 7200 + Math.floor(rnd() * 3000);
        const platform = p % 2 ? 'ios' : 'android';
        const dims = { platform, client_ts: t };
        events.push({ user, day, country, category: 'user', body: ev.makeEvent('user', session, dims) });
        events.push({ user, day, country, category: 'design', body: ev.makeEvent('design', session, { ...dims, client_ts: t + 30 }) });
        if (payer && rnd() < 0.5) {
          const amount = [99, 499, 999][Math.floor(rnd() * 3)];
          events.push({ user, day, country, category: 'business', amount,
            body: ev.makeEvent('business', session, { ...dims, client_ts: t + 60, amount, currency: 'USD' }) });
        }
      }
      // A proxy appends the address it got the request from to what the client sent: a
      // spoofed entry on the left must not count.
      const spoof = rnd() < 0.5 ? `10.1.0.${1 + Math.floor(rnd() * 250)}` : null;
      // Either in one header, or in two: several X-Forwarded-For headers are one list.
      requests.push({ address, spoof, twoHeaders: rnd() < 0.5, events });
    }
  }
  return requests;
}

// ---- the model ----

const uniq = (list) => new Set(list).size;

/** metric over the events of one country (undefined: all events), per day of [fromDay, toDay). */
function reference(metric, all, country, fromDay, toDay) {
  const events = country === undefined ? all : all.filter((e) => e.country === country);
  const days = [];
  for (let d = fromDay; d < toDay; d++) days.push(d);
  const of = (list) => {
    if (metric === 'dau') return uniq(list.map((e) => e.user));
    if (metric === 'sessions') return list.filter((e) => e.category === 'user').length;
    return list.filter((e) => e.category === 'business').reduce((a, e) => a + e.amount, 0); // revenue (USD)
  };
  return { points: days.map((d) => of(events.filter((e) => e.day === d))), total: of(events.filter((e) => e.day >= fromDay && e.day < toDay)) };
}

function assertSeries(got, want, what) {
  assert.ok(got, `${what}: no series in the answer`);
  assert.equal(got.total, want.total, `${what}: total`);
  assert.deepEqual(got.points.map((p) => p.v), want.points, `${what}: points`);
}

/** The series of a revenue answer for USD (the one currency sent): its group, or the whole. */
function usd(json) {
  const group = (json.groups || []).find((g) => g.key === 'USD');
  return group || json;
}

describe('country from the client address', () => {
  let srv;
  let game;
  let token;
  let requests;
  let events;
  let dataDir;
  let dbFile;
  const logs = [];
  const tmp = ps.makeTempDir('geoip');
  const todayDay = Math.floor(Date.now() / 1000 / DAY);
  const fromDay = todayDay - DAYS;
  const range = { from: fromDay * DAY, to: todayDay * DAY, interval: 'day' };
  const get = (metric, query) => {
    const q = new URLSearchParams({ ...range, ...query });
    return ps.request(srv.port, { path: `/api/v1/games/${game.id}/metrics/${metric}?${q}`, headers: { Authorization: `Bearer ${token}` } });
  };
  const dauOf = async (query = {}) => {
    const res = await get('dau', query);
    assert.equal(res.status, 200, ps.describeRes(res));
    return res.json;
  };

  before(async () => {
    dbFile = path.join(tmp, 'countries.mmdb');
    childProcess.execFileSync('perl', [path.join(ps.SOURCE_DIR, 'tests/data/make_geoip_db.pl'), dbFile,
      ...Object.entries(NETWORKS).map(([iso, net]) => `${net}=${iso}`)]);
    srv = await ps.startServer({ name: 'geoip', args: ['--geoip', dbFile, '--trusted-proxy', '127.0.0.1/32'] });
    dataDir = srv.dataDir;
    game = await ps.createGame(dataDir, 'Country Game');
    token = (await ps.runCli(['api-token', 'create', '--data', dataDir])).stdout.trim();
    requests = simulate(60, todayDay);
    events = requests.flatMap((r) => r.events);
    for (const r of requests) {
      const forwarded = !r.spoof ? r.address : r.twoHeaders ? [r.spoof, r.address] : `${r.spoof}, ${r.address}`;
      const res = await ps.postEvents(srv.port, game, r.events.map((e) => e.body), { headers: { 'X-Forwarded-For': forwarded } });
      assert.equal(res.status, 200, ps.describeRes(res));
    }
    const users = uniq(events.map((e) => e.user));
    await ps.waitFor(async () => (await dauOf()).total === users, { timeoutMs: 30000, what: 'the event rollups to catch up' });
  });
  after(async () => {
    if (srv && srv.alive) await srv.stop({ keepData: true });
    for (const [name, text] of logs) ps.writeTestOut(name, text);
    ps.removeDir(dataDir);
    ps.removeDir(tmp);
  });

  it('sends every country, travellers and unknown addresses (the simulation covers what it tests)', () => {
    for (const c of [...COUNTRIES, undefined]) assert.ok(events.some((e) => e.country === c), `events from ${c || 'unknown'}`);
    const countriesOf = new Map();
    for (const e of events) countriesOf.set(e.user, new Set([...(countriesOf.get(e.user) || []), e.country]));
    assert.ok([...countriesOf.values()].some((s) => s.size > 1), 'a player seen in two countries');
    assert.ok(requests.some((r) => r.spoof && r.twoHeaders) && requests.some((r) => r.spoof && !r.twoHeaders), 'spoofed entries, in one header and in two');
    assert.ok(events.some((e) => e.category === 'business'), 'revenue');
  });

  for (const metric of ['dau', 'sessions', 'revenue']) {
    const query = metric === 'sessions' ? { source: 'events' } : metric === 'revenue' ? { currency: 'USD' } : {};
    const seriesOf = metric === 'revenue' ? usd : (json) => json;

    it(`${metric}: filtered by each country equals the model`, async () => {
      for (const country of COUNTRIES) {
        const res = await get(metric, { ...query, country });
        assert.equal(res.status, 200, ps.describeRes(res));
        assertSeries(seriesOf(res.json), reference(metric, events, country, fromDay, todayDay), `${metric} country=${country}`);
      }
      const none = await get(metric, { ...query, country: 'FR' });
      assert.equal(none.status, 200, ps.describeRes(none));
      assert.equal(seriesOf(none.json).total, 0, `${metric} country=FR: nothing was sent from France`);
    });

    // revenue: one currency is sent (USD), so its groups by country are the USD amounts.
    it(`${metric}: grouped by country equals the model, one group per country seen`, async () => {
      const res = await get(metric, { ...query, group_by: 'country' });
      assert.equal(res.status, 200, ps.describeRes(res));
      assert.deepEqual(res.json.groups.map((g) => g.key).sort(), COUNTRIES, `${metric}: the groups are the countries sent`);
      for (const g of res.json.groups) assertSeries(g, reference(metric, events, g.key, fromDay, todayDay), `${metric} group ${g.key}`);
      assertSeries(res.json, reference(metric, events, undefined, fromDay, todayDay), `${metric}: the whole`);
    });
  }

  it('the events export has each event\'s country', async () => {
    const out = path.join(tmp, 'export');
    const today = new Date().toISOString().slice(0, 10);
    await ps.runCli(['export', '--data', dataDir, '--game', String(game.id), '--kinds', 'events', '--from', today, '--to', today,
      '--to-url', `file:${out}`, '--every', 'hour', '--format', 'ndjson.gz', '--delay', '-7200']);
    const byUuid = new Map(events.map((e) => [e.body.event_uuid, e.country === undefined ? null : e.country]));
    let seen = 0;
    for (const [rel, buf] of ps.filesOf(out)) {
      if (!rel.endsWith('.ndjson.gz')) continue;
      for (const line of zlib.gunzipSync(buf).toString('utf8').split('\n').filter((l) => l.trim())) {
        const row = JSON.parse(line);
        const uuid = JSON.parse(row.raw).event_uuid;
        assert.ok(byUuid.has(uuid), `exported event ${uuid} was sent`);
        assert.equal(row.country === undefined ? null : row.country, byUuid.get(uuid), `country of ${uuid}`);
        seen += 1;
      }
    }
    assert.equal(seen, events.length, 'every event exported once');
  });

  it('restarted without --trusted-proxy: X-Forwarded-For is ignored, the loopback\'s country is unknown', async () => {
    await srv.stop({ keepData: true });
    logs.push(['geoip-trusted.log', srv.log()]);
    srv = await ps.startServer({ name: 'geoip-untrusted', dataDir, args: ['--geoip', dbFile] });
    const user = `geo-untrusted-${SEED}-u`;
    const session = { user_id: user, session_id: ev.uuid(), session_num: 1 };
    const t = (todayDay - 1) * DAY + 5000;
    const body = [ev.makeEvent('user', session, { client_ts: t })];
    const res = await ps.postEvents(srv.port, game, body, { headers: { 'X-Forwarded-For': '10.1.77.77' } });
    assert.equal(res.status, 200, ps.describeRes(res));
    const all = [...events, { user, day: todayDay - 1, country: undefined, category: 'user' }];
    await ps.waitFor(async () => (await dauOf()).total === uniq(all.map((e) => e.user)), { timeoutMs: 30000, what: 'the rollups to fold the new event' });
    for (const country of COUNTRIES) assertSeries(await dauOf({ country }), reference('dau', all, country, fromDay, todayDay), `dau country=${country}`);
    const grouped = await dauOf({ group_by: 'country' });
    assert.deepEqual(grouped.groups.map((g) => g.key).sort(), COUNTRIES, 'no group for the unknown country');
    assertSeries(grouped, reference('dau', all, undefined, fromDay, todayDay), 'dau: the whole counts the new player');
    requests.push({ address: '10.1.77.77', events: [] });
  });

  it('no address sent is in any file of the data directory or in the server log', async () => {
    await srv.stop({ keepData: true });
    logs.push(['geoip-untrusted.log', srv.log()]);
    const addresses = [...new Set(requests.flatMap((r) => [r.address, r.spoof]).filter(Boolean))];
    assert.ok(addresses.length > 50, `addresses sent: ${addresses.length}`);
    const files = ps.filesOf(dataDir);
    assert.ok(files.size > 0, 'the data directory has files');
    for (const address of addresses) {
      for (const [rel, buf] of files) assert.equal(buf.indexOf(address), -1, `${address} found in ${rel}`);
      for (const [name, text] of logs) assert.equal(text.indexOf(address), -1, `${address} found in the log ${name}`);
    }
  });
});
