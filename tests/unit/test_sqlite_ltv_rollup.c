/* test_sqlite_ltv_rollup.c: the raw ltv figures of the SQLite event store (store/ltv.h), read
 * from the LTV rollup (store/sqlite/ga_ltv_rollup.h), against a model computed here from the
 * events sent and how many of them the rollups folded (passes fold in the order of arrival):
 * a user's cohort is the day of its folded `user` event with the earliest day (the first of
 * them folded on that day), with that event's dimensions; per cohort day c, day since install
 * k and currency, the sum of the folded business amounts of the cohort's users on day c + k.
 *
 * Seeded random players, in four groups:
 *  - plain: `user` events, then purchases (some on the day before their first day: counted
 *    nowhere);
 *  - buyers first: their purchases arrive (and are folded) before any of their `user` events;
 *  - late: a `user` event two days before their first day, on another platform and build,
 *    arrives after everything else was folded: the cohort moves, with its purchases (and
 *    those of the day before the old first day start to count);
 *  - the victim, a late player too, deleted at the end.
 * Every query (no filter, one, two, first_build, a value nobody has, an empty value, days 0,
 * 2 and 30, a range cut inside the cohorts) equals the model:
 *  - before any pass, after a partial pass, caught up; with the second part arriving and
 *    folded in two passes; with the late events; after the store is reopened;
 *  - after the victim, whose event is the newest, is deleted (the model without the victim),
 *    and the events after the deletion folded (the deleted ids are not given again);
 *  - after an upgrade from schema 12 (the rollup made again from the events);
 *  - after retention dropped every folded raw event (the rollup keeps the purchases), and then
 *    with one more late `user` event folded, which moves a cohort whose raw purchases are gone.
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
#include "store/ltv.h"
#include "store/sqlite/ga_rollup.h"
#include "store/sqlite/internal.h"
#include "store/store.h"
#include "sqlite_case.h"
#include "xorshift.h"

#define DAY_S 86400
#define FIRST_DAY 20500
#define DAYS 8 /* cohort days FIRST_DAY .. FIRST_DAY + DAYS - 1 (late events reach 2 before) */
#define PLAYERS 48
#define MAX_EVENTS 3000

static const char VICTIM[] = "ltv-victim-7c1e";
static const char *const currencies[] = {"USD", "EUR"};

typedef enum { PLAIN, BUYER_FIRST, LATE } player_kind;

typedef struct sent {
  char user[40];
  int is_user;  /* a `user` event, else business */
  int64_t day;  /* of client_ts */
  const char *platform, *build, *custom_01, *country;
  const char *currency;
  int amount;
  char body[512];
  ps_record r;
} sent;

static sent events[MAX_EVENTS];
static size_t nevents;
/* Arrival order: the events of each part, appended part after part. */
static size_t order[MAX_EVENTS], norder;
static size_t part_end[4]; /* norder at the end of each part: plain, second, late, last */

static uint64_t rng = 0xD1B54A32D192ED03ULL;
static uint64_t rnd(uint64_t n) {
  return xorshift64(&rng) % n;
}

static size_t add_event(const char *user, int is_user, int64_t day, const char *platform,
                        const char *build, const char *custom_01, const char *country) {
  assert_true(nevents < MAX_EVENTS);
  sent *e = &events[nevents];
  snprintf(e->user, sizeof e->user, "%s", user);
  e->is_user = is_user;
  e->day = day;
  e->platform = platform;
  e->build = build;
  e->custom_01 = custom_01;
  e->country = country;
  int64_t t = day * DAY_S + (int64_t)rnd(DAY_S);
  int len = snprintf(e->body, sizeof e->body,
                     "{\"v\":2,\"category\":\"%s\",\"user_id\":\"%s\",\"platform\":\"%s\","
                     "\"os_version\":\"%s 1\",\"session_id\":\"s-%s\",\"session_num\":1,"
                     "\"build\":\"%s\",\"custom_01\":\"%s\",\"sdk_version\":\"rest api v2\","
                     "\"client_ts\":%lld",
                     is_user ? "user" : "business", user, platform, platform, user, build,
                     custom_01, (long long)t);
  if (!is_user) {
    e->currency = currencies[rnd(2)];
    e->amount = 1 + (int)rnd(5) * 100;
    len += snprintf(e->body + len, sizeof e->body - (size_t)len,
                    ",\"event_id\":\"gems:pack\",\"amount\":%d,\"currency\":\"%s\","
                    "\"transaction_num\":1",
                    e->amount, e->currency);
  }
  snprintf(e->body + len, sizeof e->body - (size_t)len, "}");
  e->r = (ps_record){.kind = PS_RECORD_EVENT, .category = is_user ? "user" : "business",
                     .body = e->body, .body_len = strlen(e->body), .user_id = e->user,
                     .client_ts = t, .has_client_ts = 1, .received_ms = t * 1000 + 700,
                     .country = country};
  return nevents++;
}

