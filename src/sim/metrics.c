/*
 * metrics.c: the playtime channel of `playstat simulate`: mod.io-style metrics sessions of a
 * pool of players, live, so that the dashboard's live CCU and concurrent UGC move while the
 * simulation runs.
 *
 * The server accepts a session_ts only within its window of its own clock (default +-15
 * minutes), so these sessions cannot be back-dated: they run in real time, compressed by
 * --speedup X. A pool of players (a tenth of the population, 2 to 250 concurrent on average,
 * twice that many in the pool) alternates between sessions and idle gaps: a session lasts the
 * player's usual length (minutes of game time), an idle gap about 25 minutes, both divided by
 * X in real time; heartbeats come every 150 s of game time (mod.io's cadence), at most one a
 * second per player (the server allows 120 a minute). Each session plays 1 to 4 mods from a
 * catalogue of 40 with Zipf popularity; about one in ten ends without an end request (a crash:
 * the server closes it after its timeout). When the live phase is over (--duration, or Ctrl-C)
 * every open session is ended.
 *
 * Requests: POST {url}/g-{game_id}/v1/metrics/sessions/{start|heartbeat|end}, JSON bodies with
 * session_ts in seconds, a fresh nonce each, order ids 1, 2, ...; Authorization: Bearer an HS256
 * JWT minted here with the game's token secret (sub = the player's user id, as in the analytics
 * events); X-Modio-Platform and X-Modio-Portal from the player's device.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "common/clock.h"
#include "common/errors.h"
#include "ingest/metrics/session_hash.h"
#include "sim/sim.h"

#define METRICS_SALT 0x6d65747269637300ULL
#define MODS 40
#define FIRST_MOD_ID 2400
#define HEARTBEAT_GAME_SECONDS 150.0
#define IDLE_GAME_SECONDS 1500.0

typedef struct live {
  const ps_sim_player *player;
  ps_sim_rng r;
  int in_session, abandons;
  char session_id[37];
  char ids[64];  /* "2400,2403" */
  long order_id; /* the last one sent */
  double next_at, ends_at; /* real seconds since the live phase started */
  char *token;
} live;

typedef struct metrics {
  ps_sim_link link;
  live *pool;
  size_t n;
  double heartbeat_s; /* real seconds between heartbeats */
  int64_t phase_start_ns;
  char path[96];      /* "/g-7/v1/metrics/sessions/" */
  atomic_ulong open, started, heartbeats, ended, abandoned;
  unsigned long peak;
} metrics;

static int metrics_enabled(const ps_sim_config *cfg) {
  return cfg->metrics_key && cfg->token_secret && cfg->game_id > 0 && cfg->live_seconds > 0;
}

static double elapsed(const metrics *m) {
  return (double)(ps_monotonic_ns() - m->phase_start_ns) / 1e9;
}

static int metrics_create(const ps_sim_config *cfg, const ps_sim_population *pop,
                          ps_sim_stats *stats, void **state) {
  metrics *m = calloc(1, sizeof *m);
  if (!m) return PS_ENOMEM;
  size_t concurrent = pop->count / 10;
  concurrent = concurrent < 2 ? 2 : concurrent > 250 ? 250 : concurrent;
  m->n = 2 * concurrent < pop->count ? 2 * concurrent : pop->count;
  m->heartbeat_s = HEARTBEAT_GAME_SECONDS / cfg->speedup < 1.0 ? 1.0 : HEARTBEAT_GAME_SECONDS / cfg->speedup;
  snprintf(m->path, sizeof m->path, "/g-%lld/v1/metrics/sessions/", (long long)cfg->game_id);
  if (!(m->pool = calloc(m->n ? m->n : 1, sizeof *m->pool)) ||
      ps_sim_link_open(&m->link, cfg, pop, stats) != PS_OK) {
    free(m->pool);
    free(m);
    return PS_ENOMEM;
  }
  for (size_t i = 0; i < m->n; i++) {
    live *l = &m->pool[i];
    /* Spread over the population: every (count / n)-th player. */
    l->player = &pop->players[i * pop->count / m->n];
    ps_sim_rng_init(&l->r, pop->seed ^ METRICS_SALT, l->player->stream);
    /* Half the pool is playing at the start (starts spread over one heartbeat), the rest
     * comes later; the first player always starts at once so that short runs show a session. */
    int playing = i == 0 || ps_sim_chance(&l->r, 0.5);
    l->next_at = i == 0 ? 0
                 : playing ? ps_sim_uniform(&l->r) * m->heartbeat_s
                           : ps_sim_exponential(&l->r, IDLE_GAME_SECONDS) / cfg->speedup;
  }
  *state = m;
  return PS_OK;
}

