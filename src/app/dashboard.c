/*
 * dashboard.c: the dashboard module: web/'s files at GET / and any other GET path (a "**" row;
 * src/http/static.h
 * says which paths are served and which refused).
 *
 * Its init fixes the two roots for the server's lifetime: --web DIR (which must exist: a
 * configuration error otherwise) or, without it, the directory found beside the binary or in
 * the source tree the binary was built from (PLAYSTAT_WEB_DIR); a server without one still
 * runs and its dashboard paths answer 404. Its "**" row is a catch-all, so it is tried after every
 * module's other rows (app.h) and yields to a path another row takes under another method.
 */
#include "app/dashboard.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/errors.h"
#include "common/log.h"
#include "http/static.h"

#ifndef PLAYSTAT_WEB_DIR
#define PLAYSTAT_WEB_DIR NULL
#endif

typedef struct dashboard {
  ps_static_roots roots; /* point into web and vendor */
  char web[PATH_MAX], vendor[PATH_MAX];
} dashboard;

static void dashboard_handler(ps_request *req, ps_app *app) {
  const dashboard *d = ps_app_state(app, &ps_dashboard_module);
  ps_static_respond(req, &d->roots);
}

static int dashboard_init(const ps_app_config *config, ps_app *app, void **state) {
  dashboard *d = calloc(1, sizeof *d);
  if (!d) return PS_ENOMEM;
  const char *dir = config->web_dir;
  char found[PATH_MAX];
  if (!dir && ps_static_find_web_root(PLAYSTAT_WEB_DIR, found, sizeof found) == PS_OK) dir = found;
  if (!dir) {
    ps_warn("serve: no dashboard: no web/ directory was found (use --web DIR)");
  } else if (ps_static_roots_init(dir, d->web, d->vendor, PATH_MAX, &d->roots) != PS_OK) {
    fprintf(stderr, "playstat: --web %s is not a directory\n", dir);
    free(d);
    return PS_EINVAL;
  } else {
    ps_info("dashboard: %s%s", d->web,
            d->roots.vendor ? "" : " (no node_modules beside it: charts need `npm ci`)");
  }
  *state = d;
  return PS_OK;
}

static void dashboard_fini(void *state) { free(state); }

static const ps_route routes[] = {
    {"static", "GET", "/", dashboard_handler},
    {"static", "GET", "/**", dashboard_handler},
};

const ps_module ps_dashboard_module = {"dashboard", routes, sizeof routes / sizeof *routes,
                                       dashboard_init, dashboard_fini};
