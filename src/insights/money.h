/*
 * money.h: the money metrics of analytics events (revenue, arpdau, arppu) in one currency.
 *
 * Why here and not in the event stores: amounts of different currencies are never added as
 * they were sent. The event store answers revenue with one group per currency per day (its
 * own cents), dau and paying_users; this file composes the converted figures from those with
 * the exchange rates of the state store (state.h ps_rate: units per euro, the ECB's reference
 * rates), so every backend converts the same way and no backend knows about rates.
 *
 * Definitions (catalog.h holds the catalogue lines; docs/http-api.md the answer):
 * - converted revenue of day d = sum over currencies c of revenue_c(d) * rate(T, d) /
 *   rate(c, d), where T is the currency asked and rate(EUR, d) = 1; amounts stay in minor
 *   units (cents as sent), converted exactly (not rounded);
 * - rate(c, d) is the rate dated d, else the latest of the PS_MONEY_LOOKBACK_DAYS days before
 *   (the ECB publishes none on weekends and TARGET holidays, at most four days in a row);
 *   older rates are not used, so a currency the ECB stopped quoting is not converted with a
 *   stale rate forever;
 * - a day's amount in a currency without a usable rate (for it or for T) is left out of the
 *   converted figures, and that currency is named in left_out (once, in key order);
 * - arpdau(d) = converted revenue(d) / dau(d); total: converted revenue / sum of the daily
 *   dau. arppu(d) = converted revenue(d) / paying users(d); total: converted revenue /
 *   distinct paying users over the range (0 where a divisor is 0);
 * - revenue's groups stay one per currency (in key order), in that currency's own cents; its
 *   whole series and total are the converted sum;
 * - with a group_by, a group is the metric filtered to the dimension's value (converted the
 *   same way), for each value the event store's group_by of dau names; revenue's groups are
 *   then those segments, no longer currencies;
 * - T is the query's currency=, else the game's reporting currency, else EUR (the rates'
 *   base: PS_MONEY_DEFAULT_CURRENCY);
 * - currency is T, or "" (JSON null) when there was revenue and none of it could be
 *   converted: then every converted series (the whole, a group_by's groups) is NaN
 *   throughout (rendered null), and left_out names every currency with revenue in the range.
 * ltv is converted the same way, each purchase with the rates of its own day (insights/ltv.h);
 * the rate table and the note's helpers below are what it shares with revenue.
 */
#ifndef PS_INSIGHTS_MONEY_H
#define PS_INSIGHTS_MONEY_H

#include "store/events.h"
#include "store/state.h"

#define PS_MONEY_LOOKBACK_DAYS 7
/* The currency of a game without a reporting currency: the rates' base, the one currency
 * every loaded rate converts into (the answer names it, so nothing is implied). */
#define PS_MONEY_DEFAULT_CURRENCY "EUR"

typedef struct ps_money_note {
  char currency[4];    /* the converted figures' currency; "": nothing could be converted */
  char (*left_out)[130]; /* currencies left out, in key order (malloc'd) */
  size_t nleft_out;
} ps_money_note;

/* The rates of the target (codes[0]) and of some currencies (codes[1..]) over days
 * [first_day + PS_MONEY_LOOKBACK_DAYS, first_day + ndays), carried forward as above. */
typedef struct ps_money_rates {
  int64_t first_day; /* the first day asked - PS_MONEY_LOOKBACK_DAYS */
  size_t ndays;      /* the days asked + PS_MONEY_LOOKBACK_DAYS */
  size_t n;
  const char **codes; /* borrowed from the caller's target and groups' keys */
  double *per_eur;    /* n rows of ndays; 0: no usable rate that day */
} ps_money_rates;

/* Reads, in one read of the state store, the rates of target and of each group key of
 * currencies (which must outlive t) over the ndays days from from_day into t (free with
 * ps_money_rates_free, whatever it returns). PS_OK, PS_ENOMEM or the store's error. */
int ps_money_rates_load(ps_state_store *state, int64_t from_day, size_t ndays, const char *target,
                        const ps_metric_result *currencies, ps_money_rates *t);
/* What an amount of currency group g on day converts into the target by: 1 for the target
 * itself, 0 when either has no usable rate that day (or the day is outside t). */
double ps_money_rates_factor(const ps_money_rates *t, size_t g, int64_t day);
void ps_money_rates_free(ps_money_rates *t);
/* Names key in note's left_out, once. PS_OK or PS_ENOMEM. */
int ps_money_note_left_out(ps_money_note *note, const char *key);
/* Ends a conversion into target: sets note's currency to target when some amount converted or
 * there was none (any: whether there was), sorts left_out. 1 when the currency is set, 0 when
 * nothing could be converted (the caller's figures are then NaN). */
int ps_money_note_close(ps_money_note *note, const char *target, int some, int any);

/* The currency a money metric of game_id answers in: asked (the query's currency=, NULL when
 * absent), else the game's reporting currency, else PS_MONEY_DEFAULT_CURRENCY, into out.
 * NULL, or the problem for a 400 (a malformed code); *rc is PS_OK or the store's failure
 * (then 503). */
const char *ps_money_currency(ps_state_store *state, int64_t game_id, const char *asked,
                              char out[4], int *rc);

/* Answers q (a money metric of the catalogue) converted into currency (a valid code, or ""
 * for none): the result into *out (ps_metric_result_free), what was converted into *note
 * (ps_money_note_free). PS_OK, or what a store returned (nothing is left to free). */
int ps_money_metric(ps_event_store *events, ps_state_store *state, const ps_metric_query *q,
                    const char *currency, ps_metric_result *out, ps_money_note *note);
void ps_money_note_free(ps_money_note *note);

#endif
