'use strict';
// The dashboard in a real browser (headless chromium through playwright-core) against the real
// server: a game with metrics sessions (some ended, with mod ids and platforms), analytics
// events of every kind the pages show, and matchmaker events. The test signs in with an API
// token, opens every page from the menu and checks what each shows against the API it reads:
// every tile against its metric's total, every group table and bar list against the groups,
// the live numbers against GET /live (and that they follow a new session without a reload),
// the top mods' CSV export, the session observability browser against the search and session
// APIs, the retention cohorts, the progression table and a drilled funnel, the design tree.
// Panels with nothing to show must say what to send; the only console error allowed is the
// browser's note of the 401 that a wrong token gets on purpose. Screenshots of every page go to
// <test output>/dashboard/.

const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { test, before, after } = require('node:test');

const ps = require('./lib/playstat');
const ev = require('./lib/events');
const modio = require('./lib/modio');
const { createApiToken } = require('./lib/insights');
const { createServiceAccount, SoClient } = require('./lib/observability');
const browser = require('./lib/browser');

const SHOTS = path.join(ps.TEST_OUT, 'dashboard');
const PAGES = ['overview', 'playtime', 'retention', 'monetisation', 'progression', 'resources', 'design', 'errors', 'ads', 'sessions'];

let server;
let game;
let token;
let viewer;
let chromium;
let page;
let seen;
const liveSessions = [];

/** GET of the API as the test's token: { status, json }. */
async function api(urlPath, headers = { Authorization: `Bearer ${token}` }) {
  const res = await ps.request(server.port, { path: urlPath, headers });
  return { status: res.status, json: res.json, text: res.text };
}

async function sendMetricsSessions() {
  const players = [['p-win-1', 'windows', 'steam', [101, 202]], ['p-win-2', 'windows', 'steam', [101]],
    ['p-mac-1', 'mac', 'gog', [303]], ['p-lin-1', 'linux', 'steam', [101, 404]], ['p-win-3', 'windows', 'epicgames', [202]]];
  for (const [player, platform, portal, ids] of players) {
    const s = new modio.Session({ port: server.port, game, token: modio.playerToken(game, player), ids, platform, portal });
    // started two minutes ago, so that every session has a length when it ends
    modio.assertNoContent(await s.start({ ts: ps.nowSec() - 120 }), `start ${player}`);
    liveSessions.push(s);
  }
  // two of them end: the histogram and the average playtime have something
  for (const s of liveSessions.splice(0, 2)) modio.assertNoContent(await s.end(), 'end');
}

async function sendAnalyticsEvents() {
  const events = [];
  const now = ps.nowSec();
  for (let u = 0; u < 4; u++) {
    const session = ev.newSession({ user_id: `dash-user-${u}` });
    const at = (k, fields) => ({ client_ts: now - 600 + k, ...fields });
    events.push(ev.makeEvent('user', session, at(0, {})));
    events.push(ev.makeEvent('session_end', session, at(1, { length: 300 + 60 * u })));
    events.push(ev.makeEvent('progression', session, at(2, { event_id: 'Start:World1:Level1', attempt_num: 1 })));
    events.push(ev.makeEvent('progression', session, at(3, { event_id: `${u % 2 ? 'Fail' : 'Complete'}:World1:Level1`, attempt_num: 1 })));
    events.push(ev.makeEvent('resource', session, at(4, { event_id: 'Source:Gold:Reward:Quest', amount: 10 * (u + 1) })));
    events.push(ev.makeEvent('design', session, at(5, { event_id: `Tutorial:Step${u + 1}`, value: u })));
    if (u < 2) events.push(ev.makeEvent('business', session, at(6, { amount: 499, currency: u ? 'EUR' : 'USD' })));
    if (u === 3) events.push(ev.makeEvent('error', session, at(7, { severity: 'error', message: 'Timeout talking to server' })));
    events.push(ev.makeEvent('ads', session, at(8, {})));
  }
  // A cohort two days old for the retention table: four users new that day, two of them back
  // the day after, one of them back today (D1 50%, D2 25%).
  for (let u = 0; u < 4; u++) {
    for (const daysAgo of [2, 1, 0].filter((d) => d === 2 || (d === 1 && u < 2) || (d === 0 && u === 0))) {
      const session = ev.newSession({ user_id: `dash-cohort-${u}` });
      events.push(ev.makeEvent('user', session, { client_ts: now - daysAgo * 86400 - 300 }));
    }
  }
  const res = await ps.postEvents(server.port, game, events);
  assert.equal(res.status, 200, `analytics events: ${ps.describeRes(res)}`);
}

