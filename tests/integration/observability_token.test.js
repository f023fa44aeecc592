'use strict';
// One sign-in for the dashboard: the session observability API takes the read API's token
// (Authorization: Bearer, any role) for its reads, the session by id and the search, with the
// same answers as a viewer service account gets; it refuses a token for what needs more (posting
// session events: 403), and answers 401 without credentials or with a token it does not know.
// Service accounts keep working as before beside it. Errors stay RFC 7807 problem+json.

const assert = require('node:assert/strict');
const { test, before, after } = require('node:test');

const ps = require('./lib/playstat');
const { createApiToken } = require('./lib/insights');
const { createServiceAccount, basic, SoClient } = require('./lib/observability');

let server;
let game;
let viewerToken;
let adminToken;
let viewer;
const sessionIds = [];

function base(projectId = game.project_id) {
  return `/session-observability/v1/projects/${projectId}/environments/production/sessions`;
}
function get(path, authorization) {
  return ps.request(server.port, { path, headers: authorization ? { Authorization: authorization } : {} });
}
function assertProblem(res, status, what) {
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.match(res.headers['content-type'] || '', /^application\/problem\+json/, `${what}: problem+json`);
  assert.equal(res.json.status, status, `${what}: the problem's status`);
  assert.equal(typeof res.json.detail, 'string', `${what}: the problem says why`);
}

before(async () => {
  server = await ps.startServer({ name: 'observability-token' });
  game = await ps.createGame(server.dataDir, 'Token Game');
  viewerToken = await createApiToken(server.dataDir, 'dashboard');
  const { stdout } = await ps.runCli(['api-token', 'create', '--data', server.dataDir, '--name', 'admin', '--role', 'admin']);
  adminToken = stdout.trim();
  viewer = await createServiceAccount(server.dataDir, game.project_id, 'viewer');
  const writer = await createServiceAccount(server.dataDir, game.project_id, 'writer');
  const so = new SoClient({ port: server.port, projectId: game.project_id, account: writer });
  const t0 = Date.now() - 60000;
  for (let m = 0; m < 3; m++) {
    const id = `token-match-${m}`;
    const res = await so.post(id, [
      { type: 'match.created', timestamp: new Date(t0 + m * 1000).toISOString(), gameMode: { poolId: 'p1', poolName: 'ranked', queueId: 'q1', queueName: 'main' },
        teams: [{ id: 'red', playerIds: [`steam:${m}1`, `steam:${m}2`] }] },
      { type: 'allocation.requested', timestamp: new Date(t0 + m * 1000 + 100).toISOString(), regionId: 'eu-west' },
    ]);
    assert.equal(res.status, 200, `${res.status} ${res.text}`);
    sessionIds.push(id);
  }
});

after(async () => { if (server) await server.stop(); });

test('an API token of either role reads sessions as a viewer service account does', async () => {
  const asViewer = await get(`${base()}?limit=50`, basic(viewer));
  assert.equal(asViewer.status, 200, asViewer.text);
  assert.deepEqual(asViewer.json.results.map((s) => s.sessionId).sort(), sessionIds.slice().sort(), 'the sessions posted');
  for (const token of [viewerToken, adminToken]) {
    const search = await get(`${base()}?limit=50`, `Bearer ${token}`);
    assert.equal(search.status, 200, search.text);
    assert.deepEqual(search.json, asViewer.json, 'the same search answer');
    const one = await get(`${base()}/${sessionIds[1]}`, `Bearer ${token}`);
    assert.equal(one.status, 200, one.text);
    assert.deepEqual(one.json, (await get(`${base()}/${sessionIds[1]}`, basic(viewer))).json, 'the same session');
    assert.equal(one.json.sessionEvents.length, 2);
  }
});

test('an API token may not post session events (403); without credentials, 401', async () => {
  const post = (authorization) => ps.request(server.port, {
    method: 'POST', path: `${base()}/token-post/events`, headers: { 'Content-Type': 'application/json', ...(authorization ? { Authorization: authorization } : {}) },
    body: JSON.stringify([{ type: 'match.created', timestamp: new Date().toISOString() }]),
  });
  for (const token of [viewerToken, adminToken]) assertProblem(await post(`Bearer ${token}`), 403, 'a token posting');
  assertProblem(await post(null), 401, 'no credentials posting');
  assertProblem(await post(`Bearer ${viewerToken}x`), 401, 'an unknown token posting');
  assert.equal((await get(`${base()}/token-post`, `Bearer ${viewerToken}`)).status, 404, 'nothing was stored');
});

test('reads without credentials or with an unknown token are 401', async () => {
  assertProblem(await get(`${base()}?limit=5`, null), 401, 'no credentials');
  assertProblem(await get(`${base()}?limit=5`, `Bearer ${viewerToken}x`), 401, 'an unknown token');
  assertProblem(await get(`${base()}/${sessionIds[0]}`, 'Bearer '), 401, 'an empty token');
  // service accounts are checked as before beside tokens
  assertProblem(await get(`${base()}?limit=5`, `Basic ${Buffer.from('nobody:nothing').toString('base64')}`), 401, 'unknown service account');
});
