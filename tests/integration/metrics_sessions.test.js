'use strict';
// Playtime metrics sessions, mod.io compatible (PROTOCOLS.md §2, issue 3):
// POST /v1/metrics/sessions/{start,heartbeat,end} on host g-{id}.<domain> or under /g-{id}/,
// bearer tokens (HS256 JWT), the session hash, every client variant, mod.io's error shape, the
// session_ts window, replay / order / state rules, per-player rate limits and the timeout of
// abandoned sessions. What was stored is read back with `playstat sessions`. Every refusal is
// followed by the correct request to show that the refusal changed nothing.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const ps = require('./lib/playstat');
const m = require('./lib/modio');

const SEED = {
  key: '982dcdd0-3802-4f1f-87b0-e32b06481f27',
  ids: [1, 2, 3, 4, 5],
  ts: '1721714604802',
  sessionId: 'bf7a0136-0087-4a77-8f10-d1f57089770a',
  nonce: '13d7b51e-4183-4390-8c4e-cb028027ff9a',
  hash: 'ffb0e4d9504f791a2484bce797e3c8d529d48461d30fe33ce54b11823f02793b',
};

let playerSeq = 0;
/** A fresh player of game (its own rate-limit bucket): { sub, token }. */
function newPlayer(game, tag = 'p') {
  playerSeq += 1;
  const sub = `${tag}-${playerSeq}-${crypto.randomBytes(3).toString('hex')}`;
  return { sub, token: m.playerToken(game, sub) };
}

describe('metrics sessions: session hash helper', () => {
  it('reproduces the seed test vector (start) and omits the ids for heartbeat/end', () => {
    assert.equal(m.sessionHash(SEED.key, { ids: SEED.ids, ts: SEED.ts, sessionId: SEED.sessionId, nonce: SEED.nonce }), SEED.hash);
    assert.equal(m.sessionHash(SEED.key, { ids: '1,2,3,4,5', ts: Number(SEED.ts), sessionId: SEED.sessionId, nonce: SEED.nonce }), SEED.hash);
    const hb = m.sessionHash(SEED.key, { ts: SEED.ts, sessionId: SEED.sessionId, nonce: SEED.nonce });
    const expected = crypto.createHmac('sha256', SEED.key).update(`${SEED.ts}${SEED.sessionId}${SEED.nonce}`).digest('hex');
    assert.equal(hb, expected);
    assert.notEqual(hb, SEED.hash);
  });
});

