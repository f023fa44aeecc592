'use strict';
// How tests/data/store_v6_expected.json was recorded (kept for reference; not a test).
//
// Run against the v6 `playstat serve` that wrote the fixture, on the same data directory, once
// every metrics session had timed out and the rollups had caught up:
//   node tests/data/record_store_v6.js PORT DATA_DIR > tests/data/store_v6_expected.json
// tests/integration/store_upgrade.test.js replays every request below against the binary under
// test on a restored copy of tests/data/store_v6.sql and requires the same answers.
const fs = require('node:fs');
const path = require('node:path');
const lib = require('../integration/lib/playstat.js');

const creds = JSON.parse(fs.readFileSync(path.join(__dirname, 'store_v6.json'), 'utf8'));
const port = Number(process.argv[2]);
const dataDir = process.argv[3];
const G = `/api/v1/games/${creds.game_id}/metrics`;

// The fixture's days (simulate --now 1792022400 --days 4: 2026-10-11 .. 2026-10-14, plus the
// events and matches sent by hand on 2026-10-12..14), widened by two days before and one after.
const EV = `from=${creds.ranges.events_from}&to=${creds.ranges.events_to}&interval=day`;
// The live phase of the metrics sessions (2026-12-01 21:42:39..21:43:18 UTC): the hour before
// it, its hour; and its minutes 21:30..21:45.
const PT = `from=${creds.ranges.playtime_from}&to=${creds.ranges.playtime_to}&interval=hour`;
const PTM = `from=${creds.ranges.playtime_minute_from}&to=${creds.ranges.playtime_minute_to}&interval=minute`;
const MM = `from=${creds.ranges.events_from}&to=${creds.ranges.events_to}&interval=day`;

const metricQueries = [
  // analytics-event metrics
  ...['dau', 'wau', 'mau', 'new_users', 'avg_session_length', 'sessions_per_user', 'revenue',
    'paying_users', 'arpdau', 'arppu', 'conversion', 'retention', 'progression', 'resources',
    'design', 'errors', 'ads'].map((m) => `${G}/${m}?${EV}`),
  `${G}/sessions?source=events&${EV}`,
  `${G}/funnel?steps=World1:Level01,World1:Level05,World1:Level10,World2:Level01&${EV}`,
  `${G}/funnel?steps=World1:Level01,World1:Level05,World1:Level10,World2:Level01&measure=starts&${EV}`,
  `${G}/progression?prefix=World1&${EV}`,
  `${G}/progression?measure=starts&${EV}`,
  `${G}/progression?measure=fails&${EV}`,
  `${G}/progression?measure=attempts&prefix=World1&${EV}`,
  `${G}/resources?by=item_type&${EV}`,
  `${G}/resources?by=item_id&measure=count&${EV}`,
  `${G}/design?prefix=Combat&${EV}`,
  `${G}/design?prefix=Combat:Kill&measure=mean&${EV}`,
  `${G}/design?measure=sum&${EV}`,
  `${G}/errors?by=message&${EV}`,
  `${G}/ads?by=network&${EV}`,
  `${G}/ads?by=type&${EV}`,
  `${G}/ads?by=placement&${EV}`,
  // group_by and filters
  ...['dau', 'new_users', 'revenue', 'avg_session_length', 'arpdau'].map((m) => `${G}/${m}?group_by=platform&${EV}`),
  `${G}/sessions?source=events&group_by=platform&${EV}`,
  `${G}/dau?group_by=custom_01&${EV}`,
  `${G}/dau?group_by=build&${EV}`,
  ...['dau', 'revenue', 'retention', 'progression', 'design', 'ads'].map((m) => `${G}/${m}?platform=ios&${EV}`),
  `${G}/sessions?source=events&platform=ios&${EV}`,
  `${G}/dau?custom_03=eu&${EV}`,
  `${G}/retention?platform=android&${EV}`,
  // playtime (metrics sessions)
  ...['ccu', 'concurrent_ugc', 'total_players', 'sessions', 'avg_playtime', 'avg_ugc_per_session',
    'session_length_histogram', 'top_mods'].map((m) => `${G}/${m}?${PT}`),
  ...['ccu', 'concurrent_ugc', 'total_players', 'sessions'].map((m) => `${G}/${m}?${PTM}`),
  ...['ccu', 'sessions', 'avg_playtime'].map((m) => `${G}/${m}?group_by=platform&${PT}`),
  `${G}/ccu?group_by=portal&${PTM}`,
  `${G}/ccu?platform=android&${PTM}`,
  `${G}/sessions?portal=google&${PT}`,
  `${G}/sessions?source=sessions&${PT}`,
  // matchmaking
  ...['matches_created', 'allocation_failure_rate', 'time_to_allocation_p50', 'time_to_allocation_p95',
    'players_per_match'].map((m) => `${G}/${m}?${MM}`),
  ...['matches_created', 'players_per_match'].map((m) => `${G}/${m}?group_by=region&${MM}`),
  `${G}/matches_created?group_by=queue&${MM}`,
  `${G}/allocation_failure_rate?group_by=pool&${MM}`,
  `${G}/matches_created?from=${creds.ranges.events_from}&to=${creds.ranges.events_to}&interval=hour`,
  // the game chooser
  '/api/v1/games',
];