/* Shuffles order[from, norder). */
static void shuffle(size_t from) {
  for (size_t i = norder; i > from + 1; i--) {
    size_t j = from + (size_t)rnd(i - from);
    size_t t = order[i - 1];
    order[i - 1] = order[j];
    order[j] = t;
  }
}

static void make_events(void) {
  static const char *const platforms[] = {"ios", "android"};
  static const char *const builds[] = {"1.0", "1.1"};
  static const char *const countries[] = {"DE", "US", "BR"};
  size_t second[MAX_EVENTS], nsecond = 0, late[PLAYERS + 1], nlate = 0;
  nevents = norder = 0;
  for (int p = 0; p <= PLAYERS; p++) {
    char user[40];
    player_kind kind = p == PLAYERS ? LATE : (player_kind)(p % 3);
    if (p == PLAYERS) snprintf(user, sizeof user, "%s", VICTIM);
    else snprintf(user, sizeof user, "player-%d", p);
    const char *platform = platforms[rnd(2)], *build = builds[rnd(2)];
    const char *custom = rnd(2) ? "a" : "b", *country = countries[rnd(3)];
    int64_t first = FIRST_DAY + 2 + (int64_t)rnd(DAYS - 2);
    size_t sessions = 1 + rnd(3), buys = 2 + rnd(6);
    for (size_t i = 0; i < sessions; i++) {
      size_t e = add_event(user, 1, first + (i ? (int64_t)rnd(4) : 0), platform, build, custom,
                           country);
      if (kind == BUYER_FIRST) second[nsecond++] = e;
      else order[norder++] = e;
    }
    for (size_t i = 0; i < buys; i++) {
      int64_t day = first - 1 + (int64_t)rnd(DAYS + 4); /* some the day before: nowhere */
      order[norder++] = add_event(user, 0, day, platform, build, custom, country);
    }
    if (kind == LATE)
      late[nlate++] = add_event(user, 1, first - 2, platform[0] == 'i' ? "android" : "ios",
                                build[2] == '0' ? "1.1" : "1.0", custom, country);
  }
  shuffle(0);
  part_end[0] = norder;
  for (size_t i = 0; i < nsecond; i++) order[norder++] = second[i];
  shuffle(part_end[0]);
  part_end[1] = norder;
  /* The victim's event last: its deletion takes the newest row, and the events after it must
   * still get ids past the mark (event_lifecycle.c, delete_events: SQLite would give them the
   * deleted ids, and the passes would never fold them). */
  for (size_t i = 0; i < nlate; i++) order[norder++] = late[i];
  part_end[2] = norder;
  /* The last part: a plain player's earlier `user` event, after retention dropped the rest. */
  for (size_t i = 0; i < nevents; i++)
    if (events[i].is_user && !strcmp(events[i].user, "player-0")) {
      const sent *e = &events[i];
      order[norder++] = add_event(e->user, 1, e->day - 3, e->platform, "2.0", e->custom_01,
                                  e->country);
      break;
    }
  part_end[3] = norder;
}

/* ---- the model ---- */

typedef struct ltv_case {
  const char *dim[2], *value[2]; /* filters (NULL: none) */
  int days;
  int64_t from_day, to_day; /* 0: the whole range */
} ltv_case;

static const char *dim_value(const sent *e, const char *dim) {
  if (!strcmp(dim, "platform")) return e->platform;
  if (!strcmp(dim, "build") || !strcmp(dim, "first_build")) return e->build;
  if (!strcmp(dim, "custom_01")) return e->custom_01;
  if (!strcmp(dim, "country")) return e->country;
  fail_msg("no dimension %s in the model", dim);
  return NULL;
}

/* The model's answer: per currency, bucket c * (days + 1) + k. folded: events of order[]
 * folded; without: a user left out. */
