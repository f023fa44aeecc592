/*
 * ga_query.c: see ga_query.h. The rows a query needs are loaded into "slices", one per
 * dimension value (one slice for no group_by): day-indexed user bitmaps (active, paying, new)
 * over the range widened by 29 days before (mau) and 31 after (retention), and per-day
 * aggregates over the range. Each metric is then a few loops over a slice.
 *
 * What keeps a query cheap: it reads only the bitmap kinds and days its metric computes from
 * (reads_of). A straight read (no segment ANDed in after) counts each day's users from the
 * rows as they come and ORs the range's rows into one union per slice, so that a day's value
 * is a sum and a total of distinct users one count; it keeps a bitmap per day only for the
 * metrics that need a day's users themselves (wau and mau OR windows of days, retention ANDs
 * a cohort with a later day). A group_by of dau by country over 90 days thus builds one union
 * per country, not a bitmap per country and day walked twice.
 */
#include "store/sqlite/ga_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/errors.h"
#include "store/sqlite/ga_chunk_codec.h"
#include "store/sqlite/ga_combos.h"
#include "store/sqlite/ga_family.h"
#include "store/sqlite/ga_rollup.h"

#define BEFORE 29 /* days of bitmaps before the range (mau) */
#define AFTER 31  /* days after it (retention) */
#define RETENTION_DAYS 30

static const char *const metrics[] = {
    "dau",          "wau",    "mau",   "new_users", "sessions",   "avg_session_length",
    "sessions_per_user", "revenue", "paying_users", "arpdau", "arppu", "conversion", "retention"};

/* The families (ga_family.c) and the aggregate kind each reads. */
static const char *const families[][2] = {{"progression", "progression"}, {"funnel", "progression"},
                                          {"resources", "resource"},     {"design", "design"},
                                          {"errors", "error"},           {"ads", "ads"}};

static int family_of(const char *name) {
  for (size_t i = 0; i < sizeof families / sizeof *families; i++)
    if (strcmp(families[i][0], name) == 0) return (int)i;
  return -1;
}

int ps_ga_metric_known(const char *name) {
  for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++)
    if (strcmp(metrics[i], name) == 0) return 1;
  return family_of(name) >= 0;
}

/* ---- day bitmaps ---- */

typedef struct days_bits {
  unsigned char **bits; /* per day of the widened range; NULL: nobody */
  size_t *len;
  size_t widest; /* the longest len so far: a new day's bitmap starts that long (put_chunk) */
} days_bits;

typedef struct currency {
  char key[129];
  double *sum; /* per day of the range */
} currency;

typedef struct slice {
  char value[65];
  days_bits bits[3]; /* active, paying, new */
  /* The union of bits[k] over the range (day 0 of a one-day days_bits), gathered as the rows
   * are read (load_chunk); len NULL: not gathered, or no row in the range (compute then ORs
   * the days of bits[k], which is right in both cases). */
  days_bits range[3];
  double *count[3]; /* each day's users of bits[k] (widened range), when slices.counted[k] */
  double *sessions, *length_n, *length_sum, *revenue; /* per day of the range */
  currency *currencies;
  size_t ncurrencies, currencies_cap;
} slice;

typedef struct slices {
  slice *v;
  size_t n, cap;
  int64_t from, ndays;         /* the range */
  int64_t wide_from, wide_days; /* the widened range of the bitmaps */
  int counted[3]; /* slice.count[k] holds each day's users (and slice.bits[k] may be empty) */
  int failed;
} slices;

static const char kinds[3] = {'a', 'p', 'n'};

static void days_bits_free(days_bits *b, size_t days) {
  for (size_t d = 0; b->bits && d < days; d++) free(b->bits[d]);
  free(b->bits);
  free(b->len);
  memset(b, 0, sizeof *b);
}

static void slice_free(slice *s, size_t wide_days) {
  for (int k = 0; k < 3; k++) {
    days_bits_free(&s->bits[k], wide_days);
    days_bits_free(&s->range[k], 1);
    free(s->count[k]);
  }
  free(s->sessions);
  free(s->length_n);
  free(s->length_sum);
  free(s->revenue);
  for (size_t i = 0; i < s->ncurrencies; i++) free(s->currencies[i].sum);
  free(s->currencies);
}

static void slices_free(slices *l) {
  for (size_t i = 0; i < l->n; i++) slice_free(&l->v[i], (size_t)l->wide_days);
  free(l->v);
}

