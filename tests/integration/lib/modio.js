'use strict';
// Helpers of the mod.io-compatible metrics sessions tests (PROTOCOLS.md §2): the session hash,
// player bearer tokens (HS256 JWT), request bodies in every client variant, a small client that
// talks to /v1/metrics/sessions/{start,heartbeat,end}, and `playstat sessions` / `playstat token`.
// Node >= 18 built-ins only.

const assert = require('node:assert/strict');
const crypto = require('node:crypto');

const ps = require('./playstat');

// ---------------------------------------------------------------------------------------------
// Session hash

/** The decimal text of the ids as a client hashes them: an array joined by "," or a string. */
function idsText(ids) {
  return Array.isArray(ids) ? ids.map(String).join(',') : String(ids);
}

/**
 * Lowercase hex HMAC-SHA256 under metricsKey (its UTF-8 bytes) of
 *   start:           ids joined by "," + session_ts + session_id + session_nonce
 *   heartbeat / end: session_ts + session_id + session_nonce
 * ids === undefined means heartbeat/end. ts is hashed as its decimal text as sent.
 */
function sessionHash(metricsKey, { ids, ts, sessionId, nonce }) {
  const text = (ids === undefined ? '' : idsText(ids)) + String(ts) + sessionId + nonce;
  return crypto.createHmac('sha256', Buffer.from(metricsKey, 'utf8')).update(text, 'utf8').digest('hex');
}

// ---------------------------------------------------------------------------------------------
// Player tokens (HS256 JWT)

function b64url(bufOrString) {
  return Buffer.from(bufOrString).toString('base64').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
}

function b64urlDecode(text) {
  return Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/**
 * Mints a JWT like a studio's login server would.
 * claims: payload object (default {sub, iat: now, exp: now + 3600} from opts.sub).
 * opts: { secret, header (object; default HS256/JWT), sign: false for an empty signature }
 */
function mintJwt(secret, claims, opts = {}) {
  const header = opts.header || { alg: 'HS256', typ: 'JWT' };
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  if (opts.sign === false) return `${head}.`;
  const sig = crypto.createHmac('sha256', Buffer.from(secret, 'utf8')).update(head).digest();
  return `${head}.${b64url(sig)}`;
}

/** A valid token for player `sub` of a game, minted here (iat now, exp now + ttl). */
function playerToken(game, sub, ttl = 3600) {
  const now = ps.nowSec();
  return mintJwt(game.token_secret, { sub, iat: now, exp: now + ttl });
}

/** Splits a JWT into { header, payload, signingInput, signature (Buffer) }. */
function decodeJwt(token) {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `a JWT has three parts: ${token}`);
  return {
    header: JSON.parse(b64urlDecode(parts[0]).toString('utf8')),
    payload: JSON.parse(b64urlDecode(parts[1]).toString('utf8')),
    signingInput: `${parts[0]}.${parts[1]}`,
    signature: b64urlDecode(parts[2]),
    parts,
  };
}

/** `playstat token`: returns the token text (one line). */
async function cliToken(dataDir, gameId, player, ttl) {
  const args = ['token', '--data', dataDir, '--game', String(gameId), '--player', player];
  if (ttl !== undefined) args.push('--ttl', String(ttl));
  const { stdout } = await ps.runCli(args);
  const lines = stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 1, `playstat token prints one line: ${JSON.stringify(stdout)}`);
  return lines[0].trim();
}

// ---------------------------------------------------------------------------------------------
// Bodies

let counter = 0;
function uuid() { return crypto.randomUUID(); }
function nonce() { counter += 1; return `${crypto.randomBytes(9).toString('base64url')}${counter}`; }

/** session_ts for "now + offsetSec" in seconds or milliseconds. */
function tsAt(unit, offsetSec = 0) {
  return unit === 'ms' ? Date.now() + Math.round(offsetSec * 1000) : ps.nowSec() + Math.round(offsetSec);
}

/** The ts as unix seconds (what `playstat sessions` prints) from a ts sent in s or ms. */
function tsSeconds(ts) {
  const text = String(ts);
  const n = Number(text);
  return text.length >= 12 ? Math.floor(n / 1000) : n;
}

/**
 * Builds the fields of a request: kind 'start' | 'heartbeat' | 'end'.
 * f: { ids (start), sessionId, ts, nonce, orderId, hash (override), key (metrics key) }
 * Returns the object as a client would send it in JSON (values keep their JS types: a string
 * ts stays a string).
 */
function fields(kind, key, f) {
  const out = {};
  if (kind === 'start') out.ids = f.ids;
  out.session_id = f.sessionId;
  out.session_ts = f.ts;
  out.session_hash = f.hash !== undefined ? f.hash
    : sessionHash(key, { ids: kind === 'start' ? f.ids : undefined, ts: f.ts, sessionId: f.sessionId, nonce: f.nonce });
  out.session_nonce = f.nonce;
  out.session_order_id = f.orderId;
  return out;
}

