/*
 * rates.c: exchange rates and each game's reporting currency in the PostgreSQL state store
 * (state.h: rates_put, rates_read, game_currency_set, game_currency_get; tables in schema.c,
 * version 4):
 *
 *   exchange_rates(day, currency, per_eur)  PRIMARY KEY(day, currency)   units per euro
 *   game_currency(game_id PRIMARY KEY, currency)                         reporting currency
 *
 * Guarantees: rates_put checks every rate before it writes any (ps_rate_valid), then writes
 * them in one transaction, CHUNK rates per statement (three arrays unnested: a statement per
 * rate would cost a round trip each), the last of a repeated (day, currency) winning as in
 * the SQLite store; two nodes loading at once leave one row per (day, currency).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "store/currency.h"
#include "store/postgres/internal.h"
#include "store/postgres/rates.h"

#define CHUNK 2000

typedef struct put_call {
  const ps_rate *rates;
  size_t n;
} put_call;

/* The three array literals of rates[0..n) (codes are letters, numbers digits: no quoting). */
static int put_arrays(const ps_rate *rates, size_t n, ps_buf *days, ps_buf *codes,
                      ps_buf *values) {
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    const char *sep = i ? "," : "{";
    rc = ps_buf_printf(days, "%s%lld", sep, (long long)rates[i].day);
    if (rc == PS_OK) rc = ps_buf_printf(codes, "%s%s", sep, rates[i].currency);
    if (rc == PS_OK) rc = ps_buf_printf(values, "%s%.17g", sep, rates[i].per_eur);
  }
  if (rc == PS_OK) rc = ps_buf_append_str(days, "}");
  if (rc == PS_OK) rc = ps_buf_append_str(codes, "}");
  if (rc == PS_OK) rc = ps_buf_append_str(values, "}");
  return rc;
}

static int put(ps_pg_conn *c, void *ctx) {
  const put_call *call = ctx;
  int rc = PS_OK;
  for (size_t at = 0; rc == PS_OK && at < call->n; at += CHUNK) {
    size_t n = call->n - at < CHUNK ? call->n - at : CHUNK;
    ps_buf days = {0}, codes = {0}, values = {0};
    rc = put_arrays(call->rates + at, n, &days, &codes, &values);
    const char *params[] = {days.data, codes.data, values.data};
    if (rc == PS_OK)
      rc = ps_pg_query(c, "rates put",
                       "INSERT INTO exchange_rates(day, currency, per_eur)"
                       " SELECT DISTINCT ON (d, k) d, k, r FROM"
                       " unnest($1::bigint[], $2::text[], $3::float8[]) WITH ORDINALITY"
                       " AS t(d, k, r, o) ORDER BY d, k, o DESC"
                       " ON CONFLICT (day, currency) DO UPDATE SET per_eur = excluded.per_eur",
                       3, params, NULL);
    ps_buf_free(&days);
    ps_buf_free(&codes);
    ps_buf_free(&values);
  }
  return rc;
}

int ps_pg_rates_put(ps_state_store *store, const ps_rate *rates, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!ps_rate_valid(&rates[i])) return PS_EINVAL;
  if (n == 0) return PS_OK;
  put_call call = {rates, n};
  return ps_pg_transaction(ps_pg_pool_of(store), "rates put", put, &call);
}

typedef struct read_call {
  int64_t from_day, to_day;
  ps_rate_visitor visit;
  void *ctx;
} read_call;

static int read_rates(ps_pg_conn *c, void *ctx) {
  const read_call *q = ctx;
  ps_pg_int from = ps_pg_int_text(q->from_day), to = ps_pg_int_text(q->to_day);
  const char *params[] = {from.text, to.text};
  PGresult *res;
  int rc = ps_pg_query(c, "rates read",
                       "SELECT day, currency, per_eur FROM exchange_rates"
                       " WHERE day >= $1::bigint AND day < $2::bigint ORDER BY day, currency",
                       2, params, &res);
  if (rc != PS_OK) return rc;
  for (int row = 0; rc == PS_OK && row < PQntuples(res); row++) {
    ps_rate r = {.day = ps_pg_get_int(res, row, 0),
                 .per_eur = strtod(PQgetvalue(res, row, 2), NULL)};
    ps_pg_copy_text(r.currency, sizeof r.currency, res, row, 1);
    rc = q->visit(&r, q->ctx);
  }
  PQclear(res);
  return rc;
}

int ps_pg_rates_read(ps_state_store *store, int64_t from_day, int64_t to_day,
                     ps_rate_visitor visit, void *ctx) {
  read_call q = {from_day, to_day, visit, ctx};
  return ps_pg_transaction(ps_pg_pool_of(store), "rates read", read_rates, &q);
}

typedef struct currency_call {
  int64_t game_id;
  const char *set; /* set: the code; get: NULL */
  char *out;
} currency_call;

static int game_currency(ps_pg_conn *c, void *ctx) {
  const currency_call *q = ctx;
  ps_pg_int game = ps_pg_int_text(q->game_id);
  if (q->set) {
    const char *params[] = {game.text, q->set};
    return ps_pg_query(c, "game currency set",
                       "INSERT INTO game_currency(game_id, currency) VALUES($1::bigint, $2)"
                       " ON CONFLICT (game_id) DO UPDATE SET currency = excluded.currency",
                       2, params, NULL);
  }
  const char *params[] = {game.text};
  PGresult *res;
  int rc = ps_pg_query(c, "game currency get",
                       "SELECT currency FROM game_currency WHERE game_id = $1::bigint", 1,
                       params, &res);
  if (rc != PS_OK) return rc;
  if (PQntuples(res) == 0) rc = PS_ENOTFOUND;
  else ps_pg_copy_text(q->out, 4, res, 0, 0);
  PQclear(res);
  return rc;
}

int ps_pg_game_currency_set(ps_state_store *store, int64_t game_id, const char *currency) {
  if (!ps_currency_code_valid(currency)) return PS_EINVAL;
  currency_call q = {game_id, currency, NULL};
  return ps_pg_transaction(ps_pg_pool_of(store), "game currency set", game_currency, &q);
}

int ps_pg_game_currency_get(ps_state_store *store, int64_t game_id, char currency[4]) {
  currency_call q = {game_id, NULL, currency};
  return ps_pg_transaction(ps_pg_pool_of(store), "game currency get", game_currency, &q);
}
