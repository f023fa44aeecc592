'use strict';
// HTTPS: `playstat serve --tls-cert FILE --tls-key FILE` answers HTTP/1.1 over TLS on its
// listen address, and the official GameAnalytics JavaScript SDK (npm `gameanalytics` 4.4.7)
// initializes and sends its events over it. The test makes its own certificate
// (openssl req -x509, CN and subjectAltName 127.0.0.1 / localhost) in a temp dir and trusts it
// through the https options of the browser shim's XMLHttpRequest (what NODE_EXTRA_CA_CERTS
// would do for the whole process). A plain-HTTP client on the TLS port gets no answer, and a
// client that does not trust the certificate is refused by its own TLS check.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const https = require('node:https');
const path = require('node:path');

const ps = require('./lib/playstat');
const shim = require('./lib/browser_shim');

function makeCertificate(dir) {
  const key = path.join(dir, 'key.pem');
  const cert = path.join(dir, 'cert.pem');
  childProcess.execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
  return { key, cert, ca: fs.readFileSync(cert) };
}

function httpsGet(port, p, opts = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: p, agent: false, ...opts }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, text, socket: res.socket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTPS with --tls-cert / --tls-key', () => {
  let dir;
  let tls;
  let srv;
  let game;
  let ga;
  const sdkLog = [];

  before(async () => {
    dir = ps.makeTempDir('tls');
    tls = makeCertificate(dir);
    srv = await ps.startServer({ name: 'tls', args: ['--tls-cert', tls.cert, '--tls-key', tls.key] });
    game = await ps.createGame(srv.dataDir, 'TLS Game');
  });

  after(async () => {
    if (ga) {
      const T = ga.threading.GAThreading;
      T.instance.keepRunning = false;
      clearTimeout(T.runTimeoutId);
    }
    ps.writeTestOut('tls-sdk.log', sdkLog.join('\n'));
    if (srv) await srv.stop();
    ps.removeDir(dir);
  });

  it('logs an https:// address and answers over TLS with the certificate it was given', async () => {
    assert.match(srv.log(), /listening on https:\/\/127\.0\.0\.1:\d+/);
    const res = await httpsGet(srv.port, '/healthz', { ca: tls.ca });
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.text), { status: 'ok' });
    assert.equal(res.socket.getPeerCertificate().subject.CN, '127.0.0.1');
  });

  it('refuses what is not TLS, and a client that does not trust the certificate refuses it', async () => {
    await assert.rejects(httpsGet(srv.port, '/healthz'), /self[- ]signed|unable to verify|certificate/i);
    await assert.rejects(ps.request(srv.port, { path: '/healthz', timeoutMs: 3000 }));
  });

  it('the official GameAnalytics SDK initializes and stores its events over TLS', async () => {
    shim.installBrowserGlobals();
    shim.httpsOptions.ca = tls.ca;
    const sdkDir = path.join(ps.SOURCE_DIR, 'node_modules', 'gameanalytics');
    assert.ok(fs.existsSync(sdkDir), `${sdkDir} is missing: run \`npm ci\``);
    // eslint-disable-next-line global-require, import/no-dynamic-require
    ga = require(sdkDir);
    ga.logging.GALogger.instance.sendNotificationMessage = (m) => { sdkLog.push(`${new Date().toISOString()} ${m}`); };
    const api = ga.http.GAHTTPApi.instance;
    api.baseUrl = `https://127.0.0.1:${srv.port}/v2`;
    api.remoteConfigsBaseUrl = `https://127.0.0.1:${srv.port}/remote_configs/v1`;
    const GA = ga.GameAnalytics;
    GA.setEnabledInfoLog(true);
    GA.setEventProcessInterval(1);
    GA.configureBuild('1.0.0');
    GA.initialize(game.game_key, game.secret_key);
    await ps.waitFor(() => ga.state.GAState.instance.sessionStart > 0 && ga.state.GAState.instance.sessionId,
      { timeoutMs: 20000, what: 'the SDK session to start over TLS' });
    GA.addDesignEvent('Tls:Works');
    GA.addProgressionEvent(ga.EGAProgressionStatus.Start, 'World1');
    // The SDK never sends a session_end whose length is 0 (its queue skips an event object
    // with `length == 0`, meant for empty ones): the session must last a whole second first.
    await ps.waitFor(() => ga.state.GAState.getClientTsAdjusted() > ga.state.GAState.getSessionStart(),
      { timeoutMs: 5000, what: 'the session to last a second' });
    GA.endSession();
    // What the SDK sent and got, for the failure message: which request failed or is missing.
    const trafficSummary = () => shim.traffic.map((t) => `#${t.id} ${t.method} ${t.path} -> ${t.status}`
      + `${t.error ? ` (${t.error})` : ''}${t.callbackError ? ' (callback threw)' : ''}`
      + ` ${t.answeredAt ? t.answeredAt - t.sentAt : '-'} ms`
      + `${/session_end/.test(t.body) ? ' [session_end]' : ''}`).join('; ');
    try {
      await ps.waitFor(() => shim.traffic.some((t) => /\/events$/.test(t.path) && t.status === 200
          && JSON.parse(t.body).some((e) => e.category === 'session_end'))
        && ga.store.GAStore.instance.eventsStore.length === 0 && shim.pending() === 0,
      { timeoutMs: 60000, what: 'the SDK to send its events and session_end over TLS' });
    } catch (e) {
      e.message += `; SDK store holds ${ga.store.GAStore.instance.eventsStore.length} events,`
        + ` ${shim.pending()} requests pending; traffic: ${trafficSummary()}`;
      throw e;
    }
    for (const t of shim.traffic) {
      assert.ok(t.url.startsWith('https://'), `${t.url} went over TLS`);
      assert.ok(!t.error, `#${t.id} ${t.path}: ${t.error}`);
    }
    const init = shim.traffic.find((t) => t.path === '/remote_configs/v1/init');
    assert.equal(init.status, 201, `init answered ${init.status} ${init.responseText}`);
    await ps.waitFor(async () => {
      const stored = await ps.readEvents(srv.dataDir, game.id);
      const cats = stored.map((r) => r.obj.category);
      return ['user', 'design', 'progression', 'session_end'].every((c) => cats.includes(c));
    }, { timeoutMs: 15000, what: 'the SDK events to be stored' });
    const designs = (await ps.readEvents(srv.dataDir, game.id, { category: 'design' })).map((r) => r.obj.event_id);
    assert.deepEqual(designs, ['Tls:Works']);
  });
});
