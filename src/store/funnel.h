/*
 * funnel.h: what a per-user funnel is, for every event store: its steps as the read API names
 * them, which events each step matches, and how a user's events in time order become the step
 * they reached. A backend only fetches, per user and in time order, the events of the range
 * that may match a step (store/sqlite/ga_funnel.c, store/clickhouse/ga_funnel.c); this file
 * decides, so both backends answer alike.
 *
 * Steps: "kind:id" with kind design, progression, resource or business, separated by commas
 * (at most PS_FUNNEL_MAX_STEPS). A step without a kind is a progression step. id covers
 * itself and its parts (design:Shop covers Shop and Shop:Open, not ShopKeeper); a trailing '*'
 * makes it a plain prefix (design:Shop* covers ShopKeeper too). Ids compared:
 *   design       the event_id                          design:Shop:Open
 *   progression  the event_id without its status; the step may start with Start:, Fail: or
 *                Complete: to choose the status, else the query's default (Complete)
 *                                                      progression:World1:Level10 covers
 *                                                      Complete:World1:Level10:Boss
 *   resource     the event_id, Flow:Currency:ItemType:ItemId    resource:Sink:Gold
 *   business     the event_id, itemType:itemId         business:gems_pack
 *
 * Conversion (the usual definition, as GameAnalytics'): a user enters the funnel at their
 * first event of step 1 in the range; they reach step k (k > 1) with the earliest event of
 * step k strictly later (in seconds) than the event with which they reached step k-1, and at
 * most window seconds after their entry when there is a window. Event time is client_ts when
 * the event has one, else its arrival (the rollups' day of an event is that time's day). An
 * event counts for one step at most (later steps need later seconds), so two steps done in
 * the same second convert only in separate seconds. Greedy earliest matching is exact for
 * this definition: no other choice of events reaches further.
 */
#ifndef PS_STORE_FUNNEL_H
#define PS_STORE_FUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "store/ga_digest.h"
#include "store/metric.h"

#define PS_FUNNEL_MAX_STEPS 16
#define PS_FUNNEL_MAX_WINDOW_S (3660LL * 86400) /* as long as the longest range */

typedef enum {
  PS_FUNNEL_DESIGN,
  PS_FUNNEL_PROGRESSION,
  PS_FUNNEL_RESOURCE,
  PS_FUNNEL_BUSINESS,
  PS_FUNNEL_KINDS
} ps_funnel_kind;

/* The keys a step covers, as half-open ranges [lo, hi) in byte order (SQLite's BINARY and
 * ClickHouse's string order): the key itself ([key, key "\x01"): no text holds a NUL) and its
 * parts ([key ":", key ";")), or with a trailing '*' every extension ([key, key "\xF5"): no
 * byte of UTF-8 text is 0xF5 or above). A step holds them (ps_funnel_parse makes them). */
typedef struct ps_funnel_range {
  char lo[PS_GA_KEY_CAP + 2], hi[PS_GA_KEY_CAP + 2];
} ps_funnel_range;

typedef struct ps_funnel_step {
  ps_funnel_kind kind;
  /* What an event's key must equal or extend: design, resource, business: the id;
   * progression: "Status|id", the form of the digest's agg_key (ga_digest.h). */
  char key[PS_GA_KEY_CAP];
  int plain_prefix; /* 1: any key that starts with key (a trailing '*') */
  char text[130];   /* the step as given (the answer's group key) */
  ps_funnel_range ranges[2]; /* the keys it covers */
  size_t nranges;
} ps_funnel_step;

typedef struct ps_funnel {
  ps_funnel_step steps[PS_FUNNEL_MAX_STEPS];
  size_t nsteps;
  int64_t window_s; /* 0: none (the whole range) */
} ps_funnel;

/* Whether q asks for a per-user funnel: metric funnel with a window or with a step that names
 * its kind. Otherwise funnel keeps its older answer (events per progression step and day). */
int ps_funnel_wanted(const ps_metric_query *q);

/* Reads q's steps, window and measure (progression steps' default status: starts, fails or
 * completes; no measure: completes) into *out. Returns 0 or PS_EINVAL with a sentence for the
 * read API in *problem (a static string). */
int ps_funnel_parse(const ps_metric_query *q, ps_funnel *out, const char **problem);

/* The category of the events of a kind ("design", "progression", "resource", "business"). */
const char *ps_funnel_category(ps_funnel_kind kind);


/* The steps an event matches, as bits (step i: 1u << i): category and key as a backend reads
 * them (design, progression, resource: the digest's agg_key; business: the event_id). */
unsigned ps_funnel_match(const ps_funnel *f, const char *category, const char *key);

/* Counts users through the funnel from their events, fed in one of two ways (not both):
 *  - by user: ps_funnel_count_event with every event of one user together, each user's in
 *    time order (ties in any order), for a backend that sorts (ClickHouse);
 *  - by step: ps_funnel_count_step_event with the events of step 1 in any order, then
 *    ps_funnel_count_step_end(0), then those of step 2, ..., for a backend that reads each
 *    step's events from an index without sorting them (SQLite); it keeps one small entry per
 *    user who entered the funnel.
 * create/destroy pair. */
typedef struct ps_funnel_count ps_funnel_count;

/* A count over [from_s, to_s) (events outside are ignored; a range is at most 2^32 - 1 s, some
 * 136 years, beyond which to_s is cut: the read API takes ten), days from from_day for the
 * per-day points (ndays of them). NULL when out of memory. f must outlive the count. */
ps_funnel_count *ps_funnel_count_create(const ps_funnel *f, int64_t from_s, int64_t to_s,
                                        int64_t from_day, size_t ndays);
void ps_funnel_count_destroy(ps_funnel_count *c);
/* One event: its user (copied when it starts a user), time (unix s) and matching steps
 * (ps_funnel_match). PS_OK or PS_ENOMEM. */
int ps_funnel_count_event(ps_funnel_count *c, const char *user_id, int64_t t_s, unsigned steps);
/* One event of step (0-based; the event must match it: ps_funnel_match), of user at t_s.
 * PS_OK or PS_ENOMEM. */
int ps_funnel_count_step_event(ps_funnel_count *c, size_t step, const char *user_id, int64_t t_s);
/* The same by a dense number per user instead of its id (a backend that numbers its users,
 * e.g. the SQLite rollups' ga_users.idx): one walk per number in an array, no hash of ids.
 * Numbers and ids are two separate ways: a count is fed one or the other. PS_OK or PS_ENOMEM
 * (the array grows to the largest number fed). */
int ps_funnel_count_numbered_event(ps_funnel_count *c, size_t step, uint32_t user, int64_t t_s);
/* Ends step's events: the users who did it after their previous step reach it. */
void ps_funnel_count_step_end(ps_funnel_count *c, size_t step);
/* Whether a user is at step (has reached it and not the next yet): 0 when nobody is, and the
 * later steps need not be read. */
int ps_funnel_count_anyone_at(const ps_funnel_count *c, size_t step);
/* The answer into out (zeroed here): one group per step in order (key: the step as given;
 * total: users who reached it; points: the same by the day they entered the funnel), the
 * whole: the last step's. PS_OK or PS_ENOMEM (out is then empty). */
int ps_funnel_count_result(ps_funnel_count *c, ps_metric_result *out);

#endif
