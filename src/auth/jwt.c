/*
 * jwt.c: HS256 JSON Web Tokens; see jwt.h for what signing writes and verification guarantees.
 *
 * base64url is written with OpenSSL's EVP_EncodeBlock, the alphabet translated ('+' -> '-',
 * '/' -> '_') and the padding stripped, and read with the strict decoder of common/encoding.h,
 * which checks the alphabet, the padding and the unused low bits, so a token has exactly one
 * accepted spelling for each part (apart from optional padding). JSON is jansson's, duplicate
 * keys refused.
 *
 * The cached verification keeps, in a direct-mapped table of PS_JWT_CACHE_ENTRIES slots under
 * one mutex, the claims decoded from each authentic token (indexed by a hash of its bytes,
 * matched on all of them): a player sends the same token with every heartbeat, and its two
 * base64 decodes and JSON parses were most of a request's verification cost. What the cache
 * holds are player ids and times, never a secret; a slot is overwritten by the next token that
 * maps to it, so the table's size is its bound.
 */
#include "auth/jwt.h"

#include <jansson.h>
#include <math.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/hmac.h"
#include "common/encoding.h"
#include "common/errors.h"

#define HEADER_JSON "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
/* The longest payload sign() writes: {"sub":"<128 bytes, each escaped to at most 6>",
 * "iat":<20 chars>,"exp":<20 chars>} is 832 bytes; leave room. */
#define PAYLOAD_MAX 1024
#define B64_PADDED_LEN(n) (4 * (((n) + 2) / 3))
#define SIG_B64_LEN 43 /* base64url of 32 bytes, unpadded */
/* Decoding any part of an accepted token (at most PS_JWT_MAX_LEN chars) writes at most this
 * many bytes. */
#define DECODED_MAX PS_BASE64_DECODED_MAX(PS_JWT_MAX_LEN)

/* Writes base64url(in[0..n)) without padding and a NUL into out, which must hold
 * B64_PADDED_LEN(n) + 1 bytes (n <= INT_MAX / 2). Returns the length written (without NUL). */
static size_t b64url_encode(const unsigned char *in, size_t n, char *out) {
  int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
  while (len > 0 && out[len - 1] == '=') len--;
  out[len] = '\0';
  for (int i = 0; i < len; i++) {
    if (out[i] == '+') out[i] = '-';
    else if (out[i] == '/') out[i] = '_';
  }
  return (size_t)len;
}

/* Decodes one base64url part of a token (common/encoding.h: strict, padding optional) into
 * out, which holds DECODED_MAX bytes. Returns 0 and sets *outlen, or -1 if malformed. */
static int b64url_decode(const char *in, size_t n, unsigned char *out, size_t *outlen) {
  return ps_base64_decode(in, n, PS_BASE64_URL, out, DECODED_MAX, outlen) == PS_OK ? 0 : -1;
}

/* Parses a JSON object, duplicate keys refused. NULL if it is not one. */
static json_t *load_object(const unsigned char *text, size_t len) {
  json_t *v = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
  if (v && !json_is_object(v)) {
    json_decref(v);
    v = NULL;
  }
  return v;
}

/* A NumericDate (integer or real seconds; fractions round up). Returns 0, or -1 if v is not a
 * number or out of range. */
static int numeric_date(const json_t *v, int64_t *out) {
  if (json_is_integer(v)) {
    *out = (int64_t)json_integer_value(v);
    return 0;
  }
  if (json_is_real(v)) {
    double d = json_real_value(v);
    if (!(d > -9.0e18 && d < 9.0e18)) return -1;
    *out = (int64_t)ceil(d);
    return 0;
  }
  return -1;
}

/* The header says HS256 and asks for no extension we lack. */
static int header_ok(const json_t *header) {
  const json_t *alg = json_object_get(header, "alg");
  if (json_object_get(header, "crit")) return 0;
  return json_is_string(alg) && json_string_length(alg) == 5 &&
         memcmp(json_string_value(alg), "HS256", 5) == 0;
}

/* Reads sub, exp, iat and nbf of payload into claims and *nbf (INT64_MIN when absent).
 * Returns 0 or -1 when one is missing or malformed. */
