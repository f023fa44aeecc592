/* test_gunzip.c: request-body inflation with an output limit, and the gzip compression of
 * clients (common/gzip.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/gzip.h"

/* gzip-compresses len bytes of in with ps_gzip into a malloc'd buffer. */
static unsigned char *gzip(const void *in, size_t len, size_t *outlen) {
  ps_buf z = {0};
  assert_int_equal(ps_gzip(in, len, &z), PS_OK);
  assert_true(z.len >= 18 && (unsigned char)z.data[0] == 0x1f && (unsigned char)z.data[1] == 0x8b);
  *outlen = z.len;
  return (unsigned char *)ps_buf_steal(&z);
}

static void inflates_up_to_the_limit(void **state) {
  size_t n = 1000000, zlen;
  char *plain = malloc(n);
  memset(plain, 'a', n);
  unsigned char *z = gzip(plain, n, &zlen);
  ps_buf out = {0};
  assert_int_equal(ps_gunzip(z, zlen, n, &out), PS_OK);
  assert_int_equal(out.len, n);
  assert_memory_equal(out.data, plain, n);
  assert_int_equal(ps_gunzip(z, zlen, n - 1, &out), PS_ETOOBIG);
  ps_buf_free(&out);
  free(z);
  free(plain);
}

static void refuses_corrupt_or_truncated(void **state) {
  const char *text = "[{\"category\":\"user\"}]";
  size_t zlen;
  unsigned char *z = gzip(text, strlen(text), &zlen);
  ps_buf out = {0};
  assert_int_equal(ps_gunzip(z, zlen - 4, 1 << 20, &out), PS_EPARSE);
  assert_int_equal(ps_gunzip(text, strlen(text), 1 << 20, &out), PS_EPARSE);
  z[zlen / 2] ^= 0xff;
  assert_int_not_equal(ps_gunzip(z, zlen, 1 << 20, &out), PS_OK);
  ps_buf_free(&out);
  free(z);
}

static void gzip_round_trips_empty_and_binary(void **state) {
  unsigned char bytes[4096];
  for (size_t i = 0; i < sizeof bytes; i++) bytes[i] = (unsigned char)(i * 7919 % 251);
  size_t sizes[] = {0, 1, sizeof bytes};
  for (size_t k = 0; k < 3; k++) {
    size_t zlen;
    unsigned char *z = gzip(bytes, sizes[k], &zlen);
    ps_buf out = {0};
    assert_int_equal(ps_gunzip(z, zlen, sizeof bytes, &out), PS_OK);
    assert_int_equal(out.len, sizes[k]);
    if (sizes[k]) assert_memory_equal(out.data, bytes, sizes[k]);
    ps_buf_free(&out);
    free(z);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gzip_round_trips_empty_and_binary),
      cmocka_unit_test(inflates_up_to_the_limit),
      cmocka_unit_test(refuses_corrupt_or_truncated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
