/*
 * playtime_rollup.c: see playtime_rollup.h. One accumulator (struct agg) per bucket holds what
 * a row holds; the same code feeds it from sessions (add_session: the rollup worker's hours and
 * days, and a query's live tail) and from stored rows (merge_row), and turns it into figures
 * (figures) with the arithmetic of session_metrics.c, so that settled rows plus the tail give
 * exactly what session_metrics.h computes from every session.
 */
#include "store/sqlite/playtime_rollup.h"

#include <roaring/roaring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/errors.h"
#include "store/sqlite/session_set.h"

/* ---- accumulators ---- */

/* CRoaring 0.2.66's roaring_bitmap_free does not take NULL. */
static void bitmap_free(roaring_bitmap_t *b) {
  if (b) roaring_bitmap_free(b);
}

typedef struct agg {
  int present; /* a session of the combination overlaps it (or a stored row exists) */
  int64_t started, started_mods, ended, ended_ms, lengths[PS_LENGTH_BUCKETS];
  int64_t ccu, ugc;
  roaring_bitmap_t *players; /* NULL: none yet */
  int64_t *mods;             /* (mod id, ms) pairs; compacted (sorted, merged) by compact() */
  size_t nmods, cap;
} agg;

/* Buckets [origin + i * interval, + interval) for i < n. */
typedef struct grid {
  int64_t origin, interval;
  size_t n;
  agg *b;
} grid;

static int grid_init(grid *g, int64_t origin, int64_t interval, size_t n) {
  g->origin = origin;
  g->interval = interval;
  g->n = n;
  g->b = calloc(n ? n : 1, sizeof *g->b);
  return g->b ? PS_OK : PS_ENOMEM;
}

static void grid_free(grid *g) {
  for (size_t i = 0; g->b && i < g->n; i++) {
    bitmap_free(g->b[i].players);
    free(g->b[i].mods);
  }
  free(g->b);
  g->b = NULL;
}

static size_t bucket_of(const grid *g, int64_t t) { return (size_t)((t - g->origin) / g->interval); }

static int add_player(agg *a, uint32_t player) {
  if (!a->players && !(a->players = roaring_bitmap_create())) return PS_ENOMEM;
  roaring_bitmap_add(a->players, player);
  return PS_OK;
}

static int add_mod(agg *a, int64_t mod, int64_t ms) {
  if (a->nmods + 2 > a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 16;
    int64_t *grown = realloc(a->mods, cap * sizeof *grown);
    if (!grown) return PS_ENOMEM;
    a->mods = grown;
    a->cap = cap;
  }
  a->mods[a->nmods++] = mod;
  a->mods[a->nmods++] = ms;
  return PS_OK;
}

static int cmp_pair(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return a < b ? -1 : a > b;
}

/* Sorts the (mod, ms) pairs by mod and adds up those of the same mod. */
static void compact(agg *a) {
  size_t n = a->nmods / 2;
  if (n < 2) return;
  qsort(a->mods, n, 2 * sizeof *a->mods, cmp_pair);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (k && a->mods[2 * (k - 1)] == a->mods[2 * i]) {
      a->mods[2 * (k - 1) + 1] += a->mods[2 * i + 1];
    } else {
      a->mods[2 * k] = a->mods[2 * i];
      a->mods[2 * k + 1] = a->mods[2 * i + 1];
      k++;
    }
  }
  a->nmods = 2 * k;
}

/* Adds what session s (player number player) contributes to g within [lo, hi) (within g's
 * buckets), by session_metrics.h's definitions: started and ended by instant, presence and mod
 * playtime by overlap (clipped to [lo, hi)), a zero-length session present at its start. */
