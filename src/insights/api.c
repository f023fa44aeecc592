/*
 * api.c: the read API of insights.
 *
 *   GET /api/v1/games/{id}/metrics/{name}?from=&to=&interval=&platform=&portal=&group_by=
 *     -> {"metric", "from", "to", "interval", "total", "points": [{"t", "v"}],
 *         "groups": [{"key", "total", "points"}]}      (groups: grouped metrics or group_by)
 *   GET /api/v1/games/{id}/live -> {"at", "ccu", "concurrent_ugc"}
 *   GET /api/v1/games -> {"games": [{"id", "name", "project_id"}]}   (never a key)
 *
 * Authorization: Bearer <API token> (`playstat api-token create`); the store keeps only the
 * token's SHA-256. from/to are unix seconds (default: the last 24 h), widened to whole UTC
 * intervals; interval is minute, hour or day (default hour), at most 100,000 points. Errors: {"error", "message"} with 400, 401,
 * 404. Matchmaking metrics (match_metrics.h) read the game's project's multiplayer sessions.
 * Other figures come from session_query.h (rollups for what is settled: minutes of ccu and
 * concurrent_ugc, hours and days of every playtime metric; the stored sessions for the rest);
 * live figures include every request
 * already answered 204 (answers follow the commit).
 */
#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "http/app.h"
#include "http/handlers.h"
#include "insights/ga_query.h"
#include "insights/ga_rollup.h"
#include "insights/match_metrics.h"
#include "insights/session_metrics.h"
#include "insights/session_query.h"
#include "insights/session_set.h"

#define MAX_POINTS 100000

/* Answers 401 unless the request carries a known API token. */
static int authorize(ps_request *req, ps_app *app) {
  const char *auth = ps_request_header(req, "Authorization");
  if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
    const char *token = auth + 7;
    while (*token == ' ') token++;
    unsigned char digest[SHA256_DIGEST_LENGTH];
    char hex[2 * SHA256_DIGEST_LENGTH + 1];
    SHA256((const unsigned char *)token, strlen(token), digest);
    ps_hex_encode(digest, sizeof digest, hex);
    if (*token && app->store->ops->api_token_check(app->store, hex) == PS_OK) return 0;
  }
  ps_request_respond_error(req, 401, "unauthorized",
                           "Authorization: Bearer <API token> is required "
                           "(playstat api-token create)");
  return -1;
}

static int find_game(ps_request *req, ps_app *app, ps_game *game) {
  char *end;
  const char *text = ps_request_param(req, 0);
  long long id = strtoll(text, &end, 10);
  if (*text && !*end && id > 0 && ps_game_cache_find_by_id(app->games, id, game) == PS_OK)
    return 0;
  ps_request_respond_error(req, 404, "not_found", "no game has that id");
  return -1;
}

/* ---- rendering ---- */

static int render_points(ps_buf *b, const ps_metric_result *r, const ps_metric_series *s) {
  int rc = ps_buf_append_str(b, "[");
  for (size_t i = 0; rc == PS_OK && i < r->nbuckets; i++) {
    rc = ps_buf_append_str(b, i ? ",{\"t\":" : "{\"t\":");
    if (rc == PS_OK)
      rc = ps_buf_append_json_number(b, (double)((r->from_ms + (int64_t)i * r->interval_ms) / 1000));
    if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"v\":");
    if (rc == PS_OK) rc = ps_buf_append_json_number(b, s->values[i]);
    if (rc == PS_OK) rc = ps_buf_append_str(b, "}");
  }
  return rc == PS_OK ? ps_buf_append_str(b, "]") : rc;
}

static int render_group(ps_buf *b, const ps_metric_result *r, const ps_metric_series *g, int first) {
  int rc = ps_buf_append_str(b, first ? "{\"key\":" : ",{\"key\":");
  if (rc == PS_OK) rc = ps_buf_append_json_string(b, g->key, strlen(g->key));
  if (rc == PS_OK) rc = ps_buf_printf(b, ",\"total\":%.15g,\"points\":", g->total);
  if (rc == PS_OK) rc = render_points(b, r, g);
  return rc == PS_OK ? ps_buf_append_str(b, "}") : rc;
}

/* ---- handlers ---- */

static int parse_seconds(const char *text, int64_t fallback, int64_t *out) {
  if (!text) {
    *out = fallback;
    return 0;
  }
  char *end;
  long long v = strtoll(text, &end, 10);
  if (!*text || *end || v < 0 || v > 100000000000LL) return -1;
  *out = v;
  return 0;
}

static int64_t interval_ms_of(const char *name) {
  if (!name || strcmp(name, "hour") == 0) return 3600000;
  if (strcmp(name, "minute") == 0) return 60000;
  if (strcmp(name, "day") == 0) return 86400000;
  return 0;
}