/* The slice of value, added when new. */
static slice *slice_of(slices *l, const char *value) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i].value, value) == 0) return &l->v[i];
  if (PS_ARRAY_RESERVE(l->v, l->n, l->cap)) return NULL;
  slice *s = &l->v[l->n];
  memset(s, 0, sizeof *s);
  snprintf(s->value, sizeof s->value, "%s", value);
  size_t w = (size_t)l->wide_days, d = (size_t)l->ndays;
  for (int k = 0; k < 3; k++) {
    s->bits[k].bits = calloc(w, sizeof *s->bits[k].bits);
    s->bits[k].len = calloc(w, sizeof *s->bits[k].len);
    s->count[k] = calloc(w, sizeof *s->count[k]);
  }
  s->sessions = calloc(d, sizeof(double));
  s->length_n = calloc(d, sizeof(double));
  s->length_sum = calloc(d, sizeof(double));
  s->revenue = calloc(d, sizeof(double));
  l->n++;
  int ok = s->sessions && s->length_n && s->length_sum && s->revenue;
  for (int k = 0; k < 3; k++) ok = ok && s->bits[k].bits && s->bits[k].len && s->count[k];
  return ok ? s : NULL;
}

static int days_bits_alloc(days_bits *b, size_t days) {
  b->bits = calloc(days ? days : 1, sizeof *b->bits);
  b->len = calloc(days ? days : 1, sizeof *b->len);
  b->widest = 0;
  return b->bits && b->len ? PS_OK : PS_ENOMEM;
}

/* ORs a chunk's users (its row form, blob of len bytes) into day d of b (a day's chunks are
 * distinct rows: OR is their copy, and the union when one buffer gathers several days). A
 * day's bitmap is allocated once as long as the longest of b so far (a day's rows come in
 * chunk order: growing it chunk by chunk moved it as many times), longer only when needed. */
static int put_chunk(days_bits *b, size_t d, int64_t chunk, const unsigned char *blob,
                     size_t len) {
  size_t need = (size_t)(chunk + 1) * PS_GA_CHUNK_BYTES;
  if (b->len[d] < need) {
    if (!b->len[d] && b->widest > need) need = b->widest;
    unsigned char *grown = realloc(b->bits[d], need);
    if (!grown) return PS_ENOMEM;
    memset(grown + b->len[d], 0, need - b->len[d]);
    b->bits[d] = grown;
    b->len[d] = need;
    if (need > b->widest) b->widest = need;
  }
  ps_ga_chunk_or(b->bits[d] + (size_t)chunk * PS_GA_CHUNK_BYTES, blob, len);
  return PS_OK;
}

/* How the rows of one bitmap kind are loaded into the slices of their values. */
typedef struct chunk_load {
  slices *l;
  int kind;
  int64_t lo, hi; /* the days whose users are kept; a row of another day only names its slice */
  int per_day;    /* keep each day's bitmap (slice.bits) */
  int count;      /* count each day's users (slice.count) */
  int gather;     /* OR the range's days into slice.range */
  size_t last;    /* the slice of the previous row (rows come a value's chunks together) */
} chunk_load;

static int load_chunk(const char *value, int64_t day, int64_t chunk, const unsigned char *bits,
                      size_t len, void *ctx) {
  chunk_load *c = ctx;
  slice *s = c->last < c->l->n && !strcmp(c->l->v[c->last].value, value) ? &c->l->v[c->last]
                                                                           : slice_of(c->l, value);
  if (!s) return PS_ENOMEM;
  c->last = (size_t)(s - c->l->v);
  if (day < c->lo || day >= c->hi) return PS_OK;
  int rc = PS_OK;
  size_t d = (size_t)(day - c->l->wide_from);
  if (c->per_day) rc = put_chunk(&s->bits[c->kind], d, chunk, bits, len);
  if (c->count) /* a day's chunks are distinct rows: its users are their sum */
    s->count[c->kind][d] += (double)ps_ga_chunk_count(bits, len);
  if (rc == PS_OK && c->gather && day >= c->l->from && day < c->l->from + c->l->ndays) {
    days_bits *range = &s->range[c->kind];
    if (!range->len) rc = days_bits_alloc(range, 1);
    if (rc == PS_OK) rc = put_chunk(range, 0, chunk, bits, len);
  }
  return rc;
}

/* Adds an aggregate row of kind (0 sessions, 1 length, 2 revenue) to slice s of l. */
static int add_agg(const slices *l, slice *s, int kind, int64_t day, const char *key, int64_t n,
                   double sum) {
  size_t d = (size_t)(day - l->from);
  if (kind == 0) s->sessions[d] += (double)n;
  if (kind == 1) {
    s->length_n[d] += (double)n;
    s->length_sum[d] += sum;
  }
  if (kind == 2) {
    s->revenue[d] += sum;
    currency *cur = NULL;
    for (size_t i = 0; i < s->ncurrencies && !cur; i++)
      if (strcmp(s->currencies[i].key, key) == 0) cur = &s->currencies[i];
    if (!cur) {
      if (PS_ARRAY_RESERVE(s->currencies, s->ncurrencies, s->currencies_cap)) return PS_ENOMEM;
      cur = &s->currencies[s->ncurrencies];
      memset(cur, 0, sizeof *cur);
      snprintf(cur->key, sizeof cur->key, "%s", key);
      if (!(cur->sum = calloc((size_t)l->ndays, sizeof(double)))) return PS_ENOMEM;
      s->ncurrencies++;
    }
    cur->sum[d] += sum;
  }
  return 0;
}

