/*
 * client.h: the state of one playstat handle, shared by the files of sdk/ (internal).
 *
 * Threads: the game's threads call the public functions; one library thread (sender.c) sends.
 * lock guards every field below it; the sender reads batches and checkpoints on its own
 * connection (reader) and holds the lock only to delete what was sent, never across a network
 * request, so an event call waits at most for one short delete. The log callback is never called with lock held (log.h).
 */
#ifndef PS_SDK_CLIENT_H
#define PS_SDK_CLIENT_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>

#include "playstat.h"
#include "schema/validator.h"
#include "sdk/config.h"
#include "sdk/error_throttle.h"
#include "sdk/log.h"
#include "sdk/metrics_session.h"
#include "sdk/queue_db.h"
#include "sdk/transport.h"

#define PS_SDK_SDK_VERSION "rest api v2" /* the sdk_version the collector's schema accepts */
#define PS_SDK_USER_ID_MAX 128

struct playstat {
  ps_sdk_config cfg;
  ps_schema_set *schemas; /* immutable after create: used without the lock */
  ps_queue_db *reader;    /* the library thread's own connection (peek, checkpoint): no lock */

  pthread_mutex_t lock;
  pthread_cond_t wake; /* signals the sender: stop, flush, new metrics request */
  ps_queue_db *db;
  char user_id[PS_SDK_USER_ID_MAX + 1];
  char *custom[3];        /* custom dimensions 1..3, malloc'd or NULL */
  int64_t clock_offset_s; /* server_ts - local time at the last init */
  int session_open;
  char session_id[37];
  int64_t session_num;
  int64_t session_start_ts; /* corrected unix seconds */
  ps_sdk_error_throttle throttle;
  ps_sdk_metrics metrics;
  playstat_stats stats;
  int stopping;
  int flush_requested;
  int checkpoint_requested; /* the game's commits have grown the log (queue_db.h) */

  pthread_t thread;
  int thread_started;
  _Atomic int64_t abort_at_ms; /* transfers stop at this wall-clock time (0: no limit) */
};

/* Corrected unix seconds (local clock + the offset from the collector's init). Under lock. */
int64_t ps_sdk_client_ts(const playstat *ps);

/*
 * Under lock, inside a database transaction: adds the default annotations of the open session
 * to event (which must hold "category" and the category's fields), validates it, and queues
 * it. Returns PLAYSTAT_OK, PLAYSTAT_E_NO_SESSION, PLAYSTAT_E_INVALID (reasons in notes),
 * PLAYSTAT_E_FULL, PLAYSTAT_E_NOMEM or PLAYSTAT_E_STORAGE. event is not consumed.
 */
int ps_sdk_record_locked(playstat *ps, json_t *event, ps_sdk_notes *notes);

/* As ps_sdk_record_locked for an event that already carries its annotations (a recovered
 * session_end): validates and queues it. */
int ps_sdk_queue_locked(playstat *ps, json_t *event, ps_sdk_notes *notes);

/* The default annotations of the open session (a new object), client_ts excluded; NULL when
 * out of memory. Under lock. */
json_t *ps_sdk_annotations_locked(const playstat *ps);

/* Session bookkeeping (session.c), under lock and inside a transaction. */
int ps_sdk_session_start_locked(playstat *ps, ps_sdk_notes *notes);
int ps_sdk_session_end_locked(playstat *ps, ps_sdk_notes *notes);
/* Rewrites the open session's annotations in its row (after a custom dimension changed). */
int ps_sdk_session_annotate_locked(playstat *ps);
/* Ends the session that a previous launch left open, if any. */
int ps_sdk_session_recover_locked(playstat *ps, ps_sdk_notes *notes);

/* Maps an internal PS_E* code to a playstat_status. */
int ps_sdk_status_of(int ps_code);

/* The library's thread (sender.c). */
void *ps_sdk_sender_main(void *arg);

/* Runs one recording call: locks, opens a transaction, calls prepare (may be NULL; it may add
 * fields to event, touch the database, or record extra events) and then records event, and
 * commits, or rolls everything back on any failure. Logs the notes after unlocking. */
typedef int (*ps_sdk_prepare_fn)(playstat *ps, json_t *event, void *ctx, ps_sdk_notes *notes);
int ps_sdk_submit(playstat *ps, json_t *event, ps_sdk_prepare_fn prepare, void *ctx);

/* Runs fn(ps, ctx, notes) under the lock inside one database transaction, committed when fn
 * returns PLAYSTAT_OK and rolled back otherwise; logs the notes after unlocking. Returns fn's
 * status, or the database's failure to begin or commit. PLAYSTAT_E_ARG for a NULL ps. */
typedef int (*ps_sdk_locked_fn)(playstat *ps, void *ctx, ps_sdk_notes *notes);
int ps_sdk_transaction(playstat *ps, ps_sdk_locked_fn fn, void *ctx);

#endif
