// catalog.js: every metric the dashboard shows: the API name and fixed parameters, which
// family answers it (and so which filters and intervals apply), how its values read, and what
// a game must send before it has any (the empty state's words).
//
// Families (docs/http-api.md): 'sessions' = metrics sessions (filters platform, portal; any
// interval), 'events' = analytics events (the platform and one dimension filter: build,
// os_version, custom_01..03; daily; the event families progression ... ads one at a time),
// 'matchmaking' = multiplayer sessions (no filter). A metric marked
// groupable takes group_by=<one of its family's GROUP_BY dimensions> (the view's `group`).

const SEND_SESSIONS = 'Start metrics sessions from your game (POST /v1/metrics/sessions/start, then heartbeats) to see';
const SEND_USERS = 'Send analytics user events (category "user", one per session start) to see';
const SEND_BUSINESS = 'Send business events (amount in cents and a currency) to see';

const M = (name, family, kind, label, hint, params = {}) => ({ name, family, kind, label, hint, params, groupable: true });
/** A metric with groups of its own (per currency, per cohort, per id...): no group_by. */
const OWN = (m) => ({ ...m, groupable: false });
/** A family that takes one event filter at a time (GET /api/v1/metrics: "combine": false):
 * the dashboard asks it nothing with two, and the panel says why (refusal). */
const ONE = (m) => ({ ...m, oneFilter: true });

export const METRICS = {
  ccu: M('ccu', 'sessions', 'count', 'Concurrent players', `${SEND_SESSIONS} concurrent players.`),
  concurrent_ugc: M('concurrent_ugc', 'sessions', 'count', 'Concurrent UGC', `${SEND_SESSIONS} concurrent mods in use (sessions name their mod ids).`),
  total_players: M('total_players', 'sessions', 'count', 'Players', `${SEND_SESSIONS} players.`),
  play_sessions: M('sessions', 'sessions', 'count', 'Play sessions', `${SEND_SESSIONS} play sessions.`),
  avg_playtime: M('avg_playtime', 'sessions', 'seconds', 'Average playtime', `End metrics sessions (POST /v1/metrics/sessions/end) to see playtime.`),
  avg_ugc_per_session: M('avg_ugc_per_session', 'sessions', 'count', 'Mods per session', `${SEND_SESSIONS} mods per session.`),
  session_length_histogram: OWN(M('session_length_histogram', 'sessions', 'count', 'Session lengths', 'End metrics sessions to see how long they last.')),
  top_mods: OWN(M('top_mods', 'sessions', 'seconds', 'Top mods by playtime', 'Start metrics sessions with mod ids ("ids": [...]) to see the most played mods.')),

  dau: M('dau', 'events', 'count', 'Daily active users', `${SEND_USERS} daily active users.`),
  wau: M('wau', 'events', 'count', 'Weekly active users', `${SEND_USERS} weekly active users.`),
  mau: M('mau', 'events', 'count', 'Monthly active users', `${SEND_USERS} monthly active users.`),
  new_users: M('new_users', 'events', 'count', 'New users', `${SEND_USERS} new users.`),
  sessions: M('sessions', 'events', 'count', 'Sessions', `${SEND_USERS} sessions.`, { source: 'events' }),
  avg_session_length: M('avg_session_length', 'events', 'seconds', 'Average session length', 'Send session_end events with their length to see session lengths.'),
  sessions_per_user: M('sessions_per_user', 'events', 'decimal', 'Sessions per user', `${SEND_USERS} sessions per user.`),
  retention: OWN(M('retention', 'events', 'share', 'Retention', 'Send user events on several days: retention counts the players who come back after their first day.')),
  revenue: OWN(M('revenue', 'events', 'money', 'Revenue', `${SEND_BUSINESS} revenue.`)),
  ltv: OWN(M('ltv', 'events', 'money', 'LTV', `${SEND_BUSINESS} LTV, with user events (a cohort is the users new on a day).`)),
  paying_users: M('paying_users', 'events', 'count', 'Paying users', `${SEND_BUSINESS} paying users.`),
  arpdau: M('arpdau', 'events', 'money', 'ARPDAU', `${SEND_BUSINESS} revenue per daily active user.`),
  arppu: M('arppu', 'events', 'money', 'ARPPU', `${SEND_BUSINESS} revenue per paying user.`),
  conversion: M('conversion', 'events', 'share', 'Conversion', `${SEND_BUSINESS} the share of active users who pay.`),
  progression: ONE(OWN(M('progression', 'events', 'count', 'Progression', 'Send progression events (Start, Fail, Complete with progression ids like World1:Level1) to see progression.'))),
  funnel: ONE(OWN(M('funnel', 'events', 'count', 'Funnel', 'Send progression events to see how many players get through each step.'))),
  resources: ONE(OWN(M('resources', 'events', 'count', 'Resources', 'Send resource events (Source or Sink, a virtual currency, an item type and id, an amount) to see the economy.'))),
  design: ONE(OWN(M('design', 'events', 'decimal', 'Design events', 'Send design events (ids like Tutorial:Step1, with an optional value) to see them here.'))),
  errors: ONE(OWN(M('errors', 'events', 'count', 'Errors', 'Send error events (a severity and a message) to see them here.'))),
  ads: ONE(OWN(M('ads', 'events', 'count', 'Ads', 'Send ads events (action, network, type, placement) to see ad activity.'))),

  matches_created: M('matches_created', 'matchmaking', 'count', 'Matches created', 'Post matchmaker events (match.created, ...) to the session observability API to see matches.'),
  allocation_failure_rate: M('allocation_failure_rate', 'matchmaking', 'share', 'Allocation failures', 'Post allocation events to the session observability API to see allocation failures.'),
  time_to_allocation_p50: M('time_to_allocation_p50', 'matchmaking', 'seconds', 'Time to allocation (median)', 'Post allocation.requested and allocation.succeeded events to see allocation times.'),
  time_to_allocation_p95: M('time_to_allocation_p95', 'matchmaking', 'seconds', 'Time to allocation (p95)', 'Post allocation.requested and allocation.succeeded events to see allocation times.'),
  players_per_match: M('players_per_match', 'matchmaking', 'decimal', 'Players per match', 'Post match.created events with teams to see players per match.'),
};

