/*
 * module.c: the metrics sessions' routes and state (module.h). The game comes from the Host
 * (g-{id}.<domain>) or from the path prefix /g-{id}, so every endpoint has two rows; the
 * catch-all POST /{}/... ("**") answers a mod.io-style 404 for anything else under /g-{id}/ (the
 * handler checks the "g-"), after every other module's rows (app.h).
 */
#include "ingest/metrics/module.h"

#include <stdlib.h>

#include "common/errors.h"

static int msession_init(const ps_app_config *config, ps_app *app, void **state) {
  ps_msession_module_state *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->window_ms = config->msession_window_ms;
  s->timeout_ms = config->msession_timeout_ms;
  int rc = ps_msession_registry_create(app->state, s->timeout_ms, &s->registry);
  if (rc == PS_OK) rc = ps_rate_limit_create(config->player_rate, &s->player_rate);
  if (rc != PS_OK) {
    ps_msession_registry_free(s->registry);
    free(s);
    return rc;
  }
  *state = s;
  return PS_OK;
}

static void msession_fini(void *state) {
  ps_msession_module_state *s = state;
  if (!s) return;
  ps_rate_limit_free(s->player_rate);
  ps_msession_registry_free(s->registry);
  free(s);
}

static const ps_route routes[] = {
    {"metrics_start", "POST", "/v1/metrics/sessions/start", ps_msession_start_handler},
    {"metrics_heartbeat", "POST", "/v1/metrics/sessions/heartbeat", ps_msession_heartbeat_handler},
    {"metrics_end", "POST", "/v1/metrics/sessions/end", ps_msession_end_handler},
    {"metrics_start", "POST", "/{}/v1/metrics/sessions/start", ps_msession_start_handler},
    {"metrics_heartbeat", "POST", "/{}/v1/metrics/sessions/heartbeat",
     ps_msession_heartbeat_handler},
    {"metrics_end", "POST", "/{}/v1/metrics/sessions/end", ps_msession_end_handler},
    {"metrics_unknown", "POST", "/v1/metrics/sessions/{}", ps_msession_not_found_handler},
    {"metrics_unknown", "POST", "/{}/**", ps_msession_not_found_handler}, /* a catch-all */
};

const ps_module ps_msession_module = {"metrics_sessions", routes, sizeof routes / sizeof *routes,
                                      msession_init, msession_fini};
