'use strict';
// Shared helpers of the integration tests: run the real `playstat` binary (server and CLI),
// talk HTTP to it, sign bodies like a game client does, read what it stored.
// Node >= 18 built-ins only.

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');

const SOURCE_DIR = process.env.PLAYSTAT_SOURCE_DIR || path.resolve(__dirname, '..', '..', '..');
const BIN = process.env.PLAYSTAT_BIN || path.join(SOURCE_DIR, 'build', 'playstat');
const TEST_OUT = process.env.PLAYSTAT_TEST_OUT || path.join(SOURCE_DIR, 'tests', 'out');
const ONE_MB = 1048576;

// ---------------------------------------------------------------------------------------------
// Child process bookkeeping: every server this process starts is killed when the process exits,
// whatever the reason (a failed assertion, an exception, a signal), so no test leaves an orphan.
const liveChildren = new Set();
function killAllChildren() {
  for (const child of liveChildren) {
    try { child.kill('SIGKILL'); } catch (_) { /* already gone */ }
  }
  liveChildren.clear();
}
process.on('exit', killAllChildren);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(sig, () => { killAllChildren(); process.exit(128 + os.constants.signals[sig]); });
}

function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }
function nowSec() { return Math.floor(Date.now() / 1000); }

/** Polls `cond` (sync or async) every `everyMs` until it is truthy; fails after timeoutMs. */
async function waitFor(cond, { timeoutMs = 10000, everyMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

function makeTempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `playstat-${prefix || 'it'}-`));
}

function removeDir(dir) {
  if (dir && !process.env.PLAYSTAT_KEEP_TMP) fs.rmSync(dir, { recursive: true, force: true });
}

/** Every regular file under dir (recursively) as relative path -> Buffer; empty when dir is
 * missing. What tests grep for ids that must not be stored, or compare byte for byte. */
function filesOf(dir) {
  const out = new Map();
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

function writeTestOut(name, text) {
  try {
    fs.mkdirSync(TEST_OUT, { recursive: true });
    const file = path.join(TEST_OUT, name);
    fs.writeFileSync(file, text);
    return file;
  } catch (_) {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Server

/**
 * Starts `playstat serve` on an ephemeral port in a fresh data dir (or opts.dataDir) and waits
 * for its "listening on http://127.0.0.1:PORT" line.
 * opts: { name, dataDir, args: [extra flags], readyTimeoutMs }
 * Returns a handle: { port, dataDir, proc, log(), exited (promise of {code, signal}), stop() }.
 */
async function startServer(opts = {}) {
  assert.ok(fs.existsSync(BIN), `playstat binary not found at ${BIN} (set PLAYSTAT_BIN or build it)`);
  const name = opts.name || 'server';
  const dataDir = opts.dataDir || makeTempDir(name);
  const args = ['serve', '--data', dataDir, '--listen', '127.0.0.1:0', ...(opts.args || [])];
  const proc = childProcess.spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  liveChildren.add(proc);
  let output = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { output += d; });
  proc.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => {
    proc.on('exit', (code, signal) => { liveChildren.delete(proc); resolve({ code, signal, at: Date.now() }); });
  });
  let isExited = false;
  exited.then(() => { isExited = true; });

  const readyTimeoutMs = opts.readyTimeoutMs || 15000;
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`playstat serve did not print "listening on" within ${readyTimeoutMs} ms; output:\n${output}`));
    }, readyTimeoutMs);
    const check = () => {
      const m = /listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        proc.stderr.off('data', check);
        proc.stdout.off('data', check);
        resolve(Number(m[1]));
      }
    };
    proc.stderr.on('data', check);
    proc.stdout.on('data', check);
    proc.on('error', (err) => { clearTimeout(timer); reject(err); });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`playstat serve exited before listening (code ${code}, signal ${signal}); output:\n${output}`));
    });
    check();
  });
  assert.ok(port > 0, 'server must print a real port when started with port 0');

  const handle = {
    name, port, dataDir, proc, exited,
    get alive() { return !isExited; },
    log: () => output,
    /** Sends a signal and waits for the exit; kills with SIGKILL after timeoutMs. */
    async signalAndWait(signal = 'SIGTERM', timeoutMs = 10000) {
      const sentAt = Date.now();
      if (!isExited) proc.kill(signal);
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), timeoutMs); });
      const res = await Promise.race([exited, timeout]);
      clearTimeout(timer);
      if (res === null) {
        proc.kill('SIGKILL');
        await exited;
        throw new Error(`playstat serve did not exit within ${timeoutMs} ms after ${signal}; output:\n${output}`);
      }
      return { ...res, elapsedMs: res.at - sentAt };
    },
    /** Saves the server log under PLAYSTAT_TEST_OUT and removes the temp data dir. */
    cleanup({ keepData = false } = {}) {
      writeTestOut(`${name}-${port}.log`, output);
      if (!keepData && !opts.dataDir) removeDir(dataDir);
    },
    /** Clean stop: SIGTERM, asserts exit code 0, then cleanup(). */
    async stop({ signal = 'SIGTERM', timeoutMs = 10000, keepData = false } = {}) {
      try {
        const res = await handle.signalAndWait(signal, timeoutMs);
        assert.equal(res.signal, null, `server killed by signal ${res.signal}; output:\n${output}`);
        assert.equal(res.code, 0, `server exit code after ${signal} must be 0; output:\n${output}`);
        return res;
      } finally {
        handle.cleanup({ keepData });
      }
    },
  };
  return handle;
}

