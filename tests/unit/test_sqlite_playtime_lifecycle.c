/* test_sqlite_playtime_lifecycle.c: the SQLite event store's data lifecycle for metrics
 * sessions and multiplayer session events (store/sqlite/lifecycle.h, events.h):
 *
 * - deleting a player: random sessions of several players over three days go to game A, the
 *   same sessions without one player's to game B (the independent model: a game that player
 *   never played). After maintain() settles the rollups, the player is deleted from A; then
 *   every playtime metric (minute, hour and day buckets, platform / portal filters, group_by)
 *   and live() answer for A exactly as for B. A second deletion removes nothing; a rollup write
 *   computed before the deletion is refused; the player's id is in no file of the data
 *   directory once the stores are closed (the state store's part included: state.c's
 *   msession_forget_player).
 * - retention of metrics sessions: the rollup-backed answers keep their figures;
 * - ranged scans of metrics sessions by the time they were over (the end's arrival, or the last
 *   request plus the timeout; boundaries half-open; sessions in play left out), and of
 *   multiplayer session events by arrival, with received_ms.
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "common/clock.h"
#include "common/errors.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/lifecycle.h"
#include "store/store.h"

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
#define T0 (20000 * DAY)
#define NOW (T0 + 2 * DAY + 22 * HOUR)
#define TIMEOUT (5 * MIN)
#define RECEIVED_LAG 250 /* a request arrives this long after its session_ts */

static const char VICTIM[] = "victim-5e1f0c7a9b";

/* ---- a store in a fresh directory ---- */

typedef struct fixture {
  char dir[64];
  ps_stores s;
  sqlite_store *events;
} fixture;