async function sendMatchmakerEvents(writer) {
  const so = new SoClient({ port: server.port, projectId: game.project_id, account: writer });
  const t0 = Date.now() - 60000;
  const ts = (ms) => new Date(t0 + ms).toISOString();
  for (let m = 0; m < 3; m++) {
    const events = [
      { type: 'match.created', timestamp: ts(m * 1000), gameMode: { poolId: 'p1', poolName: 'ranked', queueId: 'q1', queueName: 'main' },
        teams: [{ id: 'red', name: 'Red Team', playerIds: [`steam:${m}1`, `steam:${m}2`] }, { id: 'blue', name: 'Blue Team', playerIds: [`steam:${m}3`] }] },
      { type: 'allocation.requested', timestamp: ts(m * 1000 + 100), regionId: m === 2 ? 'us-east' : 'eu-west' },
      { type: m === 1 ? 'allocation.failed' : 'allocation.succeeded', timestamp: ts(m * 1000 + 400), ...(m === 1 ? { reason: 'no capacity' } : {}) },
      { type: 'players.assigned', timestamp: ts(m * 1000 + 500), assignmentStatus: 'Found', players: [{ id: `steam:${m}1`, ticketId: `t-${m}` }] },
    ];
    const res = await so.post(`match-${m}`, events);
    assert.equal(res.status, 200, `matchmaker events: ${res.status} ${res.text}`);
  }
}

before(async () => {
  server = await ps.startServer({ name: 'dashboard' });
  game = await ps.createGame(server.dataDir, 'Dashboard Game');
  await ps.createGame(server.dataDir, 'Second Game');
  token = await createApiToken(server.dataDir, 'dashboard-test');
  const writer = await createServiceAccount(server.dataDir, game.project_id, 'writer');
  viewer = await createServiceAccount(server.dataDir, game.project_id, 'viewer');
  await sendMetricsSessions();
  await sendAnalyticsEvents();
  await sendMatchmakerEvents(writer);
  chromium = await browser.launch();
  const context = await chromium.newContext({ viewport: { width: 1366, height: 768 }, locale: 'en-US', timezoneId: 'UTC', acceptDownloads: true });
  page = await context.newPage();
  seen = browser.watchConsole(page);
});

after(async () => {
  if (chromium) await chromium.close();
  if (server) await server.stop();
});

/** Checks every panel of the shown page against the API URLs it names. */
async function checkPanels(pageId) {
  const shown = await browser.panels(page);
  assert.ok(shown.length > 0, `${pageId}: panels shown`);
  for (const p of shown) {
    const what = `${pageId}/${p.testid}`;
    assert.ok(['ready', 'empty', 'unavailable'].includes(p.state), `${what}: state ${p.state}: ${p.text}`);
    if (p.state === 'unavailable') { // the server does not answer this question: its 400 says why
      const res = await api(p.src.find((s) => s.startsWith('/api/')));
      assert.equal(res.status, 400, `${what}: unavailable while ${p.src[0]} answers ${res.status}`);
      assert.ok(p.text.includes(res.json.message), `${what}: the panel shows the server's words`);
      continue;
    }
    if (p.state === 'empty') {
      assert.match(p.text, /Nothing to show yet/, `${what}: an empty state`);
      assert.match(p.text, /\b(Send|Start|End|Post|Enter|Pick|Name)\b/, `${what}: the empty state says what to do: ${p.text}`);
      for (const src of p.src.filter((s) => s.startsWith('/api/'))) {
        const res = await api(src);
        const nothing = res.status === 200 && !res.json.total && res.json.points.every((x) => !x.v) && (res.json.groups || []).every((g) => !g.total && g.points.every((x) => !x.v));
        assert.ok(nothing, `${what}: empty while ${src} answers ${res.status} ${res.text.slice(0, 300)}`);
      }
      continue;
    }
    if (p.src.length !== 1 || !p.src[0].startsWith('/api/v1/games/')) continue;
    const res = await api(p.src[0]);
    assert.equal(res.status, 200, `${what}: ${p.src[0]}: ${res.text}`);
    if (p.src[0].endsWith('/live')) continue; // checked on its own (it changes)
    const tiles = await browser.tileValues(page, p.testid);
    // (revenue in several currencies shows no total unless the server converts: web/js/pages/tiles.js)
    const severalCurrencies = p.testid === 'panel-revenue' && !res.json.currency && (res.json.groups || []).length > 1;
    if (tiles.length === 1 && !severalCurrencies) assert.equal(Number(tiles[0]), res.json.total, `${what}: the tile shows the total of ${p.src[0]}`);
    const tables = await page.$$eval(`[data-testid="${p.testid}"] .table-wrap`, (els) => els.map((e) => e.dataset.testid));
    // (each currency's resources table holds its own groups: integration/browser_pages checks them)
    for (const t of tables.filter((x) => x && x !== 'table-retention' && !x.startsWith('table-resources-'))) {
      const rows = await browser.tableRows(page, t);
      const groups = (res.json.groups || []).map((g) => [g.key, g.total]).sort();
      assert.deepEqual(rows.map((r) => [r.key, Number(r.total)]).sort(), groups, `${what}: ${t} lists the groups of ${p.src[0]}`);
    }
  }
  return shown;
}

