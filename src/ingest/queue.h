/*
 * queue.h: the ingest queue and its writer thread (group commit).
 *
 * Request handlers hand records to the queue as jobs; one writer thread takes every job that
 * is waiting (up to max_batch_records) and stores them with the protocol state they carry
 * (ps_stores_commit_pending), then hands them to a syncer thread, which flushes
 * (ps_stores_sync) and completes each job while the writer stores the next group. A job's
 * done() callback is therefore called only after its records are durable (result 0) or not
 * acknowledged (result < 0: not stored, or stored but not known to be flushed; either way a
 * resend is stored once): this is what lets a handler answer 2xx only for durably stored
 * data. done() runs on the writer thread (failed commits) or the syncer thread.
 *
 * Admission is two-step so that a handler can prepare before its job can complete:
 * ps_ingest_reserve() claims room for n records or fails (PS_EFULL: answer 503 with
 * Retry-After; PS_ESHUTDOWN), then ps_ingest_submit() enqueues and never fails. A request
 * larger than the whole capacity is admitted when the queue is empty, so it cannot be refused
 * forever.
 *
 * ps_ingest_queue_stop() refuses new reservations (PS_ESHUTDOWN from then on), lets the writer
 * commit everything already reserved or queued, completes those jobs, and joins the thread.
 * The queue stays usable for reserve/depth calls until ps_ingest_queue_free().
 */
#ifndef PS_INGEST_QUEUE_H
#define PS_INGEST_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "common/metrics.h"
#include "store/store.h"

typedef struct ps_ingest_job ps_ingest_job;
typedef struct ps_ingest_queue ps_ingest_queue;

struct ps_ingest_job {
  ps_record *records; /* borrowed; must stay valid until done() */
  size_t count;
  /* Called once, from the writer or the syncer thread, with result 0 (durably stored) or a
   * negative code. After done() returns, the queue no longer touches the job. */
  void (*done)(ps_ingest_job *job, int result);
  void *ctx;
  ps_ingest_job *next; /* queue-internal */
};

typedef struct ps_ingest_options {
  size_t capacity_records;  /* records waiting at most (default 200000) */
  size_t max_batch_records; /* records per transaction at most (default 50000) */
  int debug_commit_delay_ms; /* testing aid: sleep before each commit (default 0) */
  int debug_discard_writes;  /* benchmark aid: complete jobs as stored without writing them,
                              * to measure the request path alone (never durable; default 0) */
} ps_ingest_options;

/* Starts the writer thread. metrics may be NULL. */
int ps_ingest_queue_create(ps_stores stores, const ps_ingest_options *options,
                           ps_metrics *metrics, ps_ingest_queue **out);
/* Drains and stops the writer (see above). Idempotent. */
void ps_ingest_queue_stop(ps_ingest_queue *q);
/* Stops if needed, then frees. */
void ps_ingest_queue_free(ps_ingest_queue *q);

int ps_ingest_reserve(ps_ingest_queue *q, size_t records);
/* job->count must equal what was reserved. */
void ps_ingest_submit(ps_ingest_queue *q, ps_ingest_job *job);
/* Gives back a reservation that will not be submitted. */
void ps_ingest_unreserve(ps_ingest_queue *q, size_t records);

/* Records reserved or queued and not yet committed. */
size_t ps_ingest_queue_depth(ps_ingest_queue *q);
size_t ps_ingest_queue_capacity(ps_ingest_queue *q);

#endif
