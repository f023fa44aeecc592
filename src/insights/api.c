/*
 * api.c: the read API of insights.
 *
 *   GET /api/v1/games/{id}/metrics/{name}?from=&to=&interval=&platform=&portal=&group_by=
 *     -> {"metric", "from", "to", "interval", "total", "points": [{"t", "v"}],
 *         "groups": [{"key", "total", "points"}]}      (groups: grouped metrics or group_by)
 *   GET /api/v1/games/{id}/live -> {"at", "ccu", "concurrent_ugc"}
 *
 * Authorization: Bearer <API token> (`playstat api-token create`); the store keeps only the
 * token's SHA-256. from/to are unix seconds (default: the last 24 h), widened to whole UTC
 * intervals; interval is minute, hour or day (default hour), at most 100,000 points. Errors: {"error", "message"} with 400, 401,
 * 404. Metrics are computed from the stored sessions (session_metrics.h); live figures include
 * every request already answered 204 (answers follow the commit).
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
#include "insights/session_metrics.h"

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

/* ---- sessions as intervals ---- */

typedef struct loaded {
  ps_session_interval *items;
  size_t n, cap;
  int64_t now_ms, timeout_ms;
  const char *platform, *portal, *group_by;
  char **strings; /* players and group keys, owned */
  int64_t **mods; /* mod arrays, owned */
} loaded;

static void loaded_free(loaded *l) {
  for (size_t i = 0; i < l->n; i++) {
    free(l->strings[2 * i]);
    free(l->strings[2 * i + 1]);
    free(l->mods[i]);
  }
  free(l->items);
  free(l->strings);
  free(l->mods);
}

static int add_session(const ps_msession_state *m, void *ctx) {
  loaded *l = ctx;
  if ((l->platform && strcmp(l->platform, m->platform) != 0) ||
      (l->portal && strcmp(l->portal, m->portal) != 0))
    return 0;
  if (l->n == l->cap) {
    size_t cap = l->cap ? l->cap * 2 : 256;
    ps_session_interval *items = realloc(l->items, cap * sizeof *items);
    char **strings = items ? realloc(l->strings, 2 * cap * sizeof *strings) : NULL;
    int64_t **mods = strings ? realloc(l->mods, cap * sizeof *mods) : NULL;
    if (items) l->items = items;
    if (strings) l->strings = strings;
    if (!mods) return PS_ENOMEM;
    l->mods = mods;
    l->cap = cap;
  }
  size_t nmods = 0;
  int64_t *ids = malloc((strlen(m->mod_ids) / 2 + 1) * sizeof *ids);
  char *player = strdup(m->player);
  const char *group = !l->group_by ? "" : strcmp(l->group_by, "platform") == 0 ? m->platform : m->portal;
  char *key = strdup(group);
  if (!ids || !player || !key) {
    free(ids);
    free(player);
    free(key);
    return PS_ENOMEM;
  }
  for (const char *p = m->mod_ids; *p;) {
    ids[nmods++] = strtoll(p, NULL, 10);
    p += strcspn(p, ",");
    if (*p == ',') p++;
  }
  ps_session_interval *it = &l->items[l->n];
  it->player = player;
  it->mods = ids;
  it->nmods = nmods;
  it->start_ms = m->started_ms;
  it->over = 1;
  if (m->ended_ms >= 0)
    it->end_ms = m->ended_ms;
  else if (l->now_ms - m->last_received_ms > l->timeout_ms)
    it->end_ms = m->last_ms; /* timed out: ended at its last heartbeat */
  else {
    it->end_ms = m->last_ms > l->now_ms ? m->last_ms : l->now_ms; /* still active */
    it->over = 0;
  }
  l->strings[2 * l->n] = player;
  l->strings[2 * l->n + 1] = key;
  l->mods[l->n] = ids;
  l->n++;
  return 0;
}

/* ---- rendering ---- */

