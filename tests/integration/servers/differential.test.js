'use strict';
// The SQLite and the ClickHouse event stores answer the same: one `playstat simulate --seed S`
// run (analytics events, metrics sessions, matchmaker sessions) goes through a proxy that sends
// every request, byte for byte, to a SQLite-backed server and to a ClickHouse-backed one that
// share the same game, keys, token and service account (the ClickHouse node's state is a copy
// of the SQLite server's data directory made before any traffic). Then every metric of the read
// API, with every filter and group_by and family parameter below, and every session search and
// document must be equal between the two.
// Run by ctest inside tests/servers/run-with.sh --clickhouse 1 (PLAYSTAT_TEST_CH_HTTP).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ps = require('../lib/playstat');
const { SoClient } = require('../lib/observability');

const CH = process.env.PLAYSTAT_TEST_CH_HTTP;

/** An HTTP proxy that sends each request to both servers and answers with the first's answer;
 * it records any request the two answered with different statuses. */
function startTee(portA, portB) {
  const mismatches = [];
  const forward = (port, req, body) => new Promise((resolve, reject) => {
    const out = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers: req.headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    out.on('error', reject);
    out.end(body);
  });
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      try {
        const [a, b] = await Promise.all([forward(portA, req, body), forward(portB, req, body)]);
        if (a.status !== b.status) mismatches.push(`${req.method} ${req.url}: ${a.status} vs ${b.status} ${b.body.toString().slice(0, 200)}`);
        res.writeHead(a.status, a.headers);
        res.end(a.body);
      } catch (err) {
        res.writeHead(502);
        res.end(String(err));
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: server.address().port, mismatches })));
}

