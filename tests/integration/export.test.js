'use strict';
// Raw export, end to end (issue 14): `playstat simulate` fills a game with analytics events,
// live metrics sessions and matchmaker sessions, a few invalid events are rejected; then
// `playstat export` writes every kind in Parquet and NDJSON.gz to an S3-compatible server
// started here (s3rver behind tests/servers/s3rver-sigv4.js, which checks the AWS Signature V4
// of every request) and to a folder.
// Every Parquet file is read back by two readers this project did not write (hyparquet and
// parquet-wasm, tests/integration/lib/parquet_read.js), and:
//   - every stored analytics event is in the events export exactly once, and every typed
//     column equals the member of the stored event (the model: `playstat events`);
//   - rejected events, metrics sessions and matchmaker events equal what the store lists;
//   - the NDJSON.gz export holds the same rows and values;
//   - exporting again (with --again) gives byte-identical objects, and without it writes
//     nothing (the export log holds them); an export killed after its first object, run
//     again, ends with the same objects as an uninterrupted one;
//   - `playstat serve --export-url` writes the same objects on its own schedule.
// The periods are the current hour (the traffic arrives now): --delay -7200 makes it count as
// closed, the testing aid `playstat export --help` describes.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const childProcess = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const zlib = require('node:zlib');

const ps = require('./lib/playstat');
const { readSessions } = require('./lib/modio');
const { createServiceAccount } = require('./lib/observability');
const { readParquet } = require('./lib/parquet_read');

const KINDS = ['events', 'rejected', 'msessions', 'so_events'];
const BUCKET = 'playstat-export';

function parseLines(stdout) {
  return stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l));
}

/** A typed column's value as the readers give it, in the JSON model's terms. */
function plain(v) {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.getTime();
  return v;
}

/** What the column of that name holds for a stored event (the model). */
function modelColumn(name, event, receivedTs) {
  if (name === 'received_at') return receivedTs;
  if (name === 'country') return null; // served without --geoip: every country is unknown
  if (name === 'raw') return undefined; // compared as parsed JSON
  if (name === 'client_ts') return Number.isInteger(event.client_ts) ? event.client_ts * 1000 : null;
  const v = event[name];
  return v === undefined || (typeof v === 'object' && v !== null) ? null : v;
}

