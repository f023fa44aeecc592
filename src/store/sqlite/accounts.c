/*
 * sqlite_accounts.c: service accounts in the SQLite backend (see store.h).
 *
 *   service_accounts(key_id PRIMARY KEY, project_id, name, secret_sha256, role, created_ms)
 *
 * Only the secret's SHA-256 is stored. Roles are checked here too: a row never holds another.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/array.h"
#include "common/errors.h"
#include "store/sqlite/internal.h"

const char ps_sqlite_accounts_schema[] =
    "CREATE TABLE IF NOT EXISTS service_accounts("
    "  key_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,"
    "  secret_sha256 TEXT NOT NULL, role TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS service_accounts_by_project"
    "  ON service_accounts(project_id, created_ms);";

#define ACCOUNT_COLUMNS "key_id, project_id, name, secret_sha256, role, created_ms"

static void read_account(sqlite3_stmt *st, ps_service_account *a) {
  memset(a, 0, sizeof *a);
  ps_sqlite_copy_text(a->key_id, sizeof a->key_id, st, 0);
  ps_sqlite_copy_text(a->project_id, sizeof a->project_id, st, 1);
  ps_sqlite_copy_text(a->name, sizeof a->name, st, 2);
  ps_sqlite_copy_text(a->secret_sha256, sizeof a->secret_sha256, st, 3);
  ps_sqlite_copy_text(a->role, sizeof a->role, st, 4);
  a->created_ms = sqlite3_column_int64(st, 5);
}

/* Runs sql (text parameters bound in order, NULL ones as NULL) on the shared connection; each
 * result row goes to row(), or, without row(), *changed tells whether a row changed (may be
 * NULL). Returns PS_OK, PS_EIO, PS_EEXIST (a constraint) or what row() returned. */
static int run(sqlite_state *s, const char *sql, const char *const *texts, size_t ntexts,
               int (*row)(sqlite3_stmt *st, void *ctx), void *ctx, int *changed) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->lock);
  if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
    for (size_t i = 0; i < ntexts; i++) ps_sqlite_bind_optional_text(st, (int)i + 1, texts[i]);
    if (row) {
      rc = ps_sqlite_each_row(st, row, ctx);
    } else {
      int step = sqlite3_step(st);
      rc = step == SQLITE_DONE ? PS_OK : step == SQLITE_CONSTRAINT ? PS_EEXIST : PS_EIO;
      if (changed) *changed = sqlite3_changes(s->db) > 0;
    }
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int ps_sqlite_service_account_create(ps_state_store *base, const ps_service_account *a) {
  if (strcmp(a->role, "viewer") != 0 && strcmp(a->role, "writer") != 0) return PS_EINVAL;
  char created[24];
  snprintf(created, sizeof created, "%lld", (long long)(a->created_ms ? a->created_ms : ps_now_ms()));
  const char *texts[] = {a->key_id, a->project_id, a->name, a->secret_sha256, a->role, created};
  return run((sqlite_state *)base,
             "INSERT INTO service_accounts(" ACCOUNT_COLUMNS ") VALUES(?,?,?,?,?,CAST(? AS INTEGER))",
             texts, 6, NULL, NULL, NULL);
}

typedef struct accounts {
  ps_service_account *items;
  size_t n, cap;
} accounts;

static int account_row(sqlite3_stmt *st, void *arg) {
  accounts *l = arg;
  if (PS_ARRAY_RESERVE(l->items, l->n, l->cap)) return PS_ENOMEM;
  read_account(st, &l->items[l->n++]);
  return 0;
}

int ps_sqlite_service_account_find(ps_state_store *base, const char *key_id, ps_service_account *out) {
  accounts l = {0};
  const char *texts[] = {key_id};
  int rc = run((sqlite_state *)base,
               "SELECT " ACCOUNT_COLUMNS " FROM service_accounts WHERE key_id = ?", texts, 1,
               account_row, &l, NULL);
  if (rc == PS_OK && l.n == 0) rc = PS_ENOTFOUND;
  if (rc == PS_OK) *out = l.items[0];
  free(l.items);
  return rc;
}

int ps_sqlite_service_account_list(ps_state_store *base, const char *project_id,
                                   ps_service_account **out, size_t *count) {
  accounts l = {0};
  const char *texts[] = {project_id};
  int rc = run((sqlite_state *)base,
               "SELECT " ACCOUNT_COLUMNS " FROM service_accounts"
               " WHERE ?1 IS NULL OR project_id = ?1 ORDER BY created_ms, key_id",
               texts, 1, account_row, &l, NULL);
  if (rc != PS_OK) {
    free(l.items);
    return rc;
  }
  *out = l.items;
  *count = l.n;
  return PS_OK;
}

int ps_sqlite_service_account_delete(ps_state_store *base, const char *key_id) {
  const char *texts[] = {key_id};
  int changed = 0;
  int rc = run((sqlite_state *)base, "DELETE FROM service_accounts WHERE key_id = ?", texts, 1,
               NULL, NULL, &changed);
  return rc == PS_OK && !changed ? PS_ENOTFOUND : rc;
}