static int load_agg(const char *value, int64_t day, const char *key, int64_t n, double sum,
                    double min, double max, void *ctx) {
  (void)min;
  (void)max;
  chunk_load *c = ctx; /* kind: 0 sessions, 1 length, 2 revenue */
  slice *s = slice_of(c->l, value);
  return s ? add_agg(c->l, s, c->kind, day, key, n, sum) : PS_ENOMEM;
}

static const char *const agg_kinds[] = {"sessions", "length", "revenue"};

/* The aggregates of the range read from the rollup rows of dim (0: the whole, value "";
 * value NULL: every value, each into its slice). */
static int load_dimension_aggs(sqlite_store *store, int64_t game_id, slices *l, int dim,
                               const char *value) {
  int rc = PS_OK;
  for (int k = 0; rc == PS_OK && k < 3; k++) {
    chunk_load c = {.l = l, .kind = k};
    rc = ps_sqlite_ga_aggs(store, game_id, agg_kinds[k], dim, value, l->from, l->from + l->ndays,
                           load_agg, &c);
  }
  return rc;
}

/* ---- what a query reads ---- */

static int segmented(const ps_ga_query *q) {
  return q->nseg || q->first_build || q->new_day != PS_GA_ANY_DAY;
}

/* The days [lo, hi) of each bitmap kind (active, paying, new) a query reads (lo == hi: none),
 * whether it reads the aggregates, and whether it needs each day's users themselves or only
 * their count. A metric reads only what it computes from: dau the active bitmaps of the
 * range, mau those of 29 days before too, retention the new bitmaps of the range and the active
 * ones of the 31 days after, ... (a group_by too: load_dimension_bits lists its groups apart). */
typedef struct reads {
  int64_t lo[3], hi[3];
  int aggs;
  int day_bits;    /* the metric ORs or ANDs days' bitmaps (wau, mau, retention) */
  int users_total; /* its total counts distinct users over the range (the union of its days) */
} reads;

static reads reads_of(const ps_ga_query *q, const slices *l) {
  static const struct {
    const char *metric;
    const char *kinds; /* of "apn" */
    int before, after, aggs, day_bits, users_total;
  } table[] = {
      {"dau", "a", 0, 0, 0, 0, 1},          {"wau", "a", 6, 0, 0, 1, 1},
      {"mau", "a", BEFORE, 0, 0, 1, 1},     {"new_users", "n", 0, 0, 0, 0, 0},
      {"sessions", "", 0, 0, 1, 0, 0},      {"avg_session_length", "", 0, 0, 1, 0, 0},
      {"revenue", "", 0, 0, 1, 0, 0},       {"sessions_per_user", "a", 0, 0, 1, 0, 1},
      {"paying_users", "p", 0, 0, 0, 0, 1}, {"arpdau", "a", 0, 0, 1, 0, 0},
      {"arppu", "p", 0, 0, 1, 0, 1},        {"conversion", "ap", 0, 0, 0, 0, 1},
      {"retention", "an", 0, AFTER, 0, 1, 0},
  };
  reads r = {.aggs = 1, .day_bits = 1};
  for (int k = 0; k < 3; k++) {
    r.lo[k] = l->wide_from;
    r.hi[k] = l->wide_from + l->wide_days;
  }
  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    if (strcmp(table[i].metric, q->metric)) continue;
    r.aggs = table[i].aggs;
    r.day_bits = table[i].day_bits;
    r.users_total = table[i].users_total;
    for (int k = 0; k < 3; k++) {
      int used = strchr(table[i].kinds, kinds[k]) != NULL;
      r.lo[k] = l->from - (k == 0 ? table[i].before : 0);
      r.hi[k] = used ? l->from + l->ndays + (k == 0 ? table[i].after : 0) : r.lo[k];
    }
  }
  return r;
}

/* ---- segments (ga_query.h) ---- */

/* Where a read's chunks go: day - from of b, or all into day 0 (single: a union of days). */
typedef struct bits_load {
  days_bits *b;
  int64_t from;
  int single;
} bits_load;

static int load_bits_chunk(const char *value, int64_t day, int64_t chunk,
                           const unsigned char *bits, size_t len, void *ctx) {
  (void)value;
  bits_load *c = ctx;
  return put_chunk(c->b, c->single ? 0 : (size_t)(day - c->from), chunk, bits, len);
}

/* The bitmaps (kind, dim, value) of the days [lo, hi) (within the widened range) into b
 * (allocated here for the widened range). */
static int load_days(sqlite_store *store, int64_t game_id, char kind, int dim, const char *value,
                     const slices *l, int64_t lo, int64_t hi, days_bits *b) {
  int rc = days_bits_alloc(b, (size_t)l->wide_days);
  bits_load c = {b, l->wide_from, 0};
  if (rc == PS_OK && lo < hi)
    rc = ps_sqlite_ga_chunks(store, game_id, kind, dim, value, lo, hi, load_bits_chunk, &c);
  return rc;
}

