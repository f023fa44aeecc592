'use strict';
// A data directory written by an older playstat opens, upgrades and answers the same metrics.
//
// tests/data/store_v6.sql is a text dump (sqlite3 .dump) of a data directory written by playstat
// at store schema version 6 (commit b6a1ad2): a game, an API token, service accounts, analytics
// events of every category and rejected ones, metrics sessions with their nonces (ended and
// timed out) and minute rollups, multiplayer sessions with players and tickets, and the event
// rollups. tests/data/store_v6_expected.json holds what that playstat answered over it
// (recorded by tests/data/record_store_v6.js): GET requests of the read API with their JSON
// answers, pages of session searches, and counts of the CLI. Every range is absolute and in the
// past, so the answers do not depend on the day the test runs.
//
// The test restores the dump into a fresh data directory with the sqlite3 CLI, starts the
// binary under test on it (which may upgrade the store in place), waits until the answers have
// settled (rollups a newer store rebuilds in the background), and requires every recorded answer
// again: deep equality of the parsed JSON, numbers exact, floats within 1e-9 relative. Then the
// directory's PRAGMA user_version must be >= 7 (upgraded in place; its API token a viewer since
// version 9), the CLI must count the same events, rejected
// events and sessions, and the directory must open a second time with the same answers.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ps = require('./lib/playstat');

const DATA = path.join(ps.SOURCE_DIR, 'tests', 'data');
const creds = JSON.parse(fs.readFileSync(path.join(DATA, 'store_v6.json'), 'utf8'));
const expected = JSON.parse(fs.readFileSync(path.join(DATA, 'store_v6_expected.json'), 'utf8'));
// The fixture's matches are from October 2026: keep multiplayer sessions (at most) ten years, or
// the retention job would delete them at start.
const SERVE_ARGS = ['--match-retention-days', '3650'];
const SETTLE_TIMEOUT_MS = 30000;

function sqlite3(db, { input, args = [] } = {}) {
  const res = childProcess.spawnSync('sqlite3', [...args, db], { input, encoding: 'utf8', maxBuffer: 64 * ps.ONE_MB, timeout: 60000 });
  assert.equal(res.error, undefined, `sqlite3 could not run (is the sqlite3 package installed? make deps): ${res.error}`);
  assert.equal(res.status, 0, `sqlite3 ${args.join(' ')} ${db} failed: ${res.stderr}`);
  assert.equal(res.stderr, '', `sqlite3 ${args.join(' ')} ${db} complained: ${res.stderr}`);
  return res.stdout;
}

function userVersion(db) {
  return Number(sqlite3(db, { args: ['-batch'], input: 'PRAGMA user_version;\n' }).trim());
}

/** Differences between actual and expected JSON values, as "path: ..." lines. */
function differences(actual, want, where = '$', out = []) {
  if (out.length >= 20) return out;
  if (typeof want === 'number' && typeof actual === 'number') {
    const same = Number.isInteger(want) ? actual === want
      : Math.abs(actual - want) <= 1e-9 * Math.max(Math.abs(actual), Math.abs(want));
    if (!same) out.push(`${where}: ${actual}, expected ${want}`);
  } else if (Array.isArray(want)) {
    if (!Array.isArray(actual)) out.push(`${where}: ${JSON.stringify(actual)?.slice(0, 200)}, expected an array`);
    else if (actual.length !== want.length) out.push(`${where}: ${actual.length} items, expected ${want.length}`);
    else want.forEach((w, i) => differences(actual[i], w, `${where}[${i}]`, out));
  } else if (want !== null && typeof want === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) {
      out.push(`${where}: ${JSON.stringify(actual)?.slice(0, 200)}, expected an object`);
    } else {
      const a = Object.keys(actual).sort(), w = Object.keys(want).sort();
      if (JSON.stringify(a) !== JSON.stringify(w)) out.push(`${where}: keys ${a}, expected ${w}`);
      else for (const k of w) differences(actual[k], want[k], `${where}.${k}`, out);
    }
  } else if (actual !== want) {
    out.push(`${where}: ${JSON.stringify(actual)?.slice(0, 200)}, expected ${JSON.stringify(want)?.slice(0, 200)}`);
  }
  return out;
}

const AUTH = {
  api_token: `Bearer ${creds.api_token}`,
  viewer: `Basic ${Buffer.from(`${creds.viewer.key_id}:${creds.viewer.secret}`).toString('base64')}`,
};

