/*
 * games.c: games and read-API tokens in the PostgreSQL state store (state.h; tables in
 * schema.c).
 *
 * A game's id comes from the games table's sequence (BIGSERIAL): unique across every node,
 * increasing in creation order on one node (two nodes creating at once may commit in the
 * other order; game_list orders by id either way). created_ms is the creating node's clock,
 * as the SQLite store sets it. A token is kept only as the hash the caller gives, with its role
 * ("viewer" or "admin": checked here and by the table's CHECK constraint; tokens made before
 * roles existed became viewers, schema.c version 2).
 */
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errors.h"
#include "store/postgres/internal.h"

#define GAME_COLUMNS \
  "id, name, project_id, game_key, secret_key, metrics_key, token_secret, created_ms"

static void read_game(PGresult *res, int row, ps_game *g) {
  memset(g, 0, sizeof *g);
  g->id = ps_pg_get_int(res, row, 0);
  ps_pg_copy_text(g->name, sizeof g->name, res, row, 1);
  ps_pg_copy_text(g->project_id, sizeof g->project_id, res, row, 2);
  ps_pg_copy_text(g->game_key, sizeof g->game_key, res, row, 3);
  ps_pg_copy_text(g->secret_key, sizeof g->secret_key, res, row, 4);
  ps_pg_copy_text(g->metrics_key, sizeof g->metrics_key, res, row, 5);
  ps_pg_copy_text(g->token_secret, sizeof g->token_secret, res, row, 6);
  g->created_ms = ps_pg_get_int(res, row, 7);
}

static int create_game(ps_pg_conn *c, void *ctx) {
  ps_game *g = ctx;
  ps_pg_int created = ps_pg_int_text(g->created_ms);
  const char *params[] = {g->name,        g->project_id,   g->game_key, g->secret_key,
                          g->metrics_key, g->token_secret, created.text};
  PGresult *res;
  int rc = ps_pg_query(c, "game create",
                       "INSERT INTO games(name, project_id, game_key, secret_key, metrics_key,"
                       " token_secret, created_ms) VALUES($1,$2,$3,$4,$5,$6,$7::bigint)"
                       " RETURNING id",
                       7, params, &res);
  if (rc != PS_OK) return rc;
  g->id = ps_pg_get_int(res, 0, 0);
  PQclear(res);
  return PS_OK;
}

int ps_pg_game_create(ps_state_store *store, ps_game *game) {
  game->created_ms = ps_now_ms();
  return ps_pg_transaction(ps_pg_pool_of(store), "game create", create_game, game);
}

typedef struct game_list {
  ps_game *items;
  size_t n;
} game_list;

static int list_games(ps_pg_conn *c, void *ctx) {
  game_list *l = ctx;
  PGresult *res;
  int rc = ps_pg_query(c, "game list", "SELECT " GAME_COLUMNS " FROM games ORDER BY id", 0, NULL,
                       &res);
  if (rc != PS_OK) return rc;
  int rows = PQntuples(res);
  free(l->items);
  l->n = 0;
  l->items = calloc(rows ? (size_t)rows : 1, sizeof *l->items);
  if (!l->items) {
    PQclear(res);
    return PS_ENOMEM;
  }
  for (int i = 0; i < rows; i++) read_game(res, i, &l->items[l->n++]);
  PQclear(res);
  return PS_OK;
}

int ps_pg_game_list(ps_state_store *store, ps_game **games, size_t *count) {
  game_list l = {0};
  int rc = ps_pg_transaction(ps_pg_pool_of(store), "game list", list_games, &l);
  if (rc != PS_OK) {
    free(l.items);
    return rc;
  }
  *games = l.items;
  *count = l.n;
  return PS_OK;
}

typedef struct game_query {
  const char *game_key; /* NULL: by id */
  int64_t id;
  ps_game *out;
} game_query;

static int find_game(ps_pg_conn *c, void *ctx) {
  const game_query *q = ctx;
  ps_pg_int id = ps_pg_int_text(q->id);
  const char *params[] = {q->game_key ? q->game_key : id.text};
  PGresult *res;
  int rc = ps_pg_query(c, "game find",
                       q->game_key ? "SELECT " GAME_COLUMNS " FROM games WHERE game_key = $1"
                                   : "SELECT " GAME_COLUMNS " FROM games WHERE id = $1::bigint",
                       1, params, &res);
  if (rc != PS_OK) return rc;
  if (PQntuples(res) == 0)
    rc = PS_ENOTFOUND;
  else
    read_game(res, 0, q->out);
  PQclear(res);
  return rc;
}

int ps_pg_game_find(ps_state_store *store, const char *game_key, int64_t id, ps_game *out) {
  game_query q = {game_key, id, out};
  return ps_pg_transaction(ps_pg_pool_of(store), "game find", find_game, &q);
}

/* ---- read-API tokens ---- */

typedef struct token {
  const char *hash, *name, *role;
  int64_t created_ms;
  char *role_out; /* check: PS_ROLE_MAX bytes */
} token;

static int create_token(ps_pg_conn *c, void *ctx) {
  const token *t = ctx;
  ps_pg_int created = ps_pg_int_text(t->created_ms);
  const char *params[] = {t->hash, t->name, created.text, t->role};
  return ps_pg_query(c, "api token create",
                     "INSERT INTO api_tokens(token_sha256, name, created_ms, role)"
                     " VALUES($1,$2,$3::bigint,$4)",
                     4, params, NULL);
}

int ps_pg_api_token_create(ps_state_store *store, const char *hash, const char *name,
                           const char *role) {
  if (!role || (strcmp(role, "viewer") != 0 && strcmp(role, "admin") != 0)) return PS_EINVAL;
  token t = {hash, name, role, ps_now_ms(), NULL};
  return ps_pg_transaction(ps_pg_pool_of(store), "api token create", create_token, &t);
}

static int check_token(ps_pg_conn *c, void *ctx) {
  const token *t = ctx;
  const char *params[] = {t->hash};
  PGresult *res;
  int rc = ps_pg_query(c, "api token check",
                       "SELECT role FROM api_tokens WHERE token_sha256 = $1", 1, params, &res);
  if (rc != PS_OK) return rc;
  rc = PQntuples(res) > 0 ? PS_OK : PS_ENOTFOUND;
  if (rc == PS_OK) ps_pg_copy_text(t->role_out, PS_ROLE_MAX, res, 0, 0);
  PQclear(res);
  return rc;
}

int ps_pg_api_token_check(ps_state_store *store, const char *hash, char role[PS_ROLE_MAX]) {
  token t = {hash, NULL, NULL, 0, role};
  return ps_pg_transaction(ps_pg_pool_of(store), "api token check", check_token, &t);
}
