/*
 * ga_combos.c: see ga_combos.h. A combo's text is the event's dimension values, each already
 * cut as the rollups cut them (ga_rollup.c's event_dims), joined by \x1f: a value cannot hold
 * \x1f (the schemas' patterns are printable), so the text splits back into the values.
 * Ids are the table's rowids: INSERT OR IGNORE then SELECT makes one id per (game, text) even
 * when two processes fold at once.
 */
#include "store/sqlite/ga_combos.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/ga_rollup.h"

#define COMBO_TEXT (PS_GA_DIMS * 65)

typedef struct combo_entry {
  ps_keymap_entry key;
  char text[COMBO_TEXT];
  char id[24];
} combo_entry;

static void free_entry(ps_keymap_entry *e) { free(e); } /* entries start with their key */

void ps_ga_combo_cache_destroy(ps_ga_combo_cache *c) {
  if (c->ready) ps_keymap_destroy(&c->map, free_entry);
  c->ready = 0;
}

/* The combination text of values (see the file comment). */
static void combo_text(const char values[PS_GA_DIMS][65], const int present[PS_GA_DIMS],
                       char text[COMBO_TEXT]) {
  size_t n = 0;
  for (int d = 1; d < PS_GA_DIMS; d++) {
    if (d > 1) text[n++] = '\x1f';
    size_t len = present[d] ? strlen(values[d]) : 0;
    memcpy(text + n, values[d], len);
    n += len;
  }
  text[n] = '\0';
}

