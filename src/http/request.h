/*
 * request.h: what a route handler sees of one HTTP request, and how it answers.
 *
 * A handler either answers at once (ps_request_respond*) or defers: it calls
 * ps_request_defer() and later, from any thread, exactly one ps_request_respond*() call
 * completes it (the connection is suspended in between, costing no thread). Every answer
 * carries a body; JSON answers get Content-Type application/json, problem answers (RFC 7807)
 * application/problem+json. CORS headers are added to every answer so browser game builds can
 * post cross-origin.
 *
 * Lifetime: the request, its body and its path parameters live until the answer has been sent.
 * A handler may attach state with ps_request_set_state(); it is freed with the request.
 */
#ifndef PS_HTTP_REQUEST_H
#define PS_HTTP_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/ip_address.h"

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

/* The client's address: the connection's peer, or the one X-Forwarded-For names when the peer
 * is one of the server's trusted proxies (forwarded.h, server.h). 0, or PS_ENOTFOUND when the
 * connection has no IP peer. Handlers must not store, log or answer it. */
int ps_request_client_address(ps_request *req, ps_ip_address *out);

void ps_request_set_state(ps_request *req, void *state, void (*free_state)(void *));

/* Names the game the request is about (its id in the state store), for the access log;
 * the last call wins. From the handler's call, or from the thread that answers. */
void ps_request_note_game(ps_request *req, int64_t game_id);

/* Suspends the connection until ps_request_respond*() is called (from any thread). Only from
 * the handler's own call. */
void ps_request_defer(ps_request *req);

/* Adds a header (name and value copied) to the answer; call it before the
 * ps_request_respond*() call, from the thread that makes it. Returns 0 or PS_ENOMEM (then the
 * answer goes out without it). */
int ps_request_add_header(ps_request *req, const char *name, const char *value);

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

/*
 * RFC 7807 problem details (src/http/problem.c), the error answers of the session
 * observability API: Content-Type application/problem+json and
 *   {"type", "title", "status", "detail", "instance": <the request path>, "details": [...]}
 * ("detail" and "details" only when given). A 401 also carries
 * WWW-Authenticate: Basic realm="playstat" (these APIs take HTTP Basic credentials); a 503
 * or 429 carries Retry-After: 1.
 */
typedef struct ps_problem {
  unsigned status;
  const char *type;         /* a URI naming the kind of problem; NULL: "about:blank" */
  const char *title;        /* the same for every occurrence; NULL: the HTTP status phrase */
  const char *detail;       /* this occurrence, for people; NULL: none */
  const char *details_json; /* a JSON array as text, trusted (built by the caller); NULL: none */
} ps_problem;

void ps_request_respond_problem_with(ps_request *req, const ps_problem *problem);
/* {"type": "about:blank", "title": title (NULL: the status phrase), "status", "detail",
 * "instance"}. */
void ps_request_respond_problem(ps_request *req, unsigned status, const char *title,
                                const char *detail);

#endif
