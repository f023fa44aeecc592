'use strict';
// A full ingest queue answers 503 + Retry-After (with a JSON body) and never acknowledges what it
// did not store; a 200 always means stored. The server runs with a queue of one record and a
// writer that sleeps 300 ms before each commit, so concurrent requests must overflow it.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');

const ps = require('./lib/playstat');
const ev = require('./lib/events');

describe('backpressure', () => {
  let srv;
  let game;

  before(async () => {
    srv = await ps.startServer({ name: 'backpressure', args: ['--queue-capacity', '1', '--debug-commit-delay-ms', '300'] });
    game = await ps.createGame(srv.dataDir, 'Backpressure Game');
  });
  after(async () => { if (srv) await srv.stop(); });

  it('concurrent requests on a full queue: 503 with Retry-After and JSON; 200 means stored, 503 means not stored', async () => {
    const session = ev.newSession();
    const N = 30;
    const batches = Array.from({ length: N }, (_, i) => [ev.makeEvent(i % 2 ? 'design' : 'progression', session)]);
    const results = await Promise.all(batches.map((events) => ps.postEvents(srv.port, game, events)
      .then((res) => ({ events, res }), (err) => ({ events, err }))));

    const connErrors = results.filter((r) => r.err);
    assert.deepEqual(connErrors.map((r) => `${r.err.code} ${r.err.message}`), [], 'every request gets an answer');
    const statuses = results.map((r) => r.res.status);
    const unexpected = results.filter((r) => r.res.status !== 200 && r.res.status !== 503);
    assert.deepEqual(unexpected.map((r) => ps.describeRes(r.res)), [], 'answers are 200 or 503 only');
    const ok = results.filter((r) => r.res.status === 200);
    const busy = results.filter((r) => r.res.status === 503);
    assert.ok(ok.length >= 1, `some requests must be accepted (statuses: ${statuses.join(',')})`);
    assert.ok(busy.length >= 1, `a queue of 1 record under ${N} concurrent requests must answer 503 (statuses: ${statuses.join(',')})`);
    for (const r of ok) assert.deepEqual(r.res.json, {}, 'a 200 answers {}');
    for (const r of busy) {
      const ra = r.res.headers['retry-after'];
      assert.ok(ra !== undefined, `503 carries Retry-After: ${JSON.stringify(r.res.headers)}`);
      assert.match(String(ra), /^\d+$/, 'Retry-After is delay-seconds');
      ps.assertJsonBody(r.res, '503');
    }

    // Exactly the acknowledged events are stored.
    let stored = await ps.readEvents(srv.dataDir, game.id);
    const storedCount = ps.countByUuid(stored);
    const okUuids = ok.flatMap((r) => r.events.map((e) => e.event_uuid));
    const busyUuids = busy.flatMap((r) => r.events.map((e) => e.event_uuid));
    for (const u of okUuids) assert.equal(storedCount.get(u), 1, `acknowledged event ${u} must be stored once`);
    for (const u of busyUuids) assert.ok(!storedCount.has(u), `event ${u} answered 503 must not be stored`);
    assert.equal(stored.length, okUuids.length, 'nothing else stored');

    // Clients resend what got 503 (same uuids) after Retry-After; then everything is stored once.
    for (const r of busy) {
      let res;
      for (let attempt = 0; attempt < 50; attempt++) {
        res = await ps.postEvents(srv.port, game, r.events);
        if (res.status !== 503) break;
        await ps.sleep(Math.min(1000, 1000 * Number(res.headers['retry-after'] || 1)));
      }
      assert.equal(res.status, 200, `a resent batch is eventually accepted: ${ps.describeRes(res)}`);
    }
    stored = await ps.readEvents(srv.dataDir, game.id);
    const all = ps.countByUuid(stored);
    assert.equal(stored.length, N, 'every event stored once after resending');
    for (const b of batches) assert.equal(all.get(b[0].event_uuid), 1);

    const m = await ps.scrapeMetrics(srv.port);
    assert.equal(ps.metricSum(m.samples, 'playstat_ingest_queue_depth'), 0, 'queue drained');
    const busyCount = m.samples.filter((x) => x.name === 'playstat_http_requests_total' && x.labels.status === '503')
      .reduce((a, x) => a + x.value, 0);
    assert.ok(busyCount >= busy.length, `playstat_http_requests_total counts the 503 answers (${busyCount} >= ${busy.length})`);
  });
});
