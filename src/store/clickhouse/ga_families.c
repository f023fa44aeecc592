/*
 * ga_families.c: the grouped analytics-event metrics of the ClickHouse event store
 * (progression, funnel, resources, design, errors, ads; definitions in sqlite/ga_query.h and
 * insights/catalog.h), in SQL over the events table's family columns (agg_key, agg_value).
 *
 * Guarantees: the answers equal the SQLite backend's (sqlite/ga_family.c): one statement
 * groups the events of the family's category that carry a key (has_agg = 1, the key's first
 * 128 bytes as the rollups keep it) by the family's rule, per day: count, sum, min and max of
 * the value; the rules are the SQLite ones written as SQL (drilldown one level below prefix,
 * "Status|id" keys of progression, by= components, funnel steps). C folds the per-group-day
 * rows into the groups and the whole (every event with a group, before errors' top 10 is cut)
 * and orders the groups as SQLite does: funnel in the order of steps, errors by message the
 * 10 most frequent (then key), all others by key. Parameters are refused (PS_EINVAL) exactly
 * where SQLite refuses them. Functions used exist in ClickHouse 18.16 (ga_metrics.c lists
 * what is avoided).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/clickhouse/ga_funnel.h"
#include "store/clickhouse/ga_sql.h"
#include "store/funnel.h"
#include "store/ga_digest.h"

typedef enum { COUNT, SUM, MEAN, MIN, MAX } measure_kind;

typedef struct family {
  const char *name, *category; /* the metric and the category its events have */
  const ps_metric_query *q;
  measure_kind measure;
  const char *status; /* progression, funnel: the status counted (attempts: Complete) */
  int by;             /* resources: components kept; errors: 0 severity, 1 message; ads: part */
} family;

static const char *const families[][2] = {{"progression", "progression"}, {"funnel", "progression"},
                                          {"resources", "resource"},     {"design", "design"},
                                          {"errors", "error"},           {"ads", "ads"}};

int ps_ch_ga_is_family(const char *metric) {
  for (size_t i = 0; i < sizeof families / sizeof *families; i++)
    if (!strcmp(families[i][0], metric)) return 1;
  return 0;
}

static int is(const char *a, const char *b) { return strcmp(a, b) == 0; }

/* The measure, by and steps of q, refused where sqlite/ga_family.c's read_params refuses them. */
static int read_params(family *f) {
  const char *m = f->q->measure, *by = f->q->by, *name = f->name;
  f->measure = COUNT;
  if (is(name, "progression") || is(name, "funnel")) {
    f->status = "Complete";
    if (is(name, "funnel") && (!f->q->steps || !*f->q->steps)) return PS_EINVAL;
    if (!m || is(m, "completes")) return PS_OK;
    if (is(m, "starts")) f->status = "Start";
    else if (is(m, "fails")) f->status = "Fail";
    else if (is(m, "attempts")) f->measure = MEAN; /* the mean attempt_num of Complete events */
    else return PS_EINVAL;
    return by ? PS_EINVAL : PS_OK;
  }
  if (is(name, "design")) {
    static const char *const measures[] = {"count", "sum", "mean", "min", "max"};
    for (int i = 0; m && i < 5; i++)
      if (is(m, measures[i])) f->measure = (measure_kind)i;
    return (m && f->measure == COUNT && !is(m, "count")) || by ? PS_EINVAL : PS_OK;
  }
  if (is(name, "resources")) {
    if (m && !is(m, "sum") && !is(m, "count")) return PS_EINVAL;
    f->measure = !m || is(m, "sum") ? SUM : COUNT;
    f->by = !by || is(by, "currency") ? 2 : is(by, "item_type") ? 3 : is(by, "item_id") ? 4 : 0;
    return f->by ? PS_OK : PS_EINVAL;
  }
  if (m && !is(m, "count")) return PS_EINVAL;
  if (is(name, "errors")) {
    f->by = !by || is(by, "severity") ? 0 : is(by, "message") ? 1 : -1;
    return f->by < 0 ? PS_EINVAL : PS_OK;
  }
  static const char *const parts[] = {"action", "network", "type", "placement"}; /* ads */
  f->by = by ? -1 : 0;
  for (int i = 0; by && i < 4; i++)
    if (is(by, parts[i])) f->by = i;
  return f->by < 0 ? PS_EINVAL : PS_OK;
}

/* ---- the statement ---- */

/* Calls visit for each step of steps ("a,b,c"; an empty one between commas names the empty
 * id, a trailing comma none), as sqlite/ga_family.c reads them; stops when it returns 1. */
