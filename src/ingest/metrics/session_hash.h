/*
 * session_hash.h: the integrity hash of mod.io-compatible metrics-session requests.
 *
 *   start:            HMAC-SHA256(metrics key, ids joined by "," + session_ts + session_id + nonce)
 *   heartbeat, end:   HMAC-SHA256(metrics key, session_ts + session_id + nonce)
 *
 * as lowercase hex. session_ts is hashed exactly as the client sent it (its decimal text,
 * seconds or milliseconds), and so are the mod ids. Verification compares in constant time.
 */
#ifndef PS_INGEST_METRICS_SESSION_HASH_H
#define PS_INGEST_METRICS_SESSION_HASH_H

#include <stddef.h>

#include "auth/hmac.h"

#define PS_SESSION_HASH_HEX_LEN 64

/* ids_text is "1,2,3" for start requests and NULL for heartbeat and end. Writes 64 lowercase
 * hex digits and a NUL into out. Returns 0, PS_ETOOBIG (inputs over 64 KiB) or PS_EIO. */
int ps_session_hash(const char *metrics_key, const char *ids_text, const char *ts_text,
                    const char *session_id, const char *nonce,
                    char out[PS_SESSION_HASH_HEX_LEN + 1]);

/* The same with the metrics key prepared once (ps_hmac_create): allocates nothing of ours, for
 * a client that hashes every request (bench/loadgen). Returns 0 or PS_EIO. */
int ps_session_hash_keyed(ps_hmac *metrics_key, const char *ids_text, const char *ts_text,
                          const char *session_id, const char *nonce,
                          char out[PS_SESSION_HASH_HEX_LEN + 1]);

/* 1 when given (hex, any case) is the hash of the same inputs, else 0. */
int ps_session_hash_verify(const char *metrics_key, const char *ids_text, const char *ts_text,
                           const char *session_id, const char *nonce, const char *given);

#endif