describe('metrics sessions (default flags)', () => {
  let srv;
  let game;
  let other;

  before(async () => {
    srv = await ps.startServer({ name: 'msessions' });
    game = await ps.createGame(srv.dataDir, 'Metrics Game');
    other = await ps.createGame(srv.dataDir, 'Other Metrics Game');
  });
  after(async () => { if (srv) await srv.stop(); });

  function session(who, opts = {}) {
    return new m.Session({ port: srv.port, game, token: who.token, ...opts });
  }
  const stored = (sid, extra) => m.readSession(srv.dataDir, game.id, sid, extra);
  async function assertNotStored(sid, gameId = game.id) {
    const all = await m.readSessions(srv.dataDir, gameId);
    assert.equal(all.filter((s) => s.session_id === sid).length, 0, `session ${sid} must not be stored: ${JSON.stringify(all)}`);
  }

  it('game create prints metrics_key (uuid) and token_secret (64 hex)', () => {
    assert.match(game.metrics_key, ps.UUID);
    assert.match(game.token_secret, /^[0-9a-f]{64}$/);
    assert.notEqual(game.metrics_key, other.metrics_key);
    assert.notEqual(game.token_secret, other.token_secret);
  });

  it('playstat token prints an HS256 JWT for the player signed with token_secret; it and a self-minted token are accepted', async () => {
    const before = ps.nowSec();
    const tok = await m.cliToken(srv.dataDir, game.id, 'cli-player', 120);
    const after = ps.nowSec();
    const jwt = m.decodeJwt(tok);
    assert.deepEqual(jwt.header, { alg: 'HS256', typ: 'JWT' });
    assert.equal(jwt.payload.sub, 'cli-player');
    assert.ok(jwt.payload.iat >= before - 1 && jwt.payload.iat <= after + 1, `iat ${jwt.payload.iat} is now`);
    assert.equal(jwt.payload.exp - jwt.payload.iat, 120, '--ttl 120: exp = iat + 120');
    const sig = crypto.createHmac('sha256', Buffer.from(game.token_secret, 'utf8')).update(jwt.signingInput).digest();
    assert.ok(sig.equals(jwt.signature), 'signature is HMAC-SHA256 under token_secret (as UTF-8 text)');

    const dflt = m.decodeJwt(await m.cliToken(srv.dataDir, game.id, 'cli-player-2'));
    assert.ok(dflt.payload.exp > ps.nowSec() + 60, `default ttl leaves the token valid: ${JSON.stringify(dflt.payload)}`);

    const s1 = session({ token: tok });
    m.assertNoContent(await s1.start(), 'start with the CLI token');
    m.assertSession(await stored(s1.sessionId), { player: 'cli-player' }, 'CLI token');

    const minted = m.mintJwt(game.token_secret, { sub: 'minted-player', iat: ps.nowSec(), exp: ps.nowSec() + 60 });
    const s2 = session({ token: minted });
    m.assertNoContent(await s2.start(), 'start with a token minted by the studio');
    m.assertSession(await stored(s2.sessionId), { player: 'minted-player' }, 'minted token');
  });

  it('a whole session on host g-{id}.<any domain>: start, heartbeats, end answer 204 and are stored', async () => {
    const who = newPlayer(game, 'host');
    const s = session(who, { ids: [11, 22, 33], platform: 'Windows', portal: 'Steam' });
    const base = ps.nowSec() - 600;
    m.assertNoContent(await s.start({ ts: base, orderId: 1, domain: 'modapi.io' }), 'start');
    m.assertSession(await stored(s.sessionId), {
      session_id: s.sessionId, player: who.sub, platform: 'windows', portal: 'steam', mod_ids: [11, 22, 33],
      started_at: base, last_at: base, ended_at: null, state: 'active', playtime_s: 0,
    }, 'after start');
    m.assertNoContent(await s.heartbeat({ ts: base + 150, orderId: 2, domain: 'anything.example' }), 'heartbeat 2');
    m.assertNoContent(await s.heartbeat({ ts: base + 300, orderId: 3, domain: `example.com:${srv.port}` }), 'heartbeat 3 (Host with a port)');
    m.assertSession(await stored(s.sessionId), {
      started_at: base, last_at: base + 300, ended_at: null, state: 'active', playtime_s: 300,
    }, 'after heartbeats');
    m.assertNoContent(await s.end({ ts: base + 420, orderId: 3, domain: 'a.b.c.example' }), 'end');
    m.assertSession(await stored(s.sessionId), {
      session_id: s.sessionId, player: who.sub, platform: 'windows', portal: 'steam', mod_ids: [11, 22, 33],
      started_at: base, last_at: base + 420, ended_at: base + 420, state: 'ended', playtime_s: 420,
    }, 'after end');
  });

  it('a whole session under the path prefix /g-{id}/v1/... with any Host', async () => {
    const who = newPlayer(game, 'path');
    const s = session(who, { via: 'path', ids: [7] });
    const base = ps.nowSec() - 200;
    m.assertNoContent(await s.start({ ts: base, orderId: 1, host: 'example.org' }), 'start');
    m.assertNoContent(await s.heartbeat({ ts: base + 100, orderId: 2, host: 'localhost' }), 'heartbeat');
    m.assertNoContent(await s.end({ ts: base + 150, orderId: 3, host: `g-999999.modapi.example` }),
      'end (the path prefix names the game, whatever the Host)');
    m.assertSession(await stored(s.sessionId), {
      player: who.sub, mod_ids: [7], started_at: base, last_at: base + 150, ended_at: base + 150, state: 'ended', playtime_s: 150,
    }, 'path prefix');
  });

  it('404 14001 for an unknown game id, by Host and by path prefix; nothing stored', async () => {
    const who = newPlayer(game, 'nogame');
    const s = session(who);
    for (const kind of ['start', 'heartbeat', 'end']) {
      m.assertModioError(await s.send(kind, { gameId: 999999 }), 404, 14001, `${kind} on host g-999999`);
      m.assertModioError(await s.send(kind, { gameId: 999999, via: 'path' }), 404, 14001, `${kind} under /g-999999/`);
    }
    await assertNotStored(s.sessionId);
    m.assertNoContent(await s.start(), 'the same start on the right game');
  });

  it('404 14000 for a path under g-{id} that is not an endpoint', async () => {
    const who = newPlayer(game, 'nopath');
    const s = session(who);
    for (const kind of ['pause', 'starts', 'stop']) {
      m.assertModioError(await s.send(kind, { via: 'path' }), 404, 14000, `/g-{id}/v1/metrics/sessions/${kind}`);
      m.assertModioError(await s.send(kind), 404, 14000, `host g-{id}, /v1/metrics/sessions/${kind}`);
    }
  });

  it('404 14000 for a path under /g-{id}/ outside /v1/metrics/sessions/', async () => {
    const who = newPlayer(game, 'nopath2');
    const problems = [];
    for (const p of [`/g-${game.id}/v1/games`, `/g-${game.id}/v1/metrics/start`, `/g-${game.id}/v2/metrics/sessions/start`,
      `/g-${game.id}/v1/metrics/sessions/heartbeat/extra`]) {
      const res = await ps.request(srv.port, {
        method: 'POST', path: p, headers: { Host: 'example.org', Authorization: `Bearer ${who.token}`, 'Content-Type': 'application/json' }, body: '{}',
      });
      try {
        m.assertModioError(res, 404, 14000, `POST ${p}`);
      } catch (e) {
        problems.push(e.message.split('\n')[0]);
      }
    }
    assert.deepEqual(problems, [], 'every path under /g-{id}/ that is not an endpoint answers mod.io 404 14000');
  });

  it('401 11005 for a missing, non-Bearer, malformed, forged, tampered, expired or other game\'s token; nothing changes', async () => {
    const who = newPlayer(game, 'auth');
    const now = ps.nowSec();
    const forged = m.mintJwt(crypto.randomBytes(32).toString('hex'), { sub: who.sub, iat: now, exp: now + 600 });
    const expired = m.mintJwt(game.token_secret, { sub: who.sub, iat: now - 7200, exp: now - 60 });
    const otherGames = m.playerToken(other, who.sub);
    const good = m.decodeJwt(who.token);
    const tampered = `${good.parts[0]}.${m.b64url(JSON.stringify({ ...good.payload, sub: 'someone-else' }))}.${good.parts[2]}`;
    const algNone = m.mintJwt(game.token_secret, { sub: who.sub, iat: now, exp: now + 600 }, { header: { alg: 'none', typ: 'JWT' }, sign: false });
    const noExp = m.mintJwt(game.token_secret, { sub: who.sub, iat: now });
    const cases = [
      ['no Authorization header', { auth: null }],
      ['Basic scheme', { auth: `Basic ${Buffer.from('user:pass').toString('base64')}` }],
      ['token without a scheme', { auth: who.token }],
      ['Bearer with nothing', { auth: 'Bearer ' }],
      ['Bearer garbage', { auth: 'Bearer not-a-jwt' }],
      ['signed with another secret', { token: forged }],
      ['expired', { token: expired }],
      ['token of another game', { token: otherGames }],
      ['payload changed after signing', { token: tampered }],
      ['alg none', { token: algNone }],
      ['no exp', { token: noExp }],
    ];
    const s = session(who);
    const startNonce = m.nonce();
    const startTs = ps.nowSec() - 30;
    for (const [what, over] of cases) {
      m.assertModioError(await s.start({ ...over, nonce: startNonce, ts: startTs, orderId: 1 }), 401, 11005, `start, ${what}`);
    }
    await assertNotStored(s.sessionId);
    m.assertModioError(await s.heartbeat({ orderId: 2 }), 404, 14000, 'heartbeat after refused starts: the session does not exist');
    m.assertNoContent(await s.start({ nonce: startNonce, ts: startTs, orderId: 1 }), 'the refused start, with a good token');

    const hbNonce = m.nonce();
    const hbTs = ps.nowSec();
    for (const [what, over] of cases) {
      m.assertModioError(await s.heartbeat({ ...over, nonce: hbNonce, ts: hbTs, orderId: 9 }), 401, 11005, `heartbeat, ${what}`);
      m.assertModioError(await s.end({ ...over, orderId: 9 }), 401, 11005, `end, ${what}`);
    }
    m.assertSession(await stored(s.sessionId), { player: who.sub, started_at: startTs, last_at: startTs, state: 'active', ended_at: null }, 'refused heartbeats/ends changed nothing');
    // Order 2 after the refused order-9 heartbeats: they did not raise the order id nor use the nonce.
    m.assertNoContent(await s.heartbeat({ nonce: hbNonce, ts: hbTs, orderId: 2 }), 'the refused heartbeat nonce, with a good token');
    m.assertSession(await stored(s.sessionId), { last_at: hbTs, state: 'active' }, 'after the good heartbeat');
  });

  it('403 when session_hash does not verify; nothing changes', async () => {
    const who = newPlayer(game, 'hash');
    const s = session(who, { ids: [1, 2] });
    const ts = ps.nowSec() - 20;
    const n = m.nonce();
    const hb = (f) => m.sessionHash(game.metrics_key, f);
    const startCases = [
      ['random hex', crypto.randomBytes(32).toString('hex')],
      ['under another game\'s metrics key', m.sessionHash(other.metrics_key, { ids: [1, 2], ts, sessionId: s.sessionId, nonce: n })],
      ['heartbeat formula (ids left out)', hb({ ts, sessionId: s.sessionId, nonce: n })],
      ['ids in another order', hb({ ids: [2, 1], ts, sessionId: s.sessionId, nonce: n })],
      ['ts hashed in milliseconds, sent in seconds', hb({ ids: [1, 2], ts: ts * 1000, sessionId: s.sessionId, nonce: n })],
      ['another nonce', hb({ ids: [1, 2], ts, sessionId: s.sessionId, nonce: `${n}x` })],
      ['hash over other ids (1,2,3 hashed, 1,2 sent)', hb({ ids: [1, 2, 3], ts, sessionId: s.sessionId, nonce: n })],
    ];
    for (const [what, hash] of startCases) {
      const err = m.assertModioError(await s.start({ ts, nonce: n, orderId: 1, hash }), 403, null, `start, ${what}`);
      assert.equal(err.errors, undefined, 'no per-field errors on 403');
    }
    await assertNotStored(s.sessionId);
    m.assertNoContent(await s.start({ ts, nonce: n, orderId: 1 }), 'the same start correctly hashed');

    const ts2 = ps.nowSec();
    const n2 = m.nonce();
    const hbCases = [
      ['start formula (ids included)', hb({ ids: [1, 2], ts: ts2, sessionId: s.sessionId, nonce: n2 })],
      ['another session id', hb({ ts: ts2, sessionId: m.uuid(), nonce: n2 })],
      ['another ts', hb({ ts: ts2 + 1, sessionId: s.sessionId, nonce: n2 })],
      ['under another game\'s metrics key', m.sessionHash(other.metrics_key, { ts: ts2, sessionId: s.sessionId, nonce: n2 })],
    ];
    for (const [what, hash] of hbCases) {
      m.assertModioError(await s.heartbeat({ ts: ts2, nonce: n2, orderId: 5, hash }), 403, null, `heartbeat, ${what}`);
      m.assertModioError(await s.end({ ts: ts2, nonce: n2, orderId: 5, hash }), 403, null, `end, ${what}`);
    }
    m.assertSession(await stored(s.sessionId), { last_at: ts, state: 'active' }, 'refused heartbeats changed nothing');
    m.assertNoContent(await s.heartbeat({ ts: ts2, nonce: n2, orderId: 2 }), 'the refused nonce, correctly hashed, order 2');
    m.assertSession(await stored(s.sessionId), { mod_ids: [1, 2], started_at: ts, last_at: ts2, state: 'active' }, 'after the good heartbeat');
  });

  it('415 13005/13006 for a missing or unsupported Content-Type, 400 13004 for malformed JSON; nothing changes', async () => {
    const who = newPlayer(game, 'ctype');
    const s = session(who);
    const n = m.nonce();
    const ts = ps.nowSec() - 10;
    const body = JSON.stringify(s.build('start', { nonce: n, ts, orderId: 1 }));
    m.assertModioError(await s.start({ body, contentType: null }), 415, 13005, 'start without Content-Type');
    for (const ct of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/jsonx']) {
      m.assertModioError(await s.start({ body, contentType: ct }), 415, 13006, `start with Content-Type ${ct}`);
    }
    for (const bad of ['{"session_id":', '{ids: [1]}', 'not json', '']) {
      m.assertModioError(await s.start({ body: bad }), 400, 13004, `start with body ${JSON.stringify(bad)}`);
    }
    await assertNotStored(s.sessionId);
    m.assertNoContent(await s.start({ body }), 'the same start with application/json');

    const n2 = m.nonce();
    const hbBody = JSON.stringify(s.build('heartbeat', { nonce: n2, orderId: 2 }));
    m.assertModioError(await s.heartbeat({ body: hbBody, contentType: null }), 415, 13005, 'heartbeat without Content-Type');
    m.assertModioError(await s.heartbeat({ body: hbBody, contentType: 'text/plain' }), 415, 13006, 'heartbeat text/plain');
    m.assertModioError(await s.heartbeat({ body: hbBody.slice(0, -1) }), 400, 13004, 'heartbeat with truncated JSON');
    m.assertModioError(await s.end({ body: '{"session_id": "x",}' }), 400, 13004, 'end with malformed JSON');
    m.assertSession(await stored(s.sessionId), { started_at: ts, last_at: ts, state: 'active' }, 'nothing changed');
    m.assertNoContent(await s.heartbeat({ body: hbBody }), 'the refused heartbeat as JSON');
  });

  it('422 13009 names each missing or invalid field; nothing changes', async () => {
    const who = newPlayer(game, 'fields');
    const s = session(who, { ids: [5, 6] });
    const ts = ps.nowSec() - 10;
    const n = m.nonce();
    const good = s.build('start', { ts, nonce: n, orderId: 1 });
    const without = (obj, ...keys) => Object.fromEntries(Object.entries(obj).filter(([k]) => !keys.includes(k)));
    const startCases = [
      ['empty object', {}, ['ids', 'session_id', 'session_ts', 'session_hash', 'session_nonce', 'session_order_id']],
      ['no ids', without(good, 'ids'), ['ids']],
      ['no session_id', without(good, 'session_id'), ['session_id']],
      ['no session_ts', without(good, 'session_ts'), ['session_ts']],
      ['no session_hash', without(good, 'session_hash'), ['session_hash']],
      ['no session_nonce', without(good, 'session_nonce'), ['session_nonce']],
      ['no session_order_id', without(good, 'session_order_id'), ['session_order_id']],
      ['no nonce and no order id', without(good, 'session_nonce', 'session_order_id'), ['session_nonce', 'session_order_id']],
      ['empty ids', { ...good, ids: [] }, ['ids']],
      ['ids not numbers', { ...good, ids: ['abc'] }, ['ids']],
      ['ids with one bad element', { ...good, ids: [5, 'x6'] }, ['ids']],
      ['ids an object', { ...good, ids: { a: 5 } }, ['ids']],
      ['ids negative', { ...good, ids: [-5] }, ['ids']],
      ['session_id empty', { ...good, session_id: '' }, ['session_id']],
      ['session_nonce empty', { ...good, session_nonce: '' }, ['session_nonce']],
      ['session_ts not digits', { ...good, session_ts: 'yesterday' }, ['session_ts']],
      ['session_ts negative', { ...good, session_ts: -ts }, ['session_ts']],
      ['session_ts an object', { ...good, session_ts: { s: ts } }, ['session_ts']],
      ['session_order_id not a number', { ...good, session_order_id: 'first' }, ['session_order_id']],
      ['session_order_id negative', { ...good, session_order_id: -1 }, ['session_order_id']],
      ['session_order_id fractional', { ...good, session_order_id: 1.5 }, ['session_order_id']],
    ];
    for (const [what, body, fieldsNamed] of startCases) {
      m.assertModioError(await s.start({ body }), 422, 13009, `start, ${what}`, { fields: fieldsNamed, exact: true });
    }
    const form = m.toForm(without(good, 'session_nonce'));
    m.assertModioError(await s.start({ body: form, contentType: 'application/x-www-form-urlencoded' }), 422, 13009,
      'form start without session_nonce', { fields: ['session_nonce'], exact: true });
    await assertNotStored(s.sessionId);
    m.assertNoContent(await s.start({ body: good }), 'the correct start');

    const n2 = m.nonce();
    const hbGood = s.build('heartbeat', { nonce: n2, orderId: 2 });
    const hbCases = [
      ['empty object (no ids needed)', {}, ['session_id', 'session_ts', 'session_hash', 'session_nonce', 'session_order_id']],
      ['no session_order_id', without(hbGood, 'session_order_id'), ['session_order_id']],
      ['no session_ts', without(hbGood, 'session_ts'), ['session_ts']],
      ['session_ts not digits', { ...hbGood, session_ts: '12ab' }, ['session_ts']],
    ];
    for (const [what, body, fieldsNamed] of hbCases) {
      m.assertModioError(await s.heartbeat({ body }), 422, 13009, `heartbeat, ${what}`, { fields: fieldsNamed, exact: true });
      m.assertModioError(await s.end({ body }), 422, 13009, `end, ${what}`, { fields: fieldsNamed, exact: true });
    }
    m.assertSession(await stored(s.sessionId), { mod_ids: [5, 6], started_at: ts, last_at: ts, state: 'active' }, 'nothing changed');
    m.assertNoContent(await s.heartbeat({ body: hbGood }), 'the correct heartbeat (same nonce as refused ones)');
  });

  it('422 13009 on session_ts outside the default 900 s window (seconds and milliseconds); inside it is accepted', async () => {
    const who = newPlayer(game, 'window');
    const s = session(who);
    const n = m.nonce();
    for (const [what, ts] of [
      ['1000 s ago', ps.nowSec() - 1000], ['1000 s ahead', ps.nowSec() + 1000],
      ['1000 s ago in ms', Date.now() - 1000000], ['1000 s ahead in ms', Date.now() + 1000000],
      ['a day ago', ps.nowSec() - 86400], ['the seed\'s 2024 timestamp', SEED.ts],
    ]) {
      m.assertModioError(await s.start({ ts, nonce: n, orderId: 1 }), 422, 13009, `start ${what}`, { fields: ['session_ts'], exact: true });
    }
    await assertNotStored(s.sessionId);
    const startTs = ps.nowSec() - 800;
    m.assertNoContent(await s.start({ ts: startTs, nonce: n, orderId: 1 }), 'start 800 s ago (inside 900)');
    const n2 = m.nonce();
    m.assertModioError(await s.heartbeat({ ts: ps.nowSec() + 1000, nonce: n2, orderId: 7 }), 422, 13009, 'heartbeat 1000 s ahead', { fields: ['session_ts'] });
    m.assertModioError(await s.end({ ts: Date.now() - 1000000, orderId: 7 }), 422, 13009, 'end 1000 s ago (ms)', { fields: ['session_ts'] });
    m.assertSession(await stored(s.sessionId), { started_at: startTs, last_at: startTs, state: 'active' }, 'nothing changed');
    const hbTs = Date.now() + 800000;
    m.assertNoContent(await s.heartbeat({ ts: hbTs, nonce: n2, orderId: 2 }), 'heartbeat 800 s ahead in ms (inside 900)');
    m.assertSession(await stored(s.sessionId), { last_at: Math.floor(hbTs / 1000), state: 'active' }, 'after the heartbeat');
  });

  describe('accepted client variants (each answers 204 and is stored as sent)', () => {
    it('C++ SDK: seconds as numbers, start order 1, a heartbeat in the same second as start, end repeating the last order id', async () => {
      const who = newPlayer(game, 'cpp');
      const s = session(who, { ids: [238219, 674839], platform: 'windows', portal: 'steam' });
      const t0 = ps.nowSec() - 5;
      m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start');
      m.assertNoContent(await s.heartbeat({ ts: t0, orderId: 2 }), 'heartbeat right after start');
      m.assertNoContent(await s.heartbeat({ ts: t0 + 2, orderId: 3 }), 'heartbeat 3');
      m.assertNoContent(await s.end({ ts: t0 + 4, orderId: 3 }), 'end repeating order 3');
      m.assertSession(await stored(s.sessionId), {
        player: who.sub, platform: 'windows', portal: 'steam', mod_ids: [238219, 674839],
        started_at: t0, last_at: t0 + 4, ended_at: t0 + 4, state: 'ended', playtime_s: 4,
      }, 'C++ session');
    });

    it('Unity 2025: milliseconds as numbers, start order 2, a heartbeat in the same millisecond with the same order id', async () => {
      const who = newPlayer(game, 'unity');
      const s = session(who, { unit: 'ms', ids: [42], platform: 'Android', portal: 'Google' });
      // Start at .250 of a second and end 45.5 s later, so that playtime_s is 45 whether it is
      // computed from the milliseconds or from the whole seconds.
      const t0 = (ps.nowSec() - 60) * 1000 + 250;
      m.assertNoContent(await s.start({ ts: t0, orderId: 2 }), 'start with order 2');
      m.assertNoContent(await s.heartbeat({ ts: t0, orderId: 2 }), 'heartbeat right after start, same order id, new nonce');
      m.assertNoContent(await s.heartbeat({ ts: t0 + 30500, orderId: 3 }), 'heartbeat 3');
      m.assertNoContent(await s.end({ ts: t0 + 45500, orderId: 3 }), 'end repeating order 3');
      m.assertSession(await stored(s.sessionId), {
        platform: 'android', portal: 'google', mod_ids: [42], started_at: Math.floor(t0 / 1000),
        last_at: Math.floor((t0 + 45500) / 1000), ended_at: Math.floor((t0 + 45500) / 1000), state: 'ended',
        playtime_s: 45,
      }, 'Unity session');
    });

    it('older Unity: session_ts (ms), session_order_id and ids as JSON strings', async () => {
      const who = newPlayer(game, 'unity-old');
      const s = session(who, { unit: 'ms', ids: [9001, 9002, 9003], strings: true });
      const t0 = Date.now() - 400000;
      const res = await s.start({ ts: t0, orderId: 1 });
      assert.equal(typeof res.sentFields.session_ts, 'string');
      assert.deepEqual(res.sentFields.ids, ['9001', '9002', '9003']);
      m.assertNoContent(res, 'start with strings');
      m.assertNoContent(await s.heartbeat({ ts: t0 + 300000, orderId: 2 }), 'heartbeat with strings');
      m.assertNoContent(await s.heartbeat({ ts: t0 + 360000, orderId: 3 }), 'heartbeat 360 s later');
      m.assertSession(await stored(s.sessionId), {
        mod_ids: [9001, 9002, 9003], started_at: Math.floor(t0 / 1000), last_at: Math.floor((t0 + 360000) / 1000), state: 'active', ended_at: null,
      }, 'string session');
    });

    it('seconds as JSON strings and order ids as strings', async () => {
      const who = newPlayer(game, 'strsec');
      const s = session(who, { ids: [3], strings: true });
      const t0 = ps.nowSec() - 100;
      m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start');
      m.assertNoContent(await s.end({ ts: t0 + 50, orderId: 2 }), 'end without any heartbeat');
      m.assertSession(await stored(s.sessionId), { mod_ids: [3], started_at: t0, last_at: t0 + 50, ended_at: t0 + 50, state: 'ended', playtime_s: 50 }, 'strings in seconds');
    });

    it('form bodies with ids[]=', async () => {
      const who = newPlayer(game, 'form');
      const s = session(who, { ids: [15, 16, 17], form: 'brackets', platform: 'linux', portal: 'gog' });
      const t0 = ps.nowSec() - 120;
      const res = await s.start({ ts: t0, orderId: 1 });
      assert.match(m.toForm(res.sentFields), /ids%5B%5D=15&ids%5B%5D=16&ids%5B%5D=17/);
      m.assertNoContent(res, 'form start');
      m.assertNoContent(await s.heartbeat({ ts: t0 + 60, orderId: 2 }), 'form heartbeat');
      m.assertNoContent(await s.end({ ts: t0 + 90, orderId: 2 }), 'form end');
      m.assertSession(await stored(s.sessionId), {
        platform: 'linux', portal: 'gog', mod_ids: [15, 16, 17], started_at: t0, last_at: t0 + 90, ended_at: t0 + 90, state: 'ended', playtime_s: 90,
      }, 'form session');
    });

    it('form bodies with ids=1,2 and milliseconds', async () => {
      const who = newPlayer(game, 'formc');
      const s = session(who, { ids: [21, 22], form: 'comma', unit: 'ms' });
      const t0 = Date.now() - 10000;
      m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'form start ids=21,22');
      m.assertNoContent(await s.heartbeat({ ts: t0 + 5000, orderId: 2 }), 'form heartbeat');
      m.assertSession(await stored(s.sessionId), { mod_ids: [21, 22], started_at: Math.floor(t0 / 1000), last_at: Math.floor((t0 + 5000) / 1000), state: 'active' }, 'form comma session');
    });

    it('JSON and form bodies mixed within one session, Content-Type with a charset parameter', async () => {
      const who = newPlayer(game, 'mixed');
      const s = session(who, { ids: [1] });
      const t0 = ps.nowSec() - 30;
      m.assertNoContent(await s.start({ ts: t0, orderId: 1, contentType: 'application/json; charset=utf-8' }), 'start JSON with charset');
      m.assertNoContent(await s.heartbeat({ ts: t0 + 10, orderId: 2, form: 'brackets' }), 'heartbeat as form');
      m.assertNoContent(await s.end({ ts: t0 + 20, orderId: 2, contentType: 'Application/JSON' }), 'end JSON, media type in capitals');
      m.assertSession(await stored(s.sessionId), { started_at: t0, ended_at: t0 + 20, state: 'ended', playtime_s: 20 }, 'mixed session');
    });

    it('heartbeats repeating the previous order id with new nonces', async () => {
      const who = newPlayer(game, 'same-order');
      const s = session(who);
      const t0 = ps.nowSec() - 300;
      m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start');
      for (let i = 1; i <= 3; i++) m.assertNoContent(await s.heartbeat({ ts: t0 + 50 * i, orderId: 2 }), `heartbeat ${i} with order 2`);
      m.assertNoContent(await s.end({ ts: t0 + 200, orderId: 2 }), 'end with order 2');
      m.assertSession(await stored(s.sessionId), { started_at: t0, last_at: t0 + 200, ended_at: t0 + 200, state: 'ended', playtime_s: 200 }, 'same order ids');
    });

    it('a session with only a start stays active with playtime 0', async () => {
      const who = newPlayer(game, 'only-start');
      const s = session(who, { ids: [77, 78] });
      const t0 = ps.nowSec() - 3;
      m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start');
      m.assertSession(await stored(s.sessionId), {
        player: who.sub, platform: 'unknown', portal: 'unknown', mod_ids: [77, 78], started_at: t0, last_at: t0, ended_at: null, state: 'active', playtime_s: 0,
      }, 'start only');
    });
  });

  it('X-Modio-Platform / X-Modio-Portal are case-folded to canonical names; unknown or missing values are stored as unknown', async () => {
    const cases = [
      [{ 'X-Modio-Platform': 'WINDOWS', 'X-Modio-Portal': 'Steam' }, 'windows', 'steam'],
      [{ 'X-Modio-Platform': 'PS5', 'X-Modio-Portal': 'PSN' }, 'ps5', 'psn'],
      [{ 'x-modio-platform': 'XboxSeriesX', 'x-modio-portal': 'XboxLive' }, 'xboxseriesx', 'xboxlive'],
      [{ 'X-MODIO-PLATFORM': 'Switch2', 'X-MODIO-PORTAL': 'Nintendo' }, 'switch2', 'nintendo'],
      [{ 'X-Modio-Platform': 'LinuxServer', 'X-Modio-Portal': 'EpicGames' }, 'linuxserver', 'epicgames'],
      [{ 'X-Modio-Platform': 'iOS', 'X-Modio-Portal': 'Apple' }, 'ios', 'apple'],
      [{ 'X-Modio-Platform': 'Oculus', 'X-Modio-Portal': 'itchIO' }, 'oculus', 'itchio'],
      [{ 'X-Modio-Platform': 'Dreamcast', 'X-Modio-Portal': 'MyStore' }, 'unknown', 'unknown'],
      [{ 'X-Modio-Platform': 'windows10', 'X-Modio-Portal': 'steamdeck' }, 'unknown', 'unknown'],
      [{ 'X-Modio-Platform': '' }, 'unknown', 'unknown'],
      [{}, 'unknown', 'unknown'],
    ];
    const who = newPlayer(game, 'plat');
    const sessions = [];
    for (const [headers, platform, portal] of cases) {
      const s = session(who);
      m.assertNoContent(await s.start({ headers }), `start with ${JSON.stringify(headers)}`);
      m.assertNoContent(await s.heartbeat({ headers, orderId: 2 }), `heartbeat with ${JSON.stringify(headers)}`);
      sessions.push([s, platform, portal, headers]);
    }
    const all = await m.readSessions(srv.dataDir, game.id);
    for (const [s, platform, portal, headers] of sessions) {
      const got = all.find((x) => x.session_id === s.sessionId);
      assert.ok(got, `session with ${JSON.stringify(headers)} is stored`);
      assert.equal(got.platform, platform, `platform for ${JSON.stringify(headers)}`);
      assert.equal(got.portal, portal, `portal for ${JSON.stringify(headers)}`);
    }
  });

  it('409 13010 on a reused nonce (heartbeat, end, the start\'s nonce); an identical resend is a 204 that changes nothing', async () => {
    const who = newPlayer(game, 'replay');
    const s = session(who);
    const t0 = ps.nowSec() - 200;
    const start = await s.start({ ts: t0, orderId: 1 });
    m.assertNoContent(start, 'start');
    const hb = await s.heartbeat({ ts: t0 + 10, orderId: 2 });
    m.assertNoContent(hb, 'heartbeat 2');
    const hbNonce = hb.sentFields.session_nonce;

    // The identical request again (a client whose 204 was lost): a success that changes
    // nothing (docs/http-api.md, metrics sessions: resends); metrics_resend.test.js has more.
    m.assertNoContent(await s.heartbeat({ fields: hb.sentFields }), 'identical heartbeat resent');
    // The nonce with a higher order id and a later ts, correctly hashed.
    m.assertModioError(await s.heartbeat({ ts: t0 + 50, orderId: 10, nonce: hbNonce }), 409, 13010, 'heartbeat reusing a nonce', { message: /replay/i });
    m.assertModioError(await s.heartbeat({ ts: t0 + 50, orderId: 10, nonce: start.sentFields.session_nonce }), 409, 13010, 'heartbeat reusing the start nonce');
    m.assertModioError(await s.end({ ts: t0 + 60, orderId: 10, nonce: hbNonce }), 409, 13010, 'end reusing a nonce');
    m.assertNoContent(await s.start({ fields: start.sentFields }), 'identical start resent');
    m.assertModioError(await s.start({ fields: { ...start.sentFields, session_order_id: 2 } }), 409, null, 'the start nonce with another order id (409: replay or existing session)');
    m.assertSession(await stored(s.sessionId), { started_at: t0, last_at: t0 + 10, ended_at: null, state: 'active' }, 'replays and resends changed nothing');

    // Order 3 < 10 still works: the replays did not record their order id.
    m.assertNoContent(await s.heartbeat({ ts: t0 + 20, orderId: 3 }), 'new nonce, order 3');
    m.assertNoContent(await s.end({ ts: t0 + 30, orderId: 3 }), 'end with a new nonce');
    m.assertSession(await stored(s.sessionId), { started_at: t0, last_at: t0 + 30, ended_at: t0 + 30, state: 'ended', playtime_s: 30 }, 'after the good requests');
  });

  it('409 13011 on an order id lower than one already seen; nothing changes', async () => {
    const who = newPlayer(game, 'order');
    const s = session(who);
    const t0 = ps.nowSec() - 500;
    m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start 1');
    m.assertNoContent(await s.heartbeat({ ts: t0 + 100, orderId: 2 }), 'heartbeat 2');
    m.assertNoContent(await s.heartbeat({ ts: t0 + 200, orderId: 5 }), 'heartbeat 5 (gaps are fine)');
    const low = await s.heartbeat({ ts: t0 + 300, orderId: 4 });
    m.assertModioError(low, 409, 13011, 'heartbeat 4 after 5');
    m.assertModioError(await s.heartbeat({ ts: t0 + 300, orderId: 1 }), 409, 13011, 'heartbeat 1 after 5');
    m.assertModioError(await s.end({ ts: t0 + 310, orderId: 3 }), 409, 13011, 'end 3 after 5');
    m.assertSession(await stored(s.sessionId), { last_at: t0 + 200, ended_at: null, state: 'active' }, 'lower order ids changed nothing');
    // The refused request's nonce was not recorded: it is accepted with order 5.
    m.assertNoContent(await s.heartbeat({ ts: t0 + 300, orderId: 5, nonce: low.sentFields.session_nonce }), 'the refused nonce with order 5');
    m.assertNoContent(await s.heartbeat({ ts: t0 + 400, orderId: 6 }), 'heartbeat 6');
    m.assertModioError(await s.end({ ts: t0 + 410, orderId: 5 }), 409, 13011, 'end 5 after 6');
    m.assertNoContent(await s.end({ ts: t0 + 420, orderId: 6 }), 'end repeating 6');
    m.assertSession(await stored(s.sessionId), { started_at: t0, last_at: t0 + 420, ended_at: t0 + 420, state: 'ended', playtime_s: 420 }, 'ended');
  });

  it('404 14000 for a heartbeat or end of an unknown or ended session; 409 13012 for a second start', async () => {
    const who = newPlayer(game, 'state');
    const ghost = session(who);
    m.assertModioError(await ghost.heartbeat({ orderId: 2 }), 404, 14000, 'heartbeat of a session never started');
    m.assertModioError(await ghost.end({ orderId: 2 }), 404, 14000, 'end of a session never started');
    await assertNotStored(ghost.sessionId);

    const s = session(who, { ids: [1, 2, 3] });
    const t0 = ps.nowSec() - 100;
    m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start');
    const again = await s.start({ ts: t0 + 5, orderId: 2, ids: [9] });
    m.assertModioError(again, 409, 13012, 'second start while active');
    m.assertModioError(await s.start({ ts: t0 + 5, orderId: 1, ids: [1, 2, 3], via: 'path' }), 409, 13012, 'second start under the path prefix');
    m.assertSession(await stored(s.sessionId), { mod_ids: [1, 2, 3], started_at: t0, last_at: t0, state: 'active' }, 'the first start stays');
    // The second start's nonce was not recorded.
    m.assertNoContent(await s.heartbeat({ ts: t0 + 10, orderId: 2, nonce: again.sentFields.session_nonce }), 'heartbeat with the refused start\'s nonce');
    m.assertNoContent(await s.end({ ts: t0 + 60, orderId: 2 }), 'end');
    m.assertModioError(await s.heartbeat({ ts: t0 + 70, orderId: 3 }), 404, 14000, 'heartbeat after end');
    m.assertModioError(await s.end({ ts: t0 + 80, orderId: 3 }), 404, 14000, 'second end');
    m.assertModioError(await s.start({ ts: t0 + 90, orderId: 1 }), 409, 13012, 'start after end');
    m.assertSession(await stored(s.sessionId), {
      mod_ids: [1, 2, 3], started_at: t0, last_at: t0 + 60, ended_at: t0 + 60, state: 'ended', playtime_s: 60,
    }, 'nothing after the end changed the session');
  });

  it('a heartbeat or end carrying another player\'s token is refused (404 14000) and changes nothing', async () => {
    const owner = newPlayer(game, 'owner');
    const intruder = newPlayer(game, 'intruder');
    const s = session(owner);
    const t0 = ps.nowSec() - 100;
    m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start');
    const n = m.nonce();
    m.assertModioError(await s.heartbeat({ ts: t0 + 10, orderId: 5, nonce: n, token: intruder.token }), 404, 14000, 'another player\'s heartbeat');
    m.assertModioError(await s.end({ ts: t0 + 20, orderId: 5, token: intruder.token }), 404, 14000, 'another player\'s end');
    m.assertSession(await stored(s.sessionId), { player: owner.sub, last_at: t0, state: 'active' }, 'unchanged');
    m.assertNoContent(await s.heartbeat({ ts: t0 + 10, orderId: 2, nonce: n }), 'the owner, same nonce, order 2');
  });

  it('a token issued with --ttl 1 is refused (401 11005) once expired; nothing changes', async () => {
    const sub = `ttl-${crypto.randomBytes(3).toString('hex')}`;
    const short = await m.cliToken(srv.dataDir, game.id, sub, 1);
    const decoded = m.decodeJwt(short).payload;
    assert.equal(decoded.exp - decoded.iat, 1, '--ttl 1: exp = iat + 1');
    // The session starts with a longer token of the same player: a 1 s token may already have
    // expired when a slow machine (sanitizers) sends its first request.
    const s = session({ token: await m.cliToken(srv.dataDir, game.id, sub, 60) });
    const t0 = ps.nowSec() - 10;
    m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'start');
    const exp = decoded.exp;
    await ps.waitFor(() => ps.nowSec() >= exp + 1, { timeoutMs: 5000, what: 'token expiry' });
    const n = m.nonce();
    const res = await s.heartbeat({ ts: t0 + 5, orderId: 2, nonce: n, token: short });
    m.assertModioError(res, 401, 11005, 'heartbeat with the expired token');
    const fresh = await m.cliToken(srv.dataDir, game.id, sub, 60);
    m.assertSession(await stored(s.sessionId), { player: sub, last_at: t0, state: 'active' }, 'unchanged');
    m.assertNoContent(await s.heartbeat({ ts: t0 + 5, orderId: 2, nonce: n, token: fresh }), 'same heartbeat with a fresh token');
  });

  it('default --player-rate 120: a burst of 60, then 429 11008 with Retry-After; other players unaffected; a refused request changes nothing', async () => {
    const who = newPlayer(game, 'rate');
    const s = session(who);
    const startedAt = Date.now();
    m.assertNoContent(await s.start({ orderId: 1 }), 'start');
    const sent = Array.from({ length: 70 }, () => s.build('heartbeat', { orderId: 2 }));
    const results = await Promise.all(sent.map((fields) => s.heartbeat({ fields })));
    const elapsedS = (Date.now() - startedAt) / 1000;
    const ok = results.filter((r) => r.status === 204);
    const limited = results.filter((r) => r.status === 429);
    const others = results.filter((r) => r.status !== 204 && r.status !== 429);
    assert.deepEqual(others.map(m.describe), [], 'every heartbeat is either accepted or rate limited');
    const maxRefill = Math.ceil(elapsedS * 2) + 1;
    assert.ok(ok.length >= 59, `burst 60 (start + 59 heartbeats) must be accepted, got ${ok.length} of 70 in ${elapsedS}s`);
    assert.ok(ok.length <= 59 + maxRefill, `at most the burst plus ${maxRefill} refilled tokens accepted, got ${ok.length} in ${elapsedS}s`);
    assert.ok(limited.length >= 1, 'some heartbeats are rate limited');
    for (const r of limited) {
      m.assertModioError(r, 429, 11008, 'rate limited heartbeat');
      assert.match(String(r.headers['retry-after']), /^[0-9]+$/, `Retry-After is whole seconds: ${m.describe(r)}`);
      const ra = Number(r.headers['retry-after']);
      assert.ok(ra >= 1 && ra <= 1, `with 2 tokens per second, Retry-After is 1, got ${ra}`);
    }

    // Another player of the same game is not limited.
    const bystander = newPlayer(game, 'bystander');
    m.assertNoContent(await session(bystander).start(), 'another player right after the burst');

    // Wait as told; the refused request's nonce was not recorded, so it is accepted as is.
    const refused = limited[0].sentFields;
    await ps.sleep(Number(limited[0].headers['retry-after']) * 1000 + 200);
    m.assertNoContent(await s.heartbeat({ fields: refused }), 'a rate-limited heartbeat resent after Retry-After');
    m.assertSession(await stored(s.sessionId), { player: who.sub, state: 'active' }, 'stored');
  });
});

