/* test_session_query.c: the rollups of ccu and concurrent_ugc (store/sqlite/rollup.h) change no
 * answer of the insights queries (store/sqlite/session_query.h). Random sessions (fixed seed) over
 * three days are written to a real SQLite store: ended, abandoned (timed out) and still
 * running ones, across platforms and portals. Every peak query (minute, hour and day buckets;
 * no filter, each filter, both filters, group_by either way) is answered before any rollup,
 * then the rollups advance in two steps, and every answer must be exactly the same, while
 * the rollup rows must hold what the queries computed. Also the horizon arithmetic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/rollup.h"
#include "store/sqlite/session_query.h"
#include "store/store.h"

#define SESSIONS 1500
#define MIN 60000LL
#define DAY (1440 * MIN)
#define TIMEOUT (5 * MIN)
#define WINDOW (15 * MIN)

static const int64_t NOW = 20000 * DAY + 13 * 60 * MIN + 17 * MIN + 4321; /* not on a boundary */
static const int64_t FROM = 19997 * DAY, TO = 20001 * DAY;
static const char *const platforms[] = {"windows", "ps5", "switch"};
static const char *const portals[] = {"steam", "epicgames", "none"};

static char dir[] = "/tmp/playstat-query-XXXXXX";
static ps_stores stores;
static sqlite_store *store; /* the event store of stores: the SQLite backend */
static int64_t game_id;

static uint64_t rng = 7;
static int64_t rnd(int64_t n) {
  rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (int64_t)((rng >> 33) % (uint64_t)n);
}

typedef struct session_text {
  char id[16], player[16], nonce[2][16], mods[32];
  ps_msession_record rec[2];
  ps_record records[2];
} session_text;

static void write_sessions(void) {
  static session_text t[SESSIONS];
  static ps_record_span spans[2 * SESSIONS];
  size_t nspans = 0;
  for (int i = 0; i < SESSIONS; i++) {
    snprintf(t[i].id, sizeof t[i].id, "s%d", i);
    snprintf(t[i].player, sizeof t[i].player, "p%d", (int)rnd(300));
    snprintf(t[i].nonce[0], sizeof t[i].nonce[0], "a%d", i);
    snprintf(t[i].nonce[1], sizeof t[i].nonce[1], "b%d", i);
    snprintf(t[i].mods, sizeof t[i].mods, rnd(4) ? "%d,%d" : "", (int)rnd(20), 20 + (int)rnd(20));
    const char *platform = platforms[rnd(3)], *portal = portals[rnd(3)];
    int kind = (int)rnd(10); /* 0: still running, 1-2: abandoned, else ended */
    int64_t start = kind == 0 ? NOW - rnd(120 * MIN) : FROM + rnd(NOW - FROM - 10 * MIN);
    int64_t last = start + 1000 + rnd(kind == 0 ? NOW - start : 180 * MIN);
    if (rnd(50) == 0) last = start + rnd(3) * 30000; /* short sessions, some of zero length */
    int64_t last_received = kind == 0 ? NOW - rnd(TIMEOUT - 1000) : last;
    t[i].rec[0] = (ps_msession_record){PS_MSESSION_REC_START, t[i].id, t[i].player,
                                       t[i].nonce[0], platform, portal, t[i].mods, start, 1};
    t[i].rec[1] = (ps_msession_record){kind <= 2 ? PS_MSESSION_REC_HEARTBEAT : PS_MSESSION_REC_END,
                                       t[i].id, t[i].player, t[i].nonce[1], platform, portal,
                                       NULL, last, 2};
    for (int k = 0; k < 2; k++) {
      t[i].records[k] = (ps_record){.kind = PS_RECORD_MSESSION, .game_id = game_id,
                                    .received_ms = k ? last_received : start,
                                    .msession = &t[i].rec[k]};
      spans[nspans++] = (ps_record_span){&t[i].records[k], 1};
    }
  }
  /* As the ingest writer (ingest/queue.c): append, then the sessions' nonces. */
  assert_int_equal(stores.events->ops->append(stores.events, spans, nspans), PS_OK);
  assert_int_equal(stores.state->ops->apply(stores.state, spans, nspans,
                                            PS_RECORD_BIT(PS_RECORD_MSESSION)),
                   PS_OK);
}

