'use strict';
// Helpers of the dashboard's browser test: Debian's chromium driven by playwright-core
// (headless; --no-sandbox because CI runs as root), a console watcher that keeps every error
// the page reports, and readers of the figures a page shows (panels, tiles, tables, bars),
// which the dashboard marks with data-testid, data-state, data-src and data-value.

const fs = require('node:fs');
const path = require('node:path');

const CHROMIUM = process.env.PLAYSTAT_CHROMIUM || '/usr/bin/chromium';

/** Launches headless chromium; fails with what to install when it is missing. */
async function launch() {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`no browser at ${CHROMIUM}: \`make deps\` installs Debian's chromium (or set PLAYSTAT_CHROMIUM)`);
  }
  let playwright;
  try {
    playwright = require('playwright-core');
  } catch (err) {
    throw new Error(`playwright-core is missing: run \`npm ci\` (${err.message})`);
  }
  return playwright.chromium.launch({
    executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
}

/** Collects the page's console errors and uncaught exceptions: { errors: [{ text, url }] }. */
function watchConsole(page) {
  const seen = { errors: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') seen.errors.push({ text: msg.text(), url: (msg.location() || {}).url || '' });
  });
  page.on('pageerror', (err) => seen.errors.push({ text: `uncaught: ${err.stack || err.message}`, url: '' }));
  return seen;
}

/** The page's console errors and uncaught exceptions: every one fails a test. */
function unexpectedErrors(seen) {
  return seen.errors;
}

/** Waits until the page with this id is shown and none of its panels is still loading. */
async function settled(page, pageId, timeout = 20000) {
  await page.waitForFunction((id) => {
    const main = document.querySelector('main[data-page]');
    return main && main.dataset.page === id && main.querySelectorAll('[data-state]').length > 0
      && !main.querySelector('[data-state="loading"]');
  }, pageId, { timeout });
}

/** Every panel of the page: [{ testid, state, src: [urls], text }]. */
function panels(page) {
  return page.$$eval('main section.panel', (els) => els.map((el) => ({
    testid: el.dataset.testid, state: el.dataset.state,
    src: (el.dataset.src || '').split(' ').filter(Boolean), text: el.innerText,
  })));
}

/** The raw values of the tiles in a panel (data-value of .stat-value), in order. */
function tileValues(page, panelTestid) {
  return page.$$eval(`[data-testid="${panelTestid}"] .stat-value`, (els) => els.map((e) => e.dataset.value));
}

/** A table's rows as objects of cell data-value (or text) by data-key. */
function tableRows(page, tableTestid) {
  return page.$$eval(`[data-testid="${tableTestid}"] tbody tr`, (trs) => trs.map((tr) => {
    const row = {};
    for (const td of tr.querySelectorAll('td[data-key]')) row[td.dataset.key] = td.dataset.value !== undefined ? td.dataset.value : td.innerText;
    return row;
  }));
}

/** Bars as [{ label, value }]. */
function barItems(page, barsTestid) {
  return page.$$eval(`[data-testid="${barsTestid}"] .bar-row`, (rows) => rows.map((r) => ({
    label: r.querySelector('.bar-label').textContent, value: r.querySelector('.bar-value').dataset.value,
  })));
}

/** Opens the dashboard at port and signs in with an API token; resolves on the overview. */
async function signIn(page, port, token) {
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.fill('[data-testid="token-input"]', token);
  await page.click('[data-testid="sign-in"]');
  await settled(page, 'overview');
}

async function screenshot(page, dir, name) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

module.exports = { CHROMIUM, launch, watchConsole, unexpectedErrors, settled, panels, tileValues, tableRows, barItems, signIn, screenshot };
