/*
 * matchmaker.c: the multiplayer channel of `playstat simulate`: what a Unity-Matchmaker-style
 * matchmaker reports about its matches over the last D days (at most 28: the server deletes
 * multiplayer sessions 30 days after their creation by default), to the session observability
 * API.
 *
 * About one match a day per 20 players, at times from the region's daily rhythm, of players of
 * one region (their analytics user ids; the server anonymises them). Queues: casual (2 teams
 * of 4, 60%), ranked (2 teams of 3 in a skill pool, 35%), tournament (2 teams of 5, 5%). Each
 * match: match.created (gameMode, teams, appliedRules), allocation.requested in the region,
 * then allocation.succeeded after a log-normal wait (about 90%), or allocation.failed (about
 * 7%, half of them retried in a fallback region), or nothing yet (3%); players.assigned with
 * tickets, skill and QoS results (status Found, or Failed when the allocation failed); for one
 * allocated match in seven a player leaves and a backfill brings another
 * (players.disconnected, backfill.match.created, players.connected).
 *
 * Requests: one per match, all its events as a JSON array, to POST {url}/session-observability
 * /v1/projects/{P}/environments/{E}/sessions/{match id}/events with HTTP Basic
 * (service account key id and secret, role writer). Timestamps are RFC 3339 in the past.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/rfc3339.h"
#include "sim/sim.h"

#define MM_SALT 0x6d61746368000000ULL
#define MM_IDS_SALT 0x6d61746368696400ULL
#define MAX_DAYS 28
#define MAX_TEAM 5

typedef struct queue {
  const char *queue_id, *queue_name;
  int team_size;
  double weight;
  const char *pools[2][2]; /* {pool id, pool name}, second optional */
} queue;

static const queue queues[] = {
    {"5c1f0a57-6c2b-4c7e-9d1e-0a1b2c3d4e01", "casual", 4, 60,
     {{"7e2a1c90-1b3d-4f5e-8a6b-0c1d2e3f4a01", "casual-default"}}},
    {"5c1f0a57-6c2b-4c7e-9d1e-0a1b2c3d4e02", "ranked", 3, 35,
     {{"7e2a1c90-1b3d-4f5e-8a6b-0c1d2e3f4a02", "ranked-gold"},
      {"7e2a1c90-1b3d-4f5e-8a6b-0c1d2e3f4a03", "ranked-silver"}}},
    {"5c1f0a57-6c2b-4c7e-9d1e-0a1b2c3d4e03", "tournament", 5, 5,
     {{"7e2a1c90-1b3d-4f5e-8a6b-0c1d2e3f4a04", "tournament-weekly"}}},
};

/* How matches went. */
typedef struct outcomes {
  unsigned long allocated, failed_allocations, pending, backfills;
} outcomes;

typedef struct matchmaker {
  ps_sim_link link;
  char path_prefix[512]; /* ".../environments/E/sessions/" */
  char *userpwd;
  size_t matches;
  int days;
  atomic_ulong done, events_sent;
  unsigned long stored, duplicates;
  outcomes outcomes; /* of the matches the server accepted */
} matchmaker;

static int mm_enabled(const ps_sim_config *cfg) {
  return cfg->service_key_id && cfg->service_secret && cfg->project;
}

static int mm_create(const ps_sim_config *cfg, const ps_sim_population *pop, ps_sim_stats *stats,
                     void **state) {
  matchmaker *m = calloc(1, sizeof *m);
  if (!m) return PS_ENOMEM;
  m->days = pop->days < MAX_DAYS ? pop->days : MAX_DAYS;
  size_t per_day = pop->count / 20;
  m->matches = per_day * (size_t)m->days < 10 ? 10 : per_day * (size_t)m->days;
  snprintf(m->path_prefix, sizeof m->path_prefix,
           "/session-observability/v1/projects/%s/environments/%s/sessions/", cfg->project,
           cfg->environment);
  size_t len = strlen(cfg->service_key_id) + strlen(cfg->service_secret) + 2;
  if (!(m->userpwd = malloc(len)) || ps_sim_link_open(&m->link, cfg, pop, stats) != PS_OK) {
    free(m->userpwd);
    free(m);
    return PS_ENOMEM;
  }
  snprintf(m->userpwd, len, "%s:%s", cfg->service_key_id, cfg->service_secret);
  *state = m;
  return PS_OK;
}

static void mm_destroy(void *state) {
  matchmaker *m = state;
  ps_sim_link_close(&m->link);
  free(m->userpwd);
  free(m);
}

/* One match being written. */
typedef struct match {
  matchmaker *m;
  ps_sim_rng *r, *ids; /* behaviour; ids (session and ticket ids) */
  json_t *events;
  int64_t t; /* ms */
  const ps_sim_player *players[2 * MAX_TEAM + 1];
  char tickets[2 * MAX_TEAM + 1][37];
  int nplayers;
  outcomes outcomes;
} match;