static int setup(void **state) {
  (void)state;
  assert_non_null(mkdtemp(dir));
  ps_store_options o = {0};
  const char *why = NULL;
  char url[64];
  snprintf(url, sizeof url, "sqlite:%s", dir);
  assert_int_equal(ps_stores_open(url, &o, &stores, &why), PS_OK);
  store = (sqlite_store *)stores.events;
  ps_game g = {0};
  snprintf(g.name, sizeof g.name, "rollups");
  snprintf(g.project_id, sizeof g.project_id, "00000000-0000-4000-8000-000000000001");
  snprintf(g.game_key, sizeof g.game_key, "%032d", 1);
  snprintf(g.secret_key, sizeof g.secret_key, "%040d", 1);
  snprintf(g.metrics_key, sizeof g.metrics_key, "00000000-0000-4000-8000-000000000002");
  snprintf(g.token_secret, sizeof g.token_secret, "%064d", 1);
  assert_int_equal(stores.state->ops->game_create(stores.state, &g), PS_OK);
  game_id = g.id;
  write_sessions();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  ps_stores_close(&stores);
  store = NULL;
  char cmd[64];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

/* ---- the query matrix ---- */

#define NQUERIES (2 * 3 * 4 * 3)
static ps_session_query queries[NQUERIES];
static ps_metric_result before[NQUERIES];

static void build_queries(void) {
  static const char *const metrics[] = {"ccu", "concurrent_ugc"};
  static const int64_t intervals[] = {MIN, 60 * MIN, DAY};
  size_t n = 0;
  for (int m = 0; m < 2; m++)
    for (int i = 0; i < 3; i++)
      for (int f = 0; f < 4; f++)     /* filters: none, platform, portal, both */
        for (int g = 0; g < 3; g++) { /* group_by: none, platform, portal */
          ps_session_query *q = &queries[n++];
          *q = (ps_session_query){.metric = metrics[m], .from_ms = FROM, .to_ms = TO,
                                  .interval_ms = intervals[i],
                                  .platform = f & 1 ? "ps5" : NULL,
                                  .portal = f & 2 ? "steam" : NULL, .group_by = g != 0,
                                  .group_by_portal = g == 2};
          if (intervals[i] == MIN) q->from_ms = NOW - 2 * DAY; /* keep minute answers small */
          q->from_ms -= q->from_ms % q->interval_ms;
        }
}

static void assert_same(const ps_metric_result *a, const ps_metric_result *b, size_t qi) {
  char what[64];
  snprintf(what, sizeof what, "query %zu", qi);
  assert_int_equal(a->nbuckets, b->nbuckets);
  assert_int_equal(a->ngroups, b->ngroups);
  for (size_t i = 0; i < a->nbuckets; i++)
    if (a->whole.values[i] != b->whole.values[i])
      fail_msg("%s bucket %zu: %g before rollups, %g after", what, i, a->whole.values[i],
               b->whole.values[i]);
  assert_true(a->whole.total == b->whole.total);
  for (size_t g = 0; g < a->ngroups; g++) {
    assert_string_equal(a->groups[g].key, b->groups[g].key);
    assert_true(a->groups[g].total == b->groups[g].total);
    for (size_t i = 0; i < a->nbuckets; i++)
      if (a->groups[g].values[i] != b->groups[g].values[i])
        fail_msg("%s group %s bucket %zu: %g before rollups, %g after", what, a->groups[g].key,
                 i, a->groups[g].values[i], b->groups[g].values[i]);
  }
}

static int row_count(const ps_rollup_row *row, void *ctx) {
  (void)row;
  (*(size_t *)ctx)++;
  return 0;
}

typedef struct minute_check {
  const ps_metric_result *ccu, *ugc; /* per minute, from FROM */
  size_t checked;
} minute_check;

static int check_row(const ps_rollup_row *row, void *ctx) {
  minute_check *c = ctx;
  size_t b = (size_t)((row->minute_ms - c->ccu->from_ms) / MIN);
  if (b >= c->ccu->nbuckets) return 0;
  assert_true((double)row->ccu == c->ccu->whole.values[b]);
  assert_true((double)row->ugc == c->ugc->whole.values[b]);
  c->checked++;
  return 0;
}

static void rollups_change_no_answer(void **state) {
  (void)state;
  build_queries();
  int64_t settled;
  assert_int_equal(ps_sqlite_rollup_settled(store, game_id, &settled), PS_ENOTFOUND);
  for (size_t i = 0; i < NQUERIES; i++)
    assert_int_equal(ps_session_query_run(store, game_id, &queries[i], NOW, TIMEOUT, &before[i]),
                     PS_OK);
  assert_true(before[0].whole.total > 10); /* the data is not trivial */

  /* Two steps: a day behind, then up to the horizon. */
  int64_t horizon = ps_rollup_horizon(NOW, WINDOW, TIMEOUT);
  assert_int_equal(ps_rollup_advance(store, game_id, horizon - DAY, NOW - DAY, TIMEOUT), PS_OK);
  assert_int_equal(ps_rollup_advance(store, game_id, horizon, NOW, TIMEOUT), PS_OK);
  assert_int_equal(ps_sqlite_rollup_settled(store, game_id, &settled), PS_OK);
  assert_true(settled == horizon);
  size_t rows = 0;
  assert_int_equal(ps_sqlite_rollup_scan(store, game_id, PS_ROLLUP_ANY, PS_ROLLUP_ANY, 0,
                                         INT64_MAX, row_count, &rows),
                   PS_OK);
  assert_true(rows > 1000);

  for (size_t i = 0; i < NQUERIES; i++) {
    ps_metric_result after;
    assert_int_equal(ps_session_query_run(store, game_id, &queries[i], NOW, TIMEOUT, &after),
                     PS_OK);
    assert_same(&before[i], &after, i);
    ps_metric_result_free(&after);
  }

  /* The rows hold the figures computed from sessions (queries 0 and 36: ccu and
   * concurrent_ugc per minute, no filter, no group). */
  minute_check c = {&before[0], &before[NQUERIES / 2], 0};
  assert_string_equal(queries[NQUERIES / 2].metric, "concurrent_ugc");
  assert_int_equal(ps_sqlite_rollup_scan(store, game_id, PS_ROLLUP_ANY, PS_ROLLUP_ANY,
                                         before[0].from_ms, horizon, check_row, &c),
                   PS_OK);
  assert_true(c.checked > 1000);
  for (size_t i = 0; i < NQUERIES; i++) ps_metric_result_free(&before[i]);
}

static void horizon_is_a_settled_minute(void **state) {
  (void)state;
  int64_t h = ps_rollup_horizon(NOW, WINDOW, TIMEOUT);
  assert_true(h % MIN == 0);
  assert_true(h <= NOW - WINDOW - TIMEOUT - PS_ROLLUP_MARGIN_MS);
  assert_true(h > NOW - WINDOW - TIMEOUT - PS_ROLLUP_MARGIN_MS - MIN);
}

static void bad_queries_are_refused(void **state) {
  (void)state;
  ps_metric_result r;
  ps_session_query q = {.metric = "ccu", .from_ms = FROM, .to_ms = TO, .interval_ms = 1000};
  assert_int_equal(ps_session_query_run(store, game_id, &q, NOW, TIMEOUT, &r), PS_EINVAL);
  q.interval_ms = 60 * MIN;
  q.metric = "nope";
  assert_int_equal(ps_session_query_run(store, game_id, &q, NOW, TIMEOUT, &r), PS_EINVAL);
  q.metric = "top_mods";
  q.group_by = 1;
  assert_int_equal(ps_session_query_run(store, game_id, &q, NOW, TIMEOUT, &r), PS_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rollups_change_no_answer),
      cmocka_unit_test(horizon_is_a_settled_minute),
      cmocka_unit_test(bad_queries_are_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
