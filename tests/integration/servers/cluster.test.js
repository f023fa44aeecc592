'use strict';
// Two playstat nodes over one two-shard ClickHouse cluster (Distributed tables) and one
// PostgreSQL state store: any node takes any request of any protocol, both answer the same
// figures, an event_uuid sent to both nodes counts once, and a node killed with SIGKILL under
// load loses no acknowledged event and stores none twice once it restarts; a node whose spool
// fills while ClickHouse is away answers 503 with Retry-After and loses nothing.
// Run by ctest inside tests/servers/run-with.sh --clickhouse 2 --postgres (the servers' addresses
// arrive in PLAYSTAT_TEST_CH_HTTP, PLAYSTAT_TEST_CH_CLUSTER and PLAYSTAT_TEST_PG_URL).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const crypto = require('node:crypto');
const http = require('node:http');
const path = require('node:path');

const ps = require('../lib/playstat');
const ev = require('../lib/events');
const m = require('../lib/modio');
const { SoClient } = require('../lib/observability');
const { readParquet } = require('../lib/parquet_read');

const CH = process.env.PLAYSTAT_TEST_CH_HTTP;
const CLUSTER = process.env.PLAYSTAT_TEST_CH_CLUSTER;
const PG = process.env.PLAYSTAT_TEST_PG_URL;