static void open_stores(fixture *f) {
  char url[128];
  snprintf(url, sizeof url, "sqlite:%s", f->dir);
  ps_store_options o = {.msession_timeout_ms = TIMEOUT, .msession_window_ms = 15 * MIN};
  const char *why = NULL;
  int rc = ps_stores_open(url, NULL, &o, &f->s, &why);
  if (rc != PS_OK) fail_msg("ps_stores_open: %s (%s)", ps_strerror(rc), why ? why : "");
  f->events = (sqlite_store *)f->s.events;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  assert_non_null(f);
  snprintf(f->dir, sizeof f->dir, "/tmp/playstat-lifecycle-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  open_stores(f);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  ps_stores_close(&f->s);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  int rc = system(cmd);
  free(f);
  return rc;
}

/* ---- random sessions ---- */

static uint64_t rng = 7;
static int64_t rnd(int64_t n) {
  rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (int64_t)((rng >> 33) % (uint64_t)n);
}

typedef struct gen_session {
  char id[32], player[32], mods[32];
  const char *platform, *portal;
  int64_t start, end; /* session_ts of the start and of the last request */
  int ended;          /* the last request is an end (else it timed out, or is in play) */
} gen_session;

#define NSESSIONS 150
static gen_session sessions[NSESSIONS];
static int victim_sessions;

static void make_sessions(void) {
  static const char *const platforms[] = {"windows", "ps5", "android"};
  static const char *const portals[] = {"steam", "none", "epicgames"};
  victim_sessions = 0;
  for (int i = 0; i < NSESSIONS; i++) {
    gen_session *g = &sessions[i];
    snprintf(g->id, sizeof g->id, "s%03d", i);
    /* The player plays often, with others, and is in play at NOW (sessions 0 and 1). */
    int victim = i < 2 || rnd(5) == 0;
    if (victim) snprintf(g->player, sizeof g->player, "%s", VICTIM);
    else snprintf(g->player, sizeof g->player, "p%d", (int)rnd(7));
    victim_sessions += victim;
    g->platform = platforms[rnd(3)];
    g->portal = portals[rnd(3)];
    size_t len = 0;
    g->mods[0] = '\0';
    for (int m = 1; m <= 6; m++)
      if (rnd(3) == 0)
        len += (size_t)snprintf(g->mods + len, sizeof g->mods - len, "%s%d", len ? "," : "", m);
    if (i < 4) { /* in play at NOW: heard of a minute ago */
      g->start = NOW - 10 * MIN - rnd(3 * HOUR);
      g->end = NOW - MIN;
      g->ended = 0;
      continue;
    }
    g->start = T0 + rnd(2 * DAY + 21 * HOUR);
    g->end = rnd(10) == 0 ? g->start : g->start + rnd(4 * HOUR); /* some zero-length */
    if (g->end > NOW - 10 * MIN) g->end = NOW - 10 * MIN;
    if (g->start > g->end) g->start = g->end;
    g->ended = rnd(4) != 0;
  }
}

/* The requests of one session: a start, a heartbeat every 20 minutes, then an end or a last
 * heartbeat at its end. */
typedef struct requests {
  ps_msession_record m[32];
  char nonce[32][48];
  ps_record r[32];
  size_t n;
} requests;

static void add_request(requests *q, int64_t game, const gen_session *g, ps_msession_rec_kind kind,
                        int64_t ts) {
  assert_true(q->n < 32);
  size_t k = q->n++;
  snprintf(q->nonce[k], sizeof q->nonce[k], "%s-n%zu", g->id, k);
  q->m[k] = (ps_msession_record){kind, g->id, g->player, q->nonce[k], g->platform, g->portal,
                                 kind == PS_MSESSION_REC_START ? g->mods : NULL, ts,
                                 (int64_t)k + 1};
  q->r[k] = (ps_record){.kind = PS_RECORD_MSESSION, .game_id = game,
                        .received_ms = ts + RECEIVED_LAG, .msession = &q->m[k]};
}

static void store_session(fixture *f, int64_t game, const gen_session *g) {
  requests q = {.n = 0};
  add_request(&q, game, g, PS_MSESSION_REC_START, g->start);
  for (int64_t t = g->start + 20 * MIN; t < g->end && q.n < 30; t += 20 * MIN)
    add_request(&q, game, g, PS_MSESSION_REC_HEARTBEAT, t);
  if (g->end > g->start || g->ended)
    add_request(&q, game, g, g->ended ? PS_MSESSION_REC_END : PS_MSESSION_REC_HEARTBEAT, g->end);
  ps_record_span span = {q.r, q.n};
  assert_int_equal(ps_stores_commit(&f->s, &span, 1), PS_OK);
}

/* Game a gets every session, game b all but the victim's. */
static void store_games(fixture *f, int64_t a, int64_t b) {
  make_sessions();
  for (int i = 0; i < NSESSIONS; i++) {
    store_session(f, a, &sessions[i]);
    if (strcmp(sessions[i].player, VICTIM) != 0) store_session(f, b, &sessions[i]);
  }
}

/* ---- the questions ---- */

static const char *const metrics[] = {"ccu", "concurrent_ugc", "total_players", "sessions",
                                      "avg_playtime", "avg_ugc_per_session",
                                      "session_length_histogram", "top_mods"};
typedef struct range {
  int64_t from, to, interval;
} range;
static const range ranges[] = {
    {T0, T0 + 3 * DAY, DAY},        /* day rows and the live tail */
    {T0, T0 + 3 * DAY, HOUR},       /* hour rows and the live tail */
    {T0, T0 + 3 * DAY, 15 * MIN},   /* from sessions (peaks: per-minute rows) */
    {T0 + DAY, T0 + 2 * DAY, MIN},  /* minutes */
};
typedef struct dims {
  const char *platform, *portal, *group_by;
} dims;
static const dims dim_cases[] = {
    {NULL, NULL, NULL},      {"windows", NULL, NULL},    {NULL, "steam", NULL},
    {"windows", "steam", NULL}, {NULL, NULL, "platform"}, {NULL, NULL, "portal"},
    {NULL, "steam", "platform"}, {"ps5", NULL, NULL},
};
#define NQUESTIONS                                                                          \
  (sizeof metrics / sizeof *metrics * (sizeof ranges / sizeof *ranges) *                    \
   (sizeof dim_cases / sizeof *dim_cases))

static ps_metric_query question(size_t i, int64_t game) {
  size_t nd = sizeof dim_cases / sizeof *dim_cases, nr = sizeof ranges / sizeof *ranges;
  const dims *d = &dim_cases[i % nd];
  const range *r = &ranges[(i / nd) % nr];
  ps_metric_query q = {.source = PS_SOURCE_PLAYTIME, .metric = metrics[i / nd / nr],
                       .game_id = game, .from_ms = r->from, .to_ms = r->to,
                       .interval_ms = r->interval, .group_by = d->group_by, .now_ms = NOW};
  if (d->platform) q.filters[q.nfilters++] = (ps_metric_filter){"platform", d->platform};
  if (d->portal) q.filters[q.nfilters++] = (ps_metric_filter){"portal", d->portal};
  return q;
}

static int answer(fixture *f, const ps_metric_query *q, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  return f->s.events->ops->metric(f->s.events, q, out);
}

/* Whether two answers are the same (what differs into why, when not). */
static int same_result(const ps_metric_result *a, const ps_metric_result *b, char *why,
                       size_t cap) {
  if (a->nbuckets != b->nbuckets || a->ngroups != b->ngroups) {
    snprintf(why, cap, "%zu buckets / %zu groups vs %zu / %zu", a->nbuckets, a->ngroups,
             b->nbuckets, b->ngroups);
    return 0;
  }
  for (size_t g = 0; g <= a->ngroups; g++) {
    const ps_metric_series *x = g ? &a->groups[g - 1] : &a->whole;
    const ps_metric_series *y = g ? &b->groups[g - 1] : &b->whole;
    if (strcmp(x->key, y->key) != 0) {
      snprintf(why, cap, "group %s vs %s", x->key, y->key);
      return 0;
    }
    if (x->total != y->total) {
      snprintf(why, cap, "group '%s': total %.17g vs %.17g", x->key, x->total, y->total);
      return 0;
    }
    for (size_t i = 0; i < a->nbuckets; i++)
      if (x->values[i] != y->values[i]) {
        snprintf(why, cap, "group '%s' bucket %zu: %.17g vs %.17g", x->key, i, x->values[i],
                 y->values[i]);
        return 0;
      }
  }
  return 1;
}

static void describe(const ps_metric_query *q, char *out, size_t cap) {
  snprintf(out, cap, "%s [%lld, %lld) by %lld ms, %s%s%s%s group_by %s", q->metric,
           (long long)q->from_ms, (long long)q->to_ms, (long long)q->interval_ms,
           q->nfilters ? q->filters[0].dimension : "", q->nfilters ? "=" : "",
           q->nfilters ? q->filters[0].value : "", q->nfilters > 1 ? " and portal" : "",
           q->group_by ? q->group_by : "-");
}

/* Every question asked of games a and b: the number that answer differently (each answer
 * must be given for both or refused for both). *answered: how many both answered. */
static size_t count_differences(fixture *f, int64_t a, int64_t b, int report, size_t *answered) {
  size_t differ = 0;
  *answered = 0;
  for (size_t i = 0; i < NQUESTIONS; i++) {
    ps_metric_query qa = question(i, a), qb = question(i, b);
    ps_metric_result ra, rb;
    int rca = answer(f, &qa, &ra), rcb = answer(f, &qb, &rb);
    char what[256], why[400];
    describe(&qa, what, sizeof what);
    if (rca != rcb) fail_msg("%s: %s vs %s", what, ps_strerror(rca), ps_strerror(rcb));
    if (rca == PS_OK) {
      (*answered)++;
      if (!same_result(&ra, &rb, why, sizeof why)) {
        differ++;
        if (report) print_error("%s: %s\n", what, why);
      }
    }
    ps_metric_result_free(&ra);
    ps_metric_result_free(&rb);
  }
  return differ;
}

/* ---- files ---- */

/* How many files of dir hold needle (every byte of every file read). */
static int files_holding(const char *dir, const char *needle) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int holding = 0;
  size_t nlen = strlen(needle);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *file = fopen(path, "rb");
    if (!file) continue;
    char *bytes = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0) {
      if (len + got > cap) {
        cap = (len + got) * 2;
        bytes = realloc(bytes, cap);
        assert_non_null(bytes);
      }
      memcpy(bytes + len, chunk, got);
      len += got;
    }
    fclose(file);
    for (size_t i = 0; i + nlen <= len; i++)
      if (memcmp(bytes + i, needle, nlen) == 0) {
        holding++;
        break;
      }
    free(bytes);
  }
  closedir(d);
  return holding;
}

