/*
 * ga.c: the analytics channel of `playstat simulate`: every player's history of game
 * sessions over the last D days as GameAnalytics REST v2 traffic.
 *
 * Per player, from its install day on: the install day is always played, from the install
 * time the population drew (so every player has a history); day k after it is played with a
 * retention chance of 0.4 * k^-0.55 scaled by the player's engagement (about 40% on day 1, 14%
 * on day 7, 6% on day 30), with 1 to 6 sessions at times drawn from the region's daily rhythm; each session's events come from ga_session.c with client_ts in the
 * past. A device's first request is POST /v2/{game_key}/init; events go in batches of at most
 * 500 (as SDKs send) to POST /v2/{game_key}/events, gzip-compressed unless --no-gzip, signed
 * with Authorization: base64(HMAC-SHA256(secret_key, the bytes sent)).
 *
 * Determinism: the player's behaviour comes from its stream of the seed; event_uuid and
 * session_id come from a stream of (seed, end of history), so a run repeated with the same
 * --seed and --now sends identical events and the server stores them once, while a later run
 * with the same seed gives the same players new sessions.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/hmac.h"
#include "common/errors.h"
#include "common/gzip.h"
#include "sim/ga_session.h"
#include "sim/sim.h"

#define BATCH_MAX 500
#define BEHAVIOUR_SALT 0x6761626568617669ULL
#define IDS_SALT 0x6761696473000000ULL

typedef struct ga {
  ps_sim_link link;
  json_t *batch;
  json_t *by_category; /* {"user": n, ...}: events sent */
  char events_path[128], init_path[128];
  atomic_ulong players_done, events_sent;
  unsigned long sessions, accepted, rejected, inits;
} ga;

static int ga_enabled(const ps_sim_config *cfg) { return cfg->game_key && cfg->secret_key; }

static int ga_create(const ps_sim_config *cfg, const ps_sim_population *pop, ps_sim_stats *stats,
                     void **state) {
  ga *g = calloc(1, sizeof *g);
  if (!g) return PS_ENOMEM;
  snprintf(g->events_path, sizeof g->events_path, "/v2/%s/events", cfg->game_key);
  snprintf(g->init_path, sizeof g->init_path, "/v2/%s/init", cfg->game_key);
  g->batch = json_array();
  g->by_category = json_object();
  if (!g->batch || !g->by_category || ps_sim_link_open(&g->link, cfg, pop, stats) != PS_OK) {
    json_decref(g->batch);
    json_decref(g->by_category);
    free(g);
    return PS_ENOMEM;
  }
  *state = g;
  return PS_OK;
}

static void ga_destroy(void *state) {
  ga *g = state;
  ps_sim_link_close(&g->link);
  json_decref(g->batch);
  json_decref(g->by_category);
  free(g);
}

/* POSTs body signed as the analytics API wants (gzipped first when configured). Returns 1
 * on a 2xx answer (g->link.resp holds the answer either way). */
static int signed_post(ga *g, const char *path, const char *body) {
  ps_buf gz = {0};
  const char *wire = body;
  size_t len = strlen(body);
  if (g->link.cfg->gzip) {
    if (ps_gzip(body, len, &gz) != PS_OK) {
      ps_sim_stats_fail(g->link.stats, "out of memory");
      return 0;
    }
    wire = gz.data;
    len = gz.len;
  }
  char auth[sizeof "Authorization: " + PS_HMAC_BASE64_LEN];
  char signature[PS_HMAC_BASE64_LEN + 1];
  ps_hmac_sha256_base64(g->link.cfg->secret_key, wire, len, signature);
  snprintf(auth, sizeof auth, "Authorization: %s", signature);
  const char *headers[] = {"Content-Type: application/json", auth,
                           g->link.cfg->gzip ? "Content-Encoding: gzip" : NULL, NULL};
  ps_sim_request req = {.path = path, .headers = headers, .body = wire, .len = len};
  int ok = ps_sim_link_send(&g->link, &req);
  ps_buf_free(&gz);
  return ok;
}

static void flush(ga *g) {
  size_t n = json_array_size(g->batch), i;
  if (n == 0) return;
  char *body = json_dumps(g->batch, JSON_COMPACT);
  json_t *e;
  json_array_foreach(g->batch, i, e) {
    const char *category = json_string_value(json_object_get(e, "category"));
    json_t *count = json_object_get(g->by_category, category);
    json_object_set_new(g->by_category, category, json_integer(json_integer_value(count) + 1));
  }
  json_array_clear(g->batch);
  if (!body) {
    ps_sim_stats_fail(g->link.stats, "out of memory");
    return;
  }
  atomic_fetch_add(&g->events_sent, n);
  if (signed_post(g, g->events_path, body)) {
    g->accepted += n;
  } else if (g->link.resp.status == 400) {
    /* Some events invalid: the valid ones were stored; the body lists the rejected ones. */
    json_t *rejected = json_loadb(g->link.resp.body.data, g->link.resp.body.len, 0, NULL);
    size_t bad = json_is_array(rejected) ? json_array_size(rejected) : n;
    g->rejected += bad;
    g->accepted += n - bad;
    json_decref(rejected);
  }
  free(body);
}