static int add_session(grid *g, const ps_session_interval *s, uint32_t player, int64_t lo,
                       int64_t hi) {
  int64_t g_end = g->origin + (int64_t)g->n * g->interval;
  if (lo < g->origin) lo = g->origin;
  if (hi > g_end) hi = g_end;
  if (lo >= hi) return PS_OK;
  if (s->start_ms >= lo && s->start_ms < hi) {
    agg *a = &g->b[bucket_of(g, s->start_ms)];
    a->started++;
    a->started_mods += (int64_t)s->nmods;
  }
  if (s->over && s->end_ms >= lo && s->end_ms < hi) {
    agg *a = &g->b[bucket_of(g, s->end_ms)];
    a->ended++;
    a->ended_ms += s->end_ms - s->start_ms;
    a->lengths[ps_length_bucket(s->start_ms, s->end_ms)]++;
  }
  /* Presence of the combination (which rows exist): buckets the session touches, as the
   * store's range scan sees it (started before the bucket's end, not over before its start). */
  int64_t p0 = s->start_ms > lo ? s->start_ms : lo, p1 = s->end_ms < hi - 1 ? s->end_ms : hi - 1;
  for (int64_t t = p0; t <= p1; t = g->origin + (int64_t)(bucket_of(g, t) + 1) * g->interval)
    g->b[bucket_of(g, t)].present = 1;
  int rc = PS_OK;
  if (s->end_ms == s->start_ms) {
    if (s->start_ms >= lo && s->start_ms < hi) rc = add_player(&g->b[bucket_of(g, s->start_ms)], player);
    return rc;
  }
  int64_t a0 = s->start_ms > lo ? s->start_ms : lo, a1 = s->end_ms < hi ? s->end_ms : hi;
  if (a1 <= a0) return PS_OK;
  for (size_t b = bucket_of(g, a0); rc == PS_OK && b <= bucket_of(g, a1 - 1); b++) {
    int64_t b0 = g->origin + (int64_t)b * g->interval, b1 = b0 + g->interval;
    if (b0 < a0) b0 = a0;
    if (b1 > a1) b1 = a1;
    rc = add_player(&g->b[b], player);
    for (size_t j = 0; rc == PS_OK && j < s->nmods; j++) rc = add_mod(&g->b[b], s->mods[j], b1 - b0);
  }
  return rc;
}

/* ---- player numbers ---- */

typedef struct named {
  const char *player;
  size_t item;
} named;

static int cmp_named(const void *a, const void *b) {
  return strcmp(((const named *)a)->player, ((const named *)b)->player);
}

/* The number of each item's player into numbers[i] (set->n of them). assign: number the new
 * ones in the store; else players the store does not know (seen only after the settled mark,
 * so in no stored set) get numbers of their own from 2^31 up. */
static int number_items(sqlite_store *store, int64_t game_id, const ps_session_set *set,
                        int assign, uint32_t *numbers) {
  size_t n = set->n;
  named *order = malloc((n ? n : 1) * sizeof *order);
  const char **names = malloc((n ? n : 1) * sizeof *names);
  uint32_t *found = malloc((n ? n : 1) * sizeof *found);
  int rc = order && names && found ? PS_OK : PS_ENOMEM;
  size_t k = 0;
  if (rc == PS_OK) {
    for (size_t i = 0; i < n; i++) order[i] = (named){set->items[i].player, i};
    qsort(order, n, sizeof *order, cmp_named);
    for (size_t i = 0; i < n; i++)
      if (k == 0 || strcmp(names[k - 1], order[i].player) != 0) names[k++] = order[i].player;
    rc = ps_sqlite_playtime_players(store, game_id, names, k, found, assign);
  }
  if (rc == PS_OK) {
    uint32_t unknown = 0x80000000u;
    for (size_t d = 0; d < k; d++)
      if (found[d] == UINT32_MAX) found[d] = unknown++;
    for (size_t i = 0, d = 0; i < n; i++) {
      while (strcmp(names[d], order[i].player) != 0) d++;
      numbers[order[i].item] = found[d];
    }
  }
  free(order);
  free(names);
  free(found);
  return rc;
}