static size_t each_step(const char *steps, int (*visit)(const char *s, size_t n, void *ctx),
                        void *ctx) {
  size_t i = 0;
  for (const char *s = steps; s && *s; i++) {
    size_t n = strcspn(s, ",");
    if (visit(s, n, ctx)) return i;
    s += n;
    if (*s == ',') s++;
  }
  return i;
}

typedef struct step {
  const char *s;
  size_t n;
} step;

typedef struct step_list {
  step *v;
  size_t count;
} step_list;

static int collect_step(const char *s, size_t n, void *ctx) {
  step_list *l = ctx;
  l->v[l->count++] = (step){s, n};
  return 0;
}

/* Longest first; equal lengths in the order given (the sort is stable: insertion). */
static void sort_longest_first(step_list *l) {
  for (size_t i = 1; i < l->count; i++)
    for (size_t k = i; k > 0 && l->v[k - 1].n < l->v[k].n; k--) {
      step t = l->v[k];
      l->v[k] = l->v[k - 1];
      l->v[k - 1] = t;
    }
}

/* The funnel step that covers id, as sqlite/ga_family.c's group_key finds it: the id itself, or
 * a level of which the id is a part (World1:Level10 covers World1:Level10:Boss), the longest
 * such step when several do; '\0' when none does (no id holds a NUL). */
static void put_covering_step(ps_ch_sql *sql, const char *steps) {
  step_list l = {.v = calloc(strlen(steps) + 1, sizeof *l.v)}; /* a step per byte at most */
  if (!l.v) {
    sql->rc = PS_ENOMEM;
    return;
  }
  each_step(steps, collect_step, &l);
  sort_longest_first(&l);
  ps_ch_sql_put(sql, "multiIf(");
  for (size_t k = 0; k < l.count; k++) {
    char name[PS_GA_KEY_CAP], prefix[PS_GA_KEY_CAP + 1];
    snprintf(name, sizeof name, "%.*s", (int)(l.v[k].n < sizeof name ? l.v[k].n : sizeof name - 1),
             l.v[k].s);
    snprintf(prefix, sizeof prefix, "%s:", name);
    ps_ch_sql_put(sql, "id = ");
    ps_ch_sql_literal(sql, name);
    if (*name) {
      ps_ch_sql_put(sql, " OR startsWith(id, ");
      ps_ch_sql_literal(sql, prefix);
      ps_ch_sql_put(sql, ")");
    }
    ps_ch_sql_put(sql, ", ");
    ps_ch_sql_literal(sql, name);
    ps_ch_sql_put(sql, ", ");
  }
  ps_ch_sql_put(sql, "'\\0')");
  free(l.v);
}

/* The drilldown of id one level below prefix: the group key expression into key, the
 * condition an id must meet into cond (sqlite/ga_family.c's drill()). */
static void put_drill(ps_ch_sql *key, ps_ch_sql *cond, const char *id, const char *prefix) {
  size_t len = prefix ? strlen(prefix) : 0;
  if (len && prefix[len - 1] == ':') len--; /* prefix=World1: and prefix=World1 are one level */
  if (!len) {
    ps_ch_sql_put(key, "splitByChar(':', %s)[1]", id);
    ps_ch_sql_put(cond, "1");
    return;
  }
  char p[PS_GA_KEY_CAP * 2];
  snprintf(p, sizeof p, "%.*s", (int)(len < sizeof p ? len : sizeof p - 1), prefix);
  /* the component after "prefix:", '' when there is none */
  char next[128];
  snprintf(next, sizeof next, "splitByChar(':', substring(%s, %zu))[1]", id, len + 2);
  ps_ch_sql_put(cond, "startsWith(%s, ", id);
  ps_ch_sql_literal(cond, p);
  ps_ch_sql_put(cond, ") AND (length(%s) = %zu OR substring(%s, %zu, 1) = ':')", id, len, id,
                len + 1);
  ps_ch_sql_put(key, "if(length(%s) = %zu OR %s = '', ", id, len, next);
  ps_ch_sql_literal(key, p);
  ps_ch_sql_put(key, ", concat(");
  ps_ch_sql_literal(key, p);
  ps_ch_sql_put(key, ", ':', %s))", next);
}

/* The family's group key expression (key) and the condition a row must meet (cond), over the
 * inner query's ak (the aggregate key) and id (progression: the id after "Status|"). */
