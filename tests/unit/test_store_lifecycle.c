/* test_store_lifecycle.c: the data lifecycle of the event store (store/events.h): ranged scans
 * by arrival, forget_player and drop_raw_before, checked the same way against every backend of
 * the store fixture (store_fixture.h: the SQLite backend and every URL of
 * $PLAYSTAT_TEST_STORES).
 *
 * The model of a deletion is independent of the store's rollups: a second game receives the
 * same events minus the player's, and every event metric of the conformance data set
 * (event_questions) must answer the same for both games once the player is forgotten. What
 * only the SQLite backend can show is asked of it only: nothing of the player's id in any file
 * of its directory (the write-ahead log and shared memory included), and a deletion cut short
 * by a crash (its journal row written, part of the rows gone) finished by maintain().
 * Metrics sessions of a forgotten player are the playtime part's own test. */
#define _GNU_SOURCE /* memmem */
#include "store_fixture.h"

#include <pthread.h>
#include <stdatomic.h>

#define D0 20300 /* the data set's first day */
#define NOW ((D0 + 5) * DAY)

static const ps_event_store_ops *ops(fixture *f) { return f->s.events->ops; }

static ps_record rejected_at(int64_t game, const char *body, int index, int64_t received_ms) {
  return (ps_record){.kind = PS_RECORD_REJECTED, .game_id = game, .body = body,
                     .body_len = strlen(body), .event_index = index,
                     .errors_json = "[{\"field\":\"x\"}]", .received_ms = received_ms};
}

/* ---- ranged scans ---- */

static void ranged_scans_visit_arrivals_from_inclusive_to_exclusive(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f), other = new_game(f);
  const int64_t t0 = D0 * DAY;
  const int64_t at[] = {t0 - 1, t0, t0 + 1, t0 + 999, t0 + 1000, t0 + 5000};
  enum { N = sizeof at / sizeof *at };
  char uuids[N][40], bodies[N][64];
  ps_record r[2 * N + 1];
  for (int i = 0; i < N; i++) {
    snprintf(uuids[i], sizeof uuids[i], "%s-0000-4000-8000-%012d", run_id, i);
    snprintf(bodies[i], sizeof bodies[i], "{\"n\":%d}", i);
    r[i] = event(g.id, uuids[i], i % 2 ? "design" : "user", bodies[i]);
    r[i].received_ms = at[i];
    r[N + i] = rejected_at(g.id, bodies[i], i, at[i]);
  }
  r[2 * N] = event(other.id, NULL, "user", "{\"n\":99}");
  r[2 * N].received_ms = t0;
  store_records(f, r, 2 * N + 1);

  for (int kind = 0; kind < 2; kind++) {
    ps_scan_kind k = kind ? PS_SCAN_REJECTED : PS_SCAN_EVENTS;
    /* [t0, t0 + 1000): t0, t0 + 1, t0 + 999, in arrival order. */
    seen s = scan_range(f, k, g.id, NULL, t0, t0 + 1000);
    assert_int_equal(s.n, 3);
    for (int i = 0; i < 3; i++) {
      assert_true(s.received_ms[i] == at[1 + i]);
      assert_string_equal(s.body[i], bodies[1 + i]);
      assert_true(s.game_id[i] == g.id);
    }
    /* One millisecond wide; empty; everything (to_ms 0). */
    s = scan_range(f, k, g.id, NULL, t0 + 1000, t0 + 1001);
    assert_int_equal(s.n, 1);
    assert_true(s.received_ms[0] == t0 + 1000);
    assert_int_equal(scan_range(f, k, g.id, NULL, t0 + 2, t0 + 999).n, 0);
    s = scan_range(f, k, g.id, NULL, 0, 0);
    assert_int_equal(s.n, N);
    for (int i = 1; i < N; i++) assert_true(s.received_ms[i - 1] < s.received_ms[i]);
    assert_int_equal(scan_range(f, k, other.id, NULL, t0 - 10, t0 + 10).n, kind ? 0 : 1);
  }
  /* With a category: the design events of [t0, t0 + 5000) are t0 and t0 + 999. */
  seen s = scan_range(f, PS_SCAN_EVENTS, g.id, "design", t0, t0 + 5000);
  assert_int_equal(s.n, 2);
  assert_true(s.received_ms[0] == t0 && s.received_ms[1] == t0 + 999);
}

/* ---- forgetting a player ---- */

