/* access.c: see access.h. Service-account credentials are checked by auth/service_auth.h, API
 * tokens by auth/api_token_auth.h; answers are the HTTP layer's problem+json (http/request.h). */
#include "observability/access.h"

#include <strings.h>

#include "auth/api_token_auth.h"
#include "auth/service_auth.h"

void ps_so_respond_busy(ps_request *req) {
  ps_request_respond_problem(req, 503, "Service Unavailable",
                             "The server is busy storing earlier events; retry after the delay "
                             "in Retry-After.");
}

/* A read-API token (Authorization: Bearer): the dashboard's one sign-in. Every role reads
 * sessions of every project (an API token reads every game); no token may write. */
static int authorize_token(ps_request *req, ps_app *app, ps_so_role role) {
  switch (ps_api_token_auth_check(app->state, ps_request_header(req, "Authorization"),
                                  PS_API_ROLE_VIEWER)) {
    case PS_API_AUTH_OK:
      if (role == PS_SO_VIEWER) return 0;
      ps_request_respond_problem(req, 403, NULL,
                                 "an API token may read sessions; posting session events needs "
                                 "a writer service account (playstat service-account create "
                                 "--role writer)");
      return -1;
    case PS_API_AUTH_UNAUTHENTICATED:
    case PS_API_AUTH_FORBIDDEN:
      ps_request_respond_problem(req, 401, NULL,
                                 "this API token is not known here (playstat api-token create), "
                                 "or use a service account: Authorization: Basic "
                                 "base64(key_id:secret)");
      return -1;
    case PS_API_AUTH_ERROR:
      break;
  }
  ps_request_respond_problem(req, 503, NULL, "the API tokens cannot be read; try again");
  return -1;
}

int ps_so_authorize(ps_request *req, ps_app *app, const char *project_id, ps_so_role role) {
  const char *authorization = ps_request_header(req, "Authorization");
  if (authorization && strncasecmp(authorization, "Bearer ", 7) == 0)
    return authorize_token(req, app, role);
  return ps_service_auth_require(req, app->state, project_id,
                                 role == PS_SO_WRITER ? PS_SERVICE_ROLE_WRITER
                                                      : PS_SERVICE_ROLE_VIEWER,
                                 NULL);
}
