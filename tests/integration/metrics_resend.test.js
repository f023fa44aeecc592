'use strict';
// Metrics sessions (mod.io compatible): a client that resends a request the server already
// accepted (its 204 was lost: the server crashed after the commit, or the connection dropped)
// gets 204 again and nothing changes; the same nonce with another request stays a 409. Checked
// across a crash (SIGKILL right after the 204s) and a restart on the same data directory, when
// the registry knows the session only from the store. Also the request caps (ids, body fields)
// that bound what one request may cost.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const ps = require('./lib/playstat');
const m = require('./lib/modio');

function newPlayer(game, tag) {
  const sub = `${tag}-${crypto.randomBytes(4).toString('hex')}`;
  return { sub, token: m.playerToken(game, sub) };
}

describe('metrics sessions: resends', () => {
  let srv;
  let game;
  const dataDir = ps.makeTempDir('msession-resend');

  before(async () => {
    srv = await ps.startServer({ name: 'msession-resend', dataDir });
    game = await ps.createGame(dataDir, 'Resend Game');
  });
  after(async () => {
    if (srv && srv.alive) await srv.stop();
    ps.removeDir(dataDir);
  });

  const stored = (sid) => m.readSession(dataDir, game.id, sid);

  it('an identical resend is 204 and changes nothing, in memory and after a crash and a restart', async () => {
    const who = newPlayer(game, 'resend');
    const s = new m.Session({ port: srv.port, game, token: who.token, ids: [7, 8] });
    const ended = new m.Session({ port: srv.port, game, token: who.token, ids: [9] });
    const t0 = ps.nowSec() - 100;
    const start = s.build('start', { ts: t0, orderId: 1 });
    const hb = s.build('heartbeat', { ts: t0 + 10, orderId: 2 });
    m.assertNoContent(await s.start({ fields: start }), 'start');
    m.assertNoContent(await s.heartbeat({ fields: hb }), 'heartbeat');
    m.assertNoContent(await s.heartbeat({ fields: hb }), 'heartbeat resent at once');
    const eStart = ended.build('start', { ts: t0, orderId: 1 });
    const eEnd = ended.build('end', { ts: t0 + 30, orderId: 2 });
    m.assertNoContent(await ended.start({ fields: eStart }), 'second session start');
    m.assertNoContent(await ended.end({ fields: eEnd }), 'second session end');
    const before = await stored(s.sessionId);
    m.assertSession(before, { started_at: t0, last_at: t0 + 10, ended_at: null, state: 'active' }, 'before the crash');

    // The 204s were sent after the commit: a crash now loses nothing but the answers.
    await srv.signalAndWait('SIGKILL');
    srv.cleanup({ keepData: true });
    srv = await ps.startServer({ name: 'msession-resend-2', dataDir });
    s.opts.port = srv.port;
    ended.opts.port = srv.port;

    // Resent after the restart, the registry learns the session from the store.
    m.assertNoContent(await s.heartbeat({ fields: hb }), 'heartbeat resent after the restart');
    m.assertNoContent(await s.start({ fields: start }), 'start resent after the restart');
    m.assertNoContent(await ended.end({ fields: eEnd }), 'end resent after the session ended');
    m.assertNoContent(await ended.start({ fields: eStart }), 'start of the ended session resent');

    // The same nonce with anything else is still refused.
    m.assertModioError(await s.heartbeat({ fields: { ...hb, session_order_id: 3 } }), 409, 13010, 'the nonce with another order id', { message: /nonce/i });
    m.assertModioError(await s.heartbeat({ ts: t0 + 20, orderId: 2, nonce: hb.session_nonce }), 409, 13010, 'the nonce with another session_ts (hashed right)');
    m.assertModioError(await s.end({ ts: t0 + 10, orderId: 2, nonce: hb.session_nonce }), 409, 13010, 'the heartbeat nonce in an end');
    m.assertModioError(await s.heartbeat({ ts: t0 + 10, orderId: 2, nonce: start.session_nonce }), 409, 13010, 'the start nonce in a heartbeat');
    m.assertModioError(await s.start({ fields: { ...start, session_order_id: 2 } }), 409, 13012, 'the start with another order id');
    const other = newPlayer(game, 'other');
    m.assertModioError(await s.heartbeat({ fields: hb, token: other.token }), 404, 14000, 'another player resending it');
    m.assertModioError(await ended.heartbeat({ ts: t0 + 40, orderId: 3 }), 404, 14000, 'a new heartbeat of the ended session');

    m.assertSession(await stored(s.sessionId), { ...before }, 'the resends changed nothing');
    m.assertSession(await stored(ended.sessionId), { started_at: t0, ended_at: t0 + 30, state: 'ended', playtime_s: 30 }, 'the ended session');

    // The session goes on with new requests as if nothing happened.
    m.assertNoContent(await s.heartbeat({ ts: t0 + 20, orderId: 3 }), 'next heartbeat');
    m.assertNoContent(await s.end({ ts: t0 + 30, orderId: 4 }), 'end');
    m.assertSession(await stored(s.sessionId), { started_at: t0, last_at: t0 + 30, ended_at: t0 + 30, state: 'ended', playtime_s: 30 }, 'after the end');
  });

  it('a resend does not keep a session alive: its record carries the first receipt time', async () => {
    // The registry's side is in tests/unit/test_msession_registry.c; here the store's: a session
    // whose last receipt is older than the timeout is timed_out, and a resend must not make it
    // look active again.
    const who = newPlayer(game, 'alive');
    const s = new m.Session({ port: srv.port, game, token: who.token });
    const t0 = ps.nowSec() - 50;
    const hb = s.build('heartbeat', { ts: t0 + 5, orderId: 2 });
    m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start');
    m.assertNoContent(await s.heartbeat({ fields: hb }), 'heartbeat');
    await ps.sleep(2500);
    m.assertNoContent(await s.heartbeat({ fields: hb }), 'heartbeat resent 2.5 s later');
    const got = await m.readSession(dataDir, game.id, s.sessionId, ['--session-timeout', '2']);
    assert.equal(got.state, 'timed_out', `the resend moved the last receipt: ${JSON.stringify(got)}`);
  });
});

