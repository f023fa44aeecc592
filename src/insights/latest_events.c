/*
 * latest_events.c: the read API's live feed of a game's raw analytics events.
 *
 *   GET /api/v1/games/{id}/events/latest?limit=50
 *     -> {"game_id", "limit", "events": [{"received_ms", "category", "event"}]}
 *
 * Newest arrival first, at most limit (1 to 50, default 50) events, each as its stored body
 * (the JSON object the game sent, after validation) with its category and the server's time of
 * arrival. Authorization: Bearer <API token> of any role, like every read-API route. The event
 * store's latest() (store/events.h) bounds the work by the limit; SQLite shows an event as soon
 * as it is stored, ClickHouse about a second later (once the spool has shipped it). Errors:
 * {"error", "message"} with 400 (limit), 401, 403, 404 (game), 503.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/api_token_auth.h"
#include "common/buf.h"
#include "common/errors.h"
#include "insights/module.h"

typedef struct feed {
  ps_buf *b;
  size_t n;
} feed;

static int render_event(const ps_scan_item *item, void *ctx) {
  feed *f = ctx;
  const ps_stored_event *e = item->event;
  const char *category = e->category ? e->category : "";
  int rc = ps_buf_printf(f->b, "%s{\"received_ms\":%lld,\"category\":", f->n ? "," : "",
                         (long long)e->received_ms);
  if (rc == PS_OK) rc = ps_buf_append_json_string(f->b, category, strlen(category));
  if (rc == PS_OK) rc = ps_buf_append_str(f->b, ",\"event\":");
  /* the body is the JSON object stored at ingest (validated there), copied as it is */
  if (rc == PS_OK) rc = ps_buf_append(f->b, e->body, e->body_len);
  if (rc == PS_OK) rc = ps_buf_append_str(f->b, "}");
  f->n++;
  return rc;
}

/* limit from its text (NULL: the most); 0 when it is not an integer in 1..PS_LATEST_MAX. */
static size_t parse_limit(const char *text) {
  if (!text) return PS_LATEST_MAX;
  char *end;
  long v = strtol(text, &end, 10);
  return *text && !*end && v >= 1 && v <= PS_LATEST_MAX ? (size_t)v : 0;
}

void ps_insights_latest_events_handler(ps_request *req, ps_app *app) {
  ps_game game;
  if (ps_api_token_auth_require(req, app->state, PS_API_ROLE_VIEWER) ||
      ps_app_api_game(req, app, &game))
    return;
  size_t limit = parse_limit(ps_request_query(req, "limit"));
  if (!limit) {
    ps_request_respond_error(req, 400, "bad_request", "limit must be an integer from 1 to 50");
    return;
  }
  ps_buf b = {0};
  feed f = {&b, 0};
  int rc = ps_buf_printf(&b, "{\"game_id\":%lld,\"limit\":%zu,\"events\":[", (long long)game.id,
                         limit);
  if (rc == PS_OK) rc = app->events->ops->latest(app->events, game.id, limit, render_event, &f);
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "]}");
  if (rc == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&b), len, 0);
    return;
  }
  ps_buf_free(&b);
  ps_request_respond_error(req, 503, "unavailable",
                           rc == PS_ENOMEM ? "out of memory, retry later"
                                           : "the events could not be read, retry later");
}
