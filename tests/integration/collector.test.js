'use strict';
// The analytics collector (GameAnalytics REST API v2 compatible) against the real binary:
// authentication, limits, validation answers, storage as received, duplicates, init endpoints,
// CORS, metrics and the CLI while the server runs. Each test creates its own game so that
// what `playstat events` prints belongs to that test only.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const http = require('node:http');
const zlib = require('node:zlib');

const ps = require('./lib/playstat');
const ev = require('./lib/events');

const ERROR_CODES = ['required', 'type', 'pattern', 'enum', 'minimum', 'maximum', 'maxLength'];

/** Asserts that `line` (one NDJSON line of `playstat events`) is `sentRaw` byte for byte with
 *  `"received_ts": <int>` appended, and that received_ts is within [t0, t1]. */
function assertStoredVerbatim(line, sentRaw, t0, t1) {
  assert.ok(sentRaw.endsWith('}'));
  const prefix = sentRaw.slice(0, -1);
  if (!line.startsWith(prefix)) {
    let i = 0;
    while (i < prefix.length && line[i] === prefix[i]) i++;
    assert.fail(`stored event is not the event as received (first difference at byte ${i}):\n`
      + `  sent:   ...${sentRaw.slice(Math.max(0, i - 40), i + 60)}\n`
      + `  stored: ...${line.slice(Math.max(0, i - 40), i + 60)}\n  full stored line: ${line.slice(0, 2000)}`);
  }
  const m = /^\s*,\s*"received_ts"\s*:\s*(\d+)\s*\}\s*$/.exec(line.slice(prefix.length));
  assert.ok(m, `stored line must end with "received_ts": <int>}: ${line.slice(prefix.length, prefix.length + 200)}`);
  const ts = Number(m[1]);
  assert.ok(ts >= t0 && ts <= t1, `received_ts ${ts} must lie within the test's window [${t0}, ${t1}]`);
  return ts;
}

