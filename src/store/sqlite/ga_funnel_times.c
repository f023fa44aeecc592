/*
 * ga_funnel_times.c: see ga_funnel_times.h. Entries are varints, so a segment of 1,024 events
 * is about 7 KB (a user number under 2^21, a second of the day, a combo under 2^14: 3 + 3 + 1
 * or 2 bytes). A pass groups its events by (category, key, day) in a keymap, each group one
 * growing byte buffer (a group: category, key, chunk of users and day), and writes a group by reading its last segment, filling it up to
 * PS_FUNNEL_TIMES_SEGMENT events and adding new segments for the rest: a pass rewrites at
 * most one partial segment per group. A read decodes each segment of a step's keys and days
 * straight into the funnel count.
 */
#include "store/sqlite/ga_funnel_times.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/ga_combos.h"
#include "store/sqlite/ga_funnel.h"

const char ps_sqlite_funnel_times_schema[] =
    "CREATE TABLE IF NOT EXISTS ga_funnel_times("
    "  game_id INTEGER NOT NULL, category TEXT NOT NULL, key TEXT NOT NULL,"
    "  chunk INTEGER NOT NULL, day INTEGER NOT NULL, seg INTEGER NOT NULL, n INTEGER NOT NULL,"
    "  entries BLOB NOT NULL, PRIMARY KEY(game_id, category, key, chunk, day, seg)) WITHOUT ROWID;";

/* ---- entries ---- */

#define ENTRY_MAX 30 /* three varints of up to 10 bytes */

static size_t put_varint(unsigned char *p, uint64_t v) {
  size_t n = 0;
  while (v >= 0x80) {
    p[n++] = (unsigned char)(v | 0x80);
    v >>= 7;
  }
  p[n++] = (unsigned char)v;
  return n;
}

