'use strict';
// What was sent by hand to the v6 server that wrote tests/data/store_v6.sql, after
// `playstat simulate` (kept for reference; not a test):
//   node tests/data/store_v6_hand.js PORT DATA_DIR [analytics|matches|metrics]
// (credentials from tests/data/store_v6.json): one valid analytics event of every category, four
// invalid ones (stored as rejected events), the README's example event, and three matches of the
// session observability API (two failed allocations, one backfill; events out of order and one
// resent), and live metrics sessions (one ended, two never ended).
const fs = require('node:fs');
const path = require('node:path');
const lib = require('../integration/lib/playstat.js');
const ev = require('../integration/lib/events.js');

const creds = JSON.parse(fs.readFileSync(path.join(__dirname, 'store_v6.json'), 'utf8'));
const port = Number(process.argv[2]);
const game = { game_key: creds.game_key, secret_key: creds.secret_key };

async function analytics() {
  const session = { user_id: 'hand-player-1', session_id: 'de305d54-75b4-431b-adb2-eb6b9e546014', session_num: 1 };
  let n = 0;
  const fixedUuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;
  const valid = ev.CATEGORIES.map((c) => ev.makeEvent(c, session, { event_uuid: fixedUuid(),
    ...(c === 'sdk_error' ? {} : { client_ts: 1791990000 }) }));
  let res = await lib.postEvents(port, game, valid);
  console.log('valid', res.status, res.text);
  const invalid = [
    { category: 'design', v: 2, user_id: 'hand-player-1', client_ts: 1791990100, sdk_version: 'rest api v2',
      os_version: 'ios 17.1', manufacturer: 'apple', device: 'iPhone15,2', platform: 'ios',
      session_id: 'de305d54-75b4-431b-adb2-eb6b9e546014', session_num: 1 }, // no event_id
    { ...ev.makeEvent('business', session, { event_uuid: fixedUuid(), client_ts: 1791990200 }), amount: 'lots' },
    { ...ev.makeEvent('progression', session, { event_uuid: fixedUuid(), client_ts: 1791990300 }), event_id: 'Nope:World1' },
    { category: 'bogus', v: 2, user_id: 'hand-player-1' },
  ];
  res = await lib.postEvents(port, game, invalid);
  console.log('invalid batch', res.status, res.text);
  res = await lib.postEvents(port, game, [{ category: 'design', event_id: 'Tutorial:Start', v: 2, user_id: 'u1',
    client_ts: 1791995000, sdk_version: 'rest api v2', os_version: 'ios 17.1', manufacturer: 'apple',
    device: 'iPhone15,2', platform: 'ios', session_id: 'de305d54-75b4-431b-adb2-eb6b9e546015', session_num: 1 }]);
  console.log('readme', res.status, res.text);
}

