/*
 * state_forget.c: the SQLite state store's part of deleting a player (issue 14), for the
 * integrator to wire as a state-store call (e.g. ops->msession_forget(store, game_id,
 * player, &removed)): the metrics-session state of that player's sessions in msession_state
 * (which names the player) and the nonces of those sessions (msession_nonces), deleted in one
 * transaction; then the write-ahead log is checkpointed and truncated, so that with
 * secure_delete (db.c) the player's id is in no file of the store. Idempotent: a second call
 * removes nothing. A request of a forgotten session that comes again is taken as new.
 *
 * msession_state has no index on player: the deletion reads the game's rows (deletions are
 * rare; an index msession_state(game_id, player) would make it a seek).
 */
#include <sqlite3.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/internal.h"

static const char forget_nonces_sql[] =
    "DELETE FROM msession_nonces WHERE game_id = ?1 AND session_id IN"
    " (SELECT session_id FROM msession_state WHERE game_id = ?1 AND player = ?2)";
static const char forget_state_sql[] =
    "DELETE FROM msession_state WHERE game_id = ?1 AND player = ?2";

static int forget_rows(sqlite3 *db, const char *sql, int64_t game_id, const char *player) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, player, -1, SQLITE_STATIC);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

int ps_sqlite_state_msession_forget(ps_state_store *store, int64_t game_id, const char *player,
                                    int64_t *removed) {
  sqlite_state *s = (sqlite_state *)store;
  *removed = 0;
  pthread_mutex_lock(&s->lock);
  int rc = ps_sqlite_exec(s->db, "BEGIN IMMEDIATE");
  if (rc == PS_OK) {
    rc = forget_rows(s->db, forget_nonces_sql, game_id, player);
    if (rc == PS_OK) rc = forget_rows(s->db, forget_state_sql, game_id, player);
    if (rc == PS_OK) *removed = sqlite3_changes(s->db);
    if (rc == PS_OK) rc = ps_sqlite_exec(s->db, "COMMIT");
    if (rc != PS_OK) {
      ps_sqlite_exec(s->db, "ROLLBACK");
      *removed = 0;
    }
  }
  if (rc == PS_OK &&
      sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK) {
    ps_warn("sqlite: checkpoint after a player deletion: %s", sqlite3_errmsg(s->db));
    rc = PS_EIO;
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}