/* ---- scans ---- */

typedef struct listed {
  int n;
  char id[NSESSIONS + 16][32];
  int64_t started[NSESSIONS + 16];
  int victim; /* sessions of the victim listed */
} listed;

static int list_session(const ps_scan_item *item, void *ctx) {
  listed *l = ctx;
  assert_non_null(item->session);
  assert_true(l->n < NSESSIONS + 16);
  snprintf(l->id[l->n], sizeof l->id[0], "%s", item->session->session_id);
  l->started[l->n] = item->session->started_ms;
  l->victim += strcmp(item->session->player, VICTIM) == 0;
  l->n++;
  return 0;
}

static listed scan_sessions(fixture *f, int64_t game, int64_t from, int64_t to) {
  listed l = {0};
  ps_scan_query q = {.kind = PS_SCAN_MSESSIONS, .game_id = game, .from_ms = from, .to_ms = to};
  assert_int_equal(f->s.events->ops->scan(f->s.events, &q, list_session, &l), PS_OK);
  for (int i = 1; i < l.n; i++) assert_true(l.started[i - 1] <= l.started[i]); /* oldest first */
  return l;
}

static int is_listed(const listed *l, const char *id) {
  for (int i = 0; i < l->n; i++)
    if (strcmp(l->id[i], id) == 0) return 1;
  return 0;
}