static int read_claims(const json_t *payload, ps_jwt_claims *claims, int64_t *nbf) {
  const json_t *sub = json_object_get(payload, "sub");
  const json_t *v;
  if (json_is_string(sub)) {
    size_t len = json_string_length(sub);
    if (len == 0 || len > PS_JWT_MAX_SUBJECT) return -1;
    memcpy(claims->subject, json_string_value(sub), len);
    claims->subject[len] = '\0';
  } else if (json_is_integer(sub)) {
    snprintf(claims->subject, sizeof claims->subject, "%lld",
             (long long)json_integer_value(sub));
  } else {
    return -1;
  }
  if (numeric_date(json_object_get(payload, "exp"), &claims->expires_at) != 0) return -1;
  claims->issued_at = 0;
  if ((v = json_object_get(payload, "iat")) && numeric_date(v, &claims->issued_at) != 0)
    return -1;
  *nbf = INT64_MIN;
  if ((v = json_object_get(payload, "nbf")) && numeric_date(v, nbf) != 0) return -1;
  return 0;
}

int ps_jwt_sign_hs256(const char *secret, const char *subject, int64_t issued_at,
                      int64_t expires_at, char *out, size_t outlen) {
  int rc = PS_EINVAL;
  json_t *sub = NULL, *payload = NULL;
  char *text = NULL;
  char header64[B64_PADDED_LEN(sizeof HEADER_JSON) + 1];
  char body64[B64_PADDED_LEN(PAYLOAD_MAX) + 1];
  char sig64[B64_PADDED_LEN(PS_HMAC_SHA256_LEN) + 1];
  unsigned char mac[PS_HMAC_SHA256_LEN];
  size_t sublen = 0, textlen = 0, hlen = 0, blen = 0, signed_len = 0;
  int bad = 0;
  memset(mac, 0, sizeof mac);
  if (out && outlen) out[0] = '\0';
  if (!secret || !*secret || !subject || !out) goto out;
  sublen = strnlen(subject, PS_JWT_MAX_SUBJECT + 1);
  if (sublen == 0 || sublen > PS_JWT_MAX_SUBJECT) goto out;
  if (!(sub = json_string(subject))) goto out; /* not UTF-8 */
  rc = PS_ENOMEM;
  if (!(payload = json_object())) goto out;
  bad = json_object_set_new(payload, "sub", sub);
  sub = NULL; /* set_new took it, even on failure */
  bad |= json_object_set_new(payload, "iat", json_integer((json_int_t)issued_at));
  bad |= json_object_set_new(payload, "exp", json_integer((json_int_t)expires_at));
  if (bad || !(text = json_dumps(payload, JSON_COMPACT | JSON_PRESERVE_ORDER))) goto out;
  textlen = strlen(text);
  if (textlen > PAYLOAD_MAX) { /* cannot happen with the limits above */
    rc = PS_EINVAL;
    goto out;
  }
  hlen = b64url_encode((const unsigned char *)HEADER_JSON, strlen(HEADER_JSON), header64);
  blen = b64url_encode((const unsigned char *)text, textlen, body64);
  signed_len = hlen + 1 + blen;
  if (signed_len + 1 + SIG_B64_LEN + 1 > outlen) {
    rc = PS_ETOOBIG;
    goto out;
  }
  memcpy(out, header64, hlen);
  out[hlen] = '.';
  memcpy(out + hlen + 1, body64, blen);
  if ((rc = ps_hmac_sha256(secret, strlen(secret), out, signed_len, mac)) != PS_OK) goto out;
  out[signed_len] = '.';
  b64url_encode(mac, sizeof mac, sig64);
  memcpy(out + signed_len + 1, sig64, SIG_B64_LEN + 1);
  rc = PS_OK;
out:
  if (rc != PS_OK && out && outlen) out[0] = '\0';
  OPENSSL_cleanse(mac, sizeof mac);
  json_decref(sub);
  json_decref(payload);
  free(text);
  return rc;
}

/* ---- the claims of verified tokens, kept by ps_jwt_verify_hs256_cached ---- */

typedef struct cached_token {
  size_t len; /* 0: empty */
  char token[PS_JWT_CACHE_TOKEN_MAX];
  ps_jwt_claims claims;
  int64_t nbf;
} cached_token;

static cached_token token_cache[PS_JWT_CACHE_ENTRIES];
static pthread_mutex_t token_cache_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t token_slot(const char *token, size_t len) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)token[i]) * 1099511628211ULL;
  return (size_t)(h ^ (h >> 32)) & (PS_JWT_CACHE_ENTRIES - 1);
}