static int render_points(ps_buf *b, const ps_metric_result *r, const ps_metric_series *s) {
  int rc = ps_buf_append_str(b, "[");
  for (size_t i = 0; rc == PS_OK && i < r->nbuckets; i++)
    rc = ps_buf_printf(b, "%s{\"t\":%lld,\"v\":%.15g}", i ? "," : "",
                       (long long)((r->from_ms + (int64_t)i * r->interval_ms) / 1000), s->values[i]);
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

/* Computes name over the sessions, whole and per group_by key, and answers. */
static void answer_metric(ps_request *req, const char *name, loaded *l, int64_t from_s,
                          int64_t to_s, const char *interval) {
  ps_metric_result whole;
  ps_buf b = {0};
  int64_t interval_ms = interval_ms_of(interval);
  int rc = ps_session_metric_compute(name, l->items, l->n, from_s * 1000, to_s * 1000,
                                     interval_ms, &whole);
  if (rc != PS_OK) goto fail;
  rc = ps_buf_printf(&b, "{\"metric\":\"%s\",\"from\":%lld,\"to\":%lld,\"interval\":\"%s\","
                         "\"total\":%.15g,\"points\":",
                     name, (long long)from_s, (long long)to_s, interval ? interval : "hour",
                     whole.whole.total);
  if (rc == PS_OK) rc = render_points(&b, &whole, &whole.whole);
  if (rc == PS_OK && (whole.ngroups || l->group_by)) rc = ps_buf_append_str(&b, ",\"groups\":[");
  for (size_t g = 0; rc == PS_OK && g < whole.ngroups; g++)
    rc = render_group(&b, &whole, &whole.groups[g], g == 0);
  if (rc == PS_OK && l->group_by) {
    /* One computation per distinct key, over that key's sessions. */
    int first = 1;
    for (size_t i = 0; rc == PS_OK && i < l->n; i++) {
      const char *key = l->strings[2 * i + 1];
      int seen = 0;
      for (size_t j = 0; j < i && !seen; j++) seen = strcmp(l->strings[2 * j + 1], key) == 0;
      if (seen) continue;
      ps_session_interval *subset = malloc(l->n * sizeof *subset);
      size_t m = 0;
      if (!subset) {
        rc = PS_ENOMEM;
        break;
      }
      for (size_t j = 0; j < l->n; j++)
        if (strcmp(l->strings[2 * j + 1], key) == 0) subset[m++] = l->items[j];
      ps_metric_result part;
      rc = ps_session_metric_compute(name, subset, m, from_s * 1000, to_s * 1000, interval_ms,
                                     &part);
      if (rc == PS_OK) {
        snprintf(part.whole.key, sizeof part.whole.key, "%s", key);
        rc = render_group(&b, &part, &part.whole, first);
        first = 0;
        ps_metric_result_free(&part);
      }
      free(subset);
    }
  }
  if (rc == PS_OK && (whole.ngroups || l->group_by)) rc = ps_buf_append_str(&b, "]");
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "}");
  ps_metric_result_free(&whole);
  if (rc != PS_OK) goto fail;
  size_t len = b.len;
  ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&b), len, 0);
  return;
fail:
  ps_buf_free(&b);
  ps_request_respond_error(req, 503, "unavailable", "out of memory, retry later");
}

void ps_insights_metric_handler(ps_request *req, ps_app *app) {
  ps_game game;
  if (authorize(req, app) || find_game(req, app, &game)) return;
  const char *name = ps_request_param(req, 1);
  if (!ps_session_metric_known(name)) {
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
  else if (group_by && strcmp(group_by, "platform") != 0 && strcmp(group_by, "portal") != 0)
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
  loaded l = {.now_ms = ps_now_ms(), .timeout_ms = app->msession_timeout_ms,
              .platform = ps_request_query(req, "platform"),
              .portal = ps_request_query(req, "portal"), .group_by = group_by};
  int rc = app->store->ops->msessions_range(app->store, game.id, from_s * 1000, to_s * 1000,
                                            add_session, &l);
  if (rc == PS_OK)
    answer_metric(req, name, &l, from_s, to_s, interval);
  else
    ps_request_respond_error(req, 503, "unavailable", "sessions could not be read, retry later");
  loaded_free(&l);
}

void ps_insights_live_handler(ps_request *req, ps_app *app) {
  ps_game game;
  if (authorize(req, app) || find_game(req, app, &game)) return;
  int64_t now = ps_now_ms();
  loaded l = {.now_ms = now, .timeout_ms = app->msession_timeout_ms};
  ps_metric_result ccu = {0}, ugc = {0};
  /* Active sessions run until now (half-open), so the last millisecond is the live one. */
  int rc = app->store->ops->msessions_range(app->store, game.id, now - 1, now, add_session, &l);
  if (rc == PS_OK) rc = ps_session_metric_compute("ccu", l.items, l.n, now - 1, now, 1, &ccu);
  if (rc == PS_OK)
    rc = ps_session_metric_compute("concurrent_ugc", l.items, l.n, now - 1, now, 1, &ugc);
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
  loaded_free(&l);
}
