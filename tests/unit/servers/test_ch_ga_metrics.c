/* test_ch_ga_metrics.c: the ClickHouse event store's analytics-event metrics
 * (store/clickhouse/ga_metrics.c, ga_families.c) answer exactly what the SQLite event store
 * answers. The same pseudo-random analytics events (users installing on different days and
 * coming back, every category, dimensions that change between events, absent ones and values
 * longer than the 64 bytes the rollups keep, events without a user, client_ts that are not
 * integers, resends of the same uuid) are appended to both stores; then every event metric is
 * asked of both, over several ranges, unfiltered, filtered by every dimension (values seen,
 * unseen and empty) and grouped by every dimension (country, the record's, among them), and every family with every parameter it
 * takes (and some it refuses), and the answers are compared bucket by bucket, group by group,
 * with ==: same status, same buckets, same groups in the same order, same values and totals.
 * ClickHouse's merges of the events table are stopped (SYSTEM STOP MERGES), so the copies of
 * the resent events stay in parts of their own and every answer must deduplicate them.
 *
 * Needs a ClickHouse server: $PLAYSTAT_TEST_CH_HTTP (HOST:PORT[,HOST:PORT...], as
 * tests/servers/run-with.sh --clickhouse N sets it; with several and
 * $PLAYSTAT_TEST_CH_CLUSTER, a cluster of them). Fails when it is not set. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "store/store.h"

#define DAY_MS 86400000LL
#define D0 20000 /* the first day of the data */
#define NDAYS 70
#define NUSERS 60
#define MAX_EVENTS 20000
#define GAME 4242

/* ---- the events ---- */

typedef struct made_event {
  char uuid[48], user[32], session[32], category[16];
  char platform[80], build[16], os_version[16], custom[3][80], country[4];
  char currency[8], event_id[64], severity[16], message[160];
  char ad[4][16];
  char body[64];
  ps_event_facts facts;
  ps_record r;
} made_event;

static made_event *events;
static size_t nevents;
static uint64_t seed = 0x9e3779b97f4a7c15ULL;

static unsigned next_random(unsigned n) {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  return (unsigned)(seed % n);
}

static const char *pick(const char *const *choices, unsigned n) { return choices[next_random(n)]; }

static const char *or_null(char *s) { return *s ? s : NULL; }

#define LONG_A "a-platform-name-longer-than-the-sixty-four-bytes-the-rollups-keep-A1"
#define LONG_B "a-platform-name-longer-than-the-sixty-four-bytes-the-rollups-keep-B2"

static const char *const platforms[] = {"ios", "android", "webgl", "", LONG_A, LONG_B};
static const char *const builds[] = {"1.0", "1.1", "", "2.0"};
static const char *const os_versions[] = {"ios 17", "android 14", ""};
static const char *const customs[3][4] = {{"a", "b", "", "c"}, {"x", "", "", "y"}, {"", "z", "", "z"}};
static const char *const categories[] = {"user",     "session_end", "business", "progression",
                                         "resource", "design",      "error",    "ads",
                                         "design",   "progression", "sdk_error"};
static const char *const progressions[] = {
    "Start:World1:Level1", "Complete:World1:Level1", "Fail:World1:Level2", "Complete:World1:Level2",
    "Start:World2",        "Complete:World2",        "Fail:World2:Boss:Phase1", "Complete:World1:",
    "Complete::Odd",       "Complete",               "Retry:World1:Level1"};
static const char *const resources[] = {"Sink:Gold:Weapon:Sword", "Source:Gold:Reward:Daily",
                                        "Source:Gems", "Sink:Gold:", "Sink:Gems:Boost:X2"};
static const char *const designs[] = {"UI:Open", "UI:Close:Fast", "UI:Close:Slow", "Level",
                                      "UI",      "UI::Odd",       "Tutorial:Step1:Done"};
static const char *const severities[] = {"error", "warning", "critical"};
static const char *const messages[] = {"null reference\n  at Foo.Bar()", "out of memory",
                                       "timeout", "texture missing: rock_01.png\nstack",
                                       "a long message that goes on and on and on and on and on"
                                       " and on and on and on and on and on beyond a hundred bytes"};
static const char *const ad_parts[4][4] = {{"show", "click", "failed", ""},
                                           {"admob", "unity", "", "ironsource"},
                                           {"video", "rewarded_video", "interstitial", ""},
                                           {"main_menu", "level_end", "", "shop"}};
