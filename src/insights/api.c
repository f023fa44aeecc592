/*
 * api.c: the read API of insights.
 *
 *   GET /api/v1/games/{id}/metrics/{name}?from=&to=&interval=&platform=&portal=&group_by=
 *     -> {"metric", "from", "to", "interval", "total", "points": [{"t", "v"}],
 *         "groups": [{"key", "total", "points"}]}      (groups: grouped metrics or group_by)
 *     money metrics (revenue, arpdau, arppu, ltv; &currency=; ltv: &days=) also answer "currency" and
 *     "left_out" before "total", converted by insights/money.h; null figures: unconverted
 *     analytics-event metrics take the event dimensions and first_build, new as filters,
 *     several at once where the catalogue says so (a segment: docs/http-api.md), and a
 *     group_by beside them (each group: the segment and the group's value)
 *     funnel with steps=kind:id,... or window= (store/funnel.h): each group (a step) also has
 *         "conversion" (from step 1), "from_previous" and "drop_off" (users lost since it)
 *   GET /api/v1/games/{id}/live -> {"at", "ccu", "concurrent_ugc"}
 *   GET /api/v1/games -> {"games": [{"id", "name", "project_id"}]}   (never a key)
 *
 * Authorization: Bearer <API token> (`playstat api-token create`) of any role (viewer or
 * admin: src/auth/api_token_auth.h); the state store keeps only the token's SHA-256. from/to
 * are unix seconds (default: the last 24 h; analytics-event metrics: the last 30 days),
 * widened to whole UTC intervals; interval is minute, hour or day (default hour;
 * analytics-event metrics are daily), at most 100,000 points. Errors: {"error", "message"}
 * with 400, 401, 403, 404, 503. Which metrics exist, where they come from and which
 * parameters they take is the catalogue's (catalog.h); this file validates a request
 * against it, asks the event store (store/events.h: metric(), live()) and renders the answer.
 * Live figures include every request already answered 204 (answers follow the commit).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/api_token_auth.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/errors.h"
#include "insights/catalog.h"
#include "insights/ltv.h"
#include "insights/module.h"
#include "insights/money.h"
#include "store/funnel.h"

#define MAX_POINTS 100000

/* Answers 401 unless the request carries a known API token, 403 unless it may read metrics
 * (every role may: src/auth/api_token_auth.h). */
static int authorize(ps_request *req, ps_app *app) {
  return ps_api_token_auth_require(req, app->state, PS_API_ROLE_VIEWER);
}

/* ---- rendering ---- */

/* A figure: a JSON number, or null for NaN (a money figure that could not be converted). */
static int render_value(ps_buf *b, double v) {
  return isnan(v) ? ps_buf_append_str(b, "null") : ps_buf_append_json_number(b, v);
}

static int render_points(ps_buf *b, const ps_metric_result *r, const ps_metric_series *s) {
  int rc = ps_buf_append_str(b, "[");
  for (size_t i = 0; rc == PS_OK && i < r->nbuckets; i++) {
    rc = ps_buf_append_str(b, i ? ",{\"t\":" : "{\"t\":");
    if (rc == PS_OK)
      rc = ps_buf_append_json_number(b, (double)((r->from_ms + (int64_t)i * r->interval_ms) / 1000));
    if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"v\":");
    if (rc == PS_OK) rc = render_value(b, s->values[i]);
    if (rc == PS_OK) rc = ps_buf_append_str(b, "}");
  }
  return rc == PS_OK ? ps_buf_append_str(b, "]") : rc;
}

/* A per-user funnel's step g after prev (NULL for step 1) of the funnel entered by first:
 * conversion from step 1 and from the previous step, and the users lost since it. */
static int render_funnel_step(ps_buf *b, const ps_metric_series *first,
                              const ps_metric_series *prev, const ps_metric_series *g) {
  double from_prev = prev ? prev->total : first->total;
  return ps_buf_printf(b, ",\"conversion\":%.15g,\"from_previous\":%.15g,\"drop_off\":%.15g",
                       first->total ? g->total / first->total : 0,
                       from_prev ? g->total / from_prev : 0, from_prev - g->total);
}

