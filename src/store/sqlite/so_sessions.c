/*
 * sqlite_sessions.c: session observability in the SQLite backend (see store.h for the
 * contract, sqlite_internal.h for what it shares with sqlite.c).
 *
 * Layout:
 *   so_sessions(id, project_id, environment_id, session_id, salt (legacy, now ""), first_ms, updated_ms,
 *               match_created_ms, created_ms (generated), pool_id, pool_name, queue_id,
 *               queue_name, region_id, requested_ms, completed_ms, completion, players,
 *               backfill, key_seq)                 one row per session: its summary
 *   so_events(id, session, event_key, type, ts_ms, body, received_ms)
 *                                         unique (session, event_key); received_ms: server
 *                                         time of arrival (NULL in rows stored before it was
 *                                         kept: read as ts_ms); its index, so_events_by_arrival,
 *                                         is created by db.c's lifecycle step (so_scan.c)
 *   so_tickets(session, ticket_id)        matchmaking tickets named by the session's events
 *
 * Each event merges into its session's summary with order-independent rules (minimum,
 * maximum, "the earliest match.created", "the latest allocation"), so events may arrive in any
 * order and twice. key_seq is a store-wide sequence taken whenever a session's created_ms (its
 * sort key) is set or changes; a page of a search lists only keys set at or before the first
 * page's sequence, which is how paging never lists a session twice.
 *
 * Expiry deletes with secure_delete on (see sqlite.c) and then truncates the WAL, so deleted
 * sessions leave no bytes behind in the database files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/internal.h"

const char ps_sqlite_sessions_schema[] =
    "CREATE TABLE IF NOT EXISTS so_sessions("
    "  id INTEGER PRIMARY KEY, project_id TEXT NOT NULL, environment_id TEXT NOT NULL,"
    "  session_id TEXT NOT NULL, salt TEXT NOT NULL, first_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL, match_created_ms INTEGER,"
    "  created_ms INTEGER GENERATED ALWAYS AS (coalesce(match_created_ms, first_ms)) VIRTUAL,"
    "  pool_id TEXT, pool_name TEXT, queue_id TEXT, queue_name TEXT, region_id TEXT,"
    "  requested_ms INTEGER, completed_ms INTEGER, completion TEXT,"
    "  players INTEGER NOT NULL, backfill INTEGER NOT NULL, key_seq INTEGER NOT NULL,"
    "  UNIQUE(project_id, environment_id, session_id));"
    "CREATE INDEX IF NOT EXISTS so_sessions_by_created"
    "  ON so_sessions(project_id, environment_id, created_ms, session_id);"
    "CREATE INDEX IF NOT EXISTS so_sessions_by_project ON so_sessions(project_id, created_ms);"
    "CREATE INDEX IF NOT EXISTS so_sessions_by_age ON so_sessions(created_ms);"
    "CREATE INDEX IF NOT EXISTS so_sessions_by_seq ON so_sessions(key_seq);"
    "CREATE TABLE IF NOT EXISTS so_events("
    "  id INTEGER PRIMARY KEY, session INTEGER NOT NULL, event_key TEXT NOT NULL,"
    "  type TEXT NOT NULL, ts_ms INTEGER NOT NULL, body TEXT NOT NULL, received_ms INTEGER,"
    "  UNIQUE(session, event_key));"
    "CREATE INDEX IF NOT EXISTS so_events_by_time ON so_events(session, ts_ms, id);"
    "CREATE TABLE IF NOT EXISTS so_tickets("
    "  session INTEGER NOT NULL, ticket_id TEXT NOT NULL,"
    "  PRIMARY KEY(session, ticket_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS so_tickets_by_ticket ON so_tickets(ticket_id, session);"
    /* The highest key_seq ever handed out: an expiry may delete the session holding it, and
     * a sequence taken again would let a search's snapshot list a later session. */
    "CREATE TABLE IF NOT EXISTS so_key_seq(id INTEGER PRIMARY KEY CHECK (id = 0),"
    "  n INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO so_key_seq(id, n) SELECT 0, coalesce(max(key_seq), 0) FROM so_sessions;";

