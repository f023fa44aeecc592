/* test_queue.c: the ingest queue's group commit, admission and draining (ingest/queue.h),
 * against a fake store that records each transaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "ingest/queue.h"

typedef struct fake_store {
  ps_event_store base;
  pthread_mutex_t lock;
  int transactions;
  size_t records;
  int fail;
  int gate_closed; /* write() waits while set */
} fake_store;

static int fake_write(ps_event_store *base, ps_record_span *spans, size_t n) {
  fake_store *s = (fake_store *)base;
  while (atomic_load((atomic_int *)&s->gate_closed)) usleep(1000);
  pthread_mutex_lock(&s->lock);
  s->transactions++;
  for (size_t i = 0; i < n; i++) s->records += spans[i].count;
  int fail = s->fail;
  pthread_mutex_unlock(&s->lock);
  return fail ? PS_EIO : PS_OK;
}

static const ps_event_store_ops fake_ops = {.name = "fake", .append = fake_write};

/* A state store that applies nothing: the queue's calls to it are what test_write_order
 * watches. */
static int no_state(ps_state_store *base, const ps_record_span *spans, size_t n, unsigned kinds) {
  return PS_OK;
}
static const ps_state_store_ops no_state_ops = {.name = "fake", .apply = no_state};
static ps_state_store no_state_store = {&no_state_ops};

static ps_stores stores_of(fake_store *s) { return (ps_stores){.state = &no_state_store, .events = &s->base}; }

typedef struct waiter {
  ps_ingest_job job;
  ps_record records[3];
  atomic_int result;
  atomic_int done;
} waiter;

static void on_done(ps_ingest_job *job, int result) {
  waiter *w = job->ctx;
  atomic_store(&w->result, result);
  atomic_store(&w->done, 1);
}

static void submit(ps_ingest_queue *q, waiter *w, size_t n) {
  memset(w, 0, sizeof *w);
  w->job = (ps_ingest_job){.records = w->records, .count = n, .done = on_done, .ctx = w};
  assert_int_equal(ps_ingest_reserve(q, n), PS_OK);
  ps_ingest_submit(q, &w->job);
}

static void wait_done(waiter *w) {
  for (int i = 0; i < 5000 && !atomic_load(&w->done); i++) usleep(1000);
  assert_true(atomic_load(&w->done));
}

static void commits_waiting_jobs_together(void **state) {
  fake_store s = {.base.ops = &fake_ops, .gate_closed = 1};
  pthread_mutex_init(&s.lock, NULL);
  ps_ingest_queue *q;
  assert_int_equal(ps_ingest_queue_create(stores_of(&s), NULL, NULL, &q), PS_OK);
  waiter w[10];
  for (int i = 0; i < 10; i++) submit(q, &w[i], 3);
  usleep(20000);
  assert_int_equal(ps_ingest_queue_depth(q), 30);
  atomic_store((atomic_int *)&s.gate_closed, 0);
  for (int i = 0; i < 10; i++) {
    wait_done(&w[i]);
    assert_int_equal(atomic_load(&w[i].result), PS_OK);
  }
  /* The first job may have been taken alone before the rest arrived; the rest go together. */
  assert_true(s.transactions <= 2);
  assert_int_equal(s.records, 30);
  assert_int_equal(ps_ingest_queue_depth(q), 0);
  ps_ingest_queue_free(q);
}

static void full_queue_refuses_and_oversized_request_fits_when_empty(void **state) {
  fake_store s = {.base.ops = &fake_ops, .gate_closed = 1};
  pthread_mutex_init(&s.lock, NULL);
  ps_ingest_options o = {.capacity_records = 4};
  ps_ingest_queue *q;
  assert_int_equal(ps_ingest_queue_create(stores_of(&s), &o, NULL, &q), PS_OK);
  assert_int_equal(ps_ingest_reserve(q, 10), PS_OK); /* larger than capacity, queue empty */
  assert_int_equal(ps_ingest_reserve(q, 1), PS_EFULL);
  ps_ingest_unreserve(q, 10);
  assert_int_equal(ps_ingest_reserve(q, 3), PS_OK);
  assert_int_equal(ps_ingest_reserve(q, 1), PS_OK);
  assert_int_equal(ps_ingest_reserve(q, 1), PS_EFULL);
  ps_ingest_unreserve(q, 4);
  atomic_store((atomic_int *)&s.gate_closed, 0);
  ps_ingest_queue_free(q);
}