static void put_rule(const family *f, ps_ch_sql *key, ps_ch_sql *cond) {
  const char *name = f->name;
  if (is(name, "progression") || is(name, "funnel")) {
    ps_ch_sql_put(cond, "position(ak, '|') > 0 AND ");
    ps_ch_sql_put(cond, "substring(ak, 1, position(ak, '|') - 1) = ");
    ps_ch_sql_literal(cond, f->status);
    ps_ch_sql_put(cond, " AND ");
    if (is(name, "progression")) {
      put_drill(key, cond, "id", f->q->prefix);
    } else {
      put_covering_step(key, f->q->steps);
      ps_ch_sql_put(cond, "(");
      put_covering_step(cond, f->q->steps);
      ps_ch_sql_put(cond, ") != '\\0'");
    }
    return;
  }
  if (is(name, "design")) {
    put_drill(key, cond, "ak", f->q->prefix);
    return;
  }
  ps_ch_sql_put(cond, "1");
  if (is(name, "resources"))
    ps_ch_sql_put(key, "arrayStringConcat(arraySlice(splitByChar(':', ak), 1, %d), ':')", f->by);
  else if (is(name, "errors") && f->by == 1)
    ps_ch_sql_put(key, "ak"); /* severity|first line */
  else
    ps_ch_sql_put(key, "splitByChar('|', ak)[%d]", f->by + 1);
}

static void put_family(ps_ch_sql *sql, const ps_ch_ga_scope *sc, const family *f) {
  ps_ch_sql key = {0}, cond = {0};
  put_rule(f, &key, &cond);
  if (key.rc != PS_OK || cond.rc != PS_OK) sql->rc = PS_ENOMEM;
  /* Dedup (ga_sql.h): a measure that sums reads one row per event of the category; the others
   * read every stored copy, counting events as distinct dedup_key (the group fixes day and
   * category) and taking min and max, which copies do not change. The sum column of the
   * latter is unused (measured() reads n, min, max only). */
  int sums = f->measure == SUM || f->measure == MEAN;
  ps_ch_sql_put(sql,
                "SELECT %s AS gk, toInt64(day) AS d, toFloat64(%s), toFloat64(sum(v)),"
                " toFloat64(min(v)), toFloat64(max(v))",
                key.text.data ? key.text.data : "''", sums ? "count()" : "uniqExact(dedup_key)");
  if (sums) {
    ps_ch_ga_dedup_open(sql);
    ps_ch_sql_put(sql, ", any(agg_value) AS v, any(substring(agg_key, 1, %d)) AS ak",
                  PS_CH_GA_KEY_BYTES);
  } else {
    ps_ch_sql_put(sql, " FROM (SELECT day, dedup_key, agg_value AS v, substring(agg_key, 1, %d) AS ak",
                  PS_CH_GA_KEY_BYTES);
  }
  ps_ch_sql_put(sql, ", substring(ak, position(ak, '|') + 1) AS id");
  ps_ch_ga_from(sql, sc, sc->from_day, sc->to_day, 1);
  ps_ch_sql_put(sql, " AND category = ");
  ps_ch_sql_literal(sql, f->category);
  ps_ch_sql_put(sql, " AND has_agg = 1");
  if (sums) ps_ch_ga_dedup_close(sql);
  else ps_ch_sql_put(sql, ")");
  ps_ch_sql_put(sql, " WHERE %s GROUP BY gk, d", cond.text.data ? cond.text.data : "0");
  ps_ch_sql_free(&key);
  ps_ch_sql_free(&cond);
}

/* ---- the answer ---- */

typedef struct fold {
  double n, sum, min, max;
} fold;

typedef struct group {
  char key[130];
  fold *days;
  fold all;
} group;

typedef struct groups {
  group *v;
  size_t n, cap, ndays;
  fold *whole, whole_all;
} groups;

static void fold_in(fold *f, double n, double sum, double min, double max) {
  if (f->n == 0 || min < f->min) f->min = min;
  if (f->n == 0 || max > f->max) f->max = max;
  f->n += n;
  f->sum += sum;
}

static double measured(const family *f, const fold *x) {
  switch (f->measure) {
    case COUNT: return x->n;
    case SUM: return x->sum;
    case MEAN: return x->n ? x->sum / x->n : 0;
    case MIN: return x->n ? x->min : 0;
    default: return x->n ? x->max : 0;
  }
}

