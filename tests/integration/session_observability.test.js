'use strict';
// Session observability (Unity Matchmaker compatible) against the real binary:
// - service accounts: 401 without or with bad credentials, 403 for another project or role,
//   problem+json bodies;
// - validation (400 naming each bad event, 415) and idempotency (the same event twice is
//   stored once);
// - a simulated matchmaker: 2500 sessions across pools, queues and regions, with allocation
//   failures, backfill, events shuffled across and within sessions and 10% resent; then every
//   combination of the seven search filters (128) is paged through and compared with the
//   simulation's own record, and every session document is checked (createdAt, updatedAt,
//   gameMode, allocation, matchmakingStatus, events in timestamp order, "Player N" names
//   consistent within the session);
// - paging while new sessions arrive lists no session twice;
// - no real player id anywhere in the data directory or the server log;
// - retention: a session past --match-retention-days answers 404 and leaves nothing behind.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const ps = require('./lib/playstat');
const { mulberry32, simulationSeed } = require('./lib/random');
const { createServiceAccount, SoClient } = require('./lib/observability');

const REAL_PREFIX = 'zq7real'; // every real player id starts with it: one search finds any leak

// ---------------------------------------------------------------------------------------------
// A seeded simulation


const POOLS = [
  { poolId: 'a1f3c6e0-0000-4000-8000-00000000000a', poolName: 'pool-a' },
  { poolId: 'b2f3c6e0-0000-4000-8000-00000000000b', poolName: 'pool-b' },
  { poolId: 'c3f3c6e0-0000-4000-8000-00000000000c', poolName: 'pool-c' },
];
const QUEUES = [
  { queueId: 'd4f3c6e0-0000-4000-8000-00000000000d', queueName: 'casual' },
  { queueId: 'e5f3c6e0-0000-4000-8000-00000000000e', queueName: 'ranked' },
];
const REGIONS = ['eu-west', 'us-east', 'ap-south'];

function iso(ms) { return new Date(ms).toISOString(); }

/** Sessions with their events and what the API must say about them. */
function simulate(count, seed, startMs) {
  const rnd = mulberry32(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  const realPlayers = Array.from({ length: 400 }, (_, i) => `${REAL_PREFIX}-${i}-${crypto.randomBytes(3).toString('hex')}`);
  const sessions = [];
  for (let i = 0; i < count; i++) {
    const sessionId = crypto.randomUUID();
    const pool = pick(POOLS);
    const queue = pick(QUEUES);
    const region = pick(REGIONS);
    // Some sessions share a creation millisecond: ties order by session id.
    const t0 = startMs + Math.floor(i / 3) * 60000 + (i % 3 === 2 ? 0 : Math.floor(rnd() * 50000));
    const players = new Set();
    while (players.size < 4 + Math.floor(rnd() * 4)) players.add(pick(realPlayers));
    const team = [...players];
    const half = Math.ceil(team.length / 2);
    const tickets = team.map((_, k) => `tk-${sessionId.slice(0, 8)}-${k}`);
    const events = [
      { type: 'match.created', timestamp: iso(t0), gameMode: { ...pool, ...queue },
        appliedRules: [{ context: 'Team', name: 'Blue Team', type: 'Difference', source: 'Players.CustomData.Skill', reference: 500, not: false, externalData: {} }],
        teams: [{ id: 'red', name: 'Red Team', playerIds: team.slice(0, half) }, { id: 'blue', name: 'Blue Team', playerIds: team.slice(half) }] },
      { type: 'allocation.requested', timestamp: iso(t0 + 100 + Math.floor(rnd() * 400)), regionId: region },
    ];
    const outcome = rnd();
    let allocation = { regionId: region, requestedAt: events[1].timestamp, status: 'Requested' };
    const tDone = t0 + 600 + Math.floor(rnd() * 3000);
    if (outcome < 0.8) {
      events.push({ type: 'allocation.succeeded', timestamp: iso(tDone) });
      allocation = { ...allocation, status: 'Allocated', completedAt: iso(tDone) };
    } else if (outcome < 0.95) {
      events.push({ type: 'allocation.failed', timestamp: iso(tDone), reason: 'no capacity' });
      allocation = { ...allocation, status: 'Failed', completedAt: iso(tDone) };
    }
    events.push({ type: 'players.assigned', timestamp: iso(t0 + 4000 + Math.floor(rnd() * 1000)), assignmentStatus: 'Found',
      players: team.map((id, k) => ({ id, ticketId: tickets[k], customData: { Skill: 1500 + Math.floor(rnd() * 1000) }, qosResults: [] })) });
    const backfill = rnd() < 0.25;
    if (backfill) {
      const joiner = pick(realPlayers);
      players.add(joiner);
      tickets.push(`bf-${sessionId.slice(0, 8)}`);
      events.push({ type: 'backfill.match.created', timestamp: iso(t0 + 20000), backfillTicketId: tickets[tickets.length - 1], teams: [{ id: 'red', name: 'Red Team', playerIds: [joiner] }] });
      events.push({ type: 'players.connected', timestamp: iso(t0 + 21000), players: [{ id: joiner }] });
      events.push({ type: 'players.disconnected', timestamp: iso(t0 + 90000), players: [{ id: team[0] }] });
    }
    const updatedMs = Math.max(...events.map((e) => Date.parse(e.timestamp)));
    sessions.push({
      sessionId, pool, queue, region, tickets, events, players, backfill, allocation,
      createdMs: t0, updatedMs,
      expected: {
        createdAt: iso(t0), updatedAt: iso(updatedMs), gameMode: { ...pool, ...queue }, allocation,
        matchmakingStatus: backfill ? 'OpenBackfilling' : 'OpenNotBackfilling',
      },
    });
  }
  return sessions;
}

/** Each session's events shuffled and split into 1 to 3 requests; all requests shuffled. */
function deliveries(sessions, seed) {
  const rnd = mulberry32(seed);
  const shuffle = (list) => {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [list[i], list[j]] = [list[j], list[i]];
    }
    return list;
  };
  const requests = [];
  for (const s of sessions) {
    const events = shuffle([...s.events]);
    const parts = 1 + Math.floor(rnd() * 3);
    for (let p = 0; p < parts; p++) {
      const chunk = events.filter((_, k) => k % parts === p);
      if (chunk.length) requests.push({ sessionId: s.sessionId, body: chunk.length === 1 && rnd() < 0.5 ? chunk[0] : chunk });
    }
  }
  const resent = requests.filter(() => rnd() < 0.1);
  return shuffle([...requests, ...resent]);
}

