/*
 * http_client.h: the HTTP client of `playstat simulate` (libcurl), with the retry policy a
 * well-behaved game client follows and the counters the progress line and summary print.
 *
 * Retry policy: an answer 503 or 429, or no answer at all (connection refused or reset, time
 * out), is retried with the same bytes (analytics events carry event_uuid and session events
 * are idempotent, so a resend is stored once). The wait is the answer's Retry-After when it
 * has one (capped at PS_SIM_RETRY_AFTER_MAX s), else an exponential backoff from 0.25 s
 * doubling to 8 s, with jitter; at most PS_SIM_ATTEMPTS attempts. Any other answer is final.
 *
 * A client is one libcurl easy handle (one keep-alive connection) and is used by one thread;
 * its stats may be read by others.
 */
#ifndef PS_SIM_HTTP_CLIENT_H
#define PS_SIM_HTTP_CLIENT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "common/buf.h"

#define PS_SIM_ATTEMPTS 8
#define PS_SIM_RETRY_AFTER_MAX 60
#define PS_SIM_REASONS 8     /* distinct refusal reasons kept per channel */
#define PS_SIM_REASON_LEN 300

typedef struct ps_sim_reason {
  long status; /* the HTTP status, 0 for "no answer" */
  unsigned long count;
  char text[PS_SIM_REASON_LEN];
} ps_sim_reason;

/* Counters of one channel. Calls are what the simulation asked for, requests what went on the
 * wire (a call retried twice is three requests). */
typedef struct ps_sim_stats {
  atomic_ulong requests; /* HTTP requests sent, retries included */
  atomic_ulong ok;       /* calls answered 2xx in the end */
  atomic_ulong retried;  /* requests answered 503/429 or unanswered, then sent again */
  atomic_ulong refused;  /* calls answered with another status (400, 401, 404, 409, ...) */
  atomic_ulong failed;   /* calls still unanswered or 503/429 after every attempt */
  atomic_int fatal;      /* the channel stopped: credentials refused or server gone */
  pthread_mutex_t lock;  /* guards reasons */
  ps_sim_reason reasons[PS_SIM_REASONS];
  size_t nreasons;
  unsigned long other_reasons; /* refusals whose reason did not fit in reasons[] */
} ps_sim_stats;

void ps_sim_stats_init(ps_sim_stats *s);
void ps_sim_stats_destroy(ps_sim_stats *s);
/* Counts one refusal or failure under its reason (same status and text: one entry). */
void ps_sim_stats_note(ps_sim_stats *s, long status, const char *text);
/* Counts a call that failed before or without an answer (out of memory, say) with its reason. */
void ps_sim_stats_fail(ps_sim_stats *s, const char *text);
/* {"requests", "ok", "retried", "refused", "failed", "reasons": [{"status", "count",
 * "reason"}]}: a new reference, NULL when out of memory. Call after the channel's run. */
json_t *ps_sim_stats_json(ps_sim_stats *s);

/* One request. */
typedef struct ps_sim_request {
  const char *method;         /* "GET" (no body) or NULL for POST */
  int attempts;               /* at most this many (0: PS_SIM_ATTEMPTS) */
  const char *path;           /* appended to the client's base URL */
  const char *const *headers; /* "Name: value" lines, NULL-terminated; NULL for none */
  const char *userpwd;        /* "user:password" for HTTP Basic, or NULL */
  const void *body;
  size_t len;
} ps_sim_request;

/* The final answer of a call. */
typedef struct ps_sim_response {
  long status;                  /* 0 when no answer came */
  ps_buf body;                  /* the answer's body (owned; ps_sim_response_free) */
  char reason[PS_SIM_REASON_LEN]; /* when not 2xx: the server's message or the transport error */
} ps_sim_response;

typedef struct ps_sim_http ps_sim_http;

/* A client for base_url ("http://127.0.0.1:8080") counting into stats. Returns 0 or
 * PS_ENOMEM. curl_global_init must have run (simulate.c does it once). */
int ps_sim_http_create(const char *base_url, ps_sim_stats *stats, ps_sim_http **out);
void ps_sim_http_destroy(ps_sim_http *c);

/* Sends req (a POST unless req->method says GET) with the retry policy above; resp is filled (its previous body reset). Returns 1
 * when the final answer is 2xx, else 0 after counting it in stats (refused or failed) and
 * writing its reason into resp->reason. 401 and 403 set stats->fatal: the credentials are
 * wrong and every later request would be refused too. */
int ps_sim_http_send(ps_sim_http *c, const ps_sim_request *req, ps_sim_response *resp);
void ps_sim_response_free(ps_sim_response *resp);

/* The reason a server gives in an error body, in one line: mod.io's error.message (with the
 * field errors), problem+json's detail, playstat's message, the first rejected analytics
 * event's errors; else the start of the body. Writes into out[PS_SIM_REASON_LEN]. */
void ps_sim_reason_of(long status, const char *body, size_t len, char *out);

#endif
