/*
 * test_jwt.c: HS256 player bearer tokens (auth/jwt.h).
 *
 * Tokens the tests forge are built here independently of jwt.c: base64url by this file's own
 * table-driven encoder, the signature by OpenSSL's HMAC() directly, so a bug shared by sign and
 * verify cannot hide.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/jwt.h"
#include "common/errors.h"

#define SECRET "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER_SECRET "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define NOW 1700000000

/* ---- independent token construction ----------------------------------------------------- */

/* base64url of in[0..n) into out (NUL-terminated), with '=' padding when pad is set. */
static size_t b64url(const void *data, size_t n, char *out, int pad) {
  static const char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const unsigned char *in = data;
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)in[i] << 16;
    if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
    if (i + 2 < n) v |= in[i + 2];
    out[o++] = alphabet[(v >> 18) & 63];
    out[o++] = alphabet[(v >> 12) & 63];
    if (i + 1 < n) out[o++] = alphabet[(v >> 6) & 63];
    else if (pad) out[o++] = '=';
    if (i + 2 < n) out[o++] = alphabet[v & 63];
    else if (pad) out[o++] = '=';
  }
  out[o] = '\0';
  return o;
}

/* Writes b64url(header).b64url(payload).b64url(HMAC-SHA256(secret, first two parts)). */
static void forge_opt(const char *secret, const char *header, const char *payload, int pad,
                      char *out) {
  size_t n = b64url(header, strlen(header), out, pad);
  out[n++] = '.';
  n += b64url(payload, strlen(payload), out + n, pad);
  unsigned char mac[32];
  unsigned int maclen = 0;
  assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)out, n,
                       mac, &maclen));
  assert_int_equal(maclen, 32);
  out[n++] = '.';
  b64url(mac, sizeof mac, out + n, pad);
}

/* Writes h64.p64.b64url(HMAC-SHA256(secret, "h64.p64")): a token signed over parts given
 * already encoded (to sign malformed encodings). */
static void sign_parts(const char *secret, const char *h64, const char *p64, char *out) {
  int n = sprintf(out, "%s.%s", h64, p64);
  unsigned char mac[32];
  unsigned int maclen = 0;
  assert_non_null(HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)out,
                       (size_t)n, mac, &maclen));
  out[n++] = '.';
  b64url(mac, sizeof mac, out + n, 0);
}

static void forge(const char *secret, const char *header, const char *payload, char *out) {
  forge_opt(secret, header, payload, 0, out);
}

/* Verifies token at now under SECRET; returns the code and leaves the claims in *claims. Every
 * case also goes through ps_jwt_verify_hs256_cached twice (a first sight, then one the cache
 * may answer), which must give the same code and claims. */
static int verify_at(const char *token, int64_t now, ps_jwt_claims *claims) {
  int rc = ps_jwt_verify_hs256(SECRET, token, now, claims);
  for (int i = 0; i < 2; i++) {
    ps_jwt_claims cached;
    assert_int_equal(ps_jwt_verify_hs256_cached(SECRET, token, now, &cached), rc);
    assert_memory_equal(&cached, claims, sizeof cached);
  }
  return rc;
}

static int verify(const char *token) {
  ps_jwt_claims claims;
  return verify_at(token, NOW, &claims);
}

/* Forges a token of SECRET with the HS256 header and payload, and verifies it at NOW. */
static int verify_payload(const char *payload, ps_jwt_claims *claims) {
  char token[PS_JWT_MAX_LEN * 2];
  forge(SECRET, HS256_HEADER, payload, token);
  return verify_at(token, NOW, claims);
}

static int verify_header(const char *header) {
  char token[PS_JWT_MAX_LEN * 2];
  forge(SECRET, header, "{\"sub\":\"p\",\"exp\":1700003600}", token);
  return verify(token);
}

/* ---- signing ------------------------------------------------------------------------------ */