static const char *const currencies[] = {"USD", "EUR", "", "GBP"};
static const char *const countries[] = {"DE", "BR", "JP", ""}; /* "": unknown */

/* One event of user u (NULL: none) on day at second s of it, with the user's usual
 * dimensions (which change now and then). */
static made_event *make(const char *category, const char *user, int64_t day, int s,
                        const char *platform) {
  assert_true(nevents < MAX_EVENTS);
  made_event *e = &events[nevents];
  memset(e, 0, sizeof *e);
  snprintf(e->category, sizeof e->category, "%s", category);
  snprintf(e->uuid, sizeof e->uuid, "%08x-0000-4000-8000-%012zx", (unsigned)(nevents * 2654435761u),
           nevents);
  if (user) snprintf(e->user, sizeof e->user, "%s", user);
  snprintf(e->session, sizeof e->session, "s-%s", user ? user : "-");
  snprintf(e->platform, sizeof e->platform, "%s", next_random(8) ? platform : pick(platforms, 6));
  snprintf(e->build, sizeof e->build, "%s", pick(builds, 4));
  snprintf(e->os_version, sizeof e->os_version, "%s", pick(os_versions, 3));
  for (int c = 0; c < 3; c++) snprintf(e->custom[c], sizeof e->custom[c], "%s", pick(customs[c], 4));
  snprintf(e->country, sizeof e->country, "%s", pick(countries, 4));
  ps_event_facts *f = &e->facts;
  f->platform = or_null(e->platform);
  f->build = or_null(e->build);
  f->os_version = or_null(e->os_version);
  f->custom_01 = or_null(e->custom[0]);
  f->custom_02 = or_null(e->custom[1]);
  f->custom_03 = or_null(e->custom[2]);
  f->client_ts_is_integer = next_random(40) != 0; /* else the receive time's day counts */
  if (!strcmp(category, "business")) {
    unsigned c = next_random(5);
    if (c < 4) snprintf(e->currency, sizeof e->currency, "%s", currencies[c]);
    f->currency = c < 4 ? e->currency : NULL;
    f->has_amount = next_random(6) != 0;
    f->amount = 99 + 100 * (int64_t)next_random(20);
  } else if (!strcmp(category, "session_end")) {
    f->has_length = next_random(5) != 0;
    f->length = 30 + (int64_t)next_random(3000);
  } else if (!strcmp(category, "progression")) {
    snprintf(e->event_id, sizeof e->event_id, "%s", pick(progressions, 11));
    f->event_id = e->event_id;
    f->has_attempt_num = next_random(3) != 0;
    f->attempt_num = 1 + (int64_t)next_random(5);
  } else if (!strcmp(category, "resource") || !strcmp(category, "design")) {
    snprintf(e->event_id, sizeof e->event_id, "%s",
             !strcmp(category, "resource") ? pick(resources, 5) : pick(designs, 7));
    f->event_id = e->event_id;
    f->has_value = next_random(4) != 0;
    f->value = ((double)next_random(400) - 100) * 0.25; /* exact in binary: sums are too */
  } else if (!strcmp(category, "error")) {
    snprintf(e->severity, sizeof e->severity, "%s", pick(severities, 3));
    snprintf(e->message, sizeof e->message, "%s", pick(messages, 5));
    f->severity = e->severity;
    f->message = next_random(10) ? e->message : NULL;
  } else if (!strcmp(category, "ads")) {
    for (int p = 0; p < 4; p++) snprintf(e->ad[p], sizeof e->ad[p], "%s", pick(ad_parts[p], 4));
    f->ad_action = or_null(e->ad[0]);
    f->ad_sdk_name = or_null(e->ad[1]);
    f->ad_type = or_null(e->ad[2]);
    f->ad_placement = or_null(e->ad[3]);
  }
  snprintf(e->body, sizeof e->body, "{\"category\":\"%s\"}", category);
  /* received in append order, a few days after the data (a fraction ts counts that day) */
  e->r = (ps_record){.kind = PS_RECORD_EVENT, .game_id = GAME, .category = e->category,
                     .event_uuid = e->uuid, .client_ts = day * 86400 + s, .has_client_ts = 1,
                     .user_id = user ? e->user : NULL, .session_id = e->session, .body = e->body,
                     .body_len = strlen(e->body), .facts = f, .country = or_null(e->country),
                     .received_ms = (D0 + NDAYS - 5) * DAY_MS + (int64_t)nevents * 3000};
  nevents++;
  return e;
}

