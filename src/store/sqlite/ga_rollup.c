/*
 * ga_rollup.c: see ga_rollup.h. One pass: read the digests (ga_facts.h) of the events after
 * the mark, and gather, in keymaps, the users they touch, the bitmap chunk edits and the
 * aggregate additions; then hand the whole delta to the store in one transaction with the new
 * mark. No body is parsed here: what an event adds was decided when it was appended.
 *
 * A rebuild of days (a player's deletion) walks the game's events up to the mark, folds the
 * aggregates of those on the days with the same fold_aggregates a pass adds them with, and
 * replaces the days' rows. The walk reads the whole game (there is no index by day: one would
 * cost every append a second index entry, for a rare deletion), a batch per read.
 *
 * Concurrency: a pass holds the store's rollup_lock from its first read to its write, so
 * within the process the mark never moves under it; a rebuild walks without it (passes go on)
 * and takes it for its end: the events folded since the walk's mark, then the write. A pass of
 * another process (the CLI) is caught by the writes, which apply only while the mark is still
 * the one read (a pass then applies nothing and the next one redoes it; a rebuild folds the
 * new events and tries again).
 */
#include "store/sqlite/ga_rollup.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/errors.h"
#include "common/keymap.h"
#include "common/log.h"
#include "store/sqlite/ga_combos.h"
#include "store/sqlite/ga_funnel_times.h"
#include "store/sqlite/ga_ltv_rollup.h"

static const char *const ps_ga_dims[PS_GA_DIMS] = {"",          "platform",  "build",    "os_version",
                                            "custom_01", "custom_02", "custom_03", "country"};

const char *ps_ga_dim_name(int d) { return d >= 0 && d < PS_GA_DIMS ? ps_ga_dims[d] : ""; }

int ps_ga_dim_index(const char *name) {
  for (int d = 1; d < PS_GA_DIMS; d++)
    if (strcmp(ps_ga_dims[d], name) == 0) return d;
  return -1;
}

#define NBUCKETS 4096 /* the keymaps grow as a pass fills them */

typedef struct user_entry {
  ps_keymap_entry key;
  ps_ga_user user;
  ps_ga_user stored; /* as the store holds it (known), before the pass */
  int dirty, known;
} user_entry;

typedef struct chunk_entry {
  ps_keymap_entry key;
  char name[128];
  ps_ga_chunk_edit edit;
} chunk_entry;

typedef struct agg_entry {
  ps_keymap_entry key;
  char name[256];
  ps_ga_agg_add add;
} agg_entry;

typedef struct pass {
  sqlite_store *store;
  int64_t game_id;
  int64_t next_idx;
  int64_t last_id;
  size_t events;
  int rc;
  ps_keymap users, chunks, aggs;
  ps_ga_combo_cache combos;
  ps_funnel_times funnel_times;
  ps_ltv_delta ltv;
  user_entry **user_list;
  size_t nuser_list, user_cap;
  chunk_entry **chunk_list;
  size_t nchunk_list, chunk_cap;
  agg_entry **agg_list;
  size_t nagg_list, agg_cap;
} pass;

/* ---- the pass's maps ---- */

/* A key of the maps being written: parts joined by \x1f, NUL-terminated and cut at cap - 1
 * bytes, the string snprintf("%c\x1f%d\x1f%s...") would make (a pass makes ten of them per
 * event, which printf's format parsing made a third of a pass's time). */
typedef struct name_buf {
  char *s;
  size_t n, cap;
} name_buf;

static void put_text(name_buf *b, const char *t) {
  while (*t && b->n + 1 < b->cap) b->s[b->n++] = *t++;
  b->s[b->n] = '\0';
}

static void put_int(name_buf *b, int64_t v) {
  char digits[24], *d = digits + sizeof digits;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  *--d = '\0';
  do *--d = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0) *--d = '-';
  put_text(b, d);
}

