/* test_sqlite_group_totals.c: the SQLite event store's user metrics with a group_by (what
 * GET .../dimensions/{d}/values asks: dau by the dimension), against a model computed here
 * from the events sent. The store reads a group_by's days as counts and one union per group
 * (store/sqlite/ga_query.c), and lists its groups from the active rows alone.
 *
 * Seeded random players send `user`, design and business events over ten days on two
 * platforms and several builds; a player may move to a newer build from one day to the next.
 * One build is sent only before the range asked and one only after it: a group_by lists the
 * values seen from 29 days before the range to 31 after it (ga_query.h; ClickHouse lists the
 * same), so both are groups, with no users. For dau, wau, mau, paying_users, conversion,
 * new_users, sessions, sessions_per_user, arpdau and arppu, grouped by build and by platform:
 *  - every group's total and every day's value equal the model, and the groups are exactly
 *    the values the model saw over the widened range, in key order;
 *  - the whole (the query without group_by) likewise;
 *  - a group_by beside a filter (a segment: each group's days ANDed with it) the same.
 * The model: a user is active on a day with a value when it sent an event carrying it that
 * day; paying likewise with a business event; new on its first `user` event's day, with that
 * event's values; sessions are `user` events; revenue the business amounts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "store/sqlite/ga_rollup.h"
#include "store/sqlite/internal.h"
#include "store/store.h"
#include "sqlite_case.h"
#include "xorshift.h"

#define DAY_S 86400
#define FIRST_DAY 20400
#define DAYS 10
#define FROM_DAY (FIRST_DAY + 3) /* the range asked: [FROM_DAY, TO_DAY) */
#define TO_DAY (FIRST_DAY + 8)
#define PLAYERS 80
#define MAX_EVENTS 6000

static const char *const platforms[] = {"ios", "android"};
/* "0.9" is sent on the first day only, "2.0" on the last: both outside the range. */
static const char *const builds[] = {"0.9", "1.0", "1.1", "1.2", "2.0"};
#define NBUILDS (sizeof builds / sizeof *builds)

typedef struct sent {
  int player;
  const char *category; /* user, design, business */
  int64_t day;
  const char *platform, *build;
  int amount;
  char user[24];
  char body[512];
  ps_record r;
} sent;

static sent events[MAX_EVENTS];
static size_t nevents;

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(uint64_t n) {
  return xorshift64(&rng) % n;
}

static void add_event(int player, const char *category, int64_t day, const char *platform,
                      const char *build) {
  assert_true(nevents < MAX_EVENTS);
  sent *e = &events[nevents++];
  e->player = player;
  e->category = category;
  e->day = day;
  e->platform = platform;
  e->build = build;
  e->amount = !strcmp(category, "business") ? 99 + (int)rnd(400) : 0;
  char user[24];
  snprintf(user, sizeof user, "player-%d", player);
  memcpy(e->user, user, sizeof user);
  int64_t t = day * DAY_S + (int64_t)rnd(DAY_S - 10);
  int len = snprintf(e->body, sizeof e->body,
                     "{\"v\":2,\"category\":\"%s\",\"user_id\":\"%s\",\"platform\":\"%s\","
                     "\"os_version\":\"%s 1\",\"session_id\":\"s-%d\",\"session_num\":1,"
                     "\"build\":\"%s\",\"sdk_version\":\"rest api v2\",\"client_ts\":%lld",
                     category, user, platform, platform, player, build, (long long)t);
  if (!strcmp(category, "design"))
    len += snprintf(e->body + len, sizeof e->body - (size_t)len, ",\"event_id\":\"UI:Open\"");
  if (!strcmp(category, "business"))
    len += snprintf(e->body + len, sizeof e->body - (size_t)len,
                    ",\"event_id\":\"gems:gems_100\",\"amount\":%d,\"currency\":\"USD\","
                    "\"transaction_num\":1",
                    e->amount);
  snprintf(e->body + len, sizeof e->body - (size_t)len, "}");
  e->r = (ps_record){.kind = PS_RECORD_EVENT, .category = category, .body = e->body,
                     .body_len = strlen(e->body), .user_id = e->user, .client_ts = t,
                     .has_client_ts = 1, .received_ms = t * 1000 + 2000};
}

static void make_events(void) {
  nevents = 0;
  for (int p = 0; p < PLAYERS; p++) {
    const char *platform = platforms[rnd(2)];
    size_t build = 1 + rnd(2);
    for (int64_t day = FIRST_DAY + 1 + (int64_t)rnd(DAYS - 2); day < FIRST_DAY + DAYS - 1; day++) {
      if (rnd(3) == 0) continue; /* away that day */
      if (build < 3 && rnd(5) == 0) build++;
      size_t n = 1 + rnd(4);
      for (size_t i = 0; i < n; i++) {
        uint64_t what = rnd(10);
        add_event(p, what < 4 ? "user" : what < 8 ? "design" : "business", day, platform,
                  builds[build]);
      }
    }
  }
  add_event(PLAYERS, "user", FIRST_DAY, "ios", "0.9");
  add_event(PLAYERS, "business", FIRST_DAY, "ios", "0.9");
  add_event(PLAYERS + 1, "user", FIRST_DAY + DAYS - 1, "android", "2.0");
}

