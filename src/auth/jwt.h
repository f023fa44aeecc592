/*
 * jwt.h: player bearer tokens, HS256 JSON Web Tokens (RFC 7519) signed with a game's
 * token_secret. The metrics-session endpoints verify them; `playstat token` issues them.
 *
 * The HMAC key is the secret's text as stored (the 64 ASCII hex characters of
 * ps_game.token_secret), not the 32 bytes they spell: this is what jwt.io, node's
 * crypto.createHmac(secret) and the usual JWT libraries do with a string secret, so a studio's
 * login server can issue tokens with any of them.
 *
 * What verification guarantees when it returns 0:
 * - the token is at most PS_JWT_MAX_LEN bytes of exactly three base64url parts (padding
 *   optional, canonical encoding only, no other character);
 * - its third part is HMAC-SHA256(secret, the first two parts as sent), compared in constant
 *   time, and this is checked before anything inside the token is parsed, so the header and
 *   payload JSON of a forged token are never looked at and an expired forged token is reported
 *   as invalid, not as expired;
 * - the header is a JSON object whose "alg" is exactly "HS256" ("none", "HS512", "RS256", a
 *   missing alg and a "crit" header, which names extensions we do not implement, are refused);
 * - the payload is a JSON object (duplicate keys refused in both objects) with a "sub" that is
 *   a non-empty string of at most PS_JWT_MAX_SUBJECT bytes or an integer (taken as its decimal
 *   text), a numeric "exp" later than now, and, when present, a numeric "iat" and a numeric
 *   "nbf" not later than now.
 * Fractional times round up to whole seconds, so "exp <= now" means the same for both.
 * Nothing here logs: tokens and secrets never reach a log line.
 */
#ifndef PS_AUTH_JWT_H
#define PS_AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

#define PS_JWT_MAX_LEN 4096   /* longest token verify accepts (bytes, without NUL) */
#define PS_JWT_MAX_SUBJECT 128 /* longest "sub" (bytes) */

/* What a verified token says. */
typedef struct ps_jwt_claims {
  char subject[PS_JWT_MAX_SUBJECT + 1]; /* "sub", NUL-terminated; the player id */
  int64_t expires_at;                   /* "exp", unix seconds */
  int64_t issued_at;                    /* "iat", unix seconds; 0 when the token has none */
} ps_jwt_claims;

/*
 * Writes the HS256 token {"alg":"HS256","typ":"JWT"}.{"sub","iat","exp"}.signature (base64url
 * without padding), NUL-terminated, into out[0..outlen). secret is the key (its strlen bytes).
 * A buffer of PS_JWT_MAX_LEN + 1 bytes always suffices (the longest token is about 1200).
 * Returns 0; PS_EINVAL when secret is NULL or empty, subject is NULL, empty, longer than
 * PS_JWT_MAX_SUBJECT bytes or not UTF-8, or out is NULL; PS_ETOOBIG when outlen is too small;
 * PS_ENOMEM; PS_EIO if the HMAC fails. On failure out holds "" (when outlen > 0).
 */
int ps_jwt_sign_hs256(const char *secret, const char *subject, int64_t issued_at,
                      int64_t expires_at, char *out, size_t outlen);

/*
 * Verifies token (NUL-terminated, no surrounding blanks) under secret at time now (unix
 * seconds), as the file comment states. Returns 0 and fills *claims; PS_EEXPIRED when the token
 * is authentic and well-formed but exp <= now; PS_EAUTH for anything else (malformed, wrong
 * algorithm, bad signature, missing or bad claims, nbf > now, NULL or empty secret or token);
 * PS_EIO if the HMAC itself fails; PS_EINVAL when claims is NULL. On any failure *claims is zeroed. Nothing is kept after the
 * call.
 */
int ps_jwt_verify_hs256(const char *secret, const char *token, int64_t now,
                        ps_jwt_claims *claims);

/*
 * The same verification and results as ps_jwt_verify_hs256, faster for tokens seen again (a
 * player sends one token with every request): every call still checks the token's form and
 * its signature, with HMAC-SHA256 under secret in constant time, before anything else, and
 * exp and nbf against now; what it keeps is (1) the HMAC state of the secret, per thread
 * (auth/hmac.h: ps_hmac_sha256_keyed), and (2) the claims decoded from each authentic token of
 * at most PS_JWT_CACHE_TOKEN_MAX bytes, in a table of PS_JWT_CACHE_ENTRIES slots keyed by the
 * token's bytes, so the JSON of a token already verified is not parsed again. The claims are a
 * function of the bytes the signature covers, so a token whose signature verifies now has the
 * claims that were decoded from those bytes, whatever secret verified them then. Safe from any
 * thread. Memory: the table, at most PS_JWT_CACHE_ENTRIES * about 700 bytes.
 */
#define PS_JWT_CACHE_ENTRIES 4096 /* a power of two */
#define PS_JWT_CACHE_TOKEN_MAX 512
int ps_jwt_verify_hs256_cached(const char *secret, const char *token, int64_t now,
                               ps_jwt_claims *claims);

#endif