/* Six users of the data set, the second (which has events on every day and a first session
 * that arrives late) the one forgotten; names unique to the run, so a shared store and the
 * files can be searched for them. */
typedef struct players {
  char names[6][48];
  const char *users[6];
  const char *gone;
} players;

static void players_make(players *p) {
  char u[32];
  unique(u, sizeof u);
  for (int i = 0; i < 6; i++) {
    if (i == 1)
      snprintf(p->names[i], sizeof p->names[i], "forget-me-%s", u);
    else
      snprintf(p->names[i], sizeof p->names[i], "keep-%d-%s", i, u);
    p->users[i] = p->names[i];
  }
  p->gone = p->names[1];
}

/* Stores the data set for game (skip: leave out the events of that user, NULL: none) and the
 * rejected events of the case: two naming the player (as user_id, and in another member), one
 * naming someone else. Maintains after each part. Returns how many events of skip were left
 * out. */
static int64_t store_players(fixture *f, int64_t game, const players *p, const char *skip) {
  ga_event *e = calloc(GA_DATA_SET_MAX, sizeof *e);
  ps_record *r = calloc(GA_DATA_SET_MAX + 3, sizeof *r);
  assert_non_null(e);
  assert_non_null(r);
  static char bodies[3][160];
  snprintf(bodies[0], sizeof bodies[0], "{\"category\":\"user\",\"user_id\":\"%s\",\"v\":\"x\"}",
           p->gone);
  snprintf(bodies[1], sizeof bodies[1], "{\"category\":\"design\",\"event_id\":\"%s\"}", p->gone);
  snprintf(bodies[2], sizeof bodies[2], "{\"category\":\"user\",\"user_id\":\"%s\"}",
           p->users[0]);
  int64_t left_out = 0;
  for (int part = 0; part < 2; part++) {
    size_t n = ga_data_set_of(e, game, D0, part, p->users), k = 0;
    for (size_t i = 0; i < n; i++) {
      if (skip && e[i].r.user_id && strcmp(e[i].r.user_id, skip) == 0) {
        left_out++;
        continue;
      }
      r[k++] = e[i].r;
    }
    if (part == 0)
      for (int i = 0; i < 3; i++)
        if (!skip || i == 2) r[k++] = rejected_at(game, bodies[i], i, D0 * DAY + i);
    store_records(f, r, k);
    assert_int_equal(ops(f)->maintain(f->s.events, NOW), PS_OK);
  }
  free(r);
  free(e);
  return left_out;
}

/* Every event question (of those asked says yes to; NULL: all) answers the same for both
 * games; *differences: how many did not (when differences is not NULL: nothing is asserted
 * then). */
static void compare_some(fixture *f, const ps_game *a, const ps_game *b, const char *when,
                         int *differences, int (*asked)(size_t question)) {
  for (size_t i = 0; i < NQUESTIONS; i++) {
    if (asked && !asked(i)) continue;
    ps_metric_result x, y;
    ask_event_question(f, a, i, D0, NOW, &x);
    ask_event_question(f, b, i, D0, NOW, &y);
    char what[96];
    snprintf(what, sizeof what, "%s (question %zu) %s", event_questions[i].metric, i, when);
    if (differences) {
      int same = x.nbuckets == y.nbuckets && x.ngroups == y.ngroups &&
                 x.whole.total == y.whole.total;
      for (size_t k = 0; same && k < x.nbuckets; k++)
        same = x.whole.values[k] == y.whole.values[k] ||
               (x.whole.values[k] != x.whole.values[k] && y.whole.values[k] != y.whole.values[k]);
      *differences += !same;
    } else {
      assert_same_answer(what, &x, &y);
    }
    ps_metric_result_free(&x);
    ps_metric_result_free(&y);
  }
}

static void compare_games(fixture *f, const ps_game *a, const ps_game *b, const char *when,
                          int *differences) {
  compare_some(f, a, b, when, differences, NULL);
}

static ps_forget_report forget(fixture *f, int64_t game, const char *user) {
  if (!ops(f)->forget_player) fail_msg("%s: no forget_player", ops(f)->name);
  ps_forget_report report = {-1, -1, -1};
  int rc = ops(f)->forget_player(f->s.events, game, user, &report);
  if (rc != PS_OK) fail_msg("forget_player: %s", ps_strerror(rc));
  return report;
}