/* ---- the rollup worker ---- */

void ps_playtime_rows_free(ps_playtime_rows *r) {
  for (size_t i = 0; i < r->n; i++) {
    free((void *)r->items[i].players);
    free((void *)r->items[i].mods);
  }
  free(r->items);
  memset(r, 0, sizeof *r);
}

/* Appends the row of accumulator a (its players serialised, its mods moved). */
static int emit(ps_playtime_rows *r, agg *a, int64_t span_ms, const char *platform, const char *portal,
                int64_t t_ms) {
  if (PS_ARRAY_RESERVE(r->items, r->n, r->cap) != PS_OK) return PS_ENOMEM;
  ps_playtime_row *row = &r->items[r->n];
  memset(row, 0, sizeof *row);
  row->span_ms = span_ms;
  snprintf(row->platform, sizeof row->platform, "%s", platform);
  snprintf(row->portal, sizeof row->portal, "%s", portal);
  row->t_ms = t_ms;
  row->started = a->started;
  row->started_mods = a->started_mods;
  row->ended = a->ended;
  row->ended_ms = a->ended_ms;
  memcpy(row->lengths, a->lengths, sizeof row->lengths);
  row->ccu = a->ccu;
  row->ugc = a->ugc;
  if (a->players) {
    roaring_bitmap_run_optimize(a->players);
    size_t len = roaring_bitmap_portable_size_in_bytes(a->players);
    char *bytes = malloc(len ? len : 1);
    if (!bytes) return PS_ENOMEM;
    roaring_bitmap_portable_serialize(a->players, bytes);
    row->players = bytes;
    row->players_len = len;
  }
  compact(a);
  row->mods = a->mods;
  row->nmods = a->nmods / 2;
  a->mods = NULL;
  a->nmods = a->cap = 0;
  r->n++;
  return PS_OK;
}

/* The peaks of subset per bucket of g into its accumulators. */
static int peaks_into(grid *g, const ps_session_interval *subset, size_t n) {
  ps_metric_result ccu, ugc;
  int64_t to = g->origin + (int64_t)g->n * g->interval;
  int rc = ps_session_metric_compute("ccu", subset, n, g->origin, to, g->interval, &ccu);
  if (rc != PS_OK) return rc;
  rc = ps_session_metric_compute("concurrent_ugc", subset, n, g->origin, to, g->interval, &ugc);
  for (size_t b = 0; rc == PS_OK && b < g->n; b++) {
    g->b[b].ccu = (int64_t)ccu.whole.values[b];
    g->b[b].ugc = (int64_t)ugc.whole.values[b];
  }
  ps_metric_result_free(&ccu);
  if (rc == PS_OK) ps_metric_result_free(&ugc);
  return rc;
}

/* The rows of one combination (platform / portal NULL: any) for the hours of [a, b) and the
 * day [day, b). */
