/* test_rate_limit.c: per-player token buckets (ingest/metrics/rate_limit.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ingest/metrics/rate_limit.h"

static void burst_then_refill(void **state) {
  ps_rate_limit *rl;
  assert_int_equal(ps_rate_limit_create(60, &rl), 0); /* 1 per second, burst 30 */
  int64_t t = 1000000;
  for (int i = 0; i < 30; i++) assert_int_equal(ps_rate_limit_take(rl, 1, "p", t), 0);
  unsigned wait = ps_rate_limit_take(rl, 1, "p", t);
  assert_int_equal(wait, 1);                               /* one token takes one second */
  assert_int_equal(ps_rate_limit_take(rl, 1, "q", t), 0);  /* another player is unaffected */
  assert_int_equal(ps_rate_limit_take(rl, 2, "p", t), 0);  /* the same player in another game */
  assert_int_equal(ps_rate_limit_take(rl, 1, "p", t + 1000), 0);
  assert_true(ps_rate_limit_take(rl, 1, "p", t + 1000) >= 1);
  ps_rate_limit_free(rl);
}

static void slow_rates_report_long_waits(void **state) {
  ps_rate_limit *rl;
  assert_int_equal(ps_rate_limit_create(1, &rl), 0); /* 1 per minute, burst 1 */
  assert_int_equal(ps_rate_limit_take(rl, 1, "p", 0), 0);
  unsigned wait = ps_rate_limit_take(rl, 1, "p", 0);
  assert_in_range(wait, 60, 61);
  ps_rate_limit_free(rl);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(burst_then_refill),
      cmocka_unit_test(slow_rates_report_long_waits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
