/* test_sqlite_funnel_rollup.c: per-user funnels of the SQLite event store read from the funnels'
 * rollup (store/sqlite/ga_funnel_times.h) and the raw events after its mark, against a model
 * computed here from the events sent (the definition of store/funnel.h, written again: entry at
 * the first step-1 event of the range, then for each step the earliest event strictly later
 * than the previous step's, within the window of the entry).
 *
 * Seeded random players (and one with the empty user id: such events have no digest, so no
 * funnel has ever counted them, and the model does not) do design,
 * progression, resource and business events over four days, often in the same second, some
 * without client_ts (their time is their arrival), on two platforms. Every funnel (kinds,
 * statuses, parts and '*' prefixes, repeated steps, windows, a platform filter, an empty filter
 * value, a range cut inside days) equals the model, step by step and day by day:
 *  - before any rollup pass (every event after the mark),
 *  - after a partial pass, then with more events appended (rollup and raw tail together),
 *  - caught up (the rollup alone), and after the store is reopened;
 *  - after a player is deleted (the model without the player's events);
 *  - after retention dropped every raw event (the rollup keeps its figures, as every rollup of
 *    this store does: the model is unchanged).
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
#define DAYS 4
#define PLAYERS 60
#define MAX_EVENTS 4000

static const char VICTIM[] = "funnel-victim-3b9d";

/* ---- what players do ---- */

typedef struct action {
  const char *category, *id; /* event_id as sent (progression: Status:level) */
} action;

static const action actions[] = {
    {"design", "Shop:Open"},          {"design", "Shop:Close"},
    {"design", "ShopKeeper:Talk"},    {"design", "Combat:Kill:Sword"},
    {"progression", "Start:W1:L1"},   {"progression", "Complete:W1:L1"},
    {"progression", "Fail:W1:L10"},   {"progression", "Complete:W1:L10:Boss"},
    {"progression", "Complete:W1:L10"}, {"resource", "Source:Gold:Reward:Quest"},
    {"resource", "Sink:Gold:Shop:Sword"}, {"business", "gems_pack:gems_100"},
    {"business", "starter:bundle"},
};
#define NACTIONS (sizeof actions / sizeof *actions)

typedef struct sent {
  char user[40];
  const action *a;
  int64_t t;             /* the event's time: client_ts, or arrival when it has none */
  int has_client_ts;
  const char *platform;
  char body[512];
  ps_record r;
} sent;

static sent events[MAX_EVENTS];
static size_t nevents, nstored; /* made, and stored so far (the first nstored) */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(uint64_t n) {
  return xorshift64(&rng) % n;
}