static void round_trip(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  ps_jwt_claims claims;
  assert_int_equal(ps_jwt_sign_hs256(SECRET, "player-7", NOW, NOW + 60, token, sizeof token), 0);
  assert_int_equal(verify_at(token, NOW, &claims), 0);
  assert_string_equal(claims.subject, "player-7");
  assert_int_equal(claims.issued_at, NOW);
  assert_int_equal(claims.expires_at, NOW + 60);
  assert_int_equal(verify_at(token, NOW + 59, &claims), 0);
  assert_int_equal(verify_at(token, NOW + 60, &claims), PS_EEXPIRED);
  assert_int_equal(ps_jwt_verify_hs256(OTHER_SECRET, token, NOW, &claims), PS_EAUTH);

  /* A subject that JSON must escape, and non-ASCII UTF-8, survive the trip. */
  const char *odd = "a\"b\\c\n\xc3\xa9\xe2\x82\xac";
  assert_int_equal(ps_jwt_sign_hs256(SECRET, odd, NOW, NOW + 60, token, sizeof token), 0);
  assert_int_equal(verify_at(token, NOW, &claims), 0);
  assert_string_equal(claims.subject, odd);
}

/*
 * The expected token was produced from the shell, independently of playstat:
 *   b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
 *   S=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
 *   H=$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)
 *   P=$(printf '%s' '{"sub":"player-42","iat":1700000000,"exp":1700003600}' | b64url)
 *   SIG=$(printf '%s' "$H.$P" | openssl dgst -sha256 -hmac "$S" -binary | b64url)
 *   echo "$H.$P.$SIG"
 * and checked again with Python's hmac/hashlib/base64.urlsafe_b64encode. The key is the
 * secret's 64 characters as text, as openssl dgst -hmac, jwt.io and node's createHmac use it.
 */
static const char known_token[] =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiJwbGF5ZXItNDIiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMzYwMH0"
    ".4OVRZ5lZ0WQsZ_MTC_xZUYGpPBfwuYdYy_dK9f0zZ7U";

static void known_vector(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  ps_jwt_claims claims;
  assert_int_equal(
      ps_jwt_sign_hs256(SECRET, "player-42", 1700000000, 1700003600, token, sizeof token), 0);
  assert_string_equal(token, known_token);
  assert_int_equal(verify_at(known_token, 1700000000, &claims), 0);
  assert_string_equal(claims.subject, "player-42");
  assert_int_equal(claims.expires_at, 1700003600);
  assert_int_equal(claims.issued_at, 1700000000);

  /* The same, computed in this process with OpenSSL's HMAC directly, for an escaped subject. */
  char expected[PS_JWT_MAX_LEN + 1];
  forge(SECRET, HS256_HEADER, "{\"sub\":\"q\\\"uote\",\"iat\":5,\"exp\":-7}", expected);
  assert_int_equal(ps_jwt_sign_hs256(SECRET, "q\"uote", 5, -7, token, sizeof token), 0);
  assert_string_equal(token, expected);
}

static void sign_refuses_bad_arguments(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  char sub[PS_JWT_MAX_SUBJECT + 2];
  memset(sub, 'x', sizeof sub - 1);
  sub[sizeof sub - 1] = '\0'; /* 129 bytes */
  strcpy(token, "junk");
  assert_int_equal(ps_jwt_sign_hs256(SECRET, sub, NOW, NOW + 1, token, sizeof token), PS_EINVAL);
  assert_string_equal(token, "");
  sub[PS_JWT_MAX_SUBJECT] = '\0'; /* 128 bytes: fine */
  assert_int_equal(ps_jwt_sign_hs256(SECRET, sub, NOW, NOW + 1, token, sizeof token), 0);
  assert_int_equal(ps_jwt_sign_hs256(SECRET, "", NOW, NOW + 1, token, sizeof token), PS_EINVAL);
  assert_int_equal(ps_jwt_sign_hs256(SECRET, NULL, NOW, NOW + 1, token, sizeof token), PS_EINVAL);
  assert_int_equal(ps_jwt_sign_hs256(SECRET, "\xff\xfe", NOW, NOW + 1, token, sizeof token),
                   PS_EINVAL);
  assert_int_equal(ps_jwt_sign_hs256("", "p", NOW, NOW + 1, token, sizeof token), PS_EINVAL);
  assert_int_equal(ps_jwt_sign_hs256(NULL, "p", NOW, NOW + 1, token, sizeof token), PS_EINVAL);
  assert_int_equal(ps_jwt_sign_hs256(SECRET, "p", NOW, NOW + 1, NULL, 10), PS_EINVAL);
}

