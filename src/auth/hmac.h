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

/* The same as ps_hmac_sha256, for keys used again and again (a game's metrics key or token
 * secret on every metrics-session request). The calling thread keeps the keyed HMAC state of
 * its last PS_HMAC_KEYS_PER_THREAD keys of at most PS_HMAC_KEEP_MAX bytes (the key's inner and
 * outer pads hashed once, and OpenSSL's algorithm fetched once), so that a call costs the
 * hashing of msg only: about 0.4 us instead of 2.3 us for a 100-byte message. A key is found by
 * its bytes, compared in constant time; a longer key, or one that does not fit, is used as
 * ps_hmac_sha256 uses it. The kept state, and its copy of the key, are wiped when the thread
 * exits. Returns 0 or PS_EIO. Safe from any thread (each has its own state). */
#define PS_HMAC_KEYS_PER_THREAD 8
#define PS_HMAC_KEEP_MAX 64

/* Writes base64(HMAC-SHA256(key, msg)) NUL-terminated into out. Returns 0 or PS_EIO. */
int ps_hmac_sha256_base64(const char *key, const void *msg, size_t msglen,
                          char out[PS_HMAC_BASE64_LEN + 1]);

/* Returns 1 when signature (base64, surrounding blanks ignored) is the HMAC of msg under key,
 * else 0 (also for NULL, malformed or wrong-length signatures). */
int ps_hmac_sha256_base64_verify(const char *key, const void *msg, size_t msglen,
                                 const char *signature);

/*
 * A key made ready once and reused for many messages: the per-message work then allocates
 * nothing of ours (bench/loadgen's hot path, which must sign exactly as the server checks).
 * One thread at a time per ps_hmac. create returns 0, PS_ENOMEM or PS_EIO; free takes NULL.
 */
typedef struct ps_hmac ps_hmac;
int ps_hmac_create(const void *key, size_t keylen, ps_hmac **out);
void ps_hmac_free(ps_hmac *h);
/* A message in pieces: begin, any number of updates, end (the 32-byte MAC). Each returns 0 or
 * PS_EIO. */
int ps_hmac_begin(ps_hmac *h);
int ps_hmac_update(ps_hmac *h, const void *data, size_t len);
int ps_hmac_end(ps_hmac *h, unsigned char mac[PS_HMAC_SHA256_LEN]);
/* ps_hmac_sha256_base64 with a prepared key. */
int ps_hmac_base64(ps_hmac *h, const void *msg, size_t msglen, char out[PS_HMAC_BASE64_LEN + 1]);

/* The calling thread's kept ps_hmac for key (see ps_hmac_sha256_keyed), keyed on first use;
 * owned by the thread (never free it), valid until the thread's next ps_hmac_kept call with
 * another key. NULL for a key longer than PS_HMAC_KEEP_MAX or when it cannot be made. */
ps_hmac *ps_hmac_kept(const void *key, size_t keylen);
int ps_hmac_sha256_keyed(const void *key, size_t keylen, const void *msg, size_t msglen,
                         unsigned char mac[PS_HMAC_SHA256_LEN]);

/* Constant-time equality of two byte strings of the same length n: 1 equal, 0 not. */
int ps_secure_equal(const void *a, const void *b, size_t n);

#endif