typedef struct naming {
  const char *text;
  int visited, named;
} naming;

static int naming_visit(const ps_scan_item *item, void *ctx) {
  naming *n = ctx;
  n->visited++;
  n->named += memmem(item->event->body, item->event->body_len, n->text, strlen(n->text)) != NULL;
  return 0;
}

/* How many of the game's events (of every arrival) name text in their body; *visited: how
 * many were visited. */
static int events_naming(fixture *f, int64_t game, const char *text, int *visited) {
  naming n = {text, 0, 0};
  ps_scan_query q = {.kind = PS_SCAN_EVENTS, .game_id = game};
  assert_int_equal(ops(f)->scan(f->s.events, &q, naming_visit, &n), PS_OK);
  *visited = n.visited;
  return n.named;
}

static void forget_player_answers_as_if_the_player_never_played(void **state) {
  fixture *f = *state;
  players p;
  players_make(&p);
  ps_game with = new_game(f), without = new_game(f);
  assert_int_equal(store_players(f, with.id, &p, NULL), 0);
  int64_t theirs = store_players(f, without.id, &p, p.gone);
  assert_true(theirs > 20);
  /* The model tells the games apart before the deletion, and the files hold the player. */
  int differences = 0;
  compare_games(f, &with, &without, "before", &differences);
  assert_true(differences > 10);
  if (f->sqlite) assert_true(files_hold(f->dir, p.gone));
  int visited = 0;
  assert_true(events_naming(f, with.id, p.gone, &visited) == theirs);

  ps_forget_report report = forget(f, with.id, p.gone);
  assert_true(report.events == theirs);
  assert_true(report.rejected == 2);
  assert_true(report.msessions == 0);
  assert_int_equal(ops(f)->maintain(f->s.events, NOW), PS_OK);
  compare_games(f, &with, &without, "after forget_player", NULL);
  assert_int_equal(count_events(f, with.id), count_events(f, without.id));
  seen rejected = scan(f, PS_SCAN_REJECTED, with.id, NULL);
  assert_int_equal(rejected.n, 1);
  assert_non_null(strstr(rejected.body[0], p.users[0]));
  /* The other players' events are all there; the player's are not (bodies name the user id
   * and the session id made from it). */
  assert_int_equal(events_naming(f, with.id, p.gone, &visited), 0);
  assert_int_equal(visited, count_events(f, without.id));
  assert_int_equal(events_naming(f, with.id, p.users[0], &visited), events_naming(f, without.id, p.users[0], &visited));
  assert_true(events_naming(f, with.id, p.users[0], &visited) > 10);

  /* Nothing of the id is left in the files, open or closed. */
  if (f->sqlite && f->dir[0]) {
    assert_false(files_hold(f->dir, p.gone));
    ps_stores_close(&f->s);
    assert_false(files_hold(f->dir, p.gone));
    open_stores(f);
  }
  /* Idempotent: a second call removes nothing and changes no answer. */
  report = forget(f, with.id, p.gone);
  assert_true(report.events == 0 && report.rejected == 0 && report.msessions == 0);
  assert_int_equal(ops(f)->maintain(f->s.events, NOW), PS_OK);
  compare_games(f, &with, &without, "after a second forget_player", NULL);
  /* Forgetting someone who never played changes nothing either. */
  report = forget(f, with.id, "nobody-ever");
  assert_true(report.events == 0 && report.rejected == 0);
  compare_games(f, &with, &without, "after forgetting nobody", NULL);
}

/* What runs beside a deletion: the ingest writer appending the data set of new players to
 * both games, round after round, and the upkeep maintaining until told to stop. Errors are
 * kept (cmocka asserts only on the main thread). */
#define ROUNDS 12
typedef struct beside {
  fixture *f;
  const ps_game *games; /* [2] */
  char names[ROUNDS][6][48];
  const char *users[ROUNDS][6];
  int append_rc, maintain_rc;
  atomic_int stop;
} beside;

static void *append_traffic(void *arg) {
  beside *b = arg;
  ga_event *e = calloc(GA_DATA_SET_MAX, sizeof *e);
  ps_record *r = calloc(GA_DATA_SET_MAX, sizeof *r);
  if (!e || !r) b->append_rc = PS_ENOMEM;
  for (int round = 0; round < ROUNDS && b->append_rc == PS_OK; round++) {
    for (int k = 0; k < 2 && b->append_rc == PS_OK; k++) {
      size_t n = ga_data_set_of(e, b->games[k].id, D0, 0, b->users[round]);
      for (size_t i = 0; i < n; i++) r[i] = e[i].r;
      ps_record_span span = {r, n};
      b->append_rc = ops(b->f)->append(b->f->s.events, &span, 1);
    }
  }
  free(r);
  free(e);
  return NULL;
}