static void add(match *mt, const char *type, json_t *fields) {
  char ts[PS_RFC3339_LEN + 1];
  ps_rfc3339_format(mt->t, ts);
  if (fields) {
    json_object_set_new(fields, "type", json_string(type));
    json_object_set_new(fields, "timestamp", json_string(ts));
    json_array_append_new(mt->events, fields);
  }
}

/* {"id", "ticketId", "customData", "qosResults"} of player k. */
static json_t *assignment(match *mt, int k, const char *region) {
  const ps_sim_player *p = mt->players[k];
  return json_pack("{s:s, s:s, s:{s:I, s:s}, s:[{s:s, s:I, s:f}]}", "id", p->user_id, "ticketId",
                   mt->tickets[k], "customData", "Skill", (json_int_t)ps_sim_range(mt->r, 900, 2600),
                   "Platform", p->modio_platform, "qosResults", "regionId", region, "latency",
                   (json_int_t)ps_sim_range(mt->r, 12, 90), "packetLoss",
                   (double)ps_sim_range(mt->r, 0, 20) / 1000.0);
}

static json_t *team(match *mt, const char *id, const char *name, int from, int to) {
  json_t *ids = json_array();
  for (int k = from; ids && k < to; k++) json_array_append_new(ids, json_string(mt->players[k]->user_id));
  return json_pack("{s:s, s:s, s:o}", "id", id, "name", name, "playerIds", ids);
}

/* Players of region (or anyone, after a few tries: small populations). */
static const ps_sim_player *pick_player(match *mt, const ps_sim_region *region) {
  const ps_sim_population *pop = mt->m->link.pop;
  const ps_sim_player *p = NULL;
  for (int tries = 0; tries < 20; tries++) {
    p = &pop->players[ps_sim_below(mt->r, pop->count)];
    int taken = 0;
    for (int k = 0; k < mt->nplayers; k++) taken |= mt->players[k] == p;
    if (!taken && (p->region == region || tries >= 10)) return p;
  }
  return p;
}

static const char *const fallback_regions[] = {"eu-west", "us-east", "us-west", "ap-southeast"};

/* allocation.requested and its outcome; returns 1 when allocated. */
static int allocate(match *mt, const char *region) {
  outcomes *o = &mt->outcomes;
  mt->t += ps_sim_range(mt->r, 50, 400);
  add(mt, "allocation.requested", json_pack("{s:s}", "regionId", region));
  double outcome = ps_sim_uniform(mt->r);
  mt->t += (int64_t)ps_sim_lognormal(mt->r, 1200, 0.6);
  if (outcome < 0.90) {
    add(mt, "allocation.succeeded", json_object());
    o->allocated++;
    return 1;
  }
  if (outcome < 0.97) {
    static const char *const reasons[] = {"no available servers in region",
                                          "fleet allocation timed out", "build not found in fleet"};
    add(mt, "allocation.failed", json_pack("{s:s}", "reason", PS_SIM_PICK(mt->r, reasons)));
    o->failed_allocations++;
    if (ps_sim_chance(mt->r, 0.5)) {
      const char *other = PS_SIM_PICK(mt->r, fallback_regions);
      return allocate(mt, strcmp(other, region) == 0 ? "us-west" : other);
    }
    return 0;
  }
  o->pending++;
  return 0;
}

static void backfill(match *mt, const ps_sim_region *region, int team_size) {
  int leaver = (int)ps_sim_below(mt->r, (size_t)mt->nplayers);
  mt->t += ps_sim_range(mt->r, 60, 600) * 1000;
  add(mt, "players.disconnected",
      json_pack("{s:[{s:s}]}", "players", "id", mt->players[leaver]->user_id));
  mt->players[mt->nplayers] = pick_player(mt, region);
  ps_sim_uuid(mt->ids, mt->tickets[mt->nplayers]);
  int k = mt->nplayers++;
  mt->t += ps_sim_range(mt->r, 2, 20) * 1000;
  /* The joiner goes to the leaver's team. */
  int red = leaver < team_size;
  add(mt, "backfill.match.created",
      json_pack("{s:s, s:[o]}", "backfillTicketId", mt->tickets[k], "teams",
                team(mt, red ? "red" : "blue", red ? "Red Team" : "Blue Team", k, k + 1)));
  mt->t += ps_sim_range(mt->r, 1, 5) * 1000;
  add(mt, "players.connected", json_pack("{s:[o]}", "players", assignment(mt, k, region->match_region)));
  mt->outcomes.backfills++;
}