static void sign_reports_small_buffer(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  assert_int_equal(ps_jwt_sign_hs256(SECRET, "player-42", 1700000000, 1700003600, token,
                                     sizeof known_token),
                   0); /* exactly the length plus the NUL */
  assert_string_equal(token, known_token);
  strcpy(token, "junk");
  assert_int_equal(ps_jwt_sign_hs256(SECRET, "player-42", 1700000000, 1700003600, token,
                                     sizeof known_token - 1),
                   PS_ETOOBIG);
  assert_string_equal(token, "");
  assert_int_equal(ps_jwt_sign_hs256(SECRET, "p", NOW, NOW + 1, token, 0), PS_ETOOBIG);

  /* The longest token (128 control characters, each escaped to \u00XX) fits the documented
   * buffer. */
  char sub[PS_JWT_MAX_SUBJECT + 1];
  memset(sub, 0x01, PS_JWT_MAX_SUBJECT);
  sub[PS_JWT_MAX_SUBJECT] = '\0';
  assert_int_equal(
      ps_jwt_sign_hs256(SECRET, sub, INT64_MIN, INT64_MIN, token, sizeof token), 0);
  ps_jwt_claims claims;
  assert_int_equal(verify(token), PS_EEXPIRED);
  assert_int_equal(ps_jwt_sign_hs256(SECRET, sub, INT64_MIN, INT64_MAX, token, sizeof token), 0);
  assert_int_equal(verify_at(token, NOW, &claims), 0);
  assert_memory_equal(claims.subject, sub, PS_JWT_MAX_SUBJECT + 1);
}

/* ---- verification: signature and structure ---------------------------------------------- */

static void tampering_is_refused(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  const char *dot1 = strchr(known_token, '.');
  const char *dot2 = strchr(dot1 + 1, '.');
  ps_jwt_claims claims;

  /* Each character of each part changed in turn (to a different valid base64url character). */
  for (size_t i = 0; i < strlen(known_token); i++) {
    if (known_token[i] == '.') continue;
    strcpy(token, known_token);
    token[i] = token[i] == 'A' ? 'B' : 'A';
    memset(&claims, 0x55, sizeof claims);
    assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);
    ps_jwt_claims zero;
    memset(&zero, 0, sizeof zero);
    assert_memory_equal(&claims, &zero, sizeof zero); /* zeroed on failure */
  }

  /* Another header or payload under the original signature. */
  char forged[PS_JWT_MAX_LEN + 1], mixed[PS_JWT_MAX_LEN * 2];
  forge(SECRET, "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"1\"}",
        "{\"sub\":\"player-42\",\"iat\":1700000000,\"exp\":1700003600}", forged);
  snprintf(mixed, sizeof mixed, "%.*s%s", (int)(strchr(forged, '.') - forged), forged, dot1);
  assert_int_equal(verify_at(mixed, 1700000000, &claims), PS_EAUTH);
  forge(SECRET, HS256_HEADER, "{\"sub\":\"admin\",\"iat\":1700000000,\"exp\":1700003600}",
        forged);
  const char *f1 = strchr(forged, '.'), *f2 = strchr(f1 + 1, '.');
  snprintf(mixed, sizeof mixed, "%.*s%.*s%s", (int)(dot1 - known_token), known_token,
           (int)(f2 - f1), f1, dot2);
  assert_int_equal(verify_at(mixed, 1700000000, &claims), PS_EAUTH);

  /* The signature truncated, lengthened, or missing. */
  strcpy(token, known_token);
  token[strlen(token) - 1] = '\0';
  assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);
  snprintf(token, sizeof token, "%sAAAA", known_token);
  assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);
  snprintf(token, sizeof token, "%.*s.", (int)(dot2 - known_token), known_token);
  assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);
}

