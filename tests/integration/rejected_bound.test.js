'use strict';
// Rejected events are kept with their errors, but only the newest N per game (--rejected-keep).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');

const ps = require('./lib/playstat');
const ev = require('./lib/events');

describe('rejected events are bounded per game', () => {
  let srv;
  before(async () => { srv = await ps.startServer({ name: 'rejected-bound', args: ['--rejected-keep', '5'] }); });
  after(async () => { if (srv) await srv.stop(); });

  it('--rejected-keep 5: after 8 rejected events --rejected shows the newest 5, other games unaffected', async () => {
    const game = await ps.createGame(srv.dataDir, 'Bounded Game');
    const other = await ps.createGame(srv.dataDir, 'Other Game');
    const session = ev.newSession();

    // Another game's rejected events first: they are not pushed out by this game's.
    const otherBad = [ev.makeEvent('design', session, { event_id: 'bad*id' }), ev.makeEvent('error', session, { severity: 'fatal' })];
    let res = await ps.postEvents(srv.port, other, otherBad);
    assert.equal(res.status, 400, ps.describeRes(res));

    const valid = [];
    const invalid = [];
    for (let i = 0; i < 8; i++) {
      const good = ev.makeEvent('design', session);
      const bad = ev.makeEvent('business', session, { currency: `usd${i}`, user_id: `rejected-${i}` });
      valid.push(good);
      invalid.push(bad);
      res = await ps.postEvents(srv.port, game, [good, bad]);
      assert.equal(res.status, 400, ps.describeRes(res));
      assert.deepEqual(res.json.map((x) => x.event_index), [1]);
      await ps.sleep(20);
    }

    const rejected = await ps.readEvents(srv.dataDir, game.id, { rejected: true });
    const kept = rejected.map((r) => r.obj.event && r.obj.event.user_id).sort();
    assert.deepEqual(kept, ['rejected-3', 'rejected-4', 'rejected-5', 'rejected-6', 'rejected-7'],
      'the newest 5 rejected events are kept, the 3 oldest dropped');
    for (const { obj } of rejected) {
      const sent = invalid.find((e) => e.user_id === obj.event.user_id);
      assert.deepEqual(obj.event, sent, 'kept as received');
      assert.equal(obj.event_index, 1);
      assert.ok(Number.isInteger(obj.received_ts) && obj.received_ts > 0);
      assert.ok(obj.errors.some((e) => e.field === 'currency' && e.code === 'pattern'), JSON.stringify(obj.errors));
    }

    const otherRejected = await ps.readEvents(srv.dataDir, other.id, { rejected: true });
    assert.equal(otherRejected.length, 2, 'the bound is per game');

    const stored = await ps.readEvents(srv.dataDir, game.id);
    assert.equal(stored.length, 8, 'the bound applies to rejected events only: every valid event stays');
    const count = ps.countByUuid(stored);
    for (const g of valid) assert.equal(count.get(g.event_uuid), 1);
  });
});