static void put_separated(name_buf *b, const char *t) {
  put_text(b, "\x1f");
  put_text(b, t);
}

static void put_separated_int(name_buf *b, int64_t v) {
  put_text(b, "\x1f");
  put_int(b, v);
}

static user_entry *user_of(pass *p, const char *user_id) {
  ps_keymap_entry *e = ps_keymap_find(&p->users, 0, user_id);
  if (e) return ps_keymap_owner(e, user_entry, key);
  user_entry *u = calloc(1, sizeof *u);
  if (!u || PS_ARRAY_RESERVE(p->user_list, p->nuser_list, p->user_cap)) {
    free(u);
    return NULL;
  }
  int rc = ps_sqlite_ga_user_get(p->store, p->game_id, user_id, &u->user);
  if (rc == PS_ENOTFOUND) {
    snprintf(u->user.user_id, sizeof u->user.user_id, "%s", user_id);
    u->user.idx = p->next_idx++;
    u->user.first_day = -1;
    u->dirty = 1;
    rc = PS_OK;
  } else if (rc == PS_OK) {
    u->known = 1;
  }
  u->stored = u->user;
  if (rc != PS_OK) {
    free(u);
    p->rc = rc;
    return NULL;
  }
  u->key.name = u->user.user_id;
  ps_keymap_insert(&p->users, &u->key);
  p->user_list[p->nuser_list++] = u;
  return u;
}

/* Sets (on) or clears one user's bit in the bitmap (kind, dim, value, day). */
static int edit_bit(pass *p, char kind, int dim, const char *value, int64_t day, int64_t idx,
                    int on) {
  int64_t chunk = idx / PS_GA_CHUNK_BITS, bit = idx % PS_GA_CHUNK_BITS;
  char name[128];
  name_buf b = {name, 0, sizeof name};
  put_text(&b, (char[]){kind, '\0'});
  put_separated_int(&b, dim);
  put_separated(&b, value);
  put_separated_int(&b, day);
  put_separated_int(&b, chunk);
  ps_keymap_entry *e = ps_keymap_find(&p->chunks, 0, name);
  chunk_entry *c = e ? ps_keymap_owner(e, chunk_entry, key) : NULL;
  if (!c) {
    if (!(c = calloc(1, sizeof *c)) || PS_ARRAY_RESERVE(p->chunk_list, p->nchunk_list, p->chunk_cap)) {
      free(c);
      return PS_ENOMEM;
    }
    memcpy(c->name, name, sizeof name);
    c->key.name = c->name;
    c->edit.kind = kind;
    c->edit.dim = dim;
    snprintf(c->edit.value, sizeof c->edit.value, "%s", value);
    c->edit.day = day;
    c->edit.chunk = chunk;
    ps_keymap_insert(&p->chunks, &c->key);
    p->chunk_list[p->nchunk_list++] = c;
  }
  unsigned char mask = (unsigned char)(1u << (bit % 8));
  if (on) {
    c->edit.set[bit / 8] |= mask;
    c->edit.clear[bit / 8] &= (unsigned char)~mask;
  } else {
    c->edit.clear[bit / 8] |= mask;
    c->edit.set[bit / 8] &= (unsigned char)~mask;
  }
  return PS_OK;
}