static void wrong_secret_is_refused(void **state) {
  ps_jwt_claims claims;
  assert_int_equal(ps_jwt_verify_hs256(OTHER_SECRET, known_token, 1700000000, &claims),
                   PS_EAUTH);
  assert_int_equal(ps_jwt_verify_hs256("", known_token, 1700000000, &claims), PS_EAUTH);
  assert_int_equal(ps_jwt_verify_hs256(NULL, known_token, 1700000000, &claims), PS_EAUTH);
  assert_int_equal(ps_jwt_verify_hs256(SECRET, NULL, 1700000000, &claims), PS_EAUTH);
  assert_int_equal(ps_jwt_verify_hs256(SECRET, known_token, 1700000000, NULL), PS_EINVAL);
}

static void algorithms_other_than_hs256_are_refused(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  const char *payload = "{\"sub\":\"p\",\"exp\":1700003600}";
  /* The classic "none" attack: no signature at all. */
  char h[256], p[256];
  b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}", 26, h, 0);
  b64url(payload, strlen(payload), p, 0);
  snprintf(token, sizeof token, "%s.%s.", h, p);
  assert_int_equal(verify(token), PS_EAUTH);
  snprintf(token, sizeof token, "%s.%s", h, p);
  assert_int_equal(verify(token), PS_EAUTH);
  /* Even with a correct HS256 signature, the header must say HS256. */
  assert_int_equal(verify_header("{\"alg\":\"none\",\"typ\":\"JWT\"}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":\"HS512\",\"typ\":\"JWT\"}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":\"hs256\"}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":\"HS256 \"}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":\"HS256\\u0000\"}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":null}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":[\"HS256\"]}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"typ\":\"JWT\"}"), PS_EAUTH);
  assert_int_equal(verify_header("{}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":\"HS256\",\"alg\":\"none\"}"), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}"),
                   PS_EAUTH);
  assert_int_equal(verify_header("[\"HS256\"]"), PS_EAUTH);
  assert_int_equal(verify_header("\"HS256\""), PS_EAUTH);
  assert_int_equal(verify_header("{\"alg\":\"HS256\"} x"), PS_EAUTH);
  assert_int_equal(verify_header(""), PS_EAUTH);
  /* What is accepted: alg HS256 with or without typ, extra members. */
  assert_int_equal(verify_header("{\"alg\":\"HS256\"}"), 0);
  assert_int_equal(verify_header("{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"k1\"}"), 0);
}

static void not_three_parts_is_refused(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  const char *dot2 = strrchr(known_token, '.');
  assert_int_equal(verify(""), PS_EAUTH);
  assert_int_equal(verify("abc"), PS_EAUTH);
  assert_int_equal(verify(".."), PS_EAUTH);
  assert_int_equal(verify("..."), PS_EAUTH);
  snprintf(token, sizeof token, "%.*s", (int)(dot2 - known_token), known_token);
  assert_int_equal(verify(token), PS_EAUTH); /* header.payload */
  snprintf(token, sizeof token, "%s.", known_token);
  assert_int_equal(verify(token), PS_EAUTH);
  snprintf(token, sizeof token, "%s.%s", known_token, dot2 + 1);
  assert_int_equal(verify(token), PS_EAUTH);
  snprintf(token, sizeof token, "Bearer %s", known_token);
  assert_int_equal(verify(token), PS_EAUTH);
  snprintf(token, sizeof token, " %s", known_token);
  assert_int_equal(verify(token), PS_EAUTH);
  snprintf(token, sizeof token, "%s\n", known_token);
  assert_int_equal(verify(token), PS_EAUTH);
}

