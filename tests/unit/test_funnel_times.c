/* test_funnel_times.c: the segments of the SQLite funnels' rollup (store/sqlite/
 * ga_funnel_times.h) on their own, in an in-memory database with the schema: events of users
 * numbered across several chunks (0, 4095, 4096, 100000, ...) and of two keys, written in
 * several passes so that groups fill their last segment and go on in new ones, some events far
 * from their day (negative and large offsets), with combos; then every step read back feeds a
 * count that equals a model of the events written (each user's earliest event of step 1, then
 * the earliest of step 2 strictly later); a combo filter keeps only its events; a user's
 * forgetting removes exactly that user's events, and segments stay at most
 * PS_FUNNEL_TIMES_SEGMENT events. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/errors.h"
#include "store/funnel.h"
#include "store/sqlite/ga_funnel_times.h"
#include "xorshift.h"

#define GAME 7
#define DAY0 20000
#define NEVENTS 6000

typedef struct ev {
  uint32_t user;
  int key; /* 0: design A, 1: design B */
  int64_t day, t;
  int64_t combo;
} ev;

static ev evs[NEVENTS];
static const uint32_t users[] = {0, 1, 4095, 4096, 4097, 9000, 100000, 100001, 3, 8191};
#define NUSERS (sizeof users / sizeof *users)

static uint64_t rng = 88172645463325252ULL;
static uint64_t rnd(uint64_t n) {
  return xorshift64(&rng) % n;
}

static void exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
}

static uint32_t gone[2];
static size_t ngone; /* users forgotten so far */

static int is_gone(uint32_t user) {
  for (size_t i = 0; i < ngone; i++)
    if (gone[i] == user) return 1;
  return 0;
}

/* Users reaching step 1 and 2 of "design:A,design:B" over the events (combo filter: -1 none),
 * the forgotten users left out. */
static void model(int64_t combo, double out[2]) {
  out[0] = out[1] = 0;
  for (size_t u = 0; u < NUSERS; u++) {
    if (is_gone(users[u])) continue;
    int entered = 0;
    int64_t entry = 0;
    for (size_t i = 0; i < NEVENTS; i++)
      if (evs[i].user == users[u] && evs[i].key == 0 && (combo < 0 || evs[i].combo == combo) &&
          (!entered || evs[i].t < entry))
        entered = 1, entry = evs[i].t;
    if (!entered) continue;
    out[0]++;
    for (size_t i = 0; i < NEVENTS; i++)
      if (evs[i].user == users[u] && evs[i].key == 1 && (combo < 0 || evs[i].combo == combo) &&
          evs[i].t > entry) {
        out[1]++;
        break;
      }
  }
}

static void count(sqlite3 *db, int64_t combo, double out[2]) {
  ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = "funnel",
                       .steps = "design:A,design:B"};
  ps_funnel f;
  const char *problem;
  assert_int_equal(ps_funnel_parse(&q, &f, &problem), PS_OK);
  ps_funnel_count *c = ps_funnel_count_create(&f, (DAY0 - 2) * 86400LL, (DAY0 + 12) * 86400LL,
                                              DAY0 - 2, 14);
  assert_non_null(c);
  int32_t groups[8] = {-1, -1, -1, -1, -1, -1, -1, -1}; /* as ps_ga_combo_match's group */
  if (combo >= 0) groups[combo] = 0;
  for (size_t k = 0; k < 2; k++) {
    assert_int_equal(ps_funnel_times_read_step(db, GAME, &f, k, DAY0 - 2, DAY0 + 12,
                                               combo >= 0 ? groups : NULL, 8, c),
                     PS_OK);
    ps_funnel_count_step_end(c, k);
  }
  ps_metric_result r;
  assert_int_equal(ps_funnel_count_result(c, &r), PS_OK);
  out[0] = r.groups[0].total;
  out[1] = r.groups[1].total;
  ps_metric_result_free(&r);
  ps_funnel_count_destroy(c);
}

static void check(sqlite3 *db, const char *when) {
  for (int64_t combo = -1; combo <= 3; combo++) {
    double want[2], got[2];
    model(combo, want);
    count(db, combo, got);
    if (want[0] != got[0] || want[1] != got[1])
      fail_msg("%s, combo %lld: %g %g users, the model %g %g", when, (long long)combo, got[0],
               got[1], want[0], want[1]);
    if (combo < 0) assert_true(want[1] > 2);
  }
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT max(n), count(*), count(DISTINCT chunk),"
                                          " total(n) FROM ga_funnel_times", -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_true(sqlite3_column_int64(st, 0) <= PS_FUNNEL_TIMES_SEGMENT);
  assert_true(sqlite3_column_int64(st, 2) >= 4); /* users of chunks 0, 1, 2, 24 */
  int64_t kept = 0;
  for (size_t i = 0; i < NEVENTS; i++) kept += !is_gone(evs[i].user);
  assert_int_equal(sqlite3_column_int64(st, 3), kept);
  sqlite3_finalize(st);
}

static void test_segments(void **state) {
  (void)state;
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
  exec(db, ps_sqlite_funnel_times_schema);
  for (size_t i = 0; i < NEVENTS; i++) {
    ev *e = &evs[i];
    /* user 0 has half of the events, most on one day: its groups span several segments */
    e->user = rnd(2) == 0 ? 0 : users[rnd(NUSERS)];
    e->key = (int)rnd(2);
    e->day = DAY0 + (e->user == 0 && rnd(4) ? 0 : (int64_t)rnd(10));
    int64_t off = (int64_t)rnd(86400);
    if (rnd(50) == 0) off = -(int64_t)rnd(86400); /* a time before its day: zigzag */
    e->t = e->day * 86400 + off;
    e->combo = (int64_t)rnd(4);
  }
  /* three passes, as a rollup would write them */
  size_t cuts[] = {0, 1000, 3500, NEVENTS};
  for (size_t p = 0; p < 3; p++) {
    ps_funnel_times t = {0};
    for (size_t i = cuts[p]; i < cuts[p + 1]; i++)
      assert_int_equal(ps_funnel_times_add(&t, "design", evs[i].key ? "B" : "A", evs[i].day,
                                           evs[i].user, evs[i].t, evs[i].combo),
                       PS_OK);
    exec(db, "BEGIN");
    assert_int_equal(ps_funnel_times_write(db, GAME, &t), PS_OK);
    exec(db, "COMMIT");
    ps_funnel_times_destroy(&t);
  }
  check(db, "written");
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM ga_funnel_times WHERE key = 'A'"
                                          " AND chunk = 0 AND day = 20000", -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_true(sqlite3_column_int64(st, 0) >= 2); /* a group went on in a new segment */
  sqlite3_finalize(st);
  sqlite_store s;
  memset(&s, 0, sizeof s);
  s.shared = db;
  pthread_mutex_init(&s.shared_lock, NULL);
  gone[ngone++] = 4096;
  assert_int_equal(ps_sqlite_funnel_times_forget(&s, GAME, 4096), PS_OK);
  check(db, "user 4096 forgotten");
  assert_int_equal(ps_sqlite_funnel_times_forget(&s, GAME, 4096), PS_OK); /* idempotent */
  check(db, "user 4096 forgotten twice");
  gone[ngone++] = 0; /* the user of several segments per group: rows rewritten or dropped */
  assert_int_equal(ps_sqlite_funnel_times_forget(&s, GAME, 0), PS_OK);
  check(db, "user 0 forgotten too");
  pthread_mutex_destroy(&s.shared_lock);
  sqlite3_close(db);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_segments)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