async function inParallel(items, limit, fn) {
  let next = 0;
  const workers = Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await fn(item);
    }
  });
  await Promise.all(workers);
}

/** The order of search results: createdAt, then sessionId, newest first. */
function newestFirst(a, b) {
  if (a.createdMs !== b.createdMs) return b.createdMs - a.createdMs;
  return a.sessionId < b.sessionId ? 1 : a.sessionId > b.sessionId ? -1 : 0;
}

/* The secret with its last hex digit changed (never equal to it, whatever that digit is). */
function otherLastDigit(secret) {
  return secret.slice(0, -1) + (secret.endsWith('0') ? '1' : '0');
}

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

// ---------------------------------------------------------------------------------------------

describe('session observability', () => {
  let srv;
  let game;
  let other;
  let writer;
  let viewer;
  let client;
  let reader;

  before(async () => {
    srv = await ps.startServer({ name: 'observability' });
    game = await ps.createGame(srv.dataDir, 'Matchmade');
    other = await ps.createGame(srv.dataDir, 'Other');
    writer = await createServiceAccount(srv.dataDir, game.project_id, 'writer');
    viewer = await createServiceAccount(srv.dataDir, game.project_id, 'viewer');
    client = new SoClient({ port: srv.port, projectId: game.project_id, account: writer });
    reader = new SoClient({ port: srv.port, projectId: game.project_id, account: viewer });
  });
  after(async () => { if (srv) await srv.stop(); });

  it('service-account create prints a uuid key id and a 64-hex secret shown once', async () => {
    assert.match(writer.key_id, ps.UUID);
    assert.match(writer.secret, /^[0-9a-f]{64}$/);
    assert.equal(writer.role, 'writer');
    const { stdout } = await ps.runCli(['service-account', 'list', '--data', srv.dataDir, '--project', game.project_id]);
    assert.equal(stdout.trim().split('\n').length, 2);
    assert.ok(!stdout.includes(writer.secret), 'list never shows secrets');
    await assert.rejects(ps.runCli(['service-account', 'create', '--data', srv.dataDir, '--project', crypto.randomUUID(), '--role', 'viewer']), /no game has project_id/);
    await assert.rejects(ps.runCli(['service-account', 'create', '--data', srv.dataDir, '--project', game.project_id, '--role', 'admin']), /--role must be viewer or writer/);
  });

  it('401 without or with bad credentials, 403 for another project or the other role, as problem+json', async () => {
    const event = { type: 'allocation.succeeded', timestamp: iso(Date.now()) };
    const cases = [
      [new SoClient({ port: srv.port, projectId: game.project_id }), 401],
      [new SoClient({ port: srv.port, projectId: game.project_id, account: { ...writer, secret: otherLastDigit(writer.secret) } }), 401],
      [new SoClient({ port: srv.port, projectId: game.project_id, account: { ...writer, key_id: crypto.randomUUID() } }), 401],
      [new SoClient({ port: srv.port, projectId: game.project_id, account: viewer }), 403],
      [new SoClient({ port: srv.port, projectId: other.project_id, account: writer }), 403],
    ];
    for (const [c, status] of cases) {
      const res = await c.post('auth-check', event);
      assert.equal(res.status, status, ps.describeRes(res));
      assert.match(res.headers['content-type'], /^application\/problem\+json/);
      assert.equal(res.json.status, status);
      assert.ok(res.json.title && res.json.detail && res.json.instance, res.text);
      if (status === 401) assert.match(res.headers['www-authenticate'], /^Basic realm="playstat"/);
    }
    const garbage = await ps.request(srv.port, { path: `${client.base()}/x`, headers: { Authorization: 'Basic !!!notbase64' } });
    assert.equal(garbage.status, 401);
    assert.equal((await client.get('auth-check')).status, 403, 'the writer cannot read');
    assert.equal((await reader.get('auth-check')).status, 404, 'nothing was stored by the refused writes');
  });

  it('400 names every bad event and stores none of the request; 415 without JSON', async () => {
    const good = { type: 'allocation.requested', timestamp: iso(Date.now()), regionId: 'eu' };
    const res = await client.post('bad-batch', [good, { type: 'match.started', timestamp: iso(Date.now()) },
      { type: 'players.assigned', timestamp: '2024-13-01T00:00:00Z', players: [] },
      { type: 'players.assigned', timestamp: iso(Date.now()), players: [{ ticketId: 't' }] }]);
    assert.equal(res.status, 400, ps.describeRes(res));
    assert.match(res.json.detail, /events\[1\]\.type/);
    assert.match(res.json.detail, /events\[2\]\.timestamp/);
    assert.match(res.json.detail, /events\[3\]\.players\[0\]\.id/);
    assert.equal((await reader.get('bad-batch')).status, 404);
    assert.equal((await client.post('bad-batch', null, { raw: '{"type":' })).status, 400);
    assert.equal((await client.post('bad-batch', good, { contentType: 'text/plain' })).status, 415);
    assert.equal((await client.post('bad-batch', [])).status, 400);
  });

  it('the same event sent twice is stored once', async () => {
    const sid = crypto.randomUUID();
    const event = { type: 'players.connected', timestamp: iso(Date.now()), players: [{ id: `${REAL_PREFIX}-dup` }] };
    const first = await client.post(sid, event);
    assert.equal(first.status, 200, ps.describeRes(first));
    assert.deepEqual(first.json, { stored: 1, duplicates: 0 });
    const again = await client.post(sid, [event, event]);
    assert.deepEqual(again.json, { stored: 0, duplicates: 2 });
    const doc = await reader.get(sid);
    assert.equal(doc.json.sessionEvents.length, 1);
    assert.deepEqual(doc.json.sessionEvents[0].players, [{ id: 'Player 1' }]);
  });

  describe('a simulated matchmaker', () => {
    const SEED = simulationSeed(20261122);
    let sessions;
    let byId;

    before(async () => {
      sessions = simulate(2500, SEED, Date.now() - 2 * 86400000);
      byId = new Map(sessions.map((s) => [s.sessionId, s]));
      const requests = deliveries(sessions, SEED + 1);
      let failures = 0;
      await inParallel(requests, 32, async (r) => {
        const res = await client.post(r.sessionId, r.body);
        if (res.status !== 200) failures += 1;
      });
      assert.equal(failures, 0, `every delivery answered 200 (seed ${SEED})`);
    });

    it('every session document matches the record (events in timestamp order, players named consistently)', async () => {
      const { results } = await reader.searchAll({}, { limit: 500 });
      assert.equal(results.length, sessions.length + 1 /* the idempotency test's session */);
      let checked = 0;
      for (const doc of results) {
        const s = byId.get(doc.sessionId);
        if (!s) continue;
        checked += 1;
        const why = `session ${s.sessionId} (seed ${SEED})`;
        assert.equal(doc.projectId, game.project_id);
        assert.equal(doc.environmentId, 'production');
        for (const k of Object.keys(s.expected)) assert.deepEqual(doc[k], s.expected[k], `${why}: ${k}`);
        assert.equal(doc.sessionEvents.length, s.events.length, `${why}: each event once`);
        const times = doc.sessionEvents.map((e) => Date.parse(e.timestamp));
        assert.deepEqual(times, [...times].sort((a, b) => a - b), `${why}: timestamp order`);
        assert.ok(doc.sessionEvents.every((e) => !('gameMode' in e)), 'gameMode is a session attribute');
        // Names: the real id at each position maps to one name, and distinct ids to distinct names.
        const real = new Map();
        const names = new Map();
        const expectedEvents = [...s.events].sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp) || 0);
        const idsOf = (e) => [...(e.teams || []).flatMap((t) => t.playerIds), ...(e.players || []).map((p) => p.id)];
        for (const got of doc.sessionEvents) {
          const want = expectedEvents.find((e) => e.type === got.type && e.timestamp === got.timestamp);
          assert.ok(want, `${why}: unexpected event ${got.type}`);
          const a = idsOf(want);
          const b = idsOf(got);
          assert.equal(b.length, a.length);
          a.forEach((id, k) => {
            assert.match(b[k], /^Player \d+$/);
            if (real.has(id)) assert.equal(real.get(id), b[k], `${why}: one name per player`);
            if (names.has(b[k])) assert.equal(names.get(b[k]), id, `${why}: one player per name`);
            real.set(id, b[k]);
            names.set(b[k], id);
          });
        }
        const numbers = [...names.keys()].map((n) => Number(n.slice(7))).sort((x, y) => x - y);
        assert.deepEqual(numbers, Array.from({ length: s.players.size }, (_, k) => k + 1), `${why}: Player 1..N`);
      }
      assert.equal(checked, sessions.length);
    });

    it('every combination of the seven filters, paged, lists exactly the matching sessions newest first', async () => {
      const pivot = sessions.find((s) => s.pool.poolName === 'pool-b' && s.queue.queueName === 'ranked' && s.region === 'us-east');
      const created = sessions.map((s) => s.createdMs).sort((a, b) => a - b);
      const updated = sessions.map((s) => s.updatedMs).sort((a, b) => a - b);
      const filters = [
        ['poolId', POOLS[1].poolId, (s) => s.pool.poolId === POOLS[1].poolId],
        ['poolName', 'pool-b', (s) => s.pool.poolName === 'pool-b'],
        ['queueName', 'ranked', (s) => s.queue.queueName === 'ranked'],
        ['regionId', 'us-east', (s) => s.region === 'us-east'],
        ['matchmakingTicketId', pivot.tickets[1], (s) => s.tickets.includes(pivot.tickets[1])],
        ['createdAfter', iso(created[Math.floor(created.length / 3)]), (s) => s.createdMs > created[Math.floor(created.length / 3)]],
        ['updatedAfter', iso(updated[Math.floor(updated.length / 2)]), (s) => s.updatedMs > updated[Math.floor(updated.length / 2)]],
      ];
      let nonEmpty = 0;
      for (let mask = 0; mask < 1 << filters.length; mask++) {
        const params = {};
        const tests = [];
        filters.forEach(([name, value, test], k) => {
          if (mask & (1 << k)) {
            params[name] = value;
            tests.push(test);
          }
        });
        const expected = sessions.filter((s) => tests.every((t) => t(s))).sort(newestFirst).map((s) => s.sessionId);
        const limit = 50 + (mask % 7) * 31;
        const { results, pages } = await reader.searchAll(params, { limit });
        const got = results.map((d) => d.sessionId).filter((id) => byId.has(id));
        assert.deepEqual(got, expected, `filters ${JSON.stringify(params)} (seed ${SEED})`);
        assert.equal(pages, Math.max(1, Math.ceil(results.length / limit)), 'pages are full but the last');
        if (expected.length) nonEmpty += 1;
      }
      assert.ok(nonEmpty > 60, `most combinations select something (${nonEmpty})`);
    });

    it('matchmaking insights (matches_created, allocation_failure_rate, time_to_allocation p50/p95, players_per_match) by region, pool and queue equal the record', async () => {
      const apiToken = (await ps.runCli(['api-token', 'create', '--data', srv.dataDir])).stdout.trim();
      const DAY = 86400000;
      const HOUR = 3600000;
      const rows = sessions.map((s) => ({
        created: s.createdMs,
        outcome: s.allocation.status === 'Allocated' ? 1 : s.allocation.status === 'Failed' ? 2 : 0,
        wait: s.allocation.status === 'Allocated' ? (Date.parse(s.allocation.completedAt) - Date.parse(s.allocation.requestedAt)) / 1000 : -1,
        players: s.players.size,
        region: s.region, pool: s.pool.poolName, queue: s.queue.queueName,
      }));
      const nearestRank = (values, p) => {
        if (!values.length) return 0;
        const sorted = [...values].sort((a, b) => a - b);
        return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
      };
      const value = (metric, list) => {
        const mean = (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0);
        switch (metric) {
          case 'matches_created': return list.length;
          case 'allocation_failure_rate': { const o = list.filter((r) => r.outcome); return o.length ? o.filter((r) => r.outcome === 2).length / o.length : 0; }
          case 'time_to_allocation_p50': return nearestRank(list.filter((r) => r.wait >= 0).map((r) => r.wait), 50);
          case 'time_to_allocation_p95': return nearestRank(list.filter((r) => r.wait >= 0).map((r) => r.wait), 95);
          default: return mean(list.map((r) => r.players));
        }
      };
      const closeTo = (a, b) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
      const now = Date.now();
      for (const [interval, step] of [['day', DAY], ['hour', HOUR]]) {
        const from = Math.floor((now - 3 * DAY) / step) * step;
        const to = Math.ceil(now / step) * step;
        for (const metric of ['matches_created', 'allocation_failure_rate', 'time_to_allocation_p50', 'time_to_allocation_p95', 'players_per_match']) {
          for (const groupBy of [null, 'region', 'pool', 'queue']) {
            const q = new URLSearchParams({ from: String(Math.floor((now - 3 * DAY) / 1000)), to: String(Math.floor(now / 1000)), interval, ...(groupBy ? { group_by: groupBy } : {}) });
            const res = await ps.request(srv.port, { path: `/api/v1/games/${game.id}/metrics/${metric}?${q}`, headers: { Authorization: `Bearer ${apiToken}` } });
            const what = `${metric} ${q} (seed ${SEED})`;
            assert.equal(res.status, 200, `${what}: ${res.text}`);
            const check = (got, list, label) => {
              assert.ok(closeTo(got.total, value(metric, list)), `${label}: total ${got.total}, want ${value(metric, list)}`);
              got.points.forEach((p, k) => {
                const b0 = from + k * step;
                const want = value(metric, list.filter((r) => r.created >= b0 && r.created < b0 + step));
                if (!closeTo(p.v, want)) assert.fail(`${label}: point ${k} is ${p.v}, want ${want}`);
              });
            };
            check(res.json, rows, what);
            if (groupBy) {
              const keys = [...new Set(rows.map((r) => r[groupBy]))].sort();
              const got = res.json.groups.filter((g) => keys.includes(g.key));
              assert.deepEqual(got.map((g) => g.key), keys, `${what}: groups`);
              for (const g of got) check(g, rows.filter((r) => r[groupBy] === g.key), `${what} group ${g.key}`);
              // Sessions without the attribute (the idempotency test's) group under "unknown".
              for (const g of res.json.groups.filter((x) => !keys.includes(x.key))) assert.equal(g.key, 'unknown');
            }
          }
        }
      }
      const bad = await ps.request(srv.port, { path: `/api/v1/games/${game.id}/metrics/matches_created?group_by=platform`, headers: { Authorization: `Bearer ${apiToken}` } });
      assert.equal(bad.status, 400);
    });

    it('limit and next are checked', async () => {
      for (const bad of [{ limit: 0 }, { limit: 501 }, { limit: 'ten' }, { next: 'v2.garbage' }, { createdAfter: 'yesterday' }, { updatedAfter: '2024-02-30T00:00:00Z' }]) {
        const res = await reader.search(bad);
        assert.equal(res.status, 400, `${JSON.stringify(bad)}: ${res.text}`);
        assert.match(res.headers['content-type'], /problem\+json/);
      }
      const page = await reader.search({});
      assert.equal(page.json.results.length, 50, 'default limit 50');
    });

    it('paging while new sessions arrive lists each session at most once, and every older one', async () => {
      const before_ = new Set((await reader.searchAll({}, { limit: 500 })).results.map((d) => d.sessionId));
      const seen = new Set();
      let next = null;
      let page = 0;
      do {
        const res = await reader.search({ limit: 37, next: next || undefined });
        assert.equal(res.status, 200, res.text);
        for (const d of res.json.results) {
          assert.ok(!seen.has(d.sessionId), `${d.sessionId} listed twice`);
          seen.add(d.sessionId);
        }
        next = res.json.next;
        // New sessions, some newer and some older than everything listed so far.
        const fresh = crypto.randomUUID();
        const at = page % 2 ? Date.now() : Date.now() - 5 * 86400000;
        const posted = await client.post(fresh, { type: 'match.created', timestamp: iso(at), teams: [{ playerIds: [`${REAL_PREFIX}-late-${page}`] }] });
        assert.equal(posted.status, 200);
        page += 1;
      } while (next);
      for (const id of before_) assert.ok(seen.has(id), `${id} existed before paging began and was not listed`);
    });

    it('no real player id reaches the data directory or the server log', async () => {
      const leaks = [];
      for (const file of filesUnder(srv.dataDir)) {
        if (fs.readFileSync(file).includes(REAL_PREFIX)) leaks.push(file);
      }
      if (srv.log().includes(REAL_PREFIX)) leaks.push('server log');
      assert.deepEqual(leaks, []);
      assert.ok(!(await reader.search({ limit: 500 })).text.includes(REAL_PREFIX), 'nor any answer');
    });
  });
});