static void bad_base64_is_refused(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  const char *dot1 = strchr(known_token, '.');
  const char *dot2 = strchr(dot1 + 1, '.');
  size_t sig_at = (size_t)(dot2 + 1 - known_token);
  ps_jwt_claims claims;

  /* Standard-alphabet or foreign characters, in each part. */
  const char bad_chars[] = {'+', '/', '*', ' ', '=', '\t', '\x80'};
  size_t positions[] = {3, (size_t)(dot1 - known_token) + 3, sig_at + 3};
  for (size_t p = 0; p < 3; p++) {
    for (size_t c = 0; c < sizeof bad_chars; c++) {
      strcpy(token, known_token);
      token[positions[p]] = bad_chars[c];
      assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);
    }
  }

  /* The same signature in the standard alphabet ('_' -> '/'): refused. */
  strcpy(token, known_token);
  for (char *s = token + sig_at; *s; s++) {
    if (*s == '_') *s = '/';
    if (*s == '-') *s = '+';
  }
  assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);

  /* A non-canonical last character: same bytes, unused bits set ('U' = 20 -> 'V' = 21). The
   * known signature ends in 'U' (43 characters: the last one carries 4 bits and 2 unused). */
  assert_int_equal(known_token[strlen(known_token) - 1], 'U');
  strcpy(token, known_token);
  token[strlen(token) - 1] = 'V';
  assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);

  /* Signed tokens whose header or payload part is badly encoded. */
  char h64[64], p64[128];
  const char *payload = "{\"sub\":\"p\",\"exp\":1700003600}"; /* 28 bytes: 38 characters */
  b64url(HS256_HEADER, strlen(HS256_HEADER), h64, 0);
  b64url(payload, strlen(payload), p64, 0);
  assert_int_equal(strlen(p64) % 4, 2);
  sign_parts(SECRET, h64, p64, token);
  assert_int_equal(verify(token), 0); /* the canonical spelling verifies */
  /* The payload's last character with its 4 unused bits set: same bytes, other spelling. */
  char *last = p64 + strlen(p64) - 1;
  assert_int_equal(*last, 'Q'); /* 16: low 4 bits clear */
  *last = 'R';                  /* 17 */
  sign_parts(SECRET, h64, p64, token);
  assert_int_equal(verify(token), PS_EAUTH);
  *last = 'Q';
  /* A part whose length is 1 modulo 4 cannot be base64. */
  char longer[sizeof h64 + 1];
  snprintf(longer, sizeof longer, "%sA", h64);
  sign_parts(SECRET, longer, p64, token);
  assert_int_equal(verify(token), PS_EAUTH);
  /* Standard-alphabet characters in a signed part. */
  strcpy(p64, "eyJzdWIiOiI-Pz8iLCJleHAiOjE3MDAwMDM2MDB9"); /* {"sub":">??","exp":1700003600} */
  sign_parts(SECRET, h64, p64, token);
  assert_int_equal(verify(token), 0);
  p64[11] = '+';
  sign_parts(SECRET, h64, p64, token);
  assert_int_equal(verify(token), PS_EAUTH);
}

static void padding_is_accepted(void **state) {
  char token[PS_JWT_MAX_LEN + 1];
  ps_jwt_claims claims;
  /* The signature part padded (43 characters + "="): the signed input is unchanged. */
  snprintf(token, sizeof token, "%s=", known_token);
  assert_int_equal(verify_at(token, 1700000000, &claims), 0);
  assert_string_equal(claims.subject, "player-42");
  /* Wrong amounts of padding. */
  snprintf(token, sizeof token, "%s==", known_token);
  assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);
  snprintf(token, sizeof token, "%s===", known_token);
  assert_int_equal(verify_at(token, 1700000000, &claims), PS_EAUTH);
  /* Every part padded, signed over the padded text as sent: a 25-byte header ("==") and a
   * 32-byte payload ("="). */
  const char *header = "{\"alg\":\"HS256\",\"kid\":\"k\"}";
  const char *payload = "{\"sub\":\"padpa\",\"exp\":1700003600}";
  assert_int_equal(strlen(header) % 3, 1);
  assert_int_equal(strlen(payload) % 3, 2);
  forge_opt(SECRET, header, payload, 1, token);
  assert_non_null(strstr(token, "==."));
  assert_non_null(strstr(token, "=."));
  assert_int_equal(token[strlen(token) - 1], '=');
  assert_int_equal(verify_at(token, NOW, &claims), 0);
  assert_string_equal(claims.subject, "padpa");
  /* Padding where none belongs (a 36-character header part) is refused. */
  char forged[PS_JWT_MAX_LEN + 1];
  forge(SECRET, HS256_HEADER, payload, forged);
  assert_true(strlen(forged) + 2 <= sizeof token);
  memcpy(token, forged, 36);
  token[36] = '=';
  strcpy(token + 37, forged + 36);
  assert_int_equal(verify_at(token, NOW, &claims), PS_EAUTH);
}

