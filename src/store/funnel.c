/*
 * funnel.c: see funnel.h. Steps are parsed once per query, each into the key ranges it covers;
 * an event is matched against every step (at most PS_FUNNEL_MAX_STEPS pairs of comparisons).
 * Counting by user keeps one walk (steps reached, entry time, time of the last step reached)
 * and the current user's id; counting by step keeps such a walk per user who entered, in a
 * hash map, plus the earliest event of the step being read that the user may take; counting
 * by step with numbered users keeps the same walk in an array indexed by the number. Each
 * costs O(events fed) time (numbered: plus O(numbers) per step), and O(steps x days) memory
 * besides the users.
 *
 * Guarantees: both ways give the walk of funnel.h, independent of the order of events that
 * share a second (a step needs a strictly later second than the previous one, so two events
 * of one second can never both advance a user; by step, the earliest of a step's events wins
 * whatever their order); every user is counted once, when the answer is made.
 */
#include "store/funnel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/keymap.h"

static const char *const kind_names[PS_FUNNEL_KINDS] = {"design", "progression", "resource",
                                                        "business"};

const char *ps_funnel_category(ps_funnel_kind kind) {
  return kind < PS_FUNNEL_KINDS ? kind_names[kind] : "";
}

/* The kind that text (n bytes) starts with as "kind:", or -1. */
static int kind_of(const char *text, size_t n, size_t *skip) {
  for (int k = 0; k < PS_FUNNEL_KINDS; k++) {
    size_t len = strlen(kind_names[k]);
    if (n > len && strncmp(text, kind_names[k], len) == 0 && text[len] == ':') {
      *skip = len + 1;
      return k;
    }
  }
  return -1;
}

int ps_funnel_wanted(const ps_metric_query *q) {
  if (!q->metric || strcmp(q->metric, "funnel") != 0) return 0;
  if (q->window_s) return 1;
  for (const char *s = q->steps; s && *s;) {
    size_t n = strcspn(s, ","), skip;
    if (kind_of(s, n, &skip) >= 0) return 1;
    s += n;
    if (*s == ',') s++;
  }
  return 0;
}

/* A progression step's status when id (n bytes) starts with one, its length in *skip. */
static const char *status_of(const char *id, size_t n, size_t *skip) {
  static const char *const statuses[] = {"Start", "Fail", "Complete"};
  for (size_t i = 0; i < 3; i++) {
    size_t len = strlen(statuses[i]);
    if (n > len && strncmp(id, statuses[i], len) == 0 && id[len] == ':') {
      *skip = len + 1;
      return statuses[i];
    }
  }
  *skip = 0;
  return NULL;
}

/* The ranges of st's key (funnel.h). */
static void make_ranges(ps_funnel_step *st) {
  ps_funnel_range *r = st->ranges;
  snprintf(r[0].lo, sizeof r[0].lo, "%s", st->key);
  snprintf(r[0].hi, sizeof r[0].hi, "%s%s", st->key, st->plain_prefix ? "\xF5" : "\x01");
  st->nranges = 1;
  if (st->plain_prefix) return;
  snprintf(r[1].lo, sizeof r[1].lo, "%s:", st->key);
  snprintf(r[1].hi, sizeof r[1].hi, "%s;", st->key);
  st->nranges = 2;
}

/* Whether step st covers key: key is in one of its ranges. */
static int covers(const ps_funnel_step *st, const char *key) {
  for (size_t i = 0; i < st->nranges; i++)
    if (strcmp(key, st->ranges[i].lo) >= 0 && strcmp(key, st->ranges[i].hi) < 0) return 1;
  return 0;
}