// ---------------------------------------------------------------------------------------------
// CLI

function runCli(args, { timeoutMs = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    childProcess.execFile(BIN, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 512 * ONE_MB },
      (err, stdout, stderr) => {
        if (err) {
          err.message = `playstat ${args.join(' ')} failed: ${err.message}\nstderr:\n${stderr}\nstdout:\n${String(stdout).slice(0, 2000)}`;
          reject(err);
        } else {
          resolve({ stdout, stderr });
        }
      });
  });
}

/**
 * Runs the CLI without blocking the event loop (a test may serve HTTP to it meanwhile) and
 * resolves { code, stdout, stderr } whatever its exit status.
 */
function runCliStatus(args, { timeoutMs = 60000 } = {}) {
  return new Promise((resolve) => {
    childProcess.execFile(BIN, args, { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 512 * ONE_MB },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr }));
  });
}

/** Runs the CLI expecting failure; returns { code, stdout, stderr }. */
function runCliFailing(args) {
  const res = childProcess.spawnSync(BIN, args, { encoding: 'utf8', timeout: 60000 });
  assert.equal(res.error, undefined, `playstat ${args.join(' ')}: ${res.error}`);
  assert.notEqual(res.status, 0, `playstat ${args.join(' ')} should have failed; stdout: ${res.stdout}`);
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX40 = /^[0-9a-f]{40}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** `playstat game create`: returns the parsed object after checking its documented shape. */
async function createGame(dataDir, name) {
  const { stdout } = await runCli(['game', 'create', '--data', dataDir, '--name', name]);
  let game;
  try { game = JSON.parse(stdout); } catch (e) { throw new Error(`game create did not print one JSON object: ${stdout}`); }
  assert.equal(typeof game, 'object');
  assert.ok(Number.isInteger(game.id), `game.id must be an integer: ${stdout}`);
  assert.equal(game.name, name);
  assert.match(game.project_id, UUID, 'project_id is a uuid');
  assert.match(game.game_key, HEX32, 'game_key is 32 hex');
  assert.match(game.secret_key, HEX40, 'secret_key is 40 hex');
  assert.match(game.metrics_key, UUID, 'metrics_key is a uuid');
  assert.match(String(game.token_secret), /^[0-9a-f]{16,}$/i, 'token_secret is random hex');
  return game;
}

async function listGames(dataDir) {
  const { stdout } = await runCli(['game', 'list', '--data', dataDir]);
  const games = JSON.parse(stdout);
  assert.ok(Array.isArray(games), `game list must print a JSON array: ${stdout}`);
  return games;
}

/**
 * `playstat events`: returns [{ line, obj }] for each NDJSON line.
 * opts: { category, rejected }
 */
async function readEvents(dataDir, gameId, opts = {}) {
  const args = ['events', '--data', dataDir, '--game', String(gameId)];
  if (opts.category) args.push('--category', opts.category);
  if (opts.rejected) args.push('--rejected');
  const { stdout } = await runCli(args);
  const out = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let obj;
    try { obj = JSON.parse(line); } catch (e) { throw new Error(`playstat events printed a line that is not JSON: ${line.slice(0, 500)}`); }
    out.push({ line, obj });
  }
  return out;
}

