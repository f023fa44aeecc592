/* test_ch_lifecycle.c: the ClickHouse event store's part of the data lifecycle on a cluster of
 * two shards (store/clickhouse/scan.c, forget.c, retention.c):
 * - ranged scans of every kind visit exactly the records whose time lies in [from, to) (from
 *   included, to excluded), once each whatever their copies, in order, across pages; metrics
 *   sessions by the time they were over, sessions in play only in an unranged scan;
 * - forget_player: a game fed a data set of several players and days, and a second game fed
 *   the same records without one player's (the independent model), answer every GA and
 *   playtime metric alike once the player is forgotten from the first; the report counts what
 *   was removed, a second call removes nothing; an event of the player still in this node's
 *   spool at the call, and one acknowledged by another node and shipped after the deletion,
 *   are removed too (the latter by maintain()'s repetition); afterwards the player's id is in no
 *   row of any table of the database on any shard, nor in system.mutations, nor in the spool
 *   directory;
 * - drop_raw_before: the raw rows before the cut are gone (a whole month's partition dropped),
 *   those after it stay, and dau, wau, mau, new_users and retention of the dropped days
 *   answer as before (they read the rollups user_days and user_firsts);
 * - the upgrade from schema 2 fills user_firsts from the events already stored.
 *
 * Needs $PLAYSTAT_TEST_CH_HTTP (two servers) and $PLAYSTAT_TEST_CH_CLUSTER, as
 * tests/servers/run-with.sh --clickhouse 2 sets them; fails when they are not set. */
#include <dirent.h>
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

#include "common/clock.h"
#include "common/errors.h"
#include "store/clickhouse/client.h"
#include "store/store.h"
#include "../xorshift.h"

#define SEC 1000LL
#define MIN (60 * SEC)
#define DAY 86400000LL
#define TIMEOUT_MS (5 * MIN) /* the default session timeout */

/* ---- strings and records the test owns ---- */

static char *strings[200000];
static size_t nstrings;

static const char *keep(const char *fmt, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  assert_true(nstrings < sizeof strings / sizeof *strings);
  char *s = strdup(buf);
  assert_non_null(s);
  return strings[nstrings++] = s;
}

/* A batch of records with their parts (facts, msessions, so events) beside them. */
typedef struct batch {
  ps_record r[20000];
  ps_event_facts facts[20000];
  ps_msession_record m[20000];
  ps_so_event_record so[20000];
  size_t n;
} batch;

static ps_record *add(batch *b) {
  assert_true(b->n < 20000);
  size_t i = b->n++;
  memset(&b->r[i], 0, sizeof b->r[i]);
  memset(&b->facts[i], 0, sizeof b->facts[i]);
  memset(&b->m[i], 0, sizeof b->m[i]);
  memset(&b->so[i], 0, sizeof b->so[i]);
  return &b->r[i];
}

static ps_record *event(batch *b, int64_t game, const char *category, const char *user,
                        int64_t client_day, int64_t received_ms) {
  ps_record *r = add(b);
  ps_event_facts *f = &b->facts[b->n - 1];
  const char *body = keep("{\"category\":\"%s\",\"user_id\":\"%s\",\"n\":%zu}", category,
                          user ? user : "", nstrings);
  *r = (ps_record){.kind = PS_RECORD_EVENT, .game_id = game, .category = category,
                   .event_uuid = keep("%08zx-0000-4000-8000-%012zx", nstrings, b->n),
                   .client_ts = client_day * 86400 + 3600, .has_client_ts = 1, .user_id = user,
                   .session_id = user ? keep("s-%s", user) : NULL, .body = body,
                   .body_len = strlen(body), .facts = f, .received_ms = received_ms};
  f->client_ts_is_integer = 1;
  f->platform = "ios";
  f->build = "1.0";
  return r;
}

static ps_record *rejected(batch *b, int64_t game, const char *body, int64_t received_ms) {
  ps_record *r = add(b);
  *r = (ps_record){.kind = PS_RECORD_REJECTED, .game_id = game, .category = "business",
                   .body = body, .body_len = strlen(body), .errors_json = "[]",
                   .event_index = (int)(b->n % 7), .received_ms = received_ms};
  return r;
}

static void msession(batch *b, int64_t game, const char *id, const char *player,
                     ps_msession_rec_kind kind, int64_t ts, int64_t order) {
  ps_record *r = add(b);
  ps_msession_record *m = &b->m[b->n - 1];
  *m = (ps_msession_record){kind, id, player, keep("%s-n%lld", id, (long long)order), "windows",
                            "steam", kind == PS_MSESSION_REC_START ? "1,2" : NULL, ts, order};
  *r = (ps_record){.kind = PS_RECORD_MSESSION, .game_id = game, .msession = m,
                   .received_ms = ts + 500};
}