/* Users install on a day of the data and come back on some later days (fewer as time goes). */
static void make_events(void) {
  events = calloc(MAX_EVENTS, sizeof *events);
  assert_non_null(events);
  for (int u = 0; u < NUSERS; u++) {
    char user[32];
    snprintf(user, sizeof user, "user-%02d", u);
    int install = (int)next_random(NDAYS - 5);
    const char *platform = pick(platforms, 6);
    for (int day = install; day < NDAYS; day++) {
      if (day != install && next_random(10) < 6) continue;
      int s = (int)next_random(40000);
      /* a user's first event may be something else than `user`, and some never send one */
      if (u % 11 != 5 && (day != install || u % 4)) make("user", user, D0 + day, s, platform);
      int n = (int)next_random(8);
      for (int i = 0; i < n; i++)
        make(pick(categories, 11), user, D0 + day, s + 10 + i * 60, platform);
    }
  }
  for (int i = 0; i < 40; i++) /* no user: the rollups skip them */
    make(pick(categories, 11), NULL, D0 + (int)next_random(NDAYS), 100, "ios");
}

/* ---- the stores ---- */

typedef struct stores {
  char sqlite_dir[64], spool_dir[64];
  ps_event_store *sqlite, *ch;
} stores;

static stores the;

static void append_all(ps_event_store *s, ps_record *records, size_t n) {
  for (size_t i = 0; i < n; i += 500) { /* requests of up to 500 events */
    ps_record_span span = {records + i, n - i < 500 ? n - i : 500};
    assert_int_equal(s->ops->append(s, &span, 1), PS_OK);
  }
}

/* The copies of a resent event stay in parts of their own: reads must deduplicate them. */
static int stop_merges(const char *servers, const char *database, int several) {
  for (const char *s = servers; *s;) {
    size_t n = strcspn(s, ",");
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "curl -sf 'http://%.*s/' --data-binary 'SYSTEM STOP MERGES %s.events%s' >/dev/null",
             (int)n, s, database, several ? "_local" : "");
    if (system(cmd) != 0) {
      fprintf(stderr, "test_ch_ga_metrics: %s failed\n", cmd);
      return -1;
    }
    s += n;
    if (*s == ',') s++;
    if (!several) break;
  }
  return 0;
}

static int setup(void **state) {
  (void)state;
  const char *servers = getenv("PLAYSTAT_TEST_CH_HTTP");
  if (!servers || !*servers) {
    fprintf(stderr, "test_ch_ga_metrics: PLAYSTAT_TEST_CH_HTTP is not set: run it through "
                    "tests/servers/run-with.sh --clickhouse 1 -- (ctest unit/ch_ga_metrics)\n");
    return -1;
  }
  const char *cluster = getenv("PLAYSTAT_TEST_CH_CLUSTER");
  snprintf(the.sqlite_dir, sizeof the.sqlite_dir, "/tmp/playstat-chga-XXXXXX");
  snprintf(the.spool_dir, sizeof the.spool_dir, "/tmp/playstat-chga-spool-XXXXXX");
  if (!mkdtemp(the.sqlite_dir) || !mkdtemp(the.spool_dir)) return -1;
  ps_store_options options = {0};
  const ps_event_store_ops *sqlite = ps_event_backend("sqlite"), *ch = ps_event_backend("clickhouse");
  if (!sqlite || !ch || sqlite->open(the.sqlite_dir, &options, &the.sqlite) != PS_OK) return -1;
  char location[1024];
  int several = strchr(servers, ',') != NULL && cluster && *cluster;
  char database[64];
  snprintf(database, sizeof database, "t_ga_%ld_%d", (long)time(NULL), (int)getpid());
  snprintf(location, sizeof location, "//%.*s/%s?spool=%s%s%s",
           several ? (int)strlen(servers) : (int)strcspn(servers, ","), servers, database,
           the.spool_dir, several ? "&cluster=" : "", several ? cluster : "");
  if (ch->open(location, &options, &the.ch) != PS_OK) {
    fprintf(stderr, "test_ch_ga_metrics: cannot open clickhouse:%s\n", location);
    return -1;
  }
  if (stop_merges(servers, database, several) != 0) return -1;
  make_events();
  ps_record *records = calloc(nevents + nevents / 10 + 1, sizeof *records);
  if (!records) return -1;
  size_t n = 0;
  for (size_t i = 0; i < nevents; i++) records[n++] = events[i].r;
  append_all(the.sqlite, records, n);
  append_all(the.ch, records, n);
  /* resends (shipped twice): every tenth event again, later, with its uuid */
  size_t again = 0;
  for (size_t i = 0; i < nevents; i += 10)
    if (events[i].facts.client_ts_is_integer) {
      records[again] = events[i].r;
      records[again++].received_ms += 3 * DAY_MS;
    }
  append_all(the.sqlite, records, again);
  append_all(the.ch, records, again);
  free(records);
  int64_t now = (D0 + NDAYS) * DAY_MS;
  if (the.sqlite->ops->maintain(the.sqlite, now) != PS_OK) return -1;
  if (the.ch->ops->maintain(the.ch, now) != PS_OK) return -1;
  fprintf(stderr, "test_ch_ga_metrics: %zu events, %zu resent, in clickhouse:%s\n", nevents,
          again, location);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  if (the.sqlite) the.sqlite->ops->close(the.sqlite);
  if (the.ch) the.ch->ops->close(the.ch);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", the.sqlite_dir, the.spool_dir);
  free(events);
  return system(cmd) == 0 ? 0 : -1;
}