static int add_agg(pass *p, const char *kind, int dim, const char *value, int64_t day,
                   const char *key, double sum) {
  char name[256];
  name_buf b = {name, 0, sizeof name};
  put_text(&b, kind);
  put_separated_int(&b, dim);
  put_separated(&b, value);
  put_separated_int(&b, day);
  put_separated(&b, key);
  ps_keymap_entry *e = ps_keymap_find(&p->aggs, 0, name);
  agg_entry *a = e ? ps_keymap_owner(e, agg_entry, key) : NULL;
  if (!a) {
    if (!(a = calloc(1, sizeof *a)) || PS_ARRAY_RESERVE(p->agg_list, p->nagg_list, p->agg_cap)) {
      free(a);
      return PS_ENOMEM;
    }
    memcpy(a->name, name, sizeof name);
    a->key.name = a->name;
    snprintf(a->add.kind, sizeof a->add.kind, "%s", kind);
    a->add.dim = dim;
    snprintf(a->add.value, sizeof a->add.value, "%s", value);
    a->add.day = day;
    snprintf(a->add.key, sizeof a->add.key, "%s", key);
    a->add.min = sum;
    a->add.max = sum;
    ps_keymap_insert(&p->aggs, &a->key);
    p->agg_list[p->nagg_list++] = a;
  }
  a->add.n++;
  a->add.sum += sum;
  if (sum < a->add.min) a->add.min = sum;
  if (sum > a->add.max) a->add.max = sum;
  return PS_OK;
}

/* ---- one event ---- */

/* Events are copied out of the scan first: folding them reads the store (users), which the
 * scan's lock would forbid. What is copied is the digest (event_log.c keeps it in the row), its
 * strings into one growing buffer, so a pass makes no allocation per event and parses nothing. */
#define NONE SIZE_MAX /* an absent string */

typedef enum { CAT_OTHER, CAT_USER, CAT_BUSINESS, CAT_SESSION_END, CAT_FAMILY } category_kind;

typedef struct stored_event {
  int64_t id, day;
  int folds;
  /* funnels: the event's category of a funnel kind (NULL: none), its key, its time */
  const char *funnel_category;
  size_t funnel_key;
  int64_t time_s;
  category_kind kind;
  const char *family;          /* the aggregate kind of agg_key (CAT_FAMILY: the family) */
  size_t user, dims[PS_GA_DIMS], key; /* offsets into the list's text, or NONE */
  double value;
} stored_event;

typedef struct event_list {
  stored_event *v;
  size_t n, cap;
  char *text;
  size_t len, text_cap;
} event_list;

/* Copies s (NULL: none) into l's text; its offset in *at. PS_OK or PS_ENOMEM. */
static int keep_text(event_list *l, const char *s, size_t *at) {
  *at = NONE;
  if (!s) return PS_OK;
  size_t n = strlen(s) + 1;
  if (l->len + n > l->text_cap) {
    size_t cap = l->text_cap ? l->text_cap : 65536;
    while (cap < l->len + n) cap *= 2;
    char *grown = realloc(l->text, cap);
    if (!grown) return PS_ENOMEM;
    l->text = grown;
    l->text_cap = cap;
  }
  memcpy(l->text + l->len, s, n);
  *at = l->len;
  l->len += n;
  return PS_OK;
}

/* What a category counts beyond its active bits, and the aggregate its digest's key adds to. */
static category_kind kind_of(const char *category, const char **aggregate) {
  static const char *const families[] = {"progression", "resource", "design", "error", "ads"};
  *aggregate = NULL;
  if (!strcmp(category, "user")) return CAT_USER;
  if (!strcmp(category, "business")) return *aggregate = "revenue", CAT_BUSINESS;
  if (!strcmp(category, "session_end")) return *aggregate = "length", CAT_SESSION_END;
  for (size_t i = 0; i < sizeof families / sizeof *families; i++)
    if (!strcmp(category, families[i])) return *aggregate = families[i], CAT_FAMILY;
  return CAT_OTHER;
}

/* The category (a static string) and key of an event the rollups fold that a funnel step can
 * name (ga_funnel_times.h): design, progression and resource by their digest key, business by
 * its item; else NULL. (An event without a user id has no digest: no funnel counts it.) */
static const char *funnel_kind(const ps_ga_stored_event *e, const char **key) {
  static const char *const keyed[] = {"design", "progression", "resource"};
  *key = NULL;
  if (!e->folds || !e->category || !e->user_id || !*e->user_id) return NULL;
  if (!strcmp(e->category, "business")) return (*key = e->item) ? "business" : NULL;
  for (size_t i = 0; i < sizeof keyed / sizeof *keyed; i++)
    if (!strcmp(e->category, keyed[i])) return (*key = e->agg_key) ? keyed[i] : NULL;
  return NULL;
}

