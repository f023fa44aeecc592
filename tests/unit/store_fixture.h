/* store_fixture.h: what the store contract tests share (test_store_conformance.c,
 * test_store_lifecycle.c): stores opened per case from a URL of `backends` or of
 * $PLAYSTAT_TEST_STORES, the records the ingest writer would store, scans, metric checks, and
 * the analytics-event data set every event metric is asked about.
 *
 * Each case gets stores opened from the URL of the group running (fixture_run); "EVENTS|STATE"
 * opens the event store of EVENTS with the state store of STATE (as --store and --state do).
 * "{tmp}" in a URL is replaced by a fresh temporary directory per case, which the case's
 * teardown removes, and "{case}" by a name unique to the case and run (a database name:
 * clickhouse://127.0.0.1:8123/t_{case}?spool={tmp} gives each case a fresh database). A URL
 * without "{tmp}" names a store shared by every case and every run, so cases never rely on an
 * empty store: each creates its own games and uses keys unique to the run (unique()). */
#ifndef PS_TESTS_STORE_FIXTURE_H
#define PS_TESTS_STORE_FIXTURE_H

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
#include <sqlite3.h>

#include "common/errors.h"
#include "store/store.h"

/* ---- the backends every case runs against ---- */

extern const char *const backends[];
extern const size_t nbackends;

#define MAX_BACKENDS 16

#define MIN 60000LL
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

typedef struct fixture {
  char dir[256];  /* the fresh directory ("" when the URL names a shared store) */
  char url[1024]; /* what ps_stores_open is given */
  char state_url[1024]; /* "" when url's backend holds the state too */
  ps_store_options options;
  ps_stores s;
  int sqlite;     /* both stores are the SQLite backend's (no separate state URL): it sets
                   * `duplicate` and has the files and schema upgrades checked */
  int fresh_state; /* the state store is this case's own (its URL names "{tmp}" or "{case}"):
                    * it holds only what the case wrote */
} fixture;

extern const char *current_url; /* the backend of the group running */
/* How the cases store records: 0 through the interfaces one by one, in the ingest writer's
 * general order; 1 through ps_stores_commit, the backend's own group commit when it has one
 * (SQLite: one transaction for both stores). Every case runs both ways. */
extern int via_group_commit;
extern char run_id[9];        /* 8 hex, unique to this run: keys of a shared store */
extern unsigned run_counter;

/* Runs cases (each with setup and teardown) against every backend and every URL of
 * $PLAYSTAT_TEST_STORES, both ways of storing; returns the number of failures. suite names
 * the groups in the output. */
int fixture_run(const char *suite, const struct CMUnitTest *cases, size_t ncases);

int setup(void **state);
int teardown(void **state);
void open_stores(fixture *f);
/* Closes and opens the stores again (what a restart does), with options. */
void reopen(fixture *f, ps_store_options options);
/* A string unique to the run and the call: "<run id>-<n>". */
void unique(char *out, size_t cap);

/* ---- records ---- */

ps_game new_game(fixture *f);

#define NAMING PS_RECORD_BIT(PS_RECORD_SO_EVENT)   /* applied before the append */
#define REFUSING PS_RECORD_BIT(PS_RECORD_MSESSION) /* applied after it */

/* What the ingest writer does with accepted records (store.h ps_stores_commit): the state that
 * names things, the append, then the state that refuses repeats; or the backend's own group
 * commit. */
void store_records(fixture *f, ps_record *records, size_t n);

/* An analytics event with a body of no facts (none of the members they would name). */
ps_record event(int64_t game, const char *uuid, const char *category, const char *body);

/* ---- scans ---- */

/* What a scan visited. */
typedef struct seen {
  int n;
  char body[32][256];
  char category[32][32];
  int64_t received_ms[32], game_id[32];
  int event_index[32];
  char errors[32][64];
  char country[32][8]; /* "(null)" when unknown */
  int stop_at; /* return 7 on that visit (1-based), 0: never */
} seen;

int seen_visit(const ps_scan_item *item, void *ctx);
seen scan(fixture *f, ps_scan_kind kind, int64_t game, const char *category);
/* The same over the arrival range [from_ms, to_ms) (to_ms 0: everything). */
seen scan_range(fixture *f, ps_scan_kind kind, int64_t game, const char *category,
                int64_t from_ms, int64_t to_ms);
int count_events(fixture *f, int64_t game);

/* ---- metric answers ---- */

void assert_series(const char *what, const ps_metric_series *s, size_t n,
                   const double *expected, double total);
const ps_metric_series *group_of(const ps_metric_result *r, const char *key);
/* Answers q and checks the whole series (keep: the answer, to free, or NULL). */
void check_metric(fixture *f, ps_metric_query q, size_t nbuckets, const double *expected,
                  double total, ps_metric_result *keep);
/* Both answers equal, group by group and bucket by bucket (NaN equals NaN). */
void assert_same_answer(const char *what, const ps_metric_result *a, const ps_metric_result *b);

/* ---- analytics events ---- */

/* An analytics event of user (NULL: none) at client_ts, its body written from the same values
 * as the facts the collector would hand over with it (records.h). */
typedef struct ga_event {
  char body[640];
  char uuid[40];
  char session[40];
  ps_event_facts facts;
  ps_record r;
} ga_event;

/* members: the category's members (event_id, currency, amount, ...) and any dimension besides
 * platform "ios" (NULL: none). float_ts: client_ts is sent as a fraction (x.5 s), so the
 * rollups count the receive time, which is two days later. received_ms: client_ts + 250 ms. */
void ga_make_full(ga_event *e, int64_t game, const char *category, const char *user,
                  int64_t client_ts, const ps_event_facts *members, int float_ts);
void ga_make(ga_event *e, int64_t game, const char *category, const char *user,
             int64_t client_ts, const ps_event_facts *members);

/* The events of one game of the data set: users[0..5] over three days from day d0, events of
 * every category with every member the rollups read; part 0 or the later part 1 (see
 * store_fixture.c). users: NULL for "u1".."u6". Returns how many were written into e (at most
 * GA_DATA_SET_MAX). */
#define GA_DATA_SET_MAX 400
size_t ga_data_set_of(ga_event *e, int64_t game, int64_t d0, int part,
                      const char *const users[6]);
size_t ga_data_set(ga_event *e, int64_t game, int64_t d0, int part);

/* Every event metric, with the family parameters, filters and group_by the rollups serve. */
typedef struct event_question {
  const char *metric, *measure, *by, *prefix, *steps, *group_by, *dim, *value;
} event_question;
#define NQUESTIONS 41
extern const event_question event_questions[NQUESTIONS];

/* Question i about game g over the four days from d0. */
void ask_event_question(fixture *f, const ps_game *g, size_t i, int64_t d0, int64_t now,
                        ps_metric_result *out);
/* Appends ga_data_set's two parts for each game of games (with facts, or none for those
 * without_facts says), maintaining after each part. */
void store_data_set(fixture *f, const ps_game *games, const int *without_facts, size_t ngames,
                    int64_t d0, int64_t now);

/* Whether any file under dir holds text. */
int files_hold(const char *dir, const char *text);

#endif