/** Normalises an error's field to a dotted path ("/a/b", "$.a.b", "a[b]" -> "a.b"). */
function normField(f) {
  return String(f).replace(/^\$\.?/, '').replace(/^\//, '').replace(/\//g, '.').replace(/\[["']?([^\]"']*)["']?\]/g, '.$1')
    .replace(/^\./, '');
}

/** Checks the shape of one element of a 400 answer. */
function assertRejectionShape(el) {
  assert.ok(Number.isInteger(el.event_index), `event_index must be an integer: ${JSON.stringify(el)}`);
  assert.ok(Array.isArray(el.errors) && el.errors.length > 0, `errors must be a non-empty array: ${JSON.stringify(el)}`);
  for (const e of el.errors) {
    assert.equal(typeof e.field, 'string', `error.field must be a string: ${JSON.stringify(e)}`);
    assert.ok(ERROR_CODES.includes(e.code), `error.code must be one of ${ERROR_CODES}: ${JSON.stringify(e)}`);
    assert.equal(typeof e.message, 'string', `error.message must be a string: ${JSON.stringify(e)}`);
  }
}

/** True if `errors` has an error on `field` (dotted; or ending with it) with one of `codes`. */
function hasError(errors, field, codes) {
  const want = Array.isArray(codes) ? codes : [codes];
  return errors.some((e) => {
    const f = normField(e.field);
    if (!want.includes(e.code)) return false;
    if (!field) return true; // the whole event (e.g. an element that is not an object)
    return f === field || f.startsWith(`${field}.`) || f.endsWith(`.${field}`) || (f !== '' && field.endsWith(`.${f}`));
  });
}

/** Posts `cases` ([{ name, event, field?, code? }]; field+code set = must be rejected) as one
 *  batch and checks the 400 answer, what was stored and what was kept as rejected. */
async function checkCases(srv, game, cases) {
  const t0 = ps.nowSec();
  const res = await ps.postEvents(srv.port, game, cases.map((c) => c.event));
  const t1 = ps.nowSec() + 1;
  const invalid = cases.map((c, i) => ({ ...c, i })).filter((c) => c.code);
  const valid = cases.map((c, i) => ({ ...c, i })).filter((c) => !c.code);
  if (invalid.length === 0) {
    assert.equal(res.status, 200, `all-valid batch must answer 200: ${ps.describeRes(res)}`);
    assert.deepEqual(res.json, {});
  } else {
    assert.equal(res.status, 400, `batch with invalid events must answer 400: ${ps.describeRes(res)}`);
    assert.ok(Array.isArray(res.json), `400 body must be a JSON array: ${res.text.slice(0, 500)}`);
  }
  const byIndex = new Map();
  for (const el of res.json && Array.isArray(res.json) ? res.json : []) {
    assertRejectionShape(el);
    assert.ok(!byIndex.has(el.event_index), `event_index ${el.event_index} reported twice`);
    byIndex.set(el.event_index, el);
  }
  const problems = [];
  for (const c of invalid) {
    const el = byIndex.get(c.i);
    if (!el) problems.push(`#${c.i} ${c.name}: expected rejection (${c.field}: ${c.code}), was accepted`);
    else if (!hasError(el.errors, c.field, c.code)) {
      problems.push(`#${c.i} ${c.name}: expected error (${c.field}: ${c.code}), got ${JSON.stringify(el.errors)}`);
    }
  }
  for (const c of valid) {
    const el = byIndex.get(c.i);
    if (el) problems.push(`#${c.i} ${c.name}: valid event was rejected: ${JSON.stringify(el.errors)}`);
  }
  for (const idx of byIndex.keys()) {
    if (idx < 0 || idx >= cases.length) problems.push(`event_index ${idx} out of range`);
  }
  assert.deepEqual(problems, [], `validation answers differ from the schema:\n${problems.join('\n')}`);

  // Stored: exactly the valid ones, as received. Rejected: exactly the invalid ones.
  const stored = await ps.readEvents(srv.dataDir, game.id);
  const storedUuids = ps.countByUuid(stored);
  for (const c of valid) {
    if (c.event.event_uuid === undefined) continue;
    assert.equal(storedUuids.get(c.event.event_uuid), 1, `valid event #${c.i} ${c.name} must be stored once`);
  }
  for (const c of invalid) {
    if (typeof c.event !== 'object' || c.event === null) continue;
    assert.ok(!storedUuids.has(c.event.event_uuid), `rejected event #${c.i} ${c.name} must not be stored`);
  }
  assert.equal(stored.length, valid.length, 'number of stored events = number of valid events');
  const rejected = await ps.readEvents(srv.dataDir, game.id, { rejected: true });
  assert.equal(rejected.length, invalid.length, 'every rejected event is kept (with its errors)');
  for (const { obj } of rejected) {
    const c = cases[obj.event_index];
    assert.ok(c && c.code, `--rejected lists event_index ${obj.event_index}, which is not an invalid event`);
    assert.deepEqual(obj.event, c.event, `--rejected must keep the event as received (#${obj.event_index} ${c.name})`);
    assert.ok(hasError(obj.errors, c.field, c.code), `--rejected keeps the errors of #${obj.event_index} ${c.name}: ${JSON.stringify(obj.errors)}`);
    assert.ok(Number.isInteger(obj.received_ts) && obj.received_ts >= t0 && obj.received_ts <= t1,
      `--rejected received_ts ${obj.received_ts} within [${t0}, ${t1}]`);
  }
}

/** A JSON array of realistic events whose UTF-8 encoding is exactly `target` bytes. */
function bodyOfSize(target) {
  const session = ev.newSession();
  const events = [];
  let size = 2;
  const cats = ['design', 'progression', 'resource', 'business', 'error', 'ads', 'design', 'user'];
  for (let i = 0; ; i++) {
    const e = ev.makeEvent(cats[i % cats.length], session);
    const n = Buffer.byteLength(JSON.stringify(e)) + (events.length ? 1 : 0);
    if (size + n + 600 > target) break;
    events.push(e);
    size += n;
  }
  const last = events[events.length - 1];
  last.note = '';
  last.note = 'x'.repeat(target - Buffer.byteLength(JSON.stringify(events)));
  const raw = Buffer.from(JSON.stringify(events));
  assert.equal(raw.length, target);
  return { events, raw };
}

describe('collector', () => {
  let srv;
  let gameSeq = 0;
  const newGame = () => ps.createGame(srv.dataDir, `Collector Game ${++gameSeq}`);

  before(async () => { srv = await ps.startServer({ name: 'collector' }); });
  after(async () => { if (srv) await srv.stop(); });

  it('GET /healthz answers 200', async () => {
    const res = await ps.request(srv.port, { path: '/healthz' });
    assert.equal(res.status, 200, ps.describeRes(res));
  });

  it('stores one event of every category as received, with received_ts; --category filters', async () => {
    const game = await newGame();
    const session = ev.newSession();
    const events = ev.oneOfEach(session);
    const t0 = ps.nowSec();
    const res = await ps.postEvents(srv.port, game, events);
    const t1 = ps.nowSec() + 1;
    assert.equal(res.status, 200, `every category must be accepted: ${ps.describeRes(res)}`);
    assert.deepEqual(res.json, {}, 'all-valid batch answers {}');

    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, events.length, 'one stored event per sent event');
    for (const e of events) {
      const rows = stored.filter((r) => r.obj.event_uuid === e.event_uuid);
      assert.equal(rows.length, 1, `${e.category} event stored exactly once`);
      assertStoredVerbatim(rows[0].line, JSON.stringify(e), t0, t1);
      const { received_ts: _, ...rest } = rows[0].obj;
      assert.deepEqual(rest, e, `${e.category} event read back with the same content`);
    }
    for (const cat of ev.CATEGORIES) {
      const only = await ps.readEvents(srv.dataDir, game.id, { category: cat });
      assert.equal(only.length, 1, `--category ${cat} prints exactly the one ${cat} event`);
      assert.equal(only[0].obj.category, cat);
    }
    const none = await ps.readEvents(srv.dataDir, game.id, { rejected: true });
    assert.equal(none.length, 0, 'nothing rejected');
  });

  it('accepts a correctly signed gzip body and stores its events as sent (inflated)', async () => {
    const game = await newGame();
    const events = ev.mixedBatch(20);
    const t0 = ps.nowSec();
    const res = await ps.postEvents(srv.port, game, events, { gzip: true });
    const t1 = ps.nowSec() + 1;
    assert.equal(res.status, 200, `gzip + HMAC over the gzipped bytes must be accepted: ${ps.describeRes(res)}`);
    assert.deepEqual(res.json, {});
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 20);
    for (const e of events) {
      const row = stored.find((r) => r.obj.event_uuid === e.event_uuid);
      assert.ok(row, `event ${e.event_uuid} stored`);
      assertStoredVerbatim(row.line, JSON.stringify(e), t0, t1);
    }
  });

  it('answers 401 with a JSON body to bad authentication, and stores nothing from it', async () => {
    const game = await newGame();
    const other = await newGame();
    const cases = [
      ['wrong secret (another game\'s)', (e) => ps.postEvents(srv.port, game, e, { secret: other.secret_key })],
      ['wrong secret (random)', (e) => ps.postEvents(srv.port, game, e, { secret: crypto.randomBytes(20).toString('hex') })],
      ['missing Authorization', (e) => ps.postEvents(srv.port, game, e, { auth: null })],
      ['empty Authorization', (e) => ps.postEvents(srv.port, game, e, { auth: '' })],
      ['Authorization not base64', (e) => ps.postEvents(srv.port, game, e, { auth: 'not a signature!' })],
      ['scheme prefix', (e) => ps.postEvents(srv.port, game, e, {
        auth: `Bearer ${ps.hmacBase64(game.secret_key, Buffer.from(JSON.stringify(e)))}` })],
      ['HMAC of the plain body sent as gzip', (e) => ps.postEvents(srv.port, game, e, { gzip: true, signInflated: true })],
      ['HMAC of another body', (e) => ps.postEvents(srv.port, game, e, {
        auth: ps.hmacBase64(game.secret_key, Buffer.from(JSON.stringify(e).replace('"v":2', '"v": 2'))) })],
      ['unknown game key', (e) => ps.postEvents(srv.port, game, e, { gameKey: crypto.randomBytes(16).toString('hex') })],
      ['another game\'s key with this game\'s secret', (e) => ps.postEvents(srv.port, game, e, { gameKey: other.game_key })],
    ];
    const refused = [];
    for (const [name, send] of cases) {
      const events = [ev.makeEvent('design'), ev.makeEvent('user')];
      refused.push(...events);
      const res = await send(events);
      assert.equal(res.status, 401, `${name}: must answer 401: ${ps.describeRes(res)}`);
      ps.assertJsonBody(res, name);
    }
    // The same request correctly signed works (so the 401s above were about the signature).
    const good = [ev.makeEvent('design')];
    const ok = await ps.postEvents(srv.port, game, good);
    assert.equal(ok.status, 200, ps.describeRes(ok));
    for (const g of [game, other]) {
      const stored = await ps.readEvents(srv.dataDir, g.id);
      const leaked = stored.filter((r) => refused.some((e) => e.event_uuid === r.obj.event_uuid));
      assert.deepEqual(leaked.map((r) => r.line), [], 'no event of a 401 request may be stored');
      const rejected = await ps.readEvents(srv.dataDir, g.id, { rejected: true });
      assert.equal(rejected.length, 0, 'unauthenticated requests are not kept as rejected events either');
    }
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.deepEqual(stored.map((r) => r.obj.event_uuid), [good[0].event_uuid]);
  });

  it('refuses bodies over 1 MiB with 413 and accepts exactly 1 MiB', async () => {
    const game = await newGame();
    const over = bodyOfSize(ps.ONE_MB + 1);
    let res = await ps.postEvents(srv.port, game, over.raw);
    assert.equal(res.status, 413, `1,048,577-byte body: ${ps.describeRes(res)}`);
    ps.assertJsonBody(res, '413');

    // Chunked upload (no Content-Length) over the limit.
    const chunked = bodyOfSize(ps.ONE_MB + 1);
    res = await ps.postEvents(srv.port, game, chunked.raw, { headers: { 'Content-Length': undefined, 'Transfer-Encoding': 'chunked' } });
    assert.equal(res.status, 413, `chunked 1,048,577-byte body: ${ps.describeRes(res)}`);
    ps.assertJsonBody(res, '413 chunked');

    let stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 0, 'nothing of a 413 request is stored');

    const exact = bodyOfSize(ps.ONE_MB);
    const t0 = ps.nowSec();
    res = await ps.postEvents(srv.port, game, exact.raw);
    const t1 = ps.nowSec() + 1;
    assert.equal(res.status, 200, `body of exactly 1,048,576 bytes must be accepted: ${ps.describeRes(res)}`);
    stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, exact.events.length, `all ${exact.events.length} events of the 1 MiB body are stored`);
    const byUuid = new Map(stored.map((r) => [r.obj.event_uuid, r.line]));
    for (const e of [exact.events[0], exact.events[exact.events.length - 1]]) {
      assertStoredVerbatim(byUuid.get(e.event_uuid), JSON.stringify(e), t0, t1);
    }
  });

  it('refuses gzip bodies that inflate over 1 MiB (413) and accepts one inflating to exactly 1 MiB', async () => {
    const game = await newGame();
    // A few real events then 8 MiB of JSON whitespace: ~10 KB on the wire.
    const head = ev.mixedBatch(10);
    const bomb = Buffer.from(`[${head.map((e) => JSON.stringify(e)).join(',')}${' '.repeat(8 * ps.ONE_MB)}]`);
    assert.ok(zlib.gzipSync(bomb).length < 64 * 1024, 'the bomb is small on the wire');
    let res = await ps.postEvents(srv.port, game, bomb, { gzip: true });
    assert.equal(res.status, 413, `gzip inflating to 8 MiB: ${ps.describeRes(res)}`);
    ps.assertJsonBody(res, '413 gzip');

    const over = bodyOfSize(ps.ONE_MB + 1);
    res = await ps.postEvents(srv.port, game, over.raw, { gzip: true });
    assert.equal(res.status, 413, `gzip inflating to 1,048,577 bytes: ${ps.describeRes(res)}`);

    let stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 0, 'nothing of a 413 request is stored');

    const exact = bodyOfSize(ps.ONE_MB);
    res = await ps.postEvents(srv.port, game, exact.raw, { gzip: true });
    assert.equal(res.status, 200, `gzip inflating to exactly 1,048,576 bytes must be accepted: ${ps.describeRes(res)}`);
    stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, exact.events.length);

    const health = await ps.request(srv.port, { path: '/healthz' });
    assert.equal(health.status, 200, 'server still healthy after the gzip bomb');
  });

  it('refuses an unsupported Content-Encoding with 415 and a JSON body (docs/http-api.md)', async () => {
    const game = await newGame();
    const events = [ev.makeEvent('design')];
    const res = await ps.postEvents(srv.port, game, events, { headers: { 'Content-Encoding': 'br' } });
    assert.equal(res.status, 415, ps.describeRes(res));
    ps.assertJsonBody(res, '415');
    assert.equal((await ps.readEvents(srv.dataDir, game.id)).length, 0);
  });

  it('answers 400 with a JSON body to bodies that are not a JSON array, storing nothing', async () => {
    const game = await newGame();
    const e = ev.makeEvent('design');
    const bodies = {
      'not JSON': 'this is not json',
      'empty body': '',
      'truncated array': `[${JSON.stringify(e).slice(0, 40)}`,
      'JSON object': JSON.stringify(e),
      'JSON string': '"[]"',
      'JSON number': '42',
      'JSON null': 'null',
      'array with an element that is not JSON': `[${JSON.stringify(ev.makeEvent('design'))},{"v":2,]`,
      'two arrays': `[${JSON.stringify(ev.makeEvent('design'))}][]`,
    };
    for (const [name, body] of Object.entries(bodies)) {
      const res = await ps.postEvents(srv.port, game, Buffer.from(body));
      assert.equal(res.status, 400, `${name}: ${ps.describeRes(res)}`);
      ps.assertJsonBody(res, name);
    }
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 0, 'nothing stored from malformed bodies');
  });

  it('partial batch: stores the valid events, answers 400 with one element per rejected event, keeps them with --rejected', async () => {
    const game = await newGame();
    const s = ev.newSession();
    const { user_id: _u, ...noUser } = ev.makeEvent('design', s);
    await checkCases(srv, game, [
      { name: 'valid design', event: ev.makeEvent('design', s) },
      { name: 'missing user_id', event: noUser, field: 'user_id', code: 'required' },
      { name: 'valid business', event: ev.makeEvent('business', s) },
      { name: 'currency lowercase', event: ev.makeEvent('business', s, { currency: 'usd' }), field: 'currency', code: 'pattern' },
      { name: 'session_end too long', event: ev.makeEvent('session_end', s, { length: 172801 }), field: 'length', code: 'maximum' },
      { name: 'v as string', event: ev.makeEvent('user', s, { v: '2' }), field: 'v', code: 'type' },
      { name: 'unknown severity', event: ev.makeEvent('error', s, { severity: 'fatal' }), field: 'severity', code: 'enum' },
      { name: 'session_num 0', event: ev.makeEvent('progression', s, { session_num: 0 }), field: 'session_num', code: 'minimum' },
      { name: 'custom_01 33 chars', event: ev.makeEvent('resource', s, { custom_01: 'c'.repeat(33) }), field: 'custom_01', code: 'maxLength' },
      { name: 'valid user', event: ev.makeEvent('user', s) },
      { name: 'element not an object', event: 17, field: '', code: 'type' },
    ]);
  });

  it('an all-valid batch answers 200 {}', async () => {
    const game = await newGame();
    const res = await ps.postEvents(srv.port, game, ev.mixedBatch(50));
    assert.equal(res.status, 200, ps.describeRes(res));
    assert.deepEqual(res.json, {});
    assert.equal((await ps.readEvents(srv.dataDir, game.id)).length, 50);
  });

  describe('schema rules of every category', () => {
    const s = ev.newSession();
    const long = (n) => 'a'.repeat(n);
    const without = (e, k) => { const c = { ...e }; delete c[k]; return c; };
    const mk = (cat, o) => ev.makeEvent(cat, s, o);
    const table = {
      shared: [
        { name: 'valid: platform server, os ps5, engine unity, limit_ad_tracking', event: mk('user', {
          platform: 'server', os_version: 'ps5 1.0', engine_version: 'unity 2022.3.10', limit_ad_tracking: true,
          jailbroken: true, logon_gamecenter: true, custom_01: long(32), custom_02: 'whale', custom_03: 'b' }) },
        { name: 'valid: sdk_version javascript/cpp/unity', event: mk('design', { sdk_version: 'javascript 4.4.6' }) },
        { name: 'valid: sdk_version cpp 5.4.0', event: mk('design', { sdk_version: 'cpp 5.4.0' }) },
        { name: 'valid: sdk_version unity 4.6.9, manufacturer/device 64', event: mk('design', {
          sdk_version: 'unity 4.6.9', manufacturer: long(64), device: long(64), build: long(32) }) },
        { name: 'valid: android ids', event: mk('user', { platform: 'android', os_version: 'android 14', google_aid: 'a-b', android_id: 'x', connection_type: 'wwan' }) },
        { name: 'v missing', event: without(mk('user'), 'v'), field: 'v', code: 'required' },
        { name: 'v 3', event: mk('user', { v: 3 }), field: 'v', code: 'maximum' },
        { name: 'v 1', event: mk('user', { v: 1 }), field: 'v', code: 'minimum' },
        { name: 'user_id number', event: mk('user', { user_id: 12345 }), field: 'user_id', code: 'type' },
        { name: 'client_ts string', event: mk('user', { client_ts: '1700000000' }), field: 'client_ts', code: 'type' },
        { name: 'client_ts in milliseconds', event: mk('user', { client_ts: Date.now() }), field: 'client_ts', code: 'pattern' },
        { name: 'sdk_version unknown', event: mk('user', { sdk_version: 'rest api v3' }), field: 'sdk_version', code: 'pattern' },
        { name: 'sdk_version missing', event: without(mk('user'), 'sdk_version'), field: 'sdk_version', code: 'required' },
        { name: 'os_version without version', event: mk('user', { os_version: 'ios17' }), field: 'os_version', code: 'pattern' },
        { name: 'os_version upper case', event: mk('user', { os_version: 'iOS 17.1' }), field: 'os_version', code: 'pattern' },
        { name: 'manufacturer 65', event: mk('user', { manufacturer: long(65) }), field: 'manufacturer', code: 'maxLength' },
        { name: 'device 65', event: mk('user', { device: long(65) }), field: 'device', code: 'maxLength' },
        { name: 'device missing', event: without(mk('user'), 'device'), field: 'device', code: 'required' },
        { name: 'platform unknown', event: mk('user', { platform: 'playstation' }), field: 'platform', code: 'enum' },
        { name: 'session_id upper case', event: mk('user', { session_id: s.session_id.toUpperCase() }), field: 'session_id', code: 'pattern' },
        { name: 'session_id missing', event: without(mk('user'), 'session_id'), field: 'session_id', code: 'required' },
        { name: 'session_num 1.5', event: mk('user', { session_num: 1.5 }), field: 'session_num', code: 'type' },
        { name: 'session_num missing', event: without(mk('user'), 'session_num'), field: 'session_num', code: 'required' },
        { name: 'limit_ad_tracking false', event: mk('user', { limit_ad_tracking: false }), field: 'limit_ad_tracking', code: 'enum' },
        { name: 'limit_ad_tracking "true"', event: mk('user', { limit_ad_tracking: 'true' }), field: 'limit_ad_tracking', code: 'type' },
        { name: 'jailbroken false', event: mk('user', { jailbroken: false }), field: 'jailbroken', code: 'enum' },
        { name: 'custom_02 33', event: mk('user', { custom_02: long(33) }), field: 'custom_02', code: 'maxLength' },
        { name: 'build 33', event: mk('user', { build: long(33) }), field: 'build', code: 'maxLength' },
        { name: 'connection_type 5g', event: mk('user', { connection_type: '5g' }), field: 'connection_type', code: 'enum' },
        { name: 'engine_version without space', event: mk('user', { engine_version: 'unity2022' }), field: 'engine_version', code: 'pattern' },
        { name: 'ios_idfa number', event: mk('user', { ios_idfa: 5 }), field: 'ios_idfa', code: 'type' },
        { name: 'category missing', event: without(mk('user'), 'category'), field: 'category', code: ['required', 'enum', 'pattern'] },
        { name: 'category unknown', event: mk('user', { category: 'purchase' }), field: 'category', code: ['enum', 'pattern'] },
      ],
      session_end: [
        { name: 'valid: length 0', event: mk('session_end', { length: 0 }) },
        { name: 'valid: length 172800', event: mk('session_end', { length: 172800 }) },
        { name: 'length missing', event: without(mk('session_end'), 'length'), field: 'length', code: 'required' },
        { name: 'length -1', event: mk('session_end', { length: -1 }), field: 'length', code: 'minimum' },
        { name: 'length 172801', event: mk('session_end', { length: 172801 }), field: 'length', code: 'maximum' },
        { name: 'length "10"', event: mk('session_end', { length: '10' }), field: 'length', code: 'type' },
        { name: 'length 1.5', event: mk('session_end', { length: 1.5 }), field: 'length', code: 'type' },
      ],
      business: [
        { name: 'valid: no cart_type, no receipt, transaction 0', event: without(without(mk('business', { transaction_num: 0, amount: 0 }), 'cart_type'), 'receipt_info') },
        { name: 'valid: google_play receipt with signature, cart_type 32', event: mk('business', {
          cart_type: long(32), receipt_info: { receipt: 'eyJvcmRlcklkIjoiR1BBLjEyMzQifQ==', store: 'google_play', signature: 'c2lnbmF0dXJl' } }) },
        { name: 'valid: event_id with spaces and symbols', event: mk('business', { event_id: 'Gem Pack (big)!:gems_100.v2-?' }) },
        { name: 'amount float', event: mk('business', { amount: 4.99 }), field: 'amount', code: 'type' },
        { name: 'amount missing', event: without(mk('business'), 'amount'), field: 'amount', code: 'required' },
        { name: 'currency 4 letters', event: mk('business', { currency: 'USDT' }), field: 'currency', code: 'pattern' },
        { name: 'currency missing', event: without(mk('business'), 'currency'), field: 'currency', code: 'required' },
        { name: 'event_id one part', event: mk('business', { event_id: 'BlueGemPack' }), field: 'event_id', code: 'pattern' },
        { name: 'event_id part 65', event: mk('business', { event_id: `${long(65)}:x` }), field: 'event_id', code: 'pattern' },
        { name: 'event_id three parts', event: mk('business', { event_id: 'a:b:c' }), field: 'event_id', code: 'pattern' },
        { name: 'transaction_num -1', event: mk('business', { transaction_num: -1 }), field: 'transaction_num', code: 'minimum' },
        { name: 'transaction_num missing', event: without(mk('business'), 'transaction_num'), field: 'transaction_num', code: 'required' },
        { name: 'cart_type 33', event: mk('business', { cart_type: long(33) }), field: 'cart_type', code: 'maxLength' },
        { name: 'receipt store amazon', event: mk('business', { receipt_info: { receipt: 'r', store: 'amazon' } }), field: 'receipt_info.store', code: 'pattern' },
        { name: 'receipt without receipt', event: mk('business', { receipt_info: { store: 'apple' } }), field: 'receipt_info.receipt', code: 'required' },
        { name: 'receipt_info string', event: mk('business', { receipt_info: 'receipt' }), field: 'receipt_info', code: 'type' },
      ],
      resource: [
        { name: 'valid: Source with underscores in itemType and itemId', event: mk('resource', { event_id: 'Source:Gems:rewarded_video:gain_life', amount: 10 }) },
        { name: 'valid: integer amount', event: mk('resource', { amount: 100 }) },
        { name: 'flow type unknown', event: mk('resource', { event_id: 'Spend:Gems:Boost:Mega' }), field: 'event_id', code: 'pattern' },
        { name: 'three parts', event: mk('resource', { event_id: 'Sink:Gems:Boost' }), field: 'event_id', code: 'pattern' },
        { name: 'digit in currency', event: mk('resource', { event_id: 'Sink:Gems2:Boost:Mega' }), field: 'event_id', code: 'pattern' },
        { name: 'star in itemType', event: mk('resource', { event_id: 'Sink:Gems:Bo*st:Mega' }), field: 'event_id', code: 'pattern' },
        { name: 'event_id missing', event: without(mk('resource'), 'event_id'), field: 'event_id', code: 'required' },
        { name: 'amount string', event: mk('resource', { amount: '10' }), field: 'amount', code: 'type' },
        { name: 'amount missing', event: without(mk('resource'), 'amount'), field: 'amount', code: 'required' },
      ],
      progression: [
        { name: 'valid: Start 1 part', event: without(without(mk('progression', { event_id: 'Start:PirateIsland' }), 'score'), 'attempt_num') },
        { name: 'valid: Fail 3 parts with underscores', event: mk('progression', { event_id: 'Fail:pirate_world:pirate_island:sandy_hills', attempt_num: 0 }) },
        { name: 'four progression parts', event: mk('progression', { event_id: 'Complete:a:b:c:d' }), field: 'event_id', code: 'pattern' },
        { name: 'status unknown', event: mk('progression', { event_id: 'Finish:Level1' }), field: 'event_id', code: 'pattern' },
        { name: 'status only', event: mk('progression', { event_id: 'Start' }), field: 'event_id', code: 'pattern' },
        { name: 'star in progression01', event: mk('progression', { event_id: 'Start:pirate*island' }), field: 'event_id', code: 'pattern' },
        { name: 'attempt_num -1', event: mk('progression', { attempt_num: -1 }), field: 'attempt_num', code: 'minimum' },
        { name: 'attempt_num "2"', event: mk('progression', { attempt_num: '2' }), field: 'attempt_num', code: 'type' },
        { name: 'score 12.5', event: mk('progression', { score: 12.5 }), field: 'score', code: 'type' },
        { name: 'event_id missing', event: without(mk('progression'), 'event_id'), field: 'event_id', code: 'required' },
      ],
      design: [
        { name: 'valid: one part, no value', event: without(mk('design', { event_id: 'Tutorial' }), 'value') },
        { name: 'valid: five parts with underscores, integer value', event: mk('design', { event_id: 'ui_main:btn_play:a:b:c', value: 3 }) },
        { name: 'six parts', event: mk('design', { event_id: 'a:b:c:d:e:f' }), field: 'event_id', code: 'pattern' },
        { name: 'empty', event: mk('design', { event_id: '' }), field: 'event_id', code: 'pattern' },
        { name: 'part 65', event: mk('design', { event_id: long(65) }), field: 'event_id', code: 'pattern' },
        { name: 'star', event: mk('design', { event_id: 'Menu*Open' }), field: 'event_id', code: 'pattern' },
        { name: 'value string', event: mk('design', { value: '1' }), field: 'value', code: 'type' },
        { name: 'event_id number', event: mk('design', { event_id: 12 }), field: 'event_id', code: 'type' },
      ],
      error: [
        { name: 'valid: every severity, empty message', event: mk('error', { severity: 'debug', message: '' }) },
        { name: 'valid: info', event: mk('error', { severity: 'info' }) },
        { name: 'valid: warning, message 8192', event: mk('error', { severity: 'warning', message: long(8192) }) },
        { name: 'valid: error', event: mk('error', { severity: 'error' }) },
        { name: 'severity fatal', event: mk('error', { severity: 'fatal' }), field: 'severity', code: 'enum' },
        { name: 'severity missing', event: without(mk('error'), 'severity'), field: 'severity', code: 'required' },
        { name: 'message missing', event: without(mk('error'), 'message'), field: 'message', code: 'required' },
        { name: 'message 8193', event: mk('error', { message: long(8193) }), field: 'message', code: 'maxLength' },
        { name: 'message number', event: mk('error', { message: 404 }), field: 'message', code: 'type' },
      ],
      ads: [
        { name: 'valid: failed_show with reason, banner', event: mk('ads', { ad_type: 'banner', ad_action: 'failed_show', ad_fail_show_reason: 'no_fill', ad_duration: undefined, ad_first: undefined }) },
        { name: 'valid: every ad_type', event: mk('ads', { ad_type: 'offer_wall', ad_action: 'reward_received', ad_sdk_name: long(32), ad_placement: long(64) }) },
        { name: 'ad_sdk_name with space', event: mk('ads', { ad_sdk_name: 'ad mob' }), field: 'ad_sdk_name', code: 'pattern' },
        { name: 'ad_sdk_name with underscore', event: mk('ads', { ad_sdk_name: 'ad_mob' }), field: 'ad_sdk_name', code: 'pattern' },
        { name: 'ad_sdk_name upper case', event: mk('ads', { ad_sdk_name: 'AdMob' }), field: 'ad_sdk_name', code: 'pattern' },
        { name: 'ad_sdk_name 33', event: mk('ads', { ad_sdk_name: long(33) }), field: 'ad_sdk_name', code: ['maxLength', 'pattern'] },
        { name: 'ad_placement 65', event: mk('ads', { ad_placement: long(65) }), field: 'ad_placement', code: 'maxLength' },
        { name: 'ad_type popup', event: mk('ads', { ad_type: 'popup' }), field: 'ad_type', code: 'enum' },
        { name: 'ad_action closed', event: mk('ads', { ad_action: 'closed' }), field: 'ad_action', code: 'enum' },
        { name: 'ad_action missing', event: without(mk('ads'), 'ad_action'), field: 'ad_action', code: 'required' },
        { name: 'ad_fail_show_reason timeout', event: mk('ads', { ad_action: 'failed_show', ad_fail_show_reason: 'timeout' }), field: 'ad_fail_show_reason', code: 'enum' },
        { name: 'ad_duration 1.5', event: mk('ads', { ad_duration: 1.5 }), field: 'ad_duration', code: 'type' },
        { name: 'ad_first "yes"', event: mk('ads', { ad_first: 'yes' }), field: 'ad_first', code: 'type' },
      ],
      impression: [
        { name: 'ad_network_name number', event: mk('impression', { ad_network_name: 5 }), field: 'ad_network_name', code: 'type' },
        { name: 'impression_data string', event: mk('impression', { impression_data: 'x' }), field: 'impression_data', code: 'type' },
      ],
      sdk_error: [
        { name: 'valid: every error_category', event: ev.makeEvent('sdk_error', null, { error_category: 'event_validation', error_parameter: 'currency' }) },
        { name: 'valid: db, reason 256', event: ev.makeEvent('sdk_error', null, { error_category: 'db', reason: long(256) }) },
        { name: 'error_category network', event: ev.makeEvent('sdk_error', null, { error_category: 'network' }), field: 'error_category', code: 'enum' },
        { name: 'reason 257', event: ev.makeEvent('sdk_error', null, { reason: long(257) }), field: 'reason', code: 'maxLength' },
        { name: 'error_area missing', event: without(ev.makeEvent('sdk_error'), 'error_area'), field: 'error_area', code: 'required' },
      ],
      health: [{ name: 'valid: health', event: mk('health') }],
      sdk_init: [{ name: 'valid: sdk_init', event: mk('sdk_init') }],
      custom_fields: (() => {
        const fifty = {};
        for (let i = 0; i < 50; i++) fifty[`field_${i}`] = i % 2 ? i * 1.5 : long(256);
        const fiftyOne = { ...fifty, field_50: 1 };
        return [
          { name: 'valid: 50 entries, strings of 256 and numbers', event: mk('design', { custom_fields: fifty }) },
          { name: 'valid: key of 64', event: mk('business', { custom_fields: { [long(64)]: 'x', Level_2: 7 } }) },
          { name: '51 entries', event: mk('design', { custom_fields: fiftyOne }), field: 'custom_fields', code: ERROR_CODES },
          { name: 'key with a dash', event: mk('design', { custom_fields: { 'bad-key': 1 } }), field: 'custom_fields', code: ['pattern'] },
          { name: 'key of 65', event: mk('design', { custom_fields: { [long(65)]: 1 } }), field: 'custom_fields', code: ['pattern', 'maxLength'] },
          { name: 'value of 257', event: mk('design', { custom_fields: { level: long(257) } }), field: 'custom_fields.level', code: 'maxLength' },
          { name: 'value boolean', event: mk('design', { custom_fields: { level: true } }), field: 'custom_fields.level', code: 'type' },
          { name: 'value object', event: mk('design', { custom_fields: { level: { a: 1 } } }), field: 'custom_fields.level', code: 'type' },
          { name: 'value null', event: mk('design', { custom_fields: { level: null } }), field: 'custom_fields.level', code: 'type' },
          { name: 'custom_fields string', event: mk('design', { custom_fields: 'level=3' }), field: 'custom_fields', code: 'type' },
        ];
      })(),
    };
    // Normalise: drop properties set to undefined (so JSON and deepEqual agree).
    for (const list of Object.values(table)) {
      for (const c of list) if (c.event && typeof c.event === 'object') c.event = JSON.parse(JSON.stringify(c.event));
    }
    for (const [group, cases] of Object.entries(table)) {
      it(`${group}: valid cases stored, each invalid case rejected with its field and code`, async () => {
        const game = await newGame();
        await checkCases(srv, game, cases);
      });
    }
  });

  it('duplicates by event_uuid are acknowledged and stored once (within a batch, across batches, per game)', async () => {
    const game = await newGame();
    const other = await newGame();
    const before = await ps.scrapeMetrics(srv.port);
    const a = ev.makeEvent('design');
    const b = ev.makeEvent('business');
    const c = ev.makeEvent('progression');

    let res = await ps.postEvents(srv.port, game, [a, b, { ...a }]);
    assert.equal(res.status, 200, `same uuid twice in one batch: ${ps.describeRes(res)}`);
    assert.deepEqual(res.json, {});
    res = await ps.postEvents(srv.port, game, [b, c]);
    assert.equal(res.status, 200, `resent uuid in a later batch: ${ps.describeRes(res)}`);
    assert.deepEqual(res.json, {});
    // Same uuid, different content: the first stored copy stays.
    res = await ps.postEvents(srv.port, game, [{ ...c, event_id: 'Fail:Other:Level' }]);
    assert.equal(res.status, 200, ps.describeRes(res));
    // The same uuids in another game are that game's events.
    res = await ps.postEvents(srv.port, other, [a, c]);
    assert.equal(res.status, 200, ps.describeRes(res));

    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.deepEqual(Object.fromEntries(ps.countByUuid(stored)), { [a.event_uuid]: 1, [b.event_uuid]: 1, [c.event_uuid]: 1 },
      'each uuid stored exactly once in the first game');
    assert.equal(stored.find((r) => r.obj.event_uuid === c.event_uuid).obj.event_id, c.event_id, 'first copy kept');
    const stored2 = await ps.readEvents(srv.dataDir, other.id);
    assert.deepEqual(Object.fromEntries(ps.countByUuid(stored2)), { [a.event_uuid]: 1, [c.event_uuid]: 1 },
      'the same uuids are stored again for another game');
    assert.equal((await ps.readEvents(srv.dataDir, game.id, { rejected: true })).length, 0, 'duplicates are not rejections');

    const afterM = await ps.scrapeMetrics(srv.port);
    const dup = ps.metricSum(afterM.samples, 'playstat_events_duplicate_total') - ps.metricSum(before.samples, 'playstat_events_duplicate_total');
    assert.equal(dup, 3, 'playstat_events_duplicate_total counts the 3 duplicates');
  });

  it('the same batch sent 10 times at once is acknowledged every time and stored once', async () => {
    const game = await newGame();
    const batch = ev.mixedBatch(20);
    const answers = await Promise.all(Array.from({ length: 10 }, () => ps.postEvents(srv.port, game, batch)));
    for (const res of answers) {
      assert.equal(res.status, 200, ps.describeRes(res));
      assert.deepEqual(res.json, {});
    }
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 20, 'each event stored once');
    const count = ps.countByUuid(stored);
    for (const e of batch) assert.equal(count.get(e.event_uuid), 1);
  });

  it('event_uuid: events without one are always stored, any hex case is the same uuid, a malformed one is rejected (docs/design.md)', async () => {
    const game = await newGame();
    const s = ev.newSession();
    const noUuid = ev.makeEvent('design', s);
    delete noUuid.event_uuid;
    for (let i = 0; i < 2; i++) {
      const res = await ps.postEvents(srv.port, game, [noUuid]);
      assert.equal(res.status, 200, `event without event_uuid: ${ps.describeRes(res)}`);
    }
    const e = ev.makeEvent('progression', s);
    let res = await ps.postEvents(srv.port, game, [e]);
    assert.equal(res.status, 200, ps.describeRes(res));
    res = await ps.postEvents(srv.port, game, [{ ...e, event_uuid: e.event_uuid.toUpperCase() }]);
    assert.equal(res.status, 200, ps.describeRes(res));
    const bad = ev.makeEvent('design', s, { event_uuid: 'not-a-uuid' });
    res = await ps.postEvents(srv.port, game, [bad]);
    assert.equal(res.status, 400, ps.describeRes(res));
    assert.ok(hasError(res.json[0].errors, 'event_uuid', 'pattern'), JSON.stringify(res.json));
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.filter((r) => r.obj.event_uuid === undefined).length, 2, 'both events without event_uuid stored');
    assert.equal(stored.filter((r) => String(r.obj.event_uuid).toLowerCase() === e.event_uuid).length, 1,
      'the upper-case resend of a uuid is a duplicate');
    assert.equal(stored.length, 3);
  });

  it('a keep-alive connection stays usable across answers of every kind', async () => {
    const game = await newGame();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const stored = [];
    const body = (events) => { stored.push(...events); return events; };
    const steps = [
      ['200', () => ps.postEvents(srv.port, game, body([ev.makeEvent('user')]), { agent }), 200],
      ['400 partial', () => ps.postEvents(srv.port, game, [...body([ev.makeEvent('design')]), ev.makeEvent('design', undefined, { v: 3 })], { agent }), 400],
      ['401 missing signature', () => ps.postEvents(srv.port, game, [ev.makeEvent('design')], { agent, auth: null }), 401],
      ['400 not JSON', () => ps.postEvents(srv.port, game, 'nope', { agent }), 400],
      ['200 gzip', () => ps.postEvents(srv.port, game, body(ev.mixedBatch(30)), { agent, gzip: true }), 200],
      ['GET /healthz', () => ps.request(srv.port, { path: '/healthz', agent }), 200],
      ['OPTIONS preflight', () => ps.request(srv.port, { method: 'OPTIONS', path: `/v2/${game.game_key}/events`, agent,
        headers: { Origin: 'https://x.example', 'Access-Control-Request-Method': 'POST' } }), 204],
      ['init', () => ps.signedPost(srv.port, `/v2/${game.game_key}/init`, game.secret_key,
        { platform: 'ios', os_version: 'ios 17.1', sdk_version: 'rest api v2' }, { agent }), 200],
      ['404', () => ps.request(srv.port, { path: '/nope', agent }), 404],
      ['200 large', () => ps.postEvents(srv.port, game, body(ev.mixedBatch(500)), { agent }), 200],
      ['200 last', () => ps.postEvents(srv.port, game, body([ev.makeEvent('session_end')]), { agent }), 200],
    ];
    try {
      const notReused = [];
      for (const [name, step, status] of steps) {
        const res = await step();
        assert.equal(res.status, status, `${name} on a keep-alive connection: ${ps.describeRes(res)}`);
        if (name !== '200' && !res.reusedSocket) notReused.push(name);
      }
      assert.deepEqual(notReused, [], 'the server keeps the connection open after each of these answers');
    } finally {
      agent.destroy();
    }
    const rows = await ps.readEvents(srv.dataDir, game.id);
    const count = ps.countByUuid(rows);
    assert.equal(rows.length, stored.length);
    for (const e of stored) assert.equal(count.get(e.event_uuid), 1);
  });

  it('keeps unknown extra fields and the optional fields of real SDKs', async () => {
    const game = await newGame();
    const e = ev.makeEvent('design', undefined, {
      user_id_ext: 'steam:76561198000000000', browser_version: 'chrome 120',
      configurations_v3: [{ key: 'difficulty', value: 'hard', vsn: 3 }], ab_id: 'ab-17', ab_variant_id: 'variant_b',
      configurations: { difficulty: 'hard' }, studio_private: { nested: [1, 2.5, 'three', null, true], deeper: { x: '\u00e9\u2713' } },
      limit_ad_tracking: true,
    });
    const t0 = ps.nowSec();
    const res = await ps.postEvents(srv.port, game, [e]);
    const t1 = ps.nowSec() + 1;
    assert.equal(res.status, 200, ps.describeRes(res));
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 1);
    assertStoredVerbatim(stored[0].line, JSON.stringify(e), t0, t1);
  });

  it('stores the event bytes as received (number spelling, escapes, whitespace inside an event)', async () => {
    const game = await newGame();
    const s = ev.newSession();
    const base = ev.makeEvent('design', s);
    // Hand-written JSON: numbers and strings as a client might spell them.
    const raw1 = JSON.stringify({ ...base, value: 0.1 }).replace('"value":0.1', '"value":1.50e1');
    const e2 = ev.makeEvent('error', s);
    const raw2 = JSON.stringify(e2).replace('"critical"', '"\\u0063ritical"');
    const e3 = ev.makeEvent('resource', s);
    const raw3 = JSON.stringify(e3).replace(/,"/g, ', "');
    const t0 = ps.nowSec();
    const res = await ps.postEvents(srv.port, game, Buffer.from(`[${raw1},\n  ${raw2} , ${raw3}]`));
    const t1 = ps.nowSec() + 1;
    assert.equal(res.status, 200, ps.describeRes(res));
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 3);
    const line = (u) => stored.find((r) => r.obj.event_uuid === u).line;
    assertStoredVerbatim(line(base.event_uuid), raw1, t0, t1);
    assertStoredVerbatim(line(e2.event_uuid), raw2, t0, t1);
    assertStoredVerbatim(line(e3.event_uuid), raw3, t0, t1);
  });

  it('accepts strings containing an escaped NUL (\\u0000, valid JSON) and stores the event as received', async () => {
    // C and C++ games send error messages built from buffers; "\u0000" is valid JSON (RFC 8259 §7).
    // Refusing it as "not JSON" answers 400 for the whole batch, and SDKs then drop every event of it.
    const game = await newGame();
    const s = ev.newSession();
    const e = ev.makeEvent('error', s, { message: 'read failed: buffer "ab\u0000cd"' });
    const sibling = ev.makeEvent('design', s);
    const t0 = ps.nowSec();
    const res = await ps.postEvents(srv.port, game, [e, sibling]);
    const t1 = ps.nowSec() + 1;
    assert.equal(res.status, 200, `batch with a NUL escape in a string: ${ps.describeRes(res)}`);
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 2);
    assertStoredVerbatim(stored.find((r) => r.obj.event_uuid === e.event_uuid).line, JSON.stringify(e), t0, t1);
  });

  it('POST /v2/{game_key}/init answers enabled, server_ts and flags; 401 when unsigned', async () => {
    const game = await newGame();
    const body = { platform: 'ios', os_version: 'ios 17.1', sdk_version: 'rest api v2' };
    const t0 = ps.nowSec();
    const res = await ps.signedPost(srv.port, `/v2/${game.game_key}/init`, game.secret_key, body);
    const t1 = ps.nowSec() + 1;
    assert.equal(res.status, 200, ps.describeRes(res));
    assert.equal(res.json.enabled, true);
    assert.ok(Number.isInteger(res.json.server_ts) && res.json.server_ts >= t0 && res.json.server_ts <= t1,
      `server_ts ${res.json.server_ts} is now (unix seconds)`);
    assert.deepEqual(res.json.flags, []);

    let bad = await ps.signedPost(srv.port, `/v2/${game.game_key}/init`, game.secret_key, body, { auth: null });
    assert.equal(bad.status, 401, `unsigned init: ${ps.describeRes(bad)}`);
    ps.assertJsonBody(bad, 'init 401');
    bad = await ps.signedPost(srv.port, `/v2/${crypto.randomBytes(16).toString('hex')}/init`, game.secret_key, body);
    assert.equal(bad.status, 401, `init with unknown key: ${ps.describeRes(bad)}`);
    ps.assertJsonBody(bad, 'init 401 unknown key');
  });

  it('POST /remote_configs/v1/init answers 201 with configs, then 200 when the hash is current', async () => {
    const game = await newGame();
    // The body the JavaScript SDK 4.4.x sends (build is null when not configured).
    const body = { user_id: 'b3f0c7d2-1c7e-4a8e-9d51-0f6d3f0a1b2c', sdk_version: 'javascript 4.4.6',
      os_version: 'windows 10.0', platform: 'windows', build: null, session_num: 1, random_salt: 1 };
    const url = (hash, extra = '') => `/remote_configs/v1/init?game_key=${game.game_key}&interval_seconds=0&configs_hash=${encodeURIComponent(hash)}${extra}`;
    const t0 = ps.nowSec();
    const first = await ps.signedPost(srv.port, url(''), game.secret_key, body);
    const t1 = ps.nowSec() + 1;
    assert.equal(first.status, 201, `first remote configs init: ${ps.describeRes(first)}`);
    const j = first.json;
    assert.ok(Number.isInteger(j.server_ts) && j.server_ts > 0 && j.server_ts >= t0 && j.server_ts <= t1,
      `server_ts ${j.server_ts} > 0 and now`);
    assert.ok(Array.isArray(j.configs), 'configs is an array');
    assert.equal(typeof j.configs_hash, 'string');

    const second = await ps.signedPost(srv.port, url(j.configs_hash), game.secret_key, body);
    assert.equal(second.status, 200, `init with the current configs_hash: ${ps.describeRes(second)}`);
    ps.assertJsonBody(second, 'remote configs 200');
    assert.ok(second.json.server_ts > 0, 'a 200 answer carries server_ts > 0 too (SDKs reject an answer without it)');

    const stale = await ps.signedPost(srv.port, url('0123abcd-stale'), game.secret_key, body);
    assert.equal(stale.status, 201, `stale configs_hash: ${ps.describeRes(stale)}`);

    const v3 = await ps.signedPost(srv.port, url('', '&config_vsn_supported=3'), game.secret_key,
      { ...body, sdk_version: 'cpp 5.4.0', manufacturer: 'unknown', device: 'unknown', session_id: crypto.randomUUID() });
    assert.equal(v3.status, 201, `JS 5 / C++ 5 style call: ${ps.describeRes(v3)}`);

    const bad = await ps.signedPost(srv.port, url(''), game.secret_key, body, { secret: crypto.randomBytes(20).toString('hex') });
    assert.equal(bad.status, 401, `wrong HMAC: ${ps.describeRes(bad)}`);
    ps.assertJsonBody(bad, 'remote configs 401');
    const unknown = await ps.signedPost(srv.port,
      `/remote_configs/v1/init?game_key=${crypto.randomBytes(16).toString('hex')}&interval_seconds=0&configs_hash=`, game.secret_key, body);
    assert.equal(unknown.status, 401, `unknown game key: ${ps.describeRes(unknown)}`);
  });

  it('CORS: OPTIONS preflight answers 204 with Access-Control-Allow-Origin * and the needed headers', async () => {
    const game = await newGame();
    for (const p of [`/v2/${game.game_key}/events`, `/v2/${game.game_key}/init`,
      `/remote_configs/v1/init?game_key=${game.game_key}&interval_seconds=0&configs_hash=`]) {
      const res = await ps.request(srv.port, { method: 'OPTIONS', path: p, headers: {
        Origin: 'https://games.example.com', 'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'authorization,content-type' } });
      assert.equal(res.status, 204, `preflight ${p}: ${ps.describeRes(res)}`);
      assert.equal(res.headers['access-control-allow-origin'], '*', `preflight ${p}: Access-Control-Allow-Origin`);
      const methods = String(res.headers['access-control-allow-methods'] || '').toLowerCase();
      assert.ok(methods.includes('post'), `preflight ${p}: Access-Control-Allow-Methods includes POST: ${methods}`);
      // Authorization is never covered by a "*" wildcard: it must be listed.
      const allowed = String(res.headers['access-control-allow-headers'] || '').toLowerCase().split(/\s*,\s*/);
      assert.ok(allowed.includes('authorization'), `preflight ${p}: Access-Control-Allow-Headers lists Authorization: ${allowed}`);
      assert.ok(allowed.includes('content-type') || allowed.includes('*'), `preflight ${p}: allows Content-Type: ${allowed}`);
    }
    // The real POST answers carry the header too, or a browser hides them from the SDK.
    const ok = await ps.postEvents(srv.port, game, [ev.makeEvent('user')], { headers: { Origin: 'https://games.example.com' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], '*', 'POST 200 answer carries Access-Control-Allow-Origin *');
    const bad = await ps.postEvents(srv.port, game, 'nope', { headers: { Origin: 'https://games.example.com' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['access-control-allow-origin'], '*', 'POST 400 answer carries Access-Control-Allow-Origin *');
  });

  it('unknown routes answer with a JSON body', async () => {
    const res = await ps.request(srv.port, { method: 'GET', path: '/v2/nothing/here' });
    assert.ok(res.status >= 400 && res.status < 500, ps.describeRes(res));
    ps.assertJsonBody(res, 'unknown route');
  });

  it('/metrics reflects accepted and rejected events by category, requests by route and status, queue and commits', async () => {
    const game = await newGame();
    const m0 = await ps.scrapeMetrics(srv.port);
    assert.match(String(m0.headers['content-type']), /^text\/plain/, 'Prometheus text format');
    const s = ev.newSession();
    const batch = [ev.makeEvent('design', s), ev.makeEvent('design', s), ev.makeEvent('business', s),
      ev.makeEvent('progression', s, { event_id: 'Win:Level1' }), ev.makeEvent('error', s, { severity: 'fatal' }),
      ev.makeEvent('ads', s), ev.makeEvent('design', s, { v: 3 })];
    let res = await ps.postEvents(srv.port, game, batch);
    assert.equal(res.status, 400);
    res = await ps.postEvents(srv.port, game, [ev.makeEvent('user', s)], { auth: null });
    assert.equal(res.status, 401);
    res = await ps.postEvents(srv.port, game, [ev.makeEvent('session_end', s)]);
    assert.equal(res.status, 200);
    const m1 = await ps.scrapeMetrics(srv.port);

    const delta = (name, where) => ps.metricSum(m1.samples, name, where) - ps.metricSum(m0.samples, name, where);
    const got = {};
    for (const cat of ['design', 'business', 'ads', 'session_end', 'progression', 'error', 'user']) {
      got[`accepted ${cat}`] = delta('playstat_events_accepted_total', { category: cat });
      got[`rejected ${cat}`] = delta('playstat_events_rejected_total', { category: cat });
    }
    assert.deepEqual(got, {
      'accepted design': 2, 'rejected design': 1, 'accepted business': 1, 'rejected business': 0,
      'accepted ads': 1, 'rejected ads': 0, 'accepted session_end': 1, 'rejected session_end': 0,
      'accepted progression': 0, 'rejected progression': 1, 'accepted error': 0, 'rejected error': 1,
      'accepted user': 0, 'rejected user': 0,
    }, 'event counters by category after known traffic');

    // Requests on the events route by status (the /metrics scrapes themselves are another route).
    const onEvents = (samples, status) => samples
      .filter((x) => x.name === 'playstat_http_requests_total' && x.labels.status === status && /event/i.test(x.labels.route || ''))
      .reduce((a, x) => a + x.value, 0);
    const byStatus = {};
    for (const st of ['200', '400', '401']) byStatus[st] = onEvents(m1.samples, st) - onEvents(m0.samples, st);
    assert.deepEqual(byStatus, { 200: 1, 400: 1, 401: 1 }, 'playstat_http_requests_total{route=~events} grew by one per answered request');
    const series = m1.samples.filter((x) => x.name === 'playstat_http_requests_total');
    assert.ok(series.every((x) => 'route' in x.labels && 'status' in x.labels), 'requests_total has route and status labels');
    assert.ok(series.some((x) => x.labels.status === '400' && /events/.test(x.labels.route)), 'a series for the events route with status 400');

    const depth = m1.samples.find((x) => x.name === 'playstat_ingest_queue_depth');
    assert.ok(depth, 'playstat_ingest_queue_depth gauge present');
    assert.equal(depth.value, 0, 'queue depth is 0 when idle');
    assert.ok(m1.samples.some((x) => x.name === 'playstat_commit_seconds_bucket' && x.labels.le === '+Inf'), 'commit histogram has a +Inf bucket');
    assert.ok(delta('playstat_commit_seconds_count') >= 1, 'commit histogram counted the commits');
    assert.ok(m1.samples.some((x) => x.name === 'playstat_commit_seconds_sum'), 'commit histogram has _sum');
    const buckets = m1.samples.filter((x) => x.name === 'playstat_commit_seconds_bucket')
      .sort((a, b) => (a.labels.le === '+Inf' ? Infinity : Number(a.labels.le)) - (b.labels.le === '+Inf' ? Infinity : Number(b.labels.le)));
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].value >= buckets[i - 1].value, 'histogram buckets are cumulative');
    assert.equal(buckets[buckets.length - 1].value, ps.metricSum(m1.samples, 'playstat_commit_seconds_count'), '+Inf bucket = _count');
    assert.match(m1.text, /# TYPE playstat_commit_seconds histogram/);
    assert.match(m1.text, /# TYPE playstat_events_accepted_total counter/);
  });

  it('game list shows the games while the server runs; a game created now is usable at once', async () => {
    const g1 = await newGame();
    const g2 = await newGame();
    const games = await ps.listGames(srv.dataDir);
    for (const g of [g1, g2]) {
      const found = games.find((x) => x.id === g.id);
      assert.ok(found, `game ${g.id} listed`);
      assert.equal(found.name, g.name);
      assert.equal(found.game_key, g.game_key);
      assert.equal(found.secret_key, g.secret_key);
    }
    assert.equal(new Set(games.map((g) => g.game_key)).size, games.length, 'game keys are unique');
    const res = await ps.postEvents(srv.port, g2, [ev.makeEvent('user')]);
    assert.equal(res.status, 200, `a game created while the server runs is usable at once: ${ps.describeRes(res)}`);
    assert.equal((await ps.readEvents(srv.dataDir, g2.id)).length, 1);
  });
});
