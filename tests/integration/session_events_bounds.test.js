'use strict';
// The session events endpoint (Unity Matchmaker compatible) under hostile bodies, against the
// real binary:
// - a JSON syntax error is described by byte offset, line and column, never by the text near
//   it: jansson's own message quotes the input ("control character 0x1 near '"real-..."), and a
//   body's strings are real player ids, which must reach no answer, no log and no file;
// - what one request may hold is capped (events per request, teams and players per event,
//   distinct players per session), so the memory and the answer of a request stay within small
//   constants times its size; a refused request stores nothing.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ps = require('./lib/playstat');
const { createServiceAccount, SoClient } = require('./lib/observability');

const REAL = 'zq7secretplayer'; // every real id starts with it: one search finds any leak

function iso(ms) { return new Date(ms).toISOString(); }

function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p) : [p];
  });
}

describe('session events: no echo of the input, bounded requests', () => {
  let srv;
  let client;
  let reader;

  before(async () => {
    srv = await ps.startServer({ name: 'so-bounds' });
    const game = await ps.createGame(srv.dataDir, 'Bounded');
    const writer = await createServiceAccount(srv.dataDir, game.project_id, 'writer');
    const viewer = await createServiceAccount(srv.dataDir, game.project_id, 'viewer');
    client = new SoClient({ port: srv.port, projectId: game.project_id, account: writer });
    reader = new SoClient({ port: srv.port, projectId: game.project_id, account: viewer });
  });
  after(async () => { if (srv) await srv.stop(); });

  it('a syntax error inside a player id answers 400 with offset, line and column, not the id', async () => {
    const ts = iso(Date.now());
    const head = `[{"type":"match.created","timestamp":"${ts}","teams":[{"playerIds":["`;
    const bodies = [
      // a control character inside the id (the reported case)
      `${head}${REAL}-a\u0001bc"]}]}]`,
      // the id never ends
      `${head}${REAL}-b`,
      // a bad escape inside the id
      `${head}${REAL}-c\\q"]}]}]`,
      // a duplicate key whose name is an id
      `[{"type":"players.assigned","timestamp":"${ts}","players":[{"id":"x","${REAL}-d":1,"${REAL}-d":2}]}]`,
      // text after the value
      `{"type":"allocation.succeeded","timestamp":"${ts}"} "${REAL}-e"`,
      // invalid UTF-8 inside the id
      Buffer.concat([Buffer.from(`${head}${REAL}-f`), Buffer.from([0xc3, 0x28]), Buffer.from('"]}]}]')]),
    ];
    for (const raw of bodies) {
      const res = await client.post('syntax', null, { raw });
      const what = `body ${JSON.stringify(String(raw).slice(-40))}`;
      assert.equal(res.status, 400, `${what}: ${ps.describeRes(res)}`);
      assert.match(res.headers['content-type'], /^application\/problem\+json/);
      assert.ok(!res.text.includes(REAL), `${what}: the answer quotes the input: ${res.text}`);
      assert.match(res.json.detail, /^The body is not JSON: .+ at byte offset \d+ \(line \d+, column \d+\)$/, `${what}: ${res.text}`);
    }
    // The offset is where the parser stopped: within the body, after the id's start.
    const res = await client.post('syntax', null, { raw: bodies[0] });
    const offset = Number(/byte offset (\d+)/.exec(res.json.detail)[1]);
    assert.ok(offset >= head.length && offset <= bodies[0].length, res.json.detail);
    assert.equal((await reader.get('syntax')).status, 404, 'nothing was stored');
  });

  it('anonymises teams and players in every event type, also where the type does not define them', async () => {
    const t = Date.now();
    const res = await client.post('extra-members', [
      { type: 'match.created', timestamp: iso(t), teams: [{ playerIds: [`${REAL}-m1`, `${REAL}-m2`] }] },
      { type: 'allocation.failed', timestamp: iso(t + 1), reason: 'x', players: [{ id: `${REAL}-m3` }] },
      { type: 'allocation.succeeded', timestamp: iso(t + 2), teams: [{ playerIds: [`${REAL}-m1`] }] },
      { type: 'players.assigned', timestamp: iso(t + 3), players: [{ id: `${REAL}-m2` }], teams: [{ playerIds: [`${REAL}-m4`] }] },
    ]);
    assert.equal(res.status, 200, ps.describeRes(res));
    const doc = await reader.get('extra-members');
    assert.equal(doc.status, 200, ps.describeRes(doc));
    assert.ok(!doc.text.includes(REAL), `a real id is served: ${doc.text}`);
    const byType = Object.fromEntries(doc.json.sessionEvents.map((e) => [e.type, e]));
    assert.deepEqual(byType['allocation.failed'].players, [{ id: 'Player 3' }]);
    assert.deepEqual(byType['allocation.succeeded'].teams, [{ playerIds: ['Player 1'] }]);
    assert.deepEqual(byType['players.assigned'].teams, [{ playerIds: ['Player 4'] }]);
  });

  it('caps what one request and one session may name; a refused request stores nothing', async () => {
    const t = Date.now();
    const assigned = (sid, from, count) => ({ type: 'players.assigned', timestamp: iso(t + from),
      players: Array.from({ length: count }, (_, k) => ({ id: `${REAL}-${sid}-${from + k}` })) });
    // events per request
    const many = Array.from({ length: 1001 }, (_, k) => ({ type: 'allocation.succeeded', timestamp: iso(t + k) }));
    let res = await client.post('cap-events', many);
    assert.equal(res.status, 400, ps.describeRes(res));
    assert.match(res.json.detail, /1 to 1000 events/);
    // players per event
    res = await client.post('cap-event', [assigned('e', 0, 1001)]);
    assert.equal(res.status, 400, ps.describeRes(res));
    assert.match(res.json.detail, /events\[0\]\.players: at most 1000 player ids per event/);
    assert.ok(!res.text.includes(REAL), res.text);
    // player ids per request: 11 events of 1000
    res = await client.post('cap-request', Array.from({ length: 11 }, (_, k) => assigned('r', k * 1000, 1000)));
    assert.equal(res.status, 400, ps.describeRes(res));
    assert.match(res.json.detail, /at most 10000 player ids/);
    // distinct players per session: 1000 are taken, the 1001st is refused with its request
    res = await client.post('cap-session', [assigned('s', 0, 600)]);
    assert.equal(res.status, 200, ps.describeRes(res));
    res = await client.post('cap-session', [assigned('s', 600, 400)]);
    assert.equal(res.status, 200, ps.describeRes(res));
    res = await client.post('cap-session', [assigned('s', 1000, 1), { type: 'allocation.succeeded', timestamp: iso(t + 5000) }]);
    assert.equal(res.status, 400, ps.describeRes(res));
    assert.match(res.json.detail, /at most 1000 distinct players/);
    // the players already named still are, and the refused request left nothing
    res = await client.post('cap-session', [assigned('s', 0, 2)]);
    assert.equal(res.status, 200, ps.describeRes(res));
    const doc = await reader.get('cap-session');
    assert.equal(doc.status, 200, ps.describeRes(doc));
    assert.equal(doc.json.sessionEvents.length, 3, 'the refused request stored none of its events');
    assert.ok(!doc.json.sessionEvents.some((e) => e.type === 'allocation.succeeded'));
    for (const name of ['cap-events', 'cap-event', 'cap-request']) assert.equal((await reader.get(name)).status, 404, name);
  });

  it('leaves no real player id in the server log or the data directory', async () => {
    // Checked once the other cases ran (node runs them in order).
    assert.ok(!srv.log().includes(REAL), 'the server log holds a real player id');
    for (const file of filesUnder(srv.dataDir)) {
      const bytes = fs.readFileSync(file);
      assert.ok(!bytes.includes(Buffer.from(REAL)), `${file} holds a real player id`);
    }
  });
});