static void model_ltv(const ltv_case *c, size_t folded, const char *without,
                      double m[2][(DAYS + 2) * (PS_LTV_MAX_DAYS + 1)]) {
  size_t width = (size_t)c->days + 1;
  memset(m, 0, 2 * sizeof m[0]);
  for (size_t i = 0; i < folded; i++) {
    const sent *b = &events[order[i]];
    if (b->is_user || (without && !strcmp(b->user, without))) continue;
    /* the purchase's user: its first folded `user` event of the earliest day */
    const sent *first = NULL;
    for (size_t j = 0; j < folded; j++) {
      const sent *u = &events[order[j]];
      if (u->is_user && !strcmp(u->user, b->user) && (!first || u->day < first->day)) first = u;
    }
    if (!first) continue;
    int match = 1;
    for (int f = 0; f < 2 && c->dim[f]; f++)
      match &= *c->value[f] && !strcmp(dim_value(first, c->dim[f]), c->value[f]);
    int64_t cohort = first->day - c->from_day, k = b->day - first->day;
    if (!match || cohort < 0 || first->day >= c->to_day || k < 0 || k > c->days) continue;
    m[strcmp(b->currency, "USD") == 0][(size_t)cohort * width + (size_t)k] += b->amount;
  }
}

/* ---- the store ---- */

typedef struct fixture {
  char dir[SQLITE_CASE_DIR];
  ps_stores s;
  ps_game game;
  size_t nstored, nfolded; /* of order[] */
  const char *without;
} fixture;

static ps_record records[MAX_EVENTS];

static void append_to(fixture *f, size_t to) {
  for (size_t i = f->nstored; i < to; i++) {
    records[i] = events[order[i]].r;
    records[i].game_id = f->game.id;
  }
  for (size_t i = f->nstored; i < to; i += 50) {
    ps_record_span span = {&records[i], to - i < 50 ? to - i : 50};
    assert_int_equal(f->s.state->ops->apply(f->s.state, &span, 1, PS_RECORD_BIT(PS_RECORD_SO_EVENT)), PS_OK);
    assert_int_equal(f->s.events->ops->append(f->s.events, &span, 1), PS_OK);
  }
  f->nstored = to;
}

static void pass(fixture *f, size_t max) {
  size_t done = 0;
  assert_int_equal(ps_ga_rollup_pass((sqlite_store *)f->s.events, f->game.id, max, &done), PS_OK);
  assert_int_equal(done, f->nstored - f->nfolded < max ? f->nstored - f->nfolded : max);
  f->nfolded += done;
}

static void catch_up(fixture *f) {
  assert_int_equal(ps_ga_rollup_catch_up((sqlite_store *)f->s.events, f->game.id), PS_OK);
  f->nfolded = f->nstored;
}

static const ltv_case cases[] = {
    {{NULL}, {NULL}, 30, 0, 0},
    {{NULL}, {NULL}, 0, 0, 0},
    {{NULL}, {NULL}, 2, FIRST_DAY + 3, FIRST_DAY + 6},
    {{"platform"}, {"ios"}, 30, 0, 0},
    {{"country"}, {"BR"}, 3, 0, 0},
    {{"first_build"}, {"1.1"}, 30, 0, 0},
    {{"platform", "custom_01"}, {"android", "a"}, 30, 0, 0},
    {{"build", "country"}, {"1.0", "DE"}, 4, FIRST_DAY + 1, FIRST_DAY + 5},
    {{"platform"}, {"windows"}, 30, 0, 0},
    {{"custom_01"}, {""}, 30, 0, 0},
};
#define NCASES (sizeof cases / sizeof *cases)

static double m_buf[2][(DAYS + 2) * (PS_LTV_MAX_DAYS + 1)];

