/*
 * hmac.h: HMAC-SHA256 signatures as the analytics API uses them: the Authorization header
 * carries base64(HMAC-SHA256(key = the game's secret key, message = the raw body bytes)).
 *
 * Verification compares in constant time (CRYPTO_memcmp) and its duration does not depend on
 * how much of a forged signature is right.
 */
#ifndef PS_AUTH_HMAC_H
#define PS_AUTH_HMAC_H

#include <stddef.h>

#define PS_HMAC_SHA256_LEN 32
#define PS_HMAC_BASE64_LEN 44 /* base64 of 32 bytes, padded, without NUL */

/* Writes the raw 32-byte HMAC-SHA256 of msg under key into mac. Returns 0 or PS_EIO. */
int ps_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t msglen,
                   unsigned char mac[PS_HMAC_SHA256_LEN]);

/* Writes base64(HMAC-SHA256(key, msg)) NUL-terminated into out. Returns 0 or PS_EIO. */
int ps_hmac_sha256_base64(const char *key, const void *msg, size_t msglen,
                          char out[PS_HMAC_BASE64_LEN + 1]);

/* Returns 1 when signature (base64, surrounding blanks ignored) is the HMAC of msg under key,
 * else 0 (also for NULL, malformed or wrong-length signatures). */
int ps_hmac_sha256_base64_verify(const char *key, const void *msg, size_t msglen,
                                 const char *signature);

/* Constant-time equality of two byte strings of the same length n: 1 equal, 0 not. */
int ps_secure_equal(const void *a, const void *b, size_t n);

#endif
