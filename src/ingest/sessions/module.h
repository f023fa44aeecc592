/*
 * module.h: session observability (Unity Matchmaker compatible; HTTP Basic service accounts)
 * as a module (src/ingest/sessions/module.c): the matchmaker's events come in through
 * src/ingest/sessions/endpoints.c and are read back through src/observability/api.c. Its state
 * (the anonymiser of player ids, the retention period and the job that deletes expired
 * sessions) is built by its init from serve's configuration. Internal to these two folders
 * and the module table.
 */
#ifndef PS_INGEST_SESSIONS_MODULE_H
#define PS_INGEST_SESSIONS_MODULE_H

#include <stdint.h>

#include "app/app.h"
#include "ingest/sessions/anonymizer.h"
#include "observability/retention.h"

extern const ps_module ps_so_module;

/* What the module's init builds; read-only after it, its members thread-safe. */
typedef struct ps_so_module_state {
  ps_so_anonymizer *anonymizer; /* multiplayer sessions: player ids -> "Player N" */
  int64_t retention_ms;         /* multiplayer sessions are kept this long after createdAt */
  ps_so_retention *retention;   /* deletes the expired ones */
} ps_so_module_state;

/* The module's state in app (never NULL once the server runs). */
static inline ps_so_module_state *ps_so_state_of(const ps_app *app) {
  return (ps_so_module_state *)ps_app_state(app, &ps_so_module);
}

/* src/ingest/sessions/endpoints.c (events), src/observability/api.c (reads) */
void ps_so_events_handler(ps_request *req, ps_app *app);
void ps_so_session_handler(ps_request *req, ps_app *app);
void ps_so_sessions_handler(ps_request *req, ps_app *app);

#endif