struct ps_sqlite_sessions {
  sqlite3_stmt *upsert_session, *insert_event, *insert_ticket;
  int checkpoint_due; /* an expiry deleted rows whose old pages may still be in the WAL */
};

/* "Replace when the event's match.created is earlier than the session's (or the first)." */
#define EARLIER_MATCH "excluded.match_created_ms < coalesce(match_created_ms, 9223372036854775807)"
#define GAME_MODE(col) \
  col " = CASE WHEN excluded." col " IS NOT NULL AND (" col " IS NULL OR " EARLIER_MATCH \
  ") THEN excluded." col " ELSE " col " END"
#define NEW_MATCH_CREATED \
  "CASE WHEN " EARLIER_MATCH " THEN excluded.match_created_ms ELSE match_created_ms END"
#define LATER(col, cmp) "excluded." cmp " > coalesce(" col ", -1)"

static const char upsert_session_sql[] =
    "INSERT INTO so_sessions(project_id, environment_id, session_id, salt, first_ms,"
    " updated_ms, match_created_ms, pool_id, pool_name, queue_id, queue_name, region_id,"
    " requested_ms, completed_ms, completion, players, backfill, key_seq)"
    " VALUES(?1,?2,?3,?4,?5,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,"
    "  max(coalesce((SELECT max(key_seq) FROM so_sessions), 0),"
    "      coalesce((SELECT n FROM so_key_seq WHERE id = 0), 0)) + 1)"
    " ON CONFLICT(project_id, environment_id, session_id) DO UPDATE SET"
    "  first_ms = min(first_ms, excluded.first_ms),"
    "  updated_ms = max(updated_ms, excluded.updated_ms),"
    "  key_seq = CASE WHEN coalesce(" NEW_MATCH_CREATED ", min(first_ms, excluded.first_ms))"
    "    <> coalesce(match_created_ms, first_ms) THEN excluded.key_seq ELSE key_seq END,"
    "  match_created_ms = " NEW_MATCH_CREATED ","
    "  " GAME_MODE("pool_id") ", " GAME_MODE("pool_name") ", " GAME_MODE("queue_id") ","
    "  " GAME_MODE("queue_name") ","
    "  region_id = CASE WHEN " LATER("requested_ms", "requested_ms")
    "    THEN excluded.region_id ELSE region_id END,"
    "  requested_ms = CASE WHEN " LATER("requested_ms", "requested_ms")
    "    THEN excluded.requested_ms ELSE requested_ms END,"
    "  completion = CASE WHEN " LATER("completed_ms", "completed_ms")
    "    THEN excluded.completion ELSE completion END,"
    "  completed_ms = CASE WHEN " LATER("completed_ms", "completed_ms")
    "    THEN excluded.completed_ms ELSE completed_ms END,"
    "  players = max(players, excluded.players),"
    "  backfill = max(backfill, excluded.backfill)"
    " RETURNING id";