/* ---- deleting a player ---- */

static void deleting_a_player_answers_as_if_they_never_played(void **state) {
  fixture *f = *state;
  const int64_t a = 101, b = 102;
  store_games(f, a, b);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, NOW), PS_OK);
  int64_t settled = 0;
  assert_int_equal(ps_sqlite_playtime_settled(f->events, a, &settled), PS_OK);
  assert_true(settled > T0 + 2 * DAY); /* the rollups hold two days and more */

  /* Before: the two games differ (the comparison below is not empty). */
  size_t answered = 0;
  size_t before = count_differences(f, a, b, 0, &answered);
  assert_true(before > answered / 2);
  assert_true(files_holding(f->dir, VICTIM) > 0);
  int64_t epoch_before = 0;
  assert_int_equal(ps_sqlite_playtime_epoch(f->events, a, &epoch_before), PS_OK);

  int64_t removed = -1;
  assert_int_equal(ps_sqlite_playtime_forget(f->events, a, VICTIM, &removed), PS_OK);
  assert_int_equal(removed, victim_sessions);
  assert_int_equal(count_differences(f, a, b, 1, &answered), 0);
  assert_true(answered >= NQUESTIONS / 2);
  ps_live la, lb;
  assert_int_equal(f->s.events->ops->live(f->s.events, a, NOW, &la), PS_OK);
  assert_int_equal(f->s.events->ops->live(f->s.events, b, NOW, &lb), PS_OK);
  assert_true(la.ccu == lb.ccu && la.concurrent_ugc == lb.concurrent_ugc);
  assert_true(la.ccu > 0);
  listed all = scan_sessions(f, a, 0, 0);
  assert_int_equal(all.victim, 0);
  assert_int_equal(all.n, NSESSIONS - victim_sessions);

  /* Idempotent: nothing more to remove, and the answers stay. */
  assert_int_equal(ps_sqlite_playtime_forget(f->events, a, VICTIM, &removed), PS_OK);
  assert_int_equal(removed, 0);

  /* A rollup pass that loaded its sessions before the deletion cannot write what it computed. */
  int64_t mark = 0;
  assert_int_equal(ps_sqlite_playtime_settled(f->events, a, &mark), PS_OK);
  assert_int_equal(ps_sqlite_playtime_write(f->events, a, NULL, 0, mark + HOUR, epoch_before),
                   PS_EEXPIRED);
  assert_int_equal(ps_sqlite_rollup_write(f->events, a, NULL, 0, mark + HOUR, epoch_before),
                   PS_EEXPIRED);
  assert_int_equal(ps_sqlite_playtime_settled(f->events, a, &settled), PS_OK);
  assert_true(settled == mark);

  /* Later passes go on without the player. */
  assert_int_equal(f->s.events->ops->maintain(f->s.events, NOW + 10 * MIN), PS_OK);
  assert_int_equal(count_differences(f, a, b, 1, &answered), 0);

  /* The state store's part, then no file of the directory holds the id. */
  assert_int_equal(f->s.state->ops->msession_forget_player(f->s.state, a, VICTIM), PS_OK);
  ps_stores_close(&f->s);
  assert_int_equal(files_holding(f->dir, VICTIM), 0);
  assert_true(files_holding(f->dir, "p3") > 0); /* the search finds what is there */
  open_stores(f);
  assert_int_equal(count_differences(f, a, b, 1, &answered), 0);
}

