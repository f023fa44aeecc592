'use strict';
// API token roles (issue 14) against the real binary: `playstat api-token create --role
// viewer|admin` (default viewer) stores the token's SHA-256 with its role, and both roles read
// the read API (GET /api/v1/...) alike, while no token or an unknown one is 401 with
// WWW-Authenticate: Bearer. Which routes need admin (deleting players, exports) is tested with
// those routes; here the stored role is read from the data directory with the sqlite3 CLI.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');

const ps = require('./lib/playstat');
const ins = require('./lib/insights');

/** `playstat api-token create` with extra arguments: the token it prints. */
async function createToken(dataDir, extra) {
  const { stdout, stderr } = await ps.runCli(['api-token', 'create', '--data', dataDir, ...extra]);
  assert.equal(stderr, '');
  assert.match(stdout, /^pst_[0-9a-f]{64}\n$/, `one token on one line: ${JSON.stringify(stdout)}`);
  return stdout.trim();
}

/** The role the data directory holds for token (looked up by its SHA-256), or '' when none. */
function storedRole(dataDir, token) {
  const hash = crypto.createHash('sha256').update(token).digest('hex');
  const res = childProcess.spawnSync('sqlite3', ['-batch', path.join(dataDir, 'playstat.db')], {
    input: `SELECT role FROM api_tokens WHERE token_sha256 = '${hash}';\n`, encoding: 'utf8', timeout: 30000,
  });
  assert.equal(res.status, 0, `sqlite3: ${res.stderr}`);
  return res.stdout.trim();
}

describe('API token roles', () => {
  let srv, game;
  const tokens = {};

  before(async () => {
    srv = await ps.startServer({ name: 'api-roles' });
    game = await ps.createGame(srv.dataDir, 'Roles Game');
    tokens.byDefault = await createToken(srv.dataDir, ['--name', 'default']);
    tokens.viewer = await createToken(srv.dataDir, ['--role', 'viewer']);
    tokens.admin = await createToken(srv.dataDir, ['--role', 'admin', '--name', 'ops']);
  });

  after(async () => { if (srv) await srv.stop(); });

  it('api-token create stores the role asked, viewer by default, and only the token\'s hash', () => {
    assert.equal(storedRole(srv.dataDir, tokens.byDefault), 'viewer');
    assert.equal(storedRole(srv.dataDir, tokens.viewer), 'viewer');
    assert.equal(storedRole(srv.dataDir, tokens.admin), 'admin');
    assert.equal(storedRole(srv.dataDir, `${tokens.admin}x`), '', 'an unknown token has no row');
  });

  it('a viewer token and an admin token both read metrics, live figures and games, with the same answers', async () => {
    const paths = [ins.metricPath(game.id, 'ccu', { from: 1700000000, to: 1700086400 }), ins.livePath(game.id), '/api/v1/games'];
    for (const p of paths) {
      const answers = {};
      for (const [who, token] of Object.entries(tokens)) {
        const res = await ps.request(srv.port, { path: p, headers: { Authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200, `GET ${p} with the ${who} token: ${ps.describeRes(res)}`);
        answers[who] = res.json;
      }
      if (p.includes('/metrics/')) ins.assertMetricShape(answers.viewer, 'ccu', `GET ${p}`);
      if (!p.endsWith('/live')) { // live figures carry the time they were taken
        assert.deepEqual(answers.admin, answers.viewer, `GET ${p}: the same answer for either role`);
        assert.deepEqual(answers.byDefault, answers.viewer, `GET ${p}: the same answer for either viewer`);
      }
    }
    const games = (await ps.request(srv.port, { path: '/api/v1/games', headers: { Authorization: `Bearer ${tokens.viewer}` } })).json;
    assert.ok(games.games.some((g) => g.id === game.id), 'the game is listed');
  });

  it('no token, an unknown token or another scheme is 401 with WWW-Authenticate: Bearer', async () => {
    const p = ins.metricPath(game.id, 'ccu');
    const wrong = [
      ['no Authorization', undefined],
      ['an unknown token', `Bearer pst_${crypto.randomBytes(32).toString('hex')}`],
      ['the admin token one character off', `Bearer ${tokens.admin.slice(0, -1)}${tokens.admin.endsWith('a') ? 'b' : 'a'}`],
      ['the admin token\'s stored hash', `Bearer ${crypto.createHash('sha256').update(tokens.admin).digest('hex')}`],
      ['the admin token as Basic', `Basic ${Buffer.from(`x:${tokens.admin}`).toString('base64')}`],
    ];
    for (const [what, auth] of wrong) {
      const res = await ps.request(srv.port, { path: p, headers: { Authorization: auth } });
      const body = ins.assertApiError(res, 401, `GET ${p} with ${what}`);
      assert.equal(body.error, 'unauthorized');
      assert.match(res.headers['www-authenticate'] || '', /^Bearer\b/, `GET ${p} with ${what}: WWW-Authenticate`);
    }
  });

  it('--role takes viewer or admin only (exit 2, nothing stored), and --help says what each role may do', async () => {
    for (const role of ['writer', 'Admin', '']) {
      const res = ps.runCliFailing(['api-token', 'create', '--data', srv.dataDir, '--role', role]);
      assert.equal(res.code, 2, `--role '${role}': exit ${res.code}, stderr ${res.stderr}`);
      assert.match(res.stderr, /--role must be viewer or admin/);
      assert.equal(res.stdout, '', 'no token printed');
    }
    const { stdout } = await ps.runCli(['api-token', 'create', '--help']);
    assert.match(stdout, /--role viewer\|admin/);
    assert.match(stdout, /viewer\s+reads metrics/);
    assert.match(stdout, /admin\s+.*deletes players/s);
    assert.match(stdout, /exports raw data/);
  });
});
