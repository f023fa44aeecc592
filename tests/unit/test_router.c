/* test_router.c: route matching, placeholders, 404 vs 405. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "http/router.h"

static void h(ps_request *req, ps_app *app) {}

static const ps_route routes[] = {
    {"health", "GET", "/healthz", h},
    {"events", "POST", "/v2/{}/events", h},
    {"init", "POST", "/v2/{}/init", h},
    {"two", "GET", "/a/{}/b/{}", h},
};

static const ps_route with_catch_all[] = {
    {"events", "POST", "/v2/{}/events", h},
    {"rest", "POST", "/{}/**", h},
};
#define N (sizeof routes / sizeof *routes)

static void finds_routes_and_params(void **state) {
  size_t i = 99;
  ps_route_params p;
  assert_int_equal(ps_route_find(routes, N, "GET", "/healthz", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 0);
  assert_int_equal(ps_route_find(routes, N, "POST", "/v2/abc123/events", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 1);
  assert_int_equal(p.count, 1);
  assert_string_equal(p.values[0], "abc123");
  assert_int_equal(ps_route_find(routes, N, "GET", "/a/x%20y/b/z", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 3);
  assert_string_equal(p.values[0], "x y");
  assert_string_equal(p.values[1], "z");
}

static void not_found_and_wrong_method(void **state) {
  size_t i;
  ps_route_params p;
  assert_int_equal(ps_route_find(routes, N, "GET", "/v2/k/events", &i, &p), PS_ROUTE_WRONG_METHOD);
  assert_int_equal(ps_route_find(routes, N, "POST", "/v2//events", &i, &p), PS_ROUTE_NOT_FOUND);
  assert_int_equal(ps_route_find(routes, N, "POST", "/v2/k/events/", &i, &p), PS_ROUTE_NOT_FOUND);
  assert_int_equal(ps_route_find(routes, N, "POST", "/v2/k/x/events", &i, &p), PS_ROUTE_NOT_FOUND);
  assert_int_equal(ps_route_find(routes, N, "GET", "/healthz/", &i, &p), PS_ROUTE_NOT_FOUND);
  assert_int_equal(ps_route_find(routes, N, "GET", "/", &i, &p), PS_ROUTE_NOT_FOUND);
}

static void catch_all_takes_what_is_left(void **state) {
  size_t i;
  ps_route_params p;
  const ps_route *r = with_catch_all;
  assert_int_equal(ps_route_find(r, 2, "POST", "/g-1/v9/x/y", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 1);
  assert_string_equal(p.values[0], "g-1");
  assert_int_equal(ps_route_find(r, 2, "POST", "/v2/k/events", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 0); /* an earlier exact row wins */
  assert_int_equal(ps_route_find(r, 2, "POST", "/g-1", &i, &p), PS_ROUTE_NOT_FOUND);
  assert_int_equal(ps_route_find(r, 2, "POST", "/g-1/", &i, &p), PS_ROUTE_NOT_FOUND);
}

/* The dashboard's GET "/" and catch-all rows take any other GET, but not a path that an endpoint
 * takes under another method: that stays a 405. */
static const ps_route with_static[] = {
    {"events", "POST", "/v2/{}/events", h},
    {"health", "GET", "/healthz", h},
    {"rest", "POST", "/{}/**", h},
    {"root", "GET", "/", h},
    {"files", "GET", "/**", h},
};

static void catch_all_yields_to_other_methods(void **state) {
  size_t i;
  ps_route_params p;
  const ps_route *r = with_static;
  assert_int_equal(ps_route_find(r, 5, "GET", "/v2/k/events", &i, &p), PS_ROUTE_WRONG_METHOD);
  assert_int_equal(i, 0);
  assert_int_equal(ps_route_find(r, 5, "GET", "/healthz", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 1);
  assert_int_equal(ps_route_find(r, 5, "GET", "/", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 3);
  /* another catch-all under another method does not hold it back */
  assert_int_equal(ps_route_find(r, 5, "GET", "/js/app.js", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 4);
  assert_int_equal(ps_route_find(r, 5, "GET", "/v2/k/other", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 4);
  assert_int_equal(ps_route_find(r, 5, "POST", "/js/app.js", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 2);
  assert_int_equal(ps_route_find(r, 5, "POST", "/index.html", &i, &p), PS_ROUTE_WRONG_METHOD);
  /* empty segments are the static files' to refuse (400), not a miss of every route (404) */
  assert_int_equal(ps_route_find(r, 5, "GET", "//etc/passwd", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 4);
  assert_int_equal(ps_route_find(r, 5, "GET", "/js//app.js", &i, &p), PS_ROUTE_FOUND);
  assert_int_equal(i, 4);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(finds_routes_and_params),
      cmocka_unit_test(not_found_and_wrong_method),
      cmocka_unit_test(catch_all_takes_what_is_left),
      cmocka_unit_test(catch_all_yields_to_other_methods),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