/* Finds an HS256 token whose total length is exactly want, padding the payload. */
static void token_of_length(size_t want, char *out) {
  static char pad[PS_JWT_MAX_LEN];
  static char payload[PS_JWT_MAX_LEN + 64];
  for (size_t k = 0; k < sizeof pad - 1; k++) {
    memset(pad, 'x', k);
    pad[k] = '\0';
    snprintf(payload, sizeof payload, "{\"sub\":\"p\",\"exp\":1700003600,\"pad\":\"%s\"}", pad);
    forge(SECRET, HS256_HEADER, payload, out);
    if (strlen(out) == want) return;
  }
  fail_msg("no token of length %zu", want);
}

static void oversize_token_is_refused(void **state) {
  static char token[PS_JWT_MAX_LEN * 2];
  token_of_length(PS_JWT_MAX_LEN, token);
  assert_int_equal(verify(token), 0);
  token_of_length(PS_JWT_MAX_LEN + 1, token);
  assert_int_equal(verify(token), PS_EAUTH);
  token_of_length(PS_JWT_MAX_LEN + 3, token);
  assert_int_equal(verify(token), PS_EAUTH);
}

/* ---- verification: claims ------------------------------------------------------------------ */

static void expiry_is_checked_after_the_signature(void **state) {
  ps_jwt_claims claims;
  char token[PS_JWT_MAX_LEN + 1];
  assert_int_equal(verify_at(known_token, 1700003599, &claims), 0);
  assert_int_equal(verify_at(known_token, 1700003600, &claims), PS_EEXPIRED); /* exp == now */
  assert_int_equal(verify_at(known_token, 1800000000, &claims), PS_EEXPIRED);
  assert_string_equal(claims.subject, ""); /* zeroed: expired is a failure */
  /* An expired token with a bad signature says nothing about its expiry. */
  strcpy(token, known_token);
  token[strlen(token) - 2] = token[strlen(token) - 2] == 'A' ? 'B' : 'A';
  assert_int_equal(verify_at(token, 1800000000, &claims), PS_EAUTH);
  assert_int_equal(ps_jwt_verify_hs256(OTHER_SECRET, known_token, 1800000000, &claims),
                   PS_EAUTH);
  /* An expired token that is malformed inside is malformed. */
  assert_int_equal(verify_payload("{\"exp\":1}", &claims), PS_EAUTH);
  /* exp is required and numeric; fractions round up. */
  assert_int_equal(verify_payload("{\"sub\":\"p\"}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":\"1700003600\"}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":null}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":1e300}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":1700000000.5}", &claims), 0);
  assert_int_equal(claims.expires_at, 1700000001);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":1700000000.0}", &claims), PS_EEXPIRED);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":-1}", &claims), PS_EEXPIRED);
  /* iat is optional (0 when absent) but numeric when present. */
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":1700000001}", &claims), 0);
  assert_int_equal(claims.issued_at, 0);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":1700000001,\"iat\":\"x\"}", &claims),
                   PS_EAUTH);
}

static void nbf_is_checked(void **state) {
  ps_jwt_claims claims;
  assert_int_equal(
      verify_payload("{\"sub\":\"p\",\"exp\":1700003600,\"nbf\":1700000001}", &claims), PS_EAUTH);
  assert_int_equal(
      verify_payload("{\"sub\":\"p\",\"exp\":1700003600,\"nbf\":1700000000}", &claims), 0);
  assert_int_equal(
      verify_payload("{\"sub\":\"p\",\"exp\":1700003600,\"nbf\":1600000000}", &claims), 0);
  assert_int_equal(
      verify_payload("{\"sub\":\"p\",\"exp\":1700003600,\"nbf\":1700000000.2}", &claims),
      PS_EAUTH);
  assert_int_equal(
      verify_payload("{\"sub\":\"p\",\"exp\":1700003600,\"nbf\":\"0\"}", &claims), PS_EAUTH);
}

