'use strict';
// Clean shutdown with requests in flight: SIGTERM (and SIGINT) stop the server within seconds
// with exit code 0; every request answered 200 has all its events stored; no event of a request
// answered with an error is stored; only requests that got no answer may see connection errors.
// The writer sleeps before each commit (--debug-commit-delay-ms) so requests are surely queued
// when the signal arrives.

const { describe, it } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const net = require('node:net');

const ps = require('./lib/playstat');
const ev = require('./lib/events');

/** Fires `n` signed requests of `perRequest` events each; resolves to their outcomes. */
function fire(srv, game, n, perRequest, session) {
  return Array.from({ length: n }, () => {
    const events = ev.mixedBatch(perRequest, session);
    return ps.postEvents(srv.port, game, events, { timeoutMs: 20000 })
      .then((res) => ({ events, res }), (err) => ({ events, err }));
  });
}

/** Checks outcomes against what `playstat events` shows after the server exited. */
async function checkOutcomes(srv, game, results, signalAt, acknowledgedBefore = []) {
  const stored = await ps.readEvents(srv.dataDir, game.id);
  const count = ps.countByUuid(stored);
  const sent = new Set([...results.flatMap((r) => r.events), ...acknowledgedBefore].map((e) => e.event_uuid));
  const summary = { ok: 0, okAfterSignal: 0, errorStatus: {}, connError: {} };
  const problems = [];
  for (const r of results) {
    if (r.err) {
      summary.connError[r.err.code || r.err.message] = (summary.connError[r.err.code || r.err.message] || 0) + 1;
      // No answer: the client resends; stored or not, each event at most once.
      for (const e of r.events) if ((count.get(e.event_uuid) || 0) > 1) problems.push(`${e.event_uuid} stored twice`);
      continue;
    }
    if (r.res.json === undefined) problems.push(`answer without a JSON body: ${ps.describeRes(r.res)}`);
    if (r.res.status === 200) {
      summary.ok++;
      if (r.res.at >= signalAt) summary.okAfterSignal++;
      for (const e of r.events) {
        if (count.get(e.event_uuid) !== 1) problems.push(`answered 200 but event ${e.event_uuid} stored ${count.get(e.event_uuid) || 0} times`);
      }
    } else {
      summary.errorStatus[r.res.status] = (summary.errorStatus[r.res.status] || 0) + 1;
      if (r.res.status !== 503) problems.push(`unexpected answer during shutdown: ${ps.describeRes(r.res)}`);
      for (const e of r.events) {
        if (count.has(e.event_uuid)) problems.push(`answered ${r.res.status} but event ${e.event_uuid} was stored`);
      }
    }
  }
  for (const row of stored) if (!sent.has(row.obj.event_uuid)) problems.push(`stored an event nobody sent: ${row.line}`);
  assert.deepEqual(problems, [], `shutdown outcomes (${JSON.stringify(summary)}):\n${problems.join('\n')}`);
  return summary;
}