/** Runs sql on the first ClickHouse server and returns its TabSeparated answer's rows. */
function chQuery(sql) {
  const [host, port] = CH.split(',')[0].split(':');
  return new Promise((resolve, reject) => {
    const req = http.request({ host, port: Number(port), method: 'POST', path: '/' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(text.split('\n').filter((l) => l !== '').map((l) => l.split('\t')))
        : reject(new Error(`ClickHouse ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(sql);
  });
}

describe('two nodes, one ClickHouse cluster, one PostgreSQL', { timeout: 300000 }, () => {
  const db = `cluster_${crypto.randomBytes(4).toString('hex')}`;
  const work = ps.makeTempDir('cluster');
  const storeOf = (node) => `clickhouse://${CH}/${db}?cluster=${CLUSTER}&spool=${path.join(work, `spool-${node}`)}`;
  const where = (node) => ['--store', storeOf(node), '--state', PG];
  const nodes = {};
  let game;

  const start = async (node) => {
    nodes[node] = await ps.startServer({ name: `cluster-${node}`, dataDir: path.join(work, node), args: where(node) });
    return nodes[node];
  };

  before(async () => {
    assert.ok(CH && CLUSTER && PG, 'run through tests/servers/run-with.sh --clickhouse 2 --postgres');
    // The game is made through node a's configuration; node b only ever sees the shared state.
    game = JSON.parse((await ps.runCli(['game', 'create', ...where('a'), '--name', 'Cluster Game'])).stdout);
    await start('a');
    await start('b');
  });
  after(async () => {
    for (const n of Object.values(nodes)) if (n.alive) await n.stop();
    ps.removeDir(work);
  });

  it('the CLI works against the shared state from either node', async () => {
    const listed = JSON.parse((await ps.runCli(['game', 'list', ...where('b')])).stdout);
    assert.ok(listed.some((g) => g.id === game.id && g.game_key === game.game_key), 'node b lists the game made through node a');
    const token = (await ps.runCli(['api-token', 'create', ...where('b'), '--name', 'ops'])).stdout.trim();
    for (const node of ['a', 'b']) {
      const res = await ps.request(nodes[node].port, { path: '/api/v1/games', headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200, `node ${node} takes the token made through node b: ${res.text}`);
    }
  });

  it('any node takes any request, both answer the same, and a uuid sent to both counts once', async () => {
    const token = (await ps.runCli(['api-token', 'create', ...where('a'), '--name', 'reader'])).stdout.trim();
    // Analytics: half the batches to each node; one batch to both.
    const sessions = Array.from({ length: 6 }, () => ev.newSession());
    const batches = sessions.map((s) => ev.mixedBatch(20, s));
    const both = batches[0];
    let sent = new Set();
    for (let i = 0; i < batches.length; i++) {
      const node = i % 2 === 0 ? 'a' : 'b';
      const res = await ps.postEvents(nodes[node].port, game, batches[i]);
      assert.equal(res.status, 200, `events to node ${node}: ${res.text}`);
      for (const e of batches[i]) sent.add(e.event_uuid);
    }
    const again = await ps.postEvents(nodes.b.port, game, both);
    assert.equal(again.status, 200);

    // Metrics session: started on a, heartbeat on b, ended on a.
    const player = `cluster-${crypto.randomBytes(4).toString('hex')}`;
    const ms = new m.Session({ port: nodes.a.port, game, token: m.playerToken(game, player), ids: [11, 22] });
    assert.equal((await ms.start()).status, 204);
    ms.opts.port = nodes.b.port;
    const hb = await ms.heartbeat();
    assert.equal(hb.status, 204, `a heartbeat on node b for a session started on node a: ${hb.text}`);
    ms.opts.port = nodes.a.port;
    assert.equal((await ms.end()).status, 204);

    // Matchmaker: one session's events split over the nodes name the same players the same way.
    const account = JSON.parse((await ps.runCli(['service-account', 'create', ...where('a'), '--project', game.project_id, '--role', 'writer'])).stdout);
    const viewer = JSON.parse((await ps.runCli(['service-account', 'create', ...where('b'), '--project', game.project_id, '--role', 'viewer'])).stdout);
    const soA = new SoClient({ port: nodes.a.port, projectId: game.project_id, account });
    const soB = new SoClient({ port: nodes.b.port, projectId: game.project_id, account });
    const readA = new SoClient({ port: nodes.a.port, projectId: game.project_id, account: viewer });
    const readB = new SoClient({ port: nodes.b.port, projectId: game.project_id, account: viewer });
    const sid = crypto.randomUUID();
    const t0 = Date.now() - 60000;
    const iso = (t) => new Date(t).toISOString();
    let res = await soA.post(sid, { type: 'match.created', timestamp: iso(t0), teams: [{ id: 'red', playerIds: ['real-alice', 'real-bob'] }] });
    assert.ok(res.status >= 200 && res.status < 300, `match.created on a: ${res.status} ${res.text}`);
    res = await soB.post(sid, { type: 'players.connected', timestamp: iso(t0 + 5000), players: [{ id: 'real-bob' }, { id: 'real-carol' }] });
    assert.ok(res.status >= 200 && res.status < 300, `players.connected on b: ${res.status} ${res.text}`);

    // Both nodes answer the same, once the spools have shipped (every second).
    const dauPath = `/api/v1/games/${game.id}/metrics/dau?from=${ps.nowSec() - 40 * 86400}&to=${ps.nowSec() + 86400}&interval=day`;
    const get = (node, p) => ps.request(nodes[node].port, { path: p, headers: { Authorization: `Bearer ${token}` } });
    const users = new Set(batches.flat().map((e) => e.user_id));
    await ps.waitFor(async () => {
      const r = await get('b', dauPath);
      return r.status === 200 && r.json.total !== undefined && Math.round(r.json.total) >= 1 &&
        (await chQuery(`SELECT count() FROM ${db}.events FINAL WHERE game_id = ${game.id}`))[0][0] === String(sent.size);
    }, { timeoutMs: 20000, what: 'the events of both nodes in ClickHouse' });
    const stored = await chQuery(`SELECT dedup_key, count() FROM ${db}.events FINAL WHERE game_id = ${game.id} GROUP BY dedup_key`);
    assert.equal(stored.length, sent.size, 'every event once, the one sent to both nodes too');
    assert.ok(stored.every(([, n]) => n === '1'));
    const raw = await chQuery(`SELECT count() FROM ${db}.events WHERE game_id = ${game.id}`);
    assert.ok(Number(raw[0][0]) >= sent.size, 'the copy sent twice may sit in ClickHouse until a merge; FINAL reads it once');
    // Rows sit on both shards (the Distributed table spreads players).
    for (const metric of ['dau', 'sessions', 'new_users', 'revenue', 'design', 'progression']) {
      const p = `/api/v1/games/${game.id}/metrics/${metric}?from=${ps.nowSec() - 40 * 86400}&to=${ps.nowSec() + 86400}&interval=day`;
      const [ra, rb] = [await get('a', p), await get('b', p)];
      assert.equal(ra.status, 200, `${metric} on a: ${ra.text}`);
      assert.deepEqual(ra.json, rb.json, `${metric}: both nodes answer the same`);
    }
    const dau = (await get('a', dauPath)).json;
    assert.equal(dau.total !== undefined ? Math.round(Math.max(...dau.points.map((pt) => pt.v))) <= users.size : true, true);

    // The session document is the same from both nodes, with players numbered once.
    let docA;
    await ps.waitFor(async () => {
      const r = await readA.get(sid);
      docA = r;
      return r.status === 200 && JSON.stringify(r.json).includes('players.connected');
    }, { timeoutMs: 20000, what: 'the multiplayer session in ClickHouse' });
    const docB = await readB.get(sid);
    assert.equal(docB.status, 200);
    assert.deepEqual(docA.json, docB.json, 'both nodes serve the same session document');
    const text = JSON.stringify(docA.json);
    assert.ok(!text.includes('real-'), 'no real player id reaches an answer');
    const named = new Set(text.match(/Player \d+/g) || []);
    assert.equal(named.size, 3, `alice, bob and carol numbered once across both nodes: ${[...named]}`);

    // The metrics session: one session, started, heartbeat and end merged from both nodes.
    const rows = await chQuery(`SELECT kind, count() FROM ${db}.msession_requests FINAL WHERE game_id = ${game.id} GROUP BY kind ORDER BY kind`);
    assert.deepEqual(rows, [['0', '1'], ['1', '1'], ['2', '1']]);
  });

  it('kill -9 of a node under load: every acknowledged event in ClickHouse exactly once after it restarts', async () => {
    const acked = new Set();
    let stop = false;
    let inflight = 0;
    const worker = async () => {
      while (!stop) {
        const batch = ev.mixedBatch(50);
        inflight++;
        try {
          const res = await ps.postEvents(nodes.a.port, game, batch, { timeoutMs: 5000 });
          if (res.status === 200) for (const e of batch) acked.add(e.event_uuid);
        } catch (_) {
          // the node died mid-request: that batch was never acknowledged
        } finally {
          inflight--;
        }
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    await ps.waitFor(() => acked.size >= 2000, { timeoutMs: 30000, what: '2000 acknowledged events' });
    nodes.a.proc.kill('SIGKILL');
    await nodes.a.exited;
    stop = true;
    await Promise.all(workers);
    assert.ok(acked.size >= 2000);
    await start('a'); // the same spool: what it had not shipped ships now
    const ids = [...acked];
    let stored = [];
    await ps.waitFor(async () => {
      stored = await chQuery(`SELECT dedup_key, count() FROM ${db}.events FINAL WHERE game_id = ${game.id} GROUP BY dedup_key`);
      const have = new Set(stored.map(([k]) => k));
      return ids.every((u) => have.has(u));
    }, { timeoutMs: 30000, what: 'every acknowledged event in ClickHouse' });
    assert.ok(stored.every(([, n]) => n === '1'), 'no event twice');
    // And the export (a scan through the store) lists each acknowledged event once.
    const { stdout } = await ps.runCli(['events', ...where('b'), '--game', String(game.id)]);
    const seen = new Map();
    for (const line of stdout.split('\n')) {
      if (!line) continue;
      const u = JSON.parse(line).event_uuid;
      seen.set(u, (seen.get(u) || 0) + 1);
    }
    for (const u of ids) assert.equal(seen.get(u), 1, `acknowledged event ${u} exported once`);
    assert.equal(inflight, 0);
  });
  it('a full spool answers 503 with Retry-After while ClickHouse is away, and stores everything once it is back', async () => {
    // Node c with a 1 MiB spool; the first shard (the server it ships through) stops answering.
    const spool = path.join(work, 'spool-c');
    const store = `clickhouse://${CH}/${db}?cluster=${CLUSTER}&spool=${spool}&spool_max_mb=1`;
    const c = await ps.startServer({ name: 'cluster-c', dataDir: path.join(work, 'c'), args: ['--store', store, '--state', PG] });
    nodes.c = c;
    const shard = childProcess.execFileSync('pgrep', ['-f', `${process.env.PLAYSTAT_TEST_SERVERS_DIR}/clickhouse0/config.xml`], { encoding: 'utf8' }).trim().split('\n')[0];
    assert.ok(Number(shard) > 0, 'the first shard\'s process');
    process.kill(Number(shard), 'SIGSTOP');
    const acked = new Set();
    let refused = null;
    try {
      for (let i = 0; i < 200 && !refused; i++) {
        const batch = ev.mixedBatch(100);
        const res = await ps.postEvents(c.port, game, batch);
        if (res.status === 200) for (const e of batch) acked.add(e.event_uuid);
        else refused = res;
      }
    } finally {
      process.kill(Number(shard), 'SIGCONT');
    }
    assert.ok(refused, 'the spool filled up');
    assert.equal(refused.status, 503, `a full spool answers 503: ${refused.text}`);
    assert.match(String(refused.headers['retry-after']), /^[1-9][0-9]*$/, 'with Retry-After');
    assert.ok(acked.size >= 500, `the spool took ${acked.size} events before it was full`);
    // ClickHouse is back: the spool drains and the node takes events again.
    await ps.waitFor(async () => (await ps.postEvents(c.port, game, ev.mixedBatch(10))).status === 200,
      { timeoutMs: 90000, everyMs: 500, what: 'node c to take events again' });
    const ids = [...acked];
    await ps.waitFor(async () => {
      const rows = await chQuery(`SELECT dedup_key FROM ${db}.events FINAL WHERE game_id = ${game.id}`);
      const have = new Set(rows.map(([k]) => k));
      return ids.every((u) => have.has(u));
    }, { timeoutMs: 60000, everyMs: 500, what: 'every event node c acknowledged in ClickHouse' });
  });

  it('a raw export from ClickHouse holds every stored event once; a player deleted through one node is in no later export', async () => {
    const out = path.join(work, 'export');
    const today = new Date().toISOString().slice(0, 10);
    const exportArgs = ['export', ...where('b'), '--game', String(game.id), '--from', today, '--to', today,
      '--to-url', `file:${out}`, '--kinds', 'events', '--every', 'day', '--delay', '-172800'];
    const storedEvents = async () => (await ps.runCli(['events', ...where('b'), '--game', String(game.id)])).stdout
      .split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const exportedEvents = async () => {
      const rows = [];
      for (const [file, bytes] of ps.filesOf(out)) if (file.endsWith('.parquet')) rows.push(...(await readParquet(bytes)).rows);
      return rows.map((r) => JSON.parse(r.raw));
    };
    // What the earlier cases sent has shipped once two reads a second apart agree.
    let stored = await storedEvents();
    await ps.waitFor(async () => {
      await ps.sleep(1000);
      const again = await storedEvents();
      const same = again.length === stored.length;
      stored = again;
      return same;
    }, { timeoutMs: 30000, what: 'the spools to drain' });
    let lines = (await ps.runCli(exportArgs)).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(lines.length >= 1 && lines.every((l) => l.written), `written: ${JSON.stringify(lines)}`);
    const exported = await exportedEvents();
    assert.equal(exported.length, stored.length, 'every stored event once');
    assert.deepEqual(new Set(exported.map((e) => e.event_uuid)), new Set(stored.map((e) => e.event_uuid)));
    // The export log is in PostgreSQL: node a's configuration sees what node b's wrote.
    lines = (await ps.runCli([...exportArgs.slice(0, 1), ...where('a'), ...exportArgs.slice(1 + where('b').length)])).stdout
      .split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.ok(lines.every((l) => !l.written), 'the shared export log holds the objects');

    // Delete the player with the most events through node a, with an admin token made on node b.
    const count = new Map();
    for (const e of stored) count.set(e.user_id, (count.get(e.user_id) || 0) + 1);
    const [victim, theirs] = [...count].sort((x, y) => y[1] - x[1])[0];
    const admin = (await ps.runCli(['api-token', 'create', ...where('b'), '--role', 'admin'])).stdout.trim();
    const res = await ps.request(nodes.a.port, { method: 'DELETE', path: `/api/v1/games/${game.id}/players/${encodeURIComponent(victim)}`,
      headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.removed.events, theirs, 'the answer counts the player\'s events');
    const after = await storedEvents();
    assert.equal(after.length, stored.length - theirs);
    assert.ok(after.every((e) => e.user_id !== victim), 'no stored event of the player');
    await ps.runCli([...exportArgs, '--again']);
    const reexported = await exportedEvents();
    assert.equal(reexported.length, stored.length - theirs, 'the later export holds every other event');
    assert.ok(reexported.every((e) => e.user_id !== victim), 'and none of the player\'s');
  });
});
