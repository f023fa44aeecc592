/*
 * state.c: the PostgreSQL state store (`--state postgres://...` or postgresql://...): its
 * handle and ops table, apply(), and the protocol state several nodes share (games and
 * tokens: games.c; service accounts: accounts.c; tables: schema.c).
 *
 * Every call is one transaction on a pooled connection (conn.c), durable when it returns 0.
 * What two nodes may apply at the same moment, and how they agree:
 * - A metrics session: a start inserts the session (ON CONFLICT: only maxima move); a heartbeat
 *   or an end moves max_order_id, last_received_ms and ended forward only (GREATEST), so two
 *   nodes applying requests out of order end at the maxima; a nonce is a key (ON CONFLICT DO
 *   NOTHING). Re-applying changes nothing.
 * - A multiplayer session's anonymity: the first event's upsert of so_anonymity keeps the
 *   first writer's salt and locks the session's row until commit, so the applies of one
 *   session are serialised across nodes; then each player is inserted (ON CONFLICT DO NOTHING)
 *   and read back. A record anonymised under another salt, or naming a player with another
 *   number than the store's (or a number another player holds), was numbered by a node that
 *   did not know what another node committed meanwhile: apply() refuses it whole (PS_EEXIST,
 *   logged), the ingest path answers 503 and forgets its cached numbers
 *   (ingest/sessions/anonymizer.h), and the client's resend is numbered from the store. So
 *   the stored numbering is the same for every node and never has two players on one number.
 * - Expiry deletes a session's row and, by the foreign key, its players. Unlike the SQLite
 *   store, PostgreSQL may keep the deleted rows' bytes in its files (dead tuples until VACUUM,
 *   WAL segments until recycled): the server's own retention governs those.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/postgres/internal.h"
#include "store/postgres/rates.h"

/* Connections per handle: the ingest writer, the request threads' lookups, upkeep. */
#define POOL_SIZE 8

/* ---- apply ---- */

static int apply_msession(ps_pg_conn *c, const ps_record *r) {
  const ps_msession_record *m = r->msession;
  ps_pg_int game = ps_pg_int_text(r->game_id), order = ps_pg_int_text(m->order_id),
            received = ps_pg_int_text(r->received_ms), kind = ps_pg_int_text((int64_t)m->kind),
            ts = ps_pg_int_text(m->ts_ms);
  const char *ended = m->kind == PS_MSESSION_REC_END ? "1" : "0";
  int rc;
  if (m->kind == PS_MSESSION_REC_START) {
    const char *params[] = {game.text, m->session_id, m->player, order.text, received.text};
    rc = ps_pg_query(c, "apply: metrics session start",
                     "INSERT INTO msession_state AS s(game_id, session_id, player, max_order_id,"
                     " last_received_ms, ended) VALUES($1::bigint,$2,$3,$4::bigint,$5::bigint,0)"
                     " ON CONFLICT (game_id, session_id) DO UPDATE SET"
                     " max_order_id = GREATEST(s.max_order_id, EXCLUDED.max_order_id),"
                     " last_received_ms = GREATEST(s.last_received_ms, EXCLUDED.last_received_ms)",
                     5, params, NULL);
  } else {
    const char *params[] = {game.text, m->session_id, order.text, received.text, ended};
    rc = ps_pg_query(c, "apply: metrics session advance",
                     "UPDATE msession_state SET"
                     " max_order_id = GREATEST(max_order_id, $3::bigint),"
                     " last_received_ms = GREATEST(last_received_ms, $4::bigint),"
                     " ended = GREATEST(ended, $5::int)"
                     " WHERE game_id = $1::bigint AND session_id = $2",
                     5, params, NULL);
  }
  if (rc != PS_OK) return rc;
  const char *params[] = {game.text, m->session_id, m->nonce, kind.text,
                          order.text, ts.text,      received.text};
  return ps_pg_query(c, "apply: metrics session nonce",
                     "INSERT INTO msession_nonces(game_id, session_id, nonce, kind, order_id,"
                     " ts_ms, received_ms) VALUES($1::bigint,$2,$3,$4::int,$5::bigint,"
                     "$6::bigint,$7::bigint) ON CONFLICT DO NOTHING",
                     7, params, NULL);
}

/* The log names the session by its ids, never by a player. */
static int numbered_elsewhere(const ps_so_key *key, const char *what) {
  ps_warn("postgres: multiplayer session %s/%s/%s: %s; refused, to be resent", key->project_id,
          key->environment_id, key->session_id, what);
  return PS_EEXIST;
}

/* Keeps the session's salt and dates (first writer's salt; earliest dates), locking its row
 * until commit; PS_EEXIST when the stored salt is not the record's. */
