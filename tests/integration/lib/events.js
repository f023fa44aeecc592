'use strict';
// Realistic, valid GameAnalytics v2 events for every category the collector accepts.
// Each builder returns a fresh object with a random event_uuid; keys are in the order a client
// would write them (shared annotations first), so JSON.stringify gives a stable wire form.

const crypto = require('node:crypto');

const CATEGORIES = ['user', 'session_end', 'business', 'resource', 'progression', 'design', 'error',
  'ads', 'impression', 'sdk_error', 'health', 'sdk_init'];

function uuid() { return crypto.randomUUID(); }

/** A player's session: the shared annotations that stay the same across its events. */
function newSession(overrides = {}) {
  return {
    user_id: `player-${crypto.randomBytes(6).toString('hex')}`,
    session_id: uuid(),
    session_num: 3,
    ...overrides,
  };
}

/** The default annotations (seed: "Default annotations (shared)"). */
function shared(session = newSession(), overrides = {}) {
  return {
    v: 2,
    event_uuid: uuid(),
    user_id: session.user_id,
    client_ts: Math.floor(Date.now() / 1000),
    sdk_version: 'rest api v2',
    os_version: 'ios 17.1',
    manufacturer: 'apple',
    device: 'iPhone15,2',
    platform: 'ios',
    session_id: session.session_id,
    session_num: session.session_num,
    connection_type: 'wifi',
    build: '1.4.2',
    ...overrides,
  };
}

const FIELDS = {
  user: () => ({ category: 'user' }),
  session_end: () => ({ category: 'session_end', length: 754 }),
  business: () => ({
    category: 'business', event_id: 'BlueGemPack:blue_gems_100', amount: 499, currency: 'USD',
    transaction_num: 2, cart_type: 'shop_main',
    receipt_info: { receipt: 'MIIT8gYJKoZIhvcNAQcCoIIT4zCCE98CAQExCzAJBgUrDgMCGgUAMIIDkw', store: 'apple' },
  }),
  resource: () => ({ category: 'resource', event_id: 'Sink:Gems:Boost:MegaBoost', amount: -25.5 }),
  progression: () => ({
    category: 'progression', event_id: 'Complete:PirateIsland:SandyHills', attempt_num: 2, score: 1234,
  }),
  design: () => ({ category: 'design', event_id: 'GamePlay:Kill:AlienSmurf', value: 0.1 }),
  error: () => ({
    category: 'error', severity: 'critical',
    message: 'NullReferenceException: Object reference not set to an instance of an object\n  at Level.Load () [0x00012] in <b1a4>:0 — café ✓',
  }),
  ads: () => ({
    category: 'ads', ad_sdk_name: 'admob', ad_placement: 'end_of_level', ad_type: 'rewarded_video',
    ad_action: 'show', ad_duration: 30000, ad_first: true,
  }),
  impression: () => ({
    category: 'impression', ad_network_name: 'applovin', ad_network_version: '11.11.3',
    impression_data: {
      country: 'US', network_name: 'AppLovin', adunit_id: 'a1b2c3d4e5f6', adunit_format: 'REWARDED',
      placement: 'end_of_level', revenue: 0.0125, precision: 'publisher_defined',
    },
  }),
  health: () => ({
    category: 'health', fps_data_table: { 30: 12, 60: 240 }, memory_sys_total: 6144, memory_app_peak: 612,
    cpu_model: 'apple a16', hardware: 'iPhone15,2', app_boot_time: 1830,
  }),
  sdk_init: () => ({ category: 'sdk_init', app_boot_time: 1830, init_time: 212, first_launch: false }),
};

/** A valid event of `category`, with `overrides` merged last. */
function makeEvent(category, session, overrides = {}) {
  if (category === 'sdk_error') {
    // sdk_error has no user_id, session_id, client_ts or session_num (PROTOCOLS.md §1).
    return {
      v: 2, event_uuid: uuid(), category: 'sdk_error', sdk_version: 'javascript 4.4.6',
      os_version: 'windows 10.0', manufacturer: 'unknown', device: 'unknown', platform: 'windows',
      connection_type: 'lan', error_category: 'http', error_area: 'events_http',
      error_action: 'fail_http_json_decode', reason: 'unexpected token < in JSON at position 0',
      ...overrides,
    };
  }
  const f = FIELDS[category];
  if (!f) throw new Error(`unknown category ${category}`);
  return { ...shared(session), ...f(), ...overrides };
}

/** One valid event of every category. */
function oneOfEach(session = newSession()) {
  return CATEGORIES.map((c) => makeEvent(c, session));
}

/** A realistic mixed batch of n valid events of one session. */
function mixedBatch(n, session = newSession()) {
  const cats = ['design', 'progression', 'resource', 'design', 'business', 'error', 'design', 'ads'];
  const out = [];
  for (let i = 0; i < n; i++) out.push(makeEvent(cats[i % cats.length], session));
  return out;
}

module.exports = { CATEGORIES, uuid, newSession, shared, makeEvent, oneOfEach, mixedBatch };