/* A crash right after the deletion's first transaction (sessions gone, days listed, epoch
 * bumped: written here on a connection of the test's own) is finished by the upkeep. */
static void a_deletion_cut_short_is_finished_by_the_upkeep(void **state) {
  fixture *f = *state;
  const int64_t a = 111, b = 112;
  store_games(f, a, b);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, NOW), PS_OK);
  char path[128], sql[768];
  snprintf(path, sizeof path, "%s/playstat.db", f->dir);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  snprintf(sql, sizeof sql,
           "BEGIN IMMEDIATE;"
           "INSERT INTO playtime_recompute(game_id, day_ms) VALUES(%lld, %lld), (%lld, %lld),"
           " (%lld, %lld);"
           "DELETE FROM msessions WHERE game_id = %lld AND player = '%s';"
           "INSERT INTO playtime_forgets(game_id, epoch) VALUES(%lld, 1)"
           " ON CONFLICT(game_id) DO UPDATE SET epoch = epoch + 1;"
           "COMMIT;",
           (long long)a, (long long)T0, (long long)a, (long long)(T0 + DAY), (long long)a,
           (long long)(T0 + 2 * DAY), (long long)a, VICTIM, (long long)a);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  size_t answered = 0;
  assert_true(count_differences(f, a, b, 0, &answered) > 0); /* the rollups still count them */
  /* The upkeep's next playtime pass (they run every 10 s) computes the listed days again. */
  assert_int_equal(f->s.events->ops->maintain(f->s.events, NOW + 20000), PS_OK);
  assert_int_equal(count_differences(f, a, b, 1, &answered), 0);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM playtime_recompute", -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* The deletion while the upkeep's first pass rolls the three days up, on another thread:
 * whatever the interleaving, once the upkeep has run again the answers are the model's. */
typedef struct upkeep_thread {
  fixture *f;
  int rc;
} upkeep_thread;

static void *run_upkeep(void *arg) {
  upkeep_thread *t = arg;
  t->rc = t->f->s.events->ops->maintain(t->f->s.events, NOW);
  return NULL;
}

static void a_deletion_beside_a_rollup_pass_still_matches(void **state) {
  fixture *f = *state;
  const int64_t a = 121, b = 122;
  store_games(f, a, b);
  upkeep_thread t = {f, -1};
  pthread_t thread;
  assert_int_equal(pthread_create(&thread, NULL, run_upkeep, &t), 0);
  int64_t removed = 0;
  int rc = ps_sqlite_playtime_forget(f->events, a, VICTIM, &removed);
  assert_int_equal(pthread_join(thread, NULL), 0);
  assert_int_equal(rc, PS_OK);
  assert_int_equal(t.rc, PS_OK);
  assert_int_equal(removed, victim_sessions);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, NOW + 20000), PS_OK);
  size_t answered = 0;
  assert_int_equal(count_differences(f, a, b, 1, &answered), 0);
}

/* ---- retention ---- */

/* Whether q is answered from the rollups (what retention must leave as it was). */
static int rollup_backed(const ps_metric_query *q) {
  int peak = strcmp(q->metric, "ccu") == 0 || strcmp(q->metric, "concurrent_ugc") == 0;
  int by_platform = ps_metric_query_filter(q, "platform") ||
                    (q->group_by && strcmp(q->group_by, "platform") == 0);
  int by_portal = ps_metric_query_filter(q, "portal") ||
                  (q->group_by && strcmp(q->group_by, "portal") == 0);
  return !(by_platform && by_portal) && (peak || q->interval_ms % HOUR == 0);
}

