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
  PS_MODIO_NONCE_REPLAYED = 13010,  /* 409: playstat's own: session_nonce already used */
  PS_MODIO_ORDER_REGRESSED = 13011, /* 409: playstat's own: session_order_id went back */
  PS_MODIO_SESSION_EXISTS = 13012,  /* 409: playstat's own: second start of a session */
  PS_MODIO_TOO_LARGE = 13013,       /* 413: playstat's own: body over PS_MSESSION_MAX_BODY */
  PS_MODIO_NOT_FOUND = 14000,       /* 404 */
  PS_MODIO_GAME_NOT_FOUND = 14001,  /* 404 */
  PS_MODIO_METRICS_INTERNAL = 29100, /* 5xx */
  PS_MODIO_HASH_INVALID = 29101      /* 403: playstat's own: session_hash does not verify */
};

/* Answers req. errors may be NULL; retry_after_s > 0 adds Retry-After. */
void ps_modio_respond_error(ps_request *req, unsigned status, int error_ref, const char *message,
                            const ps_field_errors *errors, unsigned retry_after_s);

#endif
