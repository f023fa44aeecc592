/*
 * test_ch_playtime.c: the ClickHouse event store's playtime metrics, live(), matchmaking
 * metrics and session searches against the SQLite store's, differentially: the same
 * pseudo-random metrics sessions and multiplayer session events are appended to both, and
 * every answer must be equal, figure for figure (doubles compared exactly), with every filter
 * and group_by, at minute, hour and day intervals.
 *
 * Needs a ClickHouse server: $PLAYSTAT_TEST_CH_HTTP (HOST:PORT of its HTTP interface, as
 * tests/servers/run-with.sh --clickhouse 1 sets it); the test fails when it is not set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "store/store.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* A minute boundary, well after 2024 and with a day and a half of history before it. */
#define NOW (1750000000000LL - 1750000000000LL % DAY + 10 * HOUR + 17 * MIN)
#define GAME 42
#define NSESSIONS 260
#define NMATCHES 90

/* ---- a deterministic stream ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t next_u64(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static int64_t uniform(int64_t lo, int64_t hi) { /* [lo, hi] */
  return lo + (int64_t)(next_u64() % (uint64_t)(hi - lo + 1));
}

/* ---- the data set: records owning their strings ---- */

typedef struct owned {
  ps_record *records;
  ps_msession_record *msessions;
  ps_so_event_record *so_events;
  size_t n, cap;
  char **strings;
  size_t nstrings, strings_cap;
} owned;

static owned data;

static const char *keep(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (data.nstrings == data.strings_cap) {
    data.strings_cap = data.strings_cap ? 2 * data.strings_cap : 1024;
    data.strings = realloc(data.strings, data.strings_cap * sizeof *data.strings);
    assert_non_null(data.strings);
  }
  char *s = strdup(buf);
  assert_non_null(s);
  return data.strings[data.nstrings++] = s;
}

static size_t add_record(void) {
  if (data.n == data.cap) {
    data.cap = data.cap ? 2 * data.cap : 1024;
    data.records = realloc(data.records, data.cap * sizeof *data.records);
    data.msessions = realloc(data.msessions, data.cap * sizeof *data.msessions);
    data.so_events = realloc(data.so_events, data.cap * sizeof *data.so_events);
    assert_true(data.records && data.msessions && data.so_events);
  }
  memset(&data.records[data.n], 0, sizeof data.records[0]);
  memset(&data.msessions[data.n], 0, sizeof data.msessions[0]);
  memset(&data.so_events[data.n], 0, sizeof data.so_events[0]);
  return data.n++;
}

static void msession_request(const char *id, const char *player, const char *platform,
                             const char *portal, const char *mods, ps_msession_rec_kind kind,
                             int64_t ts, int64_t order) {
  size_t i = add_record();
  data.msessions[i] = (ps_msession_record){kind, id, player, keep("%s-n%lld", id, (long long)order),
                                           platform, portal, kind == PS_MSESSION_REC_START ? mods : NULL,
                                           ts, order};
  /* received within seconds of the client's time (the session window holds) */
  data.records[i] = (ps_record){.kind = PS_RECORD_MSESSION, .game_id = GAME,
                                .received_ms = ts + uniform(0, 3000)};
}

static const char *const platforms[] = {"windows", "ps5", "linux", "android"};
static const char *const portals[] = {"steam", "epicgames", "none"};