static int collect_event(const ps_ga_stored_event *e, void *ctx) {
  event_list *l = ctx;
  if (PS_ARRAY_RESERVE(l->v, l->n, l->cap)) return PS_ENOMEM;
  stored_event *s = &l->v[l->n];
  *s = (stored_event){.id = e->id, .folds = e->folds && e->category && e->user_id && *e->user_id};
  const char *funnel_key;
  s->funnel_category = funnel_kind(e, &funnel_key);
  if (s->folds) {
    s->day = e->day;
    s->time_s = e->time_s;
    s->kind = kind_of(e->category, &s->family);
    s->value = e->agg_value;
    s->dims[0] = NONE;
    int rc = keep_text(l, e->user_id, &s->user);
    for (int d = 1; rc == PS_OK && d < PS_GA_DIMS; d++) rc = keep_text(l, e->dims[d], &s->dims[d]);
    if (rc == PS_OK) rc = keep_text(l, e->agg_key, &s->key);
    if (rc == PS_OK) rc = keep_text(l, funnel_key, &s->funnel_key);
    if (rc != PS_OK) return rc;
  }
  l->n++;
  return 0;
}

/* The event's dimension values (cut to 64 bytes) and which are present (0: all events). */
static void event_dims(const stored_event *e, const char *text, char values[PS_GA_DIMS][65],
                       int present[PS_GA_DIMS]) {
  present[0] = 1;
  values[0][0] = '\0';
  for (int d = 1; d < PS_GA_DIMS; d++) {
    values[d][0] = '\0';
    if ((present[d] = e->dims[d] != NONE))
      put_text(&(name_buf){values[d], 0, sizeof values[d]}, text + e->dims[d]);
  }
}

/* What the event adds to the aggregates of its day (the one fold of the counts, sums and
 * extremes: a pass adds it, a day's rebuild recomputes the day with it); values and present:
 * its dimensions (event_dims), taken once per event by the caller. */
static int fold_aggregates(pass *p, const stored_event *e, const char *text,
                           char values[PS_GA_DIMS][65], const int present[PS_GA_DIMS]) {
  const char *aggregate = e->key != NONE ? e->family : NULL, *key = aggregate ? text + e->key : NULL;
  int rc = PS_OK;
  for (int d = 0; rc == PS_OK && d < PS_GA_DIMS; d++) {
    if (!present[d]) continue;
    if (e->kind == CAT_USER) rc = add_agg(p, "sessions", d, values[d], e->day, "", 0);
    if (rc == PS_OK && aggregate) rc = add_agg(p, aggregate, d, values[d], e->day, key, e->value);
  }
  /* The summed figures (not the families') by the combination of every value (segments). */
  int summed = e->kind == CAT_USER || (aggregate && e->kind != CAT_FAMILY);
  char combo[24];
  if (rc == PS_OK && summed)
    rc = ps_ga_combo_id(p->store, p->game_id, &p->combos, values, present, combo);
  if (rc == PS_OK && e->kind == CAT_USER)
    rc = add_agg(p, "sessions", PS_GA_COMBO_DIM, combo, e->day, "", 0);
  if (rc == PS_OK && summed && aggregate)
    rc = add_agg(p, aggregate, PS_GA_COMBO_DIM, combo, e->day, key, e->value);
  return rc;
}

/* What the event adds to the funnels' rollup: its user's number (ga_users.idx), time and combo
 * under its key and day. */
