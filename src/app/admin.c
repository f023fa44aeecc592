/*
 * admin.c: the operational endpoints, a module of their own: GET /healthz (liveness) and
 * GET /metrics (Prometheus text: requests per route and status, events per category, the
 * ingest queue's depth). No state beyond ps_app's metrics and queue; no authentication (bind
 * --listen to a private address, or keep them behind the reverse proxy).
 */
#include "app/admin.h"

#include <stdlib.h>

#include "common/buf.h"
#include "common/errors.h"

static void healthz_handler(ps_request *req, ps_app *app) {
  ps_request_respond_json(req, 200, "{\"status\":\"ok\"}");
}

static void metrics_handler(ps_request *req, ps_app *app) {
  ps_buf out = {0};
  if (ps_metrics_render(app->metrics, ps_ingest_queue_depth(app->queue),
                        ps_ingest_queue_capacity(app->queue), &out) != PS_OK) {
    ps_buf_free(&out);
    ps_request_respond_json(req, 503, "{\"error\":\"out_of_memory\"}");
    return;
  }
  size_t len = out.len;
  ps_request_respond_owned(req, 200, "text/plain; version=0.0.4", ps_buf_steal(&out), len, 0);
}

static const ps_route routes[] = {
    {"healthz", "GET", "/healthz", healthz_handler},
    {"metrics", "GET", "/metrics", metrics_handler},
};

const ps_module ps_admin_module = {"admin", routes, sizeof routes / sizeof *routes, NULL, NULL};
