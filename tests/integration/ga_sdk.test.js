'use strict';
// The official GameAnalytics JavaScript SDK (npm `gameanalytics` 4.4.7, installed by `npm ci`)
// runs in this Node process against the real playstat binary.
//
// How it is wired (see lib/browser_shim.js for the details of the shim):
// 1. installBrowserGlobals() gives Node what the SDK needs from a browser: `window`
//    (addEventListener), `navigator` (Chrome 120 on Windows 10) and an `XMLHttpRequest` built on
//    node:http that also records every request and answer in `shim.traffic`.
// 2. require('gameanalytics') loads dist/GameAnalytics.node.js (it reads navigator at load time).
// 3. The SDK has no public setting for its host, so, as PROTOCOLS.md §1 describes, we point its
//    HTTP singleton at playstat: GAHTTPApi.instance.baseUrl = http://127.0.0.1:PORT/v2 and
//    remoteConfigsBaseUrl = http://127.0.0.1:PORT/remote_configs/v1, before initialize().
// 4. The SDK's logger prints with console.*; we replace its sink
//    (GALogger.instance.sendNotificationMessage) to capture info + verbose logs in a buffer,
//    saved to $PLAYSTAT_TEST_OUT/ga_sdk-sdk.log with the recorded traffic (ga_sdk-traffic.json).
// 5. Timers: the SDK's "thread" polls its task queue every 1 s (setTimeout) and sends its event
//    queue every ProcessEventsIntervalInSeconds (8 s by default). We use the public
//    setEventProcessInterval(1) to flush every second instead of waiting. The `user` event is sent
//    at once, session_end flushes at once.
// 6. On every timer flush the SDK first marks ALL queued events "new" again, including those of a
//    request still waiting for its answer, and resends them with the same event_uuid. The server
//    runs with --debug-commit-delay-ms 1200, so each answer takes longer than a flush period:
//    the SDK really resends in-flight events, and playstat must store each of them once.
// 7. At the end we stop the SDK's polling timer (GAThreading.runTimeoutId) so the process exits.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const ps = require('./lib/playstat');
const shim = require('./lib/browser_shim');

const sdkLog = [];
let ga = null;

function loadSdk() {
  shim.installBrowserGlobals();
  const dir = path.join(ps.SOURCE_DIR, 'node_modules', 'gameanalytics');
  assert.ok(fs.existsSync(dir), `${dir} is missing: run \`npm ci\` at the repository root`);
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  assert.equal(pkg.version, '4.4.7', 'the test targets gameanalytics 4.4.7');
  // eslint-disable-next-line global-require, import/no-dynamic-require
  const mod = require(dir);
  mod.logging.GALogger.instance.sendNotificationMessage = (message) => {
    sdkLog.push(`${new Date().toISOString()} ${message}`);
  };
  return mod;
}

const isEventsPost = (t) => t.method === 'POST' && /^\/v2\/[0-9a-f]{32}\/events$/.test(t.path);
const isRemoteInit = (t) => t.method === 'POST' && t.path === '/remote_configs/v1/init';

/** Every event the SDK put on the wire: [{ request, event, raw }] (raw = the event's bytes). */
function sentEvents() {
  const out = [];
  for (const t of shim.traffic.filter(isEventsPost)) {
    for (const e of JSON.parse(t.body)) out.push({ request: t.id, event: e, raw: JSON.stringify(e) });
  }
  return out;
}

function stopSdk() {
  if (!ga) return;
  const T = ga.threading.GAThreading;
  T.instance.keepRunning = false;
  clearTimeout(T.runTimeoutId);
}

