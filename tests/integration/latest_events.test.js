'use strict';
// GET /api/v1/games/{id}/events/latest (the dashboard's live feed) against the real server:
// the newest analytics events of a game, newest arrival first, at most `limit` (1..50, default
// 50), each the object the game sent with its category; another game's events never show;
// a resent event shows once; bad limits answer 400, a missing token 401, an unknown game 404.
// The expected lists are the events the test sent, in the order it sent them (one request at
// a time, each answered before the next, so arrival follows sending).

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');

const ps = require('./lib/playstat');
const ev = require('./lib/events');
const { createApiToken, assertApiError } = require('./lib/insights');

let server;
let game;
let other;
let token;
const sent = []; // the game's events, in arrival order

async function latest(gameId, query = '', auth = `Bearer ${token}`) {
  return ps.request(server.port, { path: `/api/v1/games/${gameId}/events/latest${query}`, headers: { Authorization: auth } });
}

/** The ids of a feed's events (event_uuid), in its order. */
const ids = (json) => json.events.map((e) => e.event.event_uuid);

before(async () => {
  server = await ps.startServer({ name: 'latest-events' });
  game = await ps.createGame(server.dataDir, 'Feed Game');
  other = await ps.createGame(server.dataDir, 'Other Game');
  token = await createApiToken(server.dataDir, 'feed');
  const categories = ['user', 'design', 'progression', 'resource', 'business', 'error', 'session_end'];
  const session = ev.newSession();
  // 60 events in 12 requests of 5: more than the most a feed lists
  for (let r = 0; r < 12; r++) {
    const batch = categories.slice(0, 5).map((c, i) => ev.makeEvent(categories[(r + i) % categories.length], session));
    const res = await ps.postEvents(server.port, game, batch);
    assert.equal(res.status, 200, ps.describeRes(res));
    sent.push(...batch);
  }
  const res = await ps.postEvents(server.port, other, [ev.makeEvent('design', ev.newSession())]);
  assert.equal(res.status, 200, ps.describeRes(res));
});

after(async () => { if (server) await server.stop(); });

/** The events of the model newest first: later requests first; within a request the server
 * stores in order, so the last of a request is its newest. */
function newestFirst(events, limit) { return events.slice().reverse().slice(0, limit).map((e) => e.event_uuid); }

test('the feed lists the newest events first, the whole event with its category', async () => {
  const res = await latest(game.id);
  assert.equal(res.status, 200, ps.describeRes(res));
  assert.equal(res.json.game_id, game.id);
  assert.equal(res.json.limit, 50, 'the default limit is the most');
  assert.deepEqual(ids(res.json), newestFirst(sent, 50));
  const byUuid = new Map(sent.map((e) => [e.event_uuid, e]));
  for (const e of res.json.events) {
    const mine = byUuid.get(e.event.event_uuid);
    assert.equal(e.category, mine.category);
    assert.deepEqual(e.event, mine, 'the event as sent');
    assert.ok(Number.isInteger(e.received_ms) && Math.abs(e.received_ms - Date.now()) < 3600e3, 'the arrival time in ms');
  }
  const times = res.json.events.map((e) => e.received_ms);
  assert.deepEqual(times, times.slice().sort((a, b) => b - a), 'arrival times never grow down the list');
});

test('limit bounds the feed; bad limits are refused', async () => {
  for (const limit of [1, 7, 50]) {
    const res = await latest(game.id, `?limit=${limit}`);
    assert.equal(res.status, 200, ps.describeRes(res));
    assert.deepEqual(ids(res.json), newestFirst(sent, limit), `limit=${limit}`);
  }
  for (const bad of ['0', '51', 'abc', '-1', '']) assertApiError(await latest(game.id, `?limit=${bad}`), 400, `limit=${bad}`);
});

test('each game sees its own events; a resent event shows once', async () => {
  const res = await latest(other.id);
  assert.equal(res.status, 200);
  assert.equal(res.json.events.length, 1);
  assert.equal(res.json.events[0].category, 'design');
  // the client resends its newest request: stored once, listed once
  const resend = await ps.postEvents(server.port, game, sent.slice(-5));
  assert.equal(resend.status, 200, ps.describeRes(resend));
  assert.deepEqual(ids((await latest(game.id, '?limit=10')).json), newestFirst(sent, 10));
});

test('the feed takes an API token and a known game', async () => {
  const none = await ps.request(server.port, { path: `/api/v1/games/${game.id}/events/latest` });
  assertApiError(none, 401, 'no token');
  assertApiError(await latest(game.id, '', 'Bearer pst_not-a-token'), 401, 'unknown token');
  assertApiError(await latest(999999), 404, 'unknown game');
});