static void subject_rules(void **state) {
  ps_jwt_claims claims;
  char payload[512], sub[PS_JWT_MAX_SUBJECT + 2];
  assert_int_equal(verify_payload("{\"exp\":1700003600}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"\",\"exp\":1700003600}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":null,\"exp\":1700003600}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":true,\"exp\":1700003600}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":1.5,\"exp\":1700003600}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":{},\"exp\":1700003600}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"a\\u0000b\",\"exp\":1700003600}", &claims),
                   PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"a\",\"sub\":\"b\",\"exp\":1700003600}", &claims),
                   PS_EAUTH);
  /* An integer becomes its decimal text. */
  assert_int_equal(verify_payload("{\"sub\":12345,\"exp\":1700003600}", &claims), 0);
  assert_string_equal(claims.subject, "12345");
  assert_int_equal(verify_payload("{\"sub\":9223372036854775807,\"exp\":1700003600}", &claims),
                   0);
  assert_string_equal(claims.subject, "9223372036854775807");
  /* 128 bytes is the limit. */
  memset(sub, 'y', sizeof sub);
  sub[PS_JWT_MAX_SUBJECT] = '\0';
  snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"exp\":1700003600}", sub);
  assert_int_equal(verify_payload(payload, &claims), 0);
  assert_string_equal(claims.subject, sub);
  sub[PS_JWT_MAX_SUBJECT] = 'y';
  sub[PS_JWT_MAX_SUBJECT + 1] = '\0';
  snprintf(payload, sizeof payload, "{\"sub\":\"%s\",\"exp\":1700003600}", sub);
  assert_int_equal(verify_payload(payload, &claims), PS_EAUTH);
  /* The payload must be one JSON object. */
  assert_int_equal(verify_payload("[{\"sub\":\"p\",\"exp\":1700003600}]", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":1700003600}{}", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("{\"sub\":\"p\",\"exp\":1700003600", &claims), PS_EAUTH);
  assert_int_equal(verify_payload("", &claims), PS_EAUTH);
}

/* A token the cache knows is still checked in full: its signature under the secret given now
 * (not the one that verified it before), its expiry and nbf against now. */
static void cached_tokens_are_checked_again(void **state) {
  (void)state;
  char token[PS_JWT_MAX_LEN * 2];
  ps_jwt_claims claims;
  forge(SECRET, HS256_HEADER, "{\"sub\":\"cached\",\"exp\":1700000100,\"nbf\":1699999950}", token);
  assert_int_equal(ps_jwt_verify_hs256_cached(SECRET, token, NOW, &claims), PS_OK);
  assert_string_equal(claims.subject, "cached");
  assert_int_equal(ps_jwt_verify_hs256_cached(OTHER_SECRET, token, NOW, &claims), PS_EAUTH);
  assert_int_equal(ps_jwt_verify_hs256_cached(SECRET, token, NOW + 100, &claims), PS_EEXPIRED);
  assert_int_equal(ps_jwt_verify_hs256_cached(SECRET, token, NOW - 100, &claims), PS_EAUTH);
  assert_int_equal(ps_jwt_verify_hs256_cached(SECRET, token, NOW, &claims), PS_OK);
  /* the same header and payload with another signature is not the cached token */
  size_t len = strlen(token);
  token[len - 2] = token[len - 2] == 'A' ? 'B' : 'A';
  assert_int_equal(ps_jwt_verify_hs256_cached(SECRET, token, NOW, &claims), PS_EAUTH);
  assert_string_equal(claims.subject, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(round_trip),
      cmocka_unit_test(cached_tokens_are_checked_again),
      cmocka_unit_test(known_vector),
      cmocka_unit_test(sign_refuses_bad_arguments),
      cmocka_unit_test(sign_reports_small_buffer),
      cmocka_unit_test(tampering_is_refused),
      cmocka_unit_test(wrong_secret_is_refused),
      cmocka_unit_test(algorithms_other_than_hs256_are_refused),
      cmocka_unit_test(not_three_parts_is_refused),
      cmocka_unit_test(bad_base64_is_refused),
      cmocka_unit_test(padding_is_accepted),
      cmocka_unit_test(oversize_token_is_refused),
      cmocka_unit_test(expiry_is_checked_after_the_signature),
      cmocka_unit_test(nbf_is_checked),
      cmocka_unit_test(subject_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
