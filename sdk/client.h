/*
 * client.h: the state of one playstat handle, shared by the files of sdk/ (internal).
 *
 * Threads: the game's threads call the public functions; one library thread (sender.c) moves
 * the call journal into the database and sends. Two locks, never held across the network:
 *  - lock guards the in-memory state (session, counters, attempt numbers, dimensions, stats)
 *    and the journal's active file. An event call holds it for its validation and one
 *    store of its record into the journal's mapping (journal.h): it does no SQLite work. The library's thread holds it
 *    only to swap the journal's files and to update counters, a few instructions each.
 *  - db_lock guards db, the database connection that the library's thread writes (moving
 *    journal records in, deleting what was sent). Event calls never take it; only
 *    playstat_get_stats (which moves the journal first, for exact totals) and
 *    create/shutdown do. Order: db_lock before lock, never the other way round.
 * The in-memory state is loaded from the database at create, after the journal the last
 * launch left was moved in, and from then on every change to it is journalled with the event
 * that caused it, so the database follows it record by record.
 * The log callback is never called with a lock held (log.h).
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
#include "sdk/event_text.h"
#include "sdk/field_check.h"
#include "sdk/journal.h"
#include "sdk/log.h"
#include "sdk/metrics_session.h"
#include "sdk/queue_db.h"
#include "sdk/transport.h"

#define PS_SDK_SDK_VERSION "rest api v2" /* the sdk_version the collector's schema accepts */
#define PS_SDK_USER_ID_MAX 128
#define PS_SDK_PRIORITIES 4
#define PS_SDK_PROGRESSION_MAX 256 /* bytes of a progression id, NUL included */

/* The state a call may change, copied whole at the start of each call to roll back to. */
typedef struct ps_sdk_counters {
  int session_open;
  char session_id[37];
  int64_t session_num;
  int64_t session_start_ts; /* corrected unix seconds */
  int64_t transaction_num;
  char ongoing[PS_SDK_PROGRESSION_MAX]; /* the progression attempt started and not ended */
} ps_sdk_counters;

/* Failed attempts per progression id (an id with 0 attempts is absent). */
typedef struct ps_sdk_attempt {
  char *id;
  int64_t attempts;
} ps_sdk_attempt;

/* What the call in progress has done so far (applied when its record is written). */
typedef struct ps_sdk_call {
  uint64_t events;
  uint64_t bytes[PS_SDK_PRIORITIES];
  int flush;           /* a user or session_end event: send at once */
  size_t undo_count;   /* attempt numbers to restore on rollback */
  struct { size_t index; int64_t attempts; } undo[4];
} ps_sdk_call;

struct playstat {
  ps_sdk_config cfg;
  ps_schema_set *schemas; /* immutable after create: used without the lock */
  ps_schema_set *own_schemas; /* the events' own members (event_text.h); immutable too */
  ps_schema_set *fast_schemas; /* the same without event_uuid and client_ts, or NULL */
  int64_t ts_checked;          /* a client_ts that passed own_schemas (0: none); lock */
  ps_queue_db *reader;    /* the library thread's own connection (peek, checkpoint): no lock */

  pthread_mutex_t db_lock;
  ps_queue_db *db;
  uint64_t applied_seq; /* the last journal record moved into db ("journal_seq"); db_lock */
  ps_buf move_buf;      /* a drained journal file's bytes; db_lock */

  pthread_mutex_t lock;
  pthread_cond_t wake; /* signals the sender: stop, flush, move, new metrics request */
  ps_journal *journal;
  ps_jrec rec;           /* the record of the call in progress */
  ps_buf text;           /* the JSON text of the event being recorded */
  ps_buf members;        /* a text-built event's own members (ps_sdk_record_members_locked) */
  ps_json_doc own_doc;   /* that event parsed back for validation (buffers reused) */
  int annotations_dirty; /* the session or a dimension changed: rebuild the two below */
  json_t *annotations;   /* the open session's default annotations, validated */
  ps_buf annotations_text; /* the same as JSON members without braces */
  ps_sdk_call call;
  uint64_t next_seq;     /* of the next journal record */
  uint64_t journal_records; /* appended and not yet moved into the database */
  uint64_t journal_events;
  uint64_t journal_bytes[PS_SDK_PRIORITIES];
  uint64_t db_events;    /* the database's totals after the library thread's last change */
  uint64_t db_bytes[PS_SDK_PRIORITIES];
  char user_id[PS_SDK_USER_ID_MAX + 1];
  char *custom[3];        /* custom dimensions 1..3, malloc'd or NULL */
  int64_t clock_offset_s; /* server_ts - local time at the last init */
  ps_sdk_counters st;
  ps_sdk_attempt *attempts;
  size_t nattempts, attempts_cap;
  int disabled; /* the collector's init answered enabled: false (kept in the database) */
  ps_sdk_error_throttle throttle;
  ps_sdk_metrics metrics;
  playstat_stats stats;
  int stopping;
  int flush_requested;
  int move_requested;
  _Atomic int checkpoint_requested; /* the database's commits have grown the log (queue_db.h) */

  pthread_t thread;
  int thread_started;
  _Atomic int64_t abort_at_ms; /* transfers stop at this wall-clock time (0: no limit) */

  /* Last, the large parts (29 KiB) of which a call reads a slot or two: the fields above,
   * which every call reads, then share a page or two (fewer TLB misses on a cold call). */
  ps_sdk_uuid_pool uuids;
  ps_sdk_field_checker checker; /* a call's fields checked without the parse (field_check.h) */
};

/* Corrected unix seconds (local clock + the offset from the collector's init). Under lock. */
int64_t ps_sdk_client_ts(const playstat *ps);