describe('metrics sessions with --session-window 60 --session-timeout 2', () => {
  let srv;
  let game;
  before(async () => {
    srv = await ps.startServer({ name: 'msessions-short', args: ['--session-window', '60', '--session-timeout', '2'] });
    game = await ps.createGame(srv.dataDir, 'Short Game');
  });
  after(async () => { if (srv) await srv.stop(); });

  function session(who, opts = {}) {
    return new m.Session({ port: srv.port, game, token: who.token, ...opts });
  }
  const CLI_TIMEOUT = ['--session-timeout', '2'];
  const stored = (sid) => m.readSession(srv.dataDir, game.id, sid, CLI_TIMEOUT);

  it('--session-window 60: 120 s away is refused (422 session_ts), 45 s away accepted', async () => {
    const who = newPlayer(game, 'win');
    const s = session(who);
    const n = m.nonce();
    for (const [what, ts] of [
      ['120 s ago', ps.nowSec() - 120], ['120 s ahead', ps.nowSec() + 120],
      ['120 s ago in ms', Date.now() - 120000], ['120 s ahead in ms', Date.now() + 120000],
      ['800 s ago (fine with the default window)', ps.nowSec() - 800],
    ]) {
      m.assertModioError(await s.start({ ts, nonce: n, orderId: 1 }), 422, 13009, `start ${what}`, { fields: ['session_ts'], exact: true });
    }
    m.assertModioError(await s.heartbeat({ orderId: 2 }), 404, 14000, 'the refused starts created no session');
    const t0 = ps.nowSec() - 45;
    m.assertNoContent(await s.start({ ts: t0, nonce: n, orderId: 1 }), 'start 45 s ago with the refused nonce');
    const n2 = m.nonce();
    m.assertModioError(await s.heartbeat({ ts: ps.nowSec() - 120, nonce: n2, orderId: 2 }), 422, 13009, 'heartbeat 120 s ago', { fields: ['session_ts'] });
    m.assertModioError(await s.end({ ts: Date.now() + 120000, orderId: 2 }), 422, 13009, 'end 120 s ahead (ms)', { fields: ['session_ts'] });
    m.assertSession(await stored(s.sessionId), { started_at: t0, last_at: t0, state: 'active' }, 'refusals changed nothing');
    const t1 = Date.now() + 45000;
    m.assertNoContent(await s.heartbeat({ ts: t1, nonce: n2, orderId: 2 }), 'heartbeat 45 s ahead (ms)');
    m.assertSession(await stored(s.sessionId), { started_at: t0, last_at: Math.floor(t1 / 1000), state: 'active' }, 'after the heartbeat');
  });

  it('--session-timeout 2: a silent session is over (404 14000) and stored as timed_out at its last heartbeat; heartbeats keep it alive; refused requests do not', async () => {
    // A: start, heartbeat, then silence for 2.6 s.
    const a = session(newPlayer(game, 'silent'), { ids: [31, 32] });
    const aStart = ps.nowSec() - 40;
    const aHb = ps.nowSec() - 10;
    // B: heartbeats every 1.2 s for 3.6 s.
    const b = session(newPlayer(game, 'alive'));
    // C: only refused requests after the start.
    const c = session(newPlayer(game, 'refused'));

    const scenarioA = (async () => {
      m.assertNoContent(await a.start({ ts: aStart, orderId: 1 }), 'A start');
      m.assertNoContent(await a.heartbeat({ ts: aHb, orderId: 2 }), 'A heartbeat');
      m.assertSession(await stored(a.sessionId), { state: 'active', ended_at: null }, 'A right after its heartbeat');
      await ps.sleep(2600);
      m.assertModioError(await a.heartbeat({ orderId: 3 }), 404, 14000, 'A heartbeat 2.6 s after the last one');
      m.assertModioError(await a.end({ orderId: 3 }), 404, 14000, 'A end after the timeout');
      m.assertModioError(await a.start({ orderId: 1 }), 409, 13012, 'A start again after the timeout');
      m.assertSession(await stored(a.sessionId), {
        mod_ids: [31, 32], started_at: aStart, last_at: aHb, ended_at: aHb, state: 'timed_out', playtime_s: aHb - aStart,
      }, 'A timed out at its last heartbeat');
    })();

    const scenarioB = (async () => {
      const t0 = ps.nowSec();
      m.assertNoContent(await b.start({ ts: t0, orderId: 1 }), 'B start');
      for (let i = 1; i <= 3; i++) {
        await ps.sleep(1200);
        m.assertNoContent(await b.heartbeat({ orderId: 1 + i }), `B heartbeat ${i} (${1.2 * i} s after start)`);
      }
      m.assertSession(await stored(b.sessionId), { state: 'active', ended_at: null }, 'B is active');
      const tEnd = ps.nowSec();
      m.assertNoContent(await b.end({ ts: tEnd, orderId: 4 }), 'B end');
      m.assertSession(await stored(b.sessionId), { started_at: t0, ended_at: tEnd, state: 'ended', playtime_s: tEnd - t0 }, 'B ended');
    })();

    const scenarioC = (async () => {
      const t0 = ps.nowSec();
      m.assertNoContent(await c.start({ ts: t0, orderId: 1 }), 'C start');
      await ps.sleep(1300);
      m.assertModioError(await c.heartbeat({ orderId: 2, hash: '0'.repeat(64) }), 403, null, 'C heartbeat with a bad hash');
      m.assertModioError(await c.heartbeat({ orderId: 2, auth: null }), 401, 11005, 'C heartbeat without a token');
      await ps.sleep(1300);
      m.assertModioError(await c.heartbeat({ orderId: 2 }), 404, 14000, 'C heartbeat 2.6 s after the last accepted request');
      m.assertSession(await stored(c.sessionId), { started_at: t0, last_at: t0, ended_at: t0, state: 'timed_out', playtime_s: 0 }, 'C timed out');
    })();

    const outcomes = await Promise.allSettled([scenarioA, scenarioB, scenarioC]);
    const failures = outcomes.filter((o) => o.status === 'rejected').map((o) => o.reason);
    if (failures.length) throw failures[0];
  });
});

