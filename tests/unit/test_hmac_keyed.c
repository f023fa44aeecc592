/*
 * test_hmac_keyed.c: a prepared key (ps_hmac) signs exactly as the one-shot functions do, for
 * every message it is reused for, an empty key included; the session hash with a prepared key
 * equals ps_session_hash; UUIDs keep their shape. bench/loadgen relies on all three to sign as
 * the server checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/hmac.h"
#include "common/errors.h"
#include "common/random.h"
#include "ingest/metrics/session_hash.h"

static void prepared_key_signs_as_one_shot(void **state) {
  static const char *const keys[] = {"s3cr3t", ""};
  static const char *const messages[] = {"[{\"v\":2}]", "", "another body, longer than one"};
  for (size_t k = 0; k < 2; k++) {
    ps_hmac *h = NULL;
    assert_int_equal(ps_hmac_create(keys[k], strlen(keys[k]), &h), PS_OK);
    for (int round = 0; round < 2; round++)
      for (size_t m = 0; m < 3; m++) {
        char want[PS_HMAC_BASE64_LEN + 1], got[PS_HMAC_BASE64_LEN + 1];
        assert_int_equal(ps_hmac_sha256_base64(keys[k], messages[m], strlen(messages[m]), want),
                         PS_OK);
        assert_int_equal(ps_hmac_base64(h, messages[m], strlen(messages[m]), got), PS_OK);
        assert_string_equal(got, want);
      }
    ps_hmac_free(h);
  }
  ps_hmac_free(NULL);
}

static void session_hash_keyed_equals_session_hash(void **state) {
  ps_hmac *h = NULL;
  assert_int_equal(ps_hmac_create("metrics-key", 11, &h), PS_OK);
  char want[PS_SESSION_HASH_HEX_LEN + 1], got[PS_SESSION_HASH_HEX_LEN + 1];
  const char *ids[] = {"1,2,3", NULL};
  for (size_t i = 0; i < 2; i++) {
    assert_int_equal(ps_session_hash("metrics-key", ids[i], "1700000000",
                                     "0e4f2a8e-6b9f-4c6e-9d3a-2f1b7c5d8e90", "abcdefghijklmnopqr",
                                     want), PS_OK);
    assert_int_equal(ps_session_hash_keyed(h, ids[i], "1700000000",
                                           "0e4f2a8e-6b9f-4c6e-9d3a-2f1b7c5d8e90",
                                           "abcdefghijklmnopqr", got), PS_OK);
    assert_string_equal(got, want);
    assert_int_equal(strlen(got), PS_SESSION_HASH_HEX_LEN);
  }
  ps_hmac_free(h);
}

static void uuid_format(void **state) {
  unsigned char b[16];
  for (int i = 0; i < 16; i++) b[i] = (unsigned char)(0xf0 + i);
  char out[37];
  memset(out, 'x', sizeof out);
  ps_uuid_v4_format(b, out);
  assert_string_equal(out, "f0f1f2f3-f4f5-46f7-b8f9-fafbfcfdfeff");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(prepared_key_signs_as_one_shot),
      cmocka_unit_test(session_hash_keyed_equals_session_hash),
      cmocka_unit_test(uuid_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