/* x = x AND y (invert: x AND NOT y), day by day (days: both x's and y's count), a word at a
 * time (lengths are whole chunks). */
static void days_and(days_bits *x, const days_bits *y, size_t days, int invert) {
  uint64_t keep = invert ? ~(uint64_t)0 : 0; /* y's word XOR keep: y, or NOT y */
  for (size_t d = 0; d < days; d++) {
    size_t n = x->len[d] < y->len[d] ? x->len[d] : y->len[d];
    unsigned char *to = x->bits[d];
    const unsigned char *by = y->bits[d];
    for (size_t i = 0; i + 8 <= n; i += 8) {
      uint64_t a, b;
      memcpy(&a, to + i, 8);
      memcpy(&b, by + i, 8);
      a &= b ^ keep;
      memcpy(to + i, &a, 8);
    }
    if (!invert) x->len[d] = n; /* beyond y: nobody */
  }
}

/* x = x AND mask on every day. */
static void days_and_mask(days_bits *x, const unsigned char *mask, size_t mask_len, size_t days) {
  for (size_t d = 0; d < days; d++) {
    size_t n = x->len[d] < mask_len ? x->len[d] : mask_len;
    for (size_t i = 0; i < n; i++) x->bits[d][i] &= mask[i];
    x->len[d] = n;
  }
}

/* The users whose first build (the build of their first `user` event) is build: the union of
 * that build's "new" bitmaps over every day, into mask (day 0 of a one-day days_bits). */
static int load_first_build(sqlite_store *store, int64_t game_id, const char *build,
                            days_bits *mask) {
  int rc = days_bits_alloc(mask, 1);
  bits_load c = {mask, 0, 1};
  int dim = ps_ga_dim_index("build");
  if (rc == PS_OK && dim < 0) rc = PS_EINVAL;
  if (rc == PS_OK)
    rc = ps_sqlite_ga_chunks(store, game_id, 'n', dim, build, INT64_MIN / 4, INT64_MAX / 4,
                             load_bits_chunk, &c);
  return rc;
}

typedef struct combo_aggs {
  slices *l;
  int kind;
  const ps_ga_combo_match *match;
  const size_t *slice_index; /* per group of match: its slice in l */
} combo_aggs;

/* An aggregate of a combo: added to its group's slice when the combo matches. */
static int load_combo_agg(const char *value, int64_t day, const char *key, int64_t n, double sum,
                          double min, double max, void *ctx) {
  (void)min;
  (void)max;
  combo_aggs *c = ctx;
  long long id = strtoll(value, NULL, 10);
  if (id < 0 || id >= c->match->nids || c->match->group[id] < 0) return 0;
  return add_agg(c->l, &c->l->v[c->slice_index[c->match->group[id]]], c->kind, day, key, n, sum);
}

/* The aggregates of the segment of q (q->nseg dimensions), summed over the matching combos:
 * into l's slice "" (group_dim 0), else into the slice of each combo's value of group_dim. */
static int load_combo_aggs(sqlite_store *store, int64_t game_id, const ps_ga_query *q, slices *l,
                           int group_dim) {
  ps_ga_combo_match match;
  int rc = ps_ga_combos_matching(store, game_id, q->seg_dims, q->seg_values, q->nseg, group_dim,
                                 &match);
  size_t *slice_index = NULL;
  if (rc == PS_OK && match.nvalues &&
      !(slice_index = calloc(match.nvalues, sizeof *slice_index)))
    rc = PS_ENOMEM;
  /* every slice first: slice_of may move them, indexes stay */
  for (size_t g = 0; rc == PS_OK && g < match.nvalues; g++) {
    slice *s = slice_of(l, match.values[g]);
    if (s) slice_index[g] = (size_t)(s - l->v);
    else rc = PS_ENOMEM;
  }
  combo_aggs c = {l, 0, &match, slice_index};
  for (int k = 0; rc == PS_OK && match.nvalues && k < 3; k++) {
    c.kind = k;
    rc = ps_sqlite_ga_aggs(store, game_id, agg_kinds[k], PS_GA_COMBO_DIM, NULL, l->from,
                           l->from + l->ndays, load_combo_agg, &c);
  }
  free(slice_index);
  ps_ga_combo_match_free(&match);
  return rc;
}

