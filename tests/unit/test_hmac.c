/* test_hmac.c: HMAC-SHA256 signing and constant-time verification (auth/hmac.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/hmac.h"

/* RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?". */
static void rfc4231_vector(void **state) {
  char out[PS_HMAC_BASE64_LEN + 1];
  const char *msg = "what do ya want for nothing?";
  assert_int_equal(ps_hmac_sha256_base64("Jefe", msg, strlen(msg), out), 0);
  /* hex 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843 */
  assert_string_equal(out, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=");
}

static void verify_accepts_exact_signature(void **state) {
  const char *body = "[{\"category\":\"user\"}]";
  char sig[PS_HMAC_BASE64_LEN + 1];
  ps_hmac_sha256_base64("secret", body, strlen(body), sig);
  assert_true(ps_hmac_sha256_base64_verify("secret", body, strlen(body), sig));
  char padded[64];
  strcpy(padded, " ");
  strcat(padded, sig);
  strcat(padded, " ");
  assert_true(ps_hmac_sha256_base64_verify("secret", body, strlen(body), padded));
}

static void verify_refuses_wrong_key_body_or_format(void **state) {
  const char *body = "[]";
  char sig[PS_HMAC_BASE64_LEN + 1];
  ps_hmac_sha256_base64("secret", body, strlen(body), sig);
  assert_false(ps_hmac_sha256_base64_verify("other", body, strlen(body), sig));
  assert_false(ps_hmac_sha256_base64_verify("secret", "[ ]", 3, sig));
  assert_false(ps_hmac_sha256_base64_verify("secret", body, strlen(body), NULL));
  assert_false(ps_hmac_sha256_base64_verify("secret", body, strlen(body), ""));
  assert_false(ps_hmac_sha256_base64_verify("secret", body, strlen(body), "Bearer abc"));
  char truncated[PS_HMAC_BASE64_LEN];
  memcpy(truncated, sig, PS_HMAC_BASE64_LEN - 1);
  truncated[PS_HMAC_BASE64_LEN - 1] = '\0';
  assert_false(ps_hmac_sha256_base64_verify("secret", body, strlen(body), truncated));
  sig[0] = sig[0] == 'A' ? 'B' : 'A';
  assert_false(ps_hmac_sha256_base64_verify("secret", body, strlen(body), sig));
}

static void secure_equal(void **state) {
  assert_true(ps_secure_equal("abcd", "abcd", 4));
  assert_false(ps_secure_equal("abcd", "abce", 4));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc4231_vector),
      cmocka_unit_test(verify_accepts_exact_signature),
      cmocka_unit_test(verify_refuses_wrong_key_body_or_format),
      cmocka_unit_test(secure_equal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