static int apply_salt(ps_pg_conn *c, const ps_so_event_record *e) {
  ps_pg_int first = ps_pg_int_text(e->ts_ms);
  const char *salt = e->salt ? e->salt : "";
  const char *params[] = {e->session.project_id, e->session.environment_id,
                          e->session.session_id, salt, first.text,
                          strcmp(e->type, "match.created") == 0 ? first.text : NULL};
  PGresult *res;
  int rc = ps_pg_query(c, "apply: session salt",
                       "INSERT INTO so_anonymity AS a(project_id, environment_id, session_id, salt,"
                       " first_ms, match_created_ms) VALUES($1,$2,$3,$4,$5::bigint,$6::bigint)"
                       " ON CONFLICT (project_id, environment_id, session_id) DO UPDATE SET"
                       " first_ms = LEAST(a.first_ms, EXCLUDED.first_ms),"
                       " match_created_ms = LEAST(a.match_created_ms, EXCLUDED.match_created_ms)"
                       " RETURNING salt",
                       6, params, &res);
  if (rc != PS_OK) return rc;
  int same = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), salt) == 0;
  PQclear(res);
  return same ? PS_OK : numbered_elsewhere(&e->session, "another node chose its salt first");
}

/* Keeps one player's number (the session's row is locked: apply_salt); PS_EEXIST when the
 * store gives that player, or that number, to another. */
static int apply_player(ps_pg_conn *c, const ps_so_event_record *e, const ps_so_player *p) {
  ps_pg_int number = ps_pg_int_text(p->number);
  const char *params[] = {e->session.project_id, e->session.environment_id,
                          e->session.session_id, p->hash, number.text};
  PGresult *res;
  int rc = ps_pg_query(c, "apply: session player",
                       "INSERT INTO so_anonymity_players(project_id, environment_id, session_id,"
                       " hash, number) VALUES($1,$2,$3,$4,$5::bigint) ON CONFLICT DO NOTHING",
                       5, params, &res);
  if (rc != PS_OK) return rc;
  int inserted = ps_pg_changed(res) == 1;
  PQclear(res);
  if (inserted) return PS_OK;
  /* Known already: the same player with the same number (a resend, or a later event) is fine. */
  rc = ps_pg_query(c, "apply: session player",
                   "SELECT 1 FROM so_anonymity_players WHERE project_id = $1 AND"
                   " environment_id = $2 AND session_id = $3 AND hash = $4 AND number = $5::bigint",
                   5, params, &res);
  if (rc != PS_OK) return rc;
  int same = PQntuples(res) == 1;
  PQclear(res);
  return same ? PS_OK : numbered_elsewhere(&e->session, "another node numbered its players");
}

static int apply_so_event(ps_pg_conn *c, const ps_record *r) {
  const ps_so_event_record *e = r->so_event;
  int rc = apply_salt(c, e);
  for (size_t i = 0; rc == PS_OK && i < e->nplayers; i++) rc = apply_player(c, e, &e->players[i]);
  return rc;
}

static int carries_state(const ps_record *r, unsigned kinds) {
  return (r->kind == PS_RECORD_MSESSION || r->kind == PS_RECORD_SO_EVENT) &&
         (kinds & PS_RECORD_BIT(r->kind));
}

typedef struct apply_call {
  const ps_record_span *spans;
  size_t nspans;
  unsigned kinds;
} apply_call;

static int any_state(const apply_call *q) {
  for (size_t i = 0; i < q->nspans; i++)
    for (size_t j = 0; j < q->spans[i].count; j++)
      if (carries_state(&q->spans[i].records[j], q->kinds)) return 1;
  return 0;
}

static int apply_all(ps_pg_conn *c, void *ctx) {
  const apply_call *q = ctx;
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < q->nspans; i++)
    for (size_t j = 0; rc == PS_OK && j < q->spans[i].count; j++) {
      const ps_record *r = &q->spans[i].records[j];
      if (!carries_state(r, q->kinds)) continue;
      rc = r->kind == PS_RECORD_MSESSION ? apply_msession(c, r) : apply_so_event(c, r);
    }
  return rc;
}

static int pg_state_apply(ps_state_store *store, const ps_record_span *spans, size_t nspans,
                          unsigned kinds) {
  apply_call q = {spans, nspans, kinds};
  if (!any_state(&q)) return PS_OK;
  return ps_pg_transaction(ps_pg_pool_of(store), "state apply", apply_all, &q);
}

/* ---- loads ---- */

