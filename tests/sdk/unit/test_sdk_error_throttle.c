/* test_sdk_error_throttle.c: at most 10 error events per launch, one per message type. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "sdk/error_throttle.h"

static void one_per_type_ten_types(void **state) {
  ps_sdk_error_throttle t = {.count = 0};
  assert_true(ps_sdk_error_throttle_admit(&t, 3, "NullReference\n at A.b()"));
  assert_false(ps_sdk_error_throttle_admit(&t, 3, "NullReference\n at C.d()")); /* same first line */
  assert_true(ps_sdk_error_throttle_admit(&t, 4, "NullReference")); /* another severity */
  char msg[32];
  for (int i = 0; i < 8; i++) {
    snprintf(msg, sizeof msg, "Other%d", i);
    assert_true(ps_sdk_error_throttle_admit(&t, 3, msg));
  }
  assert_false(ps_sdk_error_throttle_admit(&t, 3, "Eleventh"));
  assert_int_equal(t.count, 10);
}

static void forgotten_type_may_go_again(void **state) {
  ps_sdk_error_throttle t = {.count = 0};
  assert_true(ps_sdk_error_throttle_admit(&t, 1, "disk full"));
  ps_sdk_error_throttle_forget(&t, 1, "disk full");
  assert_int_equal(t.count, 0);
  assert_true(ps_sdk_error_throttle_admit(&t, 1, "disk full"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_per_type_ten_types),
      cmocka_unit_test(forgotten_type_may_go_again),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