async function getJson(port, p, auth) {
  const res = await ps.request(port, { path: p, headers: { Authorization: AUTH[auth] } });
  if (res.status !== 200 || res.json === undefined) return { error: `GET ${p}: ${ps.describeRes(res)}` };
  return { json: res.json };
}

/** Asks every recorded request; resolves to a list of problems (empty: every answer is the same). */
async function compareAll(port) {
  const problems = [];
  for (const q of expected.http) {
    // Money metrics answer in one currency since issue 15; the fixture's revenue is all USD, so
    // in USD they answer what was recorded, with nothing left out.
    const money = /\/metrics\/(revenue|arpdau|arppu)\?/.test(q.path);
    const { json, error } = await getJson(port, money ? `${q.path}&currency=USD` : q.path, q.auth);
    if (error) { problems.push(error); continue; }
    if (money) {
      if (json.currency !== 'USD' || JSON.stringify(json.left_out) !== '[]') {
        problems.push(`GET ${q.path}&currency=USD: currency ${json.currency}, left_out ${JSON.stringify(json.left_out)}`);
      }
      delete json.currency;
      delete json.left_out;
    }
    const d = differences(json, q.body);
    if (d.length) problems.push(`GET ${q.path}:\n    ${d.join('\n    ')}`);
  }
  for (const s of expected.so_searches) {
    const pages = [];
    let next = null, error = null;
    do {
      const r = await getJson(port, next ? `${s.path}&next=${encodeURIComponent(next)}` : s.path, s.auth);
      if (r.error) { error = r.error; break; }
      pages.push(r.json.results);
      next = r.json.next;
      if (next !== null && typeof next !== 'string') { error = `GET ${s.path}: next must be a string or null, got ${JSON.stringify(next)}`; break; }
    } while (next && pages.length <= s.pages.length);
    if (error) { problems.push(error); continue; }
    const d = differences(pages, s.pages, '$pages');
    if (d.length) problems.push(`search ${s.path} (pages of results):\n    ${d.join('\n    ')}`);
  }
  return problems;
}

/** Polls until every answer equals the recorded one (rollups caught up) or the timeout. */
async function settle(port, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const problems = await compareAll(port);
    if (problems.length === 0 || Date.now() > deadline) return problems;
    await ps.sleep(500);
  }
}

async function countLines(args) {
  const { stdout } = await ps.runCli(args);
  return stdout.split('\n').filter((l) => l.trim() !== '');
}

describe('a data directory of store schema version 6 (tests/data/store_v6.sql)', () => {
  let dir, db;

  before(() => {
    dir = ps.makeTempDir('store-upgrade');
    db = path.join(dir, 'playstat.db');
    sqlite3(db, { args: ['-batch', '-bail'], input: fs.readFileSync(path.join(DATA, 'store_v6.sql'), 'utf8') });
    assert.equal(userVersion(db), 6, 'the restored fixture must be at schema version 6');
  });

  after(() => ps.removeDir(dir));

  it('opens, upgrades and answers every recorded query the same', async () => {
    const srv = await ps.startServer({ name: 'store-upgrade', dataDir: dir, args: SERVE_ARGS });
    try {
      const started = Date.now();
      const problems = await settle(srv.port, SETTLE_TIMEOUT_MS);
      assert.deepEqual(problems, [],
        `${problems.length} of ${expected.http.length + expected.so_searches.length} answers still differ ` +
        `after ${Date.now() - started} ms:\n${problems.slice(0, 15).join('\n')}`);
    } finally {
      await srv.stop();
    }
  });

  it('was upgraded in place (schema 7 or later), and is intact', () => {
    assert.ok(userVersion(db) >= 7, `PRAGMA user_version is ${userVersion(db)}, expected >= 7`);
    assert.equal(sqlite3(db, { args: ['-batch'], input: 'PRAGMA integrity_check;\n' }).trim(), 'ok');
    // Version 7 moved the anonymisation into the state store's tables: the v6 map is gone and
    // the event store's session rows keep no salt.
    const query = (sql) => sqlite3(db, { args: ['-batch'], input: `${sql};\n` }).trim();
    assert.equal(query("SELECT count(*) FROM sqlite_master WHERE name = 'so_players'"), '0');
    assert.equal(query("SELECT count(*) FROM so_sessions WHERE salt <> ''"), '0');
    assert.equal(query('SELECT count(*) FROM so_anonymity'), query('SELECT count(*) FROM so_sessions'));
    assert.ok(Number(query('SELECT count(*) FROM so_anonymity_players')) > 0);
    // Analytics events are deduplicated by (game, client_ts, uuid) since version 7.
    assert.equal(query("SELECT count(*) FROM sqlite_master WHERE name = 'events_by_uuid'"), '0');
    assert.equal(query("SELECT count(*) FROM sqlite_master WHERE name = 'events_by_ts_uuid'"), '1');
    // API tokens have a role since version 9: the fixture's token (made before roles) is a viewer,
    // and it still reads every recorded answer above.
    assert.equal(query('SELECT count(*) FROM api_tokens'), '1');
    assert.equal(query('SELECT group_concat(role) FROM api_tokens'), 'viewer');
  });

  it('the CLI lists the same events, rejected events and metrics sessions', async () => {
    const gid = String(creds.game_id);
    const base = ['--data', dir, '--game', gid];
    assert.equal((await countLines(['events', ...base])).length, expected.cli.events, 'playstat events');
    assert.equal((await countLines(['events', ...base, '--rejected'])).length, expected.cli.events_rejected,
      'playstat events --rejected');
    assert.equal((await countLines(['events', ...base, '--category', 'business'])).length, expected.cli.events_business,
      'playstat events --category business');
    const sessions = (await countLines(['sessions', ...base])).map((l) => JSON.parse(l));
    assert.equal(sessions.length, expected.cli.sessions, 'playstat sessions');
    const byState = {};
    for (const s of sessions) byState[s.state] = (byState[s.state] || 0) + 1;
    assert.deepEqual(byState, expected.cli.sessions_by_state, 'playstat sessions: states');
  });

  it('opens a second time with the same answers', async () => {
    const srv = await ps.startServer({ name: 'store-upgrade-again', dataDir: dir, args: SERVE_ARGS });
    try {
      const problems = await settle(srv.port, SETTLE_TIMEOUT_MS / 2);
      assert.deepEqual(problems, [], `after reopening:\n${problems.slice(0, 15).join('\n')}`);
    } finally {
      await srv.stop();
    }
    assert.ok(userVersion(db) >= 6);
  });
});