static void metrics_destroy(void *state) {
  metrics *m = state;
  for (size_t i = 0; i < m->n; i++) free(m->pool[i].token);
  free(m->pool);
  ps_sim_link_close(&m->link);
  free(m);
}

/* POSTs one request of l's session; kind is "start", "heartbeat" or "end". Returns 1 on 204. */
static int send_request(metrics *m, live *l, const char *kind) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  char nonce[19], ts[24], hash[PS_SESSION_HASH_HEX_LEN + 1], path[128];
  for (size_t i = 0; i < sizeof nonce - 1; i++) nonce[i] = alphabet[ps_sim_below(&l->r, sizeof alphabet - 1)];
  nonce[sizeof nonce - 1] = '\0';
  snprintf(ts, sizeof ts, "%lld", (long long)(ps_now_ms() / 1000));
  int start = strcmp(kind, "start") == 0;
  ps_session_hash(m->link.cfg->metrics_key, start ? l->ids : NULL, ts, l->session_id, nonce, hash);
  ps_buf body = {0}, auth = {0}, platform = {0}, portal = {0};
  ps_buf_printf(&body, "{%s%s%s\"session_id\":\"%s\",\"session_ts\":%s,\"session_hash\":\"%s\","
                       "\"session_nonce\":\"%s\",\"session_order_id\":%ld}",
                start ? "\"ids\":[" : "", start ? l->ids : "", start ? "]," : "", l->session_id,
                ts, hash, nonce, l->order_id);
  ps_buf_printf(&auth, "Authorization: Bearer %s", l->token);
  ps_buf_printf(&platform, "X-Modio-Platform: %s", l->player->modio_platform);
  ps_buf_printf(&portal, "X-Modio-Portal: %s", l->player->portal);
  const char *headers[] = {"Content-Type: application/json", auth.data, platform.data, portal.data, NULL};
  snprintf(path, sizeof path, "%s%s", m->path, kind);
  int ok = 0;
  if (body.data && auth.data && platform.data && portal.data) {
    ps_sim_request req = {.path = path, .headers = headers, .body = body.data, .len = body.len};
    ok = ps_sim_link_send(&m->link, &req);
  } else {
    ps_sim_stats_fail(m->link.stats, "out of memory");
  }
  ps_buf_free(&body);
  ps_buf_free(&auth);
  ps_buf_free(&platform);
  ps_buf_free(&portal);
  return ok;
}

/* The mods of a session: 1 to 4 distinct ids of the catalogue, ascending, comma-separated. */
static void draw_mods(live *l) {
  int chosen[MODS] = {0};
  int n = (int)ps_sim_range(&l->r, 1, 4);
  for (int k = 0; k < n; k++) chosen[ps_sim_zipf(&l->r, MODS)] = 1;
  size_t len = 0;
  l->ids[0] = '\0';
  for (int k = 0; k < MODS; k++)
    if (chosen[k])
      len += (size_t)snprintf(l->ids + len, sizeof l->ids - len, "%s%d", len ? "," : "", FIRST_MOD_ID + k);
}

static void go_idle(metrics *m, live *l, double now) {
  if (l->in_session) atomic_fetch_sub(&m->open, 1);
  l->in_session = 0;
  l->next_at = now + ps_sim_exponential(&l->r, IDLE_GAME_SECONDS) / m->link.cfg->speedup;
}