/* The claims (and nbf) decoded earlier from exactly these token bytes; 0 if found. */
static int cache_find(const char *token, size_t len, ps_jwt_claims *claims, int64_t *nbf) {
  if (len > PS_JWT_CACHE_TOKEN_MAX) return -1;
  cached_token *c = &token_cache[token_slot(token, len)];
  int found = -1;
  pthread_mutex_lock(&token_cache_lock);
  if (c->len == len && memcmp(c->token, token, len) == 0) {
    *claims = c->claims;
    *nbf = c->nbf;
    found = 0;
  }
  pthread_mutex_unlock(&token_cache_lock);
  return found;
}

static void cache_keep(const char *token, size_t len, const ps_jwt_claims *claims, int64_t nbf) {
  if (len > PS_JWT_CACHE_TOKEN_MAX) return;
  cached_token *c = &token_cache[token_slot(token, len)];
  pthread_mutex_lock(&token_cache_lock);
  memcpy(c->token, token, len);
  c->len = len;
  c->claims = *claims;
  c->nbf = nbf;
  pthread_mutex_unlock(&token_cache_lock);
}

/* Both verifications: keep selects the kept HMAC key state and the claims cache. */
static int verify(const char *secret, const char *token, int64_t now, ps_jwt_claims *claims,
                  int keep) {
  if (!claims) return PS_EINVAL;
  memset(claims, 0, sizeof *claims);
  int rc = PS_EAUTH;
  json_t *header = NULL, *payload = NULL;
  unsigned char raw[DECODED_MAX];
  unsigned char mac[PS_HMAC_SHA256_LEN], given[PS_HMAC_SHA256_LEN];
  size_t rawlen = 0, len = 0;
  const char *dot1 = NULL, *dot2 = NULL;
  ps_jwt_claims got;
  int64_t nbf = INT64_MIN;
  memset(&got, 0, sizeof got);
  memset(mac, 0, sizeof mac);
  if (!secret || !*secret || !token) goto out;
  len = strnlen(token, PS_JWT_MAX_LEN + 1);
  if (len == 0 || len > PS_JWT_MAX_LEN) goto out;
  if (!(dot1 = memchr(token, '.', len))) goto out;
  if (!(dot2 = memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)))) goto out;
  if (memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token))) goto out;

  /* The signature first, on every call: nothing of an unauthenticated token is parsed or
   * looked up. */
  if (b64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - token), raw, &rawlen) != 0 ||
      rawlen != PS_HMAC_SHA256_LEN)
    goto out;
  memcpy(given, raw, sizeof given);
  if ((keep ? ps_hmac_sha256_keyed : ps_hmac_sha256)(secret, strlen(secret), token,
                                                      (size_t)(dot2 - token), mac) != PS_OK) {
    rc = PS_EIO;
    goto out;
  }
  if (!ps_secure_equal(mac, given, sizeof mac)) goto out;

  /* Authentic bytes: their claims are a function of the bytes, so they may come from the
   * cache; the times are checked against now below either way. */
  if (!keep || cache_find(token, len, &got, &nbf) != 0) {
    if (b64url_decode(token, (size_t)(dot1 - token), raw, &rawlen) != 0 ||
        !(header = load_object(raw, rawlen)) || !header_ok(header))
      goto out;
    if (b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), raw, &rawlen) != 0 ||
        !(payload = load_object(raw, rawlen)) || read_claims(payload, &got, &nbf) != 0)
      goto out;
    if (keep) cache_keep(token, len, &got, nbf);
  }
  if (got.expires_at <= now) {
    rc = PS_EEXPIRED;
    goto out;
  }
  if (nbf > now) goto out;
  *claims = got;
  rc = PS_OK;
out:
  OPENSSL_cleanse(mac, sizeof mac);
  json_decref(header);
  json_decref(payload);
  return rc;
}

int ps_jwt_verify_hs256(const char *secret, const char *token, int64_t now,
                        ps_jwt_claims *claims) {
  return verify(secret, token, now, claims, 0);
}

int ps_jwt_verify_hs256_cached(const char *secret, const char *token, int64_t now,
                               ps_jwt_claims *claims) {
  return verify(secret, token, now, claims, 1);
}