int ps_sqlite_sessions_open(sqlite_store *s) {
  if (!(s->sessions = calloc(1, sizeof *s->sessions))) return PS_ENOMEM;
  ps_sqlite_sessions *q = s->sessions;
  if (ps_sqlite_prepare(s->writer, upsert_session_sql, &q->upsert_session) != PS_OK ||
      ps_sqlite_prepare(s->writer,
                        "INSERT INTO so_events(session, event_key, type, ts_ms, body,"
                        " received_ms) VALUES(?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                        &q->insert_event) != PS_OK ||
      ps_sqlite_prepare(s->writer,
                        "INSERT OR IGNORE INTO so_tickets(session, ticket_id) VALUES(?,?)",
                        &q->insert_ticket) != PS_OK)
    return PS_EIO;
  return PS_OK;
}

void ps_sqlite_sessions_close(sqlite_store *s) {
  if (!s->sessions) return;
  sqlite3_finalize(s->sessions->upsert_session);
  sqlite3_finalize(s->sessions->insert_event);
  sqlite3_finalize(s->sessions->insert_ticket);
  free(s->sessions);
  s->sessions = NULL;
}

static void bind_optional_ms(sqlite3_stmt *st, int col, int when, int64_t ms) {
  if (when)
    sqlite3_bind_int64(st, col, ms);
  else
    sqlite3_bind_null(st, col);
}

/* Merges the event into its session's summary; sets *row to the session's row id. */
static int upsert_session(sqlite_store *s, const ps_so_event_record *e, int64_t *row) {
  sqlite3_stmt *st = s->sessions->upsert_session;
  int is = 0;
  int64_t most = 0;
  for (size_t i = 0; i < e->nplayers; i++)
    if (e->players[i].number > most) most = e->players[i].number;
  sqlite3_bind_text(st, 1, e->session.project_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, e->session.environment_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, e->session.session_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, "", -1, SQLITE_STATIC); /* the salt is the state store's */
  sqlite3_bind_int64(st, 5, e->ts_ms);
  bind_optional_ms(st, 6, strcmp(e->type, "match.created") == 0, e->ts_ms);
  ps_sqlite_bind_optional_text(st, 7, e->pool_id);
  ps_sqlite_bind_optional_text(st, 8, e->pool_name);
  ps_sqlite_bind_optional_text(st, 9, e->queue_id);
  ps_sqlite_bind_optional_text(st, 10, e->queue_name);
  is = strcmp(e->type, "allocation.requested") == 0;
  ps_sqlite_bind_optional_text(st, 11, is ? e->region_id : NULL);
  bind_optional_ms(st, 12, is, e->ts_ms);
  const char *completion = strcmp(e->type, "allocation.succeeded") == 0 ? "succeeded"
                           : strcmp(e->type, "allocation.failed") == 0  ? "failed"
                                                                        : NULL;
  bind_optional_ms(st, 13, completion != NULL, e->ts_ms);
  ps_sqlite_bind_optional_text(st, 14, completion);
  sqlite3_bind_int64(st, 15, most);
  sqlite3_bind_int(st, 16, e->backfill != 0);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) *row = sqlite3_column_int64(st, 0);
  int done = step == SQLITE_ROW && sqlite3_step(st) == SQLITE_DONE;
  sqlite3_reset(st);
  return done ? PS_OK : PS_EIO;
}

int ps_sqlite_sessions_write(sqlite_store *s, const ps_record *r, int *duplicate) {
  const ps_so_event_record *e = r->so_event;
  ps_sqlite_sessions *q = s->sessions;
  int64_t row = 0;
  if (upsert_session(s, e, &row) != PS_OK) return PS_EIO;
  sqlite3_stmt *st = q->insert_event;
  sqlite3_bind_int64(st, 1, row);
  sqlite3_bind_text(st, 2, e->event_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, e->type, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, e->ts_ms);
  sqlite3_bind_text(st, 5, e->body, (int)e->body_len, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, r->received_ms);
  if (ps_sqlite_step_and_reset(st) != PS_OK) return PS_EIO;
  *duplicate = sqlite3_changes(s->writer) == 0;
  for (size_t i = 0; i < e->nticket_ids; i++) {
    st = q->insert_ticket;
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_text(st, 2, e->ticket_ids[i], -1, SQLITE_STATIC);
    if (ps_sqlite_step_and_reset(st) != PS_OK) return PS_EIO;
  }
  return PS_OK;
}

/* ---- reads ---- */

#define SUMMARY_COLUMNS                                                                     \
  "project_id, environment_id, session_id, created_ms, updated_ms, match_created_ms,"     \
  " pool_id, pool_name, queue_id, queue_name, region_id, requested_ms, completed_ms,"      \
  " completion, players, backfill, key_seq, id"

