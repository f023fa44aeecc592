'use strict';
// A full disk (store/sqlite/db.c, docs/design.md "A bounded write-ahead log"): the data
// directory sits on a 24 MB tmpfs. Events are sent until the disk is full: the answers are
// then 503 with Retry-After (a 2xx only for what was stored), and the write-ahead log never
// grows past a few MB.
// Once space is freed the server stores again for as long as the space lasts (not for a few
// requests), and in the end every acknowledged event is stored exactly once.
//
// Needs root (mount -t tmpfs), as CI runs; it fails, never skips, without it.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const ps = require('./lib/playstat');
const ev = require('./lib/events');

const DISK_MB = 24;
const FILLER_MB = 12;            // taken first, freed later: the space a recovery gets
const WAL_BOUND_BYTES = 6 << 20; // the log's bound (4 MB) with room for one group commit
const MESSAGE = 'x'.repeat(4000); // ~4 KB events fill the disk in a few thousand

function sh(cmd, args) {
  const r = childProcess.spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
}

function walBytes(dir) {
  try { return fs.statSync(path.join(dir, 'playstat.db-wal')).size; } catch { return 0; }
}

describe('a full disk', () => {
  let mnt, dataDir, filler, srv, game;
  const acked = new Set();
  let maxWal = 0;

  before(async () => {
    assert.equal(process.getuid(), 0, 'this test mounts a tmpfs and needs root (CI runs as root)');
    mnt = ps.makeTempDir('full-disk');
    sh('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MB}m`, 'tmpfs', mnt]);
    dataDir = path.join(mnt, 'data');
    filler = path.join(mnt, 'filler');
    fs.writeFileSync(filler, Buffer.alloc(FILLER_MB << 20, 1));
    game = await ps.createGame(dataDir, 'Full Disk Game');
    srv = await ps.startServer({ name: 'full-disk', dataDir });
  });

  after(async () => {
    if (srv) await srv.stop();
    if (mnt) childProcess.spawnSync('umount', [mnt]);
  });

  /* Sends batches of 20 large events until `stopAfter` refusals in a row (or `limit` batches);
   * returns how many events were acknowledged and how many batches refused. Every refusal must
   * be 503 with Retry-After. */
  async function sendUntilRefused(stopAfter, limit) {
    let accepted = 0, refusals = 0, refused = 0;
    for (let i = 0; i < limit && refusals < stopAfter; i++) {
      const session = ev.newSession();
      const batch = Array.from({ length: 20 }, () => ev.makeEvent('error', session, { message: MESSAGE }));
      const res = await ps.postEvents(srv.port, game, batch);
      maxWal = Math.max(maxWal, walBytes(dataDir));
      if (res.status === 200) {
        for (const e of batch) acked.add(e.event_uuid);
        accepted += batch.length;
        refusals = 0;
        continue;
      }
      assert.equal(res.status, 503, ps.describeRes(res));
      assert.ok(Number(res.headers['retry-after']) > 0, 'a 503 carries Retry-After');
      refusals++;
      refused++;
      await ps.sleep(50);
    }
    return { accepted, refused };
  }

  it('answers 503 (never 2xx) when full, keeps the log bounded, and stores again once space is freed', async () => {
    const first = (await sendUntilRefused(10, 5000)).accepted;
    assert.ok(first > 0, 'events are stored while there is space');
    // Still full: refused. A batch may still be stored now and then, and rightly so: once the
    // checkpointer has folded the log in, the next commit restarts the log in space its file
    // already holds. Whatever is acknowledged is checked to be stored at the end.
    const atFull = await sendUntilRefused(5, 5);
    assert.ok(atFull.refused >= 3, `a full disk refused ${atFull.refused} of 5 batches`);

    fs.unlinkSync(filler);
    const second = (await sendUntilRefused(10, 5000)).accepted;
    const freedEvents = (FILLER_MB << 20) / 4500;
    assert.ok(second > 0.5 * freedEvents,
      `after ${FILLER_MB} MB were freed the server stored ${second} events; at least half the space ` +
      `(${Math.round(0.5 * freedEvents)} events) should serve`);
    ps.writeTestOut('full_disk.json', JSON.stringify({ first, atFull, second, maxWal, freedEvents }, null, 1));
    assert.ok(maxWal <= WAL_BOUND_BYTES, `the write-ahead log reached ${maxWal} bytes`);

    await srv.stop();
    srv = null;
    // Room for the CLI to read (the log is folded in at a clean stop).
    const stored = await ps.readEvents(dataDir, game.id);
    const count = ps.countByUuid(stored);
    for (const uuid of acked) assert.equal(count.get(uuid), 1, `acknowledged event ${uuid} is stored once`);
    assert.ok(stored.length >= acked.size);
  });
});