/* The user bitmaps of the segment of q into slice s of l: ANDed (ga_query.h). */
static int load_segment_bits(sqlite_store *store, int64_t game_id, const ps_ga_query *q,
                             slices *l, slice *s) {
  size_t days = (size_t)l->wide_days;
  days_bits fresh = {0}, mask = {0}, other = {0};
  reads r = reads_of(q, l);
  int rc = PS_OK;
  if (q->new_day != PS_GA_ANY_DAY) /* the active days' (the widest kind's) */
    rc = load_days(store, game_id, 'n', 0, "", l, r.lo[0] < r.lo[1] ? r.lo[0] : r.lo[1],
                   r.hi[0] > r.hi[1] ? r.hi[0] : r.hi[1], &fresh);
  if (rc == PS_OK && q->first_build) rc = load_first_build(store, game_id, q->first_build, &mask);
  for (int k = 0; rc == PS_OK && k < 3; k++) {
    days_bits *b = &s->bits[k];
    int64_t lo = r.lo[k], hi = r.hi[k];
    days_bits_free(b, days); /* slice_of's empty one: load_days allocates */
    rc = q->nseg ? load_days(store, game_id, kinds[k], q->seg_dims[0], q->seg_values[0], l, lo, hi, b)
                 : load_days(store, game_id, kinds[k], 0, "", l, lo, hi, b);
    for (size_t i = 1; rc == PS_OK && lo < hi && i < q->nseg; i++) {
      rc = load_days(store, game_id, kinds[k], q->seg_dims[i], q->seg_values[i], l, lo, hi, &other);
      if (rc == PS_OK) days_and(b, &other, days, 0);
      days_bits_free(&other, days);
    }
    if (rc == PS_OK && q->first_build) days_and_mask(b, mask.bits[0], mask.len[0], days);
    if (rc == PS_OK && q->new_day != PS_GA_ANY_DAY) {
      if (kinds[k] != 'n') days_and(b, &fresh, days, q->new_day == PS_GA_RETURNING_DAY);
      else if (q->new_day == PS_GA_RETURNING_DAY) days_and_mask(b, NULL, 0, days); /* nobody */
    }
  }
  days_bits_free(&fresh, days);
  days_bits_free(&mask, 1);
  days_bits_free(&other, days);
  return rc;
}

/* Loads the segment of q into l's one slice: bitmaps ANDed (ga_query.h), aggregates summed over
 * the matching combos. */
static int load_segment(sqlite_store *store, int64_t game_id, const ps_ga_query *q, slices *l) {
  slice *s = slice_of(l, "");
  if (!s) return PS_ENOMEM;
  int rc = load_segment_bits(store, game_id, q, l, s);
  if (rc != PS_OK || !reads_of(q, l).aggs) return rc;
  return q->nseg ? load_combo_aggs(store, game_id, q, l, 0)
                 : load_dimension_aggs(store, game_id, l, 0, "");
}

/* The bitmaps of q's dimension (group_by: every value, each into its slice; else q's filter
 * or the whole) into l, the days reads_of says. Unless straight (something is ANDed into them
 * after), each day's bitmap is kept. Straight, a metric that needs no day's bitmap gets each
 * day's count instead, and one whose total counts distinct users the union of the range's
 * active and paying users.
 * A group_by's groups are the values seen over the widened range (ClickHouse lists the same):
 * the active rows of the days its metric does not read only name them. They are enough: a
 * value's paying and new rows and its aggregates come with an active row of the same day
 * (ga_rollup.c sets the active bit of every event's values), and no row is ever deleted (a
 * forgotten user's bits are cleared in place). */
static int load_dimension_bits(sqlite_store *store, int64_t game_id, const ps_ga_query *q,
                               slices *l, int straight) {
  int dim = q->group_dim ? q->group_dim : q->dim;
  const char *value = q->group_dim ? NULL : q->dim ? q->value : "";
  reads r = reads_of(q, l);
  int rc = PS_OK;
  for (int k = 0; rc == PS_OK && k < 3; k++) {
    chunk_load c = {.l = l, .kind = k, .lo = r.lo[k], .hi = r.hi[k],
                    .per_day = !straight || r.day_bits, .count = straight && !r.day_bits,
                    .gather = straight && r.users_total && k < 2, .last = SIZE_MAX};
    l->counted[k] = c.count;
    int64_t from = r.lo[k], to = r.hi[k];
    if (q->group_dim && k == 0) {
      from = l->wide_from;
      to = l->wide_from + l->wide_days;
    }
    if (from < to)
      rc = ps_sqlite_ga_chunks(store, game_id, kinds[k], dim, value, from, to, load_chunk, &c);
  }
  return rc;
}

/* Loads the groups of q's group_by over its segment (ga_query.h): each group value's bitmaps
 * (every value seen over the widened range, as without the segment) ANDed with the segment's,
 * and the aggregates of the matching combos that carry the value. */
static int load_grouped_segment(sqlite_store *store, int64_t game_id, const ps_ga_query *q,
                                slices *l) {
  ps_ga_query alone = *q;
  alone.group_dim = 0; /* what the segment's groups read: the metric's days */
  slices seg = {.from = l->from, .ndays = l->ndays, .wide_from = l->wide_from,
                .wide_days = l->wide_days};
  slice *segment = slice_of(&seg, "");
  int rc = segment ? load_segment_bits(store, game_id, &alone, &seg, segment) : PS_ENOMEM;
  if (rc == PS_OK) rc = load_dimension_bits(store, game_id, q, l, 0);
  for (size_t i = 0; rc == PS_OK && i < l->n; i++)
    for (int k = 0; k < 3; k++) days_and(&l->v[i].bits[k], &segment->bits[k], (size_t)l->wide_days, 0);
  /* sums take no user attribute (segment_fits): with none, nothing is summed */
  if (rc == PS_OK && q->nseg && reads_of(&alone, l).aggs)
    rc = load_combo_aggs(store, game_id, q, l, q->group_dim);
  slices_free(&seg);
  return rc;
}