static int64_t optional_ms(sqlite3_stmt *st, int col) {
  return sqlite3_column_type(st, col) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, col);
}

/* Decodes a SUMMARY_COLUMNS row; returns the session's row id. */
static int64_t read_summary(sqlite3_stmt *st, ps_so_session *o) {
  memset(o, 0, sizeof *o);
  ps_sqlite_copy_text(o->project_id, sizeof o->project_id, st, 0);
  ps_sqlite_copy_text(o->environment_id, sizeof o->environment_id, st, 1);
  ps_sqlite_copy_text(o->session_id, sizeof o->session_id, st, 2);
  o->created_ms = sqlite3_column_int64(st, 3);
  o->updated_ms = sqlite3_column_int64(st, 4);
  o->match_created_ms = optional_ms(st, 5);
  ps_sqlite_copy_text(o->pool_id, sizeof o->pool_id, st, 6);
  ps_sqlite_copy_text(o->pool_name, sizeof o->pool_name, st, 7);
  ps_sqlite_copy_text(o->queue_id, sizeof o->queue_id, st, 8);
  ps_sqlite_copy_text(o->queue_name, sizeof o->queue_name, st, 9);
  ps_sqlite_copy_text(o->region_id, sizeof o->region_id, st, 10);
  o->requested_ms = optional_ms(st, 11);
  o->completed_ms = optional_ms(st, 12);
  ps_sqlite_copy_text(o->completion, sizeof o->completion, st, 13);
  o->players = sqlite3_column_int64(st, 14);
  o->backfill = sqlite3_column_int(st, 15);
  o->key_seq = sqlite3_column_int64(st, 16);
  return sqlite3_column_int64(st, 17);
}

static void bind_key(sqlite3_stmt *st, const ps_so_key *key) {
  sqlite3_bind_text(st, 1, key->project_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key->environment_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, key->session_id, -1, SQLITE_STATIC);
}

/* Finds the session's summary row (under shared_lock, held by the caller). */
static int find_session(sqlite_store *s, const ps_so_key *key, const char *columns,
                        sqlite3_stmt **out) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT %s FROM so_sessions WHERE project_id = ?1 AND environment_id = ?2"
           " AND session_id = ?3",
           columns);
  if (sqlite3_prepare_v2(s->shared, sql, -1, out, NULL) != SQLITE_OK) return PS_EIO;
  bind_key(*out, key);
  int step = sqlite3_step(*out);
  return step == SQLITE_ROW ? PS_OK : step == SQLITE_DONE ? PS_ENOTFOUND : PS_EIO;
}

typedef struct event_rows {
  ps_so_event_visitor visit;
  void *ctx;
} event_rows;

static int event_row(sqlite3_stmt *st, void *arg) {
  const event_rows *q = arg;
  return q->visit((const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0),
                  sqlite3_column_int64(st, 1), q->ctx);
}