test('a wrong token is refused on the sign-in page', async () => {
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await page.fill('[data-testid="token-input"]', 'pst_not-a-token');
  await page.click('[data-testid="sign-in"]');
  await page.waitForFunction(() => /does not know/.test(document.querySelector('[data-testid="signin-status"]').textContent));
});

test('signs in with an API token and lists the games', async () => {
  await browser.signIn(page, server.port, token);
  const options = await page.$$eval('[data-testid="game-select"] option', (os) => os.map((o) => [o.value, o.textContent]));
  const { json } = await api('/api/v1/games');
  assert.deepEqual(options, json.games.map((g) => [String(g.id), `${g.name} (#${g.id})`]));
  assert.equal(await page.$eval('[data-testid="game-select"]', (s) => s.value), String(game.id), 'the first game is chosen');
});

test('overview: the live numbers equal GET /live and follow a new session without a reload', async () => {
  await page.click('[data-testid="nav-overview"]');
  await browser.settled(page, 'overview');
  const live = (await api(`/api/v1/games/${game.id}/live`)).json;
  assert.equal(live.ccu, liveSessions.length, 'the unended sessions are live');
  const shown = async () => (await browser.tileValues(page, 'panel-live')).map(Number);
  assert.deepEqual(await shown(), [live.ccu, live.concurrent_ugc]);
  const navigations = [];
  page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
  const s = new modio.Session({ port: server.port, game, token: modio.playerToken(game, 'p-late'), ids: [909], platform: 'switch', portal: 'nintendo' });
  modio.assertNoContent(await s.start(), 'a late start');
  liveSessions.push(s);
  const after = (await api(`/api/v1/games/${game.id}/live`)).json;
  assert.equal(after.ccu, live.ccu + 1);
  await page.waitForFunction(([ccu, ugc]) => {
    const v = [...document.querySelectorAll('[data-testid="panel-live"] .stat-value')].map((e) => Number(e.dataset.value));
    return v[0] === ccu && v[1] === ugc;
  }, [after.ccu, after.concurrent_ugc], { timeout: 15000 });
  assert.deepEqual(navigations.filter((u) => !u.includes('#')), [], 'no reload');
  // The pages below compare figures read at two moments (the page's and the test's): the live
  // sessions end here so that playtime stops growing between the two reads.
  for (const session of liveSessions.splice(0)) modio.assertNoContent(await session.end(), 'end');
});

test('every page opens from the menu and shows what the API answers', async () => {
  for (const id of PAGES) {
    await page.click(`[data-testid="nav-${id}"]`);
    await browser.settled(page, id);
    await checkPanels(id);
    await browser.screenshot(page, SHOTS, id);
  }
});

test('playtime: top mods and session lengths equal the API, and the CSV export holds the rows', async () => {
  await page.click('[data-testid="nav-playtime"]');
  await browser.settled(page, 'playtime');
  const from = await page.$eval('main', (m) => m.dataset.from);
  const to = await page.$eval('main', (m) => m.dataset.to);
  const src = await page.$eval('[data-testid="panel-top-mods"]', (e) => e.dataset.src);
  assert.match(src, new RegExp(`/metrics/top_mods\\?from=${from}&to=${to}&`));
  const mods = (await api(src)).json;
  assert.ok(mods.groups.length >= 4, `mods played: ${JSON.stringify(mods.groups)}`);
  const rows = await browser.tableRows(page, 'table-top_mods');
  assert.deepEqual(rows.map((r) => [r.key, Number(r.total)]), [...mods.groups].sort((a, b) => b.total - a.total || a.key.localeCompare(b.key)).map((g) => [g.key, g.total]));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="table-top_mods-csv"]')]);
  assert.equal(download.suggestedFilename(), 'top-mods.csv');
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\r\n');
  assert.equal(csv[0], 'Mod id,Playtime (s),Playtime,Share');
  assert.deepEqual(csv.slice(1).map((l) => l.split(',').slice(0, 2)), rows.map((r) => [r.key, r.total]));
  const lengths = (await api(await page.$eval('[data-testid="panel-session-lengths"]', (e) => e.dataset.src))).json;
  const bars = await browser.barItems(page, 'session-lengths');
  assert.deepEqual(bars.map((b) => [b.label, Number(b.value)]).sort(), lengths.groups.map((g) => [g.key, g.total]).sort());
  assert.equal(lengths.total, 6, 'every session ended');
});