/* Looks the text up, inserting it first when insert; *found: whether a row came back. */
static int lookup(sqlite_store *s, int64_t game_id, const char *text, int insert, int *found,
                  int64_t *id) {
  int rc = PS_OK;
  *found = 0;
  pthread_mutex_lock(&s->shared_lock);
  sqlite3_stmt *st = NULL;
  if (insert) {
    if (sqlite3_prepare_v2(s->shared, "INSERT OR IGNORE INTO ga_combos(game_id, dims) VALUES(?,?)",
                           -1, &st, NULL) != SQLITE_OK) {
      rc = PS_EIO;
    } else {
      sqlite3_bind_int64(st, 1, game_id);
      sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
      rc = ps_sqlite_step_and_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
  }
  if (rc == PS_OK && sqlite3_prepare_v2(s->shared, "SELECT id FROM ga_combos WHERE game_id = ?"
                                        " AND dims = ?", -1, &st, NULL) != SQLITE_OK)
    rc = PS_EIO;
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      *found = 1;
      *id = sqlite3_column_int64(st, 0);
    } else if (step != SQLITE_DONE) {
      rc = PS_EIO;
    }
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

int ps_ga_combo_id(sqlite_store *s, int64_t game_id, ps_ga_combo_cache *cache,
                   const char values[PS_GA_DIMS][65], const int present[PS_GA_DIMS],
                   char id_text[24]) {
  if (!cache->ready) {
    if (ps_keymap_init(&cache->map, 256)) return PS_ENOMEM;
    cache->ready = 1;
  }
  char text[COMBO_TEXT];
  combo_text(values, present, text);
  ps_keymap_entry *e = ps_keymap_find(&cache->map, game_id, text);
  if (e) {
    memcpy(id_text, ps_keymap_owner(e, combo_entry, key)->id, 24);
    return PS_OK;
  }
  int found = 0;
  int64_t id = 0;
  int rc = lookup(s, game_id, text, 0, &found, &id);
  if (rc == PS_OK && !found) rc = lookup(s, game_id, text, 1, &found, &id);
  if (rc == PS_OK && !found) rc = PS_EIO;
  if (rc != PS_OK) return rc;
  combo_entry *c = calloc(1, sizeof *c);
  if (!c) return PS_ENOMEM;
  memcpy(c->text, text, sizeof text);
  snprintf(c->id, sizeof c->id, "%lld", (long long)id);
  c->key.scope = game_id;
  c->key.name = c->text;
  ps_keymap_insert(&cache->map, &c->key);
  memcpy(id_text, c->id, 24);
  return PS_OK;
}

/* The value of the combination text at dimension d (1..): its start, *len its bytes. */
static const char *value_at(const char *text, int d, size_t *len) {
  for (int k = 1; k < d; k++) {
    text = strchr(text, '\x1f');
    if (!text) {
      *len = 0;
      return "";
    }
    text++;
  }
  *len = strcspn(text, "\x1f");
  return text;
}

/* Whether the combination text has value at dimension d (1..). */
static int has_value(const char *text, int d, const char *value) {
  size_t len;
  const char *at = value_at(text, d, &len);
  return *value && strlen(value) == len && memcmp(at, value, len) == 0;
}

/* The index in m->values of the group value (len bytes at value), added when new; -1: none
 * (no memory: *rc). */
static int32_t group_index(ps_ga_combo_match *m, const char *value, size_t len, int *rc) {
  for (size_t i = 0; i < m->nvalues; i++)
    if (strlen(m->values[i]) == len && memcmp(m->values[i], value, len) == 0) return (int32_t)i;
  if (m->nvalues >= INT32_MAX || PS_ARRAY_RESERVE(m->values, m->nvalues, m->values_cap)) {
    *rc = PS_ENOMEM;
    return -1;
  }
  memcpy(m->values[m->nvalues], value, len < 64 ? len : 64);
  m->values[m->nvalues][len < 64 ? len : 64] = '\0';
  return (int32_t)m->nvalues++;
}

/* Puts combo id into group g of m (ids not put are -1). */
static int put_group(ps_ga_combo_match *m, int64_t id, int32_t g) {
  if (id >= m->nids) {
    int64_t grown_n = (id + 1) * 2;
    int32_t *grown = realloc(m->group, (size_t)grown_n * sizeof *grown);
    if (!grown) return PS_ENOMEM;
    for (int64_t i = m->nids; i < grown_n; i++) grown[i] = -1;
    m->group = grown;
    m->nids = grown_n;
  }
  m->group[id] = g;
  return PS_OK;
}

void ps_ga_combo_match_free(ps_ga_combo_match *m) {
  free(m->group);
  free(m->values);
  memset(m, 0, sizeof *m);
}

int ps_ga_combos_matching(sqlite_store *s, int64_t game_id, const int *dims,
                          const char *const *values, size_t n, int group_dim,
                          ps_ga_combo_match *out) {
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  int rc = ps_ga_combos_matching_on(db, game_id, dims, values, n, group_dim, out);
  ps_sqlite_reader_release(s, db);
  return rc;
}

int ps_ga_combos_matching_on(sqlite3 *db, int64_t game_id, const int *dims,
                             const char *const *values, size_t n, int group_dim,
                             ps_ga_combo_match *out) {
  memset(out, 0, sizeof *out);
  int rc = PS_EIO;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT id, dims FROM ga_combos WHERE game_id = ?", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    int step;
    rc = PS_OK;
    while (rc == PS_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
      int64_t id = sqlite3_column_int64(st, 0);
      const char *text = (const char *)sqlite3_column_text(st, 1);
      int all = text != NULL && id >= 0;
      for (size_t i = 0; all && i < n; i++) all = has_value(text, dims[i], values[i]);
      if (!all) continue;
      size_t len = 0;
      const char *value = group_dim ? value_at(text, group_dim, &len) : "";
      if (group_dim && len == 0) continue; /* no value of the group dimension */
      int32_t g = group_index(out, value, len, &rc);
      if (rc == PS_OK) rc = put_group(out, id, g);
    }
    if (rc == PS_OK && step != SQLITE_DONE) rc = PS_EIO;
  }
  sqlite3_finalize(st);
  if (rc != PS_OK) ps_ga_combo_match_free(out);
  return rc;
}

/* ---- schema 10 ---- */