static void *upkeep(void *arg) {
  beside *b = arg;
  while (!atomic_load(&b->stop) && b->maintain_rc == PS_OK)
    b->maintain_rc = ops(b->f)->maintain(b->f->s.events, NOW);
  return NULL;
}

/* A deletion while the ingest writer appends other players' events to the same days and the
 * upkeep folds them: the result is still exact. */
static void forget_player_beside_ingest_and_upkeep(void **state) {
  fixture *f = *state;
  players p;
  players_make(&p);
  ps_game games[2] = {new_game(f), new_game(f)};
  store_players(f, games[0].id, &p, NULL);
  int64_t theirs = store_players(f, games[1].id, &p, p.gone);
  beside *b = calloc(1, sizeof *b);
  assert_non_null(b);
  b->f = f;
  b->games = games;
  char u[32];
  unique(u, sizeof u);
  for (int round = 0; round < ROUNDS; round++)
    for (int k = 0; k < 6; k++) {
      snprintf(b->names[round][k], sizeof b->names[round][k], "late-%d-%d-%s", round, k, u);
      b->users[round][k] = b->names[round][k];
    }
  pthread_t writer, maintainer;
  assert_int_equal(pthread_create(&writer, NULL, append_traffic, b), 0);
  assert_int_equal(pthread_create(&maintainer, NULL, upkeep, b), 0);
  ps_forget_report report = forget(f, games[0].id, p.gone);
  assert_int_equal(pthread_join(writer, NULL), 0);
  atomic_store(&b->stop, 1);
  assert_int_equal(pthread_join(maintainer, NULL), 0);
  assert_int_equal(b->append_rc, PS_OK);
  assert_int_equal(b->maintain_rc, PS_OK);
  assert_true(report.events == theirs);
  assert_int_equal(ops(f)->maintain(f->s.events, NOW), PS_OK);
  compare_games(f, &games[0], &games[1], "after a deletion beside ingest", NULL);
  assert_int_equal(count_events(f, games[0].id), count_events(f, games[1].id));
  free(b);
}

/* SQLite only: closes the stores and runs sql on their database file with the sqlite3 library
 * (the last connection: the log is checkpointed into the file when it closes). */
static void exec_on_closed_store(fixture *f, const char *sql) {
  ps_stores_close(&f->s);
  char path[300];
  snprintf(path, sizeof path, "%s/playstat.db", f->dir);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
  assert_true(sqlite3_changes(db) > 0);
  sqlite3_close(db);
}

/* SQLite only: a deletion cut short (its journal row written, some of the player's events
 * deleted without their rollups) is finished by maintain() after a restart. */
static void sqlite_a_deletion_cut_short_is_finished_by_maintain(void **state) {
  fixture *f = *state;
  if (!f->sqlite || !f->dir[0]) skip();
  players p;
  players_make(&p);
  ps_game with = new_game(f), without = new_game(f);
  store_players(f, with.id, &p, NULL);
  store_players(f, without.id, &p, p.gone);
  char path[300], sql[1024];
  snprintf(path, sizeof path, "%s/playstat.db", f->dir);
  sqlite3 *db = NULL;
  /* What steps 1 and part of 3 (event_lifecycle.c) leave: the journal, days noted, some rows
   * gone (every other one) without their aggregates rebuilt. */
  snprintf(sql, sizeof sql,
           "INSERT INTO forget_journal(game_id, user_id) VALUES(%lld, '%s');"
           "INSERT INTO forget_days SELECT DISTINCT game_id, user_id, day FROM events"
           "  WHERE game_id = %lld AND user_id = '%s' AND day IS NOT NULL;"
           "DELETE FROM events WHERE game_id = %lld AND user_id = '%s' AND id %% 2 = 0;",
           (long long)with.id, p.gone, (long long)with.id, p.gone, (long long)with.id, p.gone);
  exec_on_closed_store(f, sql);

  open_stores(f);
  int differences = 0;
  compare_games(f, &with, &without, "cut short", &differences);
  assert_true(differences > 0);
  assert_int_equal(ops(f)->maintain(f->s.events, NOW), PS_OK);
  compare_games(f, &with, &without, "resumed by maintain", NULL);
  assert_int_equal(count_events(f, with.id), count_events(f, without.id));
  assert_int_equal(scan(f, PS_SCAN_REJECTED, with.id, NULL).n, 1);
  ps_stores_close(&f->s);
  assert_false(files_hold(f->dir, p.gone));
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM forget_journal),"
                                          " (SELECT count(*) FROM forget_days)",
                                      -1, &st, NULL),
                   SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_int_equal(sqlite3_column_int(st, 0), 0);
  assert_int_equal(sqlite3_column_int(st, 1), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  open_stores(f);
  /* A call for the player now finds nothing left. */
  ps_forget_report report = forget(f, with.id, p.gone);
  assert_true(report.events == 0 && report.rejected == 0);
}

