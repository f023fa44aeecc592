/*
 * module.c: see module.h.
 *
 *   DELETE /api/v1/games/{id}/players/{user_id}
 *     Authorization: Bearer <API token with the admin role>
 *     -> 200 {"game_id": 1, "removed": {"events": N, "rejected_events": N,
 *                                       "metrics_sessions": N}}
 *   Idempotent: deleting again answers zeros. Errors {"error", "message"}: 400 (user id),
 *   401, 403 (a viewer token), 404 (game), 501 (a store that cannot delete), 503 (try again:
 *   the deletion resumes). The user id is percent-decoded from the path; it is never logged
 *   (the access log writes the route's pattern).
 */
#include "lifecycle/module.h"

#include <stdio.h>
#include <stdlib.h>

#include "auth/api_token_auth.h"
#include "common/errors.h"
#include "common/log.h"
#include "export/schedule.h"
#include "lifecycle/forget.h"
#include "lifecycle/raw_retention.h"

#define RETENTION_CHECK_MS (10 * 60 * 1000)

typedef struct lifecycle_state {
  ps_stores stores;
  ps_export_schedule *export;
  ps_raw_retention *retention;
} lifecycle_state;

static void delete_player_handler(ps_request *req, ps_app *app) {
  if (ps_api_token_auth_require(req, app->state, PS_API_ROLE_ADMIN) != 0) return;
  ps_game game;
  if (ps_app_api_game(req, app, &game)) return;
  ps_request_note_game(req, game.id);
  ps_stores stores = {.state = app->state, .events = app->events};
  ps_forget_report r;
  const char *why = NULL;
  int rc = ps_forget_player(&stores, game.id, ps_request_param(req, 1), &r, &why);
  if (rc == PS_EINVAL) {
    ps_request_respond_error(req, 400, "invalid_user_id", why);
    return;
  }
  if (rc == PS_EUNSUPPORTED) {
    ps_request_respond_error(req, 501, "not_implemented", why);
    return;
  }
  if (rc != PS_OK) {
    ps_request_respond_error(req, 503, "unavailable", why);
    return;
  }
  char body[256];
  snprintf(body, sizeof body,
           "{\"game_id\":%lld,\"removed\":{\"events\":%lld,\"rejected_events\":%lld,"
           "\"metrics_sessions\":%lld}}",
           (long long)game.id, (long long)r.events, (long long)r.rejected,
           (long long)r.msessions);
  ps_request_respond_json(req, 200, body);
}

static void lifecycle_fini(void *arg) {
  lifecycle_state *s = arg;
  if (!s) return;
  ps_export_schedule_stop(s->export);
  ps_raw_retention_stop(s->retention);
  free(s);
}

static int lifecycle_init(const ps_app_config *config, ps_app *app, void **out) {
  (void)app;
  lifecycle_state *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->stores = config->stores;
  int rc = ps_raw_retention_start(config->stores.events, config->event_retention_ms,
                                  config->msession_retention_ms, RETENTION_CHECK_MS,
                                  &s->retention);
  if (rc == PS_EUNSUPPORTED) {
    ps_error_log("serve: this event store cannot drop raw rows (--event-retention-days)");
    rc = PS_EINVAL;
  }
  if (rc == PS_OK && config->export_url) {
    ps_export_schedule_options o = {.url = config->export_url,
                                    .period_ms = config->export_period_ms,
                                    .formats = config->export_formats,
                                    .delay_ms = config->export_delay_ms};
    char why[512] = "";
    rc = ps_export_schedule_start(config->stores, &o, &s->export, why, sizeof why);
    if (rc != PS_OK) ps_error_log("serve: --export-url: %s", why[0] ? why : ps_strerror(rc));
    if (rc != PS_OK && rc != PS_ENOMEM) rc = PS_EINVAL;
  }
  if (rc != PS_OK) {
    lifecycle_fini(s);
    return rc;
  }
  *out = s;
  return PS_OK;
}

static const ps_route routes[] = {
    {"players_delete", "DELETE", "/api/v1/games/{}/players/{}", delete_player_handler},
};

const ps_module ps_lifecycle_module = {"lifecycle", routes, sizeof routes / sizeof *routes,
                                       lifecycle_init, lifecycle_fini};
