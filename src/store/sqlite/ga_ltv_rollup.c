/*
 * ga_ltv_rollup.c: see ga_ltv_rollup.h. A delta gathers, in two keymaps, the pass's amounts
 * per (user, day, currency) and the cohort rows' changes per (dim, first day, value, k,
 * currency); the cohort of an amount is taken only when the delta is settled, once the pass
 * has folded every event, so that an amount sent before its user's first `user` event in the
 * same pass counts as well as one sent after it.
 */
#include "store/sqlite/ga_ltv_rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/errors.h"
#include "store/ltv.h"

const char ps_sqlite_ltv_rollup_schema[] =
    "CREATE TABLE IF NOT EXISTS ga_ltv_spend("
    "  game_id INTEGER NOT NULL, idx INTEGER NOT NULL, day INTEGER NOT NULL,"
    "  currency TEXT NOT NULL, n INTEGER NOT NULL, amount REAL NOT NULL,"
    "  PRIMARY KEY(game_id, idx, day, currency)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS ga_ltv_cohorts("
    "  game_id INTEGER NOT NULL, dim INTEGER NOT NULL, value TEXT NOT NULL,"
    "  first_day INTEGER NOT NULL, k INTEGER NOT NULL, currency TEXT NOT NULL,"
    "  n INTEGER NOT NULL, amount REAL NOT NULL,"
    "  PRIMARY KEY(game_id, dim, value, first_day, k, currency)) WITHOUT ROWID;";

#define NBUCKETS 1024 /* the keymaps grow as a pass fills them */

typedef struct ltv_spend {
  ps_keymap_entry key; /* scope: the user's number; name: "day\x1fcurrency" */
  char name[160];
  const ps_ga_user *user;
  int64_t day;
  const char *currency; /* in name */
  int64_t n;
  double amount;
} ltv_spend;

typedef struct ltv_cell {
  ps_keymap_entry key; /* scope: dim; name: "first_day\x1fk\x1fvalue\x1fcurrency" */
  char name[256];
  int dim;
  int64_t first_day, k;
  char value[65], currency[129];
  int64_t n;
  double amount;
} ltv_cell;

static void free_entry(ps_keymap_entry *e) { free(e); } /* entries start with their key */

void ps_ltv_delta_destroy(ps_ltv_delta *d) {
  if (d->ready) {
    ps_keymap_destroy(&d->spends, free_entry);
    ps_keymap_destroy(&d->cells, free_entry);
  }
  free(d->spend_list);
  free(d->cell_list);
  free(d->forgotten);
  memset(d, 0, sizeof *d);
}

static int ready(ps_ltv_delta *d) {
  if (d->ready) return PS_OK;
  if (ps_keymap_init(&d->spends, NBUCKETS)) return PS_ENOMEM;
  if (ps_keymap_init(&d->cells, NBUCKETS)) {
    ps_keymap_destroy(&d->spends, NULL);
    return PS_ENOMEM;
  }
  d->ready = 1;
  return PS_OK;
}

int ps_ltv_delta_spend(ps_ltv_delta *d, const ps_ga_user *user, int64_t day,
                       const char *currency, double amount) {
  int rc = ready(d);
  if (rc != PS_OK) return rc;
  char name[160];
  int day_len = snprintf(name, sizeof name, "%lld\x1f", (long long)day);
  snprintf(name + day_len, sizeof name - (size_t)day_len, "%s", currency);
  ps_keymap_entry *e = ps_keymap_find(&d->spends, user->idx, name);
  ltv_spend *s = e ? ps_keymap_owner(e, ltv_spend, key) : NULL;
  if (!s) {
    if (!(s = calloc(1, sizeof *s)) || PS_ARRAY_RESERVE(d->spend_list, d->nspends, d->spends_cap)) {
      free(s);
      return PS_ENOMEM;
    }
    memcpy(s->name, name, sizeof name);
    s->key.scope = user->idx;
    s->key.name = s->name;
    s->user = user;
    s->day = day;
    s->currency = s->name + day_len;
    ps_keymap_insert(&d->spends, &s->key);
    d->spend_list[d->nspends++] = s;
  }
  s->n++;
  s->amount += amount;
  return PS_OK;
}

