/*
 * rates_api.c: loading exchange rates over HTTP, for studios that fetch the ECB's file on a
 * schedule (the CLI's `playstat rates load` does the same from a file):
 *
 *   PUT /api/v1/rates
 *     Authorization: Bearer <API token with the admin role>
 *     body: the ECB euro-reference CSV (insights/ecb_rates.h), e.g. eurofxref.csv
 *     -> 200 {"rates": N, "days": N, "from": "YYYY-MM-DD", "to": "YYYY-MM-DD",
 *             "currencies": [...]}
 *
 * Rates are the server's, not a game's: every game converts with them (insights/money.h).
 * Loading is idempotent (a day's rate replaces the one stored for it) and whole or nothing:
 * a file with one bad line stores nothing and answers 400 naming the line. Bounded: the body
 * is at most the server's largest request body (serve --max-body, 1 MiB by default; 413
 * above: load the full history file with `playstat rates load` or raise --max-body), parsed
 * in one pass.
 * Errors {"error", "message"}: 400 "bad_rates", 401, 403 (a viewer token), 503.
 */
#include "auth/api_token_auth.h"
#include "common/errors.h"
#include "insights/ecb_rates.h"
#include "insights/module.h"

void ps_insights_rates_put_handler(ps_request *req, ps_app *app) {
  if (ps_api_token_auth_require(req, app->state, PS_API_ROLE_ADMIN) != 0) return;
  const ps_buf *body = ps_request_body(req);
  ps_ecb_rates rates;
  char why[256];
  int rc = ps_ecb_rates_parse(body->data ? body->data : "", body->len, &rates, why, sizeof why);
  if (rc == PS_EINVAL) {
    ps_request_respond_error(req, 400, "bad_rates", why);
    return;
  }
  if (rc == PS_OK) rc = app->state->ops->rates_put(app->state, rates.rates, rates.n);
  ps_buf answer = {0};
  if (rc == PS_OK) rc = ps_ecb_rates_summary(&rates, &answer);
  ps_ecb_rates_free(&rates);
  if (rc == PS_OK) {
    size_t len = answer.len;
    ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&answer), len, 0);
    return;
  }
  ps_buf_free(&answer);
  ps_request_respond_error(req, 503, "unavailable", "the rates could not be stored, retry later");
}