static int fold_funnel(pass *p, const stored_event *e, const char *text,
                       char values[PS_GA_DIMS][65], const int present[PS_GA_DIMS]) {
  user_entry *u = user_of(p, text + e->user);
  if (!u) return p->rc ? p->rc : PS_ENOMEM;
  char combo[24];
  int rc = ps_ga_combo_id(p->store, p->game_id, &p->combos, values, present, combo);
  if (rc == PS_OK)
    rc = ps_funnel_times_add(&p->funnel_times, e->funnel_category, text + e->funnel_key, e->day,
                             (uint32_t)u->user.idx, e->time_s, strtoll(combo, NULL, 10));
  return rc;
}

static int fold_event(pass *p, const stored_event *e, const char *text,
                      char values[PS_GA_DIMS][65], const int present[PS_GA_DIMS]) {
  user_entry *u = user_of(p, text + e->user);
  if (!u) return p->rc ? p->rc : PS_ENOMEM;
  int64_t day = e->day;
  int rc = PS_OK;
  for (int d = 0; rc == PS_OK && d < PS_GA_DIMS; d++) {
    if (!present[d]) continue;
    rc = edit_bit(p, 'a', d, values[d], day, u->user.idx, 1);
    if (rc == PS_OK && e->kind == CAT_BUSINESS) rc = edit_bit(p, 'p', d, values[d], day, u->user.idx, 1);
  }
  if (rc == PS_OK) rc = fold_aggregates(p, e, text, values, present);
  if (rc == PS_OK && e->kind == CAT_BUSINESS && e->key != NONE) /* LTV: ga_ltv_rollup.h */
    rc = ps_ltv_delta_spend(&p->ltv, &u->user, day, text + e->key, e->value);
  if (rc == PS_OK && e->kind == CAT_USER && (u->user.first_day < 0 || day < u->user.first_day)) {
    /* A new first day: the user moves between the "new" bitmaps. */
    for (int d = 0; rc == PS_OK && u->user.first_day >= 0 && d < PS_GA_DIMS; d++)
      if (d == 0 || u->user.first_dims[d][0])
        rc = edit_bit(p, 'n', d, d ? u->user.first_dims[d] : "", u->user.first_day, u->user.idx, 0);
    for (int d = 0; rc == PS_OK && d < PS_GA_DIMS; d++)
      if (present[d]) rc = edit_bit(p, 'n', d, values[d], day, u->user.idx, 1);
    u->user.first_day = day;
    for (int d = 1; d < PS_GA_DIMS; d++) memcpy(u->user.first_dims[d], values[d], sizeof values[d]);
    u->dirty = 1;
  }
  return rc;
}

static int fold_events(pass *p, const event_list *l) {
  for (size_t i = 0; i < l->n; i++) {
    const stored_event *e = &l->v[i];
    char values[PS_GA_DIMS][65];
    int present[PS_GA_DIMS];
    if (e->folds) event_dims(e, l->text, values, present);
    int rc = e->folds ? fold_event(p, e, l->text, values, present) : PS_OK;
    if (rc == PS_OK && e->funnel_category) rc = fold_funnel(p, e, l->text, values, present);
    if (rc != PS_OK) return rc;
    p->last_id = l->v[i].id;
    p->events++;
  }
  return PS_OK;
}

/* ---- the pass ---- */

static void free_entry(ps_keymap_entry *e) { free(e); } /* entries start with their key */

static void pass_free(pass *p) {
  ps_keymap_destroy(&p->users, free_entry);
  ps_keymap_destroy(&p->chunks, free_entry);
  ps_keymap_destroy(&p->aggs, free_entry);
  ps_ga_combo_cache_destroy(&p->combos);
  ps_funnel_times_destroy(&p->funnel_times);
  ps_ltv_delta_destroy(&p->ltv);
  free(p->user_list);
  free(p->chunk_list);
  free(p->agg_list);
}

/* Whether the pass changed the user's first day or first dimensions. */
static int first_moved(const user_entry *u) {
  if (u->user.first_day != u->stored.first_day) return 1;
  for (int d = 1; d < PS_GA_DIMS; d++)
    if (strcmp(u->user.first_dims[d], u->stored.first_dims[d])) return 1;
  return 0;
}

