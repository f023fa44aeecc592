/*
 * ga_family.c: see ga_family.h. Each aggregate row (a day, a key, n, sum, min, max) is mapped
 * to a group key by the family's rule (drilldown level, by=, steps=) or left out; rows of a
 * group and day fold together, and the measure turns a fold into a number.
 */
#include "store/sqlite/ga_family.h"

#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

typedef struct fold {
  double n, sum, min, max;
} fold;

typedef struct group {
  char key[130];
  fold *days; /* per bucket */
  fold all;
} group;

typedef enum { COUNT, SUM, MEAN, MIN, MAX } measure_kind;

typedef struct family_run {
  const ps_ga_query *q;
  const char *family;
  measure_kind measure;
  const char *status; /* progression: the status counted (attempts: Complete) */
  int by;             /* resources: components kept; errors/ads: component index */
  size_t ndays;
  group *groups;
  size_t ngroups;
  fold *whole;
  fold whole_all;
  int rc;
} family_run;

static void fold_in(fold *f, int64_t n, double sum, double min, double max) {
  if (f->n == 0 || min < f->min) f->min = min;
  if (f->n == 0 || max > f->max) f->max = max;
  f->n += (double)n;
  f->sum += sum;
}

static double measured(const family_run *r, const fold *f) {
  switch (r->measure) {
    case COUNT: return f->n;
    case SUM: return f->sum;
    case MEAN: return f->n ? f->sum / f->n : 0;
    case MIN: return f->n ? f->min : 0;
    default: return f->n ? f->max : 0;
  }
}

/* The drilldown group of a hierarchical id below prefix; 0 when the id is not below it. */
static int drill(const char *id, const char *prefix, char *out, size_t cap) {
  size_t len = prefix ? strlen(prefix) : 0;
  if (len && prefix[len - 1] == ':') len--; /* prefix=World1: and prefix=World1 are one level */
  if (len) {
    if (strncmp(id, prefix, len) != 0 || (id[len] && id[len] != ':')) return 0;
    if (!id[len]) {
      snprintf(out, cap, "%.*s", (int)len, prefix);
      return 1;
    }
    len++;
  }
  size_t next = strcspn(id + len, ":");
  snprintf(out, cap, "%.*s", (int)(len + next), id);
  if (len && out[len - 1] == ':' && !next) out[len - 1] = 0;
  return 1;
}

/* The component i (0-based) of key split by sep, into out. */
static void component(const char *key, char sep, int i, char *out, size_t cap) {
  const char *p = key;
  for (int k = 0; k < i && p; k++) {
    p = strchr(p, sep);
    if (p) p++;
  }
  if (!p) p = "";
  size_t n = strcspn(p, (char[]){sep, 0});
  snprintf(out, cap, "%.*s", (int)n, p);
}

/* The group key of an aggregate key, or 0 when the row is left out. */
static int group_key(const family_run *r, const char *key, char *out, size_t cap) {
  const char *f = r->family;
  if (!strcmp(f, "progression") || !strcmp(f, "funnel")) {
    const char *bar = strchr(key, '|');
    if (!bar) return 0;
    size_t status_len = (size_t)(bar - key);
    if (strlen(r->status) != status_len || strncmp(key, r->status, status_len) != 0) return 0;
    const char *id = bar + 1;
    if (!strcmp(f, "progression")) return drill(id, r->q->prefix, out, cap);
    /* funnel: the step that covers the id (the id itself, or a level of which the id is a
     * part: World1:Level10 covers World1:Level10:Boss); the longest such step when several do */
    size_t best = 0;
    const char *best_step = NULL;
    for (const char *s = r->q->steps; s && *s;) {
      size_t n = strcspn(s, ",");
      int covers = n ? strncmp(id, s, n) == 0 && (id[n] == '\0' || id[n] == ':') : !*id;
      if (covers && (!best_step || n > best)) best = n, best_step = s;
      s += n;
      if (*s == ',') s++;
    }
    if (!best_step) return 0;
    snprintf(out, cap, "%.*s", (int)best, best_step);
    return 1;
  }
  if (!strcmp(f, "design")) return drill(key, r->q->prefix, out, cap);
  if (!strcmp(f, "resources")) {
    /* Flow:Currency[:ItemType[:ItemId]] */
    size_t cut = 0;
    int parts = 0;
    while (key[cut] && parts < r->by) {
      cut += strcspn(key + cut, ":");
      parts++;
      if (parts < r->by && key[cut] == ':') cut++;
    }
    snprintf(out, cap, "%.*s", (int)cut, key);
    return 1;
  }
  if (!strcmp(f, "errors") && r->by == 1) {
    snprintf(out, cap, "%s", key); /* severity|message */
    return 1;
  }
  component(key, '|', r->by, out, cap);
  return 1;
}

static group *group_of(family_run *r, const char *key) {
  for (size_t i = 0; i < r->ngroups; i++)
    if (strcmp(r->groups[i].key, key) == 0) return &r->groups[i];
  group *grown = realloc(r->groups, (r->ngroups + 1) * sizeof *grown);
  if (!grown) return NULL;
  r->groups = grown;
  group *g = &r->groups[r->ngroups];
  memset(g, 0, sizeof *g);
  snprintf(g->key, sizeof g->key, "%s", key);
  if (!(g->days = calloc(r->ndays, sizeof *g->days))) return NULL;
  r->ngroups++;
  return g;
}

static int visit_row(const char *value, int64_t day, const char *key, int64_t n, double sum,
                     double min, double max, void *ctx) {
  (void)value;
  family_run *r = ctx;
  char name[130];
  if (!group_key(r, key, name, sizeof name)) return 0;
  group *g = group_of(r, name);
  if (!g) return PS_ENOMEM;
  size_t d = (size_t)(day - r->q->from_day);
  fold_in(&g->days[d], n, sum, min, max);
  fold_in(&g->all, n, sum, min, max);
  fold_in(&r->whole[d], n, sum, min, max);
  fold_in(&r->whole_all, n, sum, min, max);
  return 0;
}

