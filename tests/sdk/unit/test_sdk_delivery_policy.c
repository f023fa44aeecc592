/* test_sdk_delivery_policy.c: libplaystat's sender decisions (sdk/delivery_policy.h): batch
 * limits, what each answer means for the events, backoff with jitter, Retry-After. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sdk/delivery_policy.h"

static void batch_stops_at_500_events(void **state) {
  static size_t lens[600];
  for (size_t i = 0; i < 600; i++) lens[i] = 100;
  assert_int_equal(ps_sdk_batch_fit(lens, 600, PS_SDK_BATCH_MAX_EVENTS, PS_SDK_BATCH_MAX_BYTES), 500);
  assert_int_equal(ps_sdk_batch_fit(lens, 42, PS_SDK_BATCH_MAX_EVENTS, PS_SDK_BATCH_MAX_BYTES), 42);
  assert_int_equal(ps_sdk_batch_fit(lens, 0, PS_SDK_BATCH_MAX_EVENTS, PS_SDK_BATCH_MAX_BYTES), 0);
  assert_int_equal(ps_sdk_batch_fit(lens, 600, 7, PS_SDK_BATCH_MAX_BYTES), 7); /* after a 413 */
}

static void batch_stops_at_1_mb_counting_brackets_and_commas(void **state) {
  /* "[" + 3 x 10 + 2 commas + "]" = 34 bytes */
  size_t lens[4] = {10, 10, 10, 10};
  assert_int_equal(ps_sdk_batch_fit(lens, 4, 500, 34), 3);
  assert_int_equal(ps_sdk_batch_fit(lens, 4, 500, 33), 2);
  assert_int_equal(ps_sdk_batch_fit(lens, 4, 500, 45), 4);
  static size_t big[3] = {400 * 1024, 400 * 1024, 400 * 1024};
  assert_int_equal(ps_sdk_batch_fit(big, 3, 500, PS_SDK_BATCH_MAX_BYTES), 2);
  size_t huge[1] = {PS_SDK_BATCH_MAX_BYTES};
  assert_int_equal(ps_sdk_batch_fit(huge, 1, 500, PS_SDK_BATCH_MAX_BYTES), 0); /* can never go */
}

static void answers_decide_the_events_fate(void **state) {
  assert_int_equal(ps_sdk_classify_answer(200, 2), PS_SDK_ANSWER_DELIVERED);
  assert_int_equal(ps_sdk_classify_answer(400, 60), PS_SDK_ANSWER_REJECTED);
  assert_int_equal(ps_sdk_classify_answer(413, 20), PS_SDK_ANSWER_TOO_LARGE);
  long retried[] = {0, 401, 404, 429, 500, 502, 503, 504};
  for (size_t i = 0; i < sizeof retried / sizeof retried[0]; i++)
    assert_int_equal(ps_sdk_classify_answer(retried[i], 2), PS_SDK_ANSWER_RETRY);
  /* An empty body is no answer, whatever the status (PROTOCOLS.md §1). */
  assert_int_equal(ps_sdk_classify_answer(200, 0), PS_SDK_ANSWER_RETRY);
  assert_int_equal(ps_sdk_classify_answer(400, 0), PS_SDK_ANSWER_RETRY);
}

static void backoff_doubles_to_the_cap_with_jitter(void **state) {
  /* random 0.999.. gives the full delay, 0 gives half of it */
  assert_int_equal(ps_sdk_backoff_ms(1, 1000, 300000, 0.9999999, 0), 999);
  assert_int_equal(ps_sdk_backoff_ms(1, 1000, 300000, 0.0, 0), 500);
  assert_int_equal(ps_sdk_backoff_ms(2, 1000, 300000, 0.0, 0), 1000);
  assert_int_equal(ps_sdk_backoff_ms(3, 1000, 300000, 0.0, 0), 2000);
  assert_int_equal(ps_sdk_backoff_ms(30, 1000, 300000, 0.0, 0), 150000);
  assert_int_equal(ps_sdk_backoff_ms(1000, 1000, 300000, 0.9999999, 0), 299999);
  uint64_t a = ps_sdk_backoff_ms(4, 1000, 300000, 0.25, 0);
  uint64_t b = ps_sdk_backoff_ms(4, 1000, 300000, 0.75, 0);
  assert_true(a >= 4000 && a < b && b <= 8000); /* two clients with other draws wait differently */
}

static void retry_after_is_a_floor(void **state) {
  assert_int_equal(ps_sdk_backoff_ms(1, 1000, 300000, 0.0, 30), 30000);
  assert_int_equal(ps_sdk_backoff_ms(10, 1000, 300000, 0.0, 1), 150000); /* capped, halved */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(batch_stops_at_500_events),
      cmocka_unit_test(batch_stops_at_1_mb_counting_brackets_and_commas),
      cmocka_unit_test(answers_decide_the_events_fate),
      cmocka_unit_test(backoff_doubles_to_the_cap_with_jitter),
      cmocka_unit_test(retry_after_is_a_floor),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