test('retention: the cohort table equals the API, days still to come left blank', async () => {
  await page.click('[data-testid="nav-retention"]');
  await page.selectOption('[data-testid="filter-range"]', '7d');
  await page.waitForFunction(() => /range=7d/.test(location.hash));
  await browser.settled(page, 'retention');
  const src = await page.$eval('[data-testid="panel-retention"]', (e) => e.dataset.src);
  const { json } = await api(src);
  const cohort = json.groups.find((g) => g.total === 4 && g.points[0].v === 0.5);
  assert.ok(cohort, `the two-day-old cohort: ${JSON.stringify(json.groups)}`);
  assert.equal(cohort.points[1].v, 0.25, 'D2 of the two-day-old cohort');
  const today = Math.floor(Date.now() / 86400000);
  const oldest = Math.min(...json.groups.map((g) => Math.floor(Date.parse(`${g.key}T00:00:00Z`) / 86400000)));
  const expected = (key, size, points, day) => {
    const row = { cohort: key, size: String(size) };
    for (const p of points.filter((x) => x.t >= 1 && x.t <= 30)) row[`d${p.t}`] = day + p.t > today ? '' : String(p.v);
    return row;
  };
  const rows = await browser.tableRows(page, 'table-retention');
  assert.deepEqual(rows, [expected('All cohorts', json.total, json.points, oldest),
    ...json.groups.map((g) => expected(g.key, g.total, g.points, Math.floor(Date.parse(`${g.key}T00:00:00Z`) / 86400000)))]);
  await browser.screenshot(page, SHOTS, 'retention-7d');
  await page.selectOption('[data-testid="filter-range"]', '24h');
  await page.waitForFunction(() => !/range=/.test(location.hash));
});

test('progression: the level table and the funnel of a drilled level equal the API', async () => {
  await page.click('[data-testid="nav-progression"]');
  await browser.settled(page, 'progression');
  const srcs = (await page.$eval('[data-testid="panel-progression"]', (e) => e.dataset.src)).split(' ');
  const measures = {};
  for (const src of srcs) measures[new URL(src, 'http://x').searchParams.get('measure')] = (await api(src)).json;
  const byKey = (m, key) => ((measures[m].groups.find((g) => g.key === key) || {}).total || 0);
  const rows = await browser.tableRows(page, 'table-progression');
  assert.deepEqual(rows.map((r) => r.key), ['World1']);
  for (const r of rows) {
    for (const m of ['starts', 'fails', 'completes', 'attempts']) assert.equal(Number(r[m]), byKey(m, r.key), `${r.key} ${m}`);
  }
  assert.deepEqual([rows[0].starts, rows[0].fails, rows[0].completes].map(Number), [4, 2, 2], 'the events sent');
  await page.click('[data-testid="table-progression"] tbody tr:first-child');
  await page.waitForFunction(() => /prefix=World1/.test(location.hash));
  await browser.settled(page, 'progression');
  await page.waitForSelector('[data-testid="panel-funnel"][data-state="ready"]');
  const funnelSrc = await page.$eval('[data-testid="panel-funnel"]', (e) => e.dataset.src);
  assert.match(funnelSrc, /steps=World1%3ALevel1/);
  const funnel = (await api(funnelSrc)).json;
  const shown = await browser.barItems(page, 'funnel');
  assert.deepEqual(shown.map((b) => [b.label, Number(b.value)]), funnel.groups.map((g) => [g.key, g.total]));
  assert.deepEqual(shown.map((b) => [b.label, Number(b.value)]), [['World1:Level1', 2]], 'two completes');
  await browser.screenshot(page, SHOTS, 'progression-world1');
});