static int add_cell(ps_ltv_delta *d, int dim, const char *value, int64_t first_day, int64_t k,
                    const char *currency, int64_t n, double amount) {
  char name[256];
  snprintf(name, sizeof name, "%lld\x1f%lld\x1f%s\x1f%s", (long long)first_day, (long long)k,
           value, currency);
  ps_keymap_entry *e = ps_keymap_find(&d->cells, dim, name);
  ltv_cell *c = e ? ps_keymap_owner(e, ltv_cell, key) : NULL;
  if (!c) {
    if (!(c = calloc(1, sizeof *c)) || PS_ARRAY_RESERVE(d->cell_list, d->ncells, d->cells_cap)) {
      free(c);
      return PS_ENOMEM;
    }
    memcpy(c->name, name, sizeof name);
    c->key.scope = dim;
    c->key.name = c->name;
    c->dim = dim;
    c->first_day = first_day;
    c->k = k;
    snprintf(c->value, sizeof c->value, "%s", value);
    snprintf(c->currency, sizeof c->currency, "%s", currency);
    ps_keymap_insert(&d->cells, &c->key);
    d->cell_list[d->ncells++] = c;
  }
  c->n += n;
  c->amount += amount;
  return PS_OK;
}

/* Adds n amounts summing to amount, sent on day in currency by a user as *u is (nothing when
 * it has no first day, or day is before it or more than PS_LTV_MAX_DAYS after), to every row
 * of its cohort: all users, each dimension value of its first event, their combination. */
static int add_to_cohort(ps_ltv_delta *d, sqlite_store *s, int64_t game_id,
                         ps_ga_combo_cache *combos, const ps_ga_user *u, int64_t day,
                         const char *currency, int64_t n, double amount) {
  int64_t k = day - u->first_day;
  if (u->first_day < 0 || k < 0 || k > PS_LTV_MAX_DAYS) return PS_OK;
  int rc = add_cell(d, 0, "", u->first_day, k, currency, n, amount);
  for (int dim = 1; rc == PS_OK && dim < PS_GA_DIMS; dim++)
    if (u->first_dims[dim][0])
      rc = add_cell(d, dim, u->first_dims[dim], u->first_day, k, currency, n, amount);
  int present[PS_GA_DIMS];
  for (int dim = 0; dim < PS_GA_DIMS; dim++) present[dim] = 1;
  char combo[24];
  if (rc == PS_OK) rc = ps_ga_combo_id(s, game_id, combos, u->first_dims, present, combo);
  if (rc == PS_OK) rc = add_cell(d, PS_GA_COMBO_DIM, combo, u->first_day, k, currency, n, amount);
  return rc;
}

/* One stored ga_ltv_spend row of a user. */
typedef struct stored_spend {
  int64_t day, n;
  char currency[129];
  double amount;
} stored_spend;

/* The user's stored rows into *rows (malloc'd; *nrows of them). */
static int read_spend(sqlite_store *s, int64_t game_id, int64_t idx, stored_spend **rows,
                      size_t *nrows) {
  size_t cap = 0;
  *rows = NULL;
  *nrows = 0;
  pthread_mutex_lock(&s->shared_lock);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(s->shared,
                              "SELECT day, currency, n, amount FROM ga_ltv_spend"
                              " WHERE game_id = ? AND idx = ?",
                              -1, &st, NULL) == SQLITE_OK
               ? PS_OK
               : PS_EIO;
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, idx);
    int step;
    while (rc == PS_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
      if (PS_ARRAY_RESERVE(*rows, *nrows, cap)) {
        rc = PS_ENOMEM;
        break;
      }
      stored_spend *r = &(*rows)[(*nrows)++];
      r->day = sqlite3_column_int64(st, 0);
      ps_sqlite_copy_text(r->currency, sizeof r->currency, st, 1);
      r->n = sqlite3_column_int64(st, 2);
      r->amount = sqlite3_column_double(st, 3);
    }
    if (rc == PS_OK && step != SQLITE_DONE) rc = PS_EIO;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

