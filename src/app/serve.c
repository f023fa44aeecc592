/*
 * serve.c: see serve.h. The assembly: shared services first (schemas, metrics, game cache,
 * ingest queue), then each module's init in table order; teardown in the reverse order, the
 * modules' states after the queue (whose last jobs may still use them), then the shared
 * services (app.h, Guarantees).
 */
#include "app/serve.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "app/modules.h"
#include "app/route_table.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/upkeep.h"

/* How often the event store's upkeep (its rollups) runs: answers follow ingest by about this. */
#define UPKEEP_PERIOD_MS 1000

/* What the server's on_request hook needs: routes that share a name (the same endpoint under
 * two paths) share one metrics label; label_of[i] is route i's, label_of[nroutes] is
 * "unmatched". Set before the server starts, read-only after. */
typedef struct route_labels {
  const char **names; /* the distinct route names, then "unmatched" */
  size_t *label_of;
  size_t count;
} route_labels;

static route_labels labels;

static void count_request(ps_app *app, size_t route, unsigned status) {
  ps_metrics_count_request(app->metrics, labels.label_of[route], status);
}

static int build_labels(const ps_route *routes, size_t nroutes, route_labels *l) {
  l->names = calloc(nroutes + 1, sizeof *l->names);
  l->label_of = calloc(nroutes + 1, sizeof *l->label_of);
  if (!l->names || !l->label_of) return PS_ENOMEM;
  size_t n = 0;
  for (size_t i = 0; i < nroutes; i++) {
    size_t k = 0;
    while (k < n && strcmp(l->names[k], routes[i].name) != 0) k++;
    if (k == n) l->names[n++] = routes[i].name;
    l->label_of[i] = k;
  }
  l->label_of[nroutes] = n;
  l->names[n++] = "unmatched";
  l->count = n;
  return PS_OK;
}

int ps_app_serve(const ps_app_config *config) {
  /* Before any thread starts, so that every thread inherits the mask. */
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, NULL);
  signal(SIGPIPE, SIG_IGN);

  int status = 1;
  ps_app app = {0};
  ps_server *server = NULL;
  ps_store_upkeep *upkeep = NULL;
  ps_route *routes = NULL;
  size_t nroutes = 0, ninited = 0;
  char err[256] = "";
  void **states = calloc(ps_module_count, sizeof *states);
  app.state = config->stores.state;
  app.events = config->stores.events;
  app.max_body_bytes = config->http.max_body_bytes;
  app.modules = ps_modules;
  app.states = states;
  app.nmodules = ps_module_count;

  if (!states || ps_app_route_table(ps_modules, ps_module_count, &routes, &nroutes) != PS_OK ||
      build_labels(routes, nroutes, &labels) != PS_OK)
    goto out;
  if (ps_schema_set_create_embedded(&app.schemas, err, sizeof err) != PS_OK) {
    ps_error_log("serve: schemas: %s", err);
    goto out;
  }
  size_t ncategories = 0;
  const char *const *categories = ps_schema_categories(app.schemas, &ncategories);
  if (ps_metrics_create(labels.names, labels.count, categories, ncategories, &app.metrics) !=
          PS_OK ||
      ps_game_cache_create(app.state, &app.games) != PS_OK ||
      ps_ingest_queue_create(config->stores, &config->ingest, app.metrics, &app.queue) != PS_OK)
    goto out;
  for (; ninited < ps_module_count; ninited++) {
    const ps_module *m = ps_modules[ninited];
    int rc = m->init ? m->init(config, &app, &states[ninited]) : PS_OK;
    if (rc != PS_OK) {
      if (rc == PS_EINVAL) status = 2;
      else ps_error_log("serve: module %s: %s", m->name, ps_strerror(rc));
      goto out;
    }
  }
  if (config->ingest.debug_discard_writes)
    ps_warn("serve: --debug-discard-writes: requests are answered as stored but NOTHING is stored");
  if (ps_store_upkeep_start(app.events, UPKEEP_PERIOD_MS, &upkeep) != PS_OK ||
      ps_server_start(&config->http, routes, nroutes, &app, count_request, &server) != PS_OK)
    goto out;
  const char *listen = config->http.listen;
  const char *colon = strrchr(listen, ':');
  ps_info("listening on %s://%.*s:%u (store %s)", config->http.tls_cert_file ? "https" : "http",
          (int)(colon - listen), listen, (unsigned)ps_server_port(server), config->store_name);

  int sig = 0;
  sigwait(&signals, &sig);
  ps_info("received %s: stopping (committing queued events first)",
          sig == SIGTERM ? "SIGTERM" : "SIGINT");
  ps_server_quiesce(server);
  ps_ingest_queue_stop(app.queue);
  ps_server_stop(server, 10000);
  server = NULL;
  ps_info("stopped cleanly");
  status = 0;
out:
  if (server) ps_server_stop(server, 0);
  ps_store_upkeep_stop(upkeep);
  ps_ingest_queue_free(app.queue);
  while (ninited > 0) {
    const ps_module *m = ps_modules[--ninited];
    if (m->fini) m->fini(states[ninited]);
  }
  ps_game_cache_free(app.games);
  ps_metrics_free(app.metrics);
  ps_schema_set_free(app.schemas);
  free(labels.names);
  free(labels.label_of);
  labels = (route_labels){0};
  free(routes);
  free(states);
  return status;
}