test('design: the tree equals the API at the top level and one level down', async () => {
  await page.click('[data-testid="nav-design"]');
  await browser.settled(page, 'design');
  const srcs = (await page.$eval('[data-testid="panel-design"]', (e) => e.dataset.src)).split(' ');
  const answers = {};
  for (const src of srcs) answers[new URL(src, 'http://x').searchParams.get('measure')] = (await api(src)).json;
  const shownRows = () => page.$$eval('[data-testid="tree-design"] tbody tr', (trs) => trs.map((tr) => {
    const row = { key: tr.dataset.key };
    for (const td of tr.querySelectorAll('td[data-key]')) row[td.dataset.key] = td.dataset.value;
    return row;
  }));
  const top = await shownRows();
  assert.equal(top.length, answers.count.groups.length);
  for (const g of answers.count.groups) {
    const row = top.find((r) => r.key === g.key);
    assert.ok(row, `${g.key} shown: ${JSON.stringify(top)}`);
    for (const m of ['count', 'sum', 'mean', 'min', 'max']) {
      assert.equal(Number(row[m]), answers[m].groups.find((x) => x.key === g.key).total, `${g.key} ${m}`);
    }
  }
  await page.click('[data-testid="tree-design"] tbody tr:first-child button');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="tree-design"] tbody tr').length > 1);
  const below = (await api(srcs.find((s) => /measure=count/.test(s)).replace(/&?prefix=[^&]*/, '') + '&prefix=Tutorial%3A')).json;
  const opened = (await shownRows()).slice(1).map((r) => [r.key, Number(r.count)]).sort();
  assert.deepEqual(opened, below.groups.map((g) => [g.key, g.total]).sort());
  assert.equal(opened.length, 4, 'Tutorial:Step1..4');
});

test('a filter narrows every panel to it (platform=windows)', async () => {
  await page.click('[data-testid="nav-playtime"]');
  await browser.settled(page, 'playtime');
  await page.fill('[data-testid="filter-platform"]', 'windows');
  await page.click('form.filters button[type="submit"]');
  await page.waitForFunction(() => /platform=windows/.test(location.hash));
  await browser.settled(page, 'playtime');
  const shown = await checkPanels('playtime-windows');
  const players = shown.find((p) => p.testid === 'panel-players');
  assert.match(players.src[0], /platform=windows/);
  const res = await api(players.src[0]);
  assert.equal(res.json.total, 3, `three windows players: ${res.text}`);
  await page.fill('[data-testid="filter-platform"]', '');
  await page.click('form.filters button[type="submit"]');
  await page.waitForFunction(() => !/platform=/.test(location.hash));
});

test('multiplayer sessions: the list and a timeline equal the session observability API', async () => {
  await page.click('[data-testid="nav-sessions"]');
  await browser.settled(page, 'sessions');
  await page.waitForSelector('[data-testid="table-so-sessions"]'); // the one sign-in: the API token reads sessions
  const basic = { Authorization: `Basic ${Buffer.from(`${viewer.key_id}:${viewer.secret}`).toString('base64')}` };
  const search = (await api(`/session-observability/v1/projects/${game.project_id}/environments/production/sessions?limit=50`, basic)).json;
  const rows = await browser.tableRows(page, 'table-so-sessions');
  assert.deepEqual(rows.map((r) => r.sessionId), search.results.map((s) => s.sessionId), 'the sessions, newest first');
  assert.deepEqual(rows.map((r) => r.allocation), search.results.map((s) => s.allocation.status));
  await page.click('[data-testid="table-so-sessions"] tbody tr:first-child');
  await page.waitForSelector('[data-testid="panel-so-timeline"][data-state="ready"]');
  const doc = (await api(`/session-observability/v1/projects/${game.project_id}/environments/production/sessions/${search.results[0].sessionId}`, basic)).json;
  const types = await page.$$eval('[data-testid="session-timeline"] li', (lis) => lis.map((li) => li.dataset.type));
  assert.deepEqual(types, doc.sessionEvents.map((e) => e.type));
  const text = await page.$eval('[data-testid="session-timeline"]', (e) => e.innerText);
  assert.match(text, /Player 1/, 'anonymised players');
  assert.doesNotMatch(text, /steam:/, 'never a real player id');
  await browser.screenshot(page, SHOTS, 'sessions-timeline');
});

test('no console errors (but the refused wrong token of the first test)', async () => {
  const errors = browser.unexpectedErrors(seen);
  const other = errors.filter((e) => !(/status of 401/.test(e.text) && /\/api\/v1\/games$/.test(e.url)));
  assert.deepEqual(other, [], 'console errors');
  assert.ok(errors.length <= 1, `only the wrong token's 401: ${JSON.stringify(errors)}`);
});