/* The LTV rollup's part of the pass (ga_ltv_rollup.h): the stored amounts of the users whose
 * cohort changed move, then the pass's amounts join their users' cohorts. */
static int settle_ltv(pass *p) {
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < p->nuser_list; i++) {
    const user_entry *u = p->user_list[i];
    if (u->known && first_moved(u))
      rc = ps_ltv_delta_move(&p->ltv, p->store, p->game_id, &p->combos, &u->stored, &u->user);
  }
  return rc == PS_OK ? ps_ltv_delta_settle(&p->ltv, p->store, p->game_id, &p->combos) : rc;
}

/* The pass itself, under the store's rollup_lock. */
static int pass_locked(sqlite_store *store, int64_t game_id, size_t max_events, size_t *done) {
  pass p = {.store = store, .game_id = game_id};
  *done = 0;
  int rc = ps_sqlite_ga_rollup_mark(store, game_id, &p.last_id);
  int64_t first_id = p.last_id;
  if (rc == PS_OK) rc = ps_sqlite_ga_user_next_idx(store, game_id, &p.next_idx);
  if (rc == PS_OK && (ps_keymap_init(&p.users, NBUCKETS) || ps_keymap_init(&p.chunks, NBUCKETS) ||
                      ps_keymap_init(&p.aggs, NBUCKETS)))
    rc = PS_ENOMEM;
  event_list events = {0};
  if (rc == PS_OK) rc = ps_sqlite_ga_events_after(store, game_id, p.last_id, max_events, collect_event, &events);
  if (rc == PS_OK) rc = fold_events(&p, &events);
  if (rc == PS_OK && p.events) rc = settle_ltv(&p);
  free(events.v);
  free(events.text);
  ps_ga_user *users = NULL;
  const ps_ga_chunk_edit **chunks = NULL;
  const ps_ga_agg_add **aggs = NULL;
  if (rc == PS_OK && p.events) {
    users = malloc((p.nuser_list ? p.nuser_list : 1) * sizeof *users);
    chunks = malloc((p.nchunk_list ? p.nchunk_list : 1) * sizeof *chunks);
    aggs = malloc((p.nagg_list ? p.nagg_list : 1) * sizeof *aggs);
    if (!users || !chunks || !aggs) rc = PS_ENOMEM;
  }
  if (rc == PS_OK && p.events) {
    size_t nusers = 0;
    for (size_t i = 0; i < p.nuser_list; i++)
      if (p.user_list[i]->dirty) users[nusers++] = p.user_list[i]->user;
    for (size_t i = 0; i < p.nchunk_list; i++) chunks[i] = &p.chunk_list[i]->edit;
    for (size_t i = 0; i < p.nagg_list; i++) aggs[i] = &p.agg_list[i]->add;
    ps_ga_delta delta = {users, nusers, chunks, p.nchunk_list, aggs, p.nagg_list,
                         &p.funnel_times, &p.ltv, p.last_id, first_id};
    rc = ps_sqlite_ga_rollup_apply(store, game_id, &delta);
    if (rc == PS_OK) *done = p.events;
    if (rc == PS_EEXPIRED) rc = PS_OK; /* another process moved the mark: nothing applied */
  }
  free(users);
  free((void *)chunks);
  free((void *)aggs);
  pass_free(&p);
  return rc;
}

int ps_ga_rollup_pass(sqlite_store *store, int64_t game_id, size_t max_events, size_t *done) {
  pthread_mutex_lock(&store->rollup_lock);
  int rc = pass_locked(store, game_id, max_events, done);
  pthread_mutex_unlock(&store->rollup_lock);
  return rc;
}

/* ---- days rebuilt ---- */

#define REBUILD_BATCH 10000 /* events read per query */
#define REBUILD_TRIES 5     /* passes of another process moved the mark meanwhile */