static int load(sqlite_store *store, int64_t game_id, const ps_ga_query *q, slices *l) {
  if (segmented(q) && q->group_dim) return load_grouped_segment(store, game_id, q, l);
  if (segmented(q)) return load_segment(store, game_id, q, l);
  int dim = q->group_dim ? q->group_dim : q->dim;
  const char *value = q->group_dim ? NULL : q->dim ? q->value : "";
  if (!q->group_dim && !slice_of(l, value)) return PS_ENOMEM; /* the slice exists, even empty */
  int rc = load_dimension_bits(store, game_id, q, l, 1);
  if (rc == PS_OK && reads_of(q, l).aggs) rc = load_dimension_aggs(store, game_id, l, dim, value);
  return rc;
}

/* ---- bitmap arithmetic ---- */

/* Users set in b (len bytes, a multiple of 8: chunks are 4 KiB). */
static double popcount(const unsigned char *b, size_t len) {
  return (double)ps_ga_bits_count(b, len);
}

/* Distinct users set in any of the days [d0, d1) (widened-range indexes) of b. */
static double distinct(const days_bits *b, size_t d0, size_t d1, unsigned char **scratch,
                       size_t *scratch_len) {
  size_t need = 0;
  for (size_t d = d0; d < d1; d++)
    if (b->len[d] > need) need = b->len[d];
  if (need > *scratch_len) {
    unsigned char *grown = realloc(*scratch, need);
    if (!grown) return -1;
    *scratch = grown;
    *scratch_len = need;
  }
  if (need == 0) return 0; /* no user on any of these days (and maybe no scratch yet) */
  memset(*scratch, 0, need);
  for (size_t d = d0; d < d1; d++) {
    for (size_t i = 0; i + 8 <= b->len[d]; i += 8) {
      uint64_t acc, w;
      memcpy(&acc, *scratch + i, 8);
      memcpy(&w, b->bits[d] + i, 8);
      acc |= w;
      memcpy(*scratch + i, &acc, 8);
    }
  }
  return popcount(*scratch, need);
}

/* Users set in both day dx of x and day dy of y. */
PS_GA_WITH_POPCNT static double both(const days_bits *x, size_t dx, const days_bits *y, size_t dy) {
  size_t len = x->len[dx] < y->len[dy] ? x->len[dx] : y->len[dy];
  uint64_t n = 0, a, b;
  for (size_t i = 0; i + 8 <= len; i += 8) {
    memcpy(&a, x->bits[dx] + i, 8);
    memcpy(&b, y->bits[dy] + i, 8);
    n += (uint64_t)__builtin_popcountll(a & b);
  }
  return (double)n;
}

/* ---- metrics ---- */

static double ratio(double a, double b) { return b ? a / b : 0; }

static double sum_of(const double *v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += v[i];
  return s;
}

/* The users of kind k (0 active, 1 paying, 2 new) of slice s on day d (a widened-range index):
 * counted as they were loaded, else its bitmap's. */
static double day_users(const slices *l, const slice *s, int k, size_t d) {
  return l->counted[k] ? s->count[k][d] : popcount(s->bits[k].bits[d], s->bits[k].len[d]);
}