/* A session of player: start at t, heartbeats each minute, end after length (if ended). */
static void whole_session(batch *b, int64_t game, const char *id, const char *player, int64_t t,
                          int64_t length, int ended) {
  int64_t order = 1;
  msession(b, game, id, player, PS_MSESSION_REC_START, t, order++);
  for (int64_t h = t + MIN; h < t + length; h += MIN)
    msession(b, game, id, player, PS_MSESSION_REC_HEARTBEAT, h, order++);
  if (ended) msession(b, game, id, player, PS_MSESSION_REC_END, t + length, order++);
}

static void so_event(batch *b, const char *project, const char *session, const char *event_key,
                     int64_t received_ms) {
  ps_record *r = add(b);
  ps_so_event_record *e = &b->so[b->n - 1];
  const char *body = keep("{\"type\":\"match.created\",\"key\":\"%s\"}", event_key);
  *e = (ps_so_event_record){.session = {project, "production", session}, .type = "match.created",
                            .ts_ms = received_ms, .body = body, .body_len = strlen(body),
                            .salt = "", .event_key = event_key};
  *r = (ps_record){.kind = PS_RECORD_SO_EVENT, .so_event = e, .received_ms = received_ms};
}

/* ---- the store ---- */

static struct {
  ps_event_store *ch, *other_node;
  char dir[64], spool[128], other_spool[128], database[64];
  char servers[2][256];
  size_t nservers;
} the;

static void append(ps_event_store *s, batch *b) {
  for (size_t i = 0; i < b->n; i += 400) {
    ps_record_span span = {b->r + i, b->n - i < 400 ? b->n - i : 400};
    assert_int_equal(s->ops->append(s, &span, 1), PS_OK);
  }
}

static ps_event_store *open_store(const char *database, const char *spool) {
  const char *http = getenv("PLAYSTAT_TEST_CH_HTTP"), *cluster = getenv("PLAYSTAT_TEST_CH_CLUSTER");
  char url[1024];
  snprintf(url, sizeof url, "//%s/%s?cluster=%s&spool=%s", http, database, cluster, spool);
  ps_store_options options = {0};
  ps_event_store *s = NULL;
  if (ps_event_backend("clickhouse")->open(url, &options, &s) != PS_OK) return NULL;
  return s;
}