static void retention_keeps_what_the_rollups_hold(void **state) {
  fixture *f = *state;
  const int64_t a = 201, b = 202;
  store_games(f, a, b);
  assert_int_equal(f->s.events->ops->maintain(f->s.events, NOW), PS_OK);
  ps_metric_result kept[NQUESTIONS];
  int kept_rc[NQUESTIONS];
  for (size_t i = 0; i < NQUESTIONS; i++) {
    ps_metric_query q = question(i, a);
    kept_rc[i] = answer(f, &q, &kept[i]);
  }
  ps_metric_query raw = {.source = PS_SOURCE_PLAYTIME, .metric = "sessions", .game_id = a,
                         .from_ms = T0, .to_ms = T0 + 3 * DAY, .interval_ms = 15 * MIN,
                         .now_ms = NOW};
  ps_metric_result raw_before, raw_after;
  assert_int_equal(answer(f, &raw, &raw_before), PS_OK);
  listed scanned_before = scan_sessions(f, a, T0, NOW);

  int64_t dropped = 0;
  assert_int_equal(f->s.events->ops->drop_raw_before(f->s.events, PS_RAW_MSESSIONS, NOW, &dropped),
                   PS_OK);
  listed left = scan_sessions(f, a, 0, 0);
  assert_true(dropped > 0);
  assert_true(left.n > 0 && left.n < NSESSIONS); /* the sessions of the unsettled days stay */
  assert_int_equal(f->s.events->ops->maintain(f->s.events, NOW), PS_OK);
  size_t compared = 0;
  for (size_t i = 0; i < NQUESTIONS; i++) {
    ps_metric_query q = question(i, a);
    ps_metric_result now;
    int rc = answer(f, &q, &now);
    assert_int_equal(rc, kept_rc[i]);
    char what[256], why[400];
    describe(&q, what, sizeof what);
    if (rc == PS_OK && rollup_backed(&q)) {
      compared++;
      if (!same_result(&now, &kept[i], why, sizeof why)) fail_msg("%s: %s", what, why);
    }
    ps_metric_result_free(&now);
    ps_metric_result_free(&kept[i]);
  }
  assert_true(compared > NQUESTIONS / 3);
  /* What needs the raw sessions no longer counts the dropped ones (documented). */
  assert_int_equal(answer(f, &raw, &raw_after), PS_OK);
  assert_true(raw_after.whole.total < raw_before.whole.total);
  ps_metric_result_free(&raw_before);
  ps_metric_result_free(&raw_after);
  assert_true(scan_sessions(f, a, T0, NOW).n < scanned_before.n);
  /* Nothing more to drop. */
  assert_int_equal(f->s.events->ops->drop_raw_before(f->s.events, PS_RAW_MSESSIONS, NOW, &dropped),
                   PS_OK);
  assert_int_equal(dropped, 0);
  /* A deletion afterwards matches the model on the days whose sessions are kept (the third). */
  int64_t removed = 0;
  assert_int_equal(ps_sqlite_playtime_forget(f->events, a, VICTIM, &removed), PS_OK);
  assert_true(removed > 0);
  for (size_t m = 0; m < sizeof metrics / sizeof *metrics; m++) {
    ps_metric_query qa = {.source = PS_SOURCE_PLAYTIME, .metric = metrics[m], .game_id = a,
                          .from_ms = T0 + 2 * DAY, .to_ms = T0 + 3 * DAY, .interval_ms = HOUR,
                          .now_ms = NOW};
    ps_metric_query qb = qa;
    qb.game_id = b;
    ps_metric_result ra, rb;
    char why[400];
    assert_int_equal(answer(f, &qa, &ra), PS_OK);
    assert_int_equal(answer(f, &qb, &rb), PS_OK);
    if (!same_result(&ra, &rb, why, sizeof why)) fail_msg("%s after retention: %s", metrics[m], why);
    ps_metric_result_free(&ra);
    ps_metric_result_free(&rb);
  }
}

/* ---- ranged scans ---- */

static void store_one(fixture *f, int64_t game, const char *id, int64_t start,
                      ps_msession_rec_kind last_kind, int64_t last_ts, int64_t last_received) {
  ps_msession_record m[2] = {
      {PS_MSESSION_REC_START, id, "scan-player", "n0", "windows", "steam", "", start, 1},
      {last_kind, id, "scan-player", "n1", "windows", "steam", NULL, last_ts, 2}};
  ps_record r[2] = {
      {.kind = PS_RECORD_MSESSION, .game_id = game, .received_ms = start, .msession = &m[0]},
      {.kind = PS_RECORD_MSESSION, .game_id = game, .received_ms = last_received,
       .msession = &m[1]}};
  ps_record_span span = {r, 2};
  assert_int_equal(f->s.events->ops->append(f->s.events, &span, 1), PS_OK);
}