static void store_failure_reaches_every_job(void **state) {
  fake_store s = {.base.ops = &fake_ops, .fail = 1};
  pthread_mutex_init(&s.lock, NULL);
  ps_ingest_queue *q;
  assert_int_equal(ps_ingest_queue_create(stores_of(&s), NULL, NULL, &q), PS_OK);
  waiter w;
  submit(q, &w, 2);
  wait_done(&w);
  assert_int_equal(atomic_load(&w.result), PS_EIO);
  assert_int_equal(ps_ingest_queue_depth(q), 0);
  ps_ingest_queue_free(q);
}

typedef struct late_submit {
  ps_ingest_queue *q;
  waiter *w;
} late_submit;

static void *submit_later(void *arg) {
  late_submit *ls = arg;
  usleep(50000);
  memset(ls->w, 0, sizeof *ls->w);
  ls->w->job = (ps_ingest_job){.records = ls->w->records, .count = 2, .done = on_done, .ctx = ls->w};
  ps_ingest_submit(ls->q, &ls->w->job);
  return NULL;
}

static void stop_commits_reserved_and_queued_then_refuses(void **state) {
  fake_store s = {.base.ops = &fake_ops};
  pthread_mutex_init(&s.lock, NULL);
  ps_ingest_queue *q;
  assert_int_equal(ps_ingest_queue_create(stores_of(&s), NULL, NULL, &q), PS_OK);
  waiter queued, late;
  submit(q, &queued, 1);
  /* A handler that reserved before the stop and submits after it must still be committed. */
  assert_int_equal(ps_ingest_reserve(q, 2), PS_OK);
  late_submit ls = {q, &late};
  pthread_t t;
  pthread_create(&t, NULL, submit_later, &ls);
  ps_ingest_queue_stop(q);
  pthread_join(t, NULL);
  assert_true(atomic_load(&queued.done));
  assert_true(atomic_load(&late.done));
  assert_int_equal(atomic_load(&late.result), PS_OK);
  assert_int_equal(s.records, 3);
  assert_int_equal(ps_ingest_reserve(q, 1), PS_ESHUTDOWN);
  ps_ingest_queue_free(q);
}

/* ---- the order of the writer's calls across the two stores ---- */

typedef struct order_log {
  ps_event_store events;
  ps_state_store state;
  char calls[16][16];
  int n;
  int fail_append;
} order_log;

static order_log *log_of_events(ps_event_store *e) {
  return (order_log *)((char *)e - offsetof(order_log, events));
}
static order_log *log_of_state(ps_state_store *st) {
  return (order_log *)((char *)st - offsetof(order_log, state));
}

static int logged_append(ps_event_store *base, ps_record_span *spans, size_t n) {
  order_log *l = log_of_events(base);
  snprintf(l->calls[l->n++], sizeof l->calls[0], "append");
  return l->fail_append ? PS_EIO : PS_OK;
}

static int logged_apply(ps_state_store *base, const ps_record_span *spans, size_t n,
                        unsigned kinds) {
  order_log *l = log_of_state(base);
  snprintf(l->calls[l->n++], sizeof l->calls[0], "%s",
           kinds == PS_RECORD_BIT(PS_RECORD_SO_EVENT)   ? "names"
           : kinds == PS_RECORD_BIT(PS_RECORD_MSESSION) ? "nonces"
                                                        : "other");
  return PS_OK;
}

static const ps_event_store_ops logged_events = {.name = "log", .append = logged_append};
static const ps_state_store_ops logged_state = {.name = "log", .apply = logged_apply};

/* Names (anonymisation) before the append, nonces after it; a failed append keeps no nonce
 * (so the resend is not refused as a replay) and fails the job. */