/* Reads the parameters into r; PS_EINVAL when one is not the family's. */
static int read_params(family_run *r) {
  const ps_ga_query *q = r->q;
  const char *m = q->measure, *by = q->by, *f = r->family;
  r->measure = COUNT;
  if (!strcmp(f, "progression") || !strcmp(f, "funnel")) {
    r->status = "Complete";
    if (!strcmp(f, "funnel") && (!q->steps || !*q->steps)) return PS_EINVAL;
    if (!m || !strcmp(m, "completes")) return PS_OK;
    if (!strcmp(m, "starts")) r->status = "Start";
    else if (!strcmp(m, "fails")) r->status = "Fail";
    else if (!strcmp(m, "attempts")) { /* the mean attempt_num of Complete events */
      r->measure = MEAN;
    } else
      return PS_EINVAL;
    return by ? PS_EINVAL : PS_OK;
  }
  if (!strcmp(f, "design")) {
    static const char *const names[] = {"count", "sum", "mean", "min", "max"};
    for (int i = 0; m && i < 5; i++)
      if (!strcmp(m, names[i])) r->measure = (measure_kind)i;
    return (m && r->measure == COUNT && strcmp(m, "count")) || by ? PS_EINVAL : PS_OK;
  }
  if (!strcmp(f, "resources")) {
    r->measure = !m || !strcmp(m, "sum") ? SUM : !strcmp(m, "count") ? COUNT : MAX + 1;
    r->by = !by || !strcmp(by, "currency") ? 2 : !strcmp(by, "item_type") ? 3
                                              : !strcmp(by, "item_id")   ? 4
                                                                         : 0;
    return r->measure > MAX || !r->by ? PS_EINVAL : PS_OK;
  }
  if (m && strcmp(m, "count")) return PS_EINVAL;
  if (!strcmp(f, "errors")) {
    r->by = !by || !strcmp(by, "severity") ? 0 : !strcmp(by, "message") ? 1 : -1;
    return r->by < 0 ? PS_EINVAL : PS_OK;
  }
  /* ads: action|network|type|placement */
  static const char *const parts[] = {"action", "network", "type", "placement"};
  r->by = by ? -1 : 0;
  for (int i = 0; by && i < 4; i++)
    if (!strcmp(by, parts[i])) r->by = i;
  return r->by < 0 ? PS_EINVAL : PS_OK;
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const group *)a)->key, ((const group *)b)->key);
}

static int cmp_total(const void *a, const void *b) {
  double x = ((const group *)a)->all.n, y = ((const group *)b)->all.n;
  return x > y ? -1 : x < y ? 1 : cmp_key(a, b);
}

/* The position of a funnel step's id in steps. */
static size_t step_index(const char *steps, const char *id) {
  size_t i = 0;
  for (const char *s = steps; *s; i++) {
    size_t n = strcspn(s, ",");
    if (strlen(id) == n && strncmp(id, s, n) == 0) return i;
    s += n;
    if (*s == ',') s++;
  }
  return i;
}

int ps_ga_family_run(sqlite_store *store, int64_t game_id, const ps_ga_query *q, const char *kind,
                     ps_metric_result *out) {
  family_run r = {.q = q, .family = q->metric, .ndays = out->nbuckets};
  int rc = read_params(&r);
  if (rc != PS_OK) return rc;
  if (!(r.whole = calloc(r.ndays, sizeof *r.whole))) return PS_ENOMEM;
  rc = ps_sqlite_ga_aggs(store, game_id, kind, q->dim, q->dim ? q->value : "", q->from_day,
                           q->to_day, visit_row, &r);
  if (rc == PS_OK) {
    if (!strcmp(r.family, "funnel")) {
      /* steps in the order given */
      for (size_t i = 1; i < r.ngroups; i++)
        for (size_t j = i; j > 0 && step_index(q->steps, r.groups[j - 1].key) >
                                        step_index(q->steps, r.groups[j].key);
             j--) {
          group t = r.groups[j];
          r.groups[j] = r.groups[j - 1];
          r.groups[j - 1] = t;
        }
    } else if (!strcmp(r.family, "errors") && r.by == 1) {
      if (r.ngroups > 1) qsort(r.groups, r.ngroups, sizeof *r.groups, cmp_total);
      while (r.ngroups > 10) free(r.groups[--r.ngroups].days);
    } else if (r.ngroups > 1) {
      qsort(r.groups, r.ngroups, sizeof *r.groups, cmp_key);
    }
    for (size_t d = 0; d < r.ndays; d++) out->whole.values[d] = measured(&r, &r.whole[d]);
    out->whole.total = measured(&r, &r.whole_all);
    if (r.ngroups && !(out->groups = calloc(r.ngroups, sizeof *out->groups))) rc = PS_ENOMEM;
    for (size_t i = 0; rc == PS_OK && i < r.ngroups; i++) {
      ps_metric_series *g = &out->groups[i];
      snprintf(g->key, sizeof g->key, "%s", r.groups[i].key);
      if (!(g->values = calloc(r.ndays, sizeof *g->values))) {
        rc = PS_ENOMEM;
        break;
      }
      out->ngroups++;
      for (size_t d = 0; d < r.ndays; d++) g->values[d] = measured(&r, &r.groups[i].days[d]);
      g->total = measured(&r, &r.groups[i].all);
    }
  }
  for (size_t i = 0; i < r.ngroups; i++) free(r.groups[i].days);
  free(r.groups);
  free(r.whole);
  return rc;
}
