'use strict';
// A newcomer's first minutes, as the README tells them: `make run` prints (scripts/first-run.sh)
// how to sign in to the dashboard and a `playstat simulate` command; that command, run as
// printed (with fewer players and days, to be quick), fills every page of the dashboard. The
// test runs the script against a fresh data directory, runs the printed command while it
// opens the dashboard in headless chromium with the printed token, and requires every panel
// of every page to show figures (no empty or failed panel), the live tile to count the
// simulated players, the multiplayer sessions browser to list sessions with the same token
// (one sign-in), and no console error. A second run of the script prints the same sign-in.

const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const path = require('node:path');
const { test, before, after } = require('node:test');

const ps = require('./lib/playstat');
const browser = require('./lib/browser');

const SHOTS = path.join(ps.TEST_OUT, 'dashboard-newcomer');
const PAGES = ['overview', 'playtime', 'retention', 'monetisation', 'progression', 'resources', 'design', 'errors', 'ads', 'sessions'];

let server;
let printed;
let simulate;
let chromium;

function firstRun() {
  const script = path.join(ps.SOURCE_DIR, 'scripts', 'first-run.sh');
  return childProcess.execFileSync('sh', [script, ps.BIN, server.dataDir, `http://127.0.0.1:${server.port}`], { encoding: 'utf8' });
}

/** The sign-in and the simulate command (argv) that first-run.sh printed. */
function parsePrinted(text) {
  const token = /API token:\s+(pst_[0-9a-f]+)/.exec(text);
  const command = text.slice(text.indexOf('\n', text.indexOf('fill it with simulated players')) + 1).replace(/\\\n/g, ' ').trim();
  assert.ok(token, `first-run.sh prints a token:\n${text}`);
  assert.doesNotMatch(text, /service account, viewer/, 'one sign-in: no second credential to paste');
  const argv = command.split(/\s+/);
  assert.equal(argv[0], ps.BIN, `the simulate command runs this playstat: ${command}`);
  assert.equal(argv[1], 'simulate');
  return { token: token[1], argv };
}

before(async () => {
  server = await ps.startServer({ name: 'newcomer' });
  await ps.createGame(server.dataDir, 'My Game');
  printed = parsePrinted(firstRun());
  chromium = await browser.launch();
});

after(async () => {
  if (simulate && simulate.exitCode === null) simulate.kill('SIGKILL');
  if (chromium) await chromium.close();
  if (server) await server.stop();
});

test('first-run.sh prints the same sign-in the second time (secrets are created once)', () => {
  const again = parsePrinted(firstRun());
  assert.deepEqual(again, printed);
});

test('the printed simulate command fills every page of the dashboard', async () => {
  // As printed, with a smaller population and a 40-second live phase (later options win).
  const args = [...printed.argv.slice(1), '--players', '60', '--days', '8', '--duration', '40'];
  simulate = childProcess.spawn(ps.BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  simulate.stdout.on('data', (d) => { output += d; });
  simulate.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => simulate.on('exit', (code) => resolve(code)));

  const auth = { Authorization: `Bearer ${printed.token}` };
  const live = async () => (await ps.request(server.port, { path: '/api/v1/games/1/live', headers: auth })).json;
  await ps.waitFor(async () => (await live()).ccu > 0, { timeoutMs: 60000, everyMs: 250, what: `live players (simulate: ${output})` });

  const context = await chromium.newContext({ viewport: { width: 1366, height: 768 }, timezoneId: 'UTC' });
  const page = await context.newPage();
  const seen = browser.watchConsole(page);
  await browser.signIn(page, server.port, printed.token);
  await page.selectOption('[data-testid="filter-range"]', '30d'); // the simulated history
  await page.waitForFunction(() => /range=30d/.test(location.hash));
  for (const id of PAGES) {
    await page.click(`[data-testid="nav-${id}"]`);
    await browser.settled(page, id, 60000);
    if (id === 'sessions') { // the API token reads multiplayer sessions too: no second sign-in
      await page.waitForSelector('[data-testid="table-so-sessions"] tbody tr', { timeout: 60000 });
      await browser.settled(page, id, 60000);
    }
    // The history arrives while the pages are opened: a page is shown again (as a change of
    // the URL's hash does) until every panel has figures.
    const deadline = Date.now() + 60000;
    let notReady;
    for (;;) {
      // (the timeline of one multiplayer session waits for a click, below)
      // (a panel the server does not answer yet, 'unavailable', says so: e.g. countries without --geoip)
      notReady = (await browser.panels(page)).filter((p) => !['ready', 'unavailable'].includes(p.state) && p.testid !== 'panel-so-timeline');
      if (!notReady.length || Date.now() > deadline) break;
      await ps.sleep(1000);
      await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
      await browser.settled(page, id, 60000);
    }
    assert.deepEqual(notReady.map((p) => `${p.testid}: ${p.state}: ${p.text.slice(0, 200)}`), [], `${id}: every panel shows figures`);
    if (id === 'sessions') {
      await page.click('[data-testid="table-so-sessions"] tbody tr:first-child');
      await page.waitForSelector('[data-testid="panel-so-timeline"][data-state="ready"] [data-testid="session-timeline"] li');
    }
    if (id === 'overview') {
      const [ccu] = (await browser.tileValues(page, 'panel-live')).map(Number);
      assert.ok(ccu > 0, `the live tile counts the simulated players: ${ccu}`);
    }
    await browser.screenshot(page, SHOTS, id);
  }
  assert.deepEqual(browser.unexpectedErrors(seen), [], 'console errors');
  assert.equal(await exited, 0, `simulate exits 0:\n${output}`);
});
