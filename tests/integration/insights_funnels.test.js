'use strict';
// Per-user funnels over any events (issue 15), end to end: seeded random players do design,
// progression (Start / Fail / Complete of levels and their parts), resource and business events
// in random orders, with random gaps (seconds to hours, some in the same second), on two
// platforms, over ten days; part of the traffic is sent twice. Every funnel below (with and
// without a window, kind:id steps, progression statuses, a level covering its parts, '*'
// prefixes, a repeated step, a filter, two filters at once, a narrower range) is compared,
// step by step and day by day, with a model computed here from the events the test SENT,
// following the definition of docs/http-api.md (src/store/funnel.h): entry at the first
// step-1 event of the range; step k with the earliest matching event strictly later than
// step k-1's, within the window of the entry.
//
// On SQLite, a store of schema 10 (no funnels' rollup) upgraded to 11 answers the same funnels.
// Without PLAYSTAT_TEST_CH_HTTP the server stores into SQLite; ctest also runs this file inside
// tests/servers/run-with.sh --clickhouse 1 (integration/insights_funnels_clickhouse), where the
// server stores into ClickHouse: both backends must equal the same model.

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const path = require('node:path');

const ps = require('./lib/playstat');
const ev = require('./lib/events');
const { metricPath, assertApiError, assertMetricShape } = require('./lib/insights');
const { mulberry32, simulationSeed } = require('./lib/random');

const SEED = simulationSeed(1515);
const DAY = 86400;
const CH = process.env.PLAYSTAT_TEST_CH_HTTP;

// What players do: [category, event_id] (progression ids carry their status).
const ACTIONS = [
  ['design', 'Shop:Open'], ['design', 'Shop:Close'], ['design', 'ShopKeeper:Talk'], ['design', 'Combat:Kill:Sword'],
  ['progression', 'Start:World1:Level1'], ['progression', 'Complete:World1:Level1'], ['progression', 'Fail:World1:Level1'],
  ['progression', 'Start:World1:Level10'], ['progression', 'Fail:World1:Level10'], ['progression', 'Complete:World1:Level10'],
  ['progression', 'Complete:World1:Level10:Boss'], ['progression', 'Complete:World2:Level1'],
  ['resource', 'Source:Gold:Reward:Quest'], ['resource', 'Sink:Gold:Shop:Sword'], ['resource', 'Sink:Gems:Boost:MegaBoost'],
  ['business', 'gems_pack:gems_100'], ['business', 'gems_pack:gems_500'], ['business', 'starter:bundle'],
];
const PLATFORMS = [['ios', 'ios 17.1'], ['android', 'android 13']];

/** The players' events: { user, t, category, id, platform, custom_01, body }, in no particular
 * order. custom_01: every other player is a whale (independent of the platform). */
