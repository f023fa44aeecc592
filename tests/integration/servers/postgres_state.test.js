'use strict';
// Two nodes on one PostgreSQL state store (`--state postgres://...`), each with event data of
// its own (a data directory each): what the CLI creates through one node (games, API tokens,
// service accounts) is seen by the other, and any node takes any request: a read-API token
// made on node A opens node B's API, a metrics session started on node A is kept alive and
// ended on node B, and the players of a multiplayer session keep their "Player N" whichever
// node an event reaches.
//
// Run by tests/CMakeLists.txt under tests/servers/run-with.sh --postgres, which starts a
// throwaway server and sets PLAYSTAT_TEST_PG_URL (one database shared by the run: the test
// uses names unique to it).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const ps = require('../lib/playstat');
const modio = require('../lib/modio');
const { SoClient } = require('../lib/observability');

const PG = process.env.PLAYSTAT_TEST_PG_URL;

describe('two nodes on one PostgreSQL state store', () => {
  const run = crypto.randomBytes(4).toString('hex');
  let dirA;
  let dirB;
  let nodeA;
  let nodeB;
  let game;

  const onA = (args) => ['--store', `sqlite:${dirA}`, '--state', PG, ...args];
  const onB = (args) => ['--store', `sqlite:${dirB}`, '--state', PG, ...args];
  const cli = async (args) => (await ps.runCli(args)).stdout;

  before(async () => {
    assert.ok(PG, 'PLAYSTAT_TEST_PG_URL is not set: run this file with tests/servers/run-with.sh --postgres (ctest -R integration/postgres_state does)');
    dirA = ps.makeTempDir('pg-node-a');
    dirB = ps.makeTempDir('pg-node-b');
    game = JSON.parse(await cli(['game', 'create', ...onA(['--name', `shared ${run}`])]));
  });

  after(async () => {
    for (const node of [nodeA, nodeB]) if (node) await node.signalAndWait('SIGTERM');
    ps.removeDir(dirA);
    ps.removeDir(dirB);
  });

  it('a game created through node A is listed and found through node B', async () => {
    assert.ok(game.id > 0);
    const listed = JSON.parse(await cli(['game', 'list', ...onB([])]));
    const seen = listed.find((g) => g.id === game.id);
    assert.ok(seen, `node B lists game ${game.id}`);
    assert.equal(seen.game_key, game.game_key);
    assert.equal(seen.name, `shared ${run}`);
    // A second game gets another id from the same sequence, whichever node creates it.
    const second = JSON.parse(await cli(['game', 'create', ...onB(['--name', `second ${run}`])]));
    assert.notEqual(second.id, game.id);
  });

  it('service accounts created through one node are listed and deleted through the other', async () => {
    const account = JSON.parse(await cli(['service-account', 'create', ...onA(['--project', game.project_id, '--role', 'writer'])]));
    const listB = (await cli(['service-account', 'list', ...onB(['--project', game.project_id])]))
      .split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
    assert.deepEqual(listB.map((a) => a.key_id), [account.key_id]);
    assert.ok(!JSON.stringify(listB).includes(account.secret), 'list never shows a secret');
    await cli(['service-account', 'delete', ...onB(['--key-id', account.key_id])]);
    const listA = await cli(['service-account', 'list', ...onA(['--project', game.project_id])]);
    assert.equal(listA.trim(), '');
  });

  it('both nodes serve: a token made through node A opens node B, sessions roam', async () => {
    nodeA = await ps.startServer({ name: 'pg-node-a', dataDir: dirA, args: ['--state', PG] });
    nodeB = await ps.startServer({ name: 'pg-node-b', dataDir: dirB, args: ['--state', PG] });
    const token = (await cli(['api-token', 'create', ...onA(['--name', `ci ${run}`])])).trim();
    const games = await ps.request(nodeB.port, { path: '/api/v1/games', headers: { Authorization: `Bearer ${token}` } });
    assert.equal(games.status, 200, games.text);
    const denied = await ps.request(nodeB.port, { path: '/api/v1/games', headers: { Authorization: 'Bearer pst_nope' } });
    assert.equal(denied.status, 401);
    // An admin token (issue 14's roles, kept in the shared state store) reads too.
    const admin = (await cli(['api-token', 'create', ...onA(['--name', `ops ${run}`, '--role', 'admin'])])).trim();
    const asAdmin = await ps.request(nodeB.port, { path: '/api/v1/games', headers: { Authorization: `Bearer ${admin}` } });
    assert.equal(asAdmin.status, 200, asAdmin.text);
    assert.deepEqual(asAdmin.json, games.json);

    // A metrics session started on A, kept alive and ended on B; A then refuses a heartbeat.
    const s = new modio.Session({ port: nodeA.port, game, token: modio.playerToken(game, `player-${run}`) });
    modio.assertNoContent(await s.start(), 'start on A');
    s.opts.port = nodeB.port;
    modio.assertNoContent(await s.heartbeat(), 'heartbeat on B');
    modio.assertNoContent(await s.end(), 'end on B');
    s.opts.port = nodeA.port;
    const late = await s.heartbeat();
    assert.notEqual(late.status, 204, 'node A knows the session ended on node B');
  });

  it('a multiplayer session numbers its players alike on both nodes', async () => {
    const account = async (role) => JSON.parse(await cli(['service-account', 'create', ...onA(['--project', game.project_id, '--role', role])]));
    const writer = await account('writer');
    const viewer = await account('viewer');
    const a = new SoClient({ port: nodeA.port, projectId: game.project_id, account: writer });
    const b = new SoClient({ port: nodeB.port, projectId: game.project_id, account: writer });
    const readA = new SoClient({ port: nodeA.port, projectId: game.project_id, account: viewer });
    const readB = new SoClient({ port: nodeB.port, projectId: game.project_id, account: viewer });
    const t = Date.now();
    const connected = (ms, ids) => ({ type: 'players.connected', timestamp: new Date(t + ms).toISOString(), players: ids.map((id) => ({ id })) });
    const sid = `roaming-${run}`;
    const post = async (client, event) => {
      const res = await client.post(sid, [event]);
      assert.equal(res.status, 200, res.text);
    };
    const players = async (client, i) => {
      const doc = await client.get(sid);
      assert.equal(doc.status, 200, doc.text);
      return doc.json.sessionEvents[i].players.map((p) => p.id);
    };
    await post(a, connected(0, ['alice', 'bob']));            // A: 1, 2
    await post(b, connected(1000, ['bob', 'carol', 'erin'])); // B knew nothing: 2, 3, 4
    // A has alice and bob in memory: it reads the session again before numbering dave (else
    // it would give him 3, carol's, and the store would refuse the request).
    await post(a, connected(2000, ['carol', 'dave']));        // 3, 5
    await post(b, connected(3000, ['dave', 'alice']));        // 5, 1
    // Each node's event store holds the events it took.
    assert.deepEqual(await players(readA, 0), ['Player 1', 'Player 2']);
    assert.deepEqual(await players(readB, 0), ['Player 2', 'Player 3', 'Player 4']);
    assert.deepEqual(await players(readA, 1), ['Player 3', 'Player 5']);
    assert.deepEqual(await players(readB, 1), ['Player 5', 'Player 1']);
  });
});
