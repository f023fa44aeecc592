/*
 * module.h: the mod.io-compatible metrics sessions as a module (src/ingest/metrics/module.c):
 * its state (the session registry and the per-player rate limiter, built by its init from
 * serve's configuration) and the handlers its routes name (endpoints.c). Internal to
 * src/ingest/metrics/ and the module table.
 */
#ifndef PS_INGEST_METRICS_MODULE_H
#define PS_INGEST_METRICS_MODULE_H

#include <stdint.h>

#include "app/app.h"
#include "ingest/metrics/rate_limit.h"
#include "ingest/metrics/registry.h"

extern const ps_module ps_msession_module;

/* What the module's init builds; read-only after it, its members thread-safe. */
typedef struct ps_msession_module_state {
  ps_msession_registry *registry; /* metrics-session state */
  ps_rate_limit *player_rate;     /* metrics requests per player */
  int64_t window_ms;              /* allowed |session_ts - server time| */
  int64_t timeout_ms;             /* a session without requests for this long is over */
} ps_msession_module_state;

/* The module's state in app (never NULL once the server runs). */
static inline ps_msession_module_state *ps_msession_state_of(const ps_app *app) {
  return (ps_msession_module_state *)ps_app_state(app, &ps_msession_module);
}

/* endpoints.c: POST [/g-{id}]/v1/metrics/sessions/{start,heartbeat,end}; any other POST
 * under /v1/metrics/sessions/ or /g-{id}/ is a mod.io-style 404. */
void ps_msession_start_handler(ps_request *req, ps_app *app);
void ps_msession_heartbeat_handler(ps_request *req, ps_app *app);
void ps_msession_end_handler(ps_request *req, ps_app *app);
void ps_msession_not_found_handler(ps_request *req, ps_app *app);

#endif