int ps_ltv_delta_move(ps_ltv_delta *d, sqlite_store *s, int64_t game_id,
                      ps_ga_combo_cache *combos, const ps_ga_user *was, const ps_ga_user *now) {
  int rc = ready(d);
  stored_spend *rows = NULL;
  size_t nrows = 0;
  if (rc == PS_OK) rc = read_spend(s, game_id, was->idx, &rows, &nrows);
  for (size_t i = 0; rc == PS_OK && i < nrows; i++) {
    const stored_spend *r = &rows[i];
    rc = add_to_cohort(d, s, game_id, combos, was, r->day, r->currency, -r->n, -r->amount);
    if (rc == PS_OK && now)
      rc = add_to_cohort(d, s, game_id, combos, now, r->day, r->currency, r->n, r->amount);
  }
  if (rc == PS_OK && !now) {
    if (PS_ARRAY_RESERVE(d->forgotten, d->nforgotten, d->forgotten_cap)) rc = PS_ENOMEM;
    else d->forgotten[d->nforgotten++] = was->idx;
  }
  free(rows);
  return rc;
}

int ps_ltv_delta_settle(ps_ltv_delta *d, sqlite_store *s, int64_t game_id,
                        ps_ga_combo_cache *combos) {
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < d->nspends; i++) {
    const ltv_spend *sp = d->spend_list[i];
    rc = add_to_cohort(d, s, game_id, combos, sp->user, sp->day, sp->currency, sp->n, sp->amount);
  }
  return rc;
}

/* ---- the write ---- */

static int write_spends(sqlite3 *db, int64_t game_id, const ps_ltv_delta *d) {
  if (!d->nspends) return PS_OK;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO ga_ltv_spend(game_id, idx, day, currency, n, amount)"
                         " VALUES(?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n,"
                         " amount = amount + excluded.amount",
                         -1, &st, NULL) != SQLITE_OK)
    return PS_EIO;
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < d->nspends; i++) {
    const ltv_spend *sp = d->spend_list[i];
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, sp->user->idx);
    sqlite3_bind_int64(st, 3, sp->day);
    sqlite3_bind_text(st, 4, sp->currency, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, sp->n);
    sqlite3_bind_double(st, 6, sp->amount);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

static int delete_forgotten(sqlite3 *db, int64_t game_id, const ps_ltv_delta *d) {
  if (!d->nforgotten) return PS_OK;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "DELETE FROM ga_ltv_spend WHERE game_id = ? AND idx = ?", -1, &st,
                         NULL) != SQLITE_OK)
    return PS_EIO;
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < d->nforgotten; i++) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, d->forgotten[i]);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