/* One step of text (n bytes) into *st; a problem or NULL. */
static const char *parse_step(const char *text, size_t n, const char *default_status,
                              ps_funnel_step *st) {
  size_t skip = 0;
  int kind = kind_of(text, n, &skip);
  st->kind = kind < 0 ? PS_FUNNEL_PROGRESSION : (ps_funnel_kind)kind;
  if (kind < 0) skip = 0;
  const char *id = text + skip;
  size_t len = n - skip;
  if (n >= sizeof st->text) return "a funnel step is at most 129 bytes";
  memcpy(st->text, text, n);
  st->text[n] = '\0';
  st->plain_prefix = len > 0 && id[len - 1] == '*';
  if (st->plain_prefix) len--;
  if (!len && !st->plain_prefix) return "a funnel step names an id (kind:id, or kind:prefix*)";
  if (memchr(id, '*', len)) return "'*' ends a funnel step (a prefix); it cannot stand inside";
  int written;
  if (st->kind == PS_FUNNEL_PROGRESSION) {
    size_t status_len;
    const char *status = status_of(id, len, &status_len);
    if (!status) status = default_status;
    if (len == status_len && !st->plain_prefix) return "a progression step names an id after its status";
    written = snprintf(st->key, sizeof st->key, "%s|%.*s", status, (int)(len - status_len),
                       id + status_len);
  } else {
    written = snprintf(st->key, sizeof st->key, "%.*s", (int)len, id);
  }
  if (written < 0 || (size_t)written >= sizeof st->key) return "a funnel step's id is too long";
  make_ranges(st);
  return NULL;
}

int ps_funnel_parse(const ps_metric_query *q, ps_funnel *out, const char **problem) {
  memset(out, 0, sizeof *out);
  *problem = NULL;
  const char *m = q->measure, *status = "Complete";
  if (m && !strcmp(m, "starts")) status = "Start";
  else if (m && !strcmp(m, "fails")) status = "Fail";
  else if (m && strcmp(m, "completes") != 0)
    *problem = "a per-user funnel counts users: measure is starts, fails or completes (the "
               "status of progression steps that name none)";
  if (!*problem && (q->by || q->prefix)) *problem = "a funnel takes steps, window and measure";
  if (!*problem && (q->window_s < 0 || q->window_s > PS_FUNNEL_MAX_WINDOW_S))
    *problem = "window is seconds, 1 to 316224000";
  if (!*problem && (!q->steps || !*q->steps)) *problem = "steps names the funnel's steps, in order";
  for (const char *s = q->steps; !*problem && s && *s;) {
    size_t n = strcspn(s, ",");
    if (out->nsteps == PS_FUNNEL_MAX_STEPS) *problem = "a funnel has at most 16 steps";
    else *problem = parse_step(s, n, status, &out->steps[out->nsteps++]);
    s += n;
    if (*s == ',') s++;
    if (!*problem && !*s && s[-1] == ',') *problem = "a funnel step names an id (kind:id)";
  }
  out->window_s = q->window_s;
  return *problem ? PS_EINVAL : PS_OK;
}

unsigned ps_funnel_match(const ps_funnel *f, const char *category, const char *key) {
  unsigned steps = 0;
  if (!category || !key) return 0;
  for (size_t i = 0; i < f->nsteps; i++)
    if (!strcmp(category, kind_names[f->steps[i].kind]) && covers(&f->steps[i], key))
      steps |= 1u << i;
  return steps;
}

/* ---- counting ---- */

/* Where one user is in the funnel. Times are seconds after the count's from_s (events outside
 * its range are never taken), so that a walk is 16 bytes: the walks of numbered users are read
 * in no order, and the fewer cache lines they take the fewer reads miss. */
typedef struct user_walk {
  uint32_t entered, last_s; /* time of step 1, time of the last step reached */
  uint32_t next_s;          /* by step: the earliest event of the step read that may be taken */
  uint8_t depth;            /* steps reached */
  uint8_t has_next;
} user_walk;

typedef struct user_entry {
  ps_keymap_entry link; /* name: the entry's own copy of the user id, after it */
  user_walk walk;
} user_entry;

struct ps_funnel_count {
  const ps_funnel *f;
  int64_t from_s, to_s, from_day;
  size_t ndays;
  double *reached; /* [step] users */
  double *by_day;  /* [step * ndays + day of entry] users */
  /* by user: the user being walked (NULL: none yet) */
  char *user;
  size_t user_cap;
  user_walk current;
  /* by step: every user who entered, and how many are at each depth */
  ps_keymap users;
  size_t at[PS_FUNNEL_MAX_STEPS + 1];
  /* by step with numbered users: the walk of each number (depth 0: not entered) */
  user_walk *numbered;
  size_t nnumbered;
};