static int roll_combination(const ps_session_set *set, const uint32_t *numbers,
                            const char *platform, const char *portal, int64_t day, int64_t a,
                            int64_t b, ps_playtime_rows *out) {
  ps_session_interval *subset = malloc((set->n ? set->n : 1) * sizeof *subset);
  uint32_t *subset_numbers = malloc((set->n ? set->n : 1) * sizeof *subset_numbers);
  grid hours = {0}, whole_day = {0};
  int rc = subset && subset_numbers ? PS_OK : PS_ENOMEM;
  size_t n = 0;
  for (size_t i = 0; rc == PS_OK && i < set->n; i++)
    if ((!platform || strcmp(platform, set->platform[i]) == 0) &&
        (!portal || strcmp(portal, set->portal[i]) == 0)) {
      subset_numbers[n] = numbers[i];
      subset[n++] = set->items[i];
    }
  if (rc == PS_OK) rc = grid_init(&hours, a, PS_PLAYTIME_HOUR_MS, (size_t)((b - a) / PS_PLAYTIME_HOUR_MS));
  if (rc == PS_OK) rc = grid_init(&whole_day, day, b - day, 1);
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    rc = add_session(&hours, &subset[i], subset_numbers[i], a, b);
    if (rc == PS_OK) rc = add_session(&whole_day, &subset[i], subset_numbers[i], day, b);
  }
  if (rc == PS_OK && n) rc = peaks_into(&hours, subset, n);
  if (rc == PS_OK && n) rc = peaks_into(&whole_day, subset, n);
  const char *pl = platform ? platform : PS_ROLLUP_ANY, *po = portal ? portal : PS_ROLLUP_ANY;
  for (size_t h = 0; rc == PS_OK && h < hours.n; h++)
    if (hours.b[h].present)
      rc = emit(out, &hours.b[h], PS_PLAYTIME_HOUR_MS, pl, po, a + (int64_t)h * PS_PLAYTIME_HOUR_MS);
  if (rc == PS_OK && whole_day.b[0].present)
    rc = emit(out, &whole_day.b[0], PS_PLAYTIME_DAY_MS, pl, po, day);
  grid_free(&hours);
  grid_free(&whole_day);
  free(subset);
  free(subset_numbers);
  return rc;
}

int ps_playtime_rollup_compute(sqlite_store *store, int64_t game_id, const ps_session_set *set,
                               int64_t day, int64_t a, int64_t b, ps_playtime_rows *out) {
  uint32_t *numbers = malloc((set->n ? set->n : 1) * sizeof *numbers);
  int rc = numbers ? number_items(store, game_id, set, 1, numbers) : PS_ENOMEM;
  if (rc == PS_OK) rc = roll_combination(set, numbers, NULL, NULL, day, a, b, out);
  for (size_t i = 0; rc == PS_OK && i < set->n; i++) {
    if (ps_session_set_first(set->platform, i))
      rc = roll_combination(set, numbers, set->platform[i], NULL, day, a, b, out);
    if (rc == PS_OK && ps_session_set_first(set->portal, i))
      rc = roll_combination(set, numbers, NULL, set->portal[i], day, a, b, out);
  }
  free(numbers);
  return rc;
}

/* Rolls up the hours [a, b) of the day starting at day (b at most its end): their hour rows,
 * and the day's row over [day, b), recomputed from the day's sessions. */
static int roll_chunk(sqlite_store *store, int64_t game_id, int64_t day, int64_t a, int64_t b,
                      int64_t now_ms, int64_t timeout_ms) {
  ps_session_set set = {0};
  ps_playtime_rows r = {0};
  int64_t epoch = 0; /* read before the sessions: a deletion after it voids the write */
  int rc = ps_sqlite_playtime_epoch(store, game_id, &epoch);
  if (rc == PS_OK)
    rc = ps_session_set_load(store, game_id, day, b, now_ms, timeout_ms, NULL, NULL, &set);
  if (rc == PS_OK) rc = ps_playtime_rollup_compute(store, game_id, &set, day, a, b, &r);
  if (rc == PS_OK) rc = ps_sqlite_playtime_write(store, game_id, r.items, r.n, b, epoch);
  ps_playtime_rows_free(&r);
  ps_session_set_free(&set);
  return rc;
}

int ps_playtime_rollup_advance(sqlite_store *store, int64_t game_id, int64_t horizon_ms,
                               int64_t now_ms, int64_t timeout_ms) {
  int64_t target = horizon_ms - horizon_ms % PS_PLAYTIME_HOUR_MS, settled;
  int rc = ps_sqlite_playtime_settled(store, game_id, &settled);
  if (rc == PS_ENOTFOUND) {
    /* Never rolled up: start at the first session's hour (or at the target if none). */
    rc = ps_sqlite_msessions_first_start(store, game_id, &settled);
    if (rc == PS_ENOTFOUND) {
      settled = target;
      rc = PS_OK;
    }
    settled -= settled % PS_PLAYTIME_HOUR_MS;
  }
  while (rc == PS_OK && settled < target) {
    int64_t day = settled - settled % PS_PLAYTIME_DAY_MS;
    int64_t to = day + PS_PLAYTIME_DAY_MS < target ? day + PS_PLAYTIME_DAY_MS : target;
    rc = roll_chunk(store, game_id, day, settled, to, now_ms, timeout_ms);
    settled = to;
  }
  return rc;
}

