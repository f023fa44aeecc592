/*
 * metrics_session.h: playtime metrics sessions (mod.io compatible, PROTOCOLS.md §2) of one
 * handle: start with the mod ids in play, a heartbeat every metrics_heartbeat_ms, end.
 *
 * The game's calls only queue requests (in memory: metrics requests are not retried, as in
 * the official clients); the library's thread sends them in order, building each request's
 * session_ts (unix seconds), a fresh nonce and the session hash
 *   start:           HMAC-SHA256(metrics key, ids joined by "," + ts + session_id + nonce)
 *   heartbeat, end:  HMAC-SHA256(metrics key, ts + session_id + nonce)
 * with session_order_id 1 for the start and one more for each following request.
 * Everything here is guarded by the handle's lock except ps_sdk_metrics_send.
 */
#ifndef PS_SDK_METRICS_SESSION_H
#define PS_SDK_METRICS_SESSION_H

#include <stddef.h>
#include <stdint.h>

typedef enum { PS_SDK_MS_START, PS_SDK_MS_HEARTBEAT, PS_SDK_MS_END } ps_sdk_ms_kind;

/* One request waiting to be sent. */
typedef struct ps_sdk_ms_op {
  ps_sdk_ms_kind kind;
  char session_id[37];
  char *ids_text; /* start: "1,2,3" (malloc'd, may be ""); else NULL */
  int64_t order_id;
  struct ps_sdk_ms_op *next;
} ps_sdk_ms_op;

typedef struct ps_sdk_metrics {
  int open;
  char session_id[37];
  char *ids_text;
  int64_t next_order_id;
  int64_t next_heartbeat_ms;
  char *token; /* the player's bearer token (malloc'd) */
  ps_sdk_ms_op *head, *tail;
} ps_sdk_metrics;

struct playstat;
struct ps_sdk_transport;
struct ps_sdk_answer_info;

/* Frees everything queued or held. */
void ps_sdk_metrics_free(ps_sdk_metrics *m);

/* "1,2,3" for the ids (malloc'd), NULL when out of memory. */
char *ps_sdk_metrics_ids_text(const int64_t *ids, size_t count);

/* Under the lock: queues a heartbeat when one is due at now_ms; returns the time of the next
 * one (INT64_MAX when no session is open). */
int64_t ps_sdk_metrics_schedule(ps_sdk_metrics *m, int64_t now_ms, int64_t interval_ms);

/* Library's thread, without the lock: sends every queued request over t, each ending by
 * deadline_ms; answer is scratch space. Failures are logged and counted, not retried. */
void ps_sdk_metrics_send(struct playstat *ps, struct ps_sdk_transport *t,
                         struct ps_sdk_answer_info *answer, int64_t deadline_ms);

#endif