/*
 * Under lock, inside a call (ps_sdk_transaction): adds the default annotations of the open
 * session to event (which must hold "category" and the category's fields), validates it, and
 * adds it to the call's record. Returns PLAYSTAT_OK, PLAYSTAT_E_NO_SESSION, PLAYSTAT_E_INVALID
 * (reasons in notes), PLAYSTAT_E_FULL or PLAYSTAT_E_NOMEM. event is not consumed.
 */
int ps_sdk_record_locked(playstat *ps, json_t *event, ps_sdk_notes *notes);

/* As ps_sdk_record_locked for an event given as the text of its own members without braces
 * ("category":"design","event_id":"A:b"), written by the caller with the event_text writer:
 * no jansson value is built. Adds event_uuid and client_ts and validates the members with the
 * own schemas (event_text.h), exactly as ps_sdk_record_locked would: first directly from
 * fields (the same members as the caller holds them, nfields of them; field_check.h), and
 * when that cannot tell (or fields is NULL) by parsing the text back into a reused document.
 * A category without an own schema goes the jansson way. Text that does not parse (invalid
 * UTF-8 from the game) is PLAYSTAT_E_NOMEM, as jansson's refusal of such a string was before. */
int ps_sdk_record_members_locked(playstat *ps, const char *members, size_t len,
                                 const ps_sdk_field *fields, size_t nfields, ps_sdk_notes *notes);

/* As ps_sdk_record_locked for an event that already carries its annotations (a recovered
 * session_end): validates it and adds it to the call's record. */
int ps_sdk_queue_locked(playstat *ps, json_t *event, ps_sdk_notes *notes);

/* Adds a state item (journal.h) to the call's record. PLAYSTAT_OK or PLAYSTAT_E_NOMEM. */
int ps_sdk_journal_item(playstat *ps, int type, int64_t number, const char *a, const char *b);

/* The default annotations of the open session (a new object), client_ts excluded; NULL when
 * out of memory. Under lock. */
json_t *ps_sdk_annotations_locked(const playstat *ps);
/* The cached annotations are stale (a new session, a dimension, a rollback). Under lock. */
void ps_sdk_annotations_changed(playstat *ps);

/* Progression attempts (events.c), under lock inside a call: fail stores and returns
 * attempts + 1 (1 for a new id); complete returns attempts + 1 and forgets the id. Both
 * journal the change and undo it if the call fails. PLAYSTAT_OK or PLAYSTAT_E_NOMEM. */
int ps_sdk_attempt_fail(playstat *ps, const char *id, int64_t *attempt);
int ps_sdk_attempt_complete(playstat *ps, const char *id, int64_t *attempt);
/* Loads the stored attempts at create. */
int ps_sdk_attempts_load(playstat *ps);
void ps_sdk_attempts_free(playstat *ps);

/* Session bookkeeping (session.c), under lock and inside a call. */
int ps_sdk_session_start_locked(playstat *ps, ps_sdk_notes *notes);
int ps_sdk_session_end_locked(playstat *ps, ps_sdk_notes *notes);
/* Rewrites the open session's annotations in its row (after a custom dimension changed). */
int ps_sdk_session_annotate_locked(playstat *ps);
/* Ends the session that a previous launch left open, if any (at create: reads the database,
 * so the caller holds db_lock too). */
int ps_sdk_session_recover_locked(playstat *ps, ps_sdk_notes *notes);

/* Maps an internal PS_E* code to a playstat_status. */
int ps_sdk_status_of(int ps_code);

/* The library's thread (sender.c). */
void *ps_sdk_sender_main(void *arg);

/*
 * Moves the journal's records into the database (sender.c): swaps its files under lock, then
 * reads the one just left, applies the records whose sequence number the database has not
 * seen (events queued with the eviction of the bounded queue, state, sessions) in one
 * transaction that also stores the last sequence number, and empties the file. The caller
 * holds db_lock (not lock). A failure leaves the file for the next attempt. Logs what it
 * evicted. PS_OK or a PS_E* code.
 */
int ps_sdk_journal_move(playstat *ps, ps_sdk_notes *notes);

/* At create, before anything is appended: applies what the last launch left in both journal
 * files, in sequence order, and empties them; sets ps->next_seq. */
int ps_sdk_journal_recover(playstat *ps, ps_sdk_notes *notes);

/* Runs one recording call: locks, starts a record, calls prepare (may be NULL; it may add
 * fields to event, change counters, or record extra events) and then records event, and
 * writes the record, or rolls everything back on any failure. Logs the notes after
 * unlocking. */
typedef int (*ps_sdk_prepare_fn)(playstat *ps, json_t *event, void *ctx, ps_sdk_notes *notes);
int ps_sdk_submit(playstat *ps, json_t *event, ps_sdk_prepare_fn prepare, void *ctx);

/* Runs fn(ps, ctx, notes) under the lock as one call: its record is stored into the journal when fn returns PLAYSTAT_OK (and it added anything), and the in-memory state
 * is rolled back otherwise. Logs the notes after unlocking. Returns fn's status,
 * PLAYSTAT_E_STORAGE when the record could not be written, PLAYSTAT_E_DISABLED when the
 * collector disabled the game, PLAYSTAT_E_ARG for a NULL ps. */
typedef int (*ps_sdk_locked_fn)(playstat *ps, void *ctx, ps_sdk_notes *notes);
int ps_sdk_transaction(playstat *ps, ps_sdk_locked_fn fn, void *ctx);

/* The same, for the caller that already holds the lock (create, shutdown). */
int ps_sdk_transaction_locked(playstat *ps, ps_sdk_locked_fn fn, void *ctx, ps_sdk_notes *notes);

#endif