static int setup(void **state) {
  (void)state;
  const char *http = getenv("PLAYSTAT_TEST_CH_HTTP"), *cluster = getenv("PLAYSTAT_TEST_CH_CLUSTER");
  if (!http || !strchr(http, ',') || !cluster || !*cluster) {
    fprintf(stderr, "test_ch_lifecycle: PLAYSTAT_TEST_CH_HTTP (two servers) and "
                    "PLAYSTAT_TEST_CH_CLUSTER are not set: run it through "
                    "tests/servers/run-with.sh --clickhouse 2 -- (ctest unit/ch_lifecycle)\n");
    return -1;
  }
  for (const char *p = http; *p && the.nservers < 2;) {
    size_t n = strcspn(p, ",");
    snprintf(the.servers[the.nservers++], sizeof the.servers[0], "%.*s", (int)n, p);
    p += n;
    if (*p == ',') p++;
  }
  snprintf(the.dir, sizeof the.dir, "/tmp/playstat-chlife-XXXXXX");
  if (!mkdtemp(the.dir)) return -1;
  snprintf(the.spool, sizeof the.spool, "%s/spool", the.dir);
  snprintf(the.other_spool, sizeof the.other_spool, "%s/other", the.dir);
  snprintf(the.database, sizeof the.database, "t_life_%ld_%d", (long)time(NULL), (int)getpid());
  the.ch = open_store(the.database, the.spool);
  the.other_node = open_store(the.database, the.other_spool);
  return the.ch && the.other_node ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  if (the.ch) the.ch->ops->close(the.ch);
  if (the.other_node) the.other_node->ops->close(the.other_node);
  for (size_t i = 0; i < nstrings; i++) free(strings[i]);
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", the.dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Runs sql on server i; the answer into out (NUL-terminated, may be NULL). */
static void sql_on(size_t i, const char *sql, ps_buf *out) {
  ps_ch_server server = {0};
  char *colon = strrchr(the.servers[i], ':');
  snprintf(server.host, sizeof server.host, "%.*s", (int)(colon - the.servers[i]), the.servers[i]);
  server.port = atoi(colon + 1);
  snprintf(server.user, sizeof server.user, "default");
  char err[512] = "";
  int rc = ps_ch_exec(&server, sql, out, err, sizeof err, 0);
  if (rc != PS_OK) fail_msg("%s: %s", sql, err);
}

/* The number sql (printf-style) answers on server i. */
static int64_t sql_int_on(size_t i, const char *fmt, ...) {
  char sql[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(sql, sizeof sql, fmt, ap);
  va_end(ap);
  ps_buf out = {0};
  sql_on(i, sql, &out);
  int64_t v = out.data ? strtoll(out.data, NULL, 10) : 0;
  ps_buf_free(&out);
  return v;
}

/* ---- scans ---- */

typedef struct seen {
  int64_t n, first_ms, last_ms, out_of_order;
  int64_t ids[16];
  char keys[16][80];
} seen;

static int count_visit(const ps_scan_item *item, void *ctx) {
  seen *s = ctx;
  int64_t t = item->event      ? item->event->received_ms
              : item->so_event ? item->so_event->received_ms
                               : item->session->started_ms;
  if (s->n && t < s->last_ms) s->out_of_order++;
  if (!s->n) s->first_ms = t;
  s->last_ms = t;
  if (s->n < 16) {
    const char *key = item->event      ? item->event->body
                      : item->so_event ? item->so_event->event_key
                                       : item->session->session_id;
    snprintf(s->keys[s->n], sizeof s->keys[0], "%s", key);
  }
  s->n++;
  return 0;
}

static seen scan(ps_scan_kind kind, int64_t game, const char *category, int64_t from, int64_t to,
                 const char *project) {
  seen s = {0};
  ps_scan_query q = {.kind = kind, .game_id = game, .category = category, .from_ms = from,
                     .to_ms = to, .project_id = project};
  assert_int_equal(the.ch->ops->scan(the.ch, &q, count_visit, &s), PS_OK);
  assert_int_equal(s.out_of_order, 0);
  return s;
}

#define SCAN_GAME 801
#define T0 (20600 * DAY) /* 2026-05-26 */
#define NSCAN 11000

static batch big;

static void ranged_scans_visit_exactly_their_range(void **state) {
  (void)state;
  big.n = 0;
  /* events a second apart (two categories, some dated years away by a wrong clock), and a
   * later copy of every 55th one (a resend received again: stored once, at its first arrival) */
  for (int i = 0; i < NSCAN; i++) {
    event(&big, SCAN_GAME, i % 2 ? "design" : "progression", "u-scan", i % 97 ? 20600 : 11500,
          T0 + i * SEC);
  }
  /* rejected events a millisecond apart */
  for (int i = 0; i < 6; i++) rejected(&big, SCAN_GAME, keep("{\"bad\":%d}", i), T0 + i);
  /* multiplayer events of two projects, and a later copy of the first */
  for (int i = 0; i < 4; i++) so_event(&big, "p-scan", "match-1", keep("key-%d", i), T0 + i * SEC);
  so_event(&big, "p-other", "match-2", "key-x", T0 + SEC);
  so_event(&big, "p-scan", "match-1", "key-0", T0 + 10 * SEC);
  /* metrics sessions: ended (over at its end's arrival), timed out (over at its last request's
   * arrival + the timeout), in play now (in no ranged scan) */
  msession(&big, SCAN_GAME, "ended", "u-scan", PS_MSESSION_REC_START, T0, 1);
  msession(&big, SCAN_GAME, "ended", "u-scan", PS_MSESSION_REC_END, T0 + MIN, 2);
  msession(&big, SCAN_GAME, "timed-out", "u-scan", PS_MSESSION_REC_START, T0, 1);
  msession(&big, SCAN_GAME, "timed-out", "u-scan", PS_MSESSION_REC_HEARTBEAT, T0 + 30 * SEC, 2);
  int64_t now = ps_now_ms();
  msession(&big, SCAN_GAME, "in-play", "u-scan", PS_MSESSION_REC_START, now - 2000, 1);
  append(the.ch, &big);
  assert_int_equal(the.ch->ops->maintain(the.ch, now), PS_OK);
  /* the copies, shipped by the first scan: they sit in parts of their own */
  static batch copies;
  for (int i = 0; i < NSCAN; i += 55) {
    ps_record *copy = add(&copies);
    *copy = big.r[i];
    copies.facts[copies.n - 1] = big.facts[i];
    copy->facts = &copies.facts[copies.n - 1];
    copy->received_ms = T0 + 20000 * SEC + i;
  }
  append(the.ch, &copies);

  seen all = scan(PS_SCAN_EVENTS, SCAN_GAME, NULL, 0, 0, NULL);
  assert_int_equal(all.n, NSCAN);
  assert_true(all.first_ms == T0 && all.last_ms == T0 + (NSCAN - 1) * SEC);
  seen mid = scan(PS_SCAN_EVENTS, SCAN_GAME, NULL, T0 + 3000 * SEC, T0 + 9000 * SEC, NULL);
  assert_int_equal(mid.n, 6000); /* more than a page: paged */
  assert_true(mid.first_ms == T0 + 3000 * SEC && mid.last_ms == T0 + 8999 * SEC);
  seen design = scan(PS_SCAN_EVENTS, SCAN_GAME, "design", T0 + 3000 * SEC, T0 + 9000 * SEC, NULL);
  assert_int_equal(design.n, 3000);
  assert_true(design.first_ms == T0 + 3001 * SEC);
  seen one = scan(PS_SCAN_EVENTS, SCAN_GAME, NULL, T0 + 5 * SEC, T0 + 5 * SEC + 1, NULL);
  assert_int_equal(one.n, 1);
  seen copies_only = scan(PS_SCAN_EVENTS, SCAN_GAME, NULL, T0 + 15000 * SEC, T0 + 30000 * SEC, NULL);
  assert_int_equal(copies_only.n, 0);
  seen none = scan(PS_SCAN_EVENTS, SCAN_GAME + 1, NULL, 0, 0, NULL);
  assert_int_equal(none.n, 0);

  assert_int_equal(scan(PS_SCAN_REJECTED, SCAN_GAME, NULL, 0, 0, NULL).n, 6);
  seen rej = scan(PS_SCAN_REJECTED, SCAN_GAME, NULL, T0 + 1, T0 + 3, NULL);
  assert_int_equal(rej.n, 2);
  assert_string_equal(rej.keys[0], "{\"bad\":1}");
  assert_string_equal(rej.keys[1], "{\"bad\":2}");

  seen so_all = scan(PS_SCAN_SO_EVENTS, 0, NULL, 0, 0, "p-scan");
  assert_int_equal(so_all.n, 4);
  seen so_two = scan(PS_SCAN_SO_EVENTS, 0, NULL, T0, T0 + 2 * SEC, "p-scan");
  assert_int_equal(so_two.n, 2);
  assert_string_equal(so_two.keys[0], "key-0");
  assert_string_equal(so_two.keys[1], "key-1");
  assert_int_equal(scan(PS_SCAN_SO_EVENTS, 0, NULL, T0 + 5 * SEC, T0 + 60 * SEC, "p-scan").n, 0);
  assert_int_equal(scan(PS_SCAN_SO_EVENTS, 0, NULL, 0, 0, NULL).n, 5); /* every project */

  seen ms_all = scan(PS_SCAN_MSESSIONS, SCAN_GAME, NULL, 0, 0, NULL);
  assert_int_equal(ms_all.n, 3);
  int64_t ended_over = T0 + MIN + 500, timed_out_over = T0 + 30 * SEC + 500 + TIMEOUT_MS;
  seen ended = scan(PS_SCAN_MSESSIONS, SCAN_GAME, NULL, ended_over, ended_over + 1, NULL);
  assert_int_equal(ended.n, 1);
  assert_string_equal(ended.keys[0], "ended");
  assert_int_equal(scan(PS_SCAN_MSESSIONS, SCAN_GAME, NULL, ended_over + 1, timed_out_over, NULL).n, 0);
  seen timed = scan(PS_SCAN_MSESSIONS, SCAN_GAME, NULL, timed_out_over, timed_out_over + 1, NULL);
  assert_int_equal(timed.n, 1);
  assert_string_equal(timed.keys[0], "timed-out");
  seen settled = scan(PS_SCAN_MSESSIONS, SCAN_GAME, NULL, T0, now + DAY, NULL);
  assert_int_equal(settled.n, 2); /* not the one in play */
}

/* ---- forget_player ---- */

#define GAME_A 701 /* everyone */
#define GAME_B 702 /* everyone but the player: the model */
#define FD0 20500  /* 2026-02-15 */
#define FDAYS 10
static const char *const target = "u-target-7f3a";
static const char *const users[] = {"u-alpha-11", "u-bravo-22", "u-charlie-33", "u-target-7f3a",
                                    "u-delta-44", "u-echo-55"};
#define NUSERS_F 6

static batch data;
static int64_t target_events, target_rejected, target_sessions;

static const char *const cats[] = {"user", "session_end", "business", "progression", "design",
                                   "resource", "error", "ads"};

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static unsigned rnd(unsigned n) {
  return (unsigned)(xorshift64(&rng) % n);
}

/* The records of the data set for game (GAME_B: without the target's). */
static void make_data(batch *b, int64_t game) {
  rng = 0x2545f4914f6cdd1dULL; /* the same records for both games */
  for (int u = 0; u < NUSERS_F; u++) {
    const char *user = users[u];
    int skip = game == GAME_B && !strcmp(user, target);
    for (int d = u % 3; d < FDAYS; d++) {
      if (rnd(3) == 0) continue;
      int n = 1 + (int)rnd(6);
      for (int i = 0; i < n; i++) {
        const char *cat = i == 0 ? "user" : cats[rnd(8)];
        unsigned a = rnd(1000), c = rnd(3), v = rnd(50);
        if (skip) continue;
        event(b, game, cat, user, FD0 + d, (FD0 + d) * DAY + 3600 * SEC + i * SEC);
        ps_event_facts *f = &b->facts[b->n - 1];
        f->platform = u % 2 ? "ios" : "android";
        if (!strcmp(cat, "business")) {
          f->currency = c ? "USD" : "EUR";
          f->amount = 99 + a;
          f->has_amount = 1;
        } else if (!strcmp(cat, "session_end")) {
          f->length = 30 + a;
          f->has_length = 1;
        } else if (!strcmp(cat, "progression")) {
          f->event_id = c ? "Complete:World1:Level1" : "Start:World1:Level1";
          f->attempt_num = 1 + v % 3;
          f->has_attempt_num = 1;
        } else if (!strcmp(cat, "design") || !strcmp(cat, "resource")) {
          f->event_id = !strcmp(cat, "design") ? "UI:Open" : "Source:Gold:Reward";
          f->value = (double)v * 0.5;
          f->has_value = 1;
        } else if (!strcmp(cat, "error")) {
          f->severity = "error";
          f->message = "boom";
        } else if (!strcmp(cat, "ads")) {
          f->ad_action = "show";
          f->ad_sdk_name = "admob";
        }
        if (game == GAME_A && !strcmp(user, target)) target_events++;
      }
      /* a metrics session a day, and a rejected event naming the user */
      if (!skip) {
        whole_session(b, game, keep("ms-%lld-%d-%d", (long long)game, u, d), user,
                      (FD0 + d) * DAY + 7200 * SEC + u * MIN, (int64_t)(5 + rnd(30)) * MIN, d % 4 != 3);
        rejected(b, game, keep("{\"user_id\":\"%s\",\"amount\":\"x%d\"}", user, d),
                 (FD0 + d) * DAY + 4000 * SEC);
      } else {
        rnd(30);
      }
      if (game == GAME_A && !strcmp(user, target)) target_sessions++, target_rejected++;
    }
  }
  if (game == GAME_A) { /* the id in another member of a rejected event: removed too */
    rejected(b, game, keep("{\"session_id\":\"%s\",\"amount\":-1}", target), FD0 * DAY + 5);
    target_rejected++;
  }
}

static int compared, differing;

static void same_series(const char *what, const ps_metric_series *a, const ps_metric_series *b,
                        size_t n) {
  if (strcmp(a->key, b->key) || a->total != b->total ||
      memcmp(a->values, b->values, n * sizeof *a->values)) {
    if (differing++ < 20)
      fprintf(stderr, "DIFFERENT: %s '%s' / '%s': total %.17g / %.17g\n", what, a->key, b->key,
              a->total, b->total);
  }
}

/* q asked of GAME_A and GAME_B answers alike. */
static void same_answer(const char *what, ps_metric_query q) {
  ps_metric_result a, b;
  q.game_id = GAME_A;
  int ra = the.ch->ops->metric(the.ch, &q, &a);
  q.game_id = GAME_B;
  int rb = the.ch->ops->metric(the.ch, &q, &b);
  compared++;
  if (ra != rb || (ra == PS_OK && (a.nbuckets != b.nbuckets || a.ngroups != b.ngroups))) {
    if (differing++ < 20) fprintf(stderr, "DIFFERENT: %s: status or shape\n", what);
  } else if (ra == PS_OK) {
    same_series(what, &a.whole, &b.whole, a.nbuckets);
    for (size_t g = 0; g < a.ngroups; g++) same_series(what, &a.groups[g], &b.groups[g], a.nbuckets);
  }
  if (ra == PS_OK) ps_metric_result_free(&a);
  if (rb == PS_OK) ps_metric_result_free(&b);
}

/* Every GA and playtime metric of the data set's days, whole and grouped by platform. */
static int every_metric_alike(void) {
  compared = differing = 0;
  static const char *const ga[] = {"dau", "wau", "mau", "new_users", "sessions",
                                   "avg_session_length", "sessions_per_user", "revenue",
                                   "paying_users", "arpdau", "arppu", "conversion", "retention",
                                   "progression", "funnel", "resources", "design", "errors", "ads"};
  static const char *const playtime[] = {"ccu", "concurrent_ugc", "total_players", "sessions",
                                         "avg_playtime", "avg_ugc_per_session",
                                         "session_length_histogram", "top_mods"};
  const char *groups[] = {NULL, "platform"};
  for (size_t m = 0; m < sizeof ga / sizeof *ga; m++)
    for (int g = 0; g < 2; g++) {
      ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = ga[m],
                           .from_ms = (FD0 - 2) * DAY, .to_ms = (FD0 + FDAYS + 2) * DAY,
                           .interval_ms = DAY, .now_ms = (FD0 + FDAYS + 3) * DAY,
                           .group_by = groups[g]};
      if (!strcmp(ga[m], "funnel")) q.steps = "World1:Level1";
      same_answer(ga[m], q);
    }
  for (size_t m = 0; m < sizeof playtime / sizeof *playtime; m++)
    for (int g = 0; g < 2; g++) {
      ps_metric_query q = {.source = PS_SOURCE_PLAYTIME, .metric = playtime[m],
                           .from_ms = FD0 * DAY, .to_ms = (FD0 + FDAYS) * DAY,
                           .interval_ms = DAY, .now_ms = (FD0 + FDAYS + 3) * DAY,
                           .group_by = groups[g]};
      int own_groups = !strcmp(playtime[m], "top_mods") ||
                       !strcmp(playtime[m], "session_length_histogram");
      if (own_groups && g) continue;
      same_answer(playtime[m], q);
    }
  fprintf(stderr, "test_ch_lifecycle: %d answers compared, %d different\n", compared, differing);
  return differing;
}

/* The number of rows, on any shard, of any table of the database or of its mutations, whose
 * text holds needle. */
static int64_t rows_naming(const char *needle) {
  int64_t found = 0;
  for (size_t i = 0; i < the.nservers; i++) {
    char sql[512];
    ps_buf tables = {0};
    snprintf(sql, sizeof sql,
             "SELECT name FROM system.tables WHERE database = '%s' AND engine NOT LIKE "
             "'MaterializedView' ORDER BY name",
             the.database);
    sql_on(i, sql, &tables);
    for (char *name = tables.data, *end; name && *name; name = end + 1) {
      end = strchr(name, '\n');
      if (!end) break;
      *end = '\0';
      ps_buf rows = {0};
      snprintf(sql, sizeof sql, "SELECT * FROM %s.%s FORMAT TabSeparated", the.database, name);
      sql_on(i, sql, &rows);
      for (char *r = rows.data, *e; r && *r; r = e + 1) {
        e = strchr(r, '\n');
        if (!e) break;
        *e = '\0';
        if (strstr(r, needle)) found++;
      }
      ps_buf_free(&rows);
    }
    ps_buf_free(&tables);
    ps_buf muts = {0};
    snprintf(sql, sizeof sql, "SELECT * FROM system.mutations WHERE database = '%s'", the.database);
    sql_on(i, sql, &muts);
    if (muts.data && strstr(muts.data, needle)) found++;
    ps_buf_free(&muts);
  }
  return found;
}

/* Files of dir holding needle (or named forget-*.job when journal is set). */
static int files_naming(const char *dir, const char *needle, int journal) {
  DIR *d = opendir(dir);
  if (!d) return 0;
  int found = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    if (journal) {
      found += strncmp(e->d_name, "forget-", 7) == 0;
      continue;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t k = 0; k + strlen(needle) <= n; k++)
      if (memcmp(buf + k, needle, strlen(needle)) == 0) {
        found++;
        break;
      }
  }
  closedir(d);
  return found;
}