static int render_group(ps_buf *b, const ps_metric_result *r, const ps_metric_series *g, int first,
                        int funnel) {
  int rc = ps_buf_append_str(b, first ? "{\"key\":" : ",{\"key\":");
  if (rc == PS_OK) rc = ps_buf_append_json_string(b, g->key, strlen(g->key));
  if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"total\":");
  if (rc == PS_OK) rc = render_value(b, g->total);
  if (rc == PS_OK && funnel)
    rc = render_funnel_step(b, &r->groups[0], first ? NULL : g - 1, g);
  if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"points\":");
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

/* The money fields of an answer (insights/money.h): "currency" and "left_out". */
static int render_money(ps_buf *b, const ps_money_note *money) {
  int rc = ps_buf_append_str(b, "\"currency\":");
  if (rc == PS_OK)
    rc = money->currency[0] ? ps_buf_printf(b, "\"%s\"", money->currency)
                            : ps_buf_append_str(b, "null");
  if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"left_out\":[");
  for (size_t i = 0; rc == PS_OK && i < money->nleft_out; i++) {
    if (i) rc = ps_buf_append_str(b, ",");
    if (rc == PS_OK)
      rc = ps_buf_append_json_string(b, money->left_out[i], strlen(money->left_out[i]));
  }
  return rc == PS_OK ? ps_buf_append_str(b, "],") : rc;
}

/* Renders the answer of q; money: the money fields, NULL for a metric without. */
static int render_answer(ps_buf *b, const ps_metric_query *q, const char *interval,
                         const ps_metric_result *r, const ps_money_note *money) {
  int rc = ps_buf_printf(b, "{\"metric\":\"%s\",\"from\":%lld,\"to\":%lld,\"interval\":\"%s\",",
                         q->metric, (long long)(q->from_ms / 1000), (long long)(q->to_ms / 1000),
                         interval);
  if (rc == PS_OK && money) rc = render_money(b, money);
  if (rc == PS_OK) rc = ps_buf_append_str(b, "\"total\":");
  if (rc == PS_OK) rc = render_value(b, r->whole.total);
  if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"points\":");
  if (rc == PS_OK) rc = render_points(b, r, &r->whole);
  if (rc == PS_OK && (r->ngroups || q->group_by)) rc = ps_buf_append_str(b, ",\"groups\":[");
  for (size_t g = 0; rc == PS_OK && g < r->ngroups; g++)
    rc = render_group(b, r, &r->groups[g], g == 0, ps_funnel_wanted(q));
  if (rc == PS_OK && (r->ngroups || q->group_by)) rc = ps_buf_append_str(b, "]");
  return rc == PS_OK ? ps_buf_append_str(b, "}") : rc;
}

