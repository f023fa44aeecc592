/*
 * request.h: decodes the body of a metrics-session request (start, heartbeat, end) into one
 * normalised form, accepting every variant real clients send (PROTOCOLS.md §2):
 *   - JSON bodies, and application/x-www-form-urlencoded bodies (ids[]=1&ids[]=2 or ids=1,2);
 *   - session_ts, session_order_id and each mod id as a JSON number or a string of digits;
 *   - ids as an array or as one comma-separated string;
 *   - session_ts in seconds (10-11 digits) or milliseconds (12-13 digits).
 * Values keep the decimal text the client sent, because the session hash covers that text.
 * Field problems are reported per field (for mod.io's 422 "errors" object).
 */
#ifndef PS_INGEST_METRICS_REQUEST_H
#define PS_INGEST_METRICS_REQUEST_H

#include <stddef.h>
#include <stdint.h>

typedef enum { PS_MSESSION_START, PS_MSESSION_HEARTBEAT, PS_MSESSION_END } ps_msession_kind;

#define PS_MSESSION_MAX_MODS 1024
#define PS_MSESSION_MAX_TEXT 128
/* The largest body decoded: a start with PS_MSESSION_MAX_MODS ids of 20 digits and every text
 * field at its longest, in JSON, fits in 24 KiB; forms escape more. A larger body is refused
 * before it is parsed, so a request's decoding memory is a small multiple of this, not of the
 * server's 1 MiB limit. */
#define PS_MSESSION_MAX_BODY (64 * 1024)

typedef struct ps_msession_request {
  ps_msession_kind kind;
  char session_id[PS_MSESSION_MAX_TEXT + 1];
  char nonce[PS_MSESSION_MAX_TEXT + 1];
  char hash[65];
  char ts_text[24]; /* session_ts exactly as sent (digits) */
  int64_t ts_ms;    /* session_ts in milliseconds since the epoch */
  int64_t order_id;
  int64_t *mod_ids; /* start only: malloc'd, nmods entries, in the order sent */
  size_t nmods;
  char *ids_text;   /* start only: "1,2,3" as hashed; malloc'd */
} ps_msession_request;

#define PS_MSESSION_MAX_ERRORS 8

typedef struct ps_field_errors {
  struct {
    char field[32];
    char message[160];
  } items[PS_MSESSION_MAX_ERRORS];
  size_t count;
} ps_field_errors;

typedef enum {
  PS_MSESSION_OK,
  PS_MSESSION_NO_CONTENT_TYPE,    /* 415, error_ref 13005 */
  PS_MSESSION_BAD_CONTENT_TYPE,   /* 415, error_ref 13006 */
  PS_MSESSION_MALFORMED,          /* 400, error_ref 13004: not JSON / not an object */
  PS_MSESSION_INVALID_FIELDS,     /* 422, error_ref 13009: see errors */
  PS_MSESSION_TOO_LARGE,          /* 413, error_ref 13013: body over PS_MSESSION_MAX_BODY */
  PS_MSESSION_NO_MEMORY,
} ps_msession_parse_result;

/* Parses body (len bytes) sent with content_type (parameters such as charset ignored).
 * On PS_MSESSION_OK out is filled and must be released with ps_msession_request_free; on any
 * other result out holds nothing to free. errors is filled on PS_MSESSION_INVALID_FIELDS.
 * A form key or value that is not UTF-8 is PS_MSESSION_MALFORMED, like JSON that does not
 * parse. Safe from any thread: each thread keeps its own reusable decoding buffers
 * (a few KiB, released when the thread exits); out owns nothing of them. */
ps_msession_parse_result ps_msession_request_parse(ps_msession_kind kind,
                                                   const char *content_type, const char *body,
                                                   size_t len, ps_msession_request *out,
                                                   ps_field_errors *errors);
void ps_msession_request_free(ps_msession_request *r);

#endif