/* POST /v2/{game_key}/init for the player's device. */
static void init_device(ga *g, const ps_sim_player *p) {
  char *body = NULL;
  json_t *doc = json_pack("{s:s, s:s, s:s}", "platform", p->platform, "os_version", p->os_version,
                          "sdk_version", "unity 7.9.1");
  if (doc) body = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  if (body) {
    g->inits++;
    signed_post(g, g->init_path, body);
  }
  free(body);
}

static void queue(ga *g, json_t *events) {
  size_t i;
  json_t *e;
  json_array_foreach(events, i, e) {
    json_array_append(g->batch, e);
    if (json_array_size(g->batch) >= BATCH_MAX) flush(g);
  }
}

static int compare_ts(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Plays every session of one player. */
static void play_player(ga *g, const ps_sim_player *p) {
  const ps_sim_population *pop = g->link.pop;
  ps_sim_rng behaviour, ids;
  ps_sim_rng_init(&behaviour, pop->seed ^ BEHAVIOUR_SALT, p->stream);
  ps_sim_rng_init(&ids, pop->seed ^ IDS_SALT ^ ((uint64_t)pop->end_s * 0x9e3779b97f4a7c15ULL), p->stream);
  ps_sim_ga_player state = {0};
  int64_t busy_until = 0;
  for (int day = p->install_day; day < pop->days && !atomic_load(&g->link.stats->fatal); day++) {
    int k = day - p->install_day;
    if (k > 0) { /* the install day is always played */
      double weekend = ps_sim_weekend(pop->start_s + (int64_t)day * 86400) ? 1.1 : 1.0;
      double chance = 0.4 * pow(k, -0.55) * p->engagement * weekend;
      if (!ps_sim_chance(&behaviour, chance > 0.95 ? 0.95 : chance)) continue;
    }
    int64_t starts[6];
    int n = 1 + (int)ps_sim_exponential(&behaviour, 0.8 * p->engagement);
    n = n > 6 ? 6 : n;
    for (int s = 0; s < n; s++) {
      starts[s] = ps_sim_daily_time(pop, p->region, day, &behaviour);
      /* The install day starts with the install; its other sessions come later. */
      if (k == 0) starts[s] = s == 0 || starts[s] < p->install_ts ? p->install_ts : starts[s];
    }
    qsort(starts, (size_t)n, sizeof *starts, compare_ts);
    for (int s = 0; s < n && !atomic_load(&g->link.stats->fatal); s++) {
      int64_t t0 = starts[s] > busy_until + 60 ? starts[s] : busy_until + 60;
      if (t0 >= pop->end_s - 60) break;
      if (state.session_num == 0) init_device(g, p);
      ps_sim_ga_session session;
      if (ps_sim_ga_play(pop, p, &state, &behaviour, &ids, t0, &session) != PS_OK) {
        ps_sim_stats_fail(g->link.stats, "out of memory");
        return;
      }
      g->sessions++;
      busy_until = session.end_ts;
      queue(g, session.events);
      json_decref(session.events);
    }
  }
}

static void ga_run(void *state) {
  ga *g = state;
  for (size_t i = 0; i < g->link.pop->count && !ps_sim_stopping() && !atomic_load(&g->link.stats->fatal); i++) {
    play_player(g, &g->link.pop->players[i]);
    atomic_fetch_add(&g->players_done, 1);
  }
  if (!atomic_load(&g->link.stats->fatal)) flush(g);
}

static void ga_progress(void *state, ps_buf *line) {
  ga *g = state;
  ps_buf_printf(line, "%lu/%zu players, %lu events sent", atomic_load(&g->players_done),
                g->link.pop->count, atomic_load(&g->events_sent));
}

static json_t *ga_summary(void *state) {
  ga *g = state;
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:O}", "players",
                   (json_int_t)atomic_load(&g->players_done), "sessions", (json_int_t)g->sessions,
                   "init_requests", (json_int_t)g->inits, "events_sent",
                   (json_int_t)atomic_load(&g->events_sent), "events_accepted",
                   (json_int_t)g->accepted, "events_rejected", (json_int_t)g->rejected,
                   "events_by_category", g->by_category);
}

const ps_sim_channel ps_sim_ga_channel = {
    .name = "analytics",
    .enabled = ga_enabled,
    .create = ga_create,
    .run = ga_run,
    .progress = ga_progress,
    .summary = ga_summary,
    .destroy = ga_destroy,
};