static int cmp_day(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Folds into p the aggregates of the game's events with after < id <= up_to whose day is one
 * of days (sorted), REBUILD_BATCH events per read. */
static int fold_days(pass *p, const int64_t *days, size_t ndays, int64_t after, int64_t up_to) {
  int rc = PS_OK;
  while (rc == PS_OK && after < up_to) {
    event_list events = {0};
    rc = ps_sqlite_ga_events_after(p->store, p->game_id, after, REBUILD_BATCH, collect_event,
                                   &events);
    size_t n = events.n;
    for (size_t i = 0; rc == PS_OK && i < n && events.v[i].id <= up_to; i++)
      if (events.v[i].folds && bsearch(&events.v[i].day, days, ndays, sizeof *days, cmp_day)) {
        char values[PS_GA_DIMS][65];
        int present[PS_GA_DIMS];
        event_dims(&events.v[i], events.text, values, present);
        rc = fold_aggregates(p, &events.v[i], events.text, values, present);
      }
    after = n == REBUILD_BATCH ? events.v[n - 1].id : up_to;
    free(events.v);
    free(events.text);
  }
  return rc;
}

int ps_ga_rollup_rebuild_days(sqlite_store *store, int64_t game_id, int64_t *days, size_t ndays,
                              size_t *rebuilt) {
  pass p = {.store = store, .game_id = game_id};
  int64_t mark = 0;
  *rebuilt = 0;
  qsort(days, ndays, sizeof *days, cmp_day);
  int rc = ps_sqlite_ga_rollup_mark(store, game_id, &mark);
  if (rc == PS_OK && ps_keymap_init(&p.aggs, NBUCKETS)) rc = PS_ENOMEM;
  /* The long walk over the game's events, without the lock: passes go on meanwhile. */
  if (rc == PS_OK) rc = fold_days(&p, days, ndays, 0, mark);
  int outcome = PS_GA_DAY_MARK_MOVED;
  for (int attempt = 0; rc == PS_OK && outcome == PS_GA_DAY_MARK_MOVED && attempt < REBUILD_TRIES;
       attempt++) {
    /* Under the lock: what passes folded since, then the days replaced at the mark they hold. */
    pthread_mutex_lock(&store->rollup_lock);
    int64_t now_mark = mark;
    rc = ps_sqlite_ga_rollup_mark(store, game_id, &now_mark);
    if (rc == PS_OK) rc = fold_days(&p, days, ndays, mark, now_mark);
    if (rc == PS_OK) mark = now_mark;
    const ps_ga_agg_add **aggs = NULL;
    if (rc == PS_OK && !(aggs = malloc((p.nagg_list ? p.nagg_list : 1) * sizeof *aggs)))
      rc = PS_ENOMEM;
    for (size_t i = 0; rc == PS_OK && i < p.nagg_list; i++) aggs[i] = &p.agg_list[i]->add;
    if (rc == PS_OK)
      rc = ps_sqlite_ga_days_replace(store, game_id, days, ndays, aggs, p.nagg_list, mark,
                                     &outcome, rebuilt);
    free((void *)aggs);
    pthread_mutex_unlock(&store->rollup_lock);
  }
  if (rc == PS_OK && outcome == PS_GA_DAY_MARK_MOVED) {
    ps_warn("event rollups: game %lld: days not rebuilt: another process kept moving the mark"
            " (tried again later)", (long long)game_id);
    rc = PS_EIO;
  }
  pass_free(&p);
  return rc;
}

/* Events per pass: larger passes rewrite each touched bitmap chunk fewer times. */
#define PASS_EVENTS 100000

int ps_ga_rollup_catch_up(sqlite_store *store, int64_t game_id) {
  size_t done;
  int rc;
  do rc = ps_ga_rollup_pass(store, game_id, PASS_EVENTS, &done);
  while (rc == PS_OK && done == PASS_EVENTS);
  return rc;
}