/**
 * application/x-www-form-urlencoded text of a fields object. idsStyle: 'brackets' (ids[]=1&ids[]=2)
 * or 'comma' (ids=1,2).
 */
function toForm(obj, idsStyle = 'brackets') {
  const parts = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    if (k === 'ids') {
      if (idsStyle === 'comma' || !Array.isArray(v)) parts.push(`ids=${encodeURIComponent(idsText(v))}`);
      else for (const id of v) parts.push(`${encodeURIComponent('ids[]')}=${encodeURIComponent(String(id))}`);
    } else {
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.join('&');
}

// ---------------------------------------------------------------------------------------------
// Requests

/**
 * POSTs to a metrics session endpoint.
 * opts: {
 *   gameId, kind ('start'|'heartbeat'|'end' or any path tail), via: 'host' (default) | 'path',
 *   domain (for via host; default 'modapi.example'), host (explicit Host header, overrides),
 *   token (bearer token; auth: explicit Authorization value, null to omit),
 *   body: object (JSON-encoded) or string/Buffer (sent as is),
 *   contentType (default application/json; null to omit), platform, portal, headers
 * }
 */
function post(port, opts) {
  const via = opts.via || 'host';
  const tail = `/v1/metrics/sessions/${opts.kind}`;
  const headers = { ...(opts.headers || {}) };
  let urlPath;
  if (via === 'path') {
    urlPath = `/g-${opts.gameId}${tail}`;
    headers.Host = opts.host || `127.0.0.1:${port}`;
  } else {
    urlPath = tail;
    headers.Host = opts.host || `g-${opts.gameId}.${opts.domain || 'modapi.example'}`;
  }
  if (opts.auth !== null) headers.Authorization = opts.auth !== undefined ? opts.auth : `Bearer ${opts.token}`;
  if (opts.contentType !== null) headers['Content-Type'] = opts.contentType || 'application/json';
  if (opts.platform !== undefined) headers['X-Modio-Platform'] = opts.platform;
  if (opts.portal !== undefined) headers['X-Modio-Portal'] = opts.portal;
  const body = opts.body == null ? '' : (typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? opts.body : JSON.stringify(opts.body));
  return ps.request(port, { method: 'POST', path: urlPath, headers, body });
}

function describe(res) {
  return `status ${res.status}, headers ${JSON.stringify(res.headers)}, body ${JSON.stringify(res.text.slice(0, 600))}`;
}

/** Asserts 204 with an empty body. */
function assertNoContent(res, what) {
  assert.equal(res.status, 204, `${what}: expected 204, got ${describe(res)}`);
  assert.equal(res.body.length, 0, `${what}: a 204 has no body, got ${JSON.stringify(res.text)}`);
}

/**
 * Asserts mod.io's error shape {"error":{"code","error_ref","message","errors"?}} with the given
 * status and (unless errorRef is null) error_ref; fields: names that must be keys of errors
 * (exact: true means no other key). Returns the error object.
 */
function assertModioError(res, status, errorRef, what, { fields: names, exact = false, message } = {}) {
  assert.equal(res.status, status, `${what}: expected status ${status}${errorRef != null ? `/${errorRef}` : ''}, got ${describe(res)}`);
  assert.ok(res.json && typeof res.json === 'object' && !Array.isArray(res.json),
    `${what}: the body must be a JSON object, got ${describe(res)}`);
  assert.ok(/^application\/json/i.test(res.headers['content-type'] || ''),
    `${what}: Content-Type must be application/json, got ${res.headers['content-type']}`);
  const err = res.json.error;
  assert.ok(err && typeof err === 'object', `${what}: body must be {"error":{...}}, got ${res.text}`);
  assert.equal(err.code, status, `${what}: error.code must equal the status: ${res.text}`);
  assert.ok(Number.isInteger(err.error_ref), `${what}: error.error_ref must be an integer: ${res.text}`);
  if (errorRef != null) assert.equal(err.error_ref, errorRef, `${what}: error_ref: ${res.text}`);
  assert.equal(typeof err.message, 'string', `${what}: error.message must be a string: ${res.text}`);
  assert.ok(err.message.length > 0, `${what}: error.message must not be empty`);
  if (message) assert.match(err.message, message, `${what}: message: ${res.text}`);
  if (names) {
    assert.ok(err.errors && typeof err.errors === 'object' && !Array.isArray(err.errors),
      `${what}: error.errors must be an object naming the fields: ${res.text}`);
    for (const f of names) {
      assert.equal(typeof err.errors[f], 'string', `${what}: error.errors must name ${f}: ${res.text}`);
      assert.ok(err.errors[f].length > 0, `${what}: error.errors.${f} must be a message`);
    }
    if (exact) assert.deepEqual(Object.keys(err.errors).sort(), [...names].sort(), `${what}: only these fields are wrong: ${res.text}`);
  }
  return err;
}

/**
 * One client session: keeps the session id, the mod ids, the order id and fresh nonces, and
 * builds correctly hashed requests. Each call may override any field ({ ts, orderId, nonce,
 * hash, ids, sessionId }) and any post() option ({ body, contentType, token, auth, via, form }).
 * opts: { port, game, token, ids, unit: 's'|'ms', via, platform, portal, form ('brackets'|'comma'),
 *         strings (send ts, order id and ids as strings) }
 */
class Session {
  constructor(opts) {
    this.opts = { unit: 's', via: 'host', ...opts };
    this.sessionId = opts.sessionId || uuid();
    this.ids = opts.ids || [101, 202];
    this.order = 0;
    this.sent = [];
  }

  build(kind, over = {}) {
    const o = this.opts;
    const strings = over.strings !== undefined ? over.strings : o.strings;
    let ts = over.ts !== undefined ? over.ts : tsAt(o.unit);
    let orderId = over.orderId !== undefined ? over.orderId : this.order + 1;
    let ids = over.ids !== undefined ? over.ids : this.ids;
    if (strings) {
      ts = String(ts);
      orderId = String(orderId);
      if (Array.isArray(ids)) ids = ids.map(String);
    }
    const f = {
      ids, ts, orderId,
      sessionId: over.sessionId !== undefined ? over.sessionId : this.sessionId,
      nonce: over.nonce !== undefined ? over.nonce : nonce(),
      hash: over.hash,
    };
    return fields(kind, over.key || o.game.metrics_key, f);
  }

  /** Sends kind with overrides; on 204 the order id advances to the one sent. */
  async send(kind, over = {}) {
    const o = this.opts;
    const obj = over.fields || this.build(kind, over);
    const form = over.form !== undefined ? over.form : o.form;
    let body = over.body !== undefined ? over.body : obj;
    let contentType = over.contentType;
    if (over.body === undefined && form) {
      body = toForm(obj, form);
      if (contentType === undefined) contentType = 'application/x-www-form-urlencoded';
    }
    const res = await post(o.port, {
      gameId: over.gameId || o.game.id, kind, via: over.via || o.via, domain: over.domain || o.domain,
      host: over.host, token: over.token !== undefined ? over.token : o.token, auth: over.auth,
      body, contentType,
      platform: over.platform !== undefined ? over.platform : o.platform,
      portal: over.portal !== undefined ? over.portal : o.portal,
      headers: over.headers,
    });
    res.sentFields = obj;
    if (res.status === 204) {
      this.order = Math.max(this.order, Number(obj.session_order_id));
      this.sent.push({ kind, fields: obj });
    }
    return res;
  }

  start(over) { return this.send('start', over); }
  heartbeat(over) { return this.send('heartbeat', over); }
  end(over) { return this.send('end', over); }
}

// ---------------------------------------------------------------------------------------------
// Inspection

/** `playstat sessions`: the game's sessions as parsed objects. extraArgs e.g. ['--session-timeout', '2']. */
async function readSessions(dataDir, gameId, extraArgs = []) {
  const { stdout } = await ps.runCli(['sessions', '--data', dataDir, '--game', String(gameId), ...extraArgs]);
  const out = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let obj;
    try { obj = JSON.parse(line); } catch (e) { throw new Error(`playstat sessions printed a line that is not JSON: ${line.slice(0, 500)}`); }
    out.push(obj);
  }
  return out;
}

