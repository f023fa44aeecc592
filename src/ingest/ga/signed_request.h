/*
 * signed_request.h: what every GameAnalytics endpoint does first: find the game by its key,
 * check the Authorization header (base64 HMAC-SHA256 of the raw body under the game's secret
 * key, over the gzipped bytes when Content-Encoding is gzip), then inflate the body.
 */
#ifndef PS_INGEST_GA_SIGNED_REQUEST_H
#define PS_INGEST_GA_SIGNED_REQUEST_H

#include <stddef.h>

#include "app/app.h"
#include "common/buf.h"
#include "http/request.h"

typedef struct ps_ga_body {
  ps_game game;
  const char *text; /* the decoded body: the raw body or inflated */
  size_t len;
  ps_buf inflated; /* owns the inflated bytes when the body was gzipped */
} ps_ga_body;

/* Returns 0 with out filled, or answers the request itself (401, 413, 415, 400, 503) and
 * returns nonzero. The caller frees out->inflated with ps_buf_free in both cases. */
int ps_ga_open_signed_request(ps_request *req, ps_app *app, const char *game_key,
                              ps_ga_body *out);

#endif
