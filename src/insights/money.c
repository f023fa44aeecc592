/* money.c: see money.h. */
#include "insights/money.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "insights/ltv.h"
#include "store/currency.h"

#define DAY_MS 86400000LL

const char *ps_money_currency(ps_state_store *state, int64_t game_id, const char *asked,
                              char out[4], int *rc) {
  *rc = PS_OK;
  if (asked) {
    if (!ps_currency_code_valid(asked))
      return "currency must be an ISO 4217 code: three uppercase letters (EUR, USD, ...)";
    memcpy(out, asked, 4);
    return NULL;
  }
  int got = state->ops->game_currency_get(state, game_id, out);
  if (got == PS_ENOTFOUND) memcpy(out, PS_MONEY_DEFAULT_CURRENCY, 4);
  else *rc = got;
  return NULL;
}

static int keep_rate(const ps_rate *rate, void *ctx) {
  ps_money_rates *t = ctx;
  if (rate->day < t->first_day || rate->day >= t->first_day + (int64_t)t->ndays) return 0;
  for (size_t i = 0; i < t->n; i++)
    if (!strcmp(t->codes[i], rate->currency)) {
      t->per_eur[i * t->ndays + (size_t)(rate->day - t->first_day)] = rate->per_eur;
      break;
    }
  return 0;
}

/* Fills row i of t with the rate of each day: its own, else the latest of the lookback days
 * before it, else 0; EUR is 1. */
static void carry_forward(ps_money_rates *t, size_t i) {
  double *row = t->per_eur + i * t->ndays;
  if (!strcmp(t->codes[i], "EUR")) {
    for (size_t d = 0; d < t->ndays; d++) row[d] = 1;
    return;
  }
  double last = 0;
  size_t age = 0;
  for (size_t d = 0; d < t->ndays; d++) {
    if (row[d] > 0) last = row[d], age = 0;
    else if (++age > PS_MONEY_LOOKBACK_DAYS) last = 0;
    row[d] = last;
  }
}

int ps_money_rates_load(ps_state_store *state, int64_t from_day, size_t ndays, const char *target,
                        const ps_metric_result *currencies, ps_money_rates *t) {
  memset(t, 0, sizeof *t);
  t->first_day = from_day - PS_MONEY_LOOKBACK_DAYS;
  t->ndays = ndays + PS_MONEY_LOOKBACK_DAYS;
  t->n = currencies->ngroups + 1;
  t->codes = malloc(t->n * sizeof *t->codes);
  t->per_eur = calloc(t->n * t->ndays, sizeof *t->per_eur);
  if (!t->codes || !t->per_eur) return PS_ENOMEM;
  t->codes[0] = target;
  for (size_t g = 0; g < currencies->ngroups; g++) t->codes[g + 1] = currencies->groups[g].key;
  int rc = state->ops->rates_read(state, t->first_day, t->first_day + (int64_t)t->ndays,
                                  keep_rate, t);
  for (size_t i = 0; rc == PS_OK && i < t->n; i++) carry_forward(t, i);
  return rc;
}

double ps_money_rates_factor(const ps_money_rates *t, size_t g, int64_t day) {
  if (!strcmp(t->codes[g + 1], t->codes[0])) return 1;
  int64_t d = day - t->first_day;
  if (d < 0 || d >= (int64_t)t->ndays) return 0;
  double to = t->per_eur[(size_t)d], from = t->per_eur[(g + 1) * t->ndays + (size_t)d];
  return to > 0 && from > 0 ? to / from : 0;
}

void ps_money_rates_free(ps_money_rates *t) {
  free(t->codes);
  free(t->per_eur);
  memset(t, 0, sizeof *t);
}

int ps_money_note_left_out(ps_money_note *note, const char *key) {
  for (size_t i = 0; i < note->nleft_out; i++)
    if (!strcmp(note->left_out[i], key)) return PS_OK;
  char(*grown)[130] = realloc(note->left_out, (note->nleft_out + 1) * sizeof *grown);
  if (!grown) return PS_ENOMEM;
  note->left_out = grown;
  strcpy(note->left_out[note->nleft_out++], key);
  return PS_OK;
}

static int cmp_code(const void *a, const void *b) { return strcmp(a, b); }

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}

/* Converts the currency groups of revenue into converted[] (one per bucket), noting in note
 * what was left out; *some: whether any amount was converted, *any: whether there was any. */
static int convert(ps_state_store *state, const ps_metric_result *revenue, const char *target,
                   double *converted, ps_money_note *note, int *some, int *any) {
  ps_money_rates t;
  int64_t from_day = revenue->from_ms / DAY_MS;
  int rc = ps_money_rates_load(state, from_day, revenue->nbuckets, target, revenue, &t);
  for (size_t g = 0; rc == PS_OK && g < revenue->ngroups; g++) {
    const ps_metric_series *s = &revenue->groups[g];
    int left = 0;
    for (size_t d = 0; d < revenue->nbuckets; d++) {
      if (s->values[d] == 0) continue;
      *any = 1;
      double factor = ps_money_rates_factor(&t, g, from_day + (int64_t)d);
      if (factor > 0) {
        converted[d] += s->values[d] * factor;
        *some = 1;
      } else {
        left = 1;
      }
    }
    if (left) rc = ps_money_note_left_out(note, s->key);
  }
  ps_money_rates_free(&t);
  return rc;
}

static double ratio(double a, double b) { return b ? a / b : 0; }

