/* signed_request.c: see signed_request.h. Secrets never reach the log or an answer. */
#include "ingest/ga/signed_request.h"

#include <stdio.h>
#include <strings.h>

#include "auth/hmac.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/gzip.h"

int ps_ga_open_signed_request(ps_request *req, ps_app *app, const char *game_key,
                              ps_ga_body *out) {
  if (!game_key || !*game_key) {
    ps_request_respond_error(req, 401, "unauthorized", "missing game key");
    return -1;
  }
  int rc = ps_game_cache_find_by_key(app->games, game_key, &out->game);
  if (rc == PS_ENOTFOUND) {
    ps_request_respond_error(req, 401, "unauthorized", "unknown game key");
    return -1;
  }
  if (rc != PS_OK) {
    ps_request_respond_error(req, 503, "unavailable", "game lookup failed, retry later");
    return -1;
  }
  const ps_buf *raw = ps_request_body(req);
  const char *signature = ps_request_header(req, "Authorization");
  if (!ps_hmac_sha256_base64_verify(out->game.secret_key, raw->data, raw->len, signature)) {
    ps_request_respond_error(req, 401, "unauthorized",
                             signature ? "Authorization is not the HMAC-SHA256 of the body "
                                         "under the game's secret key"
                                       : "missing Authorization header");
    return -1;
  }
  out->text = raw->data;
  out->len = raw->len;
  const char *encoding = ps_request_header(req, "Content-Encoding");
  if (!encoding || !*encoding || strcasecmp(encoding, "identity") == 0) return 0;
  if (strcasecmp(encoding, "gzip") != 0 && strcasecmp(encoding, "deflate") != 0) {
    ps_request_respond_error(req, 415, "unsupported_encoding",
                             "Content-Encoding must be gzip or absent");
    return -1;
  }
  rc = ps_gunzip(raw->data, raw->len, app->max_body_bytes, &out->inflated);
  if (rc == PS_ETOOBIG) {
    char msg[96];
    snprintf(msg, sizeof msg, "inflated request body is larger than %zu bytes",
             app->max_body_bytes);
    ps_request_respond_error(req, 413, "payload_too_large", msg);
    return -1;
  }
  if (rc != PS_OK) {
    ps_request_respond_error(req, rc == PS_ENOMEM ? 503 : 400, "bad_encoding",
                             "body is not a valid gzip stream");
    return -1;
  }
  out->text = out->inflated.data;
  out->len = out->inflated.len;
  return 0;
}