/* Sessions over the day and a half before NOW: ended, timed out, and running at NOW. */
static void make_msessions(void) {
  for (int i = 0; i < NSESSIONS; i++) {
    const char *id = keep("ms-%d", i);
    const char *player = keep("player-%d", (int)uniform(1, 40));
    const char *platform = platforms[uniform(0, 3)];
    const char *portal = portals[uniform(0, 2)];
    char mods[64] = "";
    int nmods = (int)uniform(0, 3);
    for (int m = 0; m < nmods; m++)
      snprintf(mods + strlen(mods), sizeof mods - strlen(mods), "%s%d", m ? "," : "",
               (int)uniform(1, 12));
    int64_t start = NOW - uniform(0, 36 * HOUR);
    if (i % 17 == 0) start = NOW - uniform(0, 30 * MIN); /* recent ones */
    int64_t length = i % 11 == 0 ? 0 : uniform(0, 3) == 0 ? uniform(2, 4) * HOUR : uniform(0, 50 * MIN);
    int fate = (int)uniform(0, 9); /* 0..6 ended, 7..8 heartbeats only, 9 start only */
    int64_t order = 1;
    msession_request(id, player, platform, portal, keep("%s", mods), PS_MSESSION_REC_START,
                     start, order++);
    int64_t t = start;
    while (fate < 9) {
      t += uniform(MIN, 4 * MIN);
      if (t > start + length || t > NOW - 5000) break;
      msession_request(id, player, platform, portal, NULL, PS_MSESSION_REC_HEARTBEAT, t, order++);
    }
    int64_t end = start + length;
    if (fate <= 6 && end <= NOW - 5000)
      msession_request(id, player, platform, portal, NULL, PS_MSESSION_REC_END, end, order++);
  }
}

static const char *const regions[] = {"eu-west", "us-east", "ap-south"};
static const char *const pools[] = {"ranked", "casual"};

static void so_event(const char *project, const char *env, const char *session, const char *type,
                     int64_t ts, int first_player, int nplayers, const char *ticket) {
  size_t i = add_record();
  ps_so_event_record *e = &data.so_events[i];
  ps_so_player *players = calloc(4, sizeof *players);
  const char **tickets = calloc(1, sizeof *tickets);
  assert_true(players && tickets);
  data.strings = realloc(data.strings, (data.strings_cap += 2) * sizeof *data.strings);
  data.strings[data.nstrings++] = (char *)players;
  data.strings[data.nstrings++] = (char *)tickets;
  for (int p = 0; p < nplayers && p < 4; p++)
    players[p] = (ps_so_player){keep("%064d", first_player + p), first_player + p};
  const char *body = keep("{\"type\":\"%s\",\"timestamp\":%lld,\"session\":\"%s\",\"n\":%zu}", type,
                          (long long)ts, session, i);
  *e = (ps_so_event_record){.session = {project, env, session}, .type = type, .ts_ms = ts,
                            .body = body, .body_len = strlen(body), .salt = "",
                            .players = players, .nplayers = (size_t)(nplayers < 4 ? nplayers : 4),
                            .event_key = keep("%064zx", i * 2654435761u + 1)};
  if (ticket) {
    tickets[0] = ticket;
    e->ticket_ids = tickets;
    e->nticket_ids = 1;
  }
  data.records[i] = (ps_record){.kind = PS_RECORD_SO_EVENT, .received_ms = ts,
                                .so_event = NULL}; /* pointed at once all are made */
}

static const char *const project = "diff-project";

/* Multiplayer sessions of the last three days, in two environments, events in any order. */
static void make_matches(void) {
  for (int i = 0; i < NMATCHES; i++) {
    const char *env = i % 5 == 0 ? "staging" : "production";
    const char *id = keep("match-%02d", i);
    int64_t t = NOW - uniform(0, 3 * DAY);
    if (i % 9 == 0) t = NOW - 3 * DAY + 1000 * (i % 3); /* equal times: id order */
    int mc = i % 7 != 0;
    if (i % 6 == 0) so_event(project, env, id, "players.connected", t - 4000, 1, 2, NULL);
    if (mc) {
      so_event(project, env, id, "match.created", t, 1, (int)uniform(1, 4),
               i % 4 == 0 ? keep("ticket-%d", i % 8) : NULL);
      ps_so_event_record *e = &data.so_events[data.n - 1];
      if (i % 3) e->pool_id = pools[i % 2];
      if (i % 5) e->pool_name = pools[(i / 2) % 2];
      e->queue_id = i % 2 ? "q-main" : NULL;
      if (i % 10 == 3) e->queue_name = "main";
    }
    if (i % 8 != 1) {
      int64_t requested = t + uniform(100, 20000);
      so_event(project, env, id, "allocation.requested", requested, 0, 0, NULL);
      data.so_events[data.n - 1].region_id = regions[uniform(0, 2)];
      int outcome = (int)uniform(0, 4);
      if (outcome)
        so_event(project, env, id, outcome == 1 ? "allocation.failed" : "allocation.succeeded",
                 requested + uniform(0, 90000), 0, 0, NULL);
      if (i % 13 == 0) { /* a later request, and a second completion at the same time */
        so_event(project, env, id, "allocation.requested", requested + 100000, 0, 0, NULL);
        data.so_events[data.n - 1].region_id = regions[(i / 13) % 3];
        so_event(project, env, id, "allocation.succeeded", requested + 150000, 0, 0, NULL);
      }
    }
    if (i % 4 == 1) {
      so_event(project, env, id, "players.connected", t + 3000, 3, 2, NULL);
      data.so_events[data.n - 1].backfill = 1;
    }
  }
}