/* ---- comparing answers ---- */

static size_t asked, differing;

static void describe(const ps_metric_query *q, char *out, size_t cap) {
  snprintf(out, cap, "%s [%lld, %lld) now %lld%s%s%s%s%s%s measure=%s by=%s prefix=%s steps=%s",
           q->metric, (long long)(q->from_ms / DAY_MS - D0), (long long)(q->to_ms / DAY_MS - D0),
           (long long)(q->now_ms / DAY_MS - D0), q->nfilters ? " filter " : "",
           q->nfilters ? q->filters[0].dimension : "", q->nfilters ? "=" : "",
           q->nfilters ? q->filters[0].value : "", q->group_by ? " group_by " : "",
           q->group_by ? q->group_by : "", q->measure ? q->measure : "-", q->by ? q->by : "-",
           q->prefix ? q->prefix : "-", q->steps ? q->steps : "-");
}

static int same_series(const char *what, const ps_metric_series *a, const ps_metric_series *b,
                       size_t n, char *why, size_t cap) {
  if (strcmp(a->key, b->key)) {
    snprintf(why, cap, "%s: key '%s' (sqlite) vs '%s' (clickhouse)", what, a->key, b->key);
    return 0;
  }
  for (size_t i = 0; i < n; i++)
    if (a->values[i] != b->values[i]) {
      snprintf(why, cap, "%s '%s': bucket %zu is %.17g (sqlite) vs %.17g (clickhouse)", what,
               a->key, i, a->values[i], b->values[i]);
      return 0;
    }
  if (a->total != b->total) {
    snprintf(why, cap, "%s '%s': total %.17g (sqlite) vs %.17g (clickhouse)", what, a->key,
             a->total, b->total);
    return 0;
  }
  return 1;
}

static void compare(const ps_metric_query *q) {
  ps_metric_result a, b;
  int rc_a = the.sqlite->ops->metric(the.sqlite, q, &a);
  int rc_b = the.ch->ops->metric(the.ch, q, &b);
  char why[512] = "";
  int same = rc_a == rc_b;
  if (!same) snprintf(why, sizeof why, "status %s (sqlite) vs %s (clickhouse)", ps_strerror(rc_a),
                      ps_strerror(rc_b));
  if (same && rc_a == PS_OK) {
    if (a.from_ms != b.from_ms || a.interval_ms != b.interval_ms || a.nbuckets != b.nbuckets) {
      same = 0;
      snprintf(why, sizeof why, "buckets %zu from %lld by %lld vs %zu from %lld by %lld",
               a.nbuckets, (long long)a.from_ms, (long long)a.interval_ms, b.nbuckets,
               (long long)b.from_ms, (long long)b.interval_ms);
    } else if (!same_series("whole", &a.whole, &b.whole, a.nbuckets, why, sizeof why)) {
      same = 0;
    } else if (a.ngroups != b.ngroups) {
      same = 0;
      snprintf(why, sizeof why, "%zu groups (sqlite: first '%s') vs %zu (clickhouse: first '%s')",
               a.ngroups, a.ngroups ? a.groups[0].key : "", b.ngroups,
               b.ngroups ? b.groups[0].key : "");
    }
    for (size_t g = 0; same && g < a.ngroups; g++)
      same = same_series("group", &a.groups[g], &b.groups[g], a.nbuckets, why, sizeof why);
  }
  asked++;
  if (!same) {
    char what[512];
    describe(q, what, sizeof what);
    if (differing++ < 25) fprintf(stderr, "DIFFERENT: %s: %s\n", what, why);
  }
  if (rc_a == PS_OK) ps_metric_result_free(&a);
  if (rc_b == PS_OK) ps_metric_result_free(&b);
}

