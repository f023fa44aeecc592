/* queue.c: see queue.h. One mutex guards the job list and the reservation count; the writer
 * holds it only to take the waiting jobs, never during the store transaction. A second mutex
 * guards the committed jobs that wait for the flush: the writer commits a group
 * (ps_stores_commit_pending) and hands its jobs to the syncer thread, which flushes
 * (ps_stores_sync) and completes them, while the writer already stores the next group. */
#include "ingest/queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/thread_name.h"

struct ps_ingest_queue {
  ps_stores stores;
  ps_metrics *metrics;
  ps_ingest_options opt;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  ps_ingest_job *head, *tail; /* submitted, waiting for the writer */
  size_t reserved;            /* records reserved or queued, not yet committed */
  int stopping;
  int joined;
  pthread_t writer;
  /* committed, waiting for the flush: the syncer's */
  pthread_mutex_t sync_lock;
  pthread_cond_t sync_wake;
  ps_ingest_job *sync_head, *sync_tail;
  int sync_stopping;
  pthread_t syncer;
  ps_record_span *spans; /* writer-only scratch */
  size_t spans_cap;
};

static void sleep_ms(int ms) {
  struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Takes the waiting jobs whose records fit in one batch (always at least one job). */
static ps_ingest_job *take_batch(ps_ingest_queue *q, size_t *njobs) {
  ps_ingest_job *first = q->head, *last = NULL;
  size_t records = 0, n = 0;
  for (ps_ingest_job *j = q->head; j; j = j->next) {
    if (n > 0 && records + j->count > q->opt.max_batch_records) break;
    records += j->count;
    last = j;
    n++;
  }
  q->head = last->next;
  if (!q->head) q->tail = NULL;
  last->next = NULL;
  *njobs = n;
  return first;
}

static int ensure_spans(ps_ingest_queue *q, size_t n) {
  if (n <= q->spans_cap) return PS_OK;
  ps_record_span *grown = realloc(q->spans, n * sizeof *grown);
  if (!grown) return PS_ENOMEM;
  q->spans = grown;
  q->spans_cap = n;
  return PS_OK;
}

static void complete(ps_ingest_job *jobs, int rc);

static void commit_batch(ps_ingest_queue *q, ps_ingest_job *jobs, size_t njobs) {
  size_t records = 0, i = 0;
  int rc = ensure_spans(q, njobs);
  if (rc == PS_OK) {
    for (ps_ingest_job *j = jobs; j; j = j->next, i++) {
      q->spans[i].records = j->records;
      q->spans[i].count = j->count;
      records += j->count;
    }
    if (q->opt.debug_commit_delay_ms > 0) sleep_ms(q->opt.debug_commit_delay_ms);
    int64_t t0 = ps_monotonic_ns();
    /* Both stores, in the order (or the one transaction) that makes a resend after any
     * failure harmless (store.h). --debug-discard-writes (a benchmark aid): the jobs are
     * answered as stored without touching the stores. */
    rc = q->opt.debug_discard_writes ? PS_OK
                                     : ps_stores_commit_pending(&q->stores, q->spans, njobs);
    ps_metrics_observe_commit(q->metrics, ps_monotonic_ns() - t0, records);
    if (rc != PS_OK) ps_error_log("ingest: commit of %zu records failed: %s", records, ps_strerror(rc));
  } else {
    for (ps_ingest_job *j = jobs; j; j = j->next) records += j->count;
  }
  pthread_mutex_lock(&q->lock);
  q->reserved -= records;
  pthread_mutex_unlock(&q->lock);
  if (rc == PS_OK && !q->opt.debug_discard_writes) {
    /* Stored, not yet flushed: the syncer completes them after the next flush. */
    ps_ingest_job *last = jobs;
    while (last->next) last = last->next;
    pthread_mutex_lock(&q->sync_lock);
    if (q->sync_tail)
      q->sync_tail->next = jobs;
    else
      q->sync_head = jobs;
    q->sync_tail = last;
    pthread_cond_signal(&q->sync_wake);
    pthread_mutex_unlock(&q->sync_lock);
    return;
  }
  complete(jobs, rc);
}

/* Calls done() of every job of the list with rc. */
static void complete(ps_ingest_job *jobs, int rc) {
  while (jobs) {
    ps_ingest_job *next = jobs->next; /* done() may free the job */
    jobs->done(jobs, rc);
    jobs = next;
  }
}

/* The syncer: one flush for every group committed before it began, then their answers. */
static void *syncer_main(void *arg) {
  ps_thread_set_name("ps-sync");
  ps_ingest_queue *q = arg;
  pthread_mutex_lock(&q->sync_lock);
  for (;;) {
    while (!q->sync_head && !q->sync_stopping) pthread_cond_wait(&q->sync_wake, &q->sync_lock);
    if (!q->sync_head) break; /* stopping, and the writer has handed over its last group */
    ps_ingest_job *jobs = q->sync_head;
    q->sync_head = q->sync_tail = NULL;
    pthread_mutex_unlock(&q->sync_lock);
    int rc = ps_stores_sync(&q->stores);
    if (rc != PS_OK) ps_error_log("ingest: flushing committed records failed: %s", ps_strerror(rc));
    complete(jobs, rc);
    pthread_mutex_lock(&q->sync_lock);
  }
  pthread_mutex_unlock(&q->sync_lock);
  return NULL;
}

static void *writer_main(void *arg) {
  ps_thread_set_name("ps-writer");
  ps_ingest_queue *q = arg;
  pthread_mutex_lock(&q->lock);
  for (;;) {
    while (!q->head && !(q->stopping && q->reserved == 0)) pthread_cond_wait(&q->wake, &q->lock);
    if (!q->head) break; /* stopping, and nothing reserved can still arrive */
    size_t njobs = 0;
    ps_ingest_job *jobs = take_batch(q, &njobs);
    pthread_mutex_unlock(&q->lock);
    commit_batch(q, jobs, njobs);
    pthread_mutex_lock(&q->lock);
  }
  pthread_mutex_unlock(&q->lock);
  return NULL;
}

static void stop_syncer(ps_ingest_queue *q);

int ps_ingest_queue_create(ps_stores stores, const ps_ingest_options *options,
                           ps_metrics *metrics, ps_ingest_queue **out) {
  ps_ingest_queue *q = calloc(1, sizeof *q);
  if (!q) return PS_ENOMEM;
  q->stores = stores;
  q->metrics = metrics;
  if (options) q->opt = *options;
  if (!q->opt.capacity_records) q->opt.capacity_records = 200000;
  if (!q->opt.max_batch_records) q->opt.max_batch_records = 50000;
  pthread_mutex_init(&q->lock, NULL);
  pthread_cond_init(&q->wake, NULL);
  pthread_mutex_init(&q->sync_lock, NULL);
  pthread_cond_init(&q->sync_wake, NULL);
  if (pthread_create(&q->syncer, NULL, syncer_main, q) != 0) goto fail;
  if (pthread_create(&q->writer, NULL, writer_main, q) != 0) {
    stop_syncer(q);
    goto fail;
  }
  *out = q;
  return PS_OK;
fail:
  pthread_cond_destroy(&q->sync_wake);
  pthread_mutex_destroy(&q->sync_lock);
  pthread_cond_destroy(&q->wake);
  pthread_mutex_destroy(&q->lock);
  free(q);
  return PS_ENOMEM;
}

/* Lets the syncer flush and complete what it holds, then joins it. */
static void stop_syncer(ps_ingest_queue *q) {
  pthread_mutex_lock(&q->sync_lock);
  q->sync_stopping = 1;
  pthread_cond_signal(&q->sync_wake);
  pthread_mutex_unlock(&q->sync_lock);
  pthread_join(q->syncer, NULL);
}

void ps_ingest_queue_stop(ps_ingest_queue *q) {
  if (!q || q->joined) return;
  pthread_mutex_lock(&q->lock);
  q->stopping = 1;
  pthread_cond_signal(&q->wake);
  pthread_mutex_unlock(&q->lock);
  pthread_join(q->writer, NULL);
  stop_syncer(q); /* after the writer: it hands over its last groups first */
  q->joined = 1;
}

void ps_ingest_queue_free(ps_ingest_queue *q) {
  if (!q) return;
  ps_ingest_queue_stop(q);
  pthread_cond_destroy(&q->sync_wake);
  pthread_mutex_destroy(&q->sync_lock);
  pthread_cond_destroy(&q->wake);
  pthread_mutex_destroy(&q->lock);
  free(q->spans);
  free(q);
}

int ps_ingest_reserve(ps_ingest_queue *q, size_t records) {
  int rc = PS_OK;
  pthread_mutex_lock(&q->lock);
  if (q->stopping)
    rc = PS_ESHUTDOWN;
  else if (q->reserved > 0 && q->reserved + records > q->opt.capacity_records)
    rc = PS_EFULL;
  else
    q->reserved += records;
  pthread_mutex_unlock(&q->lock);
  return rc;
}

void ps_ingest_unreserve(ps_ingest_queue *q, size_t records) {
  pthread_mutex_lock(&q->lock);
  q->reserved -= records;
  pthread_cond_signal(&q->wake); /* a stopping writer may be waiting for this */
  pthread_mutex_unlock(&q->lock);
}

void ps_ingest_submit(ps_ingest_queue *q, ps_ingest_job *job) {
  job->next = NULL;
  pthread_mutex_lock(&q->lock);
  if (q->tail)
    q->tail->next = job;
  else
    q->head = job;
  q->tail = job;
  pthread_cond_signal(&q->wake);
  pthread_mutex_unlock(&q->lock);
}

size_t ps_ingest_queue_depth(ps_ingest_queue *q) {
  pthread_mutex_lock(&q->lock);
  size_t n = q->reserved;
  pthread_mutex_unlock(&q->lock);
  return n;
}

size_t ps_ingest_queue_capacity(ps_ingest_queue *q) { return q->opt.capacity_records; }