/* What a load reads, in one snapshot (REPEATABLE READ): a parent row and its child rows, both
 * selected by the same parameters. Once the transaction has committed, parent() decodes the
 * parent row and child() visits each child row (a nonzero return stops the visit and is
 * returned): a transaction run again (conn.c) never visits a row twice. */
typedef struct load {
  const char *what, *parent_sql, *child_sql;
  const char *const *params;
  int nparams;
  void (*parent)(PGresult *res, void *ctx);
  int (*child)(PGresult *res, int row, void *ctx);
  void *ctx;
  PGresult *parent_rows, *child_rows; /* what the last run read */
} load;

static void forget_rows(load *l) {
  PQclear(l->parent_rows);
  PQclear(l->child_rows);
  l->parent_rows = l->child_rows = NULL;
}

static int read_load(ps_pg_conn *c, void *ctx) {
  load *l = ctx;
  forget_rows(l);
  int rc = ps_pg_query(c, l->what, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
                       0, NULL, NULL);
  if (rc == PS_OK)
    rc = ps_pg_query(c, l->what, l->parent_sql, l->nparams, l->params, &l->parent_rows);
  if (rc != PS_OK) return rc;
  if (PQntuples(l->parent_rows) == 0) return PS_ENOTFOUND;
  return ps_pg_query(c, l->what, l->child_sql, l->nparams, l->params, &l->child_rows);
}

static int run_load(ps_state_store *store, load *l) {
  int rc = ps_pg_transaction(ps_pg_pool_of(store), l->what, read_load, l);
  if (rc == PS_OK) {
    l->parent(l->parent_rows, l->ctx);
    for (int i = 0; rc == PS_OK && i < PQntuples(l->child_rows); i++)
      rc = l->child(l->child_rows, i, l->ctx);
  }
  forget_rows(l);
  return rc;
}

typedef struct msession_load_ctx {
  ps_msession_state *out;
  ps_nonce_visitor visit;
  void *ctx;
} msession_load_ctx;

static void msession_row(PGresult *res, void *arg) {
  ps_msession_state *out = ((msession_load_ctx *)arg)->out;
  memset(out, 0, sizeof *out);
  ps_pg_copy_text(out->player, sizeof out->player, res, 0, 0);
  out->max_order_id = ps_pg_get_int(res, 0, 1);
  out->last_received_ms = ps_pg_get_int(res, 0, 2);
  out->ended = ps_pg_get_int(res, 0, 3) != 0;
}

static int nonce_row(PGresult *res, int row, void *arg) {
  const msession_load_ctx *q = arg;
  ps_msession_nonce n = {PQgetvalue(res, row, 0), (ps_msession_rec_kind)ps_pg_get_int(res, row, 1),
                         ps_pg_get_int(res, row, 2), ps_pg_get_int(res, row, 3),
                         ps_pg_get_int(res, row, 4)};
  return q->visit(&n, q->ctx);
}

static int pg_msession_load(ps_state_store *store, int64_t game_id, const char *session_id,
                            ps_msession_state *out, ps_nonce_visitor visit, void *ctx) {
  ps_pg_int game = ps_pg_int_text(game_id);
  const char *params[] = {game.text, session_id};
  msession_load_ctx c = {out, visit, ctx};
  load l = {"metrics session load",
            "SELECT player, max_order_id, last_received_ms, ended FROM msession_state"
            " WHERE game_id = $1::bigint AND session_id = $2",
            "SELECT nonce, kind, order_id, ts_ms, received_ms FROM msession_nonces"
            " WHERE game_id = $1::bigint AND session_id = $2",
            params, 2, msession_row, nonce_row, &c, NULL, NULL};
  return run_load(store, &l);
}

typedef struct anonymity_load_ctx {
  char *salt;
  ps_so_player_visitor visit;
  void *ctx;
} anonymity_load_ctx;

static void salt_row(PGresult *res, void *arg) {
  ps_pg_copy_text(((anonymity_load_ctx *)arg)->salt, 65, res, 0, 0);
}

static int player_row(PGresult *res, int row, void *arg) {
  const anonymity_load_ctx *q = arg;
  ps_so_player p = {PQgetvalue(res, row, 0), ps_pg_get_int(res, row, 1)};
  return q->visit(&p, q->ctx);
}

static int pg_so_anonymity_load(ps_state_store *store, const ps_so_key *key, char *salt,
                                ps_so_player_visitor visit, void *ctx) {
  const char *params[] = {key->project_id, key->environment_id, key->session_id};
  anonymity_load_ctx c = {salt, visit, ctx};
  load l = {"session anonymity load",
            "SELECT salt FROM so_anonymity WHERE project_id = $1 AND environment_id = $2"
            " AND session_id = $3",
            "SELECT hash, number FROM so_anonymity_players WHERE project_id = $1"
            " AND environment_id = $2 AND session_id = $3 ORDER BY number",
            params, 3, salt_row, player_row, &c, NULL, NULL};
  return run_load(store, &l);
}