static group *group_of(groups *l, const char *key) {
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->v[i].key, key)) return &l->v[i];
  if (l->n == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 16;
    group *grown = realloc(l->v, cap * sizeof *grown);
    if (!grown) return NULL;
    l->v = grown;
    l->cap = cap;
  }
  group *g = &l->v[l->n];
  memset(g, 0, sizeof *g);
  snprintf(g->key, sizeof g->key, "%s", key);
  if (!(g->days = calloc(l->ndays, sizeof *g->days))) return NULL;
  l->n++;
  return g;
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const group *)a)->key, ((const group *)b)->key);
}

static int cmp_most(const void *a, const void *b) {
  double x = ((const group *)a)->all.n, y = ((const group *)b)->all.n;
  return x > y ? -1 : x < y ? 1 : cmp_key(a, b);
}

typedef struct step_match {
  const char *id;
} step_match;

static int step_is(const char *s, size_t n, void *ctx) {
  const step_match *m = ctx;
  return strlen(m->id) == n && strncmp(m->id, s, n) == 0;
}

/* Orders the groups as sqlite/ga_family.c does; errors by message keeps the 10 most frequent. */
static void order(const family *f, groups *l) {
  if (is(f->name, "funnel")) {
    for (size_t i = 1; i < l->n; i++)
      for (size_t j = i; j > 0; j--) {
        step_match a = {l->v[j - 1].key}, b = {l->v[j].key};
        if (each_step(f->q->steps, step_is, &a) <= each_step(f->q->steps, step_is, &b)) break;
        group t = l->v[j];
        l->v[j] = l->v[j - 1];
        l->v[j - 1] = t;
      }
  } else if (is(f->name, "errors") && f->by == 1) {
    if (l->n > 1) qsort(l->v, l->n, sizeof *l->v, cmp_most);
    while (l->n > 10) free(l->v[--l->n].days);
  } else if (l->n > 1) {
    qsort(l->v, l->n, sizeof *l->v, cmp_key);
  }
}

int ps_ch_ga_family_metric(const ps_ch_ga_scope *sc, const ps_metric_query *q,
                           ps_metric_result *out) {
  if (ps_funnel_wanted(q)) return ps_ch_ga_funnel(sc, q, out); /* store/funnel.h */
  family f = {.name = q->metric, .q = q};
  for (size_t i = 0; i < sizeof families / sizeof *families; i++)
    if (is(families[i][0], q->metric)) f.category = families[i][1];
  if (!f.category) return PS_EINVAL;
  int rc = read_params(&f);
  if (rc == PS_OK) rc = ps_ch_ga_result_days(sc, out);
  if (rc != PS_OK) return rc;
  groups l = {.ndays = out->nbuckets};
  ps_ch_sql sql = {0};
  ps_buf reply = {0};
  put_family(&sql, sc, &f);
  if (!(l.whole = calloc(l.ndays, sizeof *l.whole))) rc = PS_ENOMEM;
  if (rc == PS_OK) rc = ps_ch_ga_run(sc, &sql, &reply);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &reply);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    int64_t day = ps_ch_field_int(&rows, 1);
    if (day < sc->from_day || day >= sc->to_day) continue;
    size_t d = (size_t)(day - sc->from_day);
    double n = ps_ch_field_double(&rows, 2), sum = ps_ch_field_double(&rows, 3);
    double min = ps_ch_field_double(&rows, 4), max = ps_ch_field_double(&rows, 5);
    group *g = group_of(&l, ps_ch_field(&rows, 0));
    if (!g) {
      rc = PS_ENOMEM;
      break;
    }
    fold_in(&g->days[d], n, sum, min, max);
    fold_in(&g->all, n, sum, min, max);
    fold_in(&l.whole[d], n, sum, min, max);
    fold_in(&l.whole_all, n, sum, min, max);
  }
  if (rc == PS_OK) {
    order(&f, &l);
    for (size_t d = 0; d < l.ndays; d++) out->whole.values[d] = measured(&f, &l.whole[d]);
    out->whole.total = measured(&f, &l.whole_all);
    for (size_t i = 0; rc == PS_OK && i < l.n; i++) {
      ps_metric_series *g = ps_metric_result_group(out, l.v[i].key);
      if (!g) {
        rc = PS_ENOMEM;
        break;
      }
      for (size_t d = 0; d < l.ndays; d++) g->values[d] = measured(&f, &l.v[i].days[d]);
      g->total = measured(&f, &l.v[i].all);
    }
  }
  for (size_t i = 0; i < l.n; i++) free(l.v[i].days);
  free(l.v);
  free(l.whole);
  ps_ch_sql_free(&sql);
  ps_buf_free(&reply);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}