static void make_events(void) {
  nevents = 0;
  for (int p = 0; p <= PLAYERS + 1 && nevents < MAX_EVENTS - 40; p++) {
    char user[40];
    if (p == PLAYERS) snprintf(user, sizeof user, "%s", VICTIM);
    else if (p == PLAYERS + 1) user[0] = '\0'; /* the empty id */
    else snprintf(user, sizeof user, "player-%d", p);
    const char *platform = rnd(2) ? "ios" : "android";
    int64_t t = (int64_t)(FIRST_DAY + rnd(DAYS)) * DAY_S + (int64_t)rnd(DAY_S);
    size_t n = 4 + rnd(30);
    for (size_t i = 0; i < n; i++) {
      uint64_t gap = rnd(10);
      t += gap < 3 ? 0 : gap < 7 ? (int64_t)rnd(300) : (int64_t)rnd(4 * 3600);
      sent *e = &events[nevents++];
      snprintf(e->user, sizeof e->user, "%s", user);
      e->a = &actions[rnd(NACTIONS)];
      e->t = t;
      e->has_client_ts = rnd(8) != 0;
      e->platform = platform;
      int len = snprintf(e->body, sizeof e->body,
                         "{\"v\":2,\"category\":\"%s\",\"user_id\":\"%s\",\"platform\":\"%s\","
                         "\"os_version\":\"%s 1\",\"session_id\":\"s-%d\",\"session_num\":1,"
                         "\"build\":\"1.0\",\"sdk_version\":\"rest api v2\",\"event_id\":\"%s\"",
                         e->a->category, user, platform, platform, p, e->a->id);
      if (e->has_client_ts) len += snprintf(e->body + len, sizeof e->body - (size_t)len,
                                            ",\"client_ts\":%lld", (long long)t);
      if (!strcmp(e->a->category, "business"))
        len += snprintf(e->body + len, sizeof e->body - (size_t)len,
                        ",\"amount\":99,\"currency\":\"USD\",\"transaction_num\":1");
      if (!strcmp(e->a->category, "resource"))
        len += snprintf(e->body + len, sizeof e->body - (size_t)len, ",\"amount\":5");
      snprintf(e->body + len, sizeof e->body - (size_t)len, "}");
      /* Without client_ts the event's time is its arrival (in whole seconds, as stored). */
      e->r = (ps_record){.kind = PS_RECORD_EVENT, .game_id = 0, .category = e->a->category,
                         .body = e->body, .body_len = strlen(e->body), .user_id = e->user,
                         .client_ts = t, .has_client_ts = e->has_client_ts,
                         .received_ms = t * 1000 + (e->has_client_ts ? 5000 + (int64_t)rnd(900) : 0)};
    }
  }
}

/* ---- the model ---- */

typedef struct step {
  const char *category, *status, *id; /* status: progression only */
  int prefix;
} step;

typedef struct funnel_case {
  const char *steps; /* as the API takes it */
  step parsed[4];
  size_t nsteps;
  int64_t window_s;
  const char *platform; /* NULL: no filter */
  int64_t from_s, to_s;
} funnel_case;

static int covers(const step *s, const sent *e) {
  if (strcmp(s->category, e->a->category) != 0) return 0;
  const char *id = e->a->id;
  if (s->status) {
    size_t n = strlen(s->status);
    if (strncmp(id, s->status, n) != 0 || id[n] != ':') return 0;
    id += n + 1;
  }
  size_t n = strlen(s->id);
  if (strncmp(id, s->id, n) != 0) return 0;
  return s->prefix || id[n] == '\0' || id[n] == ':';
}

typedef struct model {
  double reached[4];
  double by_day[4][DAYS + 2];
} model;

static void model_funnel(const funnel_case *c, const char *without, model *m) {
  memset(m, 0, sizeof *m);
  int64_t from_day = c->from_s / DAY_S;
  for (size_t u = 0; u < nstored; u++) {
    /* each user once: at their first event */
    int first = 1;
    for (size_t j = 0; j < u && first; j++) first = strcmp(events[j].user, events[u].user) != 0;
    if (!first || !events[u].user[0] || (without && !strcmp(events[u].user, without))) continue;
    const char *user = events[u].user;
    int entered = 0;
    int64_t entry = 0, last = 0;
    size_t depth = 0;
    for (size_t k = 0; k < c->nsteps; k++) {
      int found = 0;
      int64_t best = 0;
      for (size_t i = 0; i < nstored; i++) {
        const sent *e = &events[i];
        if (strcmp(e->user, user) || e->t < c->from_s || e->t >= c->to_s) continue;
        if (c->platform && strcmp(e->platform, c->platform)) continue;
        if (!covers(&c->parsed[k], e)) continue;
        if (k && (e->t <= last || (c->window_s && e->t - entry > c->window_s))) continue;
        if (!found || e->t < best) best = e->t, found = 1;
      }
      if (!found) break;
      if (!k) entered = 1, entry = best;
      last = best;
      depth = k + 1;
    }
    if (!entered) continue;
    for (size_t k = 0; k < depth; k++) {
      m->reached[k] += 1;
      m->by_day[k][entry / DAY_S - from_day] += 1;
    }
  }
}

