/* test_session_query.c: the rollups (store/sqlite/rollup.h: per-minute peaks; store/sqlite/
 * playtime_rollup.h: hourly and daily rows of every playtime metric) change no answer of the
 * insights queries (store/sqlite/session_query.h). Random sessions (fixed seed) over three days
 * are written to a real SQLite store: ended, abandoned (timed out) and still running ones,
 * short and zero-length ones, across platforms and portals. Every query of every playtime
 * metric (minute, hour and day buckets; no filter, each filter, both filters, group_by either
 * way) must equal, bit for bit, the reference computed here from every session with
 * session_metrics.h: before any rollup, with the horizon in the middle of the range, a day
 * behind now's and at now's; the minute rows must hold what the reference computed. Also the
 * horizon arithmetic. */
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
#include "store/sqlite/internal.h"
#include "store/sqlite/rollup.h"
#include "store/sqlite/session_query.h"
#include "store/sqlite/session_set.h"
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
  assert_int_equal(ps_stores_open(url, NULL, &o, &stores, &why), PS_OK);
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

static const char *const metrics[] = {"ccu", "concurrent_ugc", "total_players", "sessions",
                                      "avg_playtime", "avg_ugc_per_session",
                                      "session_length_histogram", "top_mods"};
#define NMETRICS (sizeof metrics / sizeof *metrics)
#define MAXQUERIES (NMETRICS * 3 * 4 * 3)
static ps_session_query queries[MAXQUERIES];
static size_t nqueries;

static void build_queries(void) {
  static const int64_t intervals[] = {MIN, 60 * MIN, DAY};
  size_t n = 0;
  for (size_t m = 0; m < NMETRICS; m++)
    for (int i = 0; i < 3; i++)
      for (int f = 0; f < 4; f++)     /* filters: none, platform, portal, both */
        for (int g = 0; g < 3; g++) { /* group_by: none, platform, portal */
          if (g && ps_session_metric_has_groups(metrics[m])) continue;
          ps_session_query *q = &queries[n++];
          *q = (ps_session_query){.metric = metrics[m], .from_ms = FROM, .to_ms = TO,
                                  .interval_ms = intervals[i],
                                  .platform = f & 1 ? "ps5" : NULL,
                                  .portal = f & 2 ? "steam" : NULL, .group_by = g != 0,
                                  .group_by_portal = g == 2};
          if (intervals[i] == MIN) q->from_ms = NOW - 2 * DAY; /* keep minute answers small */
          q->from_ms -= q->from_ms % q->interval_ms;
        }
  nqueries = n;
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}

/* The reference: session_metrics.h over every session of the range (session_set.h), one
 * computation per group value for group_by, groups in key order. */
static void reference(const ps_session_query *q, ps_metric_result *out) {
  ps_session_set set;
  assert_int_equal(ps_session_set_load(store, game_id, q->from_ms, q->to_ms, NOW, TIMEOUT,
                                       q->platform, q->portal, &set),
                   PS_OK);
  assert_int_equal(ps_session_metric_compute(q->metric, set.items, set.n, q->from_ms, q->to_ms,
                                             q->interval_ms, out),
                   PS_OK);
  for (size_t i = 0; q->group_by && i < set.n; i++) {
    const char *key = q->group_by_portal ? set.portal[i] : set.platform[i];
    int seen = 0;
    for (size_t g = 0; g < out->ngroups && !seen; g++) seen = strcmp(out->groups[g].key, key) == 0;
    if (seen) continue;
    size_t n;
    ps_session_interval *subset = ps_session_set_subset(&set, q->group_by_portal ? NULL : key,
                                                        q->group_by_portal ? key : NULL, &n);
    assert_non_null(subset);
    ps_metric_result part;
    assert_int_equal(ps_session_metric_compute(q->metric, subset, n, q->from_ms, q->to_ms,
                                               q->interval_ms, &part),
                     PS_OK);
    ps_metric_series *g = ps_metric_result_group(out, key);
    assert_non_null(g);
    memcpy(g->values, part.whole.values, out->nbuckets * sizeof *g->values);
    g->total = part.whole.total;
    ps_metric_result_free(&part);
    free(subset);
  }
  if (q->group_by && out->ngroups > 1) qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
  ps_session_set_free(&set);
}