static void ranged_scans_select_sessions_by_when_they_were_over(void **state) {
  fixture *f = *state;
  const int64_t g = 301, from = T0 + DAY, to = T0 + 2 * DAY;
  const ps_msession_rec_kind END = PS_MSESSION_REC_END, BEAT = PS_MSESSION_REC_HEARTBEAT;
  store_one(f, g, "end-at-to", to - HOUR, END, to - 100, to);            /* out: over at to */
  store_one(f, g, "end-before-to", to - 2 * HOUR, END, to - 100, to - 1); /* in */
  store_one(f, g, "end-at-from", from - HOUR, END, from - 100, from);     /* in */
  store_one(f, g, "end-before-from", from - HOUR, END, from - 200, from - 1); /* out */
  store_one(f, g, "long-ago", T0 - 3 * DAY, END, from + HOUR, from + HOUR); /* in: over in it */
  store_one(f, g, "timeout-at-to", to - HOUR, BEAT, to - TIMEOUT - 5, to - TIMEOUT); /* out */
  store_one(f, g, "timeout-before-to", to - HOUR, BEAT, to - TIMEOUT - 6, to - TIMEOUT - 1); /* in */
  store_one(f, g, "timeout-at-from", from - HOUR, BEAT, from - TIMEOUT - 5, from - TIMEOUT); /* in */
  store_one(f, g, "timeout-before-from", from - HOUR, BEAT, from - TIMEOUT - 6,
            from - TIMEOUT - 1); /* out */
  int64_t now = ps_now_ms();
  store_one(f, g, "in-play", now - HOUR, BEAT, now - MIN, now - MIN); /* in no ranged scan */

  listed in = scan_sessions(f, g, from, to);
  const char *expected[] = {"long-ago", "end-at-from", "timeout-at-from", "end-before-to",
                            "timeout-before-to"}; /* oldest start first */
  assert_int_equal(in.n, 5);
  for (int i = 0; i < 5; i++) assert_string_equal(in.id[i], expected[i]);
  assert_false(is_listed(&in, "end-at-to") || is_listed(&in, "timeout-at-to"));
  listed next = scan_sessions(f, g, to, to + DAY);
  assert_int_equal(next.n, 2);
  assert_true(is_listed(&next, "end-at-to") && is_listed(&next, "timeout-at-to"));
  listed wide = scan_sessions(f, g, 1, INT64_MAX);
  assert_int_equal(wide.n, 9);
  assert_false(is_listed(&wide, "in-play"));
  assert_int_equal(scan_sessions(f, g, 0, 0).n, 10); /* everything, in play included */

  /* The end resent later does not move a session out of its period: an export is final. */
  ps_msession_record again = {END, "end-before-to", "scan-player", "n2", "windows", "steam",
                              NULL, to - 100, 3};
  ps_record r = {.kind = PS_RECORD_MSESSION, .game_id = g, .received_ms = to + DAY,
                 .msession = &again};
  ps_record_span span = {&r, 1};
  assert_int_equal(f->s.events->ops->append(f->s.events, &span, 1), PS_OK);
  listed still = scan_sessions(f, g, from, to);
  assert_int_equal(still.n, 5);
  assert_true(is_listed(&still, "end-before-to"));
}

/* ---- multiplayer session events ---- */

typedef struct so_listed {
  int n;
  char marker[8][8], session[8][16], project[8][40], type[8][32], key[8][65];
  int64_t ts[8], received[8];
} so_listed;

static int list_so_event(const ps_scan_item *item, void *ctx) {
  so_listed *l = ctx;
  const ps_stored_so_event *e = item->so_event;
  assert_non_null(e);
  assert_true(l->n < 8);
  const char *m = strstr(e->body, "\"m\":\"");
  assert_non_null(m);
  snprintf(l->marker[l->n], sizeof l->marker[0], "%.2s", m + 5);
  snprintf(l->session[l->n], sizeof l->session[0], "%s", e->session_id);
  snprintf(l->project[l->n], sizeof l->project[0], "%s", e->project_id);
  snprintf(l->type[l->n], sizeof l->type[0], "%s", e->type);
  snprintf(l->key[l->n], sizeof l->key[0], "%s", e->event_key);
  assert_string_equal(e->environment_id, "production");
  assert_int_equal(e->body_len, strlen(e->body));
  l->ts[l->n] = e->ts_ms;
  l->received[l->n] = e->received_ms;
  l->n++;
  return 0;
}