static void forget_player_answers_as_the_model(void **state) {
  (void)state;
  data.n = 0;
  make_data(&data, GAME_A);
  make_data(&data, GAME_B);
  append(the.ch, &data);
  assert_int_equal(the.ch->ops->maintain(the.ch, ps_now_ms()), PS_OK);
  fprintf(stderr, "test_ch_lifecycle: the target has %lld events, %lld sessions, %lld rejected\n",
          (long long)target_events, (long long)target_sessions, (long long)target_rejected);
  assert_true(target_events > 10 && target_sessions > 3);
  /* before: the games differ (the model is without the player) */
  assert_true(every_metric_alike() > 0);

  /* one more event of the player still in this node's spool at the call, and one acknowledged
   * by another node that ships only after the deletion */
  batch *late = calloc(1, sizeof *late);
  assert_non_null(late);
  event(late, GAME_A, "design", target, FD0 + 4, (FD0 + 4) * DAY + 9 * 3600 * SEC);
  append(the.ch, late);
  late->n = 0;
  event(late, GAME_A, "business", target, FD0 + 5, (FD0 + 5) * DAY + 9 * 3600 * SEC);
  append(the.other_node, late);
  free(late);

  ps_forget_report report = {-1, -1, -1};
  assert_int_equal(the.ch->ops->forget_player(the.ch, GAME_A, target, &report), PS_OK);
  assert_int_equal(report.events, target_events + 1);
  assert_int_equal(report.rejected, target_rejected);
  assert_int_equal(report.msessions, target_sessions);
  assert_int_equal(every_metric_alike(), 0);
  assert_int_equal(files_naming(the.spool, "", 1), 1); /* journalled for the repetition */

  ps_forget_report again = {-1, -1, -1};
  assert_int_equal(the.ch->ops->forget_player(the.ch, GAME_A, target, &again), PS_OK);
  assert_true(again.events == 0 && again.rejected == 0 && again.msessions == 0);

  /* the other node ships the event it acknowledged: back until the repetition */
  assert_int_equal(the.other_node->ops->maintain(the.other_node, ps_now_ms()), PS_OK);
  assert_int_equal(sql_int_on(0, "SELECT count() FROM %s.events WHERE user_id = '%s'", the.database,
                           target), 1);
  assert_int_equal(the.ch->ops->maintain(the.ch, ps_now_ms()), PS_OK); /* not due yet */
  assert_int_equal(sql_int_on(0, "SELECT count() FROM %s.events WHERE user_id = '%s'", the.database,
                           target), 1);
  assert_int_equal(the.ch->ops->maintain(the.ch, ps_now_ms() + 61 * SEC), PS_OK);
  assert_int_equal(sql_int_on(0, "SELECT count() FROM %s.events WHERE user_id = '%s'", the.database,
                           target), 0);
  assert_int_equal(every_metric_alike(), 0);
  assert_int_equal(files_naming(the.spool, "", 1), 0); /* the journal is gone */

  /* nothing names the player: no row of any table on any shard, no mutation, no spool file */
  assert_int_equal(rows_naming(target), 0);
  assert_true(rows_naming("u-alpha-11") > 0); /* the search finds what is there */
  assert_int_equal(files_naming(the.spool, target, 0), 0);
  assert_int_equal(files_naming(the.other_spool, target, 0), 0);
}