function runSimulate(args) {
  return new Promise((resolve, reject) => {
    childProcess.execFile(ps.BIN, ['simulate', ...args], { encoding: 'utf8', timeout: 240000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => (err ? reject(new Error(`simulate failed: ${err.message}\n${stderr}`)) : resolve(stdout + stderr)));
  });
}

describe('SQLite and ClickHouse event stores answer the same simulated traffic', { timeout: 600000 }, () => {
  const work = ps.makeTempDir('differential');
  const sqliteDir = path.join(work, 'sqlite');
  const stateDir = path.join(work, 'ch-state');
  const db = `diff_${crypto.randomBytes(4).toString('hex')}`;
  let sqlite, clickhouse, tee, game, token, account, viewer;

  before(async () => {
    assert.ok(CH, 'run through tests/servers/run-with.sh --clickhouse 1');
    fs.mkdirSync(sqliteDir, { recursive: true });
    game = await ps.createGame(sqliteDir, 'Differential Game');
    token = (await ps.runCli(['api-token', 'create', '--data', sqliteDir, '--name', 'diff'])).stdout.trim();
    account = JSON.parse((await ps.runCli(['service-account', 'create', '--data', sqliteDir, '--project', game.project_id, '--role', 'writer'])).stdout);
    viewer = JSON.parse((await ps.runCli(['service-account', 'create', '--data', sqliteDir, '--project', game.project_id, '--role', 'viewer'])).stdout);
    fs.cpSync(sqliteDir, stateDir, { recursive: true }); // the same game, keys, token, account
    sqlite = await ps.startServer({ name: 'diff-sqlite', dataDir: sqliteDir });
    clickhouse = await ps.startServer({
      name: 'diff-clickhouse', dataDir: path.join(work, 'ch-data'),
      args: ['--store', `clickhouse://${CH.split(',')[0]}/${db}?spool=${path.join(work, 'spool')}`, '--state', `sqlite:${stateDir}`],
    });
    tee = await startTee(sqlite.port, clickhouse.port);
  });
  after(async () => {
    if (tee) tee.server.close();
    for (const s of [sqlite, clickhouse]) if (s && s.alive) await s.stop();
    ps.removeDir(work);
  });

  it('every metric, filter, group_by, session search and document is equal', async () => {
    const now = ps.nowSec();
    const out = await runSimulate([
      '--url', `http://127.0.0.1:${tee.port}`, '--game-key', game.game_key, '--secret-key', game.secret_key,
      '--metrics-key', game.metrics_key, '--token-secret', game.token_secret, '--game-id', String(game.id),
      '--service-key-id', account.key_id, '--service-secret', account.secret, '--project', game.project_id,
      '--players', '150', '--days', '14', '--seed', '7', '--duration', '12', '--speedup', '60', '--no-gzip',
    ]);
    assert.match(out, /every request was answered 2xx/, out);
    assert.deepEqual(tee.mismatches, [], 'both servers answered every request alike');

    const get = (srv, p) => ps.request(srv.port, { path: p, headers: { Authorization: `Bearer ${token}` } });
    const from = now - 16 * 86400;
    const to = now + 86400;
    const queries = [];
    const eventsMetrics = ['dau', 'wau', 'mau', 'new_users', 'sessions', 'avg_session_length', 'sessions_per_user',
      'revenue', 'paying_users', 'arpdau', 'arppu', 'conversion'];
    for (const name of eventsMetrics) {
      queries.push(`${name}?source=events&interval=day`);
      queries.push(`${name}?source=events&interval=day&platform=ios`);
      queries.push(`${name}?source=events&interval=day&group_by=platform`);
      queries.push(`${name}?source=events&interval=day&group_by=build`);
      queries.push(`${name}?source=events&interval=day&custom_01=A`);
    }
    queries.push('retention?interval=day', 'retention?interval=day&platform=android');
    for (const fam of ['progression', 'resources', 'design', 'errors', 'ads', 'funnel']) {
      queries.push(`${fam}?interval=day`, `${fam}?interval=day&platform=ios`);
    }
    queries.push('progression?interval=day&measure=attempts', 'progression?interval=day&prefix=World1',
      'design?interval=day&prefix=Combat', 'errors?interval=day&by=build');
    queries.push('funnel?interval=day&steps=progression:World1:Level01,progression:World1:Level02,business:*&window=86400',
      'funnel?interval=day&steps=design:*,resource:Source:Gold,progression:Start:World1&platform=ios'); // per-user funnels
    for (const name of ['ccu', 'concurrent_ugc', 'total_players', 'sessions', 'avg_playtime', 'avg_ugc_per_session']) {
      for (const interval of ['minute', 'hour', 'day']) queries.push(`${name}?source=playtime&interval=${interval}`);
      queries.push(`${name}?source=playtime&interval=hour&group_by=platform`, `${name}?source=playtime&interval=hour&portal=steam`);
    }
    queries.push('session_length_histogram?interval=day', 'top_mods?interval=day', 'top_mods?interval=day&platform=windows');
    for (const name of ['matches_created', 'allocation_failure_rate', 'time_to_allocation_p50', 'time_to_allocation_p95', 'players_per_match']) {
      queries.push(`${name}?interval=day`, `${name}?interval=day&group_by=region`, `${name}?interval=hour&group_by=pool`);
    }

    const metric = (q, f = from, t = to) => `/api/v1/games/${game.id}/metrics/${q.split('?')[0]}?from=${f}&to=${t}&${q.split('?')[1] || ''}`;
    // The ClickHouse node ships every second: wait until it holds what the SQLite one does.
    await ps.waitFor(async () => {
      const [a, b] = [await get(sqlite, metric('dau?source=events&interval=day')), await get(clickhouse, metric('dau?source=events&interval=day'))];
      const [ma, mb] = [await get(sqlite, metric('matches_created?interval=day')), await get(clickhouse, metric('matches_created?interval=day'))];
      return a.status === 200 && b.status === 200 && JSON.stringify(a.json) === JSON.stringify(b.json) &&
        JSON.stringify(ma.json) === JSON.stringify(mb.json);
    }, { timeoutMs: 60000, everyMs: 500, what: 'the ClickHouse node to hold the traffic' });

    const differences = [];
    let compared = 0;
    for (const q of queries) {
      const [a, b] = [await get(sqlite, metric(q)), await get(clickhouse, metric(q))];
      compared++;
      if (a.status !== b.status || JSON.stringify(a.json) !== JSON.stringify(b.json)) {
        differences.push(`${q}: sqlite ${a.status} ${a.text.slice(0, 300)}\n   clickhouse ${b.status} ${b.text.slice(0, 300)}`);
      }
    }
    const live = `/api/v1/games/${game.id}/live`;
    const [la, lb] = [await get(sqlite, live), await get(clickhouse, live)];
    if (JSON.stringify(la.json) !== JSON.stringify(lb.json)) differences.push(`live: ${la.text} vs ${lb.text}`);

    // Session searches (every page) and every session's document.
    const soA = new SoClient({ port: sqlite.port, projectId: game.project_id, account: viewer });
    const soB = new SoClient({ port: clickhouse.port, projectId: game.project_id, account: viewer });
    for (const params of [{}, { limit: 7 }]) {
      const [a, b] = [await soA.searchAll(params, { limit: params.limit || 50 }), await soB.searchAll(params, { limit: params.limit || 50 })];
      assert.ok(a.results.length > 0, 'the simulator made multiplayer sessions');
      if (JSON.stringify(a.results) !== JSON.stringify(b.results)) differences.push(`session search ${JSON.stringify(params)} differs`);
      compared++;
    }
    const all = (await soA.searchAll({}, { limit: 100 })).results;
    for (const doc of all.slice(0, 40)) {
      const id = doc.sessionId || doc.id || doc.session_id;
      const [a, b] = [await soA.get(id), await soB.get(id)];
      compared++;
      if (JSON.stringify(a.json) !== JSON.stringify(b.json)) differences.push(`session ${id}: ${a.text.slice(0, 200)} vs ${b.text.slice(0, 200)}`);
    }
    ps.writeTestOut('differential.txt', `${compared} answers compared\n${differences.join('\n')}\n`);
    assert.deepEqual(differences, [], `${differences.length} of ${compared} answers differ`);
  });
});
