'use strict';
// libplaystat (issue 6) against the real server: tests/sdk/sdk_driver (a small C game built by
// CMake, path in PLAYSTAT_SDK_DRIVER) records events through the library; what arrived is read
// back with `playstat events`. Covers online delivery, offline-then-online, SIGKILL at random
// points (every event the library accepted arrives exactly once), session_end recovery,
// attempt_num / transaction_num across launches, throttled errors, the bounded database, a
// shutdown bounded by its timeout while the server never answers, the wire format (gzip, HMAC,
// batches, clock correction, Retry-After, 400 handling) against a scripted collector, metrics
// sessions, and (when valgrind is installed) the example under valgrind.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const zlib = require('node:zlib');

const ps = require('./lib/playstat');
const m = require('./lib/modio');

const DRIVER = process.env.PLAYSTAT_SDK_DRIVER || path.join(ps.SOURCE_DIR, 'build', 'tests', 'sdk', 'sdk_driver');
const EXAMPLE = process.env.PLAYSTAT_SDK_EXAMPLE || path.join(ps.SOURCE_DIR, 'build', 'sdk', 'play_sessions');

/** Spawns the driver; resolves { code, signal, stdout, stderr, status(cmd), stats() }. */
function spawnDriver(args, { timeoutMs = 120000 } = {}) {
  const proc = childProcess.spawn(DRIVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.setEncoding('utf8');
  proc.stderr.setEncoding('utf8');
  proc.stdout.on('data', (d) => { stdout += d; });
  proc.stderr.on('data', (d) => { stderr += d; });
  const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const done = new Promise((resolve) => {
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      // 'exit' may come before the pipes are drained: wait for them.
      let open = 2;
      const finish = () => { if (--open === 0) resolve(result(code, signal, stdout, stderr)); };
      if (proc.stdout.readableEnded) finish(); else proc.stdout.on('end', finish);
      if (proc.stderr.readableEnded) finish(); else proc.stderr.on('end', finish);
    });
  });
  return { proc, done, out: () => stdout, err: () => stderr };
}

function result(code, signal, stdout, stderr) {
  const statuses = new Map();
  for (const line of stdout.split('\n')) {
    const mm = /^(.*) -> (\S+)$/.exec(line);
    if (mm) statuses.set(mm[1], [...(statuses.get(mm[1]) || []), mm[2]]);
  }
  return {
    code, signal, stdout, stderr,
    /** The status printed for cmd (its first occurrence unless nth is given). */
    status: (cmd, nth = 0) => (statuses.get(cmd) || [])[nth],
    stats: () => {
      const lines = stdout.split('\n').filter((l) => l.startsWith('stats {'));
      return JSON.parse(lines[lines.length - 1].slice(6));
    },
    shutdownMs: () => Number((/^shutdown_ms (\d+)$/m.exec(stdout) || [])[1]),
    describe: () => `exit ${code} signal ${signal}\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-3000)}`,
  };
}

async function runDriver(args, opts) {
  const r = await spawnDriver(args, opts).done;
  assert.equal(r.code, 0, `driver failed: ${r.describe()}`);
  assert.equal(r.status('create'), 'OK', r.describe());
  return r;
}

function driverArgs({ port, game, db, extra = [] }) {
  return ['--url', `http://127.0.0.1:${port}`, '--key', game.game_key, '--secret', game.secret_key,
    '--db', db, '--flush-ms', '100', '--retry-initial-ms', '100', '--retry-max-ms', '500', ...extra];
}