const SO = `/session-observability/v1/projects/${creds.project_id}/environments/production/sessions`;
const soSearches = [
  `${SO}?limit=5`,
  `${SO}?limit=500`,
  `${SO}?regionId=eu-west&limit=2`,
  `${SO}?queueName=ranked`,
  `${SO}?poolId=7e2a1c90-1b3d-4f5e-8a6b-0c1d2e3f4a01&createdAfter=2026-10-13T00:00:00Z`,
  `${SO}?updatedAfter=2026-10-12T00:00:00.000Z&limit=4`,
  `${SO}?matchmakingTicketId=07313d67-7c00-43dc-8c5b-ec5fd1abbf33`,
  `${SO}?matchmakingTicketId=hand-backfill-1`,
  `${SO}?matchmakingTicketId=hand-ticket-2`,
  `${SO}?poolName=hand-pool&regionId=eu-central`,
];
const soDocuments = ['9b9026ae-9c5f-47a4-ba79-1fdf7205fd59', 'ff7043e8-074f-4d8c-bbae-c0534071194d',
  '7eff6558-837f-4a9f-a240-f8093ebb66f1', 'hand-failed-1', 'hand-backfill-1', 'hand-failed-2'].map((id) => `${SO}/${id}`);

const bearer = { Authorization: `Bearer ${creds.api_token}` };
const basic = { Authorization: `Basic ${Buffer.from(`${creds.viewer.key_id}:${creds.viewer.secret}`).toString('base64')}` };

async function get(p, headers) {
  const res = await lib.request(port, { path: p, headers });
  if (res.status !== 200 || res.json === undefined) throw new Error(`GET ${p}: ${lib.describeRes(res)}`);
  return res.json;
}

(async () => {
  const out = {
    comment: [
      'Answers of the v6 playstat (commit b6a1ad2) over the data directory dumped in store_v6.sql,',
      'recorded by tests/data/record_store_v6.js after every metrics session had ended or timed out',
      'and the rollups had caught up. Ranges are absolute and in the past: analytics events',
      '2026-10-09..2026-10-15 (the retention cohorts end 2026-10-14, so every day 1..30 of each lies',
      'before 2026-11-14 and no answer depends on the current day), playtime 2026-12-01 20:00..22:00',
      'UTC, matchmaking 2026-10-09..2026-10-15. The server must run with --match-retention-days 3650',
      '(the matches are from October 2026). Search pages: results only (next tokens are opaque).',
    ],
    http: [], so_searches: [], cli: {},
  };
  for (const p of [...metricQueries]) out.http.push({ path: p, auth: 'api_token', body: await get(p, bearer) });
  for (const p of soDocuments) out.http.push({ path: p, auth: 'viewer', body: await get(p, basic) });
  for (const p of soSearches) {
    const pages = [];
    let next = null;
    do {
      const body = await get(next ? `${p}&next=${encodeURIComponent(next)}` : p, basic);
      pages.push(body.results);
      next = body.next;
    } while (next);
    out.so_searches.push({ path: p, auth: 'viewer', pages });
  }
  const lines = async (args) => (await lib.runCli(args)).stdout.split('\n').filter((l) => l.trim() !== '');
  const gid = String(creds.game_id);
  out.cli.events = (await lines(['events', '--data', dataDir, '--game', gid])).length;
  out.cli.events_rejected = (await lines(['events', '--data', dataDir, '--game', gid, '--rejected'])).length;
  out.cli.events_business = (await lines(['events', '--data', dataDir, '--game', gid, '--category', 'business'])).length;
  const sessions = (await lines(['sessions', '--data', dataDir, '--game', gid])).map((l) => JSON.parse(l));
  out.cli.sessions = sessions.length;
  out.cli.sessions_by_state = {};
  for (const s of sessions) out.cli.sessions_by_state[s.state] = (out.cli.sessions_by_state[s.state] || 0) + 1;
  // One request per line: small, and a changed answer shows as a changed line in a diff.
  const lines1 = (xs) => xs.map((x) => `  ${JSON.stringify(x)}`).join(',\n');
  process.stdout.write(`{\n "comment": ${JSON.stringify(out.comment)},\n "http": [\n${lines1(out.http)}\n ],\n` +
    ` "so_searches": [\n${lines1(out.so_searches)}\n ],\n "cli": ${JSON.stringify(out.cli)}\n}\n`);
})().catch((e) => { console.error(e); process.exit(1); });
