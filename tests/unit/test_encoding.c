/* test_encoding.c: the strict base64 decoder of common/encoding.h: RFC 4648 vectors in both
 * alphabets, padded and not, every malformed spelling refused, and a round trip against
 * OpenSSL's encoder over every length up to 100. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "common/encoding.h"
#include "common/errors.h"

/* Decodes text (whole string) and returns the error code; on success out/outlen are set. */
static int decode(const char *text, ps_base64_alphabet alphabet, unsigned char *out,
                  size_t cap, size_t *outlen) {
  return ps_base64_decode(text, strlen(text), alphabet, out, cap, outlen);
}

static void assert_decodes(const char *text, ps_base64_alphabet alphabet, const char *want) {
  unsigned char out[64];
  size_t len = 999;
  assert_int_equal(decode(text, alphabet, out, sizeof out, &len), PS_OK);
  assert_int_equal(len, strlen(want));
  assert_memory_equal(out, want, len);
}

static void assert_refused(const char *text, ps_base64_alphabet alphabet) {
  unsigned char out[64];
  size_t len = 0;
  int rc = decode(text, alphabet, out, sizeof out, &len);
  if (rc != PS_EPARSE) fail_msg("'%s' should be refused, got %d", text, rc);
}

static void rfc4648_vectors_padded_or_not(void **state) {
  static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
  static const char *const padded[] = {"",     "Zg==",     "Zm8=",    "Zm9v",
                                       "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
  static const char *const bare[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
  for (size_t i = 0; i < sizeof plain / sizeof *plain; i++) {
    assert_decodes(padded[i], PS_BASE64_STD, plain[i]);
    assert_decodes(bare[i], PS_BASE64_STD, plain[i]);
    assert_decodes(padded[i], PS_BASE64_URL, plain[i]);
  }
}

static void alphabets_differ_in_two_characters(void **state) {
  /* 0xfb 0xff 0xbf: "+/+/" in the standard alphabet, "-_-_" in the URL one. */
  assert_decodes("+/+/", PS_BASE64_STD, "\xfb\xff\xbf");
  assert_decodes("-_-_", PS_BASE64_URL, "\xfb\xff\xbf");
  assert_refused("-_-_", PS_BASE64_STD);
  assert_refused("+/+/", PS_BASE64_URL);
}

static void malformed_spellings_are_refused(void **state) {
  static const char *const bad[] = {
      "Z",         /* one character cannot hold a byte */
      "Zm9vY",     /* nor can 4k+1 */
      "Zg=",       /* padding that does not reach a multiple of 4 */
      "Zg===",     /* too much padding */
      "Zm9v=",     /* padding after a full group */
      "Zm8==",     /* 3 data characters take one '=' */
      "=",         "==", "====",
      "Z=g=",      /* padding inside */
      "Zh==",      /* unused low bits not zero ('h' = 33, low 4 bits 1) */
      "Zm9=",      /* unused low bits not zero ('9' = 61, low 2 bits 01) */
      "Zm 9v",     /* blanks */
      " Zm9v",     "Zm9v\n",    "Zm9v\r\n",
      "Zm9v!",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_refused(bad[i], PS_BASE64_STD);
    assert_refused(bad[i], PS_BASE64_URL);
  }
  /* A NUL inside the given length is an ordinary bad character. */
  unsigned char out[8];
  size_t len;
  assert_int_equal(ps_base64_decode("Zm\0" "vYmFy", 8, PS_BASE64_STD, out, sizeof out, &len),
                   PS_EPARSE);
}

static void a_small_buffer_is_reported(void **state) {
  unsigned char out[6];
  size_t len = 0;
  assert_int_equal(decode("Zm9vYmFy", PS_BASE64_STD, out, 5, &len), PS_ETOOBIG);
  assert_int_equal(decode("Zm9vYmE=", PS_BASE64_STD, out, 5, &len), PS_OK);
  assert_int_equal(len, 5);
  assert_int_equal(decode("Zm9vYmE", PS_BASE64_STD, out, 4, &len), PS_ETOOBIG);
  assert_true(PS_BASE64_DECODED_MAX(8) >= 6 && PS_BASE64_DECODED_MAX(7) >= 5);
}

static void round_trip_with_openssl(void **state) {
  unsigned char data[100], out[PS_BASE64_DECODED_MAX(136)];
  char text[4 * (sizeof data + 2) / 3 + 1];
  for (size_t i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 97 + 13);
  for (size_t n = 0; n <= sizeof data; n++) {
    int tlen = EVP_EncodeBlock((unsigned char *)text, data, (int)n);
    size_t len = 0;
    assert_int_equal(ps_base64_decode(text, (size_t)tlen, PS_BASE64_STD, out, sizeof out, &len),
                     PS_OK);
    assert_int_equal(len, n);
    assert_memory_equal(out, data, n);
    /* and without its padding */
    while (tlen > 0 && text[tlen - 1] == '=') tlen--;
    assert_int_equal(ps_base64_decode(text, (size_t)tlen, PS_BASE64_STD, out, sizeof out, &len),
                     PS_OK);
    assert_int_equal(len, n);
    assert_memory_equal(out, data, n);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc4648_vectors_padded_or_not),
      cmocka_unit_test(alphabets_differ_in_two_characters),
      cmocka_unit_test(malformed_spellings_are_refused),
      cmocka_unit_test(a_small_buffer_is_reported),
      cmocka_unit_test(round_trip_with_openssl),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
