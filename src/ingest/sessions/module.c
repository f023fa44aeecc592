/* module.c: session observability's routes and state (module.h). */
#include "ingest/sessions/module.h"

#include <stdlib.h>

#include "common/errors.h"

static int so_init(const ps_app_config *config, ps_app *app, void **state) {
  ps_so_module_state *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->retention_ms = config->so_retention_ms;
  int rc = ps_so_anonymizer_create(app->state, &s->anonymizer);
  if (rc == PS_OK)
    rc = ps_so_retention_start(config->stores, s->retention_ms, config->so_retention_check_ms,
                               &s->retention);
  if (rc != PS_OK) {
    ps_so_anonymizer_free(s->anonymizer);
    free(s);
    return rc;
  }
  *state = s;
  return PS_OK;
}

static void so_fini(void *state) {
  ps_so_module_state *s = state;
  if (!s) return;
  ps_so_retention_stop(s->retention);
  ps_so_anonymizer_free(s->anonymizer);
  free(s);
}

#define SO_SESSIONS "/session-observability/v1/projects/{}/environments/{}/sessions"

static const ps_route routes[] = {
    {"so_events", "POST", SO_SESSIONS "/{}/events", ps_so_events_handler},
    {"so_session", "GET", SO_SESSIONS "/{}", ps_so_session_handler},
    {"so_sessions", "GET", SO_SESSIONS, ps_so_sessions_handler},
};

const ps_module ps_so_module = {"session_observability", routes, sizeof routes / sizeof *routes,
                                so_init, so_fini};
