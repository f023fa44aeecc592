/*
 * games.c: games and read-API tokens in the SQLite state store (see state.h).
 *
 *   games(id, name, project_id, game_key, secret_key, metrics_key, token_secret, created_ms)
 *   api_tokens(token_sha256, name, created_ms, role)     read-API tokens (hashes only)
 *
 * A token's role is "viewer" or "admin", checked here: a row never holds another (rows made
 * before roles existed became viewers: db.c, version 9).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/internal.h"

#define GAME_COLUMNS \
  "id, name, project_id, game_key, secret_key, metrics_key, token_secret, created_ms"

static void read_game(sqlite3_stmt *st, ps_game *g) {
  memset(g, 0, sizeof *g);
  g->id = sqlite3_column_int64(st, 0);
  ps_sqlite_copy_text(g->name, sizeof g->name, st, 1);
  ps_sqlite_copy_text(g->project_id, sizeof g->project_id, st, 2);
  ps_sqlite_copy_text(g->game_key, sizeof g->game_key, st, 3);
  ps_sqlite_copy_text(g->secret_key, sizeof g->secret_key, st, 4);
  ps_sqlite_copy_text(g->metrics_key, sizeof g->metrics_key, st, 5);
  ps_sqlite_copy_text(g->token_secret, sizeof g->token_secret, st, 6);
  g->created_ms = sqlite3_column_int64(st, 7);
}

int ps_sqlite_game_create(ps_state_store *base, ps_game *game) {
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->lock);
  game->created_ms = ps_now_ms();
  if (sqlite3_prepare_v2(s->db,
                         "INSERT INTO games(name, project_id, game_key, secret_key,"
                         " metrics_key, token_secret, created_ms) VALUES(?,?,?,?,?,?,?)",
                         -1, &st, NULL) != SQLITE_OK)
    goto out;
  sqlite3_bind_text(st, 1, game->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, game->project_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, game->game_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, game->secret_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, game->metrics_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, game->token_secret, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, game->created_ms);
  int step = sqlite3_step(st);
  if (step == SQLITE_CONSTRAINT) {
    rc = PS_EEXIST;
    goto out;
  }
  if (step != SQLITE_DONE) {
    ps_error_log("sqlite: game create: %s", sqlite3_errmsg(s->db));
    goto out;
  }
  game->id = sqlite3_last_insert_rowid(s->db);
  rc = PS_OK;
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int ps_sqlite_game_list(ps_state_store *base, ps_game **games, size_t *count) {
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  ps_game *list = NULL;
  size_t n = 0, cap = 0;
  int rc = PS_EIO, step;
  pthread_mutex_lock(&s->lock);
  if (sqlite3_prepare_v2(s->db, "SELECT " GAME_COLUMNS " FROM games ORDER BY id", -1, &st,
                         NULL) != SQLITE_OK)
    goto out;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      ps_game *grown = realloc(list, cap * sizeof *list);
      if (!grown) {
        rc = PS_ENOMEM;
        goto out;
      }
      list = grown;
    }
    read_game(st, &list[n++]);
  }
  if (step != SQLITE_DONE) goto out;
  *games = list;
  *count = n;
  list = NULL;
  rc = PS_OK;
out:
  free(list);
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int ps_sqlite_game_find(ps_state_store *base, const char *key, int64_t id, ps_game *out) {
  sqlite_state *s = (sqlite_state *)base;
  const char *where = key ? "game_key" : "id";
  char sql[256];
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  snprintf(sql, sizeof sql, "SELECT " GAME_COLUMNS " FROM games WHERE %s = ?", where);
  pthread_mutex_lock(&s->lock);
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) goto out;
  if (key)
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  else
    sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    read_game(st, out);
    rc = PS_OK;
  } else if (step == SQLITE_DONE) {
    rc = PS_ENOTFOUND;
  }
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

/* ---- read-API tokens ---- */

int ps_sqlite_api_token_create(ps_state_store *base, const char *hash, const char *name,
                               const char *role) {
  if (!role || (strcmp(role, "viewer") != 0 && strcmp(role, "admin") != 0)) return PS_EINVAL;
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->lock);
  if (sqlite3_prepare_v2(s->db,
                         "INSERT INTO api_tokens(token_sha256, name, created_ms, role)"
                         " VALUES(?,?,?,?)",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ps_now_ms());
    sqlite3_bind_text(st, 4, role, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    rc = step == SQLITE_DONE ? PS_OK : step == SQLITE_CONSTRAINT ? PS_EEXIST : PS_EIO;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int ps_sqlite_api_token_check(ps_state_store *base, const char *hash, char role[PS_ROLE_MAX]) {
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->lock);
  if (sqlite3_prepare_v2(s->db, "SELECT role FROM api_tokens WHERE token_sha256 = ?", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) ps_sqlite_copy_text(role, PS_ROLE_MAX, st, 0);
    rc = step == SQLITE_ROW ? PS_OK : step == SQLITE_DONE ? PS_ENOTFOUND : PS_EIO;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}
