/*
 * transport.h: one HTTP POST at a time over a reused libcurl easy handle (one keep-alive
 * connection), used only by the library's thread.
 *
 * Bounded: every request ends by its deadline (CURLOPT_TIMEOUT_MS), and also as soon as the
 * clock passes *abort_at_ms (when that is non-zero), which another thread may set at any time:
 * libcurl's progress callback checks it several times a second, so playstat_shutdown can cut a
 * request to a server that accepted the connection and never answers.
 */
#ifndef PS_SDK_TRANSPORT_H
#define PS_SDK_TRANSPORT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/clock.h" /* ps_now_ms: deadlines are wall-clock ms */

typedef struct ps_sdk_transport ps_sdk_transport;

typedef struct ps_sdk_answer_info {
  long status;           /* 0: no answer (refused, reset, timed out, aborted) */
  ps_buf body;           /* the answer's body; owned, reset by each post */
  uint64_t retry_after_s; /* Retry-After in seconds, 0 when absent */
  char error[256];       /* when status is 0: libcurl's reason */
} ps_sdk_answer_info;

/* NULL when out of memory. abort_at_ms must outlive the transport. */
ps_sdk_transport *ps_sdk_transport_create(const _Atomic int64_t *abort_at_ms);
void ps_sdk_transport_free(ps_sdk_transport *t);

/* POSTs body to url with the "Name: value" headers (NULL-terminated), ending by deadline_ms
 * (wall-clock ms). Fills answer. Returns 0, or PS_ENOMEM (nothing was sent). */
int ps_sdk_transport_post(ps_sdk_transport *t, const char *url, const char *const *headers,
                          const void *body, size_t len, int64_t deadline_ms,
                          ps_sdk_answer_info *answer);

#endif