/** Stored events of a game keyed by event_uuid -> number of stored copies. */
function countByUuid(rows) {
  const m = new Map();
  for (const { obj } of rows) m.set(obj.event_uuid, (m.get(obj.event_uuid) || 0) + 1);
  return m;
}

// ---------------------------------------------------------------------------------------------
// HTTP

/**
 * One HTTP request, on a fresh connection unless an http.Agent is given (keep-alive tests).
 * Resolves { status, headers, body (Buffer), text, json (undefined if not JSON), at, reusedSocket } or rejects
 * on a connection error (err.code: ECONNREFUSED, ECONNRESET, ...).
 */
function request(port, { method = 'GET', path: p = '/', headers = {}, body = null, timeoutMs = 30000, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    // Headers set to undefined are left out; Transfer-Encoding: chunked means no Content-Length.
    const h = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined));
    const payload = body == null ? null : (Buffer.isBuffer(body) ? body : Buffer.from(body));
    const chunked = Object.keys(h).some((k) => k.toLowerCase() === 'transfer-encoding');
    if (payload && !chunked && !('Content-Length' in headers)) h['Content-Length'] = payload.length;
    const req = http.request({ host: '127.0.0.1', port, method, path: p, headers: h, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        const buf = Buffer.concat(chunks);
        const text = buf.toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch (_) { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text, json, at: Date.now(), reusedSocket: req.reusedSocket });
      });
    });
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`request timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function hmacBase64(secret, bytes) {
  return crypto.createHmac('sha256', secret).update(bytes).digest('base64');
}

/**
 * Signed POST like a game client.
 * payload: an array/object (JSON-encoded here), or a string/Buffer sent as is.
 * opts: { gzip: bool, secret: override key, auth: explicit header value or null to omit it,
 *         signInflated: with gzip, sign the inflated bytes (wrong on purpose), headers: extra,
 *         agent: an http.Agent (keep-alive tests; default: a fresh connection), timeoutMs }
 */
function signedPost(port, urlPath, secret, payload, opts = {}) {
  const raw = Buffer.isBuffer(payload) ? payload
    : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  const wire = opts.gzip ? zlib.gzipSync(raw) : raw;
  const headers = { 'Content-Type': 'application/json', ...(opts.headers || {}) };
  if (opts.gzip) headers['Content-Encoding'] = 'gzip';
  if (opts.auth !== null) {
    headers.Authorization = opts.auth !== undefined ? opts.auth
      : hmacBase64(opts.secret || secret, opts.signInflated ? raw : wire);
  }
  return request(port, { method: 'POST', path: urlPath, headers, body: wire, timeoutMs: opts.timeoutMs, agent: opts.agent });
}

function postEvents(port, game, payload, opts = {}) {
  return signedPost(port, `/v2/${opts.gameKey || game.game_key}/events`, game.secret_key, payload, opts);
}

/** Asserts the answer has a JSON body (every answer of the server must). */
function assertJsonBody(res, what) {
  assert.notEqual(res.json, undefined, `${what}: body must be JSON, got status ${res.status} body ${JSON.stringify(res.text.slice(0, 300))}`);
}

function describeRes(res) {
  return `status ${res.status}, body ${res.text.slice(0, 1000)}`;
}

// ---------------------------------------------------------------------------------------------
// Prometheus text format

/** Parses the exposition text into [{ name, labels, value }]. */
function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$/.exec(line.trim());
    if (!m) throw new Error(`malformed metrics line: ${line}`);
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/g;
      let l;
      while ((l = re.exec(m[3]))) labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    samples.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return samples;
}

async function scrapeMetrics(port) {
  const res = await request(port, { path: '/metrics' });
  assert.equal(res.status, 200, `/metrics: ${describeRes(res)}`);
  return { text: res.text, samples: parseMetrics(res.text), headers: res.headers };
}

/** Sum of the samples called name whose labels include every pair of `where`. */
function metricSum(samples, name, where = {}) {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(where).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

module.exports = {
  SOURCE_DIR, BIN, TEST_OUT, ONE_MB, UUID, HEX32, HEX40,
  sleep, waitFor, nowSec, makeTempDir, removeDir, filesOf, writeTestOut,
  startServer, runCli, runCliStatus, runCliFailing, createGame, listGames, readEvents, countByUuid,
  request, hmacBase64, signedPost, postEvents, assertJsonBody, describeRes,
  parseMetrics, scrapeMetrics, metricSum, killAllChildren,
};