/* ---- what is asked ---- */

static const char *const dimensions[] = {"platform",  "build",     "os_version", "custom_01",
                                         "custom_02", "custom_03", "country"};
#define NDIMENSIONS (sizeof dimensions / sizeof *dimensions)

/* Values filtered by, per dimension: seen ones, an unseen one, the empty one and a value
 * longer than what the rollups keep (matches nothing). */
static const char *const filter_values[NDIMENSIONS][5] = {
    {"ios", "android", "", LONG_A, "a-platform-name-longer-than-the-sixty-four-bytes-the-rollups-keep"},
    {"1.0", "2.0", "", "9.9", NULL},
    {"ios 17", "android 14", "", NULL, NULL},
    {"a", "c", "", NULL, NULL},
    {"x", "y", "", NULL, NULL},
    {"z", "", "nope", NULL, NULL},
    {"DE", "JP", "", "FR", NULL}};

typedef struct range {
  int from, to, now; /* days after D0; now: 0 for none */
} range;

static const range ranges[] = {
    {0, NDAYS, NDAYS}, {20, 35, 30}, {45, 46, 0}, {-10, 5, 3}, {10, NDAYS + 10, 40}};

static ps_metric_query query(const char *metric, const range *r) {
  return (ps_metric_query){.source = PS_SOURCE_EVENTS, .metric = metric, .game_id = GAME,
                           .from_ms = (D0 + (int64_t)r->from) * DAY_MS,
                           .to_ms = (D0 + (int64_t)r->to) * DAY_MS, .interval_ms = DAY_MS,
                           .now_ms = r->now ? (D0 + (int64_t)r->now) * DAY_MS + 5000 : 0};
}

/* q unfiltered, filtered by every dimension's values, and (when groupable) grouped by each. */
static void every_slice(ps_metric_query q, int groupable) {
  compare(&q);
  for (int d = 0; d < (int)NDIMENSIONS; d++) {
    ps_metric_query f = q;
    f.nfilters = 1;
    for (int v = 0; v < 5 && filter_values[d][v]; v++) {
      f.filters[0] = (ps_metric_filter){dimensions[d], filter_values[d][v]};
      compare(&f);
    }
    ps_metric_query g = q;
    g.group_by = dimensions[d];
    if (groupable || d == 0) compare(&g); /* d == 0 elsewhere: both refuse it */
  }
  ps_metric_query both = q; /* a filter with a group_by: both refuse it */
  both.nfilters = 1;
  both.filters[0] = (ps_metric_filter){"platform", "ios"};
  both.group_by = "build";
  compare(&both);
}

static void finish(const char *what) {
  fprintf(stderr, "test_ch_ga_metrics: %s: %zu answers compared, %zu different\n", what, asked,
          differing);
  size_t failed = differing;
  asked = differing = 0;
  if (failed) fail_msg("%zu answers of ClickHouse differ from SQLite's", failed);
}

static void daily_metrics_are_the_sqlite_ones(void **state) {
  (void)state;
  static const char *const metrics[] = {"dau", "wau", "mau", "new_users", "sessions",
                                        "avg_session_length", "sessions_per_user", "revenue",
                                        "paying_users", "arpdau", "arppu", "conversion"};
  for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
    for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++)
      every_slice(query(metrics[m], &ranges[r]), 1);
  finish("daily metrics");
}

static void retention_is_the_sqlite_one(void **state) {
  (void)state;
  for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
    every_slice(query("retention", &ranges[r]), 0);
  finish("retention");
}

typedef struct family_case {
  const char *metric, *measure, *by, *prefix, *steps;
} family_case;