describe('metrics sessions with --player-rate 6', () => {
  let srv;
  let game;
  before(async () => {
    srv = await ps.startServer({ name: 'msessions-rate', args: ['--player-rate', '6'] });
    game = await ps.createGame(srv.dataDir, 'Rate Game');
  });
  after(async () => { if (srv) await srv.stop(); });

  it('burst 3, then 429 11008 with Retry-After between 1 and 10 s; per player; the refused request changes nothing', async () => {
    const who = newPlayer(game, 'slow');
    const s = new m.Session({ port: srv.port, game, token: who.token });
    const t0 = ps.nowSec() - 5;
    m.assertNoContent(await s.start({ ts: t0, orderId: 1 }), 'request 1');
    m.assertNoContent(await s.heartbeat({ ts: t0 + 1, orderId: 2 }), 'request 2');
    m.assertNoContent(await s.heartbeat({ ts: t0 + 2, orderId: 3 }), 'request 3');
    const limited = await s.heartbeat({ ts: t0 + 3, orderId: 9 });
    m.assertModioError(limited, 429, 11008, 'request 4');
    const ra = limited.headers['retry-after'];
    assert.match(String(ra), /^[0-9]+$/, `Retry-After in whole seconds: ${m.describe(limited)}`);
    assert.ok(Number(ra) >= 1 && Number(ra) <= 10, `one token per 10 s: Retry-After in [1, 10], got ${ra}`);
    m.assertModioError(await s.end({ ts: t0 + 4, orderId: 9 }), 429, 11008, 'request 5');

    const other = newPlayer(game, 'other');
    const o = new m.Session({ port: srv.port, game, token: other.token });
    m.assertNoContent(await o.start(), 'another player is not limited');

    const got = await m.readSession(srv.dataDir, game.id, s.sessionId);
    m.assertSession(got, { started_at: t0, last_at: t0 + 2, ended_at: null, state: 'active' }, 'the 429s changed nothing');
  });
});