/* ---- the model ---- */

static const char *value_of(const sent *e, const char *dimension) {
  return !dimension ? "" : !strcmp(dimension, "platform") ? e->platform : e->build;
}

/* Whether player p (model of dimension = value; dimension NULL: the whole) did what on day. */
static int active(int p, int64_t day, const char *dimension, const char *value, int paying) {
  for (size_t i = 0; i < nevents; i++) {
    const sent *e = &events[i];
    if (e->player == p && e->day == day && !strcmp(value_of(e, dimension), value) &&
        (!paying || !strcmp(e->category, "business")))
      return 1;
  }
  return 0;
}

/* The first `user` event of player p, or NULL. */
static const sent *first_user_event(int p) {
  const sent *first = NULL;
  for (size_t i = 0; i < nevents; i++)
    if (events[i].player == p && !strcmp(events[i].category, "user") &&
        (!first || events[i].r.client_ts < first->r.client_ts))
      first = &events[i];
  return first;
}

static double ratio(double a, double b) { return b ? a / b : 0; }

/* The model of metric for dimension = value (NULL: the whole) and platform filter (NULL: none):
 * one value per day of the range, and the total. */
static void model(const char *metric, const char *dimension, const char *value,
                  const char *platform, double *values, double *total) {
  double users = 0, payers = 0, sessions_all = 0, revenue_all = 0;
  double per_day_users[TO_DAY - FROM_DAY] = {0};
  for (int p = 0; p <= PLAYERS + 1; p++) {
    int in_range = 0, paid = 0;
    for (int64_t d = FROM_DAY; d < TO_DAY; d++) {
      int a = active(p, d, dimension, value, 0), pay = active(p, d, dimension, value, 1);
      if (platform) a = a && active(p, d, "platform", platform, 0),
                    pay = pay && active(p, d, "platform", platform, 0);
      in_range |= a;
      paid |= pay;
    }
    users += in_range;
    payers += paid;
  }
  for (int64_t d = FROM_DAY; d < TO_DAY; d++) {
    size_t i = (size_t)(d - FROM_DAY);
    double dau = 0, pay = 0, wide = 0, fresh = 0, sessions = 0, revenue = 0;
    int64_t window = !strcmp(metric, "wau") ? 7 : !strcmp(metric, "mau") ? 30 : 1;
    for (int p = 0; p <= PLAYERS + 1; p++) {
      int on = 0, in_window = 0, paying = 0;
      for (int64_t w = d - window + 1; w <= d; w++) {
        int a = active(p, w, dimension, value, 0);
        if (platform) a = a && active(p, w, "platform", platform, 0);
        in_window |= a;
        if (w == d) on = a;
      }
      paying = active(p, d, dimension, value, 1) &&
               (!platform || active(p, d, "platform", platform, 0));
      dau += on;
      wide += in_window;
      pay += paying;
      const sent *first = first_user_event(p);
      fresh += first && first->day == d && !strcmp(value_of(first, dimension), value) &&
               (!platform || !strcmp(first->platform, platform));
    }
    for (size_t k = 0; k < nevents; k++) {
      const sent *e = &events[k];
      if (e->day != d || strcmp(value_of(e, dimension), value) ||
          (platform && strcmp(e->platform, platform)))
        continue;
      sessions += !strcmp(e->category, "user");
      revenue += e->amount;
    }
    per_day_users[i] = dau;
    sessions_all += sessions;
    revenue_all += revenue;
    double v = 0;
    if (!strcmp(metric, "dau")) v = dau;
    else if (!strcmp(metric, "wau") || !strcmp(metric, "mau")) v = wide;
    else if (!strcmp(metric, "paying_users")) v = pay;
    else if (!strcmp(metric, "conversion")) v = ratio(pay, dau);
    else if (!strcmp(metric, "new_users")) v = fresh;
    else if (!strcmp(metric, "sessions")) v = sessions;
    else if (!strcmp(metric, "sessions_per_user")) v = ratio(sessions, dau);
    else if (!strcmp(metric, "arppu")) v = ratio(revenue, pay);
    else if (!strcmp(metric, "arpdau")) v = ratio(revenue, dau);
    values[i] = v;
  }
  double dau_sum = 0;
  for (size_t i = 0; i < TO_DAY - FROM_DAY; i++) dau_sum += per_day_users[i];
  if (!strcmp(metric, "dau") || !strcmp(metric, "wau") || !strcmp(metric, "mau")) *total = users;
  else if (!strcmp(metric, "paying_users")) *total = payers;
  else if (!strcmp(metric, "conversion")) *total = ratio(payers, users);
  else if (!strcmp(metric, "sessions_per_user")) *total = ratio(sessions_all, users);
  else if (!strcmp(metric, "arppu")) *total = ratio(revenue_all, payers);
  else if (!strcmp(metric, "arpdau")) *total = ratio(revenue_all, dau_sum);
  else {
    *total = 0;
    for (size_t i = 0; i < TO_DAY - FROM_DAY; i++) *total += values[i];
  }
}