/* SQLite only: a copy of the id that no row holds any more (here: a row deleted without
 * secure_delete, as B-tree balancing can leave one in a page's free space) is gone from the
 * files after a deletion too. */
static void sqlite_a_stale_copy_of_the_id_is_scrubbed(void **state) {
  fixture *f = *state;
  if (!f->sqlite || !f->dir[0]) skip();
  players p;
  players_make(&p);
  ps_game g = new_game(f);
  store_players(f, g.id, &p, NULL);
  char sql[512];
  snprintf(sql, sizeof sql,
           "PRAGMA secure_delete=OFF; CREATE TABLE scratch(t TEXT);"
           "INSERT INTO scratch VALUES('stale %s copy'); DELETE FROM scratch;", p.gone);
  exec_on_closed_store(f, sql);
  open_stores(f);
  ps_forget_report report = forget(f, g.id, p.gone);
  assert_true(report.events > 20);
  ps_stores_close(&f->s);
  assert_false(files_hold(f->dir, p.gone));
  open_stores(f);
  int visited = 0;
  assert_int_equal(events_naming(f, g.id, p.gone, &visited), 0);
  assert_true(visited > 20); /* the others' events are all there */
}

/* ---- retention ---- */

/* Whether question i answers the same once raw rows are dropped (docs/lifecycle.md): on SQLite
 * every event metric comes from its rollups; on ClickHouse only the distinct-user ones (they
 * read user_days and user_firsts), the others read the raw events. */
static int kept_after_retention(fixture *f, size_t i) {
  static const char *const kept_on_clickhouse[] = {"dau", "wau", "mau", "new_users", "retention"};
  if (!strcmp(ops(f)->name, "sqlite")) return 1;
  for (size_t k = 0; k < sizeof kept_on_clickhouse / sizeof *kept_on_clickhouse; k++)
    if (!strcmp(event_questions[i].metric, kept_on_clickhouse[k])) return 1;
  return 0;
}

static void retention_drops_old_raw_events_and_keeps_the_figures(void **state) {
  fixture *f = *state;
  players p;
  players_make(&p);
  ps_game g = new_game(f), other = new_game(f);
  store_players(f, g.id, &p, NULL);
  store_players(f, other.id, &p, NULL);
  ps_metric_result before[NQUESTIONS];
  for (size_t i = 0; i < NQUESTIONS; i++) ask_event_question(f, &g, i, D0, NOW, &before[i]);
  seen all = scan(f, PS_SCAN_REJECTED, g.id, NULL);
  int events = count_events(f, g.id);
  /* The cut: in the middle of the second day. */
  const int64_t cut = (D0 + 1) * DAY + 12 * HOUR;
  int older = scan_range(f, PS_SCAN_EVENTS, g.id, NULL, 1, cut).n;
  assert_true(older > 20 && older < events);
  assert_int_equal(all.n, 3); /* all arrived on the first day */

  if (!ops(f)->drop_raw_before) fail_msg("%s: no drop_raw_before", ops(f)->name);
  int64_t dropped = -1;
  assert_int_equal(ops(f)->drop_raw_before(f->s.events, PS_RAW_EVENTS, cut, &dropped), PS_OK);
  if (f->dir[0]) assert_true(dropped == 2 * (older + 3)); /* both games: events and rejected */
  /* Nothing before the cut is visited any more; everything after it is. */
  assert_int_equal(scan_range(f, PS_SCAN_EVENTS, g.id, NULL, 1, cut).n, 0);
  assert_int_equal(count_events(f, g.id), events - older);
  seen kept = scan(f, PS_SCAN_EVENTS, g.id, NULL);
  for (int i = 0; i < kept.n && i < 32; i++) assert_true(kept.received_ms[i] >= cut);
  assert_int_equal(scan(f, PS_SCAN_REJECTED, g.id, NULL).n, 0);
  /* Every figure of those days stays, now and after the upkeep has run again. */
  for (int round = 0; round < 2; round++) {
    int compared = 0;
    for (size_t i = 0; i < NQUESTIONS; i++) {
      if (!kept_after_retention(f, i)) continue;
      ps_metric_result after;
      ask_event_question(f, &g, i, D0, NOW, &after);
      char what[96];
      snprintf(what, sizeof what, "%s (question %zu) after retention%s", event_questions[i].metric,
               i, round ? " and maintain" : "");
      assert_same_answer(what, &before[i], &after);
      compared++;
      ps_metric_result_free(&after);
    }
    assert_true(compared >= 5);
    assert_int_equal(ops(f)->maintain(f->s.events, NOW + HOUR), PS_OK);
  }
  for (size_t i = 0; i < NQUESTIONS; i++) ps_metric_result_free(&before[i]);
  /* Dropping again drops nothing. */
  assert_int_equal(ops(f)->drop_raw_before(f->s.events, PS_RAW_EVENTS, cut, &dropped), PS_OK);
  if (f->dir[0]) assert_true(dropped == 0);
}