/* Writes a match's events into mt->events and its session id into id. */
static void write_match(matchmaker *m, match *mt, char id[37]) {
  const ps_sim_population *pop = m->link.pop;
  ps_sim_rng *r = mt->r;
  ps_sim_uuid(mt->ids, id);
  const ps_sim_region *region = pop->players[ps_sim_below(r, pop->count)].region;
  int day = pop->days - m->days + (int)ps_sim_below(r, (size_t)m->days);
  int64_t t0 = ps_sim_daily_time(pop, region, day, r);
  if (t0 > pop->end_s - 900) t0 = pop->end_s - 900 - ps_sim_range(r, 0, 3600);
  mt->t = t0 * 1000 + ps_sim_range(r, 0, 999);
  double weights[3];
  for (size_t q = 0; q < 3; q++) weights[q] = queues[q].weight;
  const queue *q = &queues[ps_sim_weighted(r, weights, 3)];
  const char *const *pool = q->pools[q->pools[1][0] && ps_sim_chance(r, 0.5) ? 1 : 0];
  int size = q->team_size;
  for (mt->nplayers = 0; mt->nplayers < 2 * size; mt->nplayers++) {
    mt->players[mt->nplayers] = pick_player(mt, region);
    ps_sim_uuid(mt->ids, mt->tickets[mt->nplayers]);
  }
  json_t *teams = json_array();
  json_array_append_new(teams, team(mt, "red", "Red Team", 0, size));
  json_array_append_new(teams, team(mt, "blue", "Blue Team", size, 2 * size));
  add(mt, "match.created",
      json_pack("{s:{s:s, s:s, s:s, s:s}, s:o, s:[{s:s, s:s, s:s, s:s, s:i, s:b}]}", "gameMode",
                "poolId", pool[0], "poolName", pool[1], "queueId", q->queue_id, "queueName",
                q->queue_name, "teams", teams, "appliedRules", "context", "Team", "name",
                "Skill balance", "type", "Difference", "source", "Players.CustomData.Skill",
                "reference", 500, "not", 0));
  int allocated = allocate(mt, region->match_region);
  mt->t += ps_sim_range(mt->r, 100, 600);
  json_t *assigned = json_array();
  for (int k = 0; k < mt->nplayers; k++)
    json_array_append_new(assigned, assignment(mt, k, region->match_region));
  add(mt, "players.assigned", json_pack("{s:s, s:o}", "assignmentStatus",
                                        allocated ? "Found" : "Failed", "players", assigned));
  if (allocated && ps_sim_chance(r, 1.0 / 7)) backfill(mt, region, size);
}

static void mm_run(void *state) {
  matchmaker *m = state;
  uint64_t ids_seed = m->link.pop->seed ^ MM_IDS_SALT ^ ((uint64_t)m->link.pop->end_s * 0x9e3779b97f4a7c15ULL);
  for (size_t i = 0; i < m->matches && !ps_sim_stopping() && !atomic_load(&m->link.stats->fatal); i++) {
    ps_sim_rng r, ids;
    ps_sim_rng_init(&r, m->link.pop->seed ^ MM_SALT, i);
    ps_sim_rng_init(&ids, ids_seed, i);
    match mt = {.m = m, .r = &r, .ids = &ids, .events = json_array()};
    char id[37], path[600];
    write_match(m, &mt, id);
    char *body = mt.events ? json_dumps(mt.events, JSON_COMPACT) : NULL;
    size_t n = json_array_size(mt.events);
    json_decref(mt.events);
    if (!body) {
      ps_sim_stats_fail(m->link.stats, "out of memory");
      break;
    }
    snprintf(path, sizeof path, "%s%s/events", m->path_prefix, id);
    const char *headers[] = {"Content-Type: application/json", NULL};
    ps_sim_request req = {.path = path, .headers = headers, .userpwd = m->userpwd, .body = body,
                          .len = strlen(body)};
    atomic_fetch_add(&m->events_sent, n);
    if (ps_sim_link_send(&m->link, &req)) {
      json_t *answer = json_loadb(m->link.resp.body.data, m->link.resp.body.len, 0, NULL);
      m->stored += (unsigned long)json_integer_value(json_object_get(answer, "stored"));
      m->duplicates += (unsigned long)json_integer_value(json_object_get(answer, "duplicates"));
      m->outcomes.allocated += mt.outcomes.allocated;
      m->outcomes.failed_allocations += mt.outcomes.failed_allocations;
      m->outcomes.pending += mt.outcomes.pending;
      m->outcomes.backfills += mt.outcomes.backfills;
      json_decref(answer);
    }
    free(body);
    atomic_fetch_add(&m->done, 1);
  }
}

static void mm_progress(void *state, ps_buf *line) {
  matchmaker *m = state;
  ps_buf_printf(line, "%lu/%zu matches", atomic_load(&m->done), m->matches);
}

static json_t *mm_summary(void *state) {
  matchmaker *m = state;
  return json_pack("{s:s, s:i, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "environment",
                   m->link.cfg->environment, "days", m->days, "matches", (json_int_t)atomic_load(&m->done),
                   "events_sent", (json_int_t)atomic_load(&m->events_sent), "events_stored",
                   (json_int_t)m->stored, "duplicates", (json_int_t)m->duplicates,
                   "allocations_succeeded", (json_int_t)m->outcomes.allocated,
                   "allocations_failed", (json_int_t)m->outcomes.failed_allocations,
                   "allocations_pending", (json_int_t)m->outcomes.pending, "backfills",
                   (json_int_t)m->outcomes.backfills);
}

const ps_sim_channel ps_sim_matchmaker_channel = {
    .name = "matchmaker",
    .enabled = mm_enabled,
    .create = mm_create,
    .run = mm_run,
    .progress = mm_progress,
    .summary = mm_summary,
    .destroy = mm_destroy,
};
