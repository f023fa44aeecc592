/* test_gunzip.c: request-body inflation with an output limit (http/body.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/errors.h"
#include "http/body.h"

/* gzip-compresses len bytes of in into a malloc'd buffer. */
static unsigned char *gzip(const void *in, size_t len, size_t *outlen) {
  z_stream zs = {0};
  assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  size_t cap = deflateBound(&zs, len);
  unsigned char *out = malloc(cap);
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)len;
  zs.next_out = out;
  zs.avail_out = (uInt)cap;
  assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
  *outlen = cap - zs.avail_out;
  deflateEnd(&zs);
  return out;
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(inflates_up_to_the_limit),
      cmocka_unit_test(refuses_corrupt_or_truncated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