/* Every case equals the model; returns the sum of the first case's model (everything). */
static double check_all(fixture *f, const char *when) {
  double everything = 0;
  for (size_t ci = 0; ci < NCASES; ci++) {
    ltv_case c = cases[ci];
    if (!c.from_day) c.from_day = FIRST_DAY - 3, c.to_day = FIRST_DAY + DAYS + 1;
    ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = "ltv", .game_id = f->game.id,
                         .from_ms = c.from_day * DAY_S * 1000, .to_ms = c.to_day * DAY_S * 1000,
                         .interval_ms = 86400000, .days = c.days};
    for (int i = 0; i < 2 && c.dim[i]; i++)
      q.filters[q.nfilters++] = (ps_metric_filter){c.dim[i], c.value[i]};
    ps_metric_result r;
    assert_int_equal(f->s.events->ops->metric(f->s.events, &q, &r), PS_OK);
    model_ltv(&c, f->nfolded, f->without, m_buf);
    size_t width = (size_t)c.days + 1, n = (size_t)(c.to_day - c.from_day) * width;
    assert_int_equal(r.nbuckets, n);
    for (int cur = 0; cur < 2; cur++) {
      const ps_metric_series *g = NULL;
      for (size_t i = 0; i < r.ngroups; i++)
        if (!strcmp(r.groups[i].key, currencies[1 - cur])) g = &r.groups[i];
      for (size_t b = 0; b < n; b++) {
        double got = g ? g->values[b] : 0;
        if (got != m_buf[cur][b])
          fail_msg("%s: case %zu (%s=%s): %s cohort day %lld, k %zu: %g, the model %g", when,
                   ci, c.dim[0] ? c.dim[0] : "-", c.value[0] ? c.value[0] : "-",
                   currencies[1 - cur], (long long)(c.from_day + (int64_t)(b / width)),
                   b % width, got, m_buf[cur][b]);
        if (ci == 0) everything += m_buf[cur][b];
      }
    }
    for (size_t i = 0; i < r.ngroups; i++) /* no currency the model has not */
      assert_true(!strcmp(r.groups[i].key, "USD") || !strcmp(r.groups[i].key, "EUR"));
    ps_metric_result_free(&r);
  }
  return everything;
}

/* Makes the store a schema 12 one again: no LTV rollup (a separate connection). */
static void downgrade_to_12(fixture *f) {
  char path[128];
  snprintf(path, sizeof path, "%s/playstat.db", f->dir);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "DROP TABLE ga_ltv_spend; DROP TABLE ga_ltv_cohorts;"
                                " PRAGMA user_version = 12;",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
}

static void test_ltv_from_the_rollup(void **state) {
  (void)state;
  fixture f = {0};
  sqlite_case_begin(f.dir, &f.s, &f.game, "ltv-rollup", "ltv", 11);
  make_events();

  append_to(&f, part_end[0]);
  assert_true(check_all(&f, "no pass yet") == 0);
  pass(&f, part_end[0] / 3);
  check_all(&f, "a partial pass");
  catch_up(&f);
  double plain = check_all(&f, "the first part caught up");
  assert_true(plain > 0);
  append_to(&f, part_end[1]); /* the `user` events of the players who bought first */
  pass(&f, (part_end[1] - part_end[0]) / 2);
  check_all(&f, "half the buyers' user events");
  catch_up(&f);
  double bought_first = check_all(&f, "the buyers' user events");
  assert_true(bought_first > plain); /* their purchases count now */
  append_to(&f, part_end[2]); /* the late `user` events */
  catch_up(&f);
  double moved = check_all(&f, "the late user events");
  assert_true(moved > bought_first); /* the day before the old first day counts now */
  ps_stores_close(&f.s);
  sqlite_case_open(f.dir, &f.s);
  check_all(&f, "reopened");

  ps_forget_report report;
  assert_int_equal(f.s.events->ops->forget_player(f.s.events, f.game.id, VICTIM, &report), PS_OK);
  assert_true(report.events > 0);
  f.without = VICTIM;
  assert_true(check_all(&f, "the victim deleted") < moved);

  ps_stores_close(&f.s);
  downgrade_to_12(&f);
  sqlite_case_open(f.dir, &f.s);
  check_all(&f, "upgraded from schema 12");

  /* Retention drops every folded raw event (the table keeps none of the game's events), then
   * player-0's earlier `user` event arrives: it must get an id past the mark (the deleted ids
   * are not given again) and, folded, move its cohort although its raw purchases are gone. */
  int64_t dropped = 0;
  assert_int_equal(f.s.events->ops->drop_raw_before(f.s.events, PS_RAW_EVENTS,
                                                    (FIRST_DAY + DAYS + 20) * (int64_t)DAY_S * 1000,
                                                    &dropped),
                   PS_OK);
  assert_int_equal(dropped, (int64_t)f.nfolded - report.events);
  append_to(&f, part_end[3]);
  check_all(&f, "every folded raw event dropped by retention");
  catch_up(&f);
  check_all(&f, "a cohort moved after retention");

  sqlite_case_end(f.dir, &f.s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ltv_from_the_rollup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
