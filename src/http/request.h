/*
 * request.h: what a route handler sees of one HTTP request, and how it answers.
 *
 * A handler either answers at once (ps_request_respond*) or defers: it calls
 * ps_request_defer() and later, from any thread, exactly one ps_request_respond*() call
 * completes it (the connection is suspended in between, costing no thread). Every answer
 * carries a body; JSON answers get Content-Type application/json. CORS headers are added to
 * every answer so browser game builds can post cross-origin.
 *
 * Lifetime: the request, its body and its path parameters live until the answer has been sent.
 * A handler may attach state with ps_request_set_state(); it is freed with the request.
 */
#ifndef PS_HTTP_REQUEST_H
#define PS_HTTP_REQUEST_H

#include <stddef.h>

#include "common/buf.h"

typedef struct ps_request ps_request;

#define PS_ROUTE_MAX_PARAMS 4

const char *ps_request_method(const ps_request *req);
const char *ps_request_path(const ps_request *req);
/* The i-th {} segment of the route pattern (NUL-terminated, percent-decoded), or NULL. */
const char *ps_request_param(const ps_request *req, size_t i);
/* A header (case-insensitive) or a query argument, or NULL. */
const char *ps_request_header(ps_request *req, const char *name);
const char *ps_request_query(ps_request *req, const char *name);
/* The raw request body (NUL-terminated, as received on the wire). */
const ps_buf *ps_request_body(const ps_request *req);

void ps_request_set_state(ps_request *req, void *state, void (*free_state)(void *));

/* Suspends the connection until ps_request_respond*() is called (from any thread). Only from
 * the handler's own call. */
void ps_request_defer(ps_request *req);

/* One more header for the answer to come (name and value must outlive the request: string
 * literals), e.g. WWW-Authenticate on a 401. */
void ps_request_add_header(ps_request *req, const char *name, const char *value);

/* Answers with body (copied). retry_after_s > 0 adds a Retry-After header. */
void ps_request_respond(ps_request *req, unsigned status, const char *content_type,
                        const char *body, size_t len, unsigned retry_after_s);
/* Takes ownership of body (malloc'd, freed after sending). */
void ps_request_respond_owned(ps_request *req, unsigned status, const char *content_type,
                              char *body, size_t len, unsigned retry_after_s);
void ps_request_respond_json(ps_request *req, unsigned status, const char *json);
/* {"error": <code>, "message": <message>} */
void ps_request_respond_error(ps_request *req, unsigned status, const char *code,
                              const char *message);

#endif