/* Fills series out (ndays points) with metric over slice s. */
static int compute(const char *metric, const slices *l, const slice *s, ps_metric_series *out,
                   unsigned char **scratch, size_t *scratch_len) {
  size_t n = (size_t)l->ndays, off = BEFORE;
  const days_bits *active = &s->bits[0], *paying = &s->bits[1];
  double users = s->range[0].len ? popcount(s->range[0].bits[0], s->range[0].len[0])
                                 : distinct(active, off, off + n, scratch, scratch_len);
  double payers = s->range[1].len ? popcount(s->range[1].bits[0], s->range[1].len[0])
                                  : distinct(paying, off, off + n, scratch, scratch_len);
  if (users < 0 || payers < 0) return PS_ENOMEM;
  double revenue = sum_of(s->revenue, n), sessions = sum_of(s->sessions, n), dau_sum = 0;
  for (size_t d = 0; d < n; d++) {
    double dau = day_users(l, s, 0, off + d), pay = day_users(l, s, 1, off + d);
    double v = 0;
    dau_sum += dau;
    if (!strcmp(metric, "dau")) v = dau;
    else if (!strcmp(metric, "wau")) v = distinct(active, off + d - 6, off + d + 1, scratch, scratch_len);
    else if (!strcmp(metric, "mau")) v = distinct(active, off + d - 29, off + d + 1, scratch, scratch_len);
    else if (!strcmp(metric, "new_users")) v = day_users(l, s, 2, off + d);
    else if (!strcmp(metric, "sessions")) v = s->sessions[d];
    else if (!strcmp(metric, "avg_session_length")) v = ratio(s->length_sum[d], s->length_n[d]);
    else if (!strcmp(metric, "sessions_per_user")) v = ratio(s->sessions[d], dau);
    else if (!strcmp(metric, "revenue")) v = s->revenue[d];
    else if (!strcmp(metric, "paying_users")) v = pay;
    else if (!strcmp(metric, "arpdau")) v = ratio(s->revenue[d], dau);
    else if (!strcmp(metric, "arppu")) v = ratio(s->revenue[d], pay);
    else if (!strcmp(metric, "conversion")) v = ratio(pay, dau);
    if (v < 0) return PS_ENOMEM;
    out->values[d] = v;
  }
  if (!strcmp(metric, "dau") || !strcmp(metric, "wau") || !strcmp(metric, "mau")) out->total = users;
  else if (!strcmp(metric, "new_users") || !strcmp(metric, "sessions") || !strcmp(metric, "revenue"))
    out->total = sum_of(out->values, n);
  else if (!strcmp(metric, "avg_session_length"))
    out->total = ratio(sum_of(s->length_sum, n), sum_of(s->length_n, n));
  else if (!strcmp(metric, "sessions_per_user")) out->total = ratio(sessions, users);
  else if (!strcmp(metric, "paying_users")) out->total = payers;
  else if (!strcmp(metric, "arpdau")) out->total = ratio(revenue, dau_sum);
  else if (!strcmp(metric, "arppu")) out->total = ratio(revenue, payers);
  else if (!strcmp(metric, "conversion")) out->total = ratio(payers, users);
  return PS_OK;
}


/* Retention of the slice: a group per cohort, and the whole over all cohorts. */
static int retention(const slices *l, const slice *s, int64_t today, ps_metric_result *out) {
  const days_bits *active = &s->bits[0], *fresh = &s->bits[2];
  double kept[RETENTION_DAYS] = {0}, sizes[RETENTION_DAYS] = {0}, cohorts = 0;
  for (size_t c = 0; c < (size_t)l->ndays; c++) {
    size_t dc = BEFORE + c;
    double size = popcount(fresh->bits[dc], fresh->len[dc]);
    if (size == 0) continue;
    cohorts += size;
    ps_metric_series *g = ps_metric_result_cohort(out, l->from + (int64_t)c, size);
    if (!g) return PS_ENOMEM;
    for (size_t k = 1; k <= RETENTION_DAYS; k++) {
      if (l->from + (int64_t)(c + k) > today || dc + k >= (size_t)l->wide_days) continue;
      double back = both(fresh, dc, active, dc + k);
      g->values[k - 1] = back / size;
      kept[k - 1] += back;
      sizes[k - 1] += size;
    }
  }
  for (size_t k = 0; k < RETENTION_DAYS; k++) out->whole.values[k] = ratio(kept[k], sizes[k]);
  out->whole.total = cohorts;
  return PS_OK;
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}

/* Whether metric counts users only (it takes first_build and new: ga_query.h). */
static int counts_users(const char *metric) {
  static const char *const users[] = {"dau", "wau", "mau", "new_users", "paying_users",
                                      "conversion"};
  for (size_t i = 0; i < sizeof users / sizeof *users; i++)
    if (!strcmp(users[i], metric)) return 1;
  return 0;
}

/* Whether the segment of q is one its metric takes (ga_query.h). */
static int segment_fits(const ps_ga_query *q) {
  if (q->group_dim == PS_GA_GROUP_FIRST_BUILD)
    return !segmented(q) && !q->dim && counts_users(q->metric);
  if (!segmented(q)) return 1;
  if (q->dim || family_of(q->metric) >= 0) return 0; /* a group_by takes a segment */
  if (counts_users(q->metric)) return 1;
  if (!strcmp(q->metric, "retention")) return q->new_day == PS_GA_ANY_DAY;
  return !q->first_build && q->new_day == PS_GA_ANY_DAY; /* summed over events */
}

typedef struct value_list {
  char (*v)[65];
  size_t n, cap;
} value_list;

static int collect_value(const char *value, int64_t day, int64_t chunk,
                         const unsigned char *bits, size_t len, void *ctx) {
  (void)day, (void)chunk, (void)bits, (void)len;
  value_list *l = ctx;
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->v[i], value)) return 0;
  if (PS_ARRAY_RESERVE(l->v, l->n, l->cap)) return PS_ENOMEM;
  snprintf(l->v[l->n++], sizeof *l->v, "%s", value);
  return 0;
}

/* group_by first_build: a group per first build seen (any day), each the query segmented by
 * it, and the whole the query without the group_by. */
