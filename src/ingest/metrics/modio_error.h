/*
 * modio_error.h: error answers in mod.io's shape, which its clients parse:
 *   {"error": {"code": <http status>, "error_ref": <int>, "message": "...",
 *              "errors": {"<field>": "<message>", ...}}}        ("errors" on 422 only)
 * 429 and 503 answers carry Retry-After.
 */
#ifndef PS_INGEST_METRICS_MODIO_ERROR_H
#define PS_INGEST_METRICS_MODIO_ERROR_H

#include "http/request.h"
#include "ingest/metrics/request.h"

/* mod.io error references used by the metrics endpoints. */
enum {
  PS_MODIO_TOKEN_INVALID = 11005,   /* 401: missing, invalid, expired or revoked token */
  PS_MODIO_RATE_LIMITED = 11008,    /* 429 */
  PS_MODIO_MALFORMED_JSON = 13004,  /* 400 */
  PS_MODIO_NO_CONTENT_TYPE = 13005, /* 415 */
  PS_MODIO_BAD_CONTENT_TYPE = 13006, /* 415 */
  PS_MODIO_VALIDATION = 13009,      /* 422 */
  PS_MODIO_NOT_FOUND = 14000,       /* 404 */
  PS_MODIO_GAME_NOT_FOUND = 14001,  /* 404 */
  PS_MODIO_METRICS_INTERNAL = 29100 /* 5xx */
};

/* Answers req. errors may be NULL; retry_after_s > 0 adds Retry-After. */
void ps_modio_respond_error(ps_request *req, unsigned status, int error_ref, const char *message,
                            const ps_field_errors *errors, unsigned retry_after_s);

#endif