typedef struct so_event {
  char body[128], key[65];
  ps_so_event_record rec;
} so_event;

static void so_make(so_event *e, const char *project, const char *session, const char *marker,
                    int64_t ts) {
  snprintf(e->body, sizeof e->body, "{\"type\":\"players.connected\",\"m\":\"%s\"}", marker);
  snprintf(e->key, sizeof e->key, "%064d", marker[0] * 256 + marker[1]);
  e->rec = (ps_so_event_record){.session = {project, "production", session}, .event_key = e->key,
                                .type = "players.connected", .ts_ms = ts, .body = e->body,
                                .body_len = strlen(e->body), .salt = ""};
}

static void so_events_scan_in_arrival_order(void **state) {
  fixture *f = *state;
  const char *project = "proj-a", *other = "proj-b";
  so_event e[5];
  /* Arrival order differs from timestamp order. */
  so_make(&e[0], project, "m1", "e1", T0 + 100);
  so_make(&e[1], project, "m2", "e2", T0 + 50);
  so_make(&e[2], project, "m1", "e3", T0 + 200);
  so_make(&e[3], other, "m9", "x1", T0 + 60);
  so_make(&e[4], project, "m2", "e4", T0 + 10);
  const int64_t received[5] = {T0 + 5000, T0 + 6000, T0 + 4000, T0 + 5500, T0 + 7000};
  ps_record r[5];
  for (int i = 0; i < 5; i++)
    r[i] = (ps_record){.kind = PS_RECORD_SO_EVENT, .received_ms = received[i], .so_event = &e[i].rec};
  ps_record_span span = {r, 5};
  assert_int_equal(f->s.events->ops->append(f->s.events, &span, 1), PS_OK);

  so_listed all = {0};
  ps_scan_query q = {.kind = PS_SCAN_SO_EVENTS, .project_id = project};
  assert_int_equal(f->s.events->ops->scan(f->s.events, &q, list_so_event, &all), PS_OK);
  assert_int_equal(all.n, 4); /* the other project's event is not listed */
  const char *order[] = {"e3", "e1", "e2", "e4"};
  const int64_t arrival[] = {T0 + 4000, T0 + 5000, T0 + 6000, T0 + 7000};
  const int64_t ts[] = {T0 + 200, T0 + 100, T0 + 50, T0 + 10};
  for (int i = 0; i < 4; i++) {
    assert_string_equal(all.marker[i], order[i]);
    assert_true(all.received[i] == arrival[i]);
    assert_true(all.ts[i] == ts[i]);
    assert_string_equal(all.project[i], project);
    assert_string_equal(all.type[i], "players.connected");
  }
  assert_string_equal(all.session[0], "m1");
  assert_string_equal(all.key[0], e[2].key);

  so_listed ranged = {0};
  q.from_ms = T0 + 5000;
  q.to_ms = T0 + 7000; /* e4 arrived at to_ms: out */
  assert_int_equal(f->s.events->ops->scan(f->s.events, &q, list_so_event, &ranged), PS_OK);
  assert_int_equal(ranged.n, 2);
  assert_string_equal(ranged.marker[0], "e1");
  assert_string_equal(ranged.marker[1], "e2");

  /* The project is required. */
  ps_scan_query without = {.kind = PS_SCAN_SO_EVENTS, .game_id = 1};
  assert_int_equal(f->s.events->ops->scan(f->s.events, &without, list_so_event, &ranged),
                   PS_EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(deleting_a_player_answers_as_if_they_never_played, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_deletion_cut_short_is_finished_by_the_upkeep, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_deletion_beside_a_rollup_pass_still_matches, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(retention_keeps_what_the_rollups_hold, setup, teardown),
      cmocka_unit_test_setup_teardown(ranged_scans_select_sessions_by_when_they_were_over, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(so_events_scan_in_arrival_order, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
