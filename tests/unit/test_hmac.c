/* test_hmac.c: HMAC-SHA256 signing and constant-time verification (auth/hmac.h). */
#include <pthread.h>
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

/* ps_hmac_sha256_keyed gives what ps_hmac_sha256 gives, whatever the order of keys (more keys
 * than a thread keeps, keys longer than it keeps, a key that is a prefix of another), in two
 * threads at once. */
static void *keyed_matches_one_shot(void *arg) {
  unsigned seed = (unsigned)(size_t)arg;
  char keys[12][80];
  size_t lens[12];
  for (size_t i = 0; i < 12; i++) {
    lens[i] = i == 11 ? 80 : i * 6; /* 0 .. 60 bytes, and one over PS_HMAC_KEEP_MAX */
    for (size_t j = 0; j < lens[i]; j++) keys[i][j] = (char)('a' + (j * 7 + i) % 26);
  }
  for (int round = 0; round < 3000; round++) {
    seed = seed * 1103515245u + 12345u;
    size_t k = (seed >> 16) % 12, n = (seed >> 8) % 200;
    char msg[200];
    for (size_t j = 0; j < n; j++) msg[j] = (char)(seed >> (j % 24));
    unsigned char want[PS_HMAC_SHA256_LEN], got[PS_HMAC_SHA256_LEN];
    if (ps_hmac_sha256(keys[k], lens[k], msg, n, want) != 0 ||
        ps_hmac_sha256_keyed(keys[k], lens[k], msg, n, got) != 0 ||
        memcmp(want, got, sizeof want) != 0)
      return (void *)1;
  }
  return NULL;
}

static void keyed_state_gives_the_same_macs(void **state) {
  pthread_t a, b;
  void *ra = (void *)1, *rb = (void *)1;
  assert_int_equal(pthread_create(&a, NULL, keyed_matches_one_shot, (void *)1), 0);
  assert_int_equal(pthread_create(&b, NULL, keyed_matches_one_shot, (void *)2), 0);
  pthread_join(a, &ra);
  pthread_join(b, &rb);
  assert_null(ra);
  assert_null(rb);
  assert_null(keyed_matches_one_shot((void *)3)); /* the main thread too */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc4231_vector),
      cmocka_unit_test(verify_accepts_exact_signature),
      cmocka_unit_test(verify_refuses_wrong_key_body_or_format),
      cmocka_unit_test(secure_equal),
      cmocka_unit_test(keyed_state_gives_the_same_macs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