static void names_before_the_append_nonces_after(void **state) {
  order_log l = {.events = {&logged_events}, .state = {&logged_state}};
  ps_ingest_queue *q;
  assert_int_equal(ps_ingest_queue_create((ps_stores){.state = &l.state, .events = &l.events}, NULL, NULL, &q), PS_OK);
  waiter w;
  submit(q, &w, 1);
  wait_done(&w);
  assert_int_equal(atomic_load(&w.result), PS_OK);
  assert_int_equal(l.n, 3);
  assert_string_equal(l.calls[0], "names");
  assert_string_equal(l.calls[1], "append");
  assert_string_equal(l.calls[2], "nonces");
  l.n = 0;
  l.fail_append = 1;
  waiter failed;
  submit(q, &failed, 1);
  wait_done(&failed);
  assert_int_not_equal(atomic_load(&failed.result), PS_OK);
  assert_int_equal(l.n, 2);
  assert_string_equal(l.calls[1], "append");
  ps_ingest_queue_free(q);
}

/* ---- the flush: a job completes only after a sync that began after its commit ---- */

typedef struct synced_store {
  ps_event_store events;
  atomic_int commits;       /* commit_pending calls that returned */
  atomic_int sync_gate;     /* sync waits while set */
  atomic_int syncs_begun;   /* sync calls entered */
  atomic_int commits_at_sync; /* commits returned when the last sync began */
  atomic_int fail_sync;
} synced_store;

static synced_store *synced_of(ps_stores *s) { return (synced_store *)s->events; }

static int synced_commit(ps_stores *s, ps_record_span *spans, size_t n) {
  atomic_fetch_add(&synced_of(s)->commits, 1);
  return PS_OK;
}

static int synced_sync(ps_stores *s) {
  synced_store *st = synced_of(s);
  atomic_store(&st->commits_at_sync, atomic_load(&st->commits));
  atomic_fetch_add(&st->syncs_begun, 1);
  while (atomic_load(&st->sync_gate)) usleep(1000);
  return atomic_load(&st->fail_sync) ? PS_EIO : PS_OK;
}

static void answers_only_after_the_flush(void **state) {
  synced_store st = {.events = {&fake_ops}};
  ps_stores stores = {.state = &no_state_store, .events = &st.events,
                      .commit_pending = synced_commit, .sync = synced_sync};
  ps_ingest_queue *q;
  assert_int_equal(ps_ingest_queue_create(stores, NULL, NULL, &q), PS_OK);
  atomic_store(&st.sync_gate, 1);
  waiter a, b;
  submit(q, &a, 1);
  for (int i = 0; i < 5000 && !atomic_load(&st.syncs_begun); i++) usleep(1000);
  assert_int_equal(atomic_load(&st.syncs_begun), 1); /* the flush of a's group is running */
  submit(q, &b, 1); /* the writer commits b's group while a's flush runs */
  for (int i = 0; i < 5000 && atomic_load(&st.commits) < 2; i++) usleep(1000);
  assert_int_equal(atomic_load(&st.commits), 2);
  usleep(20000);
  assert_false(atomic_load(&a.done)); /* committed, not flushed: not answered */
  assert_false(atomic_load(&b.done));
  atomic_store(&st.sync_gate, 0);
  wait_done(&a);
  wait_done(&b);
  assert_int_equal(atomic_load(&a.result), PS_OK);
  assert_int_equal(atomic_load(&b.result), PS_OK);
  /* b was answered after a flush that began once b's group had committed */
  assert_int_equal(atomic_load(&st.syncs_begun), 2);
  assert_int_equal(atomic_load(&st.commits_at_sync), 2);
  /* a failed flush fails its jobs: nothing is acknowledged that may not be on the disk */
  atomic_store(&st.fail_sync, 1);
  waiter c;
  submit(q, &c, 1);
  wait_done(&c);
  assert_int_not_equal(atomic_load(&c.result), PS_OK);
  ps_ingest_queue_free(q);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(commits_waiting_jobs_together),
      cmocka_unit_test(full_queue_refuses_and_oversized_request_fits_when_empty),
      cmocka_unit_test(store_failure_reaches_every_job),
      cmocka_unit_test(stop_commits_reserved_and_queued_then_refuses),
      cmocka_unit_test(names_before_the_append_nonces_after),
      cmocka_unit_test(answers_only_after_the_flush),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
