'use strict';
// The dashboard's files through the real server (src/http/static.c): --web DIR and the default
// web root, index.html for "/", content types, uPlot from node_modules under /vendor/uplot/,
// traversal refused however it is spelt, 404 JSON for missing files, 405 kept for the API's
// paths; and GET /api/v1/games, the game chooser's list (never a key).

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test, before, after } = require('node:test');

const ps = require('./lib/playstat');
const { createApiToken } = require('./lib/insights');

let server;
let root;

function put(rel, text) {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

before(async () => {
  root = ps.makeTempDir('static');
  put('web/index.html', '<!doctype html><title>t</title>');
  put('web/js/app.js', 'export const x = 1;\n');
  put('web/css/app.css', 'body { color: red; }\n');
  put('web/data.json', '{"a":1}');
  put('web/img/logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"/>');
  put('web/sub/index.html', 'sub');
  put('web/.env', 'SECRET=1');
  put('secret.txt', 'outside the web root');
  put('node_modules/uplot/dist/uPlot.esm.js', 'export default function uPlot() {}\n');
  put('node_modules/uplot/dist/uPlot.min.css', '.uplot{}');
  put('node_modules/uplot/package.json', '{"name":"uplot"}');
  fs.symlinkSync('../secret.txt', path.join(root, 'web', 'escape.txt'));
  server = await ps.startServer({ name: 'static', args: ['--web', path.join(root, 'web')] });
});

after(async () => {
  if (server) await server.stop();
  ps.removeDir(root);
});

function get(p, headers = {}) {
  return ps.request(server.port, { path: p, headers });
}

function assertJsonError(res, status, what) {
  assert.equal(res.status, status, `${what}: ${ps.describeRes(res)}`);
  assert.match(res.headers['content-type'] || '', /^application\/json/, `${what}: JSON error`);
  assert.equal(typeof res.json.error, 'string', `${what}: {"error", "message"}`);
  assert.equal(typeof res.json.message, 'string', `${what}: {"error", "message"}`);
}

test('files come with their content type; / is index.html', async () => {
  const cases = [
    ['/', 'text/html; charset=utf-8', '<!doctype html><title>t</title>'],
    ['/index.html', 'text/html; charset=utf-8', '<!doctype html><title>t</title>'],
    ['/sub/', 'text/html; charset=utf-8', 'sub'],
    ['/js/app.js', 'text/javascript; charset=utf-8', 'export const x = 1;\n'],
    ['/css/app.css', 'text/css; charset=utf-8', 'body { color: red; }\n'],
    ['/data.json', 'application/json', '{"a":1}'],
    ['/img/logo.svg', 'image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"/>'],
    ['/vendor/uplot/uPlot.esm.js', 'text/javascript; charset=utf-8', 'export default function uPlot() {}\n'],
    ['/vendor/uplot/uPlot.min.css', 'text/css; charset=utf-8', '.uplot{}'],
  ];
  for (const [p, type, body] of cases) {
    const res = await get(p);
    assert.equal(res.status, 200, `${p}: ${ps.describeRes(res)}`);
    assert.equal(res.headers['content-type'], type, `${p}: Content-Type`);
    assert.equal(res.text, body, `${p}: body`);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', `${p}: nosniff`);
    assert.equal(res.headers['cache-control'], 'no-cache', `${p}: revalidated`);
  }
  const html = await get('/');
  assert.match(html.headers['content-security-policy'] || '', /default-src 'self'/, 'pages allow only their own origin');
});

test('traversal is refused however it is spelt, and nothing outside a root is served', async () => {
  const refused = [
    '/../secret.txt', '/js/../../secret.txt', '/%2e%2e/secret.txt', '/%2E%2E/secret.txt',
    '/js/%2e%2e/%2e%2e/secret.txt', '/%252e%252e/secret.txt', '/..%2fsecret.txt',
    '/js%2f..%2f..%2fsecret.txt', '/.env', '/%2eenv', '/js/..%5c..%5csecret.txt',
    '/vendor/uplot/../package.json', '/vendor/uplot/%2e%2e/package.json',
    // an empty segment and a NUL are refused as docs/http-api.md says (they were a 404 and
    // index.html: the router missed "//..." and libmicrohttpd's decoding cut the path at %00)
    '//secret.txt', '//etc/passwd', '/js//app.js', '/index.html%00.js', '/index.html%00',
  ];
  for (const p of refused) {
    const res = await get(p);
    assertJsonError(res, 400, p);
    assert.doesNotMatch(res.text, /outside the web root|SECRET|"name":"uplot"/, `${p}: no content leaks`);
  }
  for (const p of ['/escape.txt', '/vendor/uplot/package.json', '/vendor/other/x.js']) {
    const res = await get(p);
    assertJsonError(res, 404, p);
    assert.doesNotMatch(res.text, /outside the web root|"name":"uplot"/, `${p}: no content leaks`);
  }
});

test('missing files are 404 JSON; the API keeps its 404s and 405s', async () => {
  for (const p of ['/nope.html', '/js/', '/js', '/vendor/uplot/nope.js', '/api/v1/nothing']) {
    assertJsonError(await get(p), 404, p);
  }
  assertJsonError(await ps.request(server.port, { path: '/v2/somekey/events' }), 405, 'GET on an ingest endpoint');
  assertJsonError(await ps.request(server.port, { method: 'POST', path: '/index.html', body: 'x' }), 405, 'POST on a file');
  assertJsonError(await ps.request(server.port, { method: 'POST', path: '/nope/deeper', body: 'x' }), 404, 'POST elsewhere');
  const health = await get('/healthz');
  assert.equal(health.status, 200);
  assert.deepEqual(health.json, { status: 'ok' });
});

test('GET /api/v1/games lists id, name and project_id of every game, never a key', async () => {
  const unauthorised = await get('/api/v1/games');
  assertJsonError(unauthorised, 401, 'no token');
  assertJsonError(await get('/api/v1/games', { Authorization: 'Bearer nope' }), 401, 'unknown token');
  const token = await createApiToken(server.dataDir);
  const auth = { Authorization: `Bearer ${token}` };
  let res = await get('/api/v1/games', auth);
  assert.equal(res.status, 200, ps.describeRes(res));
  assert.deepEqual(res.json, { games: [] });
  const a = await ps.createGame(server.dataDir, 'Alpha "quoted" \u00e9');
  const b = await ps.createGame(server.dataDir, 'Beta');
  res = await get('/api/v1/games', auth);
  assert.equal(res.status, 200, ps.describeRes(res));
  assert.match(res.headers['content-type'], /^application\/json/);
  assert.deepEqual(res.json, {
    games: [a, b].map((g) => ({ id: g.id, name: g.name, project_id: g.project_id })),
  });
  for (const g of [a, b]) {
    for (const secret of [g.game_key, g.secret_key, g.metrics_key, g.token_secret]) {
      assert.ok(!res.text.includes(secret), 'no key of any game in the list');
    }
  }
});

test('without --web the server finds the repository\'s web/ (beside the binary\'s directory or the source tree)', async () => {
  const other = await ps.startServer({ name: 'static-default' });
  try {
    const res = await ps.request(other.port, { path: '/' });
    assert.equal(res.status, 200, ps.describeRes(res));
    assert.equal(res.text, fs.readFileSync(path.join(ps.SOURCE_DIR, 'web', 'index.html'), 'utf8'));
    const uplot = await ps.request(other.port, { path: '/vendor/uplot/uPlot.esm.js' });
    assert.equal(uplot.status, 200, `uPlot from node_modules (npm ci): ${uplot.status}`);
    assert.equal(uplot.headers['content-type'], 'text/javascript; charset=utf-8');
  } finally {
    await other.stop();
  }
});

test('--web naming no directory is a usage error', async () => {
  const res = ps.runCliFailing(['serve', '--data', path.join(root, 'data-x'), '--listen', '127.0.0.1:0', '--web', path.join(root, 'nope')]);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /--web/);
});