function simulate(players, firstDay, days) {
  const rnd = mulberry32(SEED);
  const events = [];
  for (let p = 0; p < players; p++) {
    const user = `funnel-${SEED}-${p}-u`;
    const [platform, osVersion] = PLATFORMS[Math.floor(rnd() * PLATFORMS.length)];
    const custom01 = p % 2 ? 'whale' : 'minnow';
    const session = { user_id: user, session_id: crypto.randomUUID(), session_num: 1 };
    // Favour a few actions per player so that funnels convert now and then.
    const likes = ACTIONS.filter(() => rnd() < 0.45);
    let t = (firstDay + Math.floor(rnd() * days)) * DAY + Math.floor(rnd() * DAY);
    const n = 3 + Math.floor(rnd() * 25);
    for (let i = 0; i < n; i++) {
      const r = rnd();
      t += r < 0.15 ? 0 : r < 0.6 ? Math.floor(rnd() * 600) : r < 0.9 ? Math.floor(rnd() * 7200) : Math.floor(rnd() * 2 * DAY);
      if (t >= (firstDay + days) * DAY) break;
      const pool = likes.length && rnd() < 0.8 ? likes : ACTIONS;
      const [category, id] = pool[Math.floor(rnd() * pool.length)];
      const fields = { event_id: id, client_ts: t, platform, os_version: osVersion, custom_01: custom01 };
      if (category === 'business') Object.assign(fields, { amount: 99, currency: 'USD' });
      if (category === 'resource') fields.amount = 5;
      const body = ev.makeEvent(category, session, fields);
      if (category === 'progression' && !id.startsWith('Complete:')) { delete body.attempt_num; delete body.score; }
      events.push({ user, t, category, id, platform, custom_01: custom01, body });
    }
  }
  // Edges: a step exactly at the end of an hour's window (in), a second later (out), a step in
  // the same second as the previous one (not after it).
  const edge = (user, t0, plan) => {
    const session = { user_id: user, session_id: crypto.randomUUID(), session_num: 1 };
    for (const [category, id, dt] of plan) {
      const fields = { event_id: id, client_ts: t0 + dt, platform: 'ios', os_version: 'ios 17.1' };
      if (category === 'business') Object.assign(fields, { amount: 99, currency: 'USD' });
      events.push({ user, t: t0 + dt, category, id, platform: 'ios', body: ev.makeEvent(category, session, fields) });
    }
  };
  const t0 = (firstDay + 4) * DAY + 5000;
  edge(`funnel-${SEED}-edge-in`, t0, [['progression', 'Complete:World1:Level1', 0], ['design', 'Shop:Open', 1800], ['business', 'gems_pack:gems_100', 3600]]);
  edge(`funnel-${SEED}-edge-out`, t0, [['progression', 'Complete:World1:Level1', 0], ['design', 'Shop:Open', 1800], ['business', 'gems_pack:gems_100', 3601]]);
  edge(`funnel-${SEED}-edge-tie`, t0, [['progression', 'Complete:World1:Level1', 0], ['design', 'Shop:Open', 0], ['business', 'gems_pack:gems_100', 0]]);
  return events;
}

// ---- the model (docs/http-api.md, "Funnels") ----

/** A step as the API reads it: kind:id (no kind: progression), a trailing '*' a plain prefix. */
function parseStep(text, defaultStatus) {
  const m = /^(design|progression|resource|business):(.*)$/.exec(text);
  const kind = m ? m[1] : 'progression';
  let id = m ? m[2] : text;
  const prefix = id.endsWith('*');
  if (prefix) id = id.slice(0, -1);
  let status = null;
  if (kind === 'progression') {
    const s = /^(Start|Fail|Complete):(.*)$/.exec(id);
    status = s ? s[1] : defaultStatus;
    if (s) id = s[2];
  }
  return { kind, id, prefix, status };
}

/** Whether the event (category, event_id as sent) is one of the step. */
function stepCovers(step, e) {
  if (e.category !== step.kind) return false;
  let id = e.id;
  if (step.kind === 'progression') {
    const [status, ...rest] = id.split(':');
    if (status !== step.status) return false;
    id = rest.join(':');
  }
  if (step.prefix) return id.startsWith(step.id);
  return id === step.id || id.startsWith(`${step.id}:`);
}

/** Users reaching each step (and by day of entry) over [fromS, toS). */
function modelFunnel(events, { steps, window = 0, platform = null, custom_01: custom01 = null, measure = null }, fromS, toS) {
  const defaultStatus = { starts: 'Start', fails: 'Fail' }[measure] || 'Complete';
  const parsed = steps.split(',').map((s) => parseStep(s, defaultStatus));
  const fromDay = Math.floor(fromS / DAY);
  const ndays = Math.ceil(toS / DAY) - fromDay;
  const reached = parsed.map(() => 0);
  const byDay = parsed.map(() => new Array(ndays).fill(0));
  const byUser = new Map();
  for (const e of events) {
    if (e.t < fromS || e.t >= toS || (platform && e.platform !== platform) || (custom01 && e.custom_01 !== custom01)) continue;
    if (!byUser.has(e.user)) byUser.set(e.user, []);
    byUser.get(e.user).push(e);
  }
  for (const list of byUser.values()) {
    // The entry: the user's first step-1 event; then for each step the earliest event of it
    // strictly later than the previous step's, within the window of the entry.
    const first = list.filter((e) => stepCovers(parsed[0], e)).map((e) => e.t);
    if (!first.length) continue;
    const entry = Math.min(...first);
    let last = entry;
    let depth = 1;
    for (let k = 1; k < parsed.length; k++) {
      const next = list.filter((e) => stepCovers(parsed[k], e) && e.t > last && (!window || e.t - entry <= window)).map((e) => e.t);
      if (!next.length) break;
      last = Math.min(...next);
      depth = k + 1;
    }
    for (let k = 0; k < depth; k++) {
      reached[k] += 1;
      byDay[k][Math.floor(entry / DAY) - fromDay] += 1;
    }
  }
  return { reached, byDay, keys: steps.split(',') };
}

