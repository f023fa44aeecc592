'use strict';
// `playstat simulate` against the real server: one run with every channel fills the store with
// analytics events of every category spread over the past days, live metrics sessions (seen by
// the live API while the run lasts) and matchmaker sessions (listed by the session observability
// API), and its JSON summary agrees with what was stored. A repeated run with the same --seed and
// --now stores nothing twice. Against a fake server: 503 is retried after Retry-After, and a
// server that keeps refusing ends in exit status 1. Wrong keys, no server and incomplete options
// are said plainly.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');

const ps = require('./lib/playstat');
const { createApiToken, InsightsClient } = require('./lib/insights');
const { readSessions } = require('./lib/modio');
const { createServiceAccount, SoClient } = require('./lib/observability');

const CATEGORIES = ['user', 'session_end', 'business', 'resource', 'progression', 'design', 'error', 'ads'];
const PLAYERS = 30;
const DAYS = 3;
const DAY = 86400;

function url(port) { return `http://127.0.0.1:${port}`; }

function parseSummary(res, what) {
  try {
    return JSON.parse(res.stdout);
  } catch (e) {
    throw new Error(`${what}: simulate --json must print one JSON object (exit ${res.code}); stdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
  }
}

/** Asserts every channel of a summary had every call answered 2xx. */
function assertAllAccepted(summary, res, channels) {
  assert.equal(res.code, 0, `simulate must exit 0; stdout ${res.stdout}\nstderr ${res.stderr}`);
  assert.equal(summary.ok, true, `summary.ok: ${JSON.stringify(summary)}`);
  assert.deepEqual(Object.keys(summary.channels).sort(), [...channels].sort(), 'the channels that ran');
  for (const [name, ch] of Object.entries(summary.channels)) {
    assert.equal(ch.refused + ch.failed, 0, `${name}: nothing refused or failed: ${JSON.stringify(ch.reasons)}`);
    assert.equal(ch.ok, ch.requests - ch.retried, `${name}: every call answered 2xx`);
    assert.ok(ch.requests > 0, `${name}: sent requests`);
  }
}

describe('playstat simulate', () => {
  let srv;
  let game;
  let writer;
  let viewer;
  let insights;
  const now = ps.nowSec();
  let first; // the summary of the full run

  function keyArgs(port = srv.port) {
    return ['simulate', '--url', url(port), '--game-key', game.game_key, '--secret-key', game.secret_key];
  }
  function allArgs() {
    return [...keyArgs(), '--metrics-key', game.metrics_key, '--token-secret', game.token_secret,
      '--game-id', String(game.id), '--service-key-id', writer.key_id, '--service-secret', writer.secret,
      '--project', game.project_id, '--players', String(PLAYERS), '--days', String(DAYS), '--seed', '5',
      '--now', String(now), '--json'];
  }

  before(async () => {
    srv = await ps.startServer({ name: 'simulate' });
    game = await ps.createGame(srv.dataDir, 'Simulated Game');
    writer = await createServiceAccount(srv.dataDir, game.project_id, 'writer');
    viewer = await createServiceAccount(srv.dataDir, game.project_id, 'viewer');
    insights = new InsightsClient(srv.port, await createApiToken(srv.dataDir));
  });
  after(async () => { if (srv) await srv.stop(); });

  it('fills analytics, live metrics sessions and matchmaker sessions, as its summary says', async () => {
    const startedAt = Date.now();
    const running = ps.runCliStatus([...allArgs(), '--speedup', '60', '--duration', '6', '--progress', '1'], { timeoutMs: 45000 });
    let done = false;
    running.then(() => { done = true; });
    let peakCcu = 0;
    let peakUgc = 0;
    while (!done) {
      const live = await insights.live(game.id);
      peakCcu = Math.max(peakCcu, live.ccu);
      peakUgc = Math.max(peakUgc, live.concurrent_ugc);
      await ps.sleep(200);
    }
    const res = await running;
    const tookS = (Date.now() - startedAt) / 1000;
    const summary = parseSummary(res, 'full run');
    first = summary;
    assertAllAccepted(summary, res, ['analytics', 'metrics', 'matchmaker']);
    assert.ok(tookS < 30, `a small run finishes quickly (${tookS} s)`);
    assert.match(res.stderr, /simulate \[\s*\d+s\]\s+analytics: \d+\/30 players/, 'progress lines on stderr');
    assert.deepEqual([summary.seed, summary.players, summary.days, summary.to], [5, PLAYERS, DAYS, now]);

    // Analytics: every category, as many as the summary says, all of them stored.
    const ga = summary.channels.analytics;
    assert.equal(ga.events_rejected, 0);
    assert.equal(ga.events_accepted, ga.events_sent);
    const all = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(all.length, ga.events_sent, 'every event sent is stored once');
    for (const c of CATEGORIES) {
      const rows = await ps.readEvents(srv.dataDir, game.id, { category: c });
      assert.ok(rows.length > 0, `some ${c} events`);
      assert.equal(rows.length, ga.events_by_category[c], `${c}: stored = sent`);
    }
    const events = all.map((r) => r.obj);
    const days = new Set();
    for (const e of events) {
      assert.ok(e.client_ts >= now - DAYS * DAY && e.client_ts <= now, `client_ts in the last ${DAYS} days: ${e.client_ts}`);
      days.add(Math.floor((now - e.client_ts) / DAY));
      for (const k of ['platform', 'os_version', 'build', 'custom_01', 'custom_02', 'custom_03']) {
        assert.equal(typeof e[k], 'string', `${k} on every event: ${JSON.stringify(e)}`);
      }
    }
    assert.ok(days.size >= 2, `events spread over several days: ${[...days]}`);
    const users = new Set(events.map((e) => e.user_id));
    assert.ok(users.size > 1 && users.size <= PLAYERS, `players: ${users.size}`);
    assert.ok(new Set(events.map((e) => e.platform)).size >= 2, 'several platforms');
    assert.ok(events.some((e) => e.category === 'user' && e.session_num > 1), 'returning players');
    const ends = events.filter((e) => e.category === 'session_end');
    assert.ok(ends.every((e) => Number.isInteger(e.length) && e.length >= 0), 'session_end has a length');
    assert.ok(events.filter((e) => e.category === 'business').every((e) => /^[A-Z]{3}$/.test(e.currency) && e.amount > 0 && e.transaction_num >= 1));
    assert.ok(events.filter((e) => e.category === 'resource').some((e) => e.event_id.startsWith('Sink:')));
    assert.ok(events.filter((e) => e.category === 'progression').some((e) => e.event_id.startsWith('Complete:')));

    // Metrics sessions: started live, with mods, by the same players.
    const ms = summary.channels.metrics;
    assert.ok(ms.sessions_started >= 1, 'metrics sessions started');
    assert.ok(peakCcu >= 1 && peakUgc >= 1, `the live API saw players while the run lasted (ccu ${peakCcu}, ugc ${peakUgc})`);
    const sessions = await readSessions(srv.dataDir, game.id);
    assert.equal(sessions.length, ms.sessions_started, 'one stored session per start');
    for (const s of sessions) {
      assert.ok(s.mod_ids.length >= 1, `mods in every session: ${JSON.stringify(s)}`);
      assert.ok(users.has(s.player), `the metrics player is an analytics user: ${s.player}`);
      assert.notEqual(s.platform, 'unknown');
      assert.notEqual(s.portal, 'unknown');
    }
    assert.equal(sessions.filter((s) => s.state === 'ended').length, ms.sessions_ended, 'ended sessions');

    // Matchmaker: every match listed by the session observability API, anonymised.
    const mm = summary.channels.matchmaker;
    assert.equal(mm.events_stored, mm.events_sent);
    const so = new SoClient({ port: srv.port, projectId: game.project_id, account: viewer });
    const { results } = await so.searchAll();
    assert.equal(results.length, mm.matches, 'every match is a session');
    for (const doc of results) {
      assert.ok(['casual', 'ranked', 'tournament'].includes(doc.gameMode.queueName), `gameMode: ${JSON.stringify(doc.gameMode)}`);
      const created = Date.parse(doc.createdAt) / 1000;
      assert.ok(created >= now - DAYS * DAY && created <= now, `createdAt in the last ${DAYS} days: ${doc.createdAt}`);
      assert.ok(doc.allocation && ['Requested', 'Allocated', 'Failed'].includes(doc.allocation.status));
      const ids = doc.sessionEvents.flatMap((e) => (e.teams || []).flatMap((t) => t.playerIds));
      assert.ok(ids.length >= 4 && ids.every((id) => /^Player \d+$/.test(id)), `anonymised players: ${ids}`);
    }
    // A match is allocated at most once (a failure may be retried in another region first).
    assert.equal(results.filter((d) => d.allocation.status === 'Allocated').length, mm.allocations_succeeded, 'allocated matches');
  });

  it('repeated with the same --seed and --now it sends the same events, and nothing is stored twice', async () => {
    assert.ok(first, 'the full run ran');
    const res = await ps.runCliStatus([...allArgs(), '--duration', '0', '--progress', '0']);
    const summary = parseSummary(res, 'repeat');
    assertAllAccepted(summary, res, ['analytics', 'matchmaker']);
    const ga = summary.channels.analytics;
    assert.deepEqual(ga.events_by_category, first.channels.analytics.events_by_category, 'the same events');
    assert.equal((await ps.readEvents(srv.dataDir, game.id)).length, first.channels.analytics.events_sent, 'no new event stored');
    const mm = summary.channels.matchmaker;
    assert.deepEqual([mm.events_stored, mm.duplicates], [0, first.channels.matchmaker.events_sent], 'matchmaker events are duplicates');
  });

  it('says what is wrong: refused keys (exit 1, the server\'s reason), no server, incomplete options (exit 2), --help', async () => {
    const wrong = await ps.runCliStatus(['simulate', '--url', url(srv.port), '--game-key', game.game_key,
      '--secret-key', '0'.repeat(40), '--players', '2', '--days', '1', '--progress', '0']);
    assert.equal(wrong.code, 1, `wrong secret: exit 1; ${wrong.stdout}`);
    assert.match(wrong.stdout, /HTTP 401: .*HMAC/, 'the server\'s reason is shown');
    assert.match(wrong.stdout, /stopped early/);

    const port = await freePort();
    const gone = await ps.runCliStatus(['simulate', '--url', url(port), '--game-key', 'k', '--secret-key', 's']);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /cannot reach the server.*\n.*is `playstat serve` running/);

    const partial = await ps.runCliStatus([...keyArgs(), '--metrics-key', game.metrics_key]);
    assert.equal(partial.code, 2);
    assert.match(partial.stderr, /--metrics-key, --token-secret and --game-id together/);
    const missing = await ps.runCliStatus(['simulate', '--url', url(srv.port)]);
    assert.equal(missing.code, 2);
    const bad = await ps.runCliStatus([...keyArgs(), '--speedup', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--speedup wants a number from 1 to 3600/);

    const help = await ps.runCliStatus(['simulate', '--help']);
    assert.equal(help.code, 0);
    for (const word of ['--players', '--speedup', '--duration', '--seed', 'Retry-After', 'example', 'playstat simulate --url']) {
      assert.ok(help.stdout.includes(word), `--help mentions ${word}`);
    }
  });

  it('retries 503 after Retry-After, and exits 1 when the server keeps refusing', async () => {
    // A fake server: /healthz answers; POSTs are answered 503 with Retry-After `busyFor` times.
    async function fake(busyFor, retryAfter) {
      const seen = { posts: 0, busy: 0, at: [] };
      const server = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => {
          if (req.method === 'GET') { res.end('{"status":"ok"}'); return; }
          seen.posts += 1;
          seen.at.push(Date.now());
          if (seen.busy < busyFor) {
            seen.busy += 1;
            res.writeHead(503, { 'Content-Type': 'application/json', 'Retry-After': String(retryAfter) });
            res.end('{"error":"unavailable","message":"ingest queue full"}');
            return;
          }
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{}');
        });
      });
      await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
      return { server, seen, port: server.address().port };
    }
    const args = (port) => ['simulate', '--url', url(port), '--game-key', 'k', '--secret-key', 's',
      '--players', '1', '--days', '1', '--json', '--progress', '0'];

    const busy = await fake(2, 1);
    try {
      const res = await ps.runCliStatus(args(busy.port));
      const summary = parseSummary(res, 'busy twice');
      assertAllAccepted(summary, res, ['analytics']);
      assert.equal(summary.channels.analytics.retried, 2);
      assert.ok(busy.seen.at[2] - busy.seen.at[0] >= 1900, `waited Retry-After: 1 twice (${busy.seen.at[2] - busy.seen.at[0]} ms)`);
    } finally {
      busy.server.close();
    }

    const full = await fake(Infinity, 0);
    try {
      const res = await ps.runCliStatus(args(full.port));
      assert.equal(res.code, 1, `a server that keeps answering 503: exit 1; ${res.stdout}`);
      const summary = parseSummary(res, 'always busy');
      const ga = summary.channels.analytics;
      assert.equal(summary.ok, false);
      assert.ok(ga.failed >= 1 && ga.ok === 0, JSON.stringify(ga));
      assert.equal(full.seen.posts, ga.requests, 'every attempt counted');
      assert.equal(ga.requests, 8 * ga.failed, 'each call tried 8 times');
      assert.match(ga.reasons[0].reason, /^HTTP 503: ingest queue full$/);
    } finally {
      full.server.close();
    }
  });
});

/** A port nothing listens on (bound, then released). */
function freePort() {
  return new Promise((resolve) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