/* ---- queries ---- */

int64_t ps_playtime_span(const ps_session_query *q) {
  int by_platform = q->platform || (q->group_by && !q->group_by_portal);
  int by_portal = q->portal || (q->group_by && q->group_by_portal);
  if (by_platform && by_portal) return 0;
  if (q->interval_ms % PS_PLAYTIME_DAY_MS == 0) return PS_PLAYTIME_DAY_MS;
  if (q->interval_ms % PS_PLAYTIME_HOUR_MS == 0) return PS_PLAYTIME_HOUR_MS;
  return 0;
}

/* One answer being assembled: the whole and, with group_by, one grid per group value. */
typedef struct answer {
  const ps_session_query *q;
  ps_metric_result *out;
  grid whole;
  grid *groups;
  char (*keys)[16];
  size_t ngroups, cap;
} answer;

static const char *whole_platform(const ps_session_query *q) {
  return q->platform ? q->platform : PS_ROLLUP_ANY;
}
static const char *whole_portal(const ps_session_query *q) {
  return q->portal ? q->portal : PS_ROLLUP_ANY;
}

/* The grid of group key, added when new; NULL when out of memory. */
static grid *group_grid(answer *ans, const char *key) {
  for (size_t i = 0; i < ans->ngroups; i++)
    if (strcmp(ans->keys[i], key) == 0) return &ans->groups[i];
  if (ans->ngroups == ans->cap) {
    size_t cap = ans->cap ? 2 * ans->cap : 8;
    grid *g = realloc(ans->groups, cap * sizeof *g);
    if (!g) return NULL;
    ans->groups = g;
    char(*k)[16] = realloc(ans->keys, cap * sizeof *k);
    if (!k) return NULL;
    ans->keys = k;
    ans->cap = cap;
  }
  grid *g = &ans->groups[ans->ngroups];
  if (grid_init(g, ans->whole.origin, ans->whole.interval, ans->whole.n) != PS_OK) return NULL;
  snprintf(ans->keys[ans->ngroups], sizeof ans->keys[0], "%s", key);
  ans->ngroups++;
  return g;
}

/* Adds a stored row into accumulator a. */
static int merge_row(agg *a, const ps_playtime_row *row) {
  a->present = 1;
  a->started += row->started;
  a->started_mods += row->started_mods;
  a->ended += row->ended;
  a->ended_ms += row->ended_ms;
  for (int k = 0; k < PS_LENGTH_BUCKETS; k++) a->lengths[k] += row->lengths[k];
  if (row->ccu > a->ccu) a->ccu = row->ccu;
  if (row->ugc > a->ugc) a->ugc = row->ugc;
  if (row->players_len) {
    roaring_bitmap_t *set = roaring_bitmap_portable_deserialize_safe(row->players, row->players_len);
    if (!set) return PS_EIO;
    if (!a->players) {
      a->players = set;
    } else {
      roaring_bitmap_or_inplace(a->players, set);
      roaring_bitmap_free(set);
    }
  }
  return PS_OK;
}

/* The grids a row of (platform, portal) feeds: the whole's when it is the query's combination,
 * its group's when grouping by a dimension it has a value of. */