static const family_case family_cases[] = {
    {"progression", NULL, NULL, NULL, NULL},
    {"progression", "completes", NULL, "World1", NULL},
    {"progression", "starts", NULL, NULL, NULL},
    {"progression", "fails", NULL, "World2", NULL},
    {"progression", "attempts", NULL, NULL, NULL},
    {"progression", "attempts", NULL, "World1:", NULL},
    {"progression", NULL, NULL, "World1:Level2", NULL},
    {"progression", NULL, NULL, "World2:Boss", NULL},
    {"progression", NULL, NULL, ":", NULL},
    {"progression", NULL, NULL, "Nope", NULL},
    {"progression", "bogus", NULL, NULL, NULL},
    {"progression", "starts", "currency", NULL, NULL},
    {"funnel", NULL, NULL, NULL, "World1:Level1,World1:Level2,World2"},
    {"funnel", "starts", NULL, NULL, "World2,World1:Level1"},
    {"funnel", "attempts", NULL, NULL, "World1:Level2,World1:Level1"},
    {"funnel", "fails", NULL, NULL, ",World1:Level2,World2:Boss:Phase1,"},
    {"funnel", NULL, NULL, NULL, "World1:,:Odd,Nope"},
    {"funnel", NULL, NULL, NULL, NULL},
    {"funnel", NULL, NULL, NULL, ""},
    {"resources", NULL, NULL, NULL, NULL},
    {"resources", "count", "item_type", NULL, NULL},
    {"resources", "sum", "item_id", NULL, NULL},
    {"resources", NULL, "currency", NULL, NULL},
    {"resources", "mean", NULL, NULL, NULL},
    {"resources", NULL, "bogus", NULL, NULL},
    {"design", NULL, NULL, NULL, NULL},
    {"design", "sum", NULL, "UI", NULL},
    {"design", "mean", NULL, "UI:", NULL},
    {"design", "min", NULL, "UI:Close", NULL},
    {"design", "max", NULL, "Tutorial", NULL},
    {"design", "count", NULL, "Level", NULL},
    {"design", "median", NULL, NULL, NULL},
    {"design", NULL, "severity", NULL, NULL},
    {"errors", NULL, NULL, NULL, NULL},
    {"errors", "count", "message", NULL, NULL},
    {"errors", NULL, "severity", NULL, NULL},
    {"errors", "sum", NULL, NULL, NULL},
    {"errors", NULL, "bogus", NULL, NULL},
    {"ads", NULL, NULL, NULL, NULL},
    {"ads", NULL, "network", NULL, NULL},
    {"ads", "count", "type", NULL, NULL},
    {"ads", NULL, "placement", NULL, NULL},
    {"ads", NULL, "action", NULL, NULL},
    {"ads", NULL, "bogus", NULL, NULL},
};

static void families_are_the_sqlite_ones(void **state) {
  (void)state;
  for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++)
    for (size_t c = 0; c < sizeof family_cases / sizeof *family_cases; c++) {
      const family_case *fc = &family_cases[c];
      ps_metric_query q = query(fc->metric, &ranges[r]);
      q.measure = fc->measure;
      q.by = fc->by;
      q.prefix = fc->prefix;
      q.steps = fc->steps;
      every_slice(q, 0);
    }
  finish("families");
}

static void refusals_are_the_sqlite_ones(void **state) {
  (void)state;
  range r = {0, NDAYS, 0};
  ps_metric_query q = query("dau", &r);
  q.nfilters = 2; /* two filters */
  q.filters[0] = (ps_metric_filter){"platform", "ios"};
  q.filters[1] = (ps_metric_filter){"build", "1.0"};
  compare(&q);
  q.nfilters = 1;
  q.filters[0] = (ps_metric_filter){"portal", "steam"}; /* not an event dimension */
  compare(&q);
  q.nfilters = 0;
  q.group_by = "portal";
  compare(&q);
  q.group_by = NULL;
  q.metric = "nonsense";
  compare(&q);
  q.metric = "dau";
  q.to_ms = q.from_ms; /* empty range */
  compare(&q);
  q = query("mau", &r); /* a range that does not start on a day */
  q.from_ms += 3600000;
  q.to_ms -= 3600000;
  compare(&q);
  finish("refusals");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(daily_metrics_are_the_sqlite_ones),
      cmocka_unit_test(retention_is_the_sqlite_one),
      cmocka_unit_test(families_are_the_sqlite_ones),
      cmocka_unit_test(refusals_are_the_sqlite_ones),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