/* ---- the two stores ---- */

typedef struct stores {
  ps_event_store *sqlite, *ch;
  char dir[64];
} stores;

static stores both;

static int cmp_received(const void *a, const void *b) {
  int64_t x = ((const ps_record *)a)->received_ms, y = ((const ps_record *)b)->received_ms;
  return x < y ? -1 : x > y;
}

static int setup(void **state) {
  (void)state;
  const char *http = getenv("PLAYSTAT_TEST_CH_HTTP");
  if (!http || !*http) {
    fprintf(stderr, "test_ch_playtime: PLAYSTAT_TEST_CH_HTTP is not set: run it as"
                    " tests/servers/run-with.sh --clickhouse 1 -- build/tests/test_ch_playtime\n");
    return -1;
  }
  char first[256];
  snprintf(first, sizeof first, "%.*s", (int)strcspn(http, ","), http);
  snprintf(both.dir, sizeof both.dir, "/tmp/playstat-ch-playtime-XXXXXX");
  if (!mkdtemp(both.dir)) return -1;
  char sqlite_dir[128], spool[128], url[512];
  snprintf(sqlite_dir, sizeof sqlite_dir, "%s/sqlite", both.dir);
  snprintf(spool, sizeof spool, "%s/spool", both.dir);
  if (mkdir(sqlite_dir, 0700) || mkdir(spool, 0700)) return -1;
  snprintf(url, sizeof url, "//%s/ch_playtime_%ld_%d?spool=%s", first, (long)time(NULL),
           (int)getpid(), spool);
  ps_store_options options = {0};
  if (ps_event_backend("sqlite")->open(sqlite_dir, &options, &both.sqlite) != PS_OK) return -1;
  if (ps_event_backend("clickhouse")->open(url, &options, &both.ch) != PS_OK) return -1;

  make_msessions();
  make_matches();
  for (size_t i = 0; i < data.n; i++) { /* the arrays do not move any more */
    if (data.records[i].kind == PS_RECORD_MSESSION) data.records[i].msession = &data.msessions[i];
    else data.records[i].so_event = &data.so_events[i];
  }
  /* in arrival order, a request at a time as the ingest writer would */
  qsort(data.records, data.n, sizeof *data.records, cmp_received);
  for (size_t i = 0; i < data.n; i += 50) {
    ps_record_span span = {&data.records[i], data.n - i < 50 ? data.n - i : 50};
    if (both.sqlite->ops->append(both.sqlite, &span, 1) != PS_OK) return -1;
    if (both.ch->ops->append(both.ch, &span, 1) != PS_OK) return -1;
  }
  /* a resend of some: stored once by both */
  ps_record_span again = {data.records, 40};
  if (both.ch->ops->append(both.ch, &again, 1) != PS_OK) return -1;
  if (both.sqlite->ops->maintain(both.sqlite, NOW) != PS_OK) return -1;
  if (both.ch->ops->maintain(both.ch, NOW) != PS_OK) return -1;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  if (both.sqlite) both.sqlite->ops->close(both.sqlite);
  if (both.ch) both.ch->ops->close(both.ch);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", both.dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* ---- comparing answers ---- */

static int compared, failures, nonzero; /* nonzero: figures compared that are not 0 */

static void same_series(const char *what, const ps_metric_series *a, const ps_metric_series *b,
                        size_t n) {
  for (size_t i = 0; i < n; i++) nonzero += a->values[i] != 0;
  if (strcmp(a->key, b->key) != 0 || a->total != b->total ||
      memcmp(a->values, b->values, n * sizeof *a->values) != 0) {
    if (failures++ < 20) {
      fprintf(stderr, "differs: %s group '%s' / '%s': total %.17g / %.17g\n", what, a->key,
              b->key, a->total, b->total);
      for (size_t i = 0; i < n; i++)
        if (a->values[i] != b->values[i])
          fprintf(stderr, "  bucket %zu: sqlite %.17g clickhouse %.17g\n", i, a->values[i],
                  b->values[i]);
    }
  }
}

static void same_answer(const char *what, const ps_metric_query *q) {
  ps_metric_result a, b;
  int ra = both.sqlite->ops->metric(both.sqlite, q, &a);
  int rb = both.ch->ops->metric(both.ch, q, &b);
  compared++;
  if (ra != rb) {
    fprintf(stderr, "differs: %s: sqlite %d clickhouse %d\n", what, ra, rb);
    failures++;
    return;
  }
  if (ra == PS_OK) {
    if (a.nbuckets != b.nbuckets || a.from_ms != b.from_ms || a.ngroups != b.ngroups) {
      fprintf(stderr, "differs: %s: buckets %zu / %zu, groups %zu / %zu\n", what, a.nbuckets,
              b.nbuckets, a.ngroups, b.ngroups);
      for (size_t i = 0; i < a.ngroups; i++) fprintf(stderr, "  sqlite group '%s' total %g\n", a.groups[i].key, a.groups[i].total);
      for (size_t i = 0; i < b.ngroups; i++) fprintf(stderr, "  clickhouse group '%s' total %g\n", b.groups[i].key, b.groups[i].total);
      failures++;
    } else {
      same_series(what, &a.whole, &b.whole, a.nbuckets);
      for (size_t i = 0; i < a.ngroups; i++) same_series(what, &a.groups[i], &b.groups[i], a.nbuckets);
    }
  }
  ps_metric_result_free(&a);
  ps_metric_result_free(&b);
}

static const char *const playtime_metrics[] = {
    "ccu", "concurrent_ugc", "total_players", "sessions", "avg_playtime", "avg_ugc_per_session",
    "session_length_histogram", "top_mods"};

static void playtime_metrics_equal_sqlite(void **state) {
  (void)state;
  const struct {
    int64_t from, to, interval;
  } ranges[] = {
      {NOW - 3 * HOUR, NOW + 2 * MIN, MIN},             /* minutes, settled and live */
      {NOW - NOW % HOUR - 40 * HOUR, NOW - NOW % HOUR + HOUR, HOUR},
      {NOW - NOW % DAY - 2 * DAY, NOW - NOW % DAY + DAY, DAY},
      {NOW - NOW % HOUR - 6 * HOUR, NOW - NOW % HOUR, 2 * HOUR},
  };
  const struct {
    const char *platform, *portal;
  } filters[] = {{NULL, NULL}, {"windows", NULL}, {NULL, "steam"}, {"ps5", "none"}};
  const char *const groups[] = {NULL, "platform", "portal"};
  char what[256];
  for (size_t m = 0; m < sizeof playtime_metrics / sizeof *playtime_metrics; m++)
    for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
      for (size_t f = 0; f < sizeof filters / sizeof *filters; f++)
        for (size_t g = 0; g < 3; g++) {
          ps_metric_query q = {.source = PS_SOURCE_PLAYTIME, .metric = playtime_metrics[m],
                               .game_id = GAME, .from_ms = ranges[r].from, .to_ms = ranges[r].to,
                               .interval_ms = ranges[r].interval, .group_by = groups[g],
                               .now_ms = NOW};
          if (filters[f].platform)
            q.filters[q.nfilters++] = (ps_metric_filter){"platform", filters[f].platform};
          if (filters[f].portal)
            q.filters[q.nfilters++] = (ps_metric_filter){"portal", filters[f].portal};
          snprintf(what, sizeof what, "%s range %zu platform %s portal %s group_by %s",
                   q.metric, r, filters[f].platform ? filters[f].platform : "-",
                   filters[f].portal ? filters[f].portal : "-", groups[g] ? groups[g] : "-");
          same_answer(what, &q);
        }
  fprintf(stderr, "playtime: %d answers compared (%d nonzero figures), %d differ\n", compared,
          nonzero, failures);
  assert_int_equal(failures, 0);
  assert_true(nonzero > 5000); /* the data set covers the figures */
}

static void live_equals_sqlite(void **state) {
  (void)state;
  const int64_t at[] = {NOW, NOW - 7 * MIN, NOW - 3 * HOUR, NOW + 4 * MIN, NOW + 10 * MIN};
  for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
    ps_live a = {-1, -1}, b = {-2, -2};
    assert_int_equal(both.sqlite->ops->live(both.sqlite, GAME, at[i], &a), PS_OK);
    assert_int_equal(both.ch->ops->live(both.ch, GAME, at[i], &b), PS_OK);
    fprintf(stderr, "live at now%+lld min: ccu %lld / %lld, ugc %lld / %lld\n",
            (long long)((at[i] - NOW) / MIN), (long long)a.ccu, (long long)b.ccu,
            (long long)a.concurrent_ugc, (long long)b.concurrent_ugc);
    assert_true(a.ccu == b.ccu && a.concurrent_ugc == b.concurrent_ugc);
  }
}