describe('metrics sessions with --player-rate 1 (burst at least 1)', () => {
  let srv;
  let game;
  before(async () => {
    srv = await ps.startServer({ name: 'msessions-rate1', args: ['--player-rate', '1'] });
    game = await ps.createGame(srv.dataDir, 'Rate One Game');
  });
  after(async () => { if (srv) await srv.stop(); });

  it('one request passes, the next is 429 11008 with Retry-After between 1 and 60 s', async () => {
    const who = newPlayer(game, 'one');
    const s = new m.Session({ port: srv.port, game, token: who.token });
    m.assertNoContent(await s.start({ orderId: 1 }), 'request 1 (burst max(1, 1/2) = 1)');
    const limited = await s.heartbeat({ orderId: 2 });
    m.assertModioError(limited, 429, 11008, 'request 2');
    const ra = limited.headers['retry-after'];
    assert.match(String(ra), /^[0-9]+$/, `Retry-After in whole seconds: ${m.describe(limited)}`);
    assert.ok(Number(ra) >= 1 && Number(ra) <= 60, `one token per 60 s: Retry-After in [1, 60], got ${ra}`);
    const other = newPlayer(game, 'other-one');
    m.assertNoContent(await new m.Session({ port: srv.port, game, token: other.token }).start(), 'another player');
  });
});