/* Whether a user where w is may take an event at t for their next step. */
static int may_take(const ps_funnel *f, const user_walk *w, uint32_t t) {
  return t > w->last_s && (!f->window_s || (int64_t)t - w->entered <= f->window_s);
}

/* Adds a user's walk to the counts. */
static void count_user(ps_funnel_count *c, const user_walk *w) {
  int64_t entered = c->from_s + w->entered;
  int64_t d = (entered >= 0 ? entered / 86400 : 0) - c->from_day;
  for (size_t k = 0; k < w->depth; k++) {
    c->reached[k] += 1;
    if (d >= 0 && (size_t)d < c->ndays) c->by_day[k * c->ndays + (size_t)d] += 1;
  }
}

ps_funnel_count *ps_funnel_count_create(const ps_funnel *f, int64_t from_s, int64_t to_s,
                                        int64_t from_day, size_t ndays) {
  ps_funnel_count *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  if (to_s - from_s > (int64_t)UINT32_MAX) to_s = from_s + UINT32_MAX; /* see funnel.h */
  *c = (ps_funnel_count){.f = f, .from_s = from_s, .to_s = to_s, .from_day = from_day,
                         .ndays = ndays};
  c->reached = calloc(f->nsteps ? f->nsteps : 1, sizeof *c->reached);
  c->by_day = calloc((f->nsteps ? f->nsteps : 1) * (ndays ? ndays : 1), sizeof *c->by_day);
  if (!c->reached || !c->by_day || ps_keymap_init(&c->users, 1024) != PS_OK) {
    ps_funnel_count_destroy(c);
    return NULL;
  }
  return c;
}

static void release_user(ps_keymap_entry *e) { free(ps_keymap_owner(e, user_entry, link)); }

void ps_funnel_count_destroy(ps_funnel_count *c) {
  if (!c) return;
  if (c->users.buckets) ps_keymap_destroy(&c->users, release_user);
  free(c->reached);
  free(c->by_day);
  free(c->user);
  free(c->numbered);
  free(c);
}

/* ---- by user ---- */

int ps_funnel_count_event(ps_funnel_count *c, const char *user_id, int64_t t_s, unsigned steps) {
  if (!user_id) user_id = "";
  user_walk *w = &c->current;
  if (!c->user || strcmp(c->user, user_id) != 0) {
    count_user(c, w);
    *w = (user_walk){0};
    size_t len = strlen(user_id) + 1;
    if (len > c->user_cap) {
      char *grown = realloc(c->user, len);
      if (!grown) return PS_ENOMEM;
      c->user = grown;
      c->user_cap = len;
    }
    memcpy(c->user, user_id, len);
  }
  if (t_s < c->from_s || t_s >= c->to_s || w->depth == c->f->nsteps) return PS_OK;
  uint32_t t = (uint32_t)(t_s - c->from_s);
  if (w->depth == 0) {
    if (steps & 1u) w->depth = 1, w->entered = w->last_s = t;
  } else if ((steps >> w->depth & 1u) && may_take(c->f, w, t)) {
    w->depth++;
    w->last_s = t;
  }
  return PS_OK;
}

/* ---- by step ---- */

/* An event of step at t (after from_s) of the user whose walk is w (depth 0: not entered). */
static void step_event(ps_funnel_count *c, size_t step, user_walk *w, uint32_t t) {
  if (step == 0) {
    if (!w->depth) {
      *w = (user_walk){.depth = 1, .entered = t, .last_s = t};
      c->at[1]++;
    } else if (t < w->entered) { /* the first event of step 1 is the entry */
      w->entered = w->last_s = t;
    }
    return;
  }
  if (w->depth == step && may_take(c->f, w, t) && (!w->has_next || t < w->next_s)) {
    w->next_s = t;
    w->has_next = 1;
  }
}

int ps_funnel_count_step_event(ps_funnel_count *c, size_t step, const char *user_id, int64_t t_s) {
  if (!user_id || t_s < c->from_s || t_s >= c->to_s || step >= c->f->nsteps) return PS_OK;
  ps_keymap_entry *found = ps_keymap_find(&c->users, 0, user_id);
  user_walk *w = found ? &ps_keymap_owner(found, user_entry, link)->walk : NULL;
  if (step == 0 && !w) {
    size_t len = strlen(user_id) + 1;
    user_entry *e = malloc(sizeof *e + len);
    if (!e) return PS_ENOMEM;
    char *name = (char *)(e + 1);
    memcpy(name, user_id, len);
    e->link.scope = 0;
    e->link.name = name;
    e->walk = (user_walk){0};
    ps_keymap_insert(&c->users, &e->link);
    w = &e->walk;
  }
  if (w) step_event(c, step, w, (uint32_t)(t_s - c->from_s));
  return PS_OK;
}