/* ---- drop_raw_before ---- */

#define GAME_R 901
#define RD0 20440 /* 2025-12-18: the data spans December and January */
#define RDAYS 40
#define CUT_DAY 20460 /* 2026-01-07 */

static batch old;

/* a and b are the same answer: buckets, groups (retention: one per cohort), values, totals. */
static void same_result(const char *metric, const ps_metric_result *a, const ps_metric_result *b) {
  fprintf(stderr, "test_ch_lifecycle: %s: total %g, %zu groups\n", metric, a->whole.total,
          a->ngroups);
  assert_true(a->whole.total > 0 || a->ngroups > 0);
  assert_int_equal(a->nbuckets, b->nbuckets);
  assert_int_equal(a->ngroups, b->ngroups);
  assert_true(a->whole.total == b->whole.total);
  assert_memory_equal(a->whole.values, b->whole.values, a->nbuckets * sizeof *a->whole.values);
  for (size_t g = 0; g < a->ngroups; g++) {
    assert_string_equal(a->groups[g].key, b->groups[g].key);
    assert_true(a->groups[g].total == b->groups[g].total);
    assert_memory_equal(a->groups[g].values, b->groups[g].values,
                        a->nbuckets * sizeof *a->groups[g].values);
  }
}

static void distinct_users(const char *metric, ps_metric_result *out) {
  ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = metric, .game_id = GAME_R,
                       .from_ms = RD0 * DAY, .to_ms = (RD0 + RDAYS) * DAY, .interval_ms = DAY,
                       .now_ms = (RD0 + RDAYS + 1) * DAY};
  assert_int_equal(the.ch->ops->metric(the.ch, &q, out), PS_OK);
}