export const EVENT_DIMENSIONS = ['build', 'os_version', 'custom_01', 'custom_02', 'custom_03'];

/** The group_by dimensions of each family (docs/http-api.md); country is the API's once the
 * server looks addresses up (--geoip), a 400 before. */
export const GROUP_BY = {
  events: ['platform', 'build', 'os_version', 'custom_01', 'custom_02', 'custom_03', 'country'],
  sessions: ['platform', 'portal'],
  matchmaking: ['region', 'pool', 'queue'],
};

/** The view of the period just before view's, of the same length (the comparison). */
export function previousView(view) {
  const span = view.to - view.from;
  return { ...view, from: view.from - span, to: view.from };
}

/** Words for the filters of a view that apply to metric id, or '' when none does. */
export function filterText(id, view) {
  const f = METRICS[id].family;
  const parts = [];
  if ((f === 'sessions' || f === 'events') && view.platform) parts.push(`platform = ${view.platform}`);
  if (f === 'sessions' && view.portal) parts.push(`portal = ${view.portal}`);
  if (f === 'events' && view.dim && view.dimValue) parts.push(`${view.dim} = ${view.dimValue}`);
  return parts.join(', ');
}

/**
 * The query parameters of metric id for a view ({ from, to, interval, platform, portal, dim,
 * dimValue }) plus extra (measure, by, prefix, steps, group_by): only the filters its family
 * takes.
 */
export function paramsFor(id, view, extra = {}) {
  const m = METRICS[id];
  const p = { from: view.from, to: view.to, ...m.params };
  if (m.family === 'sessions') Object.assign(p, { interval: view.interval, platform: view.platform, portal: view.portal });
  if (m.family === 'events') {
    p.interval = 'day';
    p.platform = view.platform;
    if (view.dim && view.dimValue) p[view.dim] = view.dimValue;
  }
  if (m.family === 'matchmaking') p.interval = view.interval;
  // group_by where the metric takes it, beside the filters (each group: the filters and its
  // value; GET /api/v1/metrics filters_with_group_by)
  if (view.group && m.groupable && GROUP_BY[m.family].includes(view.group)) p.group_by = view.group;
  return { ...p, ...extra };
}

/** Why metric id is not asked with params ('' when it is): a family takes one event filter
 * at a time, so with the platform and a dimension both set its panel says so. */
export function refusal(id, params) {
  const m = METRICS[id];
  if (!m.oneFilter) return '';
  const set = GROUP_BY.events.filter((d) => params[d]);
  return set.length > 1
    ? `${m.label}: one filter at a time, not ${set.join(' and ')} together (the server keeps these events per filter). Clear one of them.`
    : '';
}

/** Whether an answer holds nothing to show: every value zero and no group. */
export function isEmpty(data) {
  if (!data) return true;
  const zero = (s) => !s.total && s.points.every((p) => !p.v);
  return zero(data) && (data.groups || []).every(zero);
}
