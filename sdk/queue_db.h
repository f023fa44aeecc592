/*
 * queue_db.h: the SDK's SQLite database (WAL): the queue of events waiting to be sent, and the
 * state that must survive a launch (session_num, transaction_num, the user id, the clock
 * offset, attempt numbers per progression, the open session).
 *
 * Tables:
 *   events(id, category, priority, size, body)   the queue, oldest = lowest id
 *   state(key, value)                            counters and cached values, as text
 *   progression(id, attempts)                    failed attempts of an unfinished progression
 *   session(slot = 1, session_id, start_ts, last_ts, annotations)
 *                                                the open session, if any: a row found at launch
 *                                                is a session that never got its session_end
 *
 * The queue is bounded: queued events' bodies never total more than the bound given to
 * ps_qdb_append. To admit an event, the oldest events of the lowest priority at or below the
 * new event's are evicted (design first, then errors, ads, resources, then progression, and
 * business and session events last); when only more valuable events are left, the new event is
 * refused.
 *
 * Not thread-safe: the caller serialises every call (the handle's db_lock). The game's event
 * calls do not come here: they append to the call journal (journal.h), which the library's
 * thread moves in, many records per transaction (mover.c). Writes outside an
 * explicit ps_qdb_begin/ps_qdb_commit are each their own transaction. Every function returns 0
 * or PS_EIO (SQLite error), PS_ENOMEM, PS_EFULL as documented.
 *
 * Checkpoints: the writing connection (the library's thread, which moves the call journal in
 * and deletes what was sent) never checkpoints the write-ahead log itself; the library's
 * thread does, on a second connection of its own (ps_qdb_open_reader), which also reads the
 * batches to send: in WAL mode neither waits for the other's writes. The writing connection
 * says when its log has grown (ps_qdb_on_log_growth), so that checkpoints keep it short (a
 * long log makes every read and every fsync of it slower).
 */
#ifndef PS_SDK_QUEUE_DB_H
#define PS_SDK_QUEUE_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_queue_db ps_queue_db;

/* Eviction priority of a category: 0 (dropped first) to 3 (dropped last). */
int ps_sdk_category_priority(const char *category);

/* Opens or creates the database at path. durable: fsync on every commit (synchronous=FULL)
 * instead of at checkpoints (NORMAL: a commit survives a crash of the process, not a power
 * loss). On failure *out is NULL and err says why. */
int ps_qdb_open(const char *path, int durable, ps_queue_db **out, char *err, size_t errlen);
void ps_qdb_close(ps_queue_db *db);

/* The library thread's connection to a database ps_qdb_open made: for ps_qdb_peek and
 * ps_qdb_checkpoint only (no other function may be given it). Closed with ps_qdb_close. */
int ps_qdb_open_reader(const char *path, ps_queue_db **out, char *err, size_t errlen);
/* Copies what the write-ahead log holds into the database file as far as no reader needs it
 * (a passive checkpoint: it never waits for, nor blocks, the game's writes). */
int ps_qdb_checkpoint(ps_queue_db *reader);
/* Calls grown(ctx) after a commit of db that leaves at least frames pages in the log (from
 * the committing thread, so it must be short: the handle asks its thread to checkpoint). */
void ps_qdb_on_log_growth(ps_queue_db *db, int frames, void (*grown)(void *ctx), void *ctx);

/* The last SQLite error message (for logs). */
const char *ps_qdb_errmsg(ps_queue_db *db);

int ps_qdb_begin(ps_queue_db *db);
int ps_qdb_commit(ps_queue_db *db);
/* Rolls back and re-reads the queue totals. Never fails. */
void ps_qdb_rollback(ps_queue_db *db);

/* state: get copies the value into out (cap bytes, truncated) and returns 1, or returns 0 when
 * the key is missing (out = ""), or a negative code. */
int ps_qdb_state_get(ps_queue_db *db, const char *key, char *out, size_t cap);
int ps_qdb_state_set(ps_queue_db *db, const char *key, const char *value);
/* Adds 1 to the integer under key (missing = 0) and stores it; *out is the new value. */
int ps_qdb_state_increment(ps_queue_db *db, const char *key, int64_t *out);

/* Progression attempts (the seed's "Handling attempt_num"):
 * fail: attempts + 1 is stored and returned (1 for a new id);
 * complete: attempts + 1 is returned (1 for a new id) and the id forgotten. */
int ps_qdb_progression_fail(ps_queue_db *db, const char *id, int64_t *attempt);
int ps_qdb_progression_complete(ps_queue_db *db, const char *id, int64_t *attempt);
/* Stores the attempts of id (0 or less: forgets it), as the journal says (mover.c). */
int ps_qdb_progression_set(ps_queue_db *db, const char *id, int64_t attempts);
/* Calls fn for each stored id; stops at (and returns) fn's first non-zero answer. */
int ps_qdb_progression_each(ps_queue_db *db, int (*fn)(void *ctx, const char *id, int64_t attempts),
                            void *ctx);

/* What ps_qdb_append had to drop to make room. */
typedef struct ps_qdb_evicted {
  uint64_t events;
  uint64_t bytes;
  int lowest_priority; /* of the dropped events; -1 when none */
} ps_qdb_evicted;

/* Queues one event (its JSON text), evicting as described above so that the queue stays
 * within max_bytes. PS_EFULL (nothing changed) when the event cannot be admitted. */
int ps_qdb_append(ps_queue_db *db, const char *category, const char *body, size_t len,
                  uint64_t max_bytes, ps_qdb_evicted *evicted);

typedef struct ps_qdb_row {
  int64_t id;
  char *body; /* malloc'd JSON text */
  size_t len;
} ps_qdb_row;

/* The oldest events, at most max_events of them, into a malloc'd array (*rows, *n). */
int ps_qdb_peek(ps_queue_db *db, size_t max_events, ps_qdb_row **rows, size_t *n);
void ps_qdb_rows_free(ps_qdb_row *rows, size_t n);
/* Deletes the events with these ids (ids already gone are ignored), in one transaction. */
int ps_qdb_delete(ps_queue_db *db, const ps_qdb_row *rows, size_t n);

/* Queue totals (kept in memory, exact): all, and the bytes of one priority (0..3). */
uint64_t ps_qdb_queued_events(const ps_queue_db *db);
uint64_t ps_qdb_queued_bytes(const ps_queue_db *db);
uint64_t ps_qdb_queued_bytes_at(const ps_queue_db *db, int priority);

/* The open session. get returns 1 and fills the outputs (annotations: malloc'd JSON text),
 * 0 when there is none. */
int ps_qdb_session_put(ps_queue_db *db, const char *session_id, int64_t start_ts,
                       const char *annotations);
int ps_qdb_session_touch(ps_queue_db *db, int64_t last_ts);
/* Replaces the open session's annotations (the game changed a custom dimension). */
int ps_qdb_session_annotate(ps_queue_db *db, const char *annotations);
int ps_qdb_session_get(ps_queue_db *db, char session_id[37], int64_t *start_ts,
                       int64_t *last_ts, char **annotations);
int ps_qdb_session_clear(ps_queue_db *db);

#endif