describe('official GameAnalytics JavaScript SDK 4.4.7 against playstat', () => {
  let srv;
  let game;
  const expected = { user: 1, design: 4, progression: 4, business: 1, resource: 2, error: 1, session_end: 1 };

  before(async () => {
    ga = loadSdk();
    srv = await ps.startServer({ name: 'ga_sdk', args: ['--debug-commit-delay-ms', '1200'] });
    game = await ps.createGame(srv.dataDir, 'SDK Game');
    const api = ga.http.GAHTTPApi.instance;
    api.baseUrl = `http://127.0.0.1:${srv.port}/v2`;
    api.remoteConfigsBaseUrl = `http://127.0.0.1:${srv.port}/remote_configs/v1`;
  });

  after(async () => {
    stopSdk();
    ps.writeTestOut('ga_sdk-sdk.log', sdkLog.join('\n'));
    ps.writeTestOut('ga_sdk-traffic.json', JSON.stringify(shim.traffic, null, 2));
    if (srv) await srv.stop();
  });

  it('initializes: remote_configs init answered 201 with server_ts, and the SDK accepts it', async () => {
    const GA = ga.GameAnalytics;
    GA.setEnabledInfoLog(true);
    GA.setEnabledVerboseLog(true);
    GA.setEventProcessInterval(1);
    GA.configureBuild('1.0.7');
    GA.configureAvailableResourceCurrencies(['gems', 'coins']);
    GA.configureAvailableResourceItemTypes(['boost', 'lives', 'ads']);
    GA.configureAvailableCustomDimensions01(['ninja', 'samurai']);
    const t0 = ps.nowSec();
    GA.initialize(game.game_key, game.secret_key);
    // (GAState.sessionIsStarted() is already true before init: sessionStart starts undefined.)
    await ps.waitFor(() => ga.state.GAState.instance.sessionStart > 0 && ga.state.GAState.instance.sessionId,
      { timeoutMs: 20000, what: 'the SDK session to start (init answered)' });
    const t1 = ps.nowSec() + 1;

    const inits = shim.traffic.filter(isRemoteInit);
    assert.equal(inits.length, 1, `one init request: ${JSON.stringify(shim.traffic.map((t) => t.url))}`);
    const init = inits[0];
    assert.equal(init.query.game_key, game.game_key);
    assert.equal(init.query.interval_seconds, '0');
    assert.equal(init.query.configs_hash, '');
    assert.equal(init.status, 201, `init answer: ${init.status} ${init.responseText} ${init.error || ''}`);
    const body = JSON.parse(init.responseText);
    assert.ok(body.server_ts > 0 && body.server_ts >= t0 && body.server_ts <= t1, `server_ts ${body.server_ts} now`);
    const state = ga.state.GAState;
    assert.equal(state.instance.sdkConfig.server_ts, body.server_ts, 'the SDK validated the answer (sdkConfig holds server_ts)');
    assert.ok(state.isEnabled(), 'SDK enabled');
    assert.ok(!sdkLog.some((l) => /Init call \(session start\) failed|Unauthorized/.test(l)),
      `no init failure in the SDK log:\n${sdkLog.filter((l) => /Init/.test(l)).join('\n')}`);
  });

  it('every event it sends (user, design, progression, business, resource, error, session_end) is stored exactly once despite its resends', async () => {
    const GA = ga.GameAnalytics;
    GA.setCustomDimension01('ninja');
    GA.addDesignEvent('Tutorial:Start');
    GA.addDesignEvent('GamePlay:Kill:Orc', 12.5);
    GA.addDesignEvent('UI:Shop:Open', undefined, { shop_tab: 'gems', visits: 3 });
    GA.addProgressionEvent(ga.EGAProgressionStatus.Start, 'World1', 'Level1');
    GA.addProgressionEvent(ga.EGAProgressionStatus.Fail, 'World1', 'Level1', undefined, 120);
    GA.addProgressionEvent(ga.EGAProgressionStatus.Start, 'World1', 'Level1');
    GA.addProgressionEvent(ga.EGAProgressionStatus.Complete, 'World1', 'Level1', undefined, 950);
    GA.addBusinessEvent('USD', 199, 'GemPack', 'gems_100', 'shop');
    GA.addResourceEvent(ga.EGAResourceFlowType.Source, 'gems', 100, 'ads', 'rewardedVideo');
    GA.addResourceEvent(ga.EGAResourceFlowType.Sink, 'gems', 40, 'boost', 'speedBoost');
    GA.addErrorEvent(ga.EGAErrorSeverity.Warning, 'Texture atlas missing: ui/atlas_2.png');

    // Wait until the SDK has resent an in-flight event (same event_uuid in two requests).
    await ps.waitFor(() => {
      const seen = new Map();
      for (const s of sentEvents()) seen.set(s.event.event_uuid, (seen.get(s.event.event_uuid) || 0) + 1);
      return [...seen.values()].some((n) => n > 1);
    }, { timeoutMs: 30000, what: 'the SDK to resend an in-flight event' });
    GA.addDesignEvent('GamePlay:Wave:2', 2);
    await ps.sleep(2500);

    GA.endSession();
    await ps.waitFor(() => sentEvents().some((s) => s.event.category === 'session_end')
      && ga.store.GAStore.instance.eventsStore.length === 0 && shim.pending() === 0,
    { timeoutMs: 60000, what: 'the SDK to send session_end and empty its queue' });
    stopSdk();

    const sent = sentEvents();
    const firstRaw = new Map();
    for (const s of sent) if (!firstRaw.has(s.event.event_uuid)) firstRaw.set(s.event.event_uuid, s);
    const sentByCat = {};
    for (const { event } of firstRaw.values()) sentByCat[event.category] = (sentByCat[event.category] || 0) + 1;
    assert.deepEqual(sentByCat, expected, 'the SDK sent the events the test triggered (distinct event_uuids by category)');
    assert.ok(sent.length > firstRaw.size, `the SDK resent events (${sent.length} sent, ${firstRaw.size} distinct)`);
    for (const s of sent) {
      assert.equal(s.raw, firstRaw.get(s.event.event_uuid).raw, 'a resent event is byte-identical to its first send');
    }

    const stored = await ps.readEvents(srv.dataDir, game.id);
    const storedByCat = {};
    for (const { obj } of stored) storedByCat[obj.category] = (storedByCat[obj.category] || 0) + 1;
    assert.deepEqual(storedByCat, expected, 'stored events by category');
    const count = ps.countByUuid(stored);
    for (const [u, s] of firstRaw) assert.equal(count.get(u), 1, `${s.event.category} event ${u} stored exactly once`);
    assert.equal(stored.length, firstRaw.size, 'nothing stored that the SDK did not send');
    for (const { line, obj } of stored) {
      const prefix = firstRaw.get(obj.event_uuid).raw.slice(0, -1);
      assert.ok(line.startsWith(prefix), `stored as the SDK sent it:\n sent:   ${prefix}}\n stored: ${line}`);
    }
    for (const cat of Object.keys(expected)) {
      const rows = await ps.readEvents(srv.dataDir, game.id, { category: cat });
      assert.equal(rows.length, expected[cat], `--category ${cat}`);
    }
    const rejected = await ps.readEvents(srv.dataDir, game.id, { rejected: true });
    assert.deepEqual(rejected.map((r) => r.line), [], 'no event of the SDK is rejected');
  });

  it('answers every SDK request with a JSON body the SDK accepts', () => {
    const problems = [];
    for (const t of shim.traffic) {
      if (t.error) problems.push(`#${t.id} ${t.path}: connection error ${t.error}`);
      if (t.callbackError) problems.push(`#${t.id} ${t.path}: the SDK's callback threw: ${t.callbackError}`);
      if (isEventsPost(t) && (t.status !== 200 || t.responseText.trim() !== '{}')) {
        problems.push(`#${t.id} events answer ${t.status} ${t.responseText}`);
      }
      if (t.responseText !== undefined && t.responseText !== '') {
        try { JSON.parse(t.responseText); } catch (_) { problems.push(`#${t.id} ${t.path}: body is not JSON: ${t.responseText}`); }
      } else {
        problems.push(`#${t.id} ${t.path}: empty body (status ${t.status}), the SDK would retry`);
      }
    }
    const sdkErrors = sentEvents().filter((s) => s.event.category === 'sdk_error');
    if (sdkErrors.length) problems.push(`the SDK reported sdk_error events: ${sdkErrors.map((s) => s.raw).join('\n')}`);
    const bad = sdkLog.filter((l) => /Failed to send events|failed GA server validation|Error\/GameAnalytics/.test(l));
    problems.push(...bad.map((l) => `SDK log: ${l}`));
    assert.deepEqual(problems, [], problems.join('\n'));

    // The facts of its traffic (documented in the report to the lead).
    const events = shim.traffic.filter(isEventsPost);
    assert.ok(events.length > 0);
    for (const t of [...events, ...shim.traffic.filter(isRemoteInit)]) {
      assert.equal(t.headers['Content-Type'], 'application/json');
      assert.equal(t.headers['Content-Encoding'], undefined, 'the JS SDK does not gzip');
      assert.equal(t.headers.Authorization, ps.hmacBase64(game.secret_key, Buffer.from(t.body)), 'HMAC over the raw body');
    }
    for (const s of sentEvents()) assert.match(s.event.event_uuid, ps.UUID, 'every SDK event carries a v4 event_uuid');
  });
});