static void match_metrics_equal_sqlite(void **state) {
  (void)state;
  static const char *const metrics[] = {"matches_created", "allocation_failure_rate",
                                        "time_to_allocation_p50", "time_to_allocation_p95",
                                        "players_per_match"};
  const char *const groups[] = {NULL, "region", "pool", "queue"};
  const struct {
    int64_t from, to, interval;
  } ranges[] = {{NOW - NOW % DAY - 3 * DAY, NOW - NOW % DAY + DAY, DAY},
                {NOW - NOW % HOUR - 30 * HOUR, NOW - NOW % HOUR + HOUR, HOUR},
                {NOW - NOW % DAY - 2 * DAY, NOW - NOW % DAY, 6 * HOUR}};
  char what[128];
  compared = failures = nonzero = 0;
  for (size_t m = 0; m < 5; m++)
    for (size_t r = 0; r < 3; r++)
      for (size_t g = 0; g < 4; g++) {
        ps_metric_query q = {.source = PS_SOURCE_MATCHMAKING, .metric = metrics[m],
                             .game_id = GAME, .project_id = project, .from_ms = ranges[r].from,
                             .to_ms = ranges[r].to, .interval_ms = ranges[r].interval,
                             .group_by = groups[g], .now_ms = NOW};
        snprintf(what, sizeof what, "%s range %zu group_by %s", metrics[m], r,
                 groups[g] ? groups[g] : "-");
        same_answer(what, &q);
      }
  fprintf(stderr, "matchmaking: %d answers compared (%d nonzero figures), %d differ\n",
          compared, nonzero, failures);
  assert_int_equal(failures, 0);
  assert_true(nonzero > 200);
}

