/*
 * accounts.c: service accounts in the PostgreSQL state store (state.h; table in schema.c).
 *
 * Only the secret's SHA-256 is stored (the caller hashes it). Roles are checked here and by
 * the table's CHECK constraint: a row never holds another role. A deletion is seen by every
 * node's next check (nothing caches accounts: src/auth/service_auth.c reads them each time).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errors.h"
#include "store/postgres/internal.h"

#define ACCOUNT_COLUMNS "key_id, project_id, name, secret_sha256, role, created_ms"

static void read_account(PGresult *res, int row, ps_service_account *a) {
  memset(a, 0, sizeof *a);
  ps_pg_copy_text(a->key_id, sizeof a->key_id, res, row, 0);
  ps_pg_copy_text(a->project_id, sizeof a->project_id, res, row, 1);
  ps_pg_copy_text(a->name, sizeof a->name, res, row, 2);
  ps_pg_copy_text(a->secret_sha256, sizeof a->secret_sha256, res, row, 3);
  ps_pg_copy_text(a->role, sizeof a->role, res, row, 4);
  a->created_ms = ps_pg_get_int(res, row, 5);
}

/* One statement with text parameters, in its own transaction: its rows (accounts) or the
 * number of rows it changed. */
typedef struct account_call {
  const char *what, *sql;
  const char *const *params;
  int nparams;
  ps_service_account *rows; /* out, malloc'd */
  size_t nrows;
  int64_t changed;
} account_call;

static int run_call(ps_pg_conn *c, void *ctx) {
  account_call *q = ctx;
  PGresult *res;
  int rc = ps_pg_query(c, q->what, q->sql, q->nparams, q->params, &res);
  if (rc != PS_OK) return rc;
  free(q->rows);
  q->rows = NULL;
  q->nrows = 0;
  q->changed = ps_pg_changed(res);
  int n = PQresultStatus(res) == PGRES_TUPLES_OK ? PQntuples(res) : 0;
  if (n > 0 && !(q->rows = calloc((size_t)n, sizeof *q->rows))) rc = PS_ENOMEM;
  for (int i = 0; rc == PS_OK && i < n; i++) read_account(res, i, &q->rows[q->nrows++]);
  PQclear(res);
  return rc;
}

static int call(ps_state_store *store, account_call *q) {
  int rc = ps_pg_transaction(ps_pg_pool_of(store), q->what, run_call, q);
  if (rc != PS_OK) {
    free(q->rows);
    q->rows = NULL;
    q->nrows = 0;
  }
  return rc;
}

int ps_pg_service_account_create(ps_state_store *store, const ps_service_account *a) {
  if (strcmp(a->role, "viewer") != 0 && strcmp(a->role, "writer") != 0) return PS_EINVAL;
  ps_pg_int created = ps_pg_int_text(a->created_ms ? a->created_ms : ps_now_ms());
  const char *params[] = {a->key_id, a->project_id, a->name, a->secret_sha256, a->role,
                          created.text};
  account_call q = {"service account create",
                    "INSERT INTO service_accounts(" ACCOUNT_COLUMNS ")"
                    " VALUES($1,$2,$3,$4,$5,$6::bigint)",
                    params, 6, NULL, 0, 0};
  return call(store, &q);
}

int ps_pg_service_account_find(ps_state_store *store, const char *key_id,
                               ps_service_account *out) {
  const char *params[] = {key_id};
  account_call q = {"service account find",
                    "SELECT " ACCOUNT_COLUMNS " FROM service_accounts WHERE key_id = $1", params,
                    1, NULL, 0, 0};
  int rc = call(store, &q);
  if (rc == PS_OK && q.nrows == 0) rc = PS_ENOTFOUND;
  if (rc == PS_OK) *out = q.rows[0];
  free(q.rows);
  return rc;
}

int ps_pg_service_account_list(ps_state_store *store, const char *project_id,
                               ps_service_account **out, size_t *count) {
  const char *params[] = {project_id};
  account_call q = {"service account list",
                    "SELECT " ACCOUNT_COLUMNS " FROM service_accounts"
                    " WHERE $1::text IS NULL OR project_id = $1 ORDER BY created_ms, key_id COLLATE \"C\"",
                    params, 1, NULL, 0, 0};
  int rc = call(store, &q);
  if (rc != PS_OK) return rc;
  *out = q.rows;
  *count = q.nrows;
  return PS_OK;
}

int ps_pg_service_account_delete(ps_state_store *store, const char *key_id) {
  const char *params[] = {key_id};
  account_call q = {"service account delete", "DELETE FROM service_accounts WHERE key_id = $1",
                    params, 1, NULL, 0, 0};
  int rc = call(store, &q);
  return rc == PS_OK && q.changed == 0 ? PS_ENOTFOUND : rc;
}