static void describe(const ps_session_query *q, const char *phase, char *what, size_t cap) {
  snprintf(what, cap, "%s: %s every %lld min, platform %s, portal %s, group_by %s", phase,
           q->metric, (long long)(q->interval_ms / MIN), q->platform ? q->platform : "-",
           q->portal ? q->portal : "-", q->group_by ? (q->group_by_portal ? "portal" : "platform") : "-");
}

/* Figures must be equal, bit for bit. */
static void assert_same(const ps_metric_result *want, const ps_metric_result *got,
                        const char *what) {
  assert_int_equal(want->nbuckets, got->nbuckets);
  if (want->ngroups != got->ngroups)
    fail_msg("%s: %zu groups, want %zu", what, got->ngroups, want->ngroups);
  for (size_t i = 0; i < want->nbuckets; i++)
    if (want->whole.values[i] != got->whole.values[i])
      fail_msg("%s: bucket %zu: %.17g, want %.17g", what, i, got->whole.values[i],
               want->whole.values[i]);
  if (want->whole.total != got->whole.total)
    fail_msg("%s: total %.17g, want %.17g", what, got->whole.total, want->whole.total);
  for (size_t g = 0; g < want->ngroups; g++) {
    if (strcmp(want->groups[g].key, got->groups[g].key) != 0)
      fail_msg("%s: group %zu is %s, want %s", what, g, got->groups[g].key, want->groups[g].key);
    if (want->groups[g].total != got->groups[g].total)
      fail_msg("%s: group %s total %.17g, want %.17g", what, want->groups[g].key,
               got->groups[g].total, want->groups[g].total);
    for (size_t i = 0; i < want->nbuckets; i++)
      if (want->groups[g].values[i] != got->groups[g].values[i])
        fail_msg("%s: group %s bucket %zu: %.17g, want %.17g", what, want->groups[g].key, i,
                 got->groups[g].values[i], want->groups[g].values[i]);
  }
}