int ps_sqlite_so_session_get(ps_event_store *base, const ps_so_key *key, ps_so_session *out,
                             ps_so_event_visitor visit, void *ctx) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st = NULL;
  pthread_mutex_lock(&s->shared_lock);
  /* One read transaction: the summary and the events are of the same moment. */
  int rc = ps_sqlite_exec(s->shared, "BEGIN");
  if (rc == PS_OK) rc = find_session(s, key, SUMMARY_COLUMNS, &st);
  int64_t row = rc == PS_OK ? read_summary(st, out) : 0;
  sqlite3_finalize(st);
  st = NULL;
  if (rc == PS_OK && visit) {
    rc = PS_EIO;
    if (sqlite3_prepare_v2(s->shared,
                           "SELECT body, ts_ms FROM so_events WHERE session = ?"
                           " ORDER BY ts_ms, id",
                           -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_int64(st, 1, row);
      event_rows rows = {visit, ctx};
      rc = ps_sqlite_each_row(st, event_row, &rows);
    }
    sqlite3_finalize(st);
  }
  ps_sqlite_exec(s->shared, "COMMIT");
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* ---- searches ---- */

typedef struct summaries {
  ps_so_session *items;
  size_t n, cap;
} summaries;

static int summary_row(sqlite3_stmt *st, void *arg) {
  summaries *l = arg;
  if (PS_ARRAY_RESERVE(l->items, l->n, l->cap)) return PS_ENOMEM;
  read_summary(st, &l->items[l->n++]);
  return 0;
}

int ps_sqlite_so_session_list(ps_event_store *base, const ps_so_query *q, ps_so_session **out,
                              size_t *count, int64_t *snapshot_seq) {
  sqlite_store *s = (sqlite_store *)base;
  struct {
    const char *column, *text;
  } equal[] = {{"pool_id", q->pool_id}, {"pool_name", q->pool_name},
               {"queue_name", q->queue_name}, {"region_id", q->region_id}};
  char sql[1536];
  size_t len = (size_t)snprintf(sql, sizeof sql,
                                "SELECT " SUMMARY_COLUMNS " FROM so_sessions"
                                " WHERE project_id = ?1 AND environment_id = ?2"
                                " AND key_seq <= ?3");
  /* Parameters ?4.. in the order the clauses are added. */
  for (size_t i = 0; i < sizeof equal / sizeof *equal; i++)
    if (equal[i].text)
      len += (size_t)snprintf(sql + len, sizeof sql - len, " AND %s = ?%zu", equal[i].column,
                              4 + i);
  if (q->ticket_id)
    len += (size_t)snprintf(sql + len, sizeof sql - len,
                            " AND id IN (SELECT session FROM so_tickets WHERE ticket_id = ?8)");
  if (q->created_after_ms >= 0)
    len += (size_t)snprintf(sql + len, sizeof sql - len, " AND created_ms > ?9");
  if (q->updated_after_ms >= 0)
    len += (size_t)snprintf(sql + len, sizeof sql - len, " AND updated_ms > ?10");
  if (q->snapshot_seq)
    len += (size_t)snprintf(sql + len, sizeof sql - len,
                            " AND (created_ms < ?11 OR (created_ms = ?11 AND session_id < ?12))");
  snprintf(sql + len, sizeof sql - len,
           " ORDER BY created_ms DESC, session_id DESC LIMIT ?13");

  sqlite3_stmt *st = NULL;
  summaries l = {0};
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (ps_sqlite_exec(s->shared, "BEGIN") != PS_OK) goto out;
  *snapshot_seq = q->snapshot_seq;
  if (!*snapshot_seq) {
    if (sqlite3_prepare_v2(s->shared, "SELECT coalesce(max(key_seq), 0) FROM so_sessions", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
      goto out;
    *snapshot_seq = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    st = NULL;
  }
  if (sqlite3_prepare_v2(s->shared, sql, -1, &st, NULL) != SQLITE_OK) goto out;
  sqlite3_bind_text(st, 1, q->project_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, q->environment_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 3, *snapshot_seq);
  for (size_t i = 0; i < sizeof equal / sizeof *equal; i++)
    if (equal[i].text) sqlite3_bind_text(st, (int)(4 + i), equal[i].text, -1, SQLITE_STATIC);
  if (q->ticket_id) sqlite3_bind_text(st, 8, q->ticket_id, -1, SQLITE_STATIC);
  if (q->created_after_ms >= 0) sqlite3_bind_int64(st, 9, q->created_after_ms);
  if (q->updated_after_ms >= 0) sqlite3_bind_int64(st, 10, q->updated_after_ms);
  if (q->snapshot_seq) {
    sqlite3_bind_int64(st, 11, q->after_created_ms);
    sqlite3_bind_text(st, 12, q->after_session_id ? q->after_session_id : "", -1,
                      SQLITE_STATIC);
  }
  sqlite3_bind_int64(st, 13, (sqlite3_int64)q->limit);
  rc = ps_sqlite_each_row(st, summary_row, &l);
out:
  sqlite3_finalize(st);
  ps_sqlite_exec(s->shared, "COMMIT");
  pthread_mutex_unlock(&s->shared_lock);
  if (rc != PS_OK) {
    free(l.items);
    return rc;
  }
  *out = l.items;
  *count = l.n;
  return PS_OK;
}

typedef struct range_rows {
  int (*visit)(const ps_so_session *s, void *ctx);
  void *ctx;
} range_rows;

static int range_row(sqlite3_stmt *st, void *arg) {
  const range_rows *q = arg;
  ps_so_session summary;
  read_summary(st, &summary);
  return q->visit(&summary, q->ctx);
}

int ps_sqlite_so_sessions_range(sqlite_store *s, const char *project_id, int64_t from_ms,
                                int64_t to_ms, int (*visit)(const ps_so_session *session, void *ctx),
                                void *ctx) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared,
                         "SELECT " SUMMARY_COLUMNS " FROM so_sessions WHERE project_id = ?"
                         " AND created_ms >= ? AND created_ms < ? ORDER BY created_ms",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, project_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from_ms);
    sqlite3_bind_int64(st, 3, to_ms);
    range_rows rows = {visit, ctx};
    rc = ps_sqlite_each_row(st, range_row, &rows);
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* ---- retention ---- */

int ps_sqlite_so_expire(ps_event_store *base, int64_t before_ms, int64_t *deleted) {
  sqlite_store *s = (sqlite_store *)base;
  static const char *const children[] = {
      /* Keeps the sequence above what the deleted sessions held (no parameter: ?1 unbound). */
      "UPDATE so_key_seq SET n = max(n, (SELECT coalesce(max(key_seq), 0) FROM so_sessions))"
      " WHERE id = 0",
      "DELETE FROM so_events WHERE session IN (SELECT id FROM so_sessions WHERE created_ms < ?)",
      "DELETE FROM so_tickets WHERE session IN (SELECT id FROM so_sessions WHERE created_ms < ?)",
      "DELETE FROM so_sessions WHERE created_ms < ?",
  };
  int rc = PS_EIO;
  *deleted = 0;
  pthread_mutex_lock(&s->shared_lock);
  if (ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE") != PS_OK) goto out;
  for (size_t i = 0; i < sizeof children / sizeof *children; i++) {
    sqlite3_stmt *st = NULL;
    int ok = sqlite3_prepare_v2(s->shared, children[i], -1, &st, NULL) == SQLITE_OK;
    if (ok) {
      sqlite3_bind_int64(st, 1, before_ms);
      ok = sqlite3_step(st) == SQLITE_DONE;
    }
    sqlite3_finalize(st);
    if (!ok) {
      ps_sqlite_exec(s->shared, "ROLLBACK");
      goto out;
    }
  }
  *deleted = sqlite3_changes(s->shared);
  if (ps_sqlite_exec(s->shared, "COMMIT") != PS_OK) goto out;
  rc = PS_OK;
  /* The WAL may still hold pages as they were before the delete: fold it into the database
   * (secure_delete has zeroed the freed content there) and empty it. A reader can make the
   * checkpoint fail; then it is tried again at the next expiry. */
  if (*deleted > 0) s->sessions->checkpoint_due = 1;
  if (s->sessions->checkpoint_due) {
    if (sqlite3_wal_checkpoint_v2(s->shared, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) ==
        SQLITE_OK)
      s->sessions->checkpoint_due = 0;
    else
      ps_warn("sqlite: checkpoint after expiry: %s (tried again at the next expiry)",
              sqlite3_errmsg(s->shared));
  }
out:
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}