/* The series of q (no group_by) converted into target ("": none) into *out; left out
 * currencies added to note; *some / *any as convert() sets them. */
static int money_one(ps_event_store *events, ps_state_store *state, const ps_metric_query *q,
                     const char *target, ps_metric_result *out, ps_money_note *note, int *some,
                     int *any) {
  memset(out, 0, sizeof *out);
  int is_revenue = !strcmp(q->metric, "revenue"), is_arpdau = !strcmp(q->metric, "arpdau");
  ps_metric_query ask = *q;
  ask.metric = "revenue";
  ps_metric_result revenue = {0}, divisor = {0};
  int rc = events->ops->metric(events, &ask, &revenue);
  if (rc == PS_OK && !is_revenue) {
    ask.metric = is_arpdau ? "dau" : "paying_users";
    rc = events->ops->metric(events, &ask, &divisor);
    if (rc == PS_OK && divisor.nbuckets != revenue.nbuckets) rc = PS_EIO;
  }
  double *converted = NULL;
  if (rc == PS_OK)
    rc = (converted = calloc(revenue.nbuckets ? revenue.nbuckets : 1, sizeof *converted))
             ? PS_OK : PS_ENOMEM;
  if (rc == PS_OK) rc = convert(state, &revenue, target, converted, note, some, any);
  if (rc == PS_OK) {
    double sum = 0, divisors = 0;
    for (size_t d = 0; d < revenue.nbuckets; d++) sum += converted[d];
    if (is_revenue) {
      /* The store's currency groups stay (in key order); the whole becomes the converted sum. */
      *out = revenue;
      memset(&revenue, 0, sizeof revenue);
      if (out->ngroups > 1) qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
      memcpy(out->whole.values, converted, out->nbuckets * sizeof *converted);
      out->whole.total = sum;
    } else {
      *out = divisor;
      memset(&divisor, 0, sizeof divisor);
      for (size_t d = 0; d < out->nbuckets; d++) {
        divisors += out->whole.values[d];
        out->whole.values[d] = ratio(converted[d], out->whole.values[d]);
      }
      out->whole.total = ratio(sum, is_arpdau ? divisors : out->whole.total);
    }
  }
  free(converted);
  ps_metric_result_free(&revenue);
  ps_metric_result_free(&divisor);
  return rc;
}

static void set_null(ps_metric_series *s, size_t n) {
  s->total = NAN;
  for (size_t d = 0; d < n; d++) s->values[d] = NAN;
}

/* Frees the groups of r and leaves it without any. */
static void drop_groups(ps_metric_result *r) {
  for (size_t g = 0; g < r->ngroups; g++) free(r->groups[g].values);
  free(r->groups);
  r->groups = NULL;
  r->ngroups = 0;
}

int ps_money_metric(ps_event_store *events, ps_state_store *state, const ps_metric_query *q,
                    const char *currency, ps_metric_result *out, ps_money_note *note) {
  memset(note, 0, sizeof *note);
  if (!strcmp(q->metric, "ltv")) return ps_ltv_metric(events, state, q, currency, out, note);
  const char *target = currency ? currency : "";
  ps_metric_query whole = *q;
  whole.group_by = NULL;
  int some = 0, any = 0;
  int rc = money_one(events, state, &whole, target, out, note, &some, &any);
  if (rc == PS_OK && strcmp(q->metric, "revenue") != 0) drop_groups(out);
  if (rc == PS_OK && q->group_by) {
    /* A group is the metric filtered to its value: the event store tells the values (those
     * of the dimension's group_by), and converts nothing of a segment's revenue. */
    ps_metric_query keys_q = *q;
    keys_q.metric = "dau";
    ps_metric_result keys = {0};
    drop_groups(out);
    rc = whole.nfilters < PS_METRIC_MAX_FILTERS ? events->ops->metric(events, &keys_q, &keys)
                                                : PS_EINVAL;
    for (size_t g = 0; rc == PS_OK && g < keys.ngroups; g++) {
      ps_metric_query one = whole;
      one.filters[one.nfilters++] = (ps_metric_filter){q->group_by, keys.groups[g].key};
      ps_metric_result part;
      int unused_some = 0, unused_any = 0;
      rc = money_one(events, state, &one, target, &part, note, &unused_some, &unused_any);
      ps_metric_series *s = rc == PS_OK ? ps_metric_result_group(out, keys.groups[g].key) : NULL;
      if (rc == PS_OK && !s) rc = PS_ENOMEM;
      if (rc == PS_OK) {
        memcpy(s->values, part.whole.values, out->nbuckets * sizeof *s->values);
        s->total = part.whole.total;
      }
      ps_metric_result_free(&part);
    }
    ps_metric_result_free(&keys);
  }
  if (rc == PS_OK) {
    if (!ps_money_note_close(note, target, some, any)) {
      set_null(&out->whole, out->nbuckets);
      for (size_t g = 0; q->group_by && g < out->ngroups; g++)
        set_null(&out->groups[g], out->nbuckets);
    }
  } else {
    ps_metric_result_free(out);
    ps_money_note_free(note);
  }
  return rc;
}

int ps_money_note_close(ps_money_note *note, const char *target, int some, int any) {
  if (some || (!any && *target)) memcpy(note->currency, target, 4);
  if (note->nleft_out > 1)
    qsort(note->left_out, note->nleft_out, sizeof *note->left_out, cmp_code);
  return note->currency[0] != 0;
}

void ps_money_note_free(ps_money_note *note) {
  free(note->left_out);
  memset(note, 0, sizeof *note);
}
