'use strict';
// Amplification: what one correctly signed events request may cost the server is bounded by
// constants, whatever its shape (src/ingest/ga/events.c). Found on a running server: one 600 KB
// body of 200,000 "{}" was answered 400 with a 21 MB body after 2-3 s and took RSS from 15 MB
// to 188 MB; twelve concurrent senders took it to 1.7 GB, and their rejected records filled the
// ingest queue so that a healthy client got 503s. Here twelve senders do that (twice each)
// while a healthy client sends small valid batches: every healthy request must be 200, every
// answer small, the server's peak RSS (VmHWM) bounded; the largest allowed batch of invalid
// events is answered in GA's format with a bounded list and stores a bounded number of them.

const fs = require('node:fs');
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');

const ps = require('./lib/playstat');
const ev = require('./lib/events');

const KB = 1024;
const MB = 1024 * KB;
// Bounds the test holds the server to (the server's own constants are smaller or equal).
const MAX_ANSWER_BYTES = 128 * KB;
const MAX_RSS_GROWTH = 96 * MB;
const MAX_STORED_REJECTED_PER_REQUEST = 64;

function vmHwmBytes(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
  assert.ok(m, 'VmHWM in /proc/PID/status');
  return Number(m[1]) * KB;
}

describe('ga collector amplification bounds', () => {
  let srv;
  before(async () => { srv = await ps.startServer({ name: 'ga-amplification' }); });
  after(async () => { if (srv) await srv.stop(); });

  it('12 senders of 200,000 "{}" each: small answers, bounded RSS, a healthy client meanwhile gets 200s', async () => {
    const attacker = await ps.createGame(srv.dataDir, 'Amplification Attacker');
    const healthy = await ps.createGame(srv.dataDir, 'Amplification Healthy');
    const session = ev.newSession();

    // Warm up: the server's baseline after it has served a few ordinary requests.
    for (let i = 0; i < 3; i++) {
      const res = await ps.postEvents(srv.port, healthy, [ev.makeEvent('design', session)]);
      assert.equal(res.status, 200, ps.describeRes(res));
    }
    const baseline = vmHwmBytes(srv.proc.pid);

    const body = Buffer.from(`[${Array(200000).fill('{}').join(',')}]`);
    assert.ok(body.length > 580 * KB && body.length < 1 * MB, `body is ${body.length} bytes, under the 1 MiB limit`);

    let attacking = true;
    const healthyResults = [];
    const healthyLoop = (async () => {
      while (attacking) {
        const events = [ev.makeEvent('design', session), ev.makeEvent('progression', session)];
        const res = await ps.postEvents(srv.port, healthy, events, { timeoutMs: 60000 });
        healthyResults.push({ res, events });
        await ps.sleep(50);
      }
    })();
    const sender = async () => {
      const answers = [];
      for (let round = 0; round < 2; round++) {
        answers.push(await ps.postEvents(srv.port, attacker, body, { timeoutMs: 120000 }));
      }
      return answers;
    };
    let answers;
    try {
      answers = (await Promise.all(Array.from({ length: 12 }, sender))).flat();
    } finally {
      attacking = false;
      await healthyLoop;
    }

    for (const res of answers) {
      assert.ok(res.status === 400 || res.status === 413, `an invalid batch is refused: ${ps.describeRes(res)}`);
      ps.assertJsonBody(res, 'attack answer');
      assert.ok(res.body.length <= MAX_ANSWER_BYTES, `answer of ${res.body.length} bytes for a ${body.length}-byte body (at most ${MAX_ANSWER_BYTES})`);
    }
    const peak = vmHwmBytes(srv.proc.pid);
    assert.ok(peak - baseline <= MAX_RSS_GROWTH,
      `peak RSS grew by ${((peak - baseline) / MB).toFixed(1)} MB (from ${(baseline / MB).toFixed(1)} MB to ${(peak / MB).toFixed(1)} MB), at most ${MAX_RSS_GROWTH / MB} MB`);

    assert.ok(healthyResults.length >= 1, 'the healthy client sent during the attack');
    const failed = healthyResults.filter(({ res }) => res.status !== 200);
    assert.deepEqual(failed.map(({ res }) => ps.describeRes(res)), [], `every healthy request answered 200 (${healthyResults.length} sent)`);
    const stored = await ps.readEvents(srv.dataDir, healthy.id);
    const count = ps.countByUuid(stored);
    for (const { events } of healthyResults) for (const e of events) assert.equal(count.get(e.event_uuid), 1, 'a 200 means stored');
  });

  it('the largest accepted batch of invalid events: 400 in GA format, a bounded list, a bounded number stored', async () => {
    const game = await ps.createGame(srv.dataDir, 'Amplification Largest');
    const session = ev.newSession();
    // Invalid events with long, many errors each, and one valid event among them.
    const bad = { category: 'business', currency: 'x'.repeat(100), amount: 'lots', custom_fields: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`bad key ${i}`, [i]])) };
    const good = ev.makeEvent('design', session);
    const n = 3000;
    const parts = Array(n).fill(JSON.stringify(bad));
    parts[1234] = JSON.stringify(good);
    const body = Buffer.from(`[${parts.join(',')}]`);
    assert.ok(body.length < 1 * MB, `${body.length} bytes`);
    const res = await ps.postEvents(srv.port, game, body, { timeoutMs: 60000 });
    assert.equal(res.status, 400, ps.describeRes(res));
    assert.ok(Array.isArray(res.json), 'GA answers 400 with an array of rejected events');
    assert.ok(res.body.length <= MAX_ANSWER_BYTES, `answer of ${res.body.length} bytes`);
    const listed = res.json.filter((x) => Number.isInteger(x.event_index));
    assert.ok(listed.length >= 1, 'at least one rejected event is listed');
    for (const x of res.json) assert.ok(Array.isArray(x.errors) && x.errors.length >= 1, JSON.stringify(x).slice(0, 300));
    assert.ok(!listed.some((x) => x.event_index === 1234), 'the valid event is not listed');
    const omitted = res.json.filter((x) => !Number.isInteger(x.event_index));
    assert.equal(omitted.length, 1, 'one last element counts the rejected events not listed');
    assert.equal(listed.length + omitted[0].omitted, n - 1, 'listed + omitted = every rejected event');

    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.deepEqual(stored.map((r) => r.obj.event_uuid), [good.event_uuid], 'the valid event is stored');
    const rejected = await ps.readEvents(srv.dataDir, game.id, { rejected: true });
    assert.ok(rejected.length >= 1 && rejected.length <= MAX_STORED_REJECTED_PER_REQUEST,
      `${rejected.length} rejected events stored of ${n - 1}`);

    const metrics = ps.parseMetrics((await ps.request(srv.port, { path: '/metrics' })).text);
    assert.ok(ps.metricSum(metrics, 'playstat_events_rejected_total') >= n - 1, 'every rejected event is counted');
  });

  it('more events in one request than any SDK sends: 413 in GA error format, nothing stored', async () => {
    const game = await ps.createGame(srv.dataDir, 'Amplification Many');
    const session = ev.newSession();
    const e = ev.makeEvent('design', session);
    const body = Buffer.from(`[${Array(6000).fill(JSON.stringify({ category: 'design' })).join(',')},${JSON.stringify(e)}]`);
    const res = await ps.postEvents(srv.port, game, body);
    assert.equal(res.status, 413, ps.describeRes(res));
    assert.equal(typeof res.json.error, 'string');
    assert.equal(typeof res.json.message, 'string');
    assert.equal((await ps.readEvents(srv.dataDir, game.id)).length, 0);
    assert.equal((await ps.readEvents(srv.dataDir, game.id, { rejected: true })).length, 0);
  });

  it('an element of very many values is one rejected event; its valid sibling is stored', async () => {
    const game = await ps.createGame(srv.dataDir, 'Amplification Wide');
    const session = ev.newSession();
    const good = ev.makeEvent('design', session);
    const wide = `{"category":"design","custom":[${Array(100000).fill('0').join(',')}]}`;
    const res = await ps.postEvents(srv.port, game, Buffer.from(`[${wide},${JSON.stringify(good)}]`));
    assert.equal(res.status, 400, ps.describeRes(res));
    assert.deepEqual(res.json.map((x) => x.event_index), [0]);
    assert.match(res.json[0].errors[0].message, /at most \d+ values/);
    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.deepEqual(stored.map((r) => r.obj.event_uuid), [good.event_uuid]);
  });
});
