/*
 * export_log.c: the export log of the SQLite state store (state.h ps_export_object): what the
 * raw exports (src/export/) wrote, one row per object.
 *
 *   export_log(target, game_id, kind, format, period_start_ms, period_ms, object_key,
 *              row_count, byte_count, written_ms)
 *              PRIMARY KEY(target, game_id, kind, format, period_start_ms)
 *
 * Recording an identity again replaces its row (INSERT OR REPLACE, one statement: whole or not
 * at all). Each text field must be NUL-terminated within its array (PS_EINVAL otherwise), so a
 * row never holds more than a ps_export_object can give back.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/internal.h"

const char ps_sqlite_export_log_schema[] =
    "CREATE TABLE IF NOT EXISTS export_log("
    "  target TEXT NOT NULL, game_id INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  format TEXT NOT NULL, period_start_ms INTEGER NOT NULL, period_ms INTEGER NOT NULL,"
    "  object_key TEXT NOT NULL, row_count INTEGER NOT NULL, byte_count INTEGER NOT NULL,"
    "  written_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(target, game_id, kind, format, period_start_ms)) WITHOUT ROWID;";

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

int ps_sqlite_export_record(ps_state_store *base, const ps_export_object *o) {
  if (!TERMINATED(o->target) || !TERMINATED(o->kind) || !TERMINATED(o->format) ||
      !TERMINATED(o->key))
    return PS_EINVAL;
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->lock);
  if (sqlite3_prepare_v2(s->db,
                         "INSERT OR REPLACE INTO export_log(target, game_id, kind, format,"
                         " period_start_ms, period_ms, object_key, row_count, byte_count,"
                         " written_ms) VALUES(?,?,?,?,?,?,?,?,?,?)",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, o->target, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, o->game_id);
    sqlite3_bind_text(st, 3, o->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, o->format, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, o->period_start_ms);
    sqlite3_bind_int64(st, 6, o->period_ms);
    sqlite3_bind_text(st, 7, o->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, o->rows);
    sqlite3_bind_int64(st, 9, o->bytes);
    sqlite3_bind_int64(st, 10, o->written_ms);
    if (sqlite3_step(st) == SQLITE_DONE)
      rc = PS_OK;
    else
      ps_error_log("sqlite: export record: %s", sqlite3_errmsg(s->db));
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int ps_sqlite_export_find(ps_state_store *base, const char *target, int64_t game_id,
                          const char *kind, const char *format, int64_t period_start_ms,
                          ps_export_object *out) {
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->lock);
  if (sqlite3_prepare_v2(s->db,
                         "SELECT target, game_id, kind, format, period_start_ms, period_ms,"
                         " object_key, row_count, byte_count, written_ms FROM export_log"
                         " WHERE target = ? AND game_id = ? AND kind = ? AND format = ?"
                         " AND period_start_ms = ?",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, target, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, game_id);
    sqlite3_bind_text(st, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, format, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, period_start_ms);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      memset(out, 0, sizeof *out);
      ps_sqlite_copy_text(out->target, sizeof out->target, st, 0);
      out->game_id = sqlite3_column_int64(st, 1);
      ps_sqlite_copy_text(out->kind, sizeof out->kind, st, 2);
      ps_sqlite_copy_text(out->format, sizeof out->format, st, 3);
      out->period_start_ms = sqlite3_column_int64(st, 4);
      out->period_ms = sqlite3_column_int64(st, 5);
      ps_sqlite_copy_text(out->key, sizeof out->key, st, 6);
      out->rows = sqlite3_column_int64(st, 7);
      out->bytes = sqlite3_column_int64(st, 8);
      out->written_ms = sqlite3_column_int64(st, 9);
      rc = PS_OK;
    } else if (step == SQLITE_DONE) {
      rc = PS_ENOTFOUND;
    }
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}
