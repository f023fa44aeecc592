/* access.c: see access.h. Credentials are checked by auth/service_auth.h; answers are the
 * HTTP layer's problem+json (http/request.h). */
#include "observability/access.h"

#include "auth/service_auth.h"

void ps_so_respond_busy(ps_request *req) {
  ps_request_respond_problem(req, 503, "Service Unavailable",
                             "The server is busy storing earlier events; retry after the delay "
                             "in Retry-After.");
}

int ps_so_authorize(ps_request *req, ps_app *app, const char *project_id, ps_so_role role) {
  return ps_service_auth_require(req, app->state, project_id,
                                 role == PS_SO_WRITER ? PS_SERVICE_ROLE_WRITER
                                                      : PS_SERVICE_ROLE_VIEWER,
                                 NULL);
}