/* The values of dimension sent over the widened range (here: every day), sorted. */
static size_t values_seen(const char *dimension, const char *out[8]) {
  size_t n = 0;
  for (size_t i = 0; i < nevents; i++) {
    const char *v = value_of(&events[i], dimension);
    size_t j = 0;
    while (j < n && strcmp(out[j], v)) j++;
    if (j == n) {
      assert_true(n < 8);
      out[n++] = v;
    }
  }
  for (size_t i = 1; i < n; i++)
    for (size_t j = i; j > 0 && strcmp(out[j - 1], out[j]) > 0; j--) {
      const char *t = out[j];
      out[j] = out[j - 1];
      out[j - 1] = t;
    }
  return n;
}

/* ---- the store ---- */

typedef struct fixture {
  char dir[SQLITE_CASE_DIR];
  ps_stores s;
  ps_game game;
} fixture;

static ps_record records[MAX_EVENTS];

static void near(double got, double want, const char *what, const char *metric,
                 const char *group, const char *platform, long day) {
  if (got > want + 1e-9 || got < want - 1e-9)
    fail_msg("%s %s group \"%s\" platform %s day %ld: %.12g, the model %.12g", metric, what,
             group, platform ? platform : "-", day, got, want);
}

/* One series against the model: the total and each day's value. */
static void check_series(const ps_metric_series *s, const char *metric, const char *dimension,
                         const char *value, const char *platform) {
  double want[TO_DAY - FROM_DAY], total;
  model(metric, dimension, value, platform, want, &total);
  near(s->total, total, "total", metric, value, platform, -1);
  for (size_t d = 0; d < TO_DAY - FROM_DAY; d++)
    near(s->values[d], want[d], "value", metric, value, platform, (long)d);
}

static void check_grouped(fixture *f, const char *metric, const char *group_by,
                          const char *platform) {
  ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = metric, .game_id = f->game.id,
                       .from_ms = FROM_DAY * (int64_t)DAY_S * 1000,
                       .to_ms = TO_DAY * (int64_t)DAY_S * 1000, .interval_ms = DAY_S * 1000LL,
                       .group_by = group_by, .now_ms = (TO_DAY + 40) * (int64_t)DAY_S * 1000};
  if (platform) q.filters[q.nfilters++] = (ps_metric_filter){"platform", platform};
  ps_metric_result r;
  assert_int_equal(f->s.events->ops->metric(f->s.events, &q, &r), PS_OK);
  assert_int_equal(r.nbuckets, TO_DAY - FROM_DAY);
  const char *seen[8];
  size_t n = values_seen(group_by, seen);
  if (r.ngroups != n)
    fail_msg("%s group_by %s platform %s: %zu groups, the model %zu", metric, group_by,
             platform ? platform : "-", r.ngroups, n);
  for (size_t g = 0; g < n; g++) {
    assert_string_equal(r.groups[g].key, seen[g]);
    check_series(&r.groups[g], metric, group_by, seen[g], platform);
  }
  check_series(&r.whole, metric, NULL, "", platform);
  ps_metric_result_free(&r);
}

static void test_group_totals(void **state) {
  (void)state;
  fixture f = {0};
  sqlite_case_begin(f.dir, &f.s, &f.game, "group-totals", "group totals", 21);

  make_events();
  for (size_t i = 0; i < nevents; i++) {
    records[i] = events[i].r;
    records[i].game_id = f.game.id;
  }
  for (size_t i = 0; i < nevents; i += 100) {
    ps_record_span span = {&records[i], nevents - i < 100 ? nevents - i : 100};
    assert_int_equal(f.s.events->ops->append(f.s.events, &span, 1), PS_OK);
  }
  assert_int_equal(ps_ga_rollup_catch_up((sqlite_store *)f.s.events, f.game.id), PS_OK);

  static const char *const metrics[] = {"dau", "wau", "mau", "paying_users", "conversion",
                                        "new_users", "sessions", "sessions_per_user", "arpdau",
                                        "arppu"};
  for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++) {
    check_grouped(&f, metrics[m], "build", NULL);
    check_grouped(&f, metrics[m], "platform", NULL);
  }
  /* A group_by beside a filter: a segment, each group ANDed with it. */
  check_grouped(&f, "dau", "build", "ios");
  check_grouped(&f, "paying_users", "build", "android");
  check_grouped(&f, "mau", "platform", "ios");
  check_grouped(&f, "conversion", "build", "ios");

  sqlite_case_end(f.dir, &f.s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_group_totals),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
