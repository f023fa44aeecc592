/* test_retry_after.c: the Retry-After reading that libplaystat and `playstat simulate` share
 * (src/common/retry_after.h): delta seconds only, capped, a date or garbage is no header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/retry_after.h"

static void values(void **state) {
  (void)state;
  assert_int_equal(ps_retry_after_value(" 120\r\n", 3600), 120);
  assert_int_equal(ps_retry_after_value("0", 3600), 0);
  assert_int_equal(ps_retry_after_value("99999", 3600), 3600);
  assert_int_equal(ps_retry_after_value("99999999999999999999999", 60), 60);
  assert_int_equal(ps_retry_after_value("Wed, 21 Oct 2015 07:28:00 GMT", 3600), -1);
  assert_int_equal(ps_retry_after_value("12abc", 3600), -1);
  assert_int_equal(ps_retry_after_value("", 3600), -1);
  assert_int_equal(ps_retry_after_value(NULL, 3600), -1);
}

static int64_t header(const char *line, uint64_t cap) {
  return ps_retry_after_header(line, strlen(line), cap);
}

static void header_lines(void **state) {
  (void)state;
  assert_int_equal(header("Retry-After: 2\r\n", 3600), 2);
  assert_int_equal(header("retry-after:7", 3600), 7);
  assert_int_equal(header("RETRY-AFTER: 120\r\n", 60), 60);
  assert_int_equal(header("Retry-After: Wed, 21 Oct 2015 07:28:00 GMT\r\n", 3600), -1);
  assert_int_equal(header("Retry-After:", 3600), -1);
  assert_int_equal(header("Content-Type: application/json\r\n", 3600), -1);
  assert_int_equal(header("Retry-After-Not: 5\r\n", 3600), -1);
  assert_int_equal(header("HTTP/1.1 503 Service Unavailable\r\n", 3600), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(values), cmocka_unit_test(header_lines)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
