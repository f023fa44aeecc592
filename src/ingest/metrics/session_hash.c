/* session_hash.c: see session_hash.h. The message is concatenated on the stack when it fits and
 * hashed under the game's key with the thread's kept HMAC state (auth/hmac.h), so a heartbeat's
 * hash costs no allocation and no key schedule. */
#include "ingest/metrics/session_hash.h"

#include <string.h>

#include "auth/hmac.h"
#include "common/buf.h"
#include "common/encoding.h"
#include "common/errors.h"

#define MAX_MESSAGE (64 * 1024)

/* Messages up to this size are built on the stack (a heartbeat's is about 100 bytes; a start's
 * grows with its ids); longer ones in a ps_buf. */
#define STACK_MESSAGE 1024

int ps_session_hash(const char *metrics_key, const char *ids_text, const char *ts_text,
                    const char *session_id, const char *nonce,
                    char out[PS_SESSION_HASH_HEX_LEN + 1]) {
  const char *parts[] = {ids_text ? ids_text : "", ts_text, session_id, nonce};
  size_t lens[4], len = 0;
  for (size_t i = 0; i < 4; i++) len += lens[i] = strlen(parts[i]);
  if (len > MAX_MESSAGE) return PS_ETOOBIG;
  char stack[STACK_MESSAGE];
  ps_buf heap = {0};
  char *message = stack;
  int rc = PS_ENOMEM;
  if (len > sizeof stack) {
    if (ps_buf_reserve(&heap, len) != PS_OK) goto out;
    message = heap.data;
  }
  for (size_t i = 0, at = 0; i < 4; at += lens[i], i++) memcpy(message + at, parts[i], lens[i]);
  unsigned char mac[PS_HMAC_SHA256_LEN];
  /* The game's key is used on every request: its HMAC state is kept per thread (hmac.h). */
  rc = ps_hmac_sha256_keyed(metrics_key, strlen(metrics_key), message, len, mac);
  if (rc == PS_OK) ps_hex_encode(mac, PS_HMAC_SHA256_LEN, out);
out:
  ps_buf_free(&heap);
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