/** The one stored session with that id (fails when there is none or several). */
async function readSession(dataDir, gameId, sessionId, extraArgs) {
  const all = await readSessions(dataDir, gameId, extraArgs);
  const found = all.filter((s) => s.session_id === sessionId);
  assert.equal(found.length, 1, `playstat sessions must list session ${sessionId} once; got ${JSON.stringify(all)}`);
  return found[0];
}

const SESSION_KEYS = ['session_id', 'player', 'platform', 'portal', 'mod_ids', 'started_at', 'last_at', 'ended_at', 'state', 'playtime_s'].sort();

/** Asserts a `playstat sessions` line has exactly the documented keys and the expected values. */
function assertSession(got, expected, what) {
  assert.deepEqual(Object.keys(got).sort(), SESSION_KEYS, `${what}: keys of a sessions line: ${JSON.stringify(got)}`);
  assert.deepEqual(got, { ...got, ...expected }, `${what}: stored session`);
  for (const k of Object.keys(expected)) assert.deepEqual(got[k], expected[k], `${what}: ${k} of ${JSON.stringify(got)}`);
}

module.exports = {
  idsText, sessionHash, b64url, b64urlDecode, mintJwt, playerToken, decodeJwt, cliToken,
  uuid, nonce, tsAt, tsSeconds, fields, toForm, post, describe, assertNoContent, assertModioError,
  Session, readSessions, readSession, assertSession,
};