/* ---- sessions ---- */

typedef struct bodies {
  char text[64][256];
  int64_t ts[64];
  int n;
} bodies;

static int collect(const char *body, size_t len, int64_t ts_ms, void *ctx) {
  bodies *b = ctx;
  if (b->n < 64) {
    snprintf(b->text[b->n], sizeof b->text[0], "%.*s", (int)len, body);
    b->ts[b->n] = ts_ms;
  }
  b->n++;
  return 0;
}

static void same_summary(const ps_so_session *a, const ps_so_session *b) {
  assert_string_equal(a->project_id, b->project_id);
  assert_string_equal(a->environment_id, b->environment_id);
  assert_string_equal(a->session_id, b->session_id);
  assert_true(a->created_ms == b->created_ms);
  assert_true(a->updated_ms == b->updated_ms);
  assert_true(a->match_created_ms == b->match_created_ms);
  assert_string_equal(a->pool_id, b->pool_id);
  assert_string_equal(a->pool_name, b->pool_name);
  assert_string_equal(a->queue_id, b->queue_id);
  assert_string_equal(a->queue_name, b->queue_name);
  assert_string_equal(a->region_id, b->region_id);
  assert_true(a->requested_ms == b->requested_ms);
  assert_true(a->completed_ms == b->completed_ms);
  assert_string_equal(a->completion, b->completion);
  assert_true(a->players == b->players);
  assert_int_equal(a->backfill, b->backfill);
}