describe('shutdown', () => {
  it('SIGTERM with ~50 signed requests in flight: exit 0 within seconds, acknowledged = stored', async () => {
    const srv = await ps.startServer({ name: 'shutdown-term', args: ['--debug-commit-delay-ms', '200'] });
    try {
      const game = await ps.createGame(srv.dataDir, 'Shutdown Game');
      const session = ev.newSession();
      // Warm up: the server answers normally before the signal.
      const warmEvents = [ev.makeEvent('user', session)];
      const warm = await ps.postEvents(srv.port, game, warmEvents);
      assert.equal(warm.status, 200, ps.describeRes(warm));

      const inFlight = fire(srv, game, 50, 3, session);
      await ps.sleep(100); // the first commit is still sleeping: these requests are queued or being read
      const signalAt = Date.now();
      const exitP = srv.signalAndWait('SIGTERM', 15000);
      await ps.sleep(30);
      const late = fire(srv, game, 5, 2, session); // sent while the server is shutting down
      const results = await Promise.all([...inFlight, ...late]);
      const exit = await exitP;
      assert.equal(exit.signal, null, `killed by ${exit.signal}:\n${srv.log()}`);
      assert.equal(exit.code, 0, `exit code after SIGTERM:\n${srv.log()}`);
      assert.ok(exit.elapsedMs < 5000, `exit within 5 s of SIGTERM (took ${exit.elapsedMs} ms)`);

      const summary = await checkOutcomes(srv, game, results, signalAt, warmEvents);
      assert.ok(summary.ok >= 1, `queued requests are committed and answered 200 (${JSON.stringify(summary)})`);
      assert.ok(summary.okAfterSignal >= 1, `requests in flight at SIGTERM are answered, not dropped (${JSON.stringify(summary)})`);
      const warmStored = (await ps.readEvents(srv.dataDir, game.id, { category: 'user' })).length;
      assert.equal(warmStored, 1, 'events acknowledged before the signal are kept');
    } finally {
      if (srv.alive) await srv.signalAndWait('SIGKILL', 5000).catch(() => {});
      srv.cleanup();
    }
  });

  it('SIGINT with requests in flight behaves the same', async () => {
    const srv = await ps.startServer({ name: 'shutdown-int', args: ['--debug-commit-delay-ms', '200'] });
    try {
      const game = await ps.createGame(srv.dataDir, 'Shutdown Game');
      const inFlight = fire(srv, game, 10, 2, ev.newSession());
      await ps.sleep(100);
      const signalAt = Date.now();
      const exit = await srv.signalAndWait('SIGINT', 15000);
      const results = await Promise.all(inFlight);
      assert.equal(exit.signal, null, `killed by ${exit.signal}:\n${srv.log()}`);
      assert.equal(exit.code, 0, `exit code after SIGINT:\n${srv.log()}`);
      assert.ok(exit.elapsedMs < 5000, `exit within 5 s of SIGINT (took ${exit.elapsedMs} ms)`);
      const summary = await checkOutcomes(srv, game, results, signalAt);
      assert.ok(summary.okAfterSignal >= 1, `requests in flight at SIGINT are answered (${JSON.stringify(summary)})`);
    } finally {
      if (srv.alive) await srv.signalAndWait('SIGKILL', 5000).catch(() => {});
      srv.cleanup();
    }
  });

  it('idle keep-alive connections and silent clients do not hold the exit back', async () => {
    const srv = await ps.startServer({ name: 'shutdown-idle-conns' });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const silent = [];
    try {
      const game = await ps.createGame(srv.dataDir, 'Idle Connections Game');
      // Browsers and curl keep connections open between requests.
      await Promise.all([1, 2, 3].map(() => ps.postEvents(srv.port, game, [ev.makeEvent('design')], { agent })));
      // Clients that connected and sent nothing (yet).
      for (let i = 0; i < 3; i++) {
        const sock = net.connect(srv.port, '127.0.0.1');
        sock.on('error', () => {});
        silent.push(sock);
        await new Promise((resolve) => sock.once('connect', resolve));
      }
      const exit = await srv.signalAndWait('SIGTERM', 15000);
      assert.equal(exit.code, 0, `exit code:\n${srv.log()}`);
      assert.ok(exit.elapsedMs < 3000, `exit within 3 s despite idle connections (took ${exit.elapsedMs} ms)`);
      assert.equal((await ps.readEvents(srv.dataDir, game.id)).length, 3);
    } finally {
      agent.destroy();
      for (const s of silent) s.destroy();
      if (srv.alive) await srv.signalAndWait('SIGKILL', 5000).catch(() => {});
      srv.cleanup();
    }
  });

  it('a stalled upload does not hold the exit back forever', async () => {
    const srv = await ps.startServer({ name: 'shutdown-stalled' });
    let sock;
    try {
      const game = await ps.createGame(srv.dataDir, 'Stalled Game');
      // A client (say, a phone losing its network) sent the headers and part of the body.
      sock = net.connect(srv.port, '127.0.0.1');
      sock.on('error', () => {});
      await new Promise((resolve) => sock.once('connect', resolve));
      let answer = '';
      sock.on('data', (d) => { answer += d; });
      sock.write(`POST /v2/${game.game_key}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n`
        + 'Authorization: x\r\nContent-Length: 5000\r\n\r\n[{"v":2,');
      await ps.sleep(200);
      const exit = await srv.signalAndWait('SIGTERM', 30000);
      assert.equal(exit.code, 0, `exit code:\n${srv.log()}`);
      assert.ok(exit.elapsedMs < 15000, `exit within 15 s despite a stalled upload (took ${exit.elapsedMs} ms)`);
      assert.doesNotMatch(answer, /^HTTP\/1\.1 200/, 'an incomplete request is never acknowledged');
    } finally {
      if (sock) sock.destroy();
      if (srv.alive) await srv.signalAndWait('SIGKILL', 5000).catch(() => {});
      srv.cleanup();
    }
  });

  it('SIGKILL under load: every acknowledged event survives; after a restart resends are still duplicates', async () => {
    const dataDir = ps.makeTempDir('shutdown-kill');
    let srv;
    let srv2;
    try {
      srv = await ps.startServer({ name: 'shutdown-kill', dataDir });
      const game = await ps.createGame(dataDir, 'Crash Game');
      const session = ev.newSession();
      let stop = false;
      const acked = [];
      const unanswered = [];
      const client = async () => {
        while (!stop) {
          const batch = ev.mixedBatch(50, session);
          const res = await ps.postEvents(srv.port, game, batch).catch((err) => ({ err }));
          if (res.err) {
            unanswered.push(...batch); // connection error: no answer, the client will resend
          } else {
            assert.equal(res.status, 200, ps.describeRes(res));
            acked.push(...batch);
          }
        }
      };
      const clients = Array.from({ length: 8 }, client);
      await ps.waitFor(() => acked.length >= 2000, { timeoutMs: 20000, what: '2000 acknowledged events' });
      const exit = await srv.signalAndWait('SIGKILL', 5000);
      assert.equal(exit.signal, 'SIGKILL');
      stop = true;
      await Promise.all(clients);

      const stored = ps.countByUuid(await ps.readEvents(dataDir, game.id));
      const lost = acked.filter((e) => stored.get(e.event_uuid) !== 1);
      assert.deepEqual(lost.map((e) => e.event_uuid), [], `acknowledged events lost or duplicated after SIGKILL (of ${acked.length})`);
      const sent = new Set([...acked, ...unanswered].map((e) => e.event_uuid));
      for (const u of stored.keys()) assert.ok(sent.has(u), `stored an event nobody sent: ${u}`);

      // The client resends what got no answer, and some acknowledged events too.
      srv2 = await ps.startServer({ name: 'shutdown-kill-restart', dataDir });
      try {
        const resend = [...unanswered, ...acked.slice(0, 200)];
        for (let i = 0; i < resend.length; i += 400) {
          const res = await ps.postEvents(srv2.port, game, resend.slice(i, i + 400));
          assert.equal(res.status, 200, ps.describeRes(res));
        }
      } finally {
        await srv2.stop({ keepData: true });
      }
      const after = await ps.readEvents(dataDir, game.id);
      const count = ps.countByUuid(after);
      assert.equal(after.length, sent.size, 'after resending, every event sent is stored exactly once');
      for (const n of count.values()) assert.equal(n, 1);
    } finally {
      for (const x of [srv, srv2]) if (x && x.alive) await x.signalAndWait('SIGKILL', 5000).catch(() => {});
      if (srv) srv.cleanup({ keepData: true });
      ps.removeDir(dataDir);
    }
  });

  it('an idle server exits 0 at once on SIGTERM and keeps its data for the next start', async () => {
    const dataDir = ps.makeTempDir('shutdown-idle');
    try {
      let srv = await ps.startServer({ name: 'shutdown-idle', dataDir });
      const game = await ps.createGame(dataDir, 'Idle Game');
      const e = ev.makeEvent('design');
      const res = await ps.postEvents(srv.port, game, [e]);
      assert.equal(res.status, 200);
      const exit = await srv.stop();
      assert.ok(exit.elapsedMs < 3000, `idle exit took ${exit.elapsedMs} ms`);
      srv = await ps.startServer({ name: 'shutdown-idle2', dataDir });
      const again = await ps.postEvents(srv.port, game, [e, ev.makeEvent('design')]);
      assert.equal(again.status, 200, `same game key works after a restart: ${ps.describeRes(again)}`);
      await srv.stop();
      const stored = await ps.readEvents(dataDir, game.id);
      assert.equal(stored.length, 2, 'a duplicate sent after a restart is still recognised');
    } finally {
      ps.removeDir(dataDir);
    }
  });
});