describe(`per-user funnels over any events (${CH ? 'ClickHouse' : 'SQLite'} event store)`, () => {
  const work = ps.makeTempDir('funnels');
  const stateDir = path.join(work, 'state');
  let srv;
  let game;
  let token;
  let events;
  const todayDay = Math.floor(Date.now() / 1000 / DAY);
  const firstDay = todayDay - 10;
  const get = (p) => ps.request(srv.port, { path: p, headers: { Authorization: `Bearer ${token}` } });
  const funnelPath = (params, fromS, toS) => metricPath(game.id, 'funnel', { from: fromS, to: toS - 1, ...params });

  before(async () => {
    require('node:fs').mkdirSync(stateDir, { recursive: true });
    game = await ps.createGame(stateDir, 'Funnel Game');
    token = (await ps.runCli(['api-token', 'create', '--data', stateDir])).stdout.trim();
    srv = CH
      ? await ps.startServer({
        name: 'funnels-clickhouse', dataDir: path.join(work, 'data'),
        args: ['--store', `clickhouse://${CH.split(',')[0]}/funnels_${crypto.randomBytes(4).toString('hex')}?spool=${path.join(work, 'spool')}`,
          '--state', `sqlite:${stateDir}`],
      })
      : await ps.startServer({ name: 'funnels', dataDir: stateDir });
    events = simulate(160, firstDay, 10);
    const rnd = mulberry32(SEED + 1);
    const order = events.map((e, i) => [rnd(), i]).sort((a, b) => a[0] - b[0]).map(([, i]) => events[i]);
    for (let i = 0; i < order.length; i += 150) {
      const res = await ps.postEvents(srv.port, game, order.slice(i, i + 150).map((e) => e.body));
      assert.equal(res.status, 200, ps.describeRes(res));
    }
    // A client resending a batch it did not see answered: the same events count once.
    const again = await ps.postEvents(srv.port, game, order.slice(0, 150).map((e) => e.body));
    assert.equal(again.status, 200, ps.describeRes(again));
    // Stored once the answer came (SQLite); ClickHouse ships its spool every second.
    const designs = events.filter((e) => e.category === 'design').length;
    await ps.waitFor(async () => {
      const res = await get(metricPath(game.id, 'design', { from: firstDay * DAY, to: todayDay * DAY, measure: 'count' }));
      return res.status === 200 && res.json.total === designs;
    }, { timeoutMs: 60000, everyMs: 300, what: 'the event store to hold every event' });
  });
  after(async () => {
    if (srv && srv.alive) await srv.stop();
    ps.removeDir(work);
  });

  /** The answer of a funnel equals the model, step by step and day by day. */
  async function assertFunnel(params, fromS, toS) {
    const res = await get(funnelPath(params, fromS, toS));
    const what = `funnel ${JSON.stringify(params)} [${fromS}, ${toS}) (seed ${SEED})`;
    assert.equal(res.status, 200, `${what}: ${res.text}`);
    assertMetricShape(res.json, 'funnel', what);
    const want = modelFunnel(events, params, fromS, toS);
    assert.deepEqual(res.json.groups.map((g) => g.key), want.keys, `${what}: one group per step, in order`);
    res.json.groups.forEach((g, k) => {
      assert.equal(g.total, want.reached[k], `${what}: users reaching step ${k + 1} (${g.key})`);
      assert.deepEqual(g.points.map((p) => p.v), want.byDay[k], `${what}: step ${k + 1} by day of entry`);
      const first = want.reached[0];
      const prev = k ? want.reached[k - 1] : first;
      assert.ok(Math.abs(g.conversion - (first ? want.reached[k] / first : 0)) < 1e-12, `${what}: step ${k + 1} conversion ${g.conversion}`);
      assert.ok(Math.abs(g.from_previous - (prev ? want.reached[k] / prev : 0)) < 1e-12, `${what}: step ${k + 1} from_previous ${g.from_previous}`);
      assert.equal(g.drop_off, prev - want.reached[k], `${what}: step ${k + 1} drop_off`);
    });
    const lastK = want.reached.length - 1;
    assert.equal(res.json.total, want.reached[lastK], `${what}: the whole is the last step`);
    assert.deepEqual(res.json.points.map((p) => p.v), want.byDay[lastK], `${what}: the whole by day`);
    assert.equal(res.json.points[0].t, Math.floor(fromS / DAY) * DAY, `${what}: daily points from the first day`);
    return want;
  }

  const from = () => firstDay * DAY;
  const to = () => todayDay * DAY;

  it('mixed kinds, with and without a window, equal the model', async () => {
    const steps = 'progression:World1:Level1,design:Shop:Open,business:gems_pack';
    const open = await assertFunnel({ steps }, from(), to());
    const hour = await assertFunnel({ steps, window: 3600 }, from(), to());
    assert.ok(open.reached[0] > 20 && open.reached[2] > 0, `the simulation converts some players: ${open.reached}`);
    assert.ok(hour.reached[2] < open.reached[2], `a window of an hour loses players: ${hour.reached} vs ${open.reached}`);
    await assertFunnel({ steps: 'design:Shop:Open,resource:Sink:Gold,progression:Complete:World1:Level10', window: 7200 }, from(), to());
    await assertFunnel({ steps: 'resource:Source,design:Combat,business:starter:bundle,design:Shop', window: 2 * DAY }, from(), to());
  });

  it('a level covers its parts, not its namesakes; statuses, prefixes and repeated steps', async () => {
    // World1:Level10 covers World1:Level10:Boss; World1:Level1 covers neither.
    const levels = await assertFunnel({ steps: 'progression:World1:Level1,progression:World1:Level10' }, from(), to());
    const boss = modelFunnel(events, { steps: 'progression:World1:Level10' }, from(), to()).reached[0];
    const bossOnly = modelFunnel(events, { steps: 'progression:World1:Level10:Boss' }, from(), to()).reached[0];
    assert.ok(bossOnly > 0 && boss > bossOnly, `the simulation has boss completes and level completes: ${boss} ${bossOnly}`);
    assert.ok(levels.reached[0] > 0);
    await assertFunnel({ steps: 'progression:Start:World1:Level10,progression:Fail:World1:Level10,progression:Complete:World1:Level10', window: DAY }, from(), to());
    // measure: the status of progression steps that name none; a step without a kind is progression.
    await assertFunnel({ steps: 'progression:World1,World1:Level10,business:*', measure: 'starts' }, from(), to());
    await assertFunnel({ steps: 'World1:Level1,design:Shop:Open', measure: 'fails', window: 5000 }, from(), to());
    // design:Shop covers Shop:Open and Shop:Close; design:Shop* covers ShopKeeper:Talk too.
    const parts = await assertFunnel({ steps: 'design:Shop,design:Combat:Kill' }, from(), to());
    const prefix = await assertFunnel({ steps: 'design:Shop*,design:Combat:Kill' }, from(), to());
    assert.ok(prefix.reached[0] > parts.reached[0], `'*' takes in ShopKeeper: ${prefix.reached} vs ${parts.reached}`);
    // The same step twice: done again in a later second.
    await assertFunnel({ steps: 'design:Shop:Open,design:Shop:Open,design:Shop:Open', window: 3 * DAY }, from(), to());
    await assertFunnel({ steps: 'resource:Sink:Gems:Boost:MegaBoost,resource:Sink:Gems:Boost:MegaBoost' }, from(), to());
  });

  it('a filter and a narrower range keep only their events', async () => {
    const steps = 'progression:World1:Level1,design:Shop:Open,business:gems_pack';
    for (const platform of ['ios', 'android']) {
      await assertFunnel({ steps, platform }, from(), to());
      await assertFunnel({ steps, platform, window: 3600 }, from(), to());
    }
    // Events before the range do not enter anyone, events after it do not convert anyone.
    await assertFunnel({ steps }, (firstDay + 3) * DAY, (firstDay + 7) * DAY);
    await assertFunnel({ steps: 'design:Shop,resource:Sink', window: 4 * 3600 }, (firstDay + 2) * DAY, (firstDay + 5) * DAY);
    // Two filters at once (the per-user form): the events carrying both values.
    for (const [platform, custom01] of [['ios', 'whale'], ['android', 'minnow']]) {
      const both = await assertFunnel({ steps, platform, custom_01: custom01 }, from(), to());
      const one = modelFunnel(events, { steps, platform }, from(), to());
      assert.ok(both.reached[0] > 0 && both.reached[0] < one.reached[0], `${platform} ${custom01}: fewer than ${platform} alone: ${both.reached} ${one.reached}`);
      await assertFunnel({ steps, platform, custom_01: custom01, window: 3600 }, from(), to());
    }
    // The older form (progression ids, no window) takes one filter at a time: 400 says so.
    const older = await get(funnelPath({ steps: 'World1:Level1,World1:Level10', platform: 'ios', custom_01: 'whale' }, from(), to()));
    assert.equal(older.status, 400, older.text);
    assert.match(older.json.message, /funnel takes one filter at a time.*window= or kind:id steps/);
    // A platform nobody has: every step reaches nobody.
    const none = await get(funnelPath({ steps, platform: 'windows' }, from(), to()));
    assert.equal(none.status, 200, none.text);
    assert.deepEqual(none.json.groups.map((g) => [g.key, g.total, g.conversion, g.drop_off]), steps.split(',').map((s) => [s, 0, 0, 0]));
  });

  it('the older progression form keeps its answer (events per step), bad funnels are refused with 400', async () => {
    // No kind and no window: completes per progression id and day, as before (no conversion).
    const old = await get(funnelPath({ steps: 'World1:Level1,World1:Level10' }, from(), to()));
    assert.equal(old.status, 200, old.text);
    const completes = (id) => events.filter((e) => e.id === `Complete:${id}` || e.id.startsWith(`Complete:${id}:`)).length;
    assert.deepEqual(old.json.groups.map((g) => [g.key, g.total, 'conversion' in g]),
      [['World1:Level1', completes('World1:Level1'), false], ['World1:Level10', completes('World1:Level10'), false]]);
    const bad = [
      { steps: 'design:Shop', window: '0' }, { steps: 'design:Shop', window: 'hour' }, { steps: 'design:Shop', window: '-5' },
      { steps: 'design:' }, { steps: 'design:Shop,' }, { steps: 'design:Sh*op' }, { steps: 'progression:Complete:' },
      { steps: 'design:Shop', measure: 'attempts' }, { steps: 'design:Shop', group_by: 'platform' },
      { steps: Array.from({ length: 17 }, (_, i) => `design:S${i}`).join(',') },
      { window: '60' },
    ];
    for (const params of bad) {
      const res = await get(funnelPath(params, from(), to()));
      assertApiError(res, 400, `funnel ${JSON.stringify(params)}`);
    }
  });

  if (!CH) {
    it('a store of schema 10 upgraded to 11 answers every funnel from the events it holds', async () => {
      // What schema 10 had: no funnels' rollup (funnels read the raw events then).
      await srv.stop({ keepData: true });
      require('node:child_process').execFileSync('sqlite3', [path.join(stateDir, 'playstat.db'),
        'DROP TABLE ga_funnel_times; PRAGMA user_version = 10;']);
      srv = await ps.startServer({ name: 'funnels-upgraded', dataDir: stateDir });
      assert.match(srv.log(), /upgraded the database from schema 10 to 1\d/); // 11 or later
      const steps = 'progression:World1:Level1,design:Shop:Open,business:gems_pack';
      await assertFunnel({ steps, window: 3600 }, from(), to());
      await assertFunnel({ steps, platform: 'ios' }, from(), to());
      await assertFunnel({ steps: 'design:Shop*,design:Combat:Kill,resource:Sink', window: DAY }, (firstDay + 2) * DAY, (firstDay + 5) * DAY);
      await assertFunnel({ steps: 'progression:Start:World1:Level10,progression:Fail:World1:Level10,progression:Complete:World1:Level10', window: DAY }, from(), to());
    });
  }
});
