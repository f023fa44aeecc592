/*
 * test_modules.c: the server's route table as the module table builds it (src/app/): every
 * row of every module once, no catch-all before a row without one, and the routing decisions
 * the integration tests rely on (which endpoint, 404 or 405 answers a method and path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/modules.h"
#include "app/route_table.h"
#include "common/errors.h"

static ps_route *table;
static size_t ntable;

static int setup(void **state) {
  return ps_app_route_table(ps_modules, ps_module_count, &table, &ntable) == PS_OK ? 0 : -1;
}

static int teardown(void **state) {
  free(table);
  return 0;
}

static void every_row_once_catch_alls_last(void **state) {
  size_t total = 0;
  for (size_t m = 0; m < ps_module_count; m++) {
    total += ps_modules[m]->nroutes;
    for (size_t r = 0; r < ps_modules[m]->nroutes; r++) {
      size_t seen = 0;
      for (size_t i = 0; i < ntable; i++) seen += memcmp(&table[i], &ps_modules[m]->routes[r],
                                                         sizeof table[i]) == 0;
      assert_int_equal(seen, 1);
    }
  }
  assert_int_equal(ntable, total);
  int catch_all_seen = 0;
  for (size_t i = 0; i < ntable; i++) {
    int c = ps_app_route_is_catch_all(table[i].pattern);
    assert_false(catch_all_seen && !c);
    catch_all_seen |= c;
  }
  assert_true(catch_all_seen);
  /* the last rows: the mod.io-style 404 under /g-{id}/, then the dashboard's catch-all */
  assert_string_equal(table[ntable - 2].pattern, "/{}/**");
  assert_string_equal(table[ntable - 2].name, "metrics_unknown");
  assert_string_equal(table[ntable - 1].pattern, "/**");
  assert_string_equal(table[ntable - 1].name, "static");
}

/* The route name that answers, "404" or "405". */
static const char *route(const char *method, const char *path) {
  size_t i = 0;
  ps_route_params p;
  switch (ps_route_find(table, ntable, method, path, &i, &p)) {
    case PS_ROUTE_FOUND: return table[i].name;
    case PS_ROUTE_WRONG_METHOD: return "405";
    default: return "404";
  }
}

static void routing_decisions(void **state) {
  static const char *const cases[][3] = {
      {"GET", "/healthz", "healthz"},
      {"GET", "/metrics", "metrics"},
      {"POST", "/v2/k/events", "ga_events"},
      {"GET", "/v2/k/events", "405"},
      {"POST", "/v2/k/init", "ga_init"},
      {"POST", "/remote_configs/v1/init", "ga_remote_configs"},
      {"POST", "/v1/metrics/sessions/start", "metrics_start"},
      {"POST", "/g-7/v1/metrics/sessions/heartbeat", "metrics_heartbeat"},
      {"POST", "/g-7/v1/metrics/sessions/end", "metrics_end"},
      {"POST", "/v1/metrics/sessions/nope", "metrics_unknown"},
      {"POST", "/g-7/anything/else", "metrics_unknown"},
      {"POST", "/session-observability/v1/projects/p/environments/e/sessions/s/events",
       "so_events"},
      {"GET", "/session-observability/v1/projects/p/environments/e/sessions/s", "so_session"},
      {"GET", "/session-observability/v1/projects/p/environments/e/sessions", "so_sessions"},
      {"GET", "/api/v1/games/1/metrics/dau", "insights_metric"},
      {"GET", "/api/v1/games/1/live", "insights_live"},
      {"GET", "/api/v1/games", "insights_games"},
      {"POST", "/api/v1/games", "405"},
      {"POST", "/healthz", "405"},
      {"GET", "/", "static"},
      {"GET", "/js/app.js", "static"},
      {"GET", "/g-7/v1/metrics/sessions/start", "405"},
      {"POST", "/", "405"},
      {"PUT", "/nothing", "405"},
      {"POST", "/x", "405"}, /* the dashboard takes every GET path */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const char *got = route(cases[i][0], cases[i][1]);
    if (strcmp(got, cases[i][2]) != 0)
      fail_msg("%s %s: %s, expected %s", cases[i][0], cases[i][1], got, cases[i][2]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_row_once_catch_alls_last),
      cmocka_unit_test(routing_decisions),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