/** A TCP port nothing listens on (bound, then closed). */
async function freePort() {
  const srv = net.createServer();
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

async function stored(srv, game) {
  return (await ps.readEvents(srv.dataDir, game.id)).map((r) => r.obj);
}

function byCategory(events, category) { return events.filter((e) => e.category === category); }

describe('libplaystat against the real server', () => {
  let srv;
  let tmp;
  before(async () => {
    assert.ok(fs.existsSync(DRIVER), `sdk_driver not found at ${DRIVER} (set PLAYSTAT_SDK_DRIVER or build it)`);
    srv = await ps.startServer({ name: 'sdk' });
    tmp = ps.makeTempDir('sdk-client');
  });
  after(async () => {
    if (srv) await srv.stop();
    ps.removeDir(tmp);
  });
  const db = (name) => path.join(tmp, `${name}.db`);

  it('online: every category arrives once, annotated and in its session; invalid events are refused locally', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK online');
    const r = await runDriver([...driverArgs({ port: srv.port, game, db: db('online'), extra: ['--build', '1.2.3'] }),
      'start', 'design=Kill:Orc=3', 'design-custom=Menu:Open=src=title', 'business=Gems:Pack100=499=USD',
      'resource=Sink:Gems:Boost:Mega=25', 'progression=start=World1', 'progression=start=World2',
      'progression=complete=World2=99', 'error=critical=NullReference at Level.Load', 'ad', 'impression',
      'design=bad:::id', 'business=Gems:Pack=1=usd', 'end', 'design=After:End', 'shutdown']);
    assert.equal(r.status('design=bad:::id'), 'E_INVALID', r.describe());
    assert.equal(r.status('business=Gems:Pack=1=usd'), 'E_INVALID', 'currency must be 3 upper-case letters, as the server says');
    assert.match(r.stderr, /currency/, 'the log names the failing field');
    assert.equal(r.status('design=After:End'), 'E_NO_SESSION');
    assert.equal(r.status('shutdown'), 'OK', `shutdown delivered everything: ${r.describe()}`);
    const events = await stored(srv, game);
    const cats = events.map((e) => `${e.category}${e.event_id ? `:${e.event_id}` : ''}`);
    assert.deepEqual(cats, ['user', 'design:Kill:Orc', 'design:Menu:Open', 'business:Gems:Pack100', 'resource:Sink:Gems:Boost:Mega',
      'progression:Start:World1', 'progression:Fail:World1', 'progression:Start:World2', 'progression:Complete:World2',
      'error', 'ads', 'impression', 'session_end'], 'in order, with the Fail a Start during an attempt adds');
    const uuids = new Set(events.map((e) => e.event_uuid));
    assert.equal(uuids.size, events.length, 'one event_uuid each');
    for (const e of events) {
      assert.match(e.event_uuid, ps.UUID);
      assert.equal(e.session_id, events[0].session_id);
      assert.equal(e.session_num, 1);
      assert.equal(e.build, '1.2.3');
      assert.equal(e.sdk_version, 'rest api v2');
      assert.ok(Math.abs(e.client_ts - ps.nowSec()) < 120, `client_ts ${e.client_ts} is now`);
    }
    assert.equal(byCategory(events, 'business')[0].transaction_num, 1);
    assert.deepEqual(events[2].custom_fields, { src: 'title', level: 7 });
    assert.equal(events[6].attempt_num, 1);
    assert.ok(byCategory(events, 'session_end')[0].length >= 0);
  });

  it('offline with a backoff longer than the flush interval, the library\'s thread sleeps (no busy loop)', async () => {
    const dir = ps.makeTempDir('sdk-idle');
    const game = await ps.createGame(dir, 'SDK idle');
    const port = await freePort();
    const child = spawnDriver(['--url', `http://127.0.0.1:${port}`, '--key', game.game_key, '--secret', game.secret_key,
      '--db', db('idle'), '--flush-ms', '100', '--retry-initial-ms', '4000', '--retry-max-ms', '4000', '--shutdown-ms', '200',
      'start', 'design=Idle:Wait', 'sleep=6000', 'shutdown']);
    await ps.waitFor(() => /sending events failed|init failed/.test(child.err()), { timeoutMs: 10000, what: 'a first failure' });
    const cpuSeconds = () => {
      const fields = fs.readFileSync(`/proc/${child.proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in USER_HZ (100)
    };
    const before = cpuSeconds();
    await ps.sleep(3000);
    const used = cpuSeconds() - before;
    const r = await child.done;
    assert.equal(r.code, 0, r.describe());
    // A thread spinning while it waits for its retry burns about the 3 s it waits.
    assert.ok(used < 1, `CPU used over 3 s of waiting: ${used} s`);
  });

  it('offline for a while, then online: queued events arrive once the server is up', async () => {
    const dir = ps.makeTempDir('sdk-offline');
    const game = await ps.createGame(dir, 'SDK offline');
    const port = await freePort();
    const child = spawnDriver([...driverArgs({ port, game, db: db('offline') }),
      'start', 'many=50=Offline:E', 'wait-sent=90000', 'stats', 'shutdown']);
    await ps.waitFor(() => (child.err().match(/sending events failed|init failed/g) || []).length >= 3,
      { timeoutMs: 30000, what: 'the driver to fail to send a few times' });
    // The server comes up on the port the game was given (--listen: the last one counts).
    const late = await ps.startServer({ name: 'sdk-late', dataDir: dir, args: ['--listen', `127.0.0.1:${port}`] });
    let events;
    try {
      const r = await child.done;
      assert.equal(r.code, 0, r.describe());
      assert.equal(r.status('wait-sent=90000'), 'OK', `delivered once the server came: ${r.describe()}`);
      assert.ok(r.stats().send_failures >= 3, 'it did fail while offline');
      assert.equal(r.status('shutdown'), 'OK');
      events = (await ps.readEvents(dir, game.id)).map((e) => e.obj);
    } finally {
      await late.stop();
      ps.removeDir(dir);
    }
    assert.equal(byCategory(events, 'design').length, 50);
    assert.equal(byCategory(events, 'user').length, 1);
    assert.equal(byCategory(events, 'session_end').length, 1);
  });

  it('SIGKILL at random points: every event the library accepted arrives exactly once, every session gets one session_end', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK kill');
    const file = db('kill');
    const record = path.join(tmp, 'kill.record');
    const rounds = 6;
    for (let round = 0; round < rounds; round++) {
      const child = spawnDriver([...driverArgs({ port: srv.port, game, db: file, extra: ['--flush-ms', '30', '--record', record] }),
        'start', `play=${round}`]);
      const base = fs.existsSync(record) ? fs.readFileSync(record, 'utf8').length : 0;
      await ps.waitFor(() => fs.existsSync(record) && fs.readFileSync(record, 'utf8').length > base,
        { timeoutMs: 30000, what: `round ${round} to record events` });
      await ps.sleep(50 + Math.floor(Math.random() * 1200));
      child.proc.kill('SIGKILL');
      const r = await child.done;
      assert.equal(r.signal, 'SIGKILL', `round ${round} was killed, not ended: ${r.describe()}`);
    }
    const last = await runDriver([...driverArgs({ port: srv.port, game, db: file }), 'wait-sent=60000', 'shutdown']);
    assert.equal(last.status('wait-sent=60000'), 'OK', last.describe());
    const events = await stored(srv, game);
    const count = new Map();
    for (const e of events) if (e.event_id) count.set(e.event_id, (count.get(e.event_id) || 0) + 1);
    const recorded = fs.readFileSync(record, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')[1]);
    assert.ok(recorded.length > rounds * 5, `the rounds recorded events (${recorded.length})`);
    const wrong = recorded.filter((id) => count.get(id) !== 1).map((id) => `${id}: ${count.get(id) || 0}`);
    assert.deepEqual(wrong, [], 'every recorded event is stored exactly once');
    assert.equal(new Set(events.map((e) => e.event_uuid)).size, events.length, 'no event_uuid twice');
    const sessions = byCategory(events, 'user').map((e) => e.session_id);
    assert.equal(sessions.length, rounds);
    for (const sid of sessions) {
      const ends = events.filter((e) => e.category === 'session_end' && e.session_id === sid);
      assert.equal(ends.length, 1, `session ${sid} has one session_end`);
    }
    assert.deepEqual(byCategory(events, 'user').map((e) => e.session_num), [1, 2, 3, 4, 5, 6]);
  });

  it('kill -9 right after N calls returned: the relaunch delivers all N exactly once, also past a torn record', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK kill after N');
    const closed = await freePort();
    const file = db('kill-after-n');
    const n = 500;
    // Offline: nothing can leave before the kill, so every event is only in the call journal
    // (or moved into the database by the library's thread).
    const first = spawnDriver([...driverArgs({ port: closed, game, db: file }), 'start', `many=${n}=Burst:A`, 'hang']);
    await ps.waitFor(() => first.out().includes('hanging'), { timeoutMs: 30000, what: 'the calls to return' });
    assert.match(first.out(), new RegExp(`many=${n}=Burst:A -> OK`));
    first.proc.kill('SIGKILL');
    assert.equal((await first.done).signal, 'SIGKILL');
    // A kill in the middle of a record's copy leaves its first bytes after the last record:
    // put the start of a whole record there (its header promises more than follows).
    const files = [0, 1].map((i) => `${file}-calls.${i}`).filter((f) => fs.existsSync(f));
    let torn = Buffer.concat([Buffer.from('PSJ1'), Buffer.alloc(60, 0x41)]);
    for (const f of files) {
      const b = fs.readFileSync(f);
      if (b.subarray(0, 4).toString('latin1') === 'PSJ1') { torn = Buffer.from(b.subarray(0, 64)); break; }
    }
    const journal = `${file}-calls.0`;
    const bytes = fs.readFileSync(journal);
    let end = bytes.length;
    while (end > 0 && bytes[end - 1] === 0) end--;
    const fd = fs.openSync(journal, 'r+');
    fs.writeSync(fd, torn, 0, torn.length, end + 32); // a record may end in up to 23 zero bytes
    fs.closeSync(fd);
    // Online, moving and sending every 30 ms while the calls are made: killed right after
    // they returned, whatever the library's thread was doing.
    const second = spawnDriver([...driverArgs({ port: srv.port, game, db: file, extra: ['--flush-ms', '30'] }),
      'start', `many=${n}=Burst:B`, 'hang']);
    await ps.waitFor(() => second.out().includes('hanging'), { timeoutMs: 30000, what: 'the second calls to return' });
    second.proc.kill('SIGKILL');
    const r2 = await second.done;
    assert.equal(r2.signal, 'SIGKILL');
    assert.match(r2.stderr, /journal: \d+ byte\(s\) of a torn record .* were skipped/, 'the torn tail was reported');
    const last = await runDriver([...driverArgs({ port: srv.port, game, db: file }), 'wait-sent=60000', 'shutdown']);
    assert.equal(last.status('wait-sent=60000'), 'OK', last.describe());
    const events = await stored(srv, game);
    for (const prefix of ['Burst:A', 'Burst:B']) {
      const count = new Map();
      for (const e of events) if (e.event_id && e.event_id.startsWith(`${prefix}:`)) count.set(e.event_id, (count.get(e.event_id) || 0) + 1);
      const wrong = [];
      for (let i = 0; i < n; i++) if (count.get(`${prefix}:${i}`) !== 1) wrong.push(`${prefix}:${i}: ${count.get(`${prefix}:${i}`) || 0}`);
      assert.deepEqual(wrong, [], `every one of the ${n} ${prefix} calls is stored exactly once`);
    }
    assert.equal(new Set(events.map((e) => e.event_uuid)).size, events.length, 'no event_uuid twice');
    const users = byCategory(events, 'user');
    assert.equal(users.length, 2);
    for (const u of users) {
      assert.equal(events.filter((e) => e.category === 'session_end' && e.session_id === u.session_id).length, 1,
        'each killed session was ended once');
    }
  });

  it('a session killed before its end gets its session_end on the next launch with the length and last annotations it had', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK recovery');
    const file = db('recovery');
    const startedAt = Date.now();
    const child = spawnDriver([...driverArgs({ port: srv.port, game, db: file, extra: ['--flush-ms', '500'] }),
      'start', 'design=First', 'dimension=1=ninja', 'sleep=3000', 'design=Last', 'hang']);
    await ps.waitFor(() => child.out().includes('hanging'), { timeoutMs: 30000, what: 'the driver to hang' });
    child.proc.kill('SIGKILL');
    const killedAt = Date.now();
    await child.done;
    await ps.sleep(2000); // the next launch comes later: the length must not include this gap
    const r = await runDriver([...driverArgs({ port: srv.port, game, db: file }), 'wait-sent=60000', 'shutdown']);
    assert.match(r.stderr, /did not end session/);
    const events = await stored(srv, game);
    const user = byCategory(events, 'user')[0];
    const ends = byCategory(events, 'session_end');
    assert.equal(ends.length, 1, 'one session_end');
    assert.equal(ends[0].session_id, user.session_id, 'for the killed session');
    assert.equal(ends[0].session_num, 1);
    assert.equal(user.custom_01, undefined, 'the session started without a dimension');
    assert.equal(ends[0].custom_01, 'ninja', 'the session_end carries the annotations of the last event');
    const upper = Math.ceil((killedAt - startedAt) / 1000) + 1;
    assert.ok(ends[0].length >= 3 && ends[0].length <= upper,
      `length ${ends[0].length} s is between the last event (3 s) and the kill (${upper} s)`);
  });

  it('attempt_num and transaction_num continue across launches; an attempt left open is failed by the next Start', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK counters');
    const args = driverArgs({ port: srv.port, game, db: db('counters') });
    await runDriver([...args, 'start', 'progression=start=W1', 'progression=fail=W1', 'business=Gems:P1=100=EUR', 'shutdown']);
    await runDriver([...args, 'start', 'progression=start=W1', 'progression=fail=W1', 'business=Gems:P2=100=EUR', 'shutdown']);
    await runDriver([...args, 'start', 'progression=start=W1', 'progression=complete=W1', 'progression=start=W2', 'shutdown']);
    await runDriver([...args, 'start', 'progression=start=W1', 'progression=complete=W1', 'business=Gems:P3=100=EUR', 'shutdown']);
    const events = await stored(srv, game);
    const prog = byCategory(events, 'progression').filter((e) => !e.event_id.startsWith('Start'))
      .map((e) => [e.session_num, e.event_id, e.attempt_num]);
    assert.deepEqual(prog, [
      [1, 'Fail:W1', 1], [2, 'Fail:W1', 2], [3, 'Complete:W1', 3],
      [4, 'Fail:W2', 1], [4, 'Complete:W1', 1],
    ]);
    assert.deepEqual(byCategory(events, 'business').map((e) => e.transaction_num), [1, 2, 3]);
  });

  it('error events: one per message type and at most 10 per launch', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK errors');
    const args = driverArgs({ port: srv.port, game, db: db('errors') });
    const cmds = ['error=error=Boom', 'error=error=Boom', 'error=warning=Boom'];
    for (let i = 1; i <= 12; i++) cmds.push(`error=error=Other${i}`);
    const r = await runDriver([...args, 'start', ...cmds, 'stats', 'shutdown']);
    assert.equal(r.status('error=error=Boom', 0), 'OK');
    assert.equal(r.status('error=error=Boom', 1), 'E_THROTTLED', 'the same type again');
    assert.equal(r.status('error=warning=Boom'), 'OK', 'another severity is another type');
    for (let i = 1; i <= 8; i++) assert.equal(r.status(`error=error=Other${i}`), 'OK');
    for (let i = 9; i <= 12; i++) assert.equal(r.status(`error=error=Other${i}`), 'E_THROTTLED', `Other${i} is past 10`);
    assert.equal(r.stats().errors_throttled, 5);
    const next = await runDriver([...args, 'start', 'error=error=Boom', 'shutdown']);
    assert.equal(next.status('error=error=Boom'), 'OK', 'the limits are per launch');
    assert.equal(byCategory(await stored(srv, game), 'error').length, 11);
  });

  it('the database is bounded: low-value events are dropped first and the drop is reported', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK bounded');
    const closed = await freePort();
    const file = db('bounded');
    const offline = driverArgs({ port: closed, game, db: file, extra: ['--max-queue-bytes', '20000', '--shutdown-ms', '300'] });
    const r = await runDriver([...offline, 'start', 'business=Gems:B1=100=USD', 'business=Gems:B2=100=USD',
      'many=100=Filler:E', 'business=Gems:B3=100=USD', 'stats', 'shutdown']);
    assert.equal(r.status('many=100=Filler:E'), 'OK', 'design events are admitted by evicting older design events');
    const st = r.stats();
    assert.ok(st.events_dropped > 0, `drops are counted: ${JSON.stringify(st)}`);
    assert.ok(st.queued_bytes <= 20000, `queue within its bound: ${st.queued_bytes}`);
    assert.match(r.stderr, /queue at its bound/, 'and logged');
    assert.equal(r.status('shutdown'), 'E_PENDING', 'offline: left for the next launch');
    await runDriver([...driverArgs({ port: srv.port, game, db: file }), 'wait-sent=60000', 'shutdown']);
    const events = await stored(srv, game);
    assert.deepEqual(byCategory(events, 'business').map((e) => e.event_id), ['Gems:B1', 'Gems:B2', 'Gems:B3'], 'no business event dropped');
    assert.equal(byCategory(events, 'user').length, 1);
    assert.equal(byCategory(events, 'session_end').length, 1);
    const fillers = byCategory(events, 'design').map((e) => Number(e.event_id.split(':')[2]));
    assert.ok(fillers.length > 0 && fillers.length < 100, `some design events dropped: ${fillers.length} kept`);
    assert.equal(fillers[fillers.length - 1], 99, 'the newest kept');
    assert.deepEqual(fillers, fillers.map((_, i) => 100 - fillers.length + i), 'the oldest dropped');

    const full = await runDriver([...driverArgs({ port: closed, game, db: db('bounded-full'),
      extra: ['--max-queue-bytes', '3000', '--shutdown-ms', '0'] }),
    'start', 'business=Gems:C1=1=USD', 'business=Gems:C2=1=USD', 'business=Gems:C3=1=USD', 'business=Gems:C4=1=USD',
    'business=Gems:C5=1=USD', 'business=Gems:C6=1=USD', 'design=Too:Cheap', 'stats', 'shutdown']);
    assert.equal(full.status('design=Too:Cheap'), 'E_FULL', 'a design event cannot push out business events');
  });

  it('shutdown returns within its timeout while the server accepts and never answers; nothing is lost', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK hang');
    const sockets = new Set();
    const silent = net.createServer((s) => { sockets.add(s); s.on('error', () => {}); });
    await new Promise((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const file = db('hang');
    try {
      const t0 = Date.now();
      const r = await runDriver([...driverArgs({ port: silent.address().port, game, db: file, extra: ['--shutdown-ms', '1000'] }),
        'start', 'many=20=Hang:E', 'sleep=300', 'shutdown']);
      const wall = Date.now() - t0;
      assert.ok(sockets.size >= 1, 'the library did connect');
      assert.equal(r.status('shutdown'), 'E_PENDING', r.describe());
      assert.ok(r.shutdownMs() >= 900 && r.shutdownMs() < 4000,
        `shutdown took ${r.shutdownMs()} ms for a 1000 ms timeout (generous bound for a loaded machine)`);
      assert.ok(wall < 30000, `the process ended (${wall} ms), no 30 s request timeout waited out`);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
    await runDriver([...driverArgs({ port: srv.port, game, db: file }), 'wait-sent=60000', 'shutdown']);
    const events = await stored(srv, game);
    assert.equal(byCategory(events, 'design').length, 20, 'the next launch sent them');
    assert.equal(byCategory(events, 'session_end').length, 1);
  });

  it('metrics sessions: start with mod ids, heartbeats from the library thread, end; hashes accepted', async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK metrics');
    const token = await m.cliToken(srv.dataDir, game.id, 'sdk-player');
    const r = await runDriver([...driverArgs({ port: srv.port, game, db: db('metrics'), extra: [
      '--metrics-url', `http://127.0.0.1:${srv.port}/g-${game.id}`, '--metrics-key', game.metrics_key,
      '--token', token, '--heartbeat-ms', '300'] }),
    'metrics-start=11,22,33', 'metrics-start=1', 'sleep=1500', 'metrics-end', 'metrics-end', 'stats', 'shutdown']);
    assert.equal(r.status('metrics-start=11,22,33'), 'OK');
    assert.equal(r.status('metrics-start=1'), 'E_STATE', 'one metrics session at a time');
    assert.equal(r.status('metrics-end', 1), 'E_STATE', 'nothing left to end');
    const st = r.stats();
    assert.ok(st.metrics_requests_sent >= 3, `start and heartbeats every 300 ms over 1.5 s were sent: ${JSON.stringify(st)}`);
    assert.equal(st.metrics_requests_failed, 0);
    await ps.waitFor(async () => (await m.readSessions(srv.dataDir, game.id)).some((s) => s.state === 'ended'),
      { timeoutMs: 20000, what: 'the session to be ended' });
    const sessions = await m.readSessions(srv.dataDir, game.id);
    assert.equal(sessions.length, 1, JSON.stringify(sessions));
    assert.deepEqual(sessions[0].mod_ids, [11, 22, 33]);
    assert.equal(sessions[0].player, 'sdk-player');
    assert.equal(sessions[0].state, 'ended');
    assert.doesNotMatch(r.stderr, /metrics session \w+ .* failed/, 'no request refused');
  });

  it('valgrind: the example plays its sessions with no leak and no memory error', { skip: process.env.PLAYSTAT_SANITIZED === '1' ? 'sanitizer build: valgrind cannot run ASan binaries' : (!hasValgrind() && 'valgrind is not installed') }, async () => {
    const game = await ps.createGame(srv.dataDir, 'SDK valgrind');
    const res = childProcess.spawnSync('valgrind', ['--leak-check=full', '--errors-for-leak-kinds=definite,indirect',
      '--error-exitcode=1', EXAMPLE, `http://127.0.0.1:${srv.port}`, game.game_key, game.secret_key, db('valgrind')],
    { encoding: 'utf8', timeout: 300000 });
    assert.equal(res.status, 0, `valgrind: exit ${res.status}\n${res.stdout}\n${res.stderr.slice(-5000)}`);
    const events = await stored(srv, game);
    assert.equal(byCategory(events, 'user').length, 3, 'the example played 3 sessions');
    assert.equal(byCategory(events, 'session_end').length, 3);
  });

  it('make install: a game built with pkg-config (shared) and one linked with libplaystat.a both deliver', async () => {
    const prefix = path.join(tmp, 'prefix');
    const install = childProcess.spawnSync('cmake', ['--install', path.dirname(ps.BIN), '--prefix', prefix], { encoding: 'utf8' });
    assert.equal(install.status, 0, `cmake --install: ${install.stdout}${install.stderr}`);
    const pcDir = [path.join(prefix, 'lib', 'pkgconfig'), ...fs.readdirSync(path.join(prefix, 'lib')).map((d) => path.join(prefix, 'lib', d, 'pkgconfig'))]
      .find((d) => fs.existsSync(path.join(d, 'playstat.pc')));
    assert.ok(pcDir, 'playstat.pc installed');
    const env = { ...process.env, PKG_CONFIG_PATH: pcDir };
    const pkg = (...args) => {
      const r = childProcess.spawnSync('pkg-config', args, { encoding: 'utf8', env });
      assert.equal(r.status, 0, `pkg-config ${args.join(' ')}: ${r.stderr}`);
      return r.stdout.trim().split(/\s+/).filter(Boolean);
    };
    const example = path.join(ps.SOURCE_DIR, 'sdk', 'examples', 'play_sessions.c');
    const libdir = pkg('--variable=libdir', 'playstat')[0];
    const builds = {
      shared: ['-std=c11', example, ...pkg('--cflags', '--libs', 'playstat'), `-Wl,-rpath,${libdir}`],
      // static libplaystat, shared system libraries (the deps docs/sdk.md lists)
      static: ['-std=c11', example, ...pkg('--cflags', 'playstat'), path.join(libdir, 'libplaystat.a'),
        ...pkg('--libs', 'jansson', 'libpcre2-8', 'sqlite3', 'libcrypto', 'zlib', 'libcurl'), '-lpthread', '-lm'],
    };
    // a sanitizer build installs an instrumented library: the game links the runtime too
    const sanitize = process.env.PLAYSTAT_SANITIZED === '1' ? ['-fsanitize=address,undefined'] : [];
    for (const [kind, args] of Object.entries(builds)) {
      const exe = path.join(tmp, `game-${kind}`);
      const cc = childProcess.spawnSync('cc', [...args, ...sanitize, '-o', exe], { encoding: 'utf8' });
      assert.equal(cc.status, 0, `${kind}: cc ${args.join(' ')}\n${cc.stderr}`);
      const ldd = childProcess.spawnSync('ldd', [exe], { encoding: 'utf8' }).stdout;
      assert.equal(/libplaystat\.so/.test(ldd), kind === 'shared', `${kind}: ${ldd}`);
      const game = await ps.createGame(srv.dataDir, `SDK installed ${kind}`);
      const run = childProcess.spawnSync(exe, [`http://127.0.0.1:${srv.port}`, game.game_key, game.secret_key, db(`installed-${kind}`)],
        { encoding: 'utf8', timeout: 120000 });
      assert.equal(run.status, 0, `${kind}: ${run.stdout}${run.stderr}`);
      const events = await stored(srv, game);
      assert.equal(byCategory(events, 'user').length, 3, `${kind}: the example played 3 sessions`);
      assert.equal(byCategory(events, 'session_end').length, 3, kind);
    }
  });
});