/* Every query of the matrix equals the reference. */
static void check_all(const char *phase, ps_metric_result *refs) {
  char what[160];
  for (size_t i = 0; i < nqueries; i++) {
    ps_metric_result got;
    describe(&queries[i], phase, what, sizeof what);
    if (ps_session_query_run(store, game_id, &queries[i], NOW, TIMEOUT, &got) != PS_OK)
      fail_msg("%s: failed", what);
    assert_same(&refs[i], &got, what);
    ps_metric_result_free(&got);
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

static int playtime_row_count(const ps_playtime_row *row, void *ctx) {
  (void)row;
  (*(size_t *)ctx)++;
  return 0;
}

/* Every playtime metric, at minute, hour and day buckets, with each filter and group_by, is
 * the reference (session_metrics.h over every session) before any rollup, with the rollups'
 * horizon in the middle of the range (and so in the middle of sessions that overlap it: some
 * of their playtime is in rows, the rest in the live tail), and with the rollups up to the
 * horizon of now. */
static void rollups_change_no_answer(void **state) {
  (void)state;
  build_queries();
  static ps_metric_result refs[MAXQUERIES];
  for (size_t i = 0; i < nqueries; i++) reference(&queries[i], &refs[i]);
  assert_true(refs[0].whole.total > 10); /* the data is not trivial */
  int64_t settled;
  assert_int_equal(ps_sqlite_rollup_settled(store, game_id, &settled), PS_ENOTFOUND);
  assert_int_equal(ps_sqlite_playtime_settled(store, game_id, &settled), PS_ENOTFOUND);
  check_all("before rollups", refs);

  /* The horizon inside the range, off an hour boundary, with many sessions running across it
   * (the rollups see the world as of that time's now). */
  int64_t mid_now = FROM + DAY + 13 * 60 * MIN + 47 * MIN + 12345;
  int64_t mid = ps_rollup_horizon(mid_now, WINDOW, TIMEOUT);
  size_t across = 0;
  {
    ps_session_set set;
    assert_int_equal(ps_session_set_load(store, game_id, mid, mid + 1, NOW, TIMEOUT, NULL, NULL, &set), PS_OK);
    for (size_t i = 0; i < set.n; i++) across += set.items[i].start_ms < mid && set.items[i].end_ms > mid;
    ps_session_set_free(&set);
  }
  assert_true(across > 10);
  assert_int_equal(ps_rollup_advance(store, game_id, mid, mid_now, TIMEOUT), PS_OK);
  assert_int_equal(ps_sqlite_playtime_settled(store, game_id, &settled), PS_OK);
  assert_true(settled == mid - mid % (60 * MIN) && settled > FROM);
  check_all("horizon mid-range", refs);

  /* Up to the horizon of now, in two steps: a day behind, then all of it. */
  int64_t horizon = ps_rollup_horizon(NOW, WINDOW, TIMEOUT);
  assert_int_equal(ps_rollup_advance(store, game_id, horizon - DAY, NOW - DAY, TIMEOUT), PS_OK);
  check_all("horizon a day behind", refs);
  assert_int_equal(ps_rollup_advance(store, game_id, horizon, NOW, TIMEOUT), PS_OK);
  assert_int_equal(ps_sqlite_rollup_settled(store, game_id, &settled), PS_OK);
  assert_true(settled == horizon);
  assert_int_equal(ps_sqlite_playtime_settled(store, game_id, &settled), PS_OK);
  assert_true(settled == horizon - horizon % (60 * MIN));
  size_t rows = 0;
  assert_int_equal(ps_sqlite_rollup_scan(store, game_id, PS_ROLLUP_ANY, PS_ROLLUP_ANY, 0,
                                         INT64_MAX, row_count, &rows),
                   PS_OK);
  assert_true(rows > 1000);
  size_t hours = 0, days = 0;
  assert_int_equal(ps_sqlite_playtime_scan(store, game_id, 60 * MIN, PS_ROLLUP_ANY,
                                             PS_ROLLUP_ANY, 0, INT64_MAX, 1, playtime_row_count,
                                             NULL, &hours, &settled),
                   PS_OK);
  assert_int_equal(ps_sqlite_playtime_scan(store, game_id, DAY, NULL, NULL, 0, INT64_MAX, 0,
                                             playtime_row_count, NULL, &days, &settled),
                   PS_OK);
  assert_true(hours > 50 && days > 7);
  check_all("rollups up to now's horizon", refs);
  /* Advancing again changes nothing. */
  assert_int_equal(ps_rollup_advance(store, game_id, horizon, NOW, TIMEOUT), PS_OK);
  check_all("advanced twice", refs);

  /* The minute rows hold the figures computed from sessions (the first ccu and
   * concurrent_ugc queries: per minute, no filter, no group). */
  size_t ugc = 0;
  while (strcmp(queries[ugc].metric, "concurrent_ugc") != 0) ugc++;
  minute_check c = {&refs[0], &refs[ugc], 0};
  assert_int_equal(ps_sqlite_rollup_scan(store, game_id, PS_ROLLUP_ANY, PS_ROLLUP_ANY,
                                           refs[0].from_ms, horizon, check_row, &c),
                   PS_OK);
  assert_true(c.checked > 1000);

  /* A data directory written before the playtime rollups existed (schema version 6: minute
   * rollups, no playtime tables) is upgraded on open and backfilled from its first session. */
  ps_stores_close(&stores);
  char path[64];
  snprintf(path, sizeof path, "%s/playstat.db", dir);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "DROP TABLE playtime_players; DROP TABLE playtime_rollups;"
                                    " DROP TABLE playtime_mods; DROP TABLE playtime_state;"
                                    " PRAGMA user_version = 6;",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  const char *why = NULL;
  assert_int_equal(ps_stores_open(dir, NULL, NULL, &stores, &why), PS_OK);
  store = (sqlite_store *)stores.events;
  assert_int_equal(ps_sqlite_rollup_settled(store, game_id, &settled), PS_OK);
  assert_int_equal(ps_sqlite_playtime_settled(store, game_id, &settled), PS_ENOTFOUND);
  check_all("upgraded, not yet backfilled", refs);
  assert_int_equal(ps_rollup_advance(store, game_id, horizon, NOW, TIMEOUT), PS_OK);
  assert_int_equal(ps_sqlite_playtime_settled(store, game_id, &settled), PS_OK);
  assert_true(settled == horizon - horizon % (60 * MIN));
  check_all("upgraded and backfilled", refs);
  for (size_t i = 0; i < nqueries; i++) ps_metric_result_free(&refs[i]);
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