static int expire(ps_pg_conn *c, void *ctx) {
  ps_pg_int before = ps_pg_int_text(*(const int64_t *)ctx);
  const char *params[] = {before.text};
  return ps_pg_query(c, "session anonymity expiry",
                     "DELETE FROM so_anonymity WHERE created_ms < $1::bigint", 1, params, NULL);
}

static int pg_so_anonymity_expire(ps_state_store *store, int64_t before_ms) {
  return ps_pg_transaction(ps_pg_pool_of(store), "session anonymity expiry", expire, &before_ms);
}

typedef struct forget_ctx {
  int64_t game_id;
  const char *player;
} forget_ctx;

static int forget(ps_pg_conn *c, void *ctx) {
  const forget_ctx *f = ctx;
  ps_pg_int game = ps_pg_int_text(f->game_id);
  const char *params[] = {game.text, f->player};
  int rc = ps_pg_query(c, "a player's metrics sessions",
                       "DELETE FROM msession_nonces WHERE game_id = $1::bigint AND session_id IN"
                       " (SELECT session_id FROM msession_state WHERE game_id = $1::bigint"
                       " AND player = $2)",
                       2, params, NULL);
  return rc != PS_OK ? rc
                     : ps_pg_query(c, "a player's metrics sessions",
                                   "DELETE FROM msession_state WHERE game_id = $1::bigint"
                                   " AND player = $2",
                                   2, params, NULL);
}

/* Deleted rows stay in PostgreSQL's files until VACUUM reclaims them (docs/lifecycle.md). */
static int pg_msession_forget_player(ps_state_store *store, int64_t game_id, const char *player) {
  forget_ctx f = {game_id, player};
  return ps_pg_transaction(ps_pg_pool_of(store), "a player's deletion", forget, &f);
}

/* ---- the handle ---- */

static void pg_state_close(ps_state_store *base) {
  pg_state *s = (pg_state *)base;
  if (!s) return;
  ps_pg_pool_close(s->pool);
  free(s);
}

extern const ps_state_store_ops ps_postgres_state_ops;

/* location: what follows "postgres:" or "postgresql:" in the URL ("//user@host:port/db?..."),
 * given to libpq as the URI "postgresql:<location>". */
static int pg_state_open(const char *location, const ps_store_options *options,
                         ps_state_store **out) {
  (void)options;
  *out = NULL;
  if (strncmp(location, "//", 2) != 0) {
    ps_error_log("postgres: the state URL must be postgres://[user@]host[:port]/database[?...]");
    return PS_EINVAL;
  }
  size_t len = strlen("postgresql:") + strlen(location) + 1;
  char *uri = malloc(len);
  pg_state *s = calloc(1, sizeof *s);
  if (!uri || !s) {
    free(uri);
    free(s);
    return PS_ENOMEM;
  }
  snprintf(uri, len, "postgresql:%s", location);
  s->base.ops = &ps_postgres_state_ops;
  int rc = ps_pg_pool_open(uri, POOL_SIZE, &s->pool);
  memset(uri, 0, len); /* it may hold a password */
  free(uri);
  if (rc == PS_OK) rc = ps_pg_schema_upgrade(s->pool);
  if (rc != PS_OK) {
    pg_state_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return PS_OK;
}

const ps_state_store_ops ps_postgres_state_ops = {
    .name = "postgres",
    .shared = 1,
    .open = pg_state_open,
    .close = pg_state_close,
    .game_create = ps_pg_game_create,
    .game_list = ps_pg_game_list,
    .game_find = ps_pg_game_find,
    .api_token_create = ps_pg_api_token_create,
    .api_token_check = ps_pg_api_token_check,
    .service_account_create = ps_pg_service_account_create,
    .service_account_find = ps_pg_service_account_find,
    .service_account_list = ps_pg_service_account_list,
    .service_account_delete = ps_pg_service_account_delete,
    .apply = pg_state_apply,
    .msession_load = pg_msession_load,
    .so_anonymity_load = pg_so_anonymity_load,
    .export_record = ps_pg_export_record,
    .export_find = ps_pg_export_find,
    .so_anonymity_expire = pg_so_anonymity_expire,
    .msession_forget_player = pg_msession_forget_player,
    .rates_put = ps_pg_rates_put,
    .rates_read = ps_pg_rates_read,
    .game_currency_set = ps_pg_game_currency_set,
    .game_currency_get = ps_pg_game_currency_get,
};
