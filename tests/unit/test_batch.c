/* test_batch.c: splitting an events body into the exact bytes of each element. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "ingest/ga/batch.h"

static void expect_split(const char *body, size_t n, const char *const *elements) {
  ps_json_slice *s = NULL;
  size_t count = 99;
  assert_int_equal(ps_json_array_split(body, strlen(body), 0, &s, &count), PS_OK);
  assert_int_equal(count, n);
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(s[i].len, strlen(elements[i]));
    assert_memory_equal(s[i].text, elements[i], s[i].len);
  }
  free(s);
}

static void splits_elements_exactly(void **state) {
  const char *three[] = {"{\"a\":1}", "{\"b\":[1,{\"c\":\"]}\"}]}", "\"x\""};
  expect_split(" [ {\"a\":1} ,{\"b\":[1,{\"c\":\"]}\"}]}\n,\"x\" ] \n", 3, three);
  const char *escaped[] = {"{\"m\":\"a\\\"],b\"}"};
  expect_split("[{\"m\":\"a\\\"],b\"}]", 1, escaped);
  const char *scalars[] = {"1", "true", "null", "[]"};
  expect_split("[1,true,null,[]]", 4, scalars);
  expect_split("[]", 0, NULL);
  expect_split(" [ ] ", 0, NULL);
}

static void refuses_what_is_not_one_array(void **state) {
  const char *bad[] = {"",        "{}",        "\"[]\"",      "[",       "[1",
                       "[1,]",    "[,1]",      "[1]x",        "[1][2]",  "[{]",
                       "[{\"a\":1]}", "[\"open]", "[\"a\nb\"]", "[}]",    "[1,,2]"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ps_json_slice *s = NULL;
    size_t count = 0;
    int rc = ps_json_array_split(bad[i], strlen(bad[i]), 0, &s, &count);
    if (rc != PS_EPARSE) fail_msg("accepted: %s", bad[i]);
    assert_null(s);
  }
}

/* With a maximum, one element more is PS_ETOOBIG, found before the rest is read. */
static void stops_past_the_maximum(void **state) {
  ps_json_slice *s = NULL;
  size_t count = 0;
  assert_int_equal(ps_json_array_split("[{},{},{}]", 10, 3, &s, &count), PS_OK);
  assert_int_equal(count, 3);
  free(s);
  s = NULL;
  assert_int_equal(ps_json_array_split("[{},{},{},{}]", 13, 3, &s, &count), PS_ETOOBIG);
  assert_null(s);
  /* an element past the maximum is refused even when the rest is broken */
  assert_int_equal(ps_json_array_split("[1,2,3,4,", 9, 3, &s, &count), PS_ETOOBIG);
  assert_null(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(splits_elements_exactly),
      cmocka_unit_test(refuses_what_is_not_one_array),
      cmocka_unit_test(stops_past_the_maximum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
