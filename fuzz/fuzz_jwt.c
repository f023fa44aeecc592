/*
 * fuzz_jwt.c: libFuzzer target for the bearer-token reader (auth/jwt.h).
 *
 * Byte 0 picks a mode; the rest is the input:
 *   0  the input is a token, verified as sent (what a client can put in Authorization);
 *   1  the input is "header JSON \n payload JSON", signed here with the key, so that the
 *      header and claim checks behind the signature are reached;
 *   2  the input is a subject: signed with ps_jwt_sign_hs256, the token must verify to the same
 *      subject, and every single-byte change of it must be refused.
 * Checked on every input: the result is 0, PS_EEXPIRED or PS_EAUTH (never PS_EIO or anything
 * else), and ps_jwt_verify_hs256_cached gives the same code and claims, twice; on 0 the
 * claims hold a non-empty subject of at most PS_JWT_MAX_SUBJECT bytes and an
 * exp after now; on failure the claims are zeroed. Run with `make fuzz`.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "common/errors.h"

#include "fuzz_check.h"

static const char SECRET[] = "5f2b8c0e9a7d4e31b6c8f0a2d4e6f8a1c3e5b7d9f1a3c5e7b9d1f3a5c7e9b1d3";
static const int64_t NOW = 1750000000;

static int verify(const char *token, ps_jwt_claims *claims) {
  int rc = ps_jwt_verify_hs256(SECRET, token, NOW, claims);
  for (int i = 0; i < 2; i++) { /* the cached form agrees, on first sight and from its cache */
    ps_jwt_claims cached;
    CHECK(ps_jwt_verify_hs256_cached(SECRET, token, NOW, &cached) == rc);
    CHECK(memcmp(&cached, claims, sizeof cached) == 0);
  }
  CHECK(rc == PS_OK || rc == PS_EEXPIRED || rc == PS_EAUTH);
  if (rc == PS_OK) {
    size_t n = strnlen(claims->subject, sizeof claims->subject);
    CHECK(n > 0 && n <= PS_JWT_MAX_SUBJECT);
    CHECK(claims->expires_at > NOW);
  } else {
    static const ps_jwt_claims zero;
    CHECK(memcmp(claims, &zero, sizeof zero) == 0);
  }
  return rc;
}

/* base64url without padding of in[0..n) into out (room for 4 * (n + 2) / 3 + 1). */
static size_t b64url(const unsigned char *in, size_t n, char *out) {
  int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
  while (len > 0 && out[len - 1] == '=') len--;
  for (int i = 0; i < len; i++) out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
  out[len] = '\0';
  return (size_t)len;
}

static void signed_parts(const uint8_t *data, size_t size) {
  const uint8_t *nl = memchr(data, '\n', size);
  size_t hlen = nl ? (size_t)(nl - data) : size;
  size_t plen = nl ? size - hlen - 1 : 0;
  if (hlen > 1500 || plen > 1500) return;
  char token[2 * 2048 + 64];
  size_t n = b64url(data, hlen, token);
  token[n++] = '.';
  n += b64url(nl ? nl + 1 : data, plen, token + n);
  unsigned char mac[32];
  unsigned int maclen = 0;
  CHECK(HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET), (const unsigned char *)token, n, mac,
             &maclen) && maclen == 32);
  token[n++] = '.';
  b64url(mac, 32, token + n);
  ps_jwt_claims claims;
  verify(token, &claims);
}

static void round_trip(const uint8_t *data, size_t size) {
  char subject[PS_JWT_MAX_SUBJECT + 1];
  if (size == 0 || size > PS_JWT_MAX_SUBJECT || memchr(data, 0, size)) return;
  memcpy(subject, data, size);
  subject[size] = '\0';
  char token[PS_JWT_MAX_LEN + 1];
  int rc = ps_jwt_sign_hs256(SECRET, subject, NOW - 10, NOW + 3600, token, sizeof token);
  if (rc == PS_EINVAL) return; /* not UTF-8 */
  CHECK(rc == PS_OK);
  ps_jwt_claims claims;
  CHECK(verify(token, &claims) == PS_OK && strcmp(claims.subject, subject) == 0);
  CHECK(claims.expires_at == NOW + 3600 && claims.issued_at == NOW - 10);
  size_t len = strlen(token);
  size_t at = (size_t)data[0] * 131 % len; /* one position per input, spread over the token */
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=";
  for (size_t k = 0; k < sizeof alphabet - 1; k++) {
    if (alphabet[k] == token[at]) continue;
    char changed[PS_JWT_MAX_LEN + 1];
    memcpy(changed, token, len + 1);
    changed[at] = alphabet[k];
    CHECK(verify(changed, &claims) != PS_OK);
  }
  ps_jwt_claims expired;
  CHECK(ps_jwt_sign_hs256(SECRET, subject, NOW - 20, NOW, token, sizeof token) == PS_OK);
  CHECK(verify(token, &expired) == PS_EEXPIRED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1 || size > PS_JWT_MAX_LEN + 16) return 0;
  const uint8_t *in = data + 1;
  size_t n = size - 1;
  switch (data[0] % 3) {
    case 0: {
      char token[PS_JWT_MAX_LEN + 17];
      memcpy(token, in, n);
      token[n] = '\0';
      ps_jwt_claims claims;
      verify(token, &claims);
      break;
    }
    case 1:
      signed_parts(in, n);
      break;
    default:
      round_trip(in, n);
  }
  return 0;
}
