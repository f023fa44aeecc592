/*
 * values.c: the values a dimension really takes, for a dashboard's filters.
 *
 *   GET /api/v1/games/{id}/dimensions/{dimension}/values?from=&to=&limit=&source=
 *     -> {"dimension": "...", "values": [{"value": "...", "users": N}, ...]}
 *
 * dimension: an event dimension (ps_catalog_dimensions(PS_SOURCE_EVENTS)) or first_build,
 * or with source=sessions a metrics-session dimension (platform, portal). users: the distinct
 * users (players, for sessions) active in [from, to) with that value (first_build: whose first
 * build it is), as the metric dau (total_players) grouped by the dimension totals them; values
 * with none are left out. Most users first, then by value; at most limit (default 100, at most
 * 1000). from/to: unix seconds, default the last 30 days, widened to whole UTC days. The
 * answer comes from the event store's metric() (the rollups on SQLite), so it costs what a
 * group_by costs, never a scan of raw events. Errors: {"error", "message"}: 400, 401, 403,
 * 404, 503.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/errors.h"
#include "insights/catalog.h"
#include "insights/module.h"

#define DEFAULT_LIMIT 100
#define MAX_LIMIT 1000
#define DAY_S 86400

static int by_users(const void *a, const void *b) {
  const ps_metric_series *x = a, *y = b;
  if (x->total != y->total) return x->total < y->total ? 1 : -1;
  return strcmp(x->key, y->key);
}

static int render(ps_buf *b, const char *dimension, ps_metric_result *r, size_t limit) {
  if (r->ngroups) qsort(r->groups, r->ngroups, sizeof *r->groups, by_users);
  int rc = ps_buf_append_str(b, "{\"dimension\":");
  if (rc == PS_OK) rc = ps_buf_append_json_string(b, dimension, strlen(dimension));
  if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"values\":[");
  for (size_t i = 0, n = 0; rc == PS_OK && i < r->ngroups && n < limit; i++) {
    if (r->groups[i].total <= 0) continue;
    rc = ps_buf_append_str(b, n++ ? ",{\"value\":" : "{\"value\":");
    if (rc == PS_OK) rc = ps_buf_append_json_string(b, r->groups[i].key, strlen(r->groups[i].key));
    if (rc == PS_OK) rc = ps_buf_printf(b, ",\"users\":%.15g}", r->groups[i].total);
  }
  return rc == PS_OK ? ps_buf_append_str(b, "]}") : rc;
}

void ps_insights_values_handler(ps_request *req, ps_app *app) {
  ps_game game;
  if (ps_insights_authorize(req, app) || ps_app_api_game(req, app, &game)) return;
  const char *dimension = ps_request_param(req, 1);
  const char *source = ps_request_query(req, "source");
  const char *limit_text = ps_request_query(req, "limit");
  int sessions = source && strcmp(source, "sessions") == 0;
  int64_t now_s = ps_now_ms() / 1000, from_s = 0, to_s = 0;
  long limit = DEFAULT_LIMIT;
  char *end = NULL;
  const char *problem = NULL;
  if (limit_text) limit = strtol(limit_text, &end, 10);
  if (source && !sessions && strcmp(source, "events") != 0)
    problem = "source must be events or sessions";
  else if (sessions ? !ps_catalog_dimension(PS_SOURCE_PLAYTIME, dimension)
                    : !ps_catalog_dimension(PS_SOURCE_EVENTS, dimension) &&
                          strcmp(dimension, "first_build") != 0)
    problem = sessions ? "source=sessions has the dimensions platform and portal"
                       : "not an event dimension (GET /api/v1/metrics lists them) or first_build";
  else if (limit_text && (!*limit_text || *end || limit < 1 || limit > MAX_LIMIT))
    problem = "limit must be 1 to 1000";
  else if (ps_insights_parse_seconds(ps_request_query(req, "to"), now_s, &to_s) ||
           ps_insights_parse_seconds(ps_request_query(req, "from"), to_s - 30 * DAY_S, &from_s) ||
           from_s >= to_s)
    problem = "from and to must be unix seconds with from < to";
  else if (to_s - from_s > 3660LL * DAY_S)
    problem = "at most ten years at a time";
  if (problem) {
    ps_request_respond_error(req, 400, "bad_request", problem);
    return;
  }
  from_s -= from_s % DAY_S;
  to_s += (DAY_S - to_s % DAY_S) % DAY_S;
  ps_metric_query q = {.source = sessions ? PS_SOURCE_PLAYTIME : PS_SOURCE_EVENTS,
                       .metric = sessions ? "total_players" : "dau", .game_id = game.id,
                       .project_id = game.project_id, .from_ms = from_s * 1000,
                       .to_ms = to_s * 1000, .interval_ms = DAY_S * 1000LL,
                       .group_by = dimension, .now_ms = now_s * 1000};
  ps_metric_result r;
  ps_buf b = {0};
  int rc = app->events->ops->metric(app->events, &q, &r);
  if (rc == PS_OK) {
    rc = render(&b, dimension, &r, (size_t)limit);
    ps_metric_result_free(&r);
  }
  if (rc == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&b), len, 0);
    return;
  }
  ps_buf_free(&b);
  if (rc == PS_EINVAL)
    ps_request_respond_error(req, 400, "bad_request",
                             "this event store does not list the values of that dimension");
  else
    ps_request_respond_error(req, 503, "unavailable", "the data could not be read, retry later");
}