/* Renders the answer of q. */
static int render_answer(ps_buf *b, const ps_session_query *q, const char *interval,
                         const ps_metric_result *r) {
  int rc = ps_buf_printf(b, "{\"metric\":\"%s\",\"from\":%lld,\"to\":%lld,\"interval\":\"%s\","
                            "\"total\":%.15g,\"points\":",
                         q->metric, (long long)(q->from_ms / 1000), (long long)(q->to_ms / 1000),
                         interval, r->whole.total);
  if (rc == PS_OK) rc = render_points(b, r, &r->whole);
  if (rc == PS_OK && (r->ngroups || q->group_by)) rc = ps_buf_append_str(b, ",\"groups\":[");
  for (size_t g = 0; rc == PS_OK && g < r->ngroups; g++)
    rc = render_group(b, r, &r->groups[g], g == 0);
  if (rc == PS_OK && (r->ngroups || q->group_by)) rc = ps_buf_append_str(b, "]");
  return rc == PS_OK ? ps_buf_append_str(b, "}") : rc;
}

/* Sends the answer of a computed result, or the error of its computation. */
static void respond_result(ps_request *req, const ps_session_query *q, const char *interval,
                           ps_metric_result *r, int rc) {
  ps_buf b = {0};
  if (rc == PS_OK) rc = render_answer(&b, q, interval, r);
  ps_metric_result_free(r);
  if (rc == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&b), len, 0);
    return;
  }
  ps_buf_free(&b);
  if (rc == PS_EINVAL)
    ps_request_respond_error(req, 400, "bad_request",
                             "this combination of parameters is not supported (see "
                             "docs/http-api.md: measure, by, steps, filters)");
  else
    ps_request_respond_error(req, 503, "unavailable",
                             rc == PS_ENOMEM ? "out of memory, retry later"
                                             : "the data could not be read, retry later");
}

/* GET .../metrics/{name} for the analytics-event metrics: daily buckets, one dimension filter
 * or one group_by. */
static void answer_event_metric(ps_request *req, ps_app *app, const ps_game *game,
                                const char *name) {
  int64_t now_s = ps_now_ms() / 1000, from_s, to_s;
  const char *interval = ps_request_query(req, "interval");
  const char *group_by = ps_request_query(req, "group_by");
  ps_ga_query q = {.metric = name, .today = now_s / 86400,
                   .measure = ps_request_query(req, "measure"), .by = ps_request_query(req, "by"),
                   .prefix = ps_request_query(req, "prefix"), .steps = ps_request_query(req, "steps")};
  const char *problem = NULL;
  for (int d = 1; d < PS_GA_DIMS && !problem; d++) {
    const char *v = ps_request_query(req, ps_ga_dims[d]);
    if (!v) continue;
    if (q.dim) problem = "filter one dimension at a time (platform, build, os_version, custom_01..03)";
    q.dim = d;
    q.value = v;
  }
  if (problem) {
  } else if (parse_seconds(ps_request_query(req, "to"), now_s, &to_s) ||
             parse_seconds(ps_request_query(req, "from"), to_s - 30 * 86400, &from_s) ||
             from_s >= to_s) {
    problem = "from and to must be unix seconds with from < to";
  } else if (interval && strcmp(interval, "day") != 0) {
    problem = "analytics-event metrics are daily: interval=day";
  } else if (to_s - from_s > 3660LL * 86400) {
    problem = "at most ten years at a time";
  } else if (group_by && (q.group_dim = ps_ga_dim_index(group_by)) < 0) {
    problem = "group_by must be platform, build, os_version, custom_01, custom_02 or custom_03";
  } else if (group_by && q.dim) {
    problem = "filter or group_by, not both";
  } else if (group_by && ps_ga_metric_has_groups(name) && strcmp(name, "revenue") != 0) {
    problem = "this metric already answers with groups; group_by does not apply";
  }
  if (problem) {
    ps_request_respond_error(req, 400, "bad_request", problem);
    return;
  }
  q.from_day = from_s / 86400;
  q.to_day = (to_s + 86399) / 86400;
  ps_metric_result r;
  int rc = ps_ga_query_run(app->store, game->id, &q, &r);
  ps_session_query shape = {.metric = name, .from_ms = q.from_day * 86400000LL,
                            .to_ms = q.to_day * 86400000LL, .group_by = group_by != NULL};
  respond_result(req, &shape, "day", &r, rc);
}