static void drop_raw_before_keeps_the_user_figures(void **state) {
  (void)state;
  old.n = 0;
  int64_t events_after = 0, rejected_after = 0, sessions_after = 0, sessions = 0;
  for (int d = 0; d < RDAYS; d++)
    for (int u = 0; u < 5; u++) {
      if ((d + u) % 3 == 0) continue;
      const char *user = keep("r-user-%d", u);
      int64_t at = (RD0 + d) * DAY + 3600 * SEC + u * MIN;
      event(&old, GAME_R, "user", user, RD0 + d, at);
      event(&old, GAME_R, "design", user, RD0 + d, at + SEC);
      events_after += 2 * (RD0 + d >= CUT_DAY);
      if (u == 0) {
        rejected(&old, GAME_R, keep("{\"day\":%d}", d), at);
        rejected_after += RD0 + d >= CUT_DAY;
        whole_session(&old, GAME_R, keep("r-ms-%d", d), user, at, 10 * MIN, 1);
        sessions_after += RD0 + d >= CUT_DAY;
        sessions++;
      }
    }
  append(the.ch, &old);
  assert_int_equal(the.ch->ops->maintain(the.ch, ps_now_ms()), PS_OK);
  static const char *const kept[] = {"dau", "wau", "mau", "new_users", "retention"};
  enum { NKEPT = sizeof kept / sizeof *kept };
  ps_metric_result before[NKEPT], after[NKEPT];
  for (int m = 0; m < NKEPT; m++) distinct_users(kept[m], &before[m]);
  assert_true(before[0].whole.total > 0);
  int64_t all_events = scan(PS_SCAN_EVENTS, GAME_R, NULL, 0, 0, NULL).n;

  int64_t dropped = 0;
  assert_int_equal(the.ch->ops->drop_raw_before(the.ch, PS_RAW_EVENTS, CUT_DAY * DAY, &dropped),
                   PS_OK);
  assert_true(dropped >= all_events - events_after);
  seen ev = scan(PS_SCAN_EVENTS, GAME_R, NULL, 0, 0, NULL);
  assert_int_equal(ev.n, events_after);
  assert_true(ev.first_ms >= CUT_DAY * DAY);
  seen rej = scan(PS_SCAN_REJECTED, GAME_R, NULL, 0, 0, NULL);
  assert_int_equal(rej.n, rejected_after);
  assert_true(rej.first_ms >= CUT_DAY * DAY);
  /* December (every row arrived before the cut) went as a whole partition */
  for (size_t i = 0; i < the.nservers; i++)
    assert_int_equal(sql_int_on(i, "SELECT count() FROM system.parts WHERE active AND database ="
                                   " '%s' AND table IN ('events_local', 'rejected_local') AND"
                                   " partition = '202512'",
                                the.database),
                     0);
  /* other games' later rows stay */
  assert_int_equal(scan(PS_SCAN_EVENTS, SCAN_GAME, NULL, 0, 0, NULL).n, NSCAN);

  for (int m = 0; m < NKEPT; m++) {
    distinct_users(kept[m], &after[m]);
    same_result(kept[m], &before[m], &after[m]);
    ps_metric_result_free(&before[m]);
    ps_metric_result_free(&after[m]);
  }

  assert_int_equal(scan(PS_SCAN_MSESSIONS, GAME_R, NULL, 0, 0, NULL).n, sessions);
  dropped = 0;
  assert_int_equal(
      the.ch->ops->drop_raw_before(the.ch, PS_RAW_MSESSIONS, CUT_DAY * DAY, &dropped), PS_OK);
  assert_true(dropped > 0);
  seen ms = scan(PS_SCAN_MSESSIONS, GAME_R, NULL, 0, 0, NULL);
  assert_int_equal(ms.n, sessions_after);
  assert_true(ms.first_ms >= CUT_DAY * DAY);
  /* whole sessions: the ones kept still have their start and end */
  assert_int_equal(sql_int_on(0, "SELECT count() FROM %s.msession_requests WHERE game_id = %d AND kind = 0",
                           the.database, GAME_R), sessions_after);
  assert_int_equal(sql_int_on(0, "SELECT count() FROM %s.msession_requests WHERE game_id = %d AND kind = 2",
                           the.database, GAME_R), sessions_after);
}