/* ---- the store ---- */

typedef struct fixture {
  char dir[SQLITE_CASE_DIR];
  ps_stores s;
  ps_game game;
} fixture;

static ps_record records[MAX_EVENTS]; /* a span's records are contiguous */

static void append(fixture *f, size_t from, size_t to) {
  for (size_t i = from; i < to; i++) {
    records[i] = events[i].r;
    records[i].game_id = f->game.id;
  }
  for (size_t i = from; i < to; i += 100) {
    ps_record_span span = {&records[i], to - i < 100 ? to - i : 100};
    assert_int_equal(f->s.state->ops->apply(f->s.state, &span, 1, PS_RECORD_BIT(PS_RECORD_SO_EVENT)), PS_OK);
    assert_int_equal(f->s.events->ops->append(f->s.events, &span, 1), PS_OK);
  }
  nstored = to;
}

static const funnel_case cases[] = {
    {"progression:W1:L1,design:Shop:Open,business:gems_pack", {{"progression", "Complete", "W1:L1", 0}, {"design", NULL, "Shop:Open", 0}, {"business", NULL, "gems_pack", 0}}, 3, 0, NULL, 0, 0},
    {"progression:W1:L1,design:Shop:Open,business:gems_pack", {{"progression", "Complete", "W1:L1", 0}, {"design", NULL, "Shop:Open", 0}, {"business", NULL, "gems_pack", 0}}, 3, 3600, NULL, 0, 0},
    {"design:Shop*,progression:W1:L10,resource:Sink", {{"design", NULL, "Shop", 1}, {"progression", "Complete", "W1:L10", 0}, {"resource", NULL, "Sink", 0}}, 3, 7200, NULL, 0, 0},
    {"design:Shop,design:Shop,design:Shop", {{"design", NULL, "Shop", 0}, {"design", NULL, "Shop", 0}, {"design", NULL, "Shop", 0}}, 3, 600, NULL, 0, 0},
    {"progression:Start:W1,progression:Fail:W1:L10,business:*", {{"progression", "Start", "W1", 0}, {"progression", "Fail", "W1:L10", 0}, {"business", NULL, "", 1}}, 3, 0, NULL, 0, 0},
    {"design:Shop:Open,resource:Source,progression:W1", {{"design", NULL, "Shop:Open", 0}, {"resource", NULL, "Source", 0}, {"progression", "Complete", "W1", 0}}, 3, 0, "ios", 0, 0},
    {"design:Combat,business:starter:bundle", {{"design", NULL, "Combat", 0}, {"business", NULL, "starter:bundle", 0}}, 2, 5000, "android", 0, 0},
    {"design:Shop:Open,resource:Source", {{"design", NULL, "Shop:Open", 0}, {"resource", NULL, "Source", 0}}, 2, 0, "", 0, 0},
    /* a range cut inside days */
    {"progression:W1:L1,design:Shop:Open,business:gems_pack", {{"progression", "Complete", "W1:L1", 0}, {"design", NULL, "Shop:Open", 0}, {"business", NULL, "gems_pack", 0}}, 3, 3600, NULL, (FIRST_DAY + 1) * (int64_t)DAY_S + 30000, (FIRST_DAY + 3) * (int64_t)DAY_S + 4000},
};
#define NCASES (sizeof cases / sizeof *cases)