void ps_insights_metric_handler(ps_request *req, ps_app *app) {
  ps_game game;
  if (authorize(req, app) || find_game(req, app, &game)) return;
  const char *name = ps_request_param(req, 1);
  const char *source = ps_request_query(req, "source");
  if (source && strcmp(source, "events") != 0 && strcmp(source, "sessions") != 0) {
    ps_request_respond_error(req, 400, "bad_request", "source must be events or sessions");
    return;
  }
  /* Analytics-event metrics (ga_query.h); "sessions" is the metrics sessions' unless
   * source=events asks for the analytics events' (user events). */
  int events = ps_ga_metric_known(name) &&
               (strcmp(name, "sessions") != 0 || (source && strcmp(source, "events") == 0));
  if (events) {
    answer_event_metric(req, app, &game, name);
    return;
  }
  int matchmaking = ps_match_metric_known(name);
  if (!matchmaking && !ps_session_metric_known(name)) {
    ps_request_respond_error(req, 404, "not_found", "unknown metric");
    return;
  }
  int64_t now_s = ps_now_ms() / 1000, from_s, to_s;
  const char *interval = ps_request_query(req, "interval");
  const char *group_by = ps_request_query(req, "group_by");
  const char *problem = NULL;
  if (parse_seconds(ps_request_query(req, "to"), now_s, &to_s) ||
      parse_seconds(ps_request_query(req, "from"), to_s - 86400, &from_s) || from_s >= to_s)
    problem = "from and to must be unix seconds with from < to";
  else if (!interval_ms_of(interval))
    problem = "interval must be minute, hour or day";
  else if ((to_s - from_s) * 1000 / interval_ms_of(interval) > MAX_POINTS)
    problem = "too many points: widen the interval or narrow the range (at most 100000)";
  else if (matchmaking && (ps_request_query(req, "platform") || ps_request_query(req, "portal")))
    problem = "platform and portal filter metrics sessions; matchmaking metrics group by region, "
              "pool or queue";
  else if (group_by && matchmaking && !ps_match_group_known(group_by))
    problem = "group_by must be region, pool or queue";
  else if (group_by && !matchmaking && strcmp(group_by, "platform") != 0 &&
           strcmp(group_by, "portal") != 0)
    problem = "group_by must be platform or portal";
  else if (group_by && ps_session_metric_has_groups(name))
    problem = "this metric already answers with groups; group_by does not apply";
  if (!problem) {
    /* Buckets are whole UTC minutes, hours or days: widen the range to their boundaries. */
    int64_t step = interval_ms_of(interval) / 1000;
    from_s -= from_s % step;
    to_s += (step - to_s % step) % step;
  }
  if (problem) {
    ps_request_respond_error(req, 400, "bad_request", problem);
    return;
  }
  ps_session_query q = {.metric = name, .from_ms = from_s * 1000, .to_ms = to_s * 1000,
                       .interval_ms = interval_ms_of(interval),
                       .platform = ps_request_query(req, "platform"),
                       .portal = ps_request_query(req, "portal"), .group_by = group_by != NULL,
                       .group_by_portal = group_by && strcmp(group_by, "portal") == 0};
  ps_metric_result r;
  int rc = matchmaking ? ps_match_query_run(app->store, game.project_id, name, q.from_ms, q.to_ms,
                                            q.interval_ms, group_by, &r)
                       : ps_session_query_run(app->store, game.id, &q, ps_now_ms(),
                                              app->msession_timeout_ms, &r);
  respond_result(req, &q, interval ? interval : "hour", &r, rc);
}

void ps_insights_live_handler(ps_request *req, ps_app *app) {
  ps_game game;
  if (authorize(req, app) || find_game(req, app, &game)) return;
  int64_t now = ps_now_ms();
  ps_session_set set;
  ps_metric_result ccu = {0}, ugc = {0};
  /* Running sessions reach now (half-open), so the last millisecond is the live one. */
  int rc = ps_session_set_load(app->store, game.id, now - 1, now, now, app->msession_timeout_ms,
                               NULL, NULL, &set);
  if (rc == PS_OK) rc = ps_session_metric_compute("ccu", set.items, set.n, now - 1, now, 1, &ccu);
  if (rc == PS_OK)
    rc = ps_session_metric_compute("concurrent_ugc", set.items, set.n, now - 1, now, 1, &ugc);
  if (rc == PS_OK) {
    char answer[128];
    snprintf(answer, sizeof answer, "{\"at\":%lld,\"ccu\":%.0f,\"concurrent_ugc\":%.0f}",
             (long long)(now / 1000), ccu.whole.total, ugc.whole.total);
    ps_request_respond_json(req, 200, answer);
  } else {
    ps_request_respond_error(req, 503, "unavailable", "sessions could not be read, retry later");
  }
  ps_metric_result_free(&ccu);
  ps_metric_result_free(&ugc);
  ps_session_set_free(&set);
}

/* Every game, for a dashboard's game chooser: an API token reads every game of the server, so
 * it lists them all, by id, with their public names only (keys stay with `playstat game`). */
void ps_insights_games_handler(ps_request *req, ps_app *app) {
  if (authorize(req, app)) return;
  ps_game *games = NULL;
  size_t n = 0;
  ps_buf b = {0};
  int rc = app->store->ops->game_list(app->store, &games, &n);
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "{\"games\":[");
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    rc = ps_buf_printf(&b, "%s{\"id\":%lld,\"name\":", i ? "," : "", (long long)games[i].id);
    if (rc == PS_OK) rc = ps_buf_append_json_string(&b, games[i].name, strlen(games[i].name));
    if (rc == PS_OK) rc = ps_buf_append_str(&b, ",\"project_id\":");
    if (rc == PS_OK)
      rc = ps_buf_append_json_string(&b, games[i].project_id, strlen(games[i].project_id));
    if (rc == PS_OK) rc = ps_buf_append_str(&b, "}");
  }
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "]}");
  free(games);
  if (rc == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&b), len, 0);
    return;
  }
  ps_buf_free(&b);
  ps_request_respond_error(req, 503, "unavailable", "games could not be read, retry later");
}