typedef int (*grid_fn)(grid *g, void *arg);
static int each_target(answer *ans, const char *platform, const char *portal, grid_fn fn,
                       void *arg) {
  const ps_session_query *q = ans->q;
  int rc = PS_OK;
  if (strcmp(platform, whole_platform(q)) == 0 && strcmp(portal, whole_portal(q)) == 0)
    rc = fn(&ans->whole, arg);
  if (rc == PS_OK && q->group_by) {
    const char *key = q->group_by_portal ? portal : platform;
    const char *other = q->group_by_portal ? platform : portal;
    const char *want = q->group_by_portal ? whole_platform(q) : whole_portal(q);
    if (strcmp(key, PS_ROLLUP_ANY) != 0 && strcmp(other, want) == 0) {
      grid *g = group_grid(ans, key);
      rc = g ? fn(g, arg) : PS_ENOMEM;
    }
  }
  return rc;
}

typedef struct row_arg {
  const ps_playtime_row *row;
  int64_t t_ms, mod, ms;
} row_arg;

static int row_into(grid *g, void *arg) {
  const row_arg *r = arg;
  if (r->t_ms < g->origin) return PS_OK;
  size_t b = bucket_of(g, r->t_ms);
  return b < g->n ? merge_row(&g->b[b], r->row) : PS_OK;
}

static int visit_row(const ps_playtime_row *row, void *ctx) {
  row_arg r = {row, row->t_ms, 0, 0};
  return each_target(ctx, row->platform, row->portal, row_into, &r);
}

static int mod_into(grid *g, void *arg) {
  const row_arg *r = arg;
  if (r->t_ms < g->origin) return PS_OK;
  size_t b = bucket_of(g, r->t_ms);
  return b < g->n ? add_mod(&g->b[b], r->mod, r->ms) : PS_OK;
}

static int visit_mod(const char *platform, const char *portal, int64_t t_ms, int64_t mod,
                     int64_t ms, void *ctx) {
  row_arg r = {NULL, t_ms, mod, ms};
  return each_target(ctx, platform, portal, mod_into, &r);
}

/* Reads the settled rows of the query into ans; *split: where they stop. */
static int read_rows(sqlite_store *store, int64_t game_id, answer *ans, int64_t *split) {
  const ps_session_query *q = ans->q;
  int64_t span = ps_playtime_span(q), settled;
  /* The scan's constraint: the grouped dimension is free (unless filtered), the other as for
   * the whole. */
  const char *platform = q->group_by && !q->group_by_portal ? q->platform : whole_platform(q);
  const char *portal = q->group_by && q->group_by_portal ? q->portal : whole_portal(q);
  int top = strcmp(q->metric, "top_mods") == 0;
  int players = strcmp(q->metric, "total_players") == 0;
  int rc = ps_sqlite_playtime_scan(store, game_id, span, platform, portal, q->from_ms, q->to_ms,
                                     players, visit_row, top ? visit_mod : NULL, ans, &settled);
  *split = settled < q->from_ms ? q->from_ms : settled > q->to_ms ? q->to_ms : settled;
  return rc;
}

/* Adds the live tail: the sessions active in [split, to), clipped to it. */
static int add_tail(sqlite_store *store, int64_t game_id, answer *ans, int64_t split, int64_t now_ms,
                    int64_t timeout_ms) {
  const ps_session_query *q = ans->q;
  ps_session_set set;
  uint32_t *numbers = NULL;
  int rc = ps_session_set_load(store, game_id, split, q->to_ms, now_ms, timeout_ms, q->platform,
                               q->portal, &set);
  if (rc == PS_OK && !(numbers = malloc((set.n ? set.n : 1) * sizeof *numbers))) rc = PS_ENOMEM;
  if (rc == PS_OK && strcmp(q->metric, "total_players") == 0)
    rc = number_items(store, game_id, &set, 0, numbers);
  else if (numbers)
    memset(numbers, 0, (set.n ? set.n : 1) * sizeof *numbers);
  for (size_t i = 0; rc == PS_OK && i < set.n; i++) {
    rc = add_session(&ans->whole, &set.items[i], numbers[i], split, q->to_ms);
    if (rc == PS_OK && q->group_by) {
      grid *g = group_grid(ans, q->group_by_portal ? set.portal[i] : set.platform[i]);
      rc = g ? add_session(g, &set.items[i], numbers[i], split, q->to_ms) : PS_ENOMEM;
    }
  }
  free(numbers);
  ps_session_set_free(&set);
  return rc;
}

