/*
 * router.h: matches a method and a path against a fixed table of routes.
 * Patterns are literal segments and "{}" placeholders ("/v2/{}/events"); a placeholder matches
 * one non-empty segment. A final "**" matches whatever non-empty rest of the path remains,
 * empty segments included (a "/" "**" row takes "//etc/passwd") (catch-alls).
 * Matching is otherwise exact (a trailing slash matters); the first matching row wins, except
 * that a catch-all row yields to an earlier row without "**" that matches the path under
 * another method (GET /v2/k/events stays a 405 although a GET catch-all row follows).
 */
#ifndef PS_HTTP_ROUTER_H
#define PS_HTTP_ROUTER_H

#include <stddef.h>

#include "http/request.h"

typedef struct ps_app ps_app;
typedef void (*ps_handler)(ps_request *req, ps_app *app);

typedef struct ps_route {
  const char *name;    /* label in metrics, e.g. "ga_events" */
  const char *method;  /* "GET", "POST" */
  const char *pattern; /* "/v2/{}/events" */
  ps_handler handler;
} ps_route;

typedef struct ps_route_params {
  char values[PS_ROUTE_MAX_PARAMS][160];
  size_t count;
} ps_route_params;

typedef enum { PS_ROUTE_FOUND, PS_ROUTE_NOT_FOUND, PS_ROUTE_WRONG_METHOD } ps_route_result;

/* On PS_ROUTE_FOUND sets *index and fills params (percent-decoded). A path that matches a
 * pattern under another method only gives PS_ROUTE_WRONG_METHOD (-> 405); *index is then
 * the matching route. */
ps_route_result ps_route_find(const ps_route *routes, size_t nroutes, const char *method,
                              const char *path, size_t *index, ps_route_params *params);

#endif