describe('metrics sessions: bounded requests', () => {
  let srv;
  let game;

  before(async () => {
    srv = await ps.startServer({ name: 'msession-bounds' });
    game = await ps.createGame(srv.dataDir, 'Bounded Metrics');
  });
  after(async () => { if (srv) await srv.stop(); });

  it('413 13013 for a body over 64 KiB, 422 for more than 1024 ids; the answers stay small', async () => {
    const who = newPlayer(game, 'bounds');
    const s = new m.Session({ port: srv.port, game, token: who.token });
    const ids = Array.from({ length: 1025 }, (_, k) => k + 1);
    const tooMany = await s.start({ ids, orderId: 1 });
    m.assertModioError(tooMany, 422, 13009, '1025 ids', { fields: ['ids'] });
    assert.ok(tooMany.text.length < 2048, `a 422 is small: ${tooMany.text.length} bytes`);
    const fields = s.build('start', { ids: [1, 2], orderId: 1 });
    const padded = JSON.stringify({ ...fields, pad: 'x'.repeat(64 * 1024) });
    const big = await s.start({ body: padded });
    m.assertModioError(big, 413, 13013, 'a 64 KiB body');
    const form = await s.start({ body: `${m.toForm(fields)}&pad=${'x'.repeat(64 * 1024)}`, contentType: 'application/x-www-form-urlencoded' });
    m.assertModioError(form, 413, 13013, 'a 64 KiB form');
    // Many unknown and bad fields: at most one message per field, a bounded answer.
    const junk = Object.fromEntries(Array.from({ length: 2000 }, (_, k) => [`f${k}`, k]));
    const bad = await s.start({ body: JSON.stringify({ ...junk, ids: 'x', session_id: 1, session_ts: 'y', session_hash: 2, session_nonce: 3, session_order_id: 'z' }) });
    m.assertModioError(bad, 422, 13009, 'every field wrong');
    assert.ok(Object.keys(bad.json.error.errors).length <= 8 && bad.text.length < 4096, bad.text);
    m.assertNoContent(await s.start({ fields: s.build('start', { ids: Array.from({ length: 1024 }, (_, k) => k + 1), orderId: 1 }) }), '1024 ids');
  });
});