async function matches() {
  const auth = `Basic ${Buffer.from(`${creds.writer.key_id}:${creds.writer.secret}`).toString('base64')}`;
  const SO = `/session-observability/v1/projects/${creds.project_id}/environments/production/sessions`;
  const post = async (id, events) => {
    const res = await lib.request(port, { method: 'POST', path: `${SO}/${id}/events`,
      headers: { Authorization: auth, 'Content-Type': 'application/json' }, body: JSON.stringify(events) });
    console.log(id, res.status, res.text);
  };
  const gm = { poolId: 'hand-pool', poolName: 'hand-pool', queueId: 'hand-q', queueName: 'hand-queue' };
  await post('hand-failed-1', [
    { type: 'match.created', timestamp: '2026-10-12T18:00:00.125Z', gameMode: gm, appliedRules: [{ name: 'skill', value: 3 }],
      teams: [{ id: 'a', name: 'A', playerIds: ['steam:1', 'steam:2'] }, { id: 'b', name: 'B', playerIds: ['steam:3', 'steam:4'] }] },
    { type: 'players.assigned', timestamp: '2026-10-12T18:00:00.200Z', assignmentStatus: 'Found',
      players: [{ id: 'steam:1', ticketId: 'hand-ticket-1', customData: { skill: 1200 } }, { id: 'steam:3', ticketId: 'hand-ticket-2' }] },
    { type: 'allocation.requested', timestamp: '2026-10-12T18:00:00.300Z', regionId: 'eu-central' },
    { type: 'allocation.failed', timestamp: '2026-10-12T18:00:04.500Z', reason: 'no capacity' },
  ]);
  const ev2 = [
    { type: 'allocation.succeeded', timestamp: '2026-10-13T09:30:02.750Z' },
    { type: 'allocation.requested', timestamp: '2026-10-13T09:30:00.500Z', regionId: 'eu-central' },
    { type: 'match.created', timestamp: '2026-10-13T09:30:00.000Z', gameMode: gm,
      teams: [{ id: 'a', name: 'A', playerIds: ['steam:1', 'steam:5'] }, { id: 'b', name: 'B', playerIds: ['steam:6', 'steam:7'] }] },
    { type: 'players.disconnected', timestamp: '2026-10-13T09:40:00.000Z', players: [{ id: 'steam:5' }] },
    { type: 'backfill.match.created', timestamp: '2026-10-13T09:40:01.000Z', backfillTicketId: 'hand-backfill-1', gameMode: gm,
      teams: [{ id: 'a', name: 'A', playerIds: ['steam:1', 'steam:8'] }, { id: 'b', name: 'B', playerIds: ['steam:6', 'steam:7'] }] },
    { type: 'players.connected', timestamp: '2026-10-13T09:40:05.000Z', players: [{ id: 'steam:8', ticketId: 'hand-ticket-3', qosResults: [{ regionId: 'eu-central', latency: 21 }] }] },
  ];
  await post('hand-backfill-1', ev2.slice(0, 3)); // out of order
  await post('hand-backfill-1', ev2.slice(2)); // match.created again: a duplicate
  await post('hand-failed-2', [
    { type: 'match.created', timestamp: '2026-10-14T12:00:00.000Z', gameMode: gm, teams: [{ id: 'a', name: 'A', playerIds: ['xbox:1'] }] },
    { type: 'allocation.requested', timestamp: '2026-10-14T12:00:01.000Z', regionId: 'us-east' },
    { type: 'allocation.failed', timestamp: '2026-10-14T12:00:09.000Z' },
  ]);
}

// Metrics sessions by hand, live (the server only takes session_ts near its clock): one ended
// after two heartbeats, two left without an end (timed out), one with ids sent as a string.
async function metricsSessions() {
  const crypto = require('node:crypto');
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const send = async (player, kind, body, platform, portal) => {
    const { stdout } = await lib.runCli(['token', '--data', process.argv[3], '--game', String(creds.game_id), '--player', player]);
    const res = await lib.request(port, { method: 'POST', path: `/g-${creds.game_id}/v1/metrics/sessions/${kind}`,
      headers: { Authorization: `Bearer ${stdout.trim()}`, 'Content-Type': 'application/json',
        'X-Modio-Platform': platform, 'X-Modio-Portal': portal }, body: JSON.stringify(body) });
    console.log('metrics', kind, player, res.status, res.text);
  };
  const session = (ids, idsText) => {
    const id = crypto.randomUUID();
    let order = 0;
    const req = (kind) => {
      const ts = String(Math.floor(Date.now() / 1000));
      const nonce = crypto.randomBytes(9).toString('base64url');
      const msg = (kind === 'start' ? ids.join(',') : '') + ts + id + nonce;
      const hash = crypto.createHmac('sha256', creds.metrics_key).update(msg).digest('hex');
      const body = { session_id: id, session_ts: ts, session_hash: hash, session_nonce: nonce, session_order_id: ++order };
      if (kind === 'start') body.ids = idsText ? ids.join(',') : ids;
      return body;
    };
    return req;
  };
  const a = session([2400, 2401]), b = session([2402]), c = session([2400, 2403, 2405], true);
  await send('hand-player-1', 'start', a('start'), 'windows', 'steam');
  await send('hand-player-2', 'start', b('start'), 'ps5', 'psn');
  await send('hand-player-3', 'start', c('start'), 'android', 'google');
  await sleep(1500);
  await send('hand-player-1', 'heartbeat', a('heartbeat'), 'windows', 'steam');
  await send('hand-player-2', 'heartbeat', b('heartbeat'), 'ps5', 'psn');
  await sleep(1500);
  await send('hand-player-1', 'heartbeat', a('heartbeat'), 'windows', 'steam');
  await sleep(1000);
  await send('hand-player-1', 'end', a('end'), 'windows', 'steam');
}

const only = process.argv[4];
(async () => {
  if (!only || only === 'analytics') await analytics();
  if (!only || only === 'matches') await matches();
  if (!only || only === 'metrics') await metricsSessions();
})().catch((e) => { console.error(e); process.exit(1); });