/* Reads a varint at *p (before end) into *v; 0 when it runs past end (a damaged row). */
static inline int get_varint(const unsigned char **p, const unsigned char *end, uint64_t *v) {
  uint64_t x = 0;
  for (int shift = 0; *p < end && shift < 64; shift += 7) {
    unsigned char b = *(*p)++;
    x |= (uint64_t)(b & 0x7F) << shift;
    if (!(b & 0x80)) {
      *v = x;
      return 1;
    }
  }
  return 0;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static int64_t unzigzag(uint64_t u) { return (int64_t)(u >> 1) ^ -(int64_t)(u & 1); }

typedef struct entry {
  uint64_t user, combo;
  int64_t t_s;
} entry;

/* The next entry of [*p, end) of a segment of day; 0 at a damaged one. */
static inline int next_entry(const unsigned char **p, const unsigned char *end, int64_t day,
                             entry *e) {
  uint64_t dt;
  if (!get_varint(p, end, &e->user) || !get_varint(p, end, &dt) || !get_varint(p, end, &e->combo))
    return 0;
  e->t_s = day * 86400 + unzigzag(dt);
  return 1;
}

static size_t put_entry(unsigned char *p, int64_t day, uint64_t user, int64_t t_s, int64_t combo) {
  size_t n = put_varint(p, user);
  n += put_varint(p + n, zigzag(t_s - day * 86400));
  return n + put_varint(p + n, (uint64_t)combo);
}

/* The bytes of the first count entries of [p, p + len). */
static size_t entries_bytes(const unsigned char *p, size_t len, size_t count) {
  const unsigned char *q = p, *end = p + len;
  entry e;
  for (size_t i = 0; i < count && next_entry(&q, end, 0, &e); i++) {}
  return (size_t)(q - p);
}

/* ---- a pass's additions ---- */

typedef struct funnel_times_group {
  ps_keymap_entry link;
  char name[16 + PS_GA_KEY_CAP + 32];
  char category[16], key[PS_GA_KEY_CAP + 1];
  int64_t chunk, day;
  unsigned char *bytes;
  size_t len, cap, n;
} funnel_times_group;

static void free_group(ps_keymap_entry *e) {
  funnel_times_group *g = ps_keymap_owner(e, funnel_times_group, link);
  free(g->bytes);
  free(g);
}

void ps_funnel_times_destroy(ps_funnel_times *t) {
  if (t->ready) ps_keymap_destroy(&t->groups, free_group);
  free(t->list);
  *t = (ps_funnel_times){0};
}

int ps_funnel_times_add(ps_funnel_times *t, const char *category, const char *key, int64_t day,
                        uint32_t user, int64_t t_s, int64_t combo) {
  if (!t->ready) {
    if (ps_keymap_init(&t->groups, 256)) return PS_ENOMEM;
    t->ready = 1;
  }
  char name[sizeof ((funnel_times_group *)0)->name];
  int64_t chunk = user / PS_FUNNEL_TIMES_CHUNK_USERS;
  snprintf(name, sizeof name, "%s\x1f%s\x1f%lld\x1f%lld", category, key, (long long)chunk,
           (long long)day);
  ps_keymap_entry *found = ps_keymap_find(&t->groups, 0, name);
  funnel_times_group *g = found ? ps_keymap_owner(found, funnel_times_group, link) : NULL;
  if (!g) {
    if (t->n == t->cap) {
      size_t cap = t->cap ? t->cap * 2 : 64;
      funnel_times_group **grown = realloc(t->list, cap * sizeof *grown);
      if (!grown) return PS_ENOMEM;
      t->list = grown;
      t->cap = cap;
    }
    if (!(g = calloc(1, sizeof *g))) return PS_ENOMEM;
    memcpy(g->name, name, sizeof name);
    snprintf(g->category, sizeof g->category, "%s", category);
    snprintf(g->key, sizeof g->key, "%s", key);
    g->chunk = chunk;
    g->day = day;
    g->link.name = g->name;
    ps_keymap_insert(&t->groups, &g->link);
    t->list[t->n++] = g;
  }
  if (g->len + ENTRY_MAX > g->cap) {
    size_t cap = g->cap ? g->cap * 2 : 256;
    unsigned char *grown = realloc(g->bytes, cap);
    if (!grown) return PS_ENOMEM;
    g->bytes = grown;
    g->cap = cap;
  }
  g->len += put_entry(g->bytes + g->len, day, user, t_s, combo);
  g->n++;
  return PS_OK;
}

/* Appends one group: to its last segment while it has room, then to new ones. */
static int write_group(sqlite3_stmt *last, sqlite3_stmt *put, int64_t game_id,
                       const funnel_times_group *g) {
  sqlite3_stmt *both[] = {last, put};
  for (int k = 0; k < 2; k++) {
    sqlite3_bind_int64(both[k], 1, game_id);
    sqlite3_bind_text(both[k], 2, g->category, -1, SQLITE_STATIC);
    sqlite3_bind_text(both[k], 3, g->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(both[k], 4, g->chunk);
    sqlite3_bind_int64(both[k], 5, g->day);
  }
  int64_t seg = 0, n = 0;
  unsigned char *blob = NULL;
  size_t blob_len = 0;
  int rc = PS_OK, step = sqlite3_step(last);
  if (step == SQLITE_ROW) {
    seg = sqlite3_column_int64(last, 0);
    n = sqlite3_column_int64(last, 1);
    blob_len = (size_t)sqlite3_column_bytes(last, 2);
    if (n >= PS_FUNNEL_TIMES_SEGMENT) {
      seg++, n = 0, blob_len = 0;
    } else if (!(blob = malloc(blob_len + g->len + 1))) {
      rc = PS_ENOMEM;
    } else if (blob_len) {
      memcpy(blob, sqlite3_column_blob(last, 2), blob_len);
    }
  } else if (step != SQLITE_DONE) {
    rc = PS_EIO;
  }
  sqlite3_reset(last);
  if (rc == PS_OK && !blob && !(blob = malloc(g->len + 1))) rc = PS_ENOMEM;
  size_t done = 0, at = 0; /* entries and bytes of g written */
  while (rc == PS_OK && done < g->n) {
    size_t take = (size_t)(PS_FUNNEL_TIMES_SEGMENT - n);
    if (take > g->n - done) take = g->n - done;
    size_t bytes = entries_bytes(g->bytes + at, g->len - at, take);
    memcpy(blob + blob_len, g->bytes + at, bytes);
    sqlite3_bind_int64(put, 6, seg);
    sqlite3_bind_int64(put, 7, n + (int64_t)take);
    sqlite3_bind_blob(put, 8, blob, (int)(blob_len + bytes), SQLITE_STATIC);
    rc = ps_sqlite_step_and_reset(put);
    done += take, at += bytes;
    seg++, n = 0, blob_len = 0;
  }
  free(blob);
  return rc;
}

int ps_funnel_times_write(sqlite3 *db, int64_t game_id, const ps_funnel_times *t) {
  if (!t->n) return PS_OK;
  sqlite3_stmt *last = NULL, *put = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db, "SELECT seg, n, entries FROM ga_funnel_times WHERE game_id = ?1"
                             " AND category = ?2 AND key = ?3 AND chunk = ?4 AND day = ?5"
                             " ORDER BY seg DESC LIMIT 1", -1, &last, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO ga_funnel_times(game_id, category, key,"
                             " chunk, day, seg, n, entries) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                         -1, &put, NULL) == SQLITE_OK)
    rc = PS_OK;
  else
    ps_error_log("sqlite: funnel times: %s", sqlite3_errmsg(db));
  for (size_t i = 0; rc == PS_OK && i < t->n; i++) rc = write_group(last, put, game_id, t->list[i]);
  sqlite3_finalize(last);
  sqlite3_finalize(put);
  return rc;
}

/* ---- reads ---- */

int ps_funnel_times_read_step(sqlite3 *db, int64_t game_id, const ps_funnel *f, size_t k,
                              int64_t from_day, int64_t to_day, const int32_t *combos,
                              int64_t ncombos, ps_funnel_count *count) {
  const ps_funnel_step *step = &f->steps[k];
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT day, entries FROM ga_funnel_times WHERE game_id = ?1"
                             " AND category = ?2 AND key >= ?3 AND key < ?4 AND day >= ?5"
                             " AND day < ?6", -1, &st, NULL) != SQLITE_OK) {
    ps_error_log("sqlite: funnel times: %s", sqlite3_errmsg(db));
    return PS_EIO;
  }
  int rc = PS_OK;
  for (size_t r = 0; rc == PS_OK && r < step->nranges; r++) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, ps_funnel_category(step->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, step->ranges[r].lo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, step->ranges[r].hi, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, from_day);
    sqlite3_bind_int64(st, 6, to_day);
    int s;
    while (rc == PS_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
      int64_t day = sqlite3_column_int64(st, 0);
      const unsigned char *p = sqlite3_column_blob(st, 1);
      const unsigned char *end = p + sqlite3_column_bytes(st, 1);
      entry e;
      while (rc == PS_OK && p < end) {
        if (!next_entry(&p, end, day, &e) || e.user > UINT32_MAX) {
          ps_error_log("sqlite: funnel times: game %lld: a damaged segment of day %lld",
                       (long long)game_id, (long long)day);
          rc = PS_EIO;
        } else if (!combos || (e.combo < (uint64_t)ncombos && combos[e.combo] >= 0)) {
          rc = ps_funnel_count_numbered_event(count, k, (uint32_t)e.user, e.t_s);
        }
      }
    }
    if (rc == PS_OK && s != SQLITE_DONE) rc = PS_EIO;
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

/* ---- a user forgotten ---- */

#define FORGET_ROWS 128 /* segments read per transaction */

typedef struct segment_key {
  char category[16], key[PS_GA_KEY_CAP + 1];
  int64_t day, seg; /* of the user's chunk */
} segment_key;

/* One transaction: removes user from the segments after *last (updated) in key order, at most
 * FORGET_ROWS of them (category "" is before every row). *more: a full batch was read. */
static int forget_batch(sqlite3 *db, int64_t game_id, uint32_t user, segment_key *last, int *more) {
  int64_t chunk = user / PS_FUNNEL_TIMES_CHUNK_USERS;
  sqlite3_stmt *get = NULL, *put = NULL, *drop = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db, "SELECT category, key, day, seg, entries FROM ga_funnel_times"
                             " WHERE game_id = ?1 AND chunk = ?7"
                             " AND (category, key, day, seg) > (?2, ?3, ?4, ?5)"
                             " ORDER BY category, key, day, seg LIMIT ?6", -1, &get, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "UPDATE ga_funnel_times SET n = ?6, entries = ?7 WHERE game_id = ?1"
                             " AND category = ?2 AND key = ?3 AND day = ?4 AND seg = ?5"
                             " AND chunk = ?8", -1, &put, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "DELETE FROM ga_funnel_times WHERE game_id = ?1 AND category = ?2"
                             " AND key = ?3 AND day = ?4 AND seg = ?5 AND chunk = ?8", -1, &drop,
                         NULL) == SQLITE_OK)
    rc = ps_sqlite_exec(db, "BEGIN IMMEDIATE");
  size_t rows = 0;
  unsigned char *kept = NULL;
  if (rc == PS_OK) {
    sqlite3_bind_int64(get, 1, game_id);
    sqlite3_bind_text(get, 2, last->category, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(get, 3, last->key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(get, 4, last->day);
    sqlite3_bind_int64(get, 5, last->seg);
    sqlite3_bind_int(get, 6, FORGET_ROWS);
    sqlite3_bind_int64(get, 7, chunk);
  }
  /* No row is written while the read of the batch runs (a write under a running scan of its
   * table is not safe): the keys and new blobs of the batch are kept, then written. */
  typedef struct change {
    segment_key key;
    unsigned char *blob;
    size_t len, n;
  } change;
  change *changes = calloc(FORGET_ROWS, sizeof *changes);
  size_t nchanges = 0;
  if (!changes) rc = PS_ENOMEM;
  int s = SQLITE_DONE;
  while (rc == PS_OK && (s = sqlite3_step(get)) == SQLITE_ROW) {
    rows++;
    segment_key key;
    ps_sqlite_copy_text(key.category, sizeof key.category, get, 0);
    ps_sqlite_copy_text(key.key, sizeof key.key, get, 1);
    key.day = sqlite3_column_int64(get, 2);
    key.seg = sqlite3_column_int64(get, 3);
    *last = key;
    const unsigned char *p = sqlite3_column_blob(get, 4), *end = p + sqlite3_column_bytes(get, 4);
    size_t len = (size_t)(end - p), out = 0, n = 0;
    int found = 0;
    if (!(kept = malloc(len + 1))) {
      rc = PS_ENOMEM;
      break;
    }
    entry e;
    while (p < end) {
      const unsigned char *at = p;
      if (!next_entry(&p, end, 0, &e)) break; /* a damaged tail: left out */
      if (e.user == user) {
        found = 1;
        continue;
      }
      memcpy(kept + out, at, (size_t)(p - at));
      out += (size_t)(p - at);
      n++;
    }
    if (!found) {
      free(kept);
    } else {
      changes[nchanges++] = (change){key, kept, out, n};
    }
    kept = NULL;
  }
  if (rc == PS_OK && s != SQLITE_DONE) rc = PS_EIO;
  sqlite3_reset(get);
  for (size_t i = 0; rc == PS_OK && i < nchanges; i++) {
    change *c = &changes[i];
    sqlite3_stmt *w = c->n ? put : drop;
    sqlite3_bind_int64(w, 1, game_id);
    sqlite3_bind_text(w, 2, c->key.category, -1, SQLITE_STATIC);
    sqlite3_bind_text(w, 3, c->key.key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(w, 4, c->key.day);
    sqlite3_bind_int64(w, 5, c->key.seg);
    sqlite3_bind_int64(w, 8, chunk);
    if (c->n) {
      sqlite3_bind_int64(w, 6, (int64_t)c->n);
      sqlite3_bind_blob(w, 7, c->blob, (int)c->len, SQLITE_STATIC);
    }
    rc = ps_sqlite_step_and_reset(w);
  }
  for (size_t i = 0; changes && i < nchanges; i++) free(changes[i].blob);
  free(changes);
  free(kept);
  sqlite3_finalize(get);
  sqlite3_finalize(put);
  sqlite3_finalize(drop);
  if (rc == PS_OK) rc = ps_sqlite_exec(db, "COMMIT");
  else if (!sqlite3_get_autocommit(db)) ps_sqlite_exec(db, "ROLLBACK");
  *more = rc == PS_OK && rows == FORGET_ROWS;
  return rc;
}

int ps_sqlite_funnel_times_forget(sqlite_store *s, int64_t game_id, uint32_t user) {
  segment_key last = {.category = "", .key = "", .day = INT64_MIN, .seg = INT64_MIN};
  int rc = PS_OK, more = 1;
  while (rc == PS_OK && more) {
    pthread_mutex_lock(&s->shared_lock);
    rc = forget_batch(s->shared, game_id, user, &last, &more);
    pthread_mutex_unlock(&s->shared_lock);
  }
  return rc;
}

/* ---- schema 11 ---- */

typedef struct upgrade_game {
  int64_t game_id, mark;
} upgrade_game;

/* The entries of game_id's events up to mark, on db (migrate's transaction), in place of any
 * the game had (a store set back to an older version by hand: no entry twice, none naming a
 * combo that is gone). */
static int upgrade_game_entries(sqlite3 *db, int64_t game_id, int64_t mark) {
  char text_expr[1024], sql[4096];
  size_t n = 0;
  if (ps_ga_combo_text_sql(text_expr, sizeof text_expr, &n) != PS_OK) return PS_ENOMEM;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, "DELETE FROM ga_funnel_times WHERE game_id = ?1", -1, &st,
                              NULL) == SQLITE_OK ? PS_OK : PS_EIO;
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  st = NULL;
  const char *where = " WHERE e.id <= ?2 AND +e.game_id = ?1 AND e.day IS NOT NULL"
                      " AND e.user_id IS NOT NULL AND e.user_id != ''"
                      " AND e.category IN ('design', 'progression', 'resource', 'business')";
  snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO ga_combos(game_id, dims) SELECT DISTINCT ?1, %s"
           " FROM events e%s", text_expr, where);
  if (rc == PS_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) rc = PS_EIO;
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, mark);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  st = NULL;
  snprintf(sql, sizeof sql,
           "SELECT e.category, CASE WHEN e.category = 'business' THEN " PS_SQLITE_BUSINESS_ID
           " ELSE e.agg_key END, e.day, " PS_SQLITE_EVENT_TIME ", u.idx, c.id"
           " FROM events e LEFT JOIN ga_users u ON u.game_id = e.game_id AND u.user_id = e.user_id"
           " LEFT JOIN ga_combos c ON c.game_id = e.game_id AND c.dims = %s%s",
           text_expr, where);
  if (rc == PS_OK && sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    ps_error_log("sqlite: upgrade to 11: %s", sqlite3_errmsg(db));
    rc = PS_EIO;
  }
  ps_funnel_times times = {0};
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, mark);
    int s;
    while (rc == PS_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
      if (sqlite3_column_type(st, 1) != SQLITE_TEXT || sqlite3_column_type(st, 4) == SQLITE_NULL ||
          sqlite3_column_type(st, 5) == SQLITE_NULL)
        continue; /* no key, or (never) a user or combo the rollups did not number */
      rc = ps_funnel_times_add(&times, (const char *)sqlite3_column_text(st, 0),
                               (const char *)sqlite3_column_text(st, 1),
                               sqlite3_column_int64(st, 2), (uint32_t)sqlite3_column_int64(st, 4),
                               sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 5));
    }
    if (rc == PS_OK && s != SQLITE_DONE) rc = PS_EIO;
  }
  sqlite3_finalize(st);
  if (rc == PS_OK) rc = ps_funnel_times_write(db, game_id, &times);
  ps_funnel_times_destroy(&times);
  return rc;
}

int ps_sqlite_funnel_times_upgrade_to_11(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  upgrade_game *games = NULL;
  size_t n = 0, cap = 0;
  int rc = sqlite3_prepare_v2(db, "SELECT game_id, last_event_id FROM ga_mark", -1, &st, NULL) ==
                   SQLITE_OK ? PS_OK : PS_EIO;
  int s;
  while (rc == PS_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      upgrade_game *grown = realloc(games, cap * sizeof *grown);
      if (!grown) {
        rc = PS_ENOMEM;
        break;
      }
      games = grown;
    }
    games[n++] = (upgrade_game){sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)};
  }
  if (rc == PS_OK && s != SQLITE_DONE) rc = PS_EIO;
  sqlite3_finalize(st);
  if (rc == PS_OK && n)
    ps_info("sqlite: upgrading to schema 11: the funnels' rollup of the events already rolled up"
            " (minutes for tens of millions of events)");
  for (size_t i = 0; rc == PS_OK && i < n; i++)
    rc = upgrade_game_entries(db, games[i].game_id, games[i].mark);
  free(games);
  return rc;
}