function hasValgrind() {
  return childProcess.spawnSync('valgrind', ['--version']).status === 0;
}

describe('libplaystat against a scripted collector: wire format, clock, Retry-After, 400', () => {
  const SECRET = 'ffffffffffffffffffffffffffffffffffffffff';
  const game = { game_key: '0123456789abcdef0123456789abcdef', secret_key: SECRET };
  let tmp;
  before(() => { tmp = ps.makeTempDir('sdk-fake'); });
  after(() => ps.removeDir(tmp));

  /** An HTTP server answering init with server_ts = now + skew and events with answer(n). */
  async function collector(skewSec, answer) {
    const requests = [];
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const entry = { url: req.url, headers: req.headers, raw, at: Date.now() };
        requests.push(entry);
        if (req.url.endsWith('/init')) {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ enabled: true, server_ts: ps.nowSec() + skewSec, flags: [] }));
          return;
        }
        entry.events = JSON.parse(zlib.gunzipSync(raw).toString('utf8'));
        const n = requests.filter((r) => r.events).length;
        const [status, headers, body] = answer(n, entry);
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(body);
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, requests, port: server.address().port, close: () => new Promise((r) => server.close(r)) };
  }

  it('gzip + HMAC over the gzipped bytes, at most 500 events a request, clocks corrected by server_ts, Retry-After honoured', async () => {
    const c = await collector(3600, (n) => (n === 1 ? [503, { 'Retry-After': '2' }, '{}'] : [200, {}, '{}']));
    try {
      const r = await runDriver([...driverArgs({ port: c.port, game, db: path.join(tmp, 'wire.db') }),
        'flush', 'sleep=500', 'start', 'many=1200=Bulk:E', 'wait-sent=60000', 'shutdown']);
      assert.equal(r.status('wait-sent=60000'), 'OK', r.describe());
      const init = c.requests.find((q) => q.url === `/v2/${game.game_key}/init`);
      assert.ok(init, 'init was called');
      const posts = c.requests.filter((q) => q.events);
      for (const q of posts) {
        assert.equal(q.url, `/v2/${game.game_key}/events`);
        assert.equal(q.headers['content-encoding'], 'gzip');
        assert.equal(q.headers.authorization, ps.hmacBase64(SECRET, q.raw), 'HMAC of the gzipped body, no scheme');
        assert.ok(q.events.length <= 500, `batch of ${q.events.length}`);
        assert.ok(q.raw.length <= ps.ONE_MB);
      }
      const delivered = posts.slice(1).flatMap((q) => q.events);
      assert.equal(delivered.length, 1202, 'user + 1200 design + session_end, each once after the 503');
      assert.equal(new Set(delivered.map((e) => e.event_uuid)).size, 1202);
      assert.deepEqual(posts[1].events.slice(0, posts[0].events.length).map((e) => e.event_uuid),
        posts[0].events.map((e) => e.event_uuid), 'the refused events are resent first, with their event_uuid');
      assert.ok(posts[1].at - posts[0].at >= 1800, `waited for Retry-After: 2 (${posts[1].at - posts[0].at} ms)`);
      const skew = delivered.find((e) => e.event_id === 'Bulk:E:10').client_ts - ps.nowSec();
      assert.ok(skew > 3500 && skew <= 3601, `client_ts follows the server's clock (+3600 s): ${skew}`);
    } finally {
      await c.close();
    }
  });

  it('init answering enabled: false stops recording and sending until a later init enables the game', async () => {
    let enabled = false;
    const requests = [];
    const server = http.createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        requests.push({ url: req.url, enabled, raw: Buffer.concat(chunks) });
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(req.url.endsWith('/init') ? JSON.stringify({ enabled, server_ts: ps.nowSec(), flags: [] }) : '{}');
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = server.address().port;
    try {
      const file = path.join(tmp, 'disabled.db');
      const child = spawnDriver([...driverArgs({ port, game, db: file }), 'flush', 'sleep=600', 'start', 'design=While:Off',
        'flag', 'sleep=2500', 'start', 'design=Back:On', 'wait-sent=30000', 'shutdown']);
      await ps.waitFor(() => child.out().includes('flag'), { timeoutMs: 30000, what: 'the disabled calls' });
      enabled = true; // the library asks init again (with its backoff) and is enabled
      const r = await child.done;
      assert.equal(r.code, 0, r.describe());
      assert.equal(r.status('start', 0), 'E_DISABLED', r.describe());
      assert.equal(r.status('design=While:Off'), 'E_NO_SESSION', 'no session could start');
      assert.match(r.stderr, /disabled this game \(init answered enabled: false\)/, 'the log says so');
      assert.match(r.stderr, /enabled this game \(init\)/, 'and says when it is enabled again');
      assert.equal(r.status('start', 1), 'OK');
      assert.equal(r.status('design=Back:On'), 'OK');
      assert.equal(r.status('wait-sent=30000'), 'OK', r.describe());
      const posts = requests.filter((q) => q.url.endsWith('/events'));
      assert.ok(posts.every((q) => q.enabled), 'nothing was sent while the game was disabled');
      const sent = posts.flatMap((q) => JSON.parse(zlib.gunzipSync(q.raw).toString('utf8')));
      assert.deepEqual(sent.map((e) => e.event_id || e.category), ['user', 'Back:On', 'session_end'], 'only what came after');
      assert.ok(requests.filter((q) => q.url.endsWith('/init')).length >= 2, 'init was asked again');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('400 with per-event errors: the batch is dropped (the valid events were stored), the reasons logged, nothing resent', async () => {
    const reason = [{ event_index: 1, errors: [{ field: 'event_id', code: 'pattern', message: 'refused by this collector' }] }];
    const c = await collector(0, () => [400, {}, JSON.stringify(reason)]);
    try {
      const r = await runDriver([...driverArgs({ port: c.port, game, db: path.join(tmp, 'rejected.db') }),
        'start', 'design=A', 'wait-sent=30000', 'sleep=600', 'stats', 'shutdown']);
      assert.equal(r.status('wait-sent=30000'), 'OK', r.describe());
      assert.match(r.stderr, /collector rejected event 1 .*refused by this collector/);
      const st = r.stats();
      assert.equal(st.events_rejected, 1);
      assert.equal(st.events_sent, 1);
      const posts = c.requests.filter((q) => q.events);
      const uuids = posts.flatMap((q) => q.events.map((e) => e.event_uuid));
      assert.equal(new Set(uuids).size, uuids.length, 'no event sent twice');
    } finally {
      await c.close();
    }
  });
});