/* ---- figures ---- */

static double mean_of(const agg *a, const char *metric) {
  return strcmp(metric, "avg_playtime") == 0 ? ps_metric_mean(a->ended_ms, a->ended, 1000.0)
                                             : ps_metric_mean(a->started_mods, a->started, 1.0);
}

/* Counts, means and distinct players of g into s. */
static int series_of(const char *metric, grid *g, ps_metric_series *s) {
  agg sum = {0};
  roaring_bitmap_t *all = NULL;
  int players = strcmp(metric, "total_players") == 0;
  if (players && !(all = roaring_bitmap_create())) return PS_ENOMEM;
  for (size_t b = 0; b < g->n; b++) {
    const agg *a = &g->b[b];
    sum.started += a->started;
    sum.started_mods += a->started_mods;
    sum.ended += a->ended;
    sum.ended_ms += a->ended_ms;
    if (strcmp(metric, "sessions") == 0) s->values[b] = (double)a->started;
    else if (players) s->values[b] = a->players ? (double)roaring_bitmap_get_cardinality(a->players) : 0;
    else s->values[b] = mean_of(a, metric);
    if (players && a->players) roaring_bitmap_or_inplace(all, a->players);
  }
  if (strcmp(metric, "sessions") == 0) s->total = (double)sum.started;
  else if (players) s->total = (double)roaring_bitmap_get_cardinality(all);
  else s->total = mean_of(&sum, metric);
  bitmap_free(all);
  return PS_OK;
}

static int histogram_of(grid *g, ps_metric_result *out) {
  for (size_t k = 0; k < PS_LENGTH_BUCKETS; k++) {
    ps_metric_series *s = ps_metric_result_group(out, ps_length_bucket_keys[k]);
    if (!s) return PS_ENOMEM;
    for (size_t b = 0; b < g->n; b++) {
      s->values[b] = (double)g->b[b].lengths[k];
      s->total += (double)g->b[b].lengths[k];
    }
  }
  for (size_t b = 0; b < g->n; b++) {
    out->whole.values[b] = (double)g->b[b].ended;
    out->whole.total += (double)g->b[b].ended;
  }
  return PS_OK;
}

typedef struct mod_ms {
  int64_t mod, ms;
  size_t bucket;
} mod_ms;

static int cmp_mod_ms(const void *a, const void *b) {
  int64_t x = ((const mod_ms *)a)->mod, y = ((const mod_ms *)b)->mod;
  return x < y ? -1 : x > y;
}