describe('raw export to S3 and to a folder', () => {
  let srv;
  let s3;
  let s3Dir;
  let s3Port;
  let game;
  let summary;
  let stored;      // playstat events: [{obj, line}]
  let rejectedRows; // playstat events --rejected
  let sessions;    // playstat sessions
  const outDir = ps.makeTempDir('export-out');
  const today = new Date().toISOString().slice(0, 10);

  function exportArgs(url, extra = []) {
    return ['export', '--data', srv.dataDir, '--game', String(game.id), '--from', today, '--to', today,
      '--to-url', url, '--every', 'hour', '--format', 'both', '--delay', '-7200', ...extra];
  }
  const s3Url = () => `s3://${BUCKET}/studio/raw?endpoint=http://127.0.0.1:${s3Port}&region=us-east-1`;
  const s3Env = { ...process.env, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' };
  function runExport(args, env = s3Env) {
    return new Promise((resolve) => {
      childProcess.execFile(process.env.PLAYSTAT_BIN, args, { env, encoding: 'utf8', timeout: 120000 },
        (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
    });
  }

  /** The objects s3rver holds under the prefix, key -> Buffer (from its data directory). */
  function s3Objects() {
    const out = new Map();
    for (const [rel, buf] of ps.filesOf(path.join(s3Dir, BUCKET))) {
      const m = /^(.*)\._S3rver_object$/.exec(rel);
      if (m) out.set(m[1], buf);
    }
    return out;
  }

  before(async () => {
    // s3rver behind tests/servers/s3rver-sigv4.js, which checks every request's signature.
    s3Dir = ps.makeTempDir('s3rver');
    s3Port = await new Promise((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => { const { port } = probe.address(); probe.close(() => resolve(port)); });
    });
    s3 = childProcess.spawn(process.execPath, [path.join(ps.SOURCE_DIR, 'tests/servers/s3rver-sigv4.js'), s3Dir, String(s3Port), BUCKET],
      { stdio: ['ignore', 'inherit', 'inherit'] });
    await ps.waitFor(async () => {
      try { return (await ps.request(s3Port, { path: '/__ready', timeoutMs: 1000 })).status === 200; } catch (_) { return false; }
    }, { timeoutMs: 20000, what: 's3rver to answer' });

    srv = await ps.startServer({ name: 'export' });
    game = await ps.createGame(srv.dataDir, 'Exported Game');
    const writer = await createServiceAccount(srv.dataDir, game.project_id, 'writer');
    const res = await ps.runCliStatus(['simulate', '--url', `http://127.0.0.1:${srv.port}`, '--game-key', game.game_key,
      '--secret-key', game.secret_key, '--metrics-key', game.metrics_key, '--token-secret', game.token_secret,
      '--game-id', String(game.id), '--service-key-id', writer.key_id, '--service-secret', writer.secret,
      '--project', game.project_id, '--players', '25', '--days', '3', '--seed', '14', '--speedup', '60',
      '--duration', '4', '--json'], { timeoutMs: 60000 });
    assert.equal(res.code, 0, `simulate: ${res.stderr}`);
    summary = JSON.parse(res.stdout);
    // A few invalid events: they are rejected, and kept for inspection.
    const bad = [{ category: 'design', event_id: 'x' }, { category: 'business', user_id: 'u-rejected', amount: 'ten' }];
    const post = await ps.postEvents(srv.port, game, bad);
    assert.equal(post.status, 400, ps.describeRes(post));
    stored = await ps.readEvents(srv.dataDir, game.id);
    rejectedRows = await ps.readEvents(srv.dataDir, game.id, { rejected: true });
    sessions = await readSessions(srv.dataDir, game.id);
    assert.ok(stored.length > 100 && rejectedRows.length === 2 && sessions.length > 0,
      `traffic: ${stored.length} events, ${rejectedRows.length} rejected, ${sessions.length} sessions`);
  });
  after(async () => {
    if (srv) await srv.stop();
    if (s3) s3.kill('SIGTERM');
    ps.removeDir(outDir);
    ps.removeDir(s3Dir);
  });

  /** Rows of every kind from a set of objects (key -> bytes), Parquet read by both readers. */
  async function rowsOf(objects, format) {
    const rows = Object.fromEntries(KINDS.map((k) => [k, []]));
    const columns = {};
    for (const [key, buf] of [...objects].sort(([a], [b]) => a.localeCompare(b))) {
      const kind = key.split('/').find((part) => KINDS.includes(part));
      if (!key.endsWith(format === 'parquet' ? '.parquet' : '.ndjson.gz')) continue;
      if (format === 'parquet') {
        const got = await readParquet(buf);
        columns[kind] = got.columns;
        rows[kind].push(...got.rows);
      } else {
        const text = zlib.gunzipSync(buf).toString('utf8');
        rows[kind].push(...parseLines(text));
      }
    }
    return { rows, columns };
  }

  /** Every stored event once in rows; every column (names: the Parquet schema's; a column an
   * NDJSON line leaves out is null) equal to the model. */
  function checkEvents(rows, format, names) {
    const byUuid = new Map();
    for (const row of rows) {
      const event = JSON.parse(row.raw);
      assert.ok(event.event_uuid, `${format}: an event without uuid: ${row.raw}`);
      assert.ok(!byUuid.has(event.event_uuid), `${format}: event ${event.event_uuid} exported twice`);
      byUuid.set(event.event_uuid, row);
    }
    assert.equal(byUuid.size, stored.length, `${format}: every stored event once`);
    let compared = 0;
    for (const { obj } of stored) {
      const row = byUuid.get(obj.event_uuid);
      assert.ok(row, `${format}: stored event ${obj.event_uuid} is missing`);
      const { received_ts: receivedTs, ...event } = obj;
      assert.deepEqual(JSON.parse(row.raw), event, `${format}: raw equals the stored event`);
      for (const name of names) {
        if (name === 'raw') continue;
        let got = plain(row[name] === undefined ? null : row[name]);
        if ((name === 'received_at' || name === 'client_ts') && got !== null) {
          if (typeof got === 'string') got = Date.parse(got); // NDJSON: RFC 3339
          if (name === 'received_at') {
            assert.equal(Math.floor(got / 1000), receivedTs, `${format}: received_at of ${obj.event_uuid}`);
            continue;
          }
        }
        const want = name === 'category' ? event.category : modelColumn(name, event, receivedTs);
        assert.deepEqual(got, want, `${format}: column ${name} of ${obj.event_uuid}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`);
        compared += 1;
      }
    }
    assert.ok(compared > stored.length * 10, `${format}: typed values compared (${compared})`);
  }

  function checkOthers(rows, format) {
    assert.deepEqual(rows.rejected.map((r) => JSON.parse(r.raw)), rejectedRows.map((r) => r.obj.event), `${format}: rejected events`);
    assert.deepEqual(rows.rejected.map((r) => JSON.parse(r.errors)), rejectedRows.map((r) => r.obj.errors), `${format}: their errors`);
    const over = sessions.filter((s) => s.state !== 'open' && s.state !== 'live');
    const exported = new Map(rows.msessions.map((r) => [r.session_id, r]));
    assert.equal(exported.size, rows.msessions.length, `${format}: each metrics session once`);
    for (const s of over) {
      const r = exported.get(s.session_id);
      assert.ok(r, `${format}: metrics session ${s.session_id} (${s.state}) exported`);
      assert.deepEqual([r.player, r.platform, r.portal], [s.player, s.platform, s.portal], `${format}: session ${s.session_id}`);
      assert.deepEqual(r.mod_ids === '' ? [] : r.mod_ids.split(',').map(Number), s.mod_ids.map(Number), `${format}: mods of ${s.session_id}`);
    }
    assert.ok(exported.size >= over.length, `${format}: sessions over: ${over.length}, exported ${exported.size}`);
    const mm = summary.channels.matchmaker;
    assert.equal(rows.so_events.length, mm.events_stored, `${format}: every matchmaker event once`);
    for (const r of rows.so_events) {
      const body = JSON.parse(r.raw);
      assert.equal(body.type, r.type, `${format}: so event type`);
      assert.equal(r.project_id, game.project_id);
    }
  }

  it('writes every kind to S3 in Parquet and NDJSON.gz, read back by two independent readers', async () => {
    const res = await runExport(exportArgs(s3Url()));
    assert.equal(res.code, 0, `export: ${res.stderr}`);
    const lines = parseLines(res.stdout);
    assert.ok(lines.length >= KINDS.length * 2 && lines.every((l) => l.written), res.stdout);
    const objects = s3Objects();
    assert.equal(objects.size, lines.length, `one object per line: ${[...objects.keys()]}`);
    for (const key of objects.keys()) assert.match(key, /^studio\/raw\/(events|rejected|msessions|so_events)\/game_id=\d+\/date=\d{4}-\d\d-\d\d\/hour=\d\d\/\w+\.(parquet|ndjson\.gz)$/);
    const parquet = await rowsOf(objects, 'parquet');
    const typeOf = (name) => parquet.columns.events.find((c) => c.name === name).type;
    assert.deepEqual(['session_num', 'client_ts', 'amount', 'jailbroken', 'user_id'].map(typeOf), ['int64', 'timestamp_ms', 'double', 'boolean', 'string']);
    const names = parquet.columns.events.map((c) => c.name);
    assert.equal(names.length, 60, `the events columns: ${names}`);
    assert.deepEqual(names.slice(0, 3), ['received_at', 'category', 'country'], 'the store\'s own columns first');
    checkEvents(parquet.rows.events, 'parquet', names);
    checkOthers(parquet.rows, 'parquet');
    const ndjson = await rowsOf(objects, 'ndjson');
    checkEvents(ndjson.rows.events, 'ndjson.gz', names);
    checkOthers(ndjson.rows, 'ndjson.gz');
  });

  it('a wrong secret is refused by the S3 server and nothing is recorded', async () => {
    const res = await runExport(exportArgs(s3Url(), ['--again']), { ...s3Env, AWS_SECRET_ACCESS_KEY: 'wrong' });
    assert.notEqual(res.code, 0, 'export with a wrong secret fails');
    assert.match(res.stderr, /403|Signature|Access/i, res.stderr);
    assert.doesNotMatch(res.stderr, /wrong/, 'the secret is never printed');
  });

  it('exporting again gives the same bytes; without --again nothing is rewritten', async () => {
    const first = s3Objects();
    const skipped = await runExport(exportArgs(s3Url()));
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.ok(parseLines(skipped.stdout).every((l) => !l.written), `kept: ${skipped.stdout}`);
    const again = await runExport(exportArgs(s3Url(), ['--again']));
    assert.equal(again.code, 0, again.stderr);
    assert.ok(parseLines(again.stdout).every((l) => l.written));
    const second = s3Objects();
    assert.deepEqual([...second.keys()].sort(), [...first.keys()].sort());
    for (const [key, buf] of first) assert.ok(buf.equals(second.get(key)), `${key}: the same bytes`);
  });

  it('to a folder, an export killed after its first object resumes and ends with the same objects', async () => {
    const whole = path.join(outDir, 'whole');
    const cut = path.join(outDir, 'cut');
    const res = await runExport(exportArgs(`file:${whole}`));
    assert.equal(res.code, 0, res.stderr);
    const proc = childProcess.spawn(process.env.PLAYSTAT_BIN, exportArgs(`file:${cut}`), { env: s3Env });
    await new Promise((resolve) => {
      proc.stdout.once('data', () => { proc.kill('SIGKILL'); resolve(); });
      proc.on('exit', resolve);
    });
    await new Promise((resolve) => (proc.exitCode !== null || proc.signalCode ? resolve() : proc.on('exit', resolve)));
    const partial = ps.filesOf(cut);
    assert.ok(partial.size < ps.filesOf(whole).size, `the kill left part of the export (${partial.size} files)`);
    const resumed = await runExport(exportArgs(`file:${cut}`));
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.ok(parseLines(resumed.stdout).some((l) => !l.written), 'the objects written before the kill are kept');
    const a = ps.filesOf(whole);
    const b = ps.filesOf(cut);
    assert.deepEqual([...b.keys()].sort(), [...a.keys()].sort(), 'no temporary file is left, no object is missing');
    for (const [key, buf] of a) assert.ok(buf.equals(b.get(key)), `${key}: the same bytes`);
    // The folder's Parquet files pass both readers too.
    const parquet = await rowsOf(new Map([...a].map(([k, v]) => [k.split(path.sep).join('/'), v])), 'parquet');
    checkEvents(parquet.rows.events, 'parquet (folder)', parquet.columns.events.map((c) => c.name));
  });

  it('serve --export-url writes the same objects on its schedule', async () => {
    const scheduled = path.join(outDir, 'scheduled');
    const reference = path.join(outDir, 'whole');
    await srv.stop({ keepData: true });
    srv = await ps.startServer({ name: 'export-schedule', dataDir: srv.dataDir,
      args: ['--export-url', `file:${scheduled}`, '--export-every', 'hour', '--export-format', 'both', '--export-delay', '-7200'] });
    const want = ps.filesOf(reference);
    await ps.waitFor(() => ps.filesOf(scheduled).size >= want.size, { timeoutMs: 60000, what: 'the scheduled export' });
    const got = ps.filesOf(scheduled);
    for (const [key, buf] of want) assert.ok(got.get(key) && buf.equals(got.get(key)), `${key}: the scheduled object equals the CLI's`);
  });

  it('export and player deletion answer clear errors', async () => {
    const bad = ps.runCliFailing(['export', '--data', srv.dataDir, '--game', String(game.id), '--from', today, '--to', today, '--to-url', 'ftp://x']);
    assert.match(bad.stderr, /--to-url/);
    const noCreds = await runExport(exportArgs(`s3://${BUCKET}/x?endpoint=http://127.0.0.1:${s3Port}`), { PATH: process.env.PATH });
    assert.notEqual(noCreds.code, 0);
    assert.match(noCreds.stderr, /AWS_ACCESS_KEY_ID|credentials/i);
    const badDay = ps.runCliFailing(['export', '--data', srv.dataDir, '--game', String(game.id), '--from', '2026-13-01', '--to', today, '--to-url', `file:${outDir}`]);
    assert.match(badDay.stderr, /YYYY-MM-DD/);
  });
});
