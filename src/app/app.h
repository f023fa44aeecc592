/*
 * app.h: what the protocol modules of `playstat serve` share (ps_app), what serve configures
 * them with (ps_app_config) and how a module plugs in (ps_module).
 *
 * Why: every wire protocol (GameAnalytics collector, metrics sessions, session
 * observability, the read API, the dashboard, the admin endpoints) is one module: a static
 * struct defined in the protocol's own folder, naming its routes and, when it keeps state of
 * its own (the metrics sessions' registry and rate limiter, the matchmaker anonymiser), an
 * init that builds that state from serve's configuration and a fini that frees it. One fixed
 * table (src/app/modules.c) lists the modules; src/app/serve.c assembles the server from it.
 * src/http/ knows none of this: to it ps_app is the opaque pointer it hands to handlers.
 * Adding a protocol means one folder and one row in src/app/modules.c.
 *
 * Guarantees (src/app/serve.c keeps them):
 *  - every member of ps_app is set before the first module's init, lives until after the last
 *    module's fini and is safe to use from any thread;
 *  - modules are initialised in table order, each at most once, and finished in the reverse
 *    order; a module whose init failed is not finished (its init cleans up after itself);
 *  - a module's state is set before the server starts and freed only after the server has
 *    stopped and the ingest queue has been freed, so jobs still queued may use it;
 *  - routes: the server's table is every module's rows without a final "**", in module table
 *    order, then every module's catch-all (final "**") rows, in module table order (router.h: the
 *    first match wins, so a catch-all must never shadow another module's row).
 */
#ifndef PS_APP_APP_H
#define PS_APP_APP_H

#include <stddef.h>
#include <stdint.h>

#include "auth/games.h"
#include "common/metrics.h"
#include "http/router.h"
#include "http/server.h"
#include "ingest/queue.h"
#include "schema/validator.h"
#include "store/store.h"

typedef struct ps_module ps_module;

/* The services every module may use. */
struct ps_app {
  ps_state_store *state;  /* games, tokens, accounts, protocol state */
  ps_event_store *events; /* what was accepted, metric answers, session searches */
  ps_ingest_queue *queue;
  ps_schema_set *schemas;
  ps_metrics *metrics;
  ps_game_cache *games;
  size_t max_body_bytes; /* largest request body, raw or inflated */
  /* the modules, and what each one's init returned (ps_app_state) */
  const ps_module *const *modules;
  void **states;
  size_t nmodules;
};

/* What `playstat serve` configures; the caller owns every pointer (and the stores) and keeps
 * them until ps_app_serve returns. */
typedef struct ps_app_config {
  ps_stores stores;          /* open */
  const char *store_name;    /* how the start line names the store */
  ps_server_config http;     /* listen address, threads, body limit, ... */
  ps_ingest_options ingest;  /* queue capacity, batch size, debug aids */
  const char *web_dir;       /* the dashboard's files; NULL: found (src/http/static.h) */
  int64_t msession_window_ms;  /* metrics sessions: allowed |session_ts - server time| */
  int64_t msession_timeout_ms; /* metrics sessions: a session without requests is over */
  unsigned player_rate;        /* metrics requests per minute per player */
  int64_t so_retention_ms;     /* multiplayer sessions are kept this long after createdAt */
  int64_t so_retention_check_ms; /* how often expired multiplayer sessions are deleted */
  /* The data lifecycle (src/lifecycle/): raw export and retention of raw rows. */
  const char *export_url;        /* NULL: no scheduled export (export/target.h) */
  int64_t export_period_ms;      /* an hour or a day */
  unsigned export_formats;       /* bits of ps_export_format */
  int64_t export_delay_ms;       /* a period is exported this long after its end */
  int64_t event_retention_ms;    /* 0: keep analytics and rejected events forever */
  int64_t msession_retention_ms; /* 0: keep metrics sessions forever */
  const char *geoip_file;        /* a MaxMind DB country database (geoip/geoip.h); NULL: the
                                  * country of every event is unknown */
} ps_app_config;

/* One protocol. Defined `const` in the protocol's folder; init and fini may be NULL. */
struct ps_module {
  const char *name;      /* for logs: "ga", "metrics_sessions", ... */
  const ps_route *routes; /* static; ordered as the guarantees above say */
  size_t nroutes;
  /* Builds the module's own state into *state (NULL when it keeps none). Returns 0;
   * PS_EINVAL for a configuration error (serve exits 2), already told on stderr or the log;
   * any other error (serve exits 1). On failure it leaves nothing behind. */
  int (*init)(const ps_app_config *config, ps_app *app, void **state);
  /* Frees what init built (state may be NULL when init set none). */
  void (*fini)(void *state);
};

/* The state module's init set in app, or NULL (no init, no state, or not in the table).
 * Costs a scan of the module table (a few pointer compares); any thread. */
void *ps_app_state(const ps_app *app, const ps_module *module);

/* The game whose id is the request's first path parameter (/api/v1/games/{id}/...), into
 * *game: 0, or -1 after answering 404 in the read API's error format. */
int ps_app_api_game(ps_request *req, const ps_app *app, ps_game *game);

#endif
