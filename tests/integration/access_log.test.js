'use strict';
// `playstat serve --access-log FILE`: one line per request with method, path, status, answer
// bytes, microseconds and the game id, and never a secret: not the game key (in the GA path),
// not the secret key or the HMAC signature, not a query value, not a body, not a header.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ps = require('./lib/playstat');

describe('access log', () => {
  let srv;
  let game;
  let file;
  before(async () => {
    const dir = ps.makeTempDir('access_log');
    file = path.join(dir, 'access.log');
    srv = await ps.startServer({ name: 'access_log', dataDir: dir, args: ['--access-log', file] });
    game = await ps.createGame(srv.dataDir, 'Log Game');
  });
  after(async () => {
    if (srv) await srv.stop();
    ps.removeDir(srv && srv.dataDir);
  });

  it('writes one line per request and no secret', async () => {
    const now = ps.nowSec();
    const body = JSON.stringify({ platform: 'ios', os_version: 'ios 17.1', sdk_version: 'rest api v2' });
    const init = await ps.signedPost(srv.port,
      `/remote_configs/v1/init?game_key=${game.game_key}&interval_seconds=0&configs_hash=SECRETHASH`,
      game.secret_key, body);
    assert.equal(init.status, 201, ps.describeRes(init));
    const bodyMarker = 'BODYMARKER-do-not-log';
    const events = [{ category: 'design', event_id: `Log:${bodyMarker}`, v: 2, user_id: 'u1', session_id: require("node:crypto").randomUUID(),
      session_num: 1, client_ts: now, sdk_version: 'rest api v2', os_version: 'ios 17.1', manufacturer: 'apple',
      device: 'iPhone12,1', platform: 'ios', build: '1.0' }];
    const posted = await ps.postEvents(srv.port, game, events);
    assert.equal(posted.status, 200, ps.describeRes(posted));
    const badSig = await ps.postEvents(srv.port, game, events, { auth: 'AAAAsignatureAAAA=' });
    assert.equal(badSig.status, 401);
    const health = await ps.request(srv.port, { path: '/healthz?token=QUERYSECRET', headers: { Authorization: 'Bearer HEADERSECRET' } });
    assert.equal(health.status, 200);
    await ps.request(srv.port, { path: '/nope' });

    const lines = await ps.waitFor(() => {
      const t = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      const ls = t.split('\n').filter(Boolean);
      return ls.length >= 5 && ls;
    }, { what: 'five access-log lines' });
    ps.writeTestOut('access_log.log', lines.join('\n'));
    const text = lines.join('\n');
    const signature = ps.hmacBase64(game.secret_key, JSON.stringify(events));
    for (const secret of [game.game_key, game.secret_key, signature, 'AAAAsignatureAAAA', 'SECRETHASH',
      'QUERYSECRET', 'HEADERSECRET', bodyMarker]) {
      assert.ok(!text.includes(secret), `the access log holds a secret (${secret}):\n${text}`);
    }
    const line = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z 127\.0\.0\.1 (\S+) (\S+) (\d{3}) (\d+) (\d+) (\S+)$/;
    const parsed = lines.map((l) => {
      const m = line.exec(l);
      assert.ok(m, `line format: ${l}`);
      return { method: m[1], path: m[2], status: Number(m[3]), bytes: Number(m[4]), us: Number(m[5]), game: m[6] };
    });
    const find = (p, status) => parsed.find((e) => e.path === p && e.status === status);
    const initLine = find('/remote_configs/v1/init?game_key=&interval_seconds=&configs_hash=', 201);
    assert.ok(initLine, `init line:\n${text}`);
    assert.equal(initLine.game, String(game.id));
    assert.equal(initLine.bytes, init.text.length);
    const ev = find('/v2/{}/events', 200);
    assert.ok(ev, `events line:\n${text}`);
    assert.equal(ev.game, String(game.id));
    assert.equal(ev.method, 'POST');
    assert.ok(ev.us > 0);
    assert.ok(find('/v2/{}/events', 401), `401 line:\n${text}`);
    assert.equal(find('/healthz?token=', 200).game, '-');
    assert.ok(find('/nope', 404));
  });
});