describe('session observability retention', () => {
  let srv;
  after(async () => { if (srv) await srv.stop(); });

  it('a session past --match-retention-days answers 404 and leaves nothing in the store', async () => {
    srv = await ps.startServer({ name: 'retention', args: ['--match-retention-days', '30', '--match-retention-check', '1'] });
    const game = await ps.createGame(srv.dataDir, 'Retained');
    const writer = await createServiceAccount(srv.dataDir, game.project_id, 'writer');
    const viewer = await createServiceAccount(srv.dataDir, game.project_id, 'viewer');
    const client = new SoClient({ port: srv.port, projectId: game.project_id, account: writer });
    const reader = new SoClient({ port: srv.port, projectId: game.project_id, account: viewer });
    const marker = `expiring-${crypto.randomBytes(6).toString('hex')}`;
    const keeper = crypto.randomUUID();
    const createdAt = Date.now() - 30 * 86400000 + 4000; // 30 days old in 4 s
    let res = await client.post(marker, [
      { type: 'match.created', timestamp: iso(createdAt), gameMode: { poolName: `${marker}-pool` }, teams: [{ playerIds: ['someone'] }] },
      { type: 'allocation.requested', timestamp: iso(createdAt + 10), regionId: `${marker}-region` },
    ]);
    assert.equal(res.status, 200, ps.describeRes(res));
    res = await client.post(keeper, { type: 'match.created', timestamp: iso(Date.now()), teams: [{ playerIds: ['someone'] }] });
    assert.equal(res.status, 200);
    assert.equal((await reader.get(marker)).status, 200, 'not expired yet');
    await ps.waitFor(async () => (await reader.get(marker)).status === 404, { timeoutMs: 15000, what: 'expiry' });
    assert.equal((await reader.search({ poolName: `${marker}-pool` })).json.results.length, 0);
    assert.equal((await reader.get(keeper)).status, 200, 'younger sessions stay');
    // The retention thread deletes and truncates the WAL: no byte of the session remains.
    await ps.waitFor(() => filesUnder(srv.dataDir).every((f) => !fs.readFileSync(f).includes(marker)),
      { timeoutMs: 15000, what: 'the expired session to leave the data files' });
  });
});
