/*
 * delivery_policy.h: the sender's decisions, as pure functions so that unit tests pin them:
 * how many queued events go in one request, what an answer means for the events in it, and
 * how long to wait before trying again.
 *
 * Rules (PROTOCOLS.md §1, and the known faults of the official clients it lists):
 *  - a request carries at most PS_SDK_BATCH_MAX_EVENTS events and its JSON array (before
 *    gzip) at most PS_SDK_BATCH_MAX_BYTES bytes, the oldest events first;
 *  - 200 deletes the events; 400 with a body means the server stored the valid events and
 *    refused the others for good (its body lists why): delete all, log the reasons; 413 means
 *    the batch was too large: send fewer at a time; a body-less answer, any other status and
 *    no answer at all keep the events and retry later;
 *  - retries back off exponentially from an initial delay to a cap, each wait drawn at random
 *    in [delay/2, delay] (jitter, so that many clients do not retry in step), and never sooner
 *    than the server's Retry-After.
 */
#ifndef PS_SDK_DELIVERY_POLICY_H
#define PS_SDK_DELIVERY_POLICY_H

#include <stddef.h>
#include <stdint.h>

#define PS_SDK_BATCH_MAX_EVENTS 500
#define PS_SDK_BATCH_MAX_BYTES (1024 * 1024)

/* How many of the n events (their JSON lengths in lens, oldest first) fit in one request of
 * at most max_events events whose JSON array "[e1,e2,...]" is at most max_bytes long. 0 when
 * n is 0 or the first event alone is too large (the caller must drop it). */
size_t ps_sdk_batch_fit(const size_t *lens, size_t n, size_t max_events, size_t max_bytes);

typedef enum {
  PS_SDK_ANSWER_DELIVERED, /* delete the events */
  PS_SDK_ANSWER_REJECTED,  /* delete the events, log the server's reasons */
  PS_SDK_ANSWER_TOO_LARGE, /* keep them, send fewer per request */
  PS_SDK_ANSWER_RETRY,     /* keep them, back off */
} ps_sdk_answer;

/* status: the HTTP status, 0 when no answer came; body_len: the answer body's length. */
ps_sdk_answer ps_sdk_classify_answer(long status, size_t body_len);

/* The wait in ms before retry number attempt (1 = the first retry): min(cap, initial *
 * 2^(attempt-1)) scaled into [1/2, 1] by random (uniform in [0, 1)), and at least
 * retry_after_s seconds (0 when the server gave none). */
uint64_t ps_sdk_backoff_ms(unsigned attempt, uint64_t initial_ms, uint64_t cap_ms,
                           double random, uint64_t retry_after_s);

/* Retry-After is read by common/retry_after.h, capped at an hour so that a broken server
 * cannot silence a client for good. */
#define PS_SDK_RETRY_AFTER_MAX_S 3600

#endif