/* ---- the upgrade from schema 2 ---- */

static void new_users_of(ps_event_store *s, ps_metric_result *out) {
  ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = "new_users", .game_id = 77,
                       .from_ms = 20500 * DAY, .to_ms = 20510 * DAY, .interval_ms = DAY,
                       .group_by = "platform"};
  assert_int_equal(s->ops->metric(s, &q, out), PS_OK);
}

static void the_upgrade_from_schema_2_fills_user_firsts(void **state) {
  (void)state;
  char database[80], spool[160];
  snprintf(database, sizeof database, "%s_up", the.database);
  snprintf(spool, sizeof spool, "%s/up-spool", the.dir);
  ps_event_store *s = open_store(database, spool);
  assert_non_null(s);
  static batch b;
  b.n = 0;
  for (int u = 0; u < 8; u++)
    for (int d = u % 4; d < 10; d += 2) {
      event(&b, 77, "user", keep("up-%d", u), 20500 + d, (20500 + d) * DAY + u * SEC);
      b.facts[b.n - 1].platform = u % 3 ? "ios" : "android";
    }
  append(s, &b);
  assert_int_equal(s->ops->maintain(s, ps_now_ms()), PS_OK);
  ps_metric_result before, after;
  new_users_of(s, &before);
  s->ops->close(s);
  /* back to what schema 2 had: no user_firsts, version 2 */
  for (size_t i = 0; i < the.nservers; i++) {
    static const char *const steps[] = {
        "DROP TABLE %s.user_firsts_mv", "DROP TABLE %s.user_firsts",
        "DROP TABLE %s.user_firsts_local", "DROP TABLE %s.playstat_schema",
        "CREATE TABLE %s.playstat_schema (version UInt32) ENGINE = TinyLog",
        "INSERT INTO %s.playstat_schema VALUES (2)"};
    for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
      char sql[256];
      snprintf(sql, sizeof sql, steps[k], database);
      sql_on(i, sql, NULL);
    }
  }
  s = open_store(database, spool); /* upgrades */
  assert_non_null(s);
  new_users_of(s, &after);
  same_result("new_users after the upgrade", &before, &after);
  ps_metric_result_free(&before);
  ps_metric_result_free(&after);
  s->ops->close(s);
  for (size_t i = 0; i < the.nservers; i++) {
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE %s", database);
    sql_on(i, sql, NULL);
  }
}

int main(void) {
  setenv("PLAYSTAT_CH_SCAN_PAGE", "5000", 1); /* pages of 5,000: the scans below cross pages */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ranged_scans_visit_exactly_their_range),
      cmocka_unit_test(forget_player_answers_as_the_model),
      cmocka_unit_test(drop_raw_before_keeps_the_user_figures),
      cmocka_unit_test(the_upgrade_from_schema_2_fills_user_firsts),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