/* Every case equals the model (events of `without` left out of it). */
static void check_all(fixture *f, const char *without, const char *when) {
  for (size_t ci = 0; ci < NCASES; ci++) {
    funnel_case c = cases[ci];
    if (!c.from_s) c.from_s = FIRST_DAY * (int64_t)DAY_S, c.to_s = (FIRST_DAY + DAYS + 1) * (int64_t)DAY_S;
    ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = "funnel", .game_id = f->game.id,
                         .from_ms = c.from_s * 1000, .to_ms = c.to_s * 1000,
                         .interval_ms = 86400000, .steps = c.steps, .window_s = c.window_s};
    if (c.platform) q.filters[q.nfilters++] = (ps_metric_filter){"platform", c.platform};
    ps_metric_result r;
    assert_int_equal(f->s.events->ops->metric(f->s.events, &q, &r), PS_OK);
    model m;
    model_funnel(&c, without, &m);
    assert_int_equal(r.ngroups, c.nsteps);
    size_t ndays = (size_t)((c.to_s + DAY_S - 1) / DAY_S - c.from_s / DAY_S);
    assert_int_equal(r.nbuckets, ndays);
    for (size_t k = 0; k < c.nsteps; k++) {
      if (r.groups[k].total != m.reached[k])
        fail_msg("%s: %s window %lld platform %s: step %zu: %g users, the model %g", when, c.steps,
                 (long long)c.window_s, c.platform ? c.platform : "-", k + 1, r.groups[k].total,
                 m.reached[k]);
      for (size_t d = 0; d < ndays; d++)
        if (r.groups[k].values[d] != m.by_day[k][d])
          fail_msg("%s: %s: step %zu day %zu: %g, the model %g", when, c.steps, k + 1, d,
                   r.groups[k].values[d], m.by_day[k][d]);
    }
    if (!c.platform && !without) assert_true(m.reached[0] > 5); /* the data converts some */
    ps_metric_result_free(&r);
  }
}

/* The funnels' rollup rows of the store (a separate read-only look at the file). */
static long long rollup_events(fixture *f) {
  char path[128];
  snprintf(path, sizeof path, "%s/playstat.db", f->dir);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  long long n = -1;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
      sqlite3_prepare_v2(db, "SELECT total(n) FROM ga_funnel_times", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return n;
}

static void test_funnels_from_the_rollup(void **state) {
  (void)state;
  fixture f = {0};
  sqlite_case_begin(f.dir, &f.s, &f.game, "funnel-rollup", "funnels", 1);
  make_events();
  size_t half = nevents / 2;
  sqlite_store *store = (sqlite_store *)f.s.events;

  append(&f, 0, half);
  check_all(&f, NULL, "no pass yet");
  assert_int_equal(rollup_events(&f), 0);
  size_t done = 0;
  assert_int_equal(ps_ga_rollup_pass(store, f.game.id, half / 3, &done), PS_OK);
  assert_int_equal(done, half / 3);
  check_all(&f, NULL, "a partial pass");
  append(&f, half, nevents);
  check_all(&f, NULL, "a partial pass, more events");
  assert_int_equal(ps_ga_rollup_catch_up(store, f.game.id), PS_OK);
  /* Every event here is of a funnel kind, and every one with a user id is in the rollup. */
  long long with_user = 0;
  for (size_t i = 0; i < nevents; i++) with_user += events[i].user[0] != '\0';
  assert_int_equal(rollup_events(&f), with_user);
  check_all(&f, NULL, "caught up");
  ps_stores_close(&f.s);
  sqlite_case_open(f.dir, &f.s);
  check_all(&f, NULL, "reopened");

  ps_forget_report report;
  assert_int_equal(f.s.events->ops->forget_player(f.s.events, f.game.id, VICTIM, &report), PS_OK);
  assert_true(report.events > 0);
  check_all(&f, VICTIM, "the player deleted");

  int64_t dropped = 0;
  assert_int_equal(f.s.events->ops->drop_raw_before(f.s.events, PS_RAW_EVENTS,
                                                    (FIRST_DAY + DAYS + 2) * (int64_t)DAY_S * 1000,
                                                    &dropped),
                   PS_OK);
  assert_int_equal(dropped, (int64_t)nevents - report.events);
  check_all(&f, VICTIM, "every raw event dropped by retention");

  sqlite_case_end(f.dir, &f.s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_funnels_from_the_rollup),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