static void start_session(metrics *m, live *l, double now) {
  double game_seconds = ps_sim_lognormal(&l->r, l->player->session_minutes * 60, 0.6);
  game_seconds = game_seconds < 60 ? 60 : game_seconds > 4 * 3600 ? 4 * 3600 : game_seconds;
  double real = game_seconds / m->link.cfg->speedup;
  ps_sim_uuid(&l->r, l->session_id);
  draw_mods(l);
  l->abandons = ps_sim_chance(&l->r, 0.1);
  l->order_id = 1;
  free(l->token);
  l->token = malloc(PS_JWT_MAX_LEN + 1);
  int64_t issued = ps_now_ms() / 1000;
  if (!l->token || ps_jwt_sign_hs256(m->link.cfg->token_secret, l->player->user_id, issued,
                                     issued + 3600 + (int64_t)real, l->token, PS_JWT_MAX_LEN + 1) != PS_OK) {
    ps_sim_stats_fail(m->link.stats, "cannot sign a player token (is --token-secret right?)");
    go_idle(m, l, now);
    return;
  }
  if (!send_request(m, l, "start")) {
    go_idle(m, l, now);
    return;
  }
  atomic_fetch_add(&m->started, 1);
  l->in_session = 1;
  unsigned long open = atomic_fetch_add(&m->open, 1) + 1;
  if (open > m->peak) m->peak = open;
  l->ends_at = now + real;
  l->next_at = now + m->heartbeat_s;
}

static void end_session(metrics *m, live *l, double now) {
  l->order_id++;
  if (send_request(m, l, "end")) atomic_fetch_add(&m->ended, 1);
  go_idle(m, l, now);
}

/* The next step of l, due now. */
static void step(metrics *m, live *l, double now) {
  if (!l->in_session) {
    start_session(m, l, now);
  } else if (now >= l->ends_at && l->abandons) {
    atomic_fetch_add(&m->abandoned, 1); /* heartbeats stop; the server times the session out */
    go_idle(m, l, now);
  } else if (now >= l->ends_at) {
    end_session(m, l, now);
  } else {
    l->order_id++;
    if (send_request(m, l, "heartbeat")) {
      atomic_fetch_add(&m->heartbeats, 1);
      l->next_at = now + m->heartbeat_s;
    } else {
      go_idle(m, l, now); /* refused (timed out, say): the next session starts afresh */
    }
  }
}

static void metrics_run(void *state) {
  metrics *m = state;
  m->phase_start_ns = ps_monotonic_ns();
  double deadline = m->link.cfg->live_seconds;
  while (!ps_sim_stopping() && !atomic_load(&m->link.stats->fatal)) {
    double now = elapsed(m);
    if (now >= deadline) break;
    live *next = NULL;
    for (size_t i = 0; i < m->n; i++)
      if (!next || m->pool[i].next_at < next->next_at) next = &m->pool[i];
    if (!next) break;
    if (next->next_at > now) {
      ps_sim_sleep((next->next_at < deadline ? next->next_at : deadline) - now);
      continue;
    }
    step(m, next, now);
  }
  /* The phase is over: players close the game. */
  for (size_t i = 0; i < m->n && !atomic_load(&m->link.stats->fatal); i++)
    if (m->pool[i].in_session) end_session(m, &m->pool[i], elapsed(m));
}

static void metrics_progress(void *state, ps_buf *line) {
  metrics *m = state;
  ps_buf_printf(line, "%lu live sessions, %lu started, %lu heartbeats", atomic_load(&m->open),
                atomic_load(&m->started), atomic_load(&m->heartbeats));
}

static json_t *metrics_summary(void *state) {
  metrics *m = state;
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "pool_players", (json_int_t)m->n,
                   "sessions_started", (json_int_t)atomic_load(&m->started), "heartbeats",
                   (json_int_t)atomic_load(&m->heartbeats), "sessions_ended",
                   (json_int_t)atomic_load(&m->ended), "sessions_abandoned",
                   (json_int_t)atomic_load(&m->abandoned), "peak_live_sessions",
                   (json_int_t)m->peak, "heartbeat_interval_s", m->heartbeat_s);
}

const ps_sim_channel ps_sim_metrics_channel = {
    .name = "metrics",
    .enabled = metrics_enabled,
    .create = metrics_create,
    .run = metrics_run,
    .progress = metrics_progress,
    .summary = metrics_summary,
    .destroy = metrics_destroy,
};