/* Sends the answer of a computed result, or the error of its computation. */
static void respond_result(ps_request *req, const ps_metric_query *q, const char *interval,
                           ps_metric_result *r, ps_money_note *money, int rc) {
  ps_buf b = {0};
  if (rc == PS_OK) rc = render_answer(&b, q, interval, r, money);
  ps_metric_result_free(r);
  if (money) ps_money_note_free(money);
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

/* Adds the query string's filter name to q when given (*full: no room left for it). */
static void take_filter(ps_request *req, const char *name, ps_metric_query *q, int *full) {
  const char *v = ps_request_query(req, name);
  if (!v) return;
  if (q->nfilters == PS_METRIC_MAX_FILTERS) *full = 1;
  else q->filters[q->nfilters++] = (ps_metric_filter){name, v};
}

/* Reads the query's filters of the metric's source into q (its dimensions, then for analytics
 * events the user attributes first_build and new) and checks them against the catalogue; a
 * problem (possibly written into problem, cap bytes) or NULL. */
static const char *read_filters(ps_request *req, const ps_catalog_metric *m, ps_metric_query *q,
                                char *problem, size_t cap) {
  /* Matchmaking metrics take no filter: the playtime ones sent to them are refused. */
  const char *const *names = ps_catalog_dimensions(
      m->source == PS_SOURCE_MATCHMAKING ? PS_SOURCE_PLAYTIME : m->source);
  int full = 0;
  for (const char *const *d = names; *d; d++) take_filter(req, *d, q, &full);
  if (m->source == PS_SOURCE_EVENTS)
    for (const char *const *a = ps_catalog_user_attributes(); *a; a++) take_filter(req, *a, q, &full);
  if (full) return "too many filters";
  for (size_t i = 0; i < q->nfilters; i++) {
    if (m->source == PS_SOURCE_MATCHMAKING)
      return "platform and portal filter metrics sessions; matchmaking metrics group by region, "
             "pool or queue";
    if (!q->filters[i].value[0]) { /* "users without a value" or "every value"? neither */
      snprintf(problem, cap, "the filter %s has no value (leave it out for every value)",
               q->filters[i].dimension);
      return problem;
    }
    if (!ps_catalog_takes(m, q->filters[i].dimension)) {
      snprintf(problem, cap, "metric %s does not take the filter %s (GET /api/v1/metrics lists "
               "the filters each metric takes)", m->name, q->filters[i].dimension);
      return problem;
    }
    if (strcmp(q->filters[i].dimension, "new") == 0 && strcmp(q->filters[i].value, "new") != 0 &&
        strcmp(q->filters[i].value, "returning") != 0)
      return "new must be new or returning";
  }
  /* the per-user funnel reads the events that carry every value (store/funnel.h) */
  if (m->source == PS_SOURCE_EVENTS && q->nfilters > 1 && !(m->flags & PS_METRIC_SEGMENTS) &&
      !((m->flags & PS_METRIC_SEGMENTS_PER_USER) && ps_funnel_wanted(q))) {
    snprintf(problem, cap, "metric %s takes one filter at a time, not %s and %s together%s "
             "(GET /api/v1/metrics lists what each metric takes)", m->name,
             q->filters[0].dimension, q->filters[1].dimension,
             (m->flags & PS_METRIC_SEGMENTS_PER_USER) ? " (but with window= or kind:id steps)"
                                                       : "");
    return problem;
  }
  return NULL;
}

/* What is wrong with the group_by of m (possibly written into problem, cap bytes), or NULL. */
static const char *check_group_by(const ps_catalog_metric *m, const ps_metric_query *q,
                                  char *problem, size_t cap) {
  if (!q->group_by) return NULL;
  if (!ps_catalog_dimension(m->source, q->group_by))
    return m->source == PS_SOURCE_EVENTS
               ? "group_by must be platform, build, os_version, custom_01, custom_02, custom_03 or"
                 " country"
           : m->source == PS_SOURCE_PLAYTIME ? "group_by must be platform or portal"
                                             : "group_by must be region, pool or queue";
  if (!(m->flags & PS_METRIC_GROUPABLE)) {
    snprintf(problem, cap, "metric %s answers with groups of its own; group_by does not apply "
             "(GET /api/v1/metrics lists the group_by each metric takes)", m->name);
    return problem;
  }
  /* A segment's metric groups it (catalog.h); the others take a filter or group_by. */
  if (!ps_catalog_filters_with_group_by(m) && q->nfilters) {
    snprintf(problem, cap, "metric %s takes a filter or group_by, not both (GET /api/v1/metrics"
             " lists what each metric takes)", m->name);
    return problem;
  }
  return NULL;
}

void ps_insights_metric_handler(ps_request *req, ps_app *app) {
  ps_game game;
  if (authorize(req, app) || ps_app_api_game(req, app, &game)) return;
  const char *source = ps_request_query(req, "source");
  if (source && strcmp(source, "events") != 0 && strcmp(source, "sessions") != 0) {
    ps_request_respond_error(req, 400, "bad_request", "source must be events or sessions");
    return;
  }
  const ps_catalog_metric *m = ps_catalog_find(ps_request_param(req, 1), source);
  if (!m) {
    ps_request_respond_error(req, 404, "not_found", "unknown metric");
    return;
  }
  int events = m->source == PS_SOURCE_EVENTS;
  int64_t now_ms = ps_now_ms(), now_s = now_ms / 1000, from_s, to_s;
  const char *interval = ps_request_query(req, "interval");
  ps_metric_query q = {.source = m->source, .metric = m->name, .game_id = game.id,
                       .project_id = game.project_id, .group_by = ps_request_query(req, "group_by"),
                       .now_ms = now_ms};
  if (m->flags & PS_METRIC_FAMILY) {
    q.measure = ps_request_query(req, "measure");
    q.by = ps_request_query(req, "by");
    q.prefix = ps_request_query(req, "prefix");
    q.steps = ps_request_query(req, "steps");
  }
  char filter_problem[256];
  const char *problem = NULL;
  const char *window = strcmp(m->name, "funnel") == 0 ? ps_request_query(req, "window") : NULL;
  ps_funnel funnel;
  if (window && (parse_seconds(window, 0, &q.window_s) || q.window_s < 1))
    problem = "window is the funnel's conversion window in seconds (1 to 316224000)";
  if (!problem) problem = read_filters(req, m, &q, filter_problem, sizeof filter_problem);
  if (!problem && ps_funnel_wanted(&q)) ps_funnel_parse(&q, &funnel, &problem);
  if (!problem && strcmp(m->name, "ltv") == 0)
    problem = ps_ltv_days(ps_request_query(req, "days"), &q.days); /* insights/ltv.h */
  int64_t step = events ? 86400 : interval_ms_of(interval) / 1000;
  if (problem) {
  } else if (parse_seconds(ps_request_query(req, "to"), now_s, &to_s) ||
             parse_seconds(ps_request_query(req, "from"), to_s - (events ? 30 : 1) * 86400,
                           &from_s) ||
             from_s >= to_s) {
    problem = "from and to must be unix seconds with from < to";
  } else if (events && interval && strcmp(interval, "day") != 0) {
    problem = "analytics-event metrics are daily: interval=day";
  } else if (!step) {
    problem = "interval must be minute, hour or day";
  } else if (events && to_s - from_s > 3660LL * 86400) {
    problem = "at most ten years at a time";
  } else if (!events && (to_s - from_s) / step > MAX_POINTS) {
    problem = "too many points: widen the interval or narrow the range (at most 100000)";
  } else {
    problem = check_group_by(m, &q, filter_problem, sizeof filter_problem);
  }
  if (problem) {
    ps_request_respond_error(req, 400, "bad_request", problem);
    return;
  }
  /* Buckets are whole UTC minutes, hours or days: widen the range to their boundaries. */
  from_s -= from_s % step;
  to_s += (step - to_s % step) % step;
  q.from_ms = from_s * 1000;
  q.to_ms = to_s * 1000;
  q.interval_ms = step * 1000;
  ps_metric_result r = {0};
  if (m->flags & PS_METRIC_MONEY) {
    ps_money_note money;
    char currency[4];
    int rc;
    problem = ps_money_currency(app->state, game.id, ps_request_query(req, "currency"), currency,
                                &rc);
    if (problem) {
      ps_request_respond_error(req, 400, "bad_request", problem);
      return;
    }
    if (rc == PS_OK) rc = ps_money_metric(app->events, app->state, &q, currency, &r, &money);
    respond_result(req, &q, "day", &r, rc == PS_OK ? &money : NULL, rc);
    return;
  }
  int rc = app->events->ops->metric(app->events, &q, &r);
  respond_result(req, &q, events ? "day" : interval ? interval : "hour", &r, NULL, rc);
}

void ps_insights_live_handler(ps_request *req, ps_app *app) {
  ps_game game;
  if (authorize(req, app) || ps_app_api_game(req, app, &game)) return;
  int64_t now = ps_now_ms();
  ps_live live;
  if (app->events->ops->live(app->events, game.id, now, &live) == PS_OK) {
    char answer[128];
    snprintf(answer, sizeof answer, "{\"at\":%lld,\"ccu\":%lld,\"concurrent_ugc\":%lld}",
             (long long)(now / 1000), (long long)live.ccu, (long long)live.concurrent_ugc);
    ps_request_respond_json(req, 200, answer);
  } else {
    ps_request_respond_error(req, 503, "unavailable", "sessions could not be read, retry later");
  }
}

/* Every game, for a dashboard's game chooser: an API token reads every game of the server, so
 * it lists them all, by id, with their public names only (keys stay with `playstat game`). */
void ps_insights_games_handler(ps_request *req, ps_app *app) {
  if (authorize(req, app)) return;
  ps_game *games = NULL;
  size_t n = 0;
  ps_buf b = {0};
  int rc = app->state->ops->game_list(app->state, &games, &n);
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

/* For the other handlers of the read API (module.h). */
int ps_insights_authorize(ps_request *req, ps_app *app) { return authorize(req, app); }

int ps_insights_parse_seconds(const char *text, int64_t fallback, int64_t *out) {
  return parse_seconds(text, fallback, out);
}