static int group_by_first_build(sqlite_store *store, int64_t game_id, const ps_ga_query *q,
                                ps_metric_result *out) {
  ps_ga_query sub = *q;
  sub.group_dim = 0;
  int rc = ps_ga_query_run(store, game_id, &sub, out);
  value_list builds = {0};
  int dim = ps_ga_dim_index("build");
  if (rc == PS_OK)
    rc = dim < 0 ? PS_EINVAL
                 : ps_sqlite_ga_chunks(store, game_id, 'n', dim, NULL, INT64_MIN / 4,
                                       INT64_MAX / 4, collect_value, &builds);
  for (size_t i = 0; rc == PS_OK && i < builds.n; i++) {
    ps_metric_result one;
    sub.first_build = builds.v[i];
    rc = ps_ga_query_run(store, game_id, &sub, &one);
    ps_metric_series *g = rc == PS_OK ? ps_metric_result_group(out, builds.v[i]) : NULL;
    if (rc == PS_OK && !g) rc = PS_ENOMEM;
    if (rc == PS_OK) {
      memcpy(g->values, one.whole.values, out->nbuckets * sizeof(double));
      g->total = one.whole.total;
    }
    ps_metric_result_free(&one);
  }
  free(builds.v);
  if (rc == PS_OK && out->ngroups > 1)
    qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}

int ps_ga_query_run(sqlite_store *store, int64_t game_id, const ps_ga_query *asked,
                    ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  /* One dimension alone reads its own rollup rows; anything more is a segment. */
  ps_ga_query one = *asked;
  if (one.nseg == 1 && !one.first_build && one.new_day == PS_GA_ANY_DAY && !one.group_dim &&
      !one.dim) {
    one.dim = one.seg_dims[0];
    one.value = one.seg_values[0];
    one.nseg = 0;
  }
  const ps_ga_query *q = &one;
  if (!ps_ga_metric_known(q->metric) || q->to_day <= q->from_day ||
      (q->dim && q->group_dim) || (q->group_dim && !strcmp(q->metric, "retention")) ||
      !segment_fits(q))
    return PS_EINVAL;
  if (q->group_dim == PS_GA_GROUP_FIRST_BUILD) return group_by_first_build(store, game_id, q, out);
  int is_retention = !strcmp(q->metric, "retention");
  slices l = {.from = q->from_day, .ndays = q->to_day - q->from_day,
              .wide_from = q->from_day - BEFORE,
              .wide_days = q->to_day - q->from_day + BEFORE + AFTER};
  out->from_ms = is_retention ? 1000 : q->from_day * 86400000LL;
  out->interval_ms = is_retention ? 1000 : 86400000LL;
  out->nbuckets = is_retention ? RETENTION_DAYS : (size_t)l.ndays;
  unsigned char *scratch = NULL;
  size_t scratch_len = 0;
  int rc = (out->whole.values = calloc(out->nbuckets, sizeof(double))) ? PS_OK : PS_ENOMEM;
  int family = family_of(q->metric);
  if (rc == PS_OK && family >= 0) {
    if (q->group_dim) rc = PS_EINVAL;
    else rc = ps_ga_family_run(store, game_id, q, families[family][1], out);
    if (rc != PS_OK) ps_metric_result_free(out);
    return rc;
  }
  if (rc == PS_OK) rc = load(store, game_id, q, &l);
  if (rc == PS_OK && is_retention) {
    int64_t today = q->today ? q->today : q->to_day;
    rc = retention(&l, &l.v[0], today, out);
  } else if (rc == PS_OK && !q->group_dim) {
    rc = compute(q->metric, &l, &l.v[0], &out->whole, &scratch, &scratch_len);
    for (size_t i = 0; rc == PS_OK && !strcmp(q->metric, "revenue") && i < l.v[0].ncurrencies; i++) {
      ps_metric_series *g = ps_metric_result_group(out, l.v[0].currencies[i].key);
      if (!g) {
        rc = PS_ENOMEM;
        break;
      }
      memcpy(g->values, l.v[0].currencies[i].sum, out->nbuckets * sizeof(double));
      g->total = sum_of(g->values, out->nbuckets);
    }
  } else if (rc == PS_OK) {
    /* group_by: the whole is the sum of nothing here; read it from dimension 0. */
    ps_ga_query whole = *q;
    whole.group_dim = 0;
    ps_metric_result all;
    rc = ps_ga_query_run(store, game_id, &whole, &all);
    if (rc == PS_OK) {
      memcpy(out->whole.values, all.whole.values, out->nbuckets * sizeof(double));
      out->whole.total = all.whole.total;
      ps_metric_result_free(&all);
    }
    for (size_t i = 0; rc == PS_OK && i < l.n; i++) {
      ps_metric_series *g = ps_metric_result_group(out, l.v[i].value);
      rc = g ? compute(q->metric, &l, &l.v[i], g, &scratch, &scratch_len) : PS_ENOMEM;
    }
  }
  if (rc == PS_OK && q->group_dim && out->ngroups > 1)
    qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
  free(scratch);
  slices_free(&l);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}