static int top_mods_of(grid *g, ps_metric_result *out) {
  size_t n = 0;
  for (size_t b = 0; b < g->n; b++) {
    compact(&g->b[b]);
    n += g->b[b].nmods / 2;
  }
  mod_ms *all = malloc((n ? n : 1) * sizeof *all);
  int64_t *whole = calloc(g->n + 1, sizeof *whole);
  int rc = all && whole ? PS_OK : PS_ENOMEM;
  size_t k = 0;
  for (size_t b = 0; rc == PS_OK && b < g->n; b++)
    for (size_t m = 0; m < g->b[b].nmods / 2; m++) {
      all[k++] = (mod_ms){g->b[b].mods[2 * m], g->b[b].mods[2 * m + 1], b};
      whole[b] += g->b[b].mods[2 * m + 1];
      whole[g->n] += g->b[b].mods[2 * m + 1];
    }
  if (rc == PS_OK) qsort(all, n, sizeof *all, cmp_mod_ms);
  int64_t *row = rc == PS_OK ? calloc(g->n + 1, sizeof *row) : NULL;
  if (rc == PS_OK && !row) rc = PS_ENOMEM;
  for (size_t i = 0; rc == PS_OK && i < n;) {
    size_t j = i;
    memset(row, 0, (g->n + 1) * sizeof *row);
    for (; j < n && all[j].mod == all[i].mod; j++) {
      row[all[j].bucket] += all[j].ms;
      row[g->n] += all[j].ms;
    }
    if (row[g->n] != 0) {
      char key[32];
      snprintf(key, sizeof key, "%lld", (long long)all[i].mod);
      ps_metric_series *s = ps_metric_result_group(out, key);
      if (!s) {
        rc = PS_ENOMEM;
        break;
      }
      for (size_t b = 0; b < g->n; b++) s->values[b] = (double)row[b] / 1000.0;
      s->total = (double)row[g->n] / 1000.0;
    }
    i = j;
  }
  if (rc == PS_OK) {
    for (size_t b = 0; b < g->n; b++) out->whole.values[b] = (double)whole[b] / 1000.0;
    out->whole.total = (double)whole[g->n] / 1000.0;
    ps_metric_top_groups(out);
  }
  free(row);
  free(all);
  free(whole);
  return rc;
}

static void answer_free(answer *ans) {
  grid_free(&ans->whole);
  for (size_t i = 0; i < ans->ngroups; i++) grid_free(&ans->groups[i]);
  free(ans->groups);
  free(ans->keys);
}

int ps_playtime_query_run(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                          int64_t now_ms, int64_t timeout_ms, ps_metric_result *out) {
  answer ans = {q, out, {0}, NULL, NULL, 0, 0};
  int64_t split = q->from_ms;
  int rc = grid_init(&ans.whole, q->from_ms, q->interval_ms, out->nbuckets);
  if (rc == PS_OK) rc = read_rows(store, game_id, &ans, &split);
  if (rc == PS_OK && split < q->to_ms) rc = add_tail(store, game_id, &ans, split, now_ms, timeout_ms);
  if (rc == PS_OK) {
    if (strcmp(q->metric, "session_length_histogram") == 0) rc = histogram_of(&ans.whole, out);
    else if (strcmp(q->metric, "top_mods") == 0) rc = top_mods_of(&ans.whole, out);
    else rc = series_of(q->metric, &ans.whole, &out->whole);
  }
  for (size_t i = 0; rc == PS_OK && i < ans.ngroups; i++) {
    ps_metric_series *s = ps_metric_result_group(out, ans.keys[i]);
    rc = s ? series_of(q->metric, &ans.groups[i], s) : PS_ENOMEM;
  }
  answer_free(&ans);
  return rc;
}

/* ---- peaks ---- */

int ps_playtime_peaks(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                      ps_metric_result *out, int64_t *live_from) {
  answer ans = {q, out, {0}, NULL, NULL, 0, 0};
  int rc = grid_init(&ans.whole, q->from_ms, q->interval_ms, out->nbuckets);
  if (rc == PS_OK) rc = read_rows(store, game_id, &ans, live_from);
  int ccu = strcmp(q->metric, "ccu") == 0;
  for (size_t g = 0; rc == PS_OK && g <= ans.ngroups; g++) {
    grid *from = g == 0 ? &ans.whole : &ans.groups[g - 1];
    ps_metric_series *s = g == 0 ? &out->whole : ps_metric_result_group(out, ans.keys[g - 1]);
    if (!s) {
      rc = PS_ENOMEM;
      break;
    }
    for (size_t b = 0; b < from->n; b++)
      if (from->b[b].present)
        ps_metric_series_raise(out, s, q->from_ms + (int64_t)b * q->interval_ms,
                 (double)(ccu ? from->b[b].ccu : from->b[b].ugc));
  }
  answer_free(&ans);
  return rc;
}