/* The cells added up; those a change took away from are deleted when their count is 0. */
static int write_cells(sqlite3 *db, int64_t game_id, const ps_ltv_delta *d) {
  if (!d->ncells) return PS_OK;
  sqlite3_stmt *add = NULL, *drop = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "INSERT INTO ga_ltv_cohorts(game_id, dim, first_day, value, k,"
                              " currency, n, amount) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)"
                              " ON CONFLICT DO UPDATE SET n = n + excluded.n,"
                              " amount = amount + excluded.amount",
                              -1, &add, NULL) == SQLITE_OK &&
                   sqlite3_prepare_v2(db,
                                      "DELETE FROM ga_ltv_cohorts WHERE game_id = ?1 AND dim = ?2"
                                      " AND first_day = ?3 AND value = ?4 AND k = ?5"
                                      " AND currency = ?6 AND n <= 0",
                                      -1, &drop, NULL) == SQLITE_OK
               ? PS_OK
               : PS_EIO;
  for (size_t i = 0; rc == PS_OK && i < d->ncells; i++) {
    const ltv_cell *c = d->cell_list[i];
    if (c->n == 0 && c->amount == 0) continue; /* a move within one cohort */
    sqlite3_stmt *both[] = {add, drop};
    for (int j = 0; j < 2; j++) {
      sqlite3_bind_int64(both[j], 1, game_id);
      sqlite3_bind_int(both[j], 2, c->dim);
      sqlite3_bind_int64(both[j], 3, c->first_day);
      sqlite3_bind_text(both[j], 4, c->value, -1, SQLITE_STATIC);
      sqlite3_bind_int64(both[j], 5, c->k);
      sqlite3_bind_text(both[j], 6, c->currency, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(add, 7, c->n);
    sqlite3_bind_double(add, 8, c->amount);
    rc = ps_sqlite_step_and_reset(add);
    if (rc == PS_OK && c->n < 0) rc = ps_sqlite_step_and_reset(drop);
  }
  sqlite3_finalize(add);
  sqlite3_finalize(drop);
  return rc;
}

int ps_ltv_delta_write(sqlite3 *db, int64_t game_id, const ps_ltv_delta *d) {
  int rc = write_cells(db, game_id, d);
  if (rc == PS_OK) rc = delete_forgotten(db, game_id, d);
  if (rc == PS_OK) rc = write_spends(db, game_id, d);
  return rc;
}

/* ---- schema 13 ---- */

/* The spend of users with a first day, on days 0..PS_LTV_MAX_DAYS after it (%d), joined with
 * join. */
#define COHORT_SPEND(join)                                                                     \
  " FROM ga_ltv_spend s JOIN ga_users u ON u.game_id = s.game_id AND u.idx = s.idx" join     \
  " WHERE u.first_day >= 0 AND s.day >= u.first_day AND s.day - u.first_day <= %d"

int ps_sqlite_ltv_upgrade_to_13(sqlite3 *db) {
  char user_combo[1024], sql[4096];
  size_t n = 0;
  if (ps_ga_user_combo_text_sql(user_combo, sizeof user_combo, &n, "u") != PS_OK) return PS_ENOMEM;
  /* whatever a store that was already at 13 once holds: made again from the events */
  snprintf(sql, sizeof sql,
           "DELETE FROM ga_ltv_spend; DELETE FROM ga_ltv_cohorts;"
           "INSERT INTO ga_ltv_spend(game_id, idx, day, currency, n, amount)"
           " SELECT e.game_id, u.idx, e.day, e.agg_key, count(*), total(e.agg_value)"
           " FROM ga_mark m JOIN events e ON e.game_id = m.game_id AND e.category = 'business'"
           "  AND e.agg_key IS NOT NULL AND e.id <= m.last_event_id"
           " JOIN ga_users u ON u.game_id = e.game_id AND u.user_id = e.user_id"
           " WHERE e.day IS NOT NULL GROUP BY 1, 2, 3, 4;"
           "INSERT OR IGNORE INTO ga_combos(game_id, dims)"
           " SELECT DISTINCT u.game_id, %s FROM ga_users u WHERE u.first_day >= 0;",
           user_combo);
  int rc = ps_sqlite_exec(db, sql);
  snprintf(sql, sizeof sql,
           "INSERT INTO ga_ltv_cohorts(game_id, dim, first_day, value, k, currency, n, amount)"
           " SELECT s.game_id, 0, u.first_day, '', s.day - u.first_day, s.currency, sum(s.n),"
           " total(s.amount)" COHORT_SPEND("") " GROUP BY 1, 3, 5, 6",
           PS_LTV_MAX_DAYS);
  if (rc == PS_OK) rc = ps_sqlite_exec(db, sql);
  for (int dim = 1; rc == PS_OK && dim < PS_GA_DIMS; dim++) {
    snprintf(sql, sizeof sql,
             "INSERT INTO ga_ltv_cohorts(game_id, dim, first_day, value, k, currency, n, amount)"
             " SELECT s.game_id, %d, u.first_day, u.dim%d, s.day - u.first_day, s.currency,"
             " sum(s.n), total(s.amount)" COHORT_SPEND("") " AND u.dim%d <> ''"
             " GROUP BY 1, 3, 4, 5, 6",
             dim, dim, PS_LTV_MAX_DAYS, dim);
    rc = ps_sqlite_exec(db, sql);
  }
  snprintf(sql, sizeof sql,
           "INSERT INTO ga_ltv_cohorts(game_id, dim, first_day, value, k, currency, n, amount)"
           " SELECT s.game_id, %d, u.first_day, CAST(c.id AS TEXT), s.day - u.first_day,"
           " s.currency, sum(s.n), total(s.amount)"
           COHORT_SPEND(" JOIN ga_combos c ON c.game_id = u.game_id AND c.dims = %s")
           " GROUP BY 1, 3, 4, 5, 6",
           PS_GA_COMBO_DIM, user_combo, PS_LTV_MAX_DAYS);
  if (rc == PS_OK) rc = ps_sqlite_exec(db, sql);
  return rc;
}