/* Whether question i counts users (its answer comes from the bitmaps alone). */
static int counts_users(size_t i) {
  static const char *const user_counts[] = {"dau", "wau", "mau", "new_users", "paying_users",
                                            "retention"};
  for (size_t k = 0; k < sizeof user_counts / sizeof *user_counts; k++)
    if (!strcmp(event_questions[i].metric, user_counts[k])) return 1;
  return 0;
}

/* After retention, forgetting a player still takes the player out of every user count
 * (dau, new users, paying users, retention) of the dropped days; the other days answer as the
 * model does in full. */
static void forget_after_retention_takes_the_player_out_of_the_user_counts(void **state) {
  fixture *f = *state;
  players p;
  players_make(&p);
  ps_game with = new_game(f), without = new_game(f);
  store_players(f, with.id, &p, NULL);
  store_players(f, without.id, &p, p.gone);
  int64_t dropped = 0;
  assert_int_equal(ops(f)->drop_raw_before(f->s.events, PS_RAW_EVENTS, (D0 + 1) * DAY, &dropped),
                   PS_OK);
  forget(f, with.id, p.gone);
  assert_int_equal(ops(f)->maintain(f->s.events, NOW), PS_OK);
  compare_some(f, &with, &without, "after retention and forget", NULL, counts_users);
  /* Days after the cut are exact for every metric: sessions of the third day, for one. */
  ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = "sessions", .game_id = with.id,
                       .project_id = with.project_id, .from_ms = (D0 + 1) * DAY,
                       .to_ms = (D0 + 5) * DAY, .interval_ms = DAY, .now_ms = NOW};
  ps_metric_result x, y;
  assert_int_equal(ops(f)->metric(f->s.events, &q, &x), PS_OK);
  q.game_id = without.id;
  q.project_id = without.project_id;
  assert_int_equal(ops(f)->metric(f->s.events, &q, &y), PS_OK);
  assert_same_answer("sessions after the cut", &x, &y);
  ps_metric_result_free(&x);
  ps_metric_result_free(&y);
  if (f->sqlite && f->dir[0]) {
    ps_stores_close(&f->s);
    assert_false(files_hold(f->dir, p.gone));
    open_stores(f);
  }
}

#define CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest cases[] = {
      CASE(ranged_scans_visit_arrivals_from_inclusive_to_exclusive),
      CASE(forget_player_answers_as_if_the_player_never_played),
      CASE(forget_player_beside_ingest_and_upkeep),
      CASE(sqlite_a_deletion_cut_short_is_finished_by_maintain),
      CASE(sqlite_a_stale_copy_of_the_id_is_scrubbed),
      CASE(retention_drops_old_raw_events_and_keeps_the_figures),
      CASE(forget_after_retention_takes_the_player_out_of_the_user_counts),
  };
  return fixture_run("store lifecycle", cases, sizeof cases / sizeof *cases);
}