// Since version 8 the event rollups read each event's digest (columns of its row) instead of its
// body; the upgrade made them from the bodies. With the fixture's event rollups emptied before
// the first start, every analytics answer is rebuilt from those digests alone: still the same.
describe('the same directory with its event rollups emptied: rebuilt from the upgraded digests', () => {
  let dir, db;

  before(() => {
    dir = ps.makeTempDir('store-upgrade-rebuild');
    db = path.join(dir, 'playstat.db');
    sqlite3(db, { args: ['-batch', '-bail'], input: fs.readFileSync(path.join(DATA, 'store_v6.sql'), 'utf8') });
    sqlite3(db, { args: ['-batch', '-bail'], input: 'DELETE FROM ga_users; DELETE FROM ga_bits; DELETE FROM ga_aggs; DELETE FROM ga_mark;\n' });
  });

  after(() => ps.removeDir(dir));

  it('answers every recorded query the same', async () => {
    const srv = await ps.startServer({ name: 'store-upgrade-rebuild', dataDir: dir, args: SERVE_ARGS });
    try {
      const problems = await settle(srv.port, SETTLE_TIMEOUT_MS);
      assert.deepEqual(problems, [], `${problems.length} answers differ:\n${problems.slice(0, 15).join('\n')}`);
    } finally {
      await srv.stop();
    }
  });

  it('holds a digest for every event the rollups fold, made from its body', () => {
    const query = (sql) => sqlite3(db, { args: ['-batch'], input: `${sql};\n` }).trim();
    assert.ok(userVersion(db) >= 8, `PRAGMA user_version is ${userVersion(db)}, expected >= 8`);
    assert.equal(query("SELECT count(*) FROM events WHERE (day IS NULL) <> (ifnull(user_id, '') = '')"), '0',
      'a day exactly for the events with a user');
    assert.ok(Number(query('SELECT count(*) FROM events WHERE day IS NOT NULL')) > 0);
    // The dimensions are the body's (SQLite's own JSON reading agrees with the upgrade's).
    assert.equal(query("SELECT count(*) FROM events WHERE day IS NOT NULL AND platform IS NOT " +
      "nullif(json_extract(body, '$.platform'), '')"), '0');
    assert.equal(query("SELECT count(*) FROM events WHERE day IS NOT NULL AND json_type(body, '$.client_ts') = 'integer'" +
      " AND day <> max(json_extract(body, '$.client_ts'), 0) / 86400"), '0');
  });
});