int ps_funnel_count_numbered_event(ps_funnel_count *c, size_t step, uint32_t user, int64_t t_s) {
  if (t_s < c->from_s || t_s >= c->to_s || step >= c->f->nsteps) return PS_OK;
  if (user >= c->nnumbered) {
    if (step > 0) return PS_OK; /* never entered */
    size_t cap = c->nnumbered ? c->nnumbered : 1024;
    while (cap <= user) cap *= 2;
    user_walk *grown = realloc(c->numbered, cap * sizeof *grown);
    if (!grown) return PS_ENOMEM;
    memset(grown + c->nnumbered, 0, (cap - c->nnumbered) * sizeof *grown);
    c->numbered = grown;
    c->nnumbered = cap;
  }
  step_event(c, step, &c->numbered[user], (uint32_t)(t_s - c->from_s));
  return PS_OK;
}

/* A user at depth with an event for the next step takes it. */
static void take_next_of(ps_funnel_count *c, user_walk *w) {
  if (w->has_next) {
    c->at[w->depth]--;
    w->depth++;
    c->at[w->depth]++;
    w->last_s = w->next_s;
    w->has_next = 0;
  }
}

static int take_next(ps_keymap_entry *e, void *ctx) {
  take_next_of(ctx, &ps_keymap_owner(e, user_entry, link)->walk);
  return 0;
}

void ps_funnel_count_step_end(ps_funnel_count *c, size_t step) {
  if (step == 0 || !c->at[step]) return;
  ps_keymap_sweep(&c->users, take_next, c, NULL);
  for (size_t i = 0; i < c->nnumbered; i++) take_next_of(c, &c->numbered[i]);
}

int ps_funnel_count_anyone_at(const ps_funnel_count *c, size_t step) {
  return step == 0 || (step <= PS_FUNNEL_MAX_STEPS && c->at[step] > 0);
}

static int count_entry(ps_keymap_entry *e, void *ctx) {
  count_user(ctx, &ps_keymap_owner(e, user_entry, link)->walk);
  return 0;
}

int ps_funnel_count_result(ps_funnel_count *c, ps_metric_result *out) {
  count_user(c, &c->current); /* by user: the last one (by step: depth 0, nothing) */
  c->current = (user_walk){0};
  ps_keymap_sweep(&c->users, count_entry, c, NULL);
  for (size_t i = 0; i < c->nnumbered; i++) count_user(c, &c->numbered[i]);
  const ps_funnel *f = c->f;
  int rc = PS_OK;
  memset(out, 0, sizeof *out);
  out->from_ms = c->from_day * 86400000LL;
  out->interval_ms = 86400000LL;
  out->nbuckets = c->ndays;
  if (!(out->whole.values = calloc(c->ndays ? c->ndays : 1, sizeof(double))) ||
      !(out->groups = calloc(f->nsteps ? f->nsteps : 1, sizeof *out->groups)))
    rc = PS_ENOMEM;
  /* Groups are added here, not through ps_metric_result_group: two steps may be equal. */
  for (size_t k = 0; rc == PS_OK && k < f->nsteps; k++) {
    ps_metric_series *g = &out->groups[k];
    snprintf(g->key, sizeof g->key, "%s", f->steps[k].text);
    if (!(g->values = calloc(c->ndays ? c->ndays : 1, sizeof(double)))) {
      rc = PS_ENOMEM;
      break;
    }
    out->ngroups++;
    g->total = c->reached[k];
    memcpy(g->values, c->by_day + k * c->ndays, c->ndays * sizeof(double));
  }
  if (rc == PS_OK && f->nsteps) {
    out->whole.total = out->groups[f->nsteps - 1].total;
    memcpy(out->whole.values, out->groups[f->nsteps - 1].values, c->ndays * sizeof(double));
  }
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}
