/* access.c: see access.h. */
#include "observability/access.h"

#include <string.h>

#include "auth/service_auth.h"
#include "common/buf.h"
#include "common/errors.h"

void ps_so_respond_problem(ps_request *req, unsigned status, const char *title,
                           const char *detail) {
  ps_buf b = {0};
  const char *path = ps_request_path(req);
  int rc = ps_buf_printf(&b, "{\"type\":\"about:blank\",\"title\":");
  if (rc == PS_OK) rc = ps_buf_append_json_string(&b, title, strlen(title));
  if (rc == PS_OK) rc = ps_buf_printf(&b, ",\"status\":%u,\"detail\":", status);
  if (rc == PS_OK) rc = ps_buf_append_json_string(&b, detail, strlen(detail));
  if (rc == PS_OK) rc = ps_buf_append_str(&b, ",\"instance\":");
  if (rc == PS_OK) rc = ps_buf_append_json_string(&b, path, strlen(path));
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "}");
  unsigned retry = status == 503 ? 1 : 0;
  if (rc == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, status, "application/problem+json", ps_buf_steal(&b), len,
                             retry);
  } else {
    ps_buf_free(&b);
    ps_request_respond(req, status, "application/problem+json", "{}", 2, retry);
  }
}

void ps_so_respond_busy(ps_request *req) {
  ps_so_respond_problem(req, 503, "Service Unavailable",
                        "The server is busy storing earlier events; retry after the delay in "
                        "Retry-After.");
}

int ps_so_authorize(ps_request *req, ps_app *app, const char *project_id, ps_so_role role) {
  const char *wanted = role == PS_SO_WRITER ? "writer" : "viewer";
  switch (ps_service_auth_check(app->store, ps_request_header(req, "Authorization"), project_id,
                                wanted)) {
    case PS_SERVICE_AUTH_OK: return 0;
    case PS_SERVICE_AUTH_FORBIDDEN:
      ps_so_respond_problem(req, 403, "Forbidden",
                            role == PS_SO_WRITER
                                ? "This service account may not write this project's sessions "
                                  "(writer role on the project needed)"
                                : "This service account may not read this project's sessions "
                                  "(viewer role, Multiplayer Session Details Viewer, needed)");
      return -1;
    case PS_SERVICE_AUTH_ERROR:
      ps_so_respond_problem(req, 503, "Service Unavailable",
                            "Credentials could not be checked; retry later.");
      return -1;
    default:
      ps_request_add_header(req, "WWW-Authenticate", "Basic realm=\"playstat\", charset=\"UTF-8\"");
      ps_so_respond_problem(req, 401, "Unauthorized",
                            "HTTP Basic credentials of a service account are required "
                            "(playstat service-account create)");
      return -1;
  }
}
