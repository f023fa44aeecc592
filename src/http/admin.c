/* admin.c: operational endpoints: GET /healthz (liveness) and GET /metrics (Prometheus). */
#include <stdlib.h>

#include "common/buf.h"
#include "common/errors.h"
#include "http/app.h"
#include "http/handlers.h"

void ps_healthz_handler(ps_request *req, ps_app *app) {
  ps_request_respond_json(req, 200, "{\"status\":\"ok\"}");
}

void ps_metrics_handler(ps_request *req, ps_app *app) {
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