/* Appends the combination text of a row as an SQL expression: dimension d is the column
 * alias.dim<d> of ga_users, or (alias NULL) the events column named as the dimension; each
 * cut to 64 bytes (substr of an empty blob is NULL, hence coalesce). */
static int combo_text_sql(char *sql, size_t cap, size_t *n, const char *alias) {
  for (int d = 1; d < PS_GA_DIMS; d++) {
    char column[64];
    if (alias) snprintf(column, sizeof column, "%s.dim%d", alias, d);
    else snprintf(column, sizeof column, "%s", ps_ga_dim_name(d));
    int w = snprintf(sql + *n, cap - *n,
                     "%scoalesce(CAST(substr(CAST(%s AS BLOB), 1, 64) AS TEXT), '')",
                     d > 1 ? " || char(31) || " : "", column);
    if (w < 0 || (size_t)w >= cap - *n) return PS_ENOMEM;
    *n += (size_t)w;
  }
  return PS_OK;
}

int ps_ga_combo_text_sql(char *sql, size_t cap, size_t *n) {
  return combo_text_sql(sql, cap, n, NULL);
}

int ps_ga_user_combo_text_sql(char *sql, size_t cap, size_t *n, const char *alias) {
  return combo_text_sql(sql, cap, n, alias);
}

int ps_sqlite_ga_combos_upgrade_to_10(sqlite3 *db) {
  /* The events the rollups folded and that add to a summed figure (ga_rollup.c's kind_of and
   * fold_aggregates): `user` (sessions), business and session_end with an aggregate. */
  static const char events[] = " FROM events e JOIN ga_mark m ON m.game_id = e.game_id";
  static const char folded[] =
      " WHERE e.id <= m.last_event_id"
      " AND e.day IS NOT NULL AND e.user_id IS NOT NULL AND e.user_id != ''"
      " AND (e.category = 'user' OR (e.category IN ('business', 'session_end')"
      " AND e.agg_key IS NOT NULL))";
  char text[1024], sql[4096];
  size_t n = 0;
  int rc = ps_ga_combo_text_sql(text, sizeof text, &n);
  if (rc == PS_OK &&
      snprintf(sql, sizeof sql,
               "INSERT OR IGNORE INTO ga_combos(game_id, dims) SELECT DISTINCT e.game_id, %s%s%s;"
               "INSERT INTO ga_aggs(game_id, kind, dim, value, day, key, n, sum, mn, mx)"
               " SELECT game_id, kind, %d, CAST(combo AS TEXT), day, key, count(*), total(v),"
               " min(v), max(v) FROM (SELECT e.game_id AS game_id, c.id AS combo, e.day AS day,"
               " CASE e.category WHEN 'user' THEN 'sessions' WHEN 'business' THEN 'revenue'"
               " ELSE 'length' END AS kind, CASE e.category WHEN 'user' THEN ''"
               " ELSE coalesce(CAST(substr(CAST(e.agg_key AS BLOB), 1, 128) AS TEXT), '') END AS key,"
               " CASE e.category WHEN 'user' THEN 0.0 ELSE e.agg_value END AS v%s"
               " JOIN ga_combos c ON c.game_id = e.game_id AND c.dims = %s%s)"
               " WHERE true GROUP BY game_id, kind, combo, day, key"
               " ON CONFLICT DO UPDATE SET n = n + excluded.n, sum = sum + excluded.sum,"
               " mn = min(mn, excluded.mn), mx = max(mx, excluded.mx);",
               text, events, folded, PS_GA_COMBO_DIM, events, text, folded) >= (int)sizeof sql)
    rc = PS_ENOMEM;
  char *msg = NULL;
  if (rc == PS_OK && sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    /* the statement is long: the message alone says what went wrong */
    ps_error_log("sqlite: upgrade to schema 10 (segments' combinations): %s",
                 msg ? msg : sqlite3_errmsg(db));
    rc = PS_EIO;
  }
  sqlite3_free(msg);
  return rc;
}
