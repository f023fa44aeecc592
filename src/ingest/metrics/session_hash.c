/* session_hash.c: see session_hash.h. The message is hashed in its pieces, under the game's key
 * as the thread keeps it ready (auth/hmac.h: ps_hmac_kept), so a heartbeat's hash costs no
 * allocation and no key schedule. */
#include "ingest/metrics/session_hash.h"

#include <string.h>

#include "auth/hmac.h"
#include "common/encoding.h"
#include "common/errors.h"

#define MAX_MESSAGE (64 * 1024)

int ps_session_hash(const char *metrics_key, const char *ids_text, const char *ts_text,
                    const char *session_id, const char *nonce,
                    char out[PS_SESSION_HASH_HEX_LEN + 1]) {
  size_t len = (ids_text ? strlen(ids_text) : 0) + strlen(ts_text) + strlen(session_id) +
               strlen(nonce);
  if (len > MAX_MESSAGE) return PS_ETOOBIG;
  size_t keylen = strlen(metrics_key);
  ps_hmac *kept = ps_hmac_kept(metrics_key, keylen), *own = NULL;
  int rc = kept ? PS_OK : ps_hmac_create(metrics_key, keylen, &own);
  if (rc == PS_OK)
    rc = ps_session_hash_keyed(kept ? kept : own, ids_text, ts_text, session_id, nonce, out);
  ps_hmac_free(own);
  return rc;
}

int ps_session_hash_keyed(ps_hmac *metrics_key, const char *ids_text, const char *ts_text,
                          const char *session_id, const char *nonce,
                          char out[PS_SESSION_HASH_HEX_LEN + 1]) {
  unsigned char mac[PS_HMAC_SHA256_LEN];
  int rc = ps_hmac_begin(metrics_key);
  if (rc == PS_OK && ids_text) rc = ps_hmac_update(metrics_key, ids_text, strlen(ids_text));
  if (rc == PS_OK) rc = ps_hmac_update(metrics_key, ts_text, strlen(ts_text));
  if (rc == PS_OK) rc = ps_hmac_update(metrics_key, session_id, strlen(session_id));
  if (rc == PS_OK) rc = ps_hmac_update(metrics_key, nonce, strlen(nonce));
  if (rc == PS_OK) rc = ps_hmac_end(metrics_key, mac);
  if (rc == PS_OK) ps_hex_encode(mac, PS_HMAC_SHA256_LEN, out);
  return rc;
}

int ps_session_hash_verify(const char *metrics_key, const char *ids_text, const char *ts_text,
                           const char *session_id, const char *nonce, const char *given) {
  char expected[PS_SESSION_HASH_HEX_LEN + 1], folded[PS_SESSION_HASH_HEX_LEN + 1];
  if (!given || strlen(given) != PS_SESSION_HASH_HEX_LEN) return 0;
  for (size_t i = 0; i < PS_SESSION_HASH_HEX_LEN; i++) {
    char c = given[i];
    folded[i] = c >= 'A' && c <= 'F' ? (char)(c - 'A' + 'a') : c;
  }
  if (ps_session_hash(metrics_key, ids_text, ts_text, session_id, nonce, expected) != PS_OK)
    return 0;
  return ps_secure_equal(expected, folded, PS_SESSION_HASH_HEX_LEN);
}