static void session_get_equals_sqlite(void **state) {
  (void)state;
  for (int i = 0; i < NMATCHES + 2; i++) {
    char id[32];
    snprintf(id, sizeof id, "match-%02d", i);
    ps_so_key key = {project, i % 5 == 0 ? "staging" : "production", id};
    ps_so_session a, b;
    static bodies ea, eb;
    memset(&ea, 0, sizeof ea);
    memset(&eb, 0, sizeof eb);
    int ra = both.sqlite->ops->so_session_get(both.sqlite, &key, &a, collect, &ea);
    int rb = both.ch->ops->so_session_get(both.ch, &key, &b, collect, &eb);
    assert_int_equal(ra, rb);
    if (ra != PS_OK) continue;
    same_summary(&a, &b);
    assert_int_equal(ea.n, eb.n);
    for (int k = 0; k < ea.n && k < 64; k++) {
      assert_string_equal(ea.text[k], eb.text[k]);
      assert_true(ea.ts[k] == eb.ts[k]);
    }
  }
}

/* Pages of limit through q on both stores: the same sessions, page by page. */
static size_t listed; /* sessions compared in lists */

static void same_pages(ps_so_query q, size_t limit) {
  q.limit = limit;
  for (int page = 0; page < 100; page++) {
    ps_so_session *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    int64_t sa = 0, sb = 0;
    assert_int_equal(both.sqlite->ops->so_session_list(both.sqlite, &q, &a, &na, &sa), PS_OK);
    ps_so_query qc = q;
    static int64_t ch_snapshot;
    if (page == 0) qc.snapshot_seq = 0;
    else qc.snapshot_seq = ch_snapshot; /* each store's own sequence */
    assert_int_equal(both.ch->ops->so_session_list(both.ch, &qc, &b, &nb, &sb), PS_OK);
    if (page == 0) ch_snapshot = sb;
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) same_summary(&a[i], &b[i]);
    listed += na;
    int done = na < limit;
    if (na) {
      static char after[129];
      snprintf(after, sizeof after, "%s", a[na - 1].session_id);
      q.after_created_ms = a[na - 1].created_ms;
      q.after_session_id = after;
    }
    q.snapshot_seq = sa;
    free(a);
    free(b);
    if (done) break;
    if (!sa) break; /* an empty store: nothing to page */
  }
}

static void session_lists_equal_sqlite(void **state) {
  (void)state;
  ps_so_query base = {.project_id = project, .environment_id = "production",
                      .created_after_ms = -1, .updated_after_ms = -1};
  same_pages(base, 7);
  same_pages(base, 100);
  ps_so_query q = base;
  q.pool_id = "ranked";
  same_pages(q, 5);
  q = base;
  q.pool_name = "casual";
  q.region_id = "eu-west";
  same_pages(q, 3);
  q = base;
  q.queue_name = "main";
  same_pages(q, 4);
  q = base;
  q.ticket_id = "ticket-4";
  same_pages(q, 2);
  q = base;
  q.created_after_ms = NOW - 2 * DAY;
  q.updated_after_ms = NOW - DAY;
  same_pages(q, 6);
  q = base;
  q.environment_id = "staging";
  same_pages(q, 4);
  fprintf(stderr, "sessions: %zu listed alike\n", listed);
  assert_true(listed > 150);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(playtime_metrics_equal_sqlite),
      cmocka_unit_test(live_equals_sqlite),
      cmocka_unit_test(match_metrics_equal_sqlite),
      cmocka_unit_test(session_get_equals_sqlite),
      cmocka_unit_test(session_lists_equal_sqlite),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
