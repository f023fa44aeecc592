/* test_sqlite_store.c: the SQLite backend's guarantees (store/store.h): games, dedup by
 * (game, event_uuid), rejected events bounded per game, service accounts, data surviving a
 * reopen. */
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

#include "common/errors.h"
#include "store/store.h"

static char dir[256];

static int setup(void **state) {
  snprintf(dir, sizeof dir, "/tmp/playstat-store-test-XXXXXX");
  assert_non_null(mkdtemp(dir));
  return 0;
}

static int teardown(void **state) {
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd);
}

static ps_store *open_store(int64_t keep) {
  ps_store_options o = {.rejected_keep_per_game = keep};
  ps_store *s = NULL;
  assert_int_equal(ps_store_backend("sqlite")->open(dir, &o, &s), PS_OK);
  return s;
}

static ps_game make_game(ps_store *s, const char *key) {
  ps_game g = {0};
  snprintf(g.name, sizeof g.name, "game %s", key);
  snprintf(g.project_id, sizeof g.project_id, "00000000-0000-4000-8000-%012d", atoi(key));
  snprintf(g.game_key, sizeof g.game_key, "%s", key);
  strcpy(g.secret_key, "s");
  strcpy(g.metrics_key, "m");
  strcpy(g.token_secret, "t");
  assert_int_equal(s->ops->game_create(s, &g), PS_OK);
  return g;
}

static int count_visit(const ps_stored_event *e, void *ctx) {
  (*(int *)ctx)++;
  return 0;
}

static int count(ps_store *s, int64_t game, int rejected) {
  int n = 0;
  ps_event_query q = {.game_id = game, .rejected = rejected};
  assert_int_equal(s->ops->events_scan(s, &q, count_visit, &n), PS_OK);
  return n;
}

static ps_record event(int64_t game, const char *uuid, const char *body) {
  return (ps_record){.kind = PS_RECORD_EVENT, .game_id = game, .category = "design",
                     .event_uuid = uuid, .body = body, .body_len = strlen(body),
                     .received_ms = 1};
}

static void games_are_found_by_key_and_id(void **state) {
  ps_store *s = open_store(0);
  ps_game a = make_game(s, "101"), b = make_game(s, "102"), found;
  assert_int_equal(s->ops->game_find_by_key(s, "102", &found), PS_OK);
  assert_int_equal(found.id, b.id);
  assert_int_equal(s->ops->game_find_by_id(s, a.id, &found), PS_OK);
  assert_string_equal(found.game_key, "101");
  assert_int_equal(s->ops->game_find_by_key(s, "nope", &found), PS_ENOTFOUND);
  ps_game dup = a;
  assert_int_equal(s->ops->game_create(s, &dup), PS_EEXIST);
  s->ops->close(s);
}

static void duplicates_are_stored_once_per_game(void **state) {
  ps_store *s = open_store(0);
  ps_game a = make_game(s, "201"), b = make_game(s, "202");
  const char *u = "6f1c2e7a-3b4d-4e5f-8a9b-0c1d2e3f4a5b";
  ps_record r[4] = {event(a.id, u, "{\"n\":1}"), event(a.id, u, "{\"n\":2}"),
                    event(b.id, u, "{\"n\":3}"), event(a.id, NULL, "{\"n\":4}")};
  ps_record_span span = {r, 4};
  assert_int_equal(s->ops->write(s, &span, 1), PS_OK);
  assert_false(r[0].duplicate);
  assert_true(r[1].duplicate);
  assert_false(r[2].duplicate);
  assert_false(r[3].duplicate);
  /* Same uuid in upper case, in a later transaction: still the same event. */
  ps_record again = event(a.id, "6F1C2E7A-3B4D-4E5F-8A9B-0C1D2E3F4A5B", "{\"n\":5}");
  ps_record_span span2 = {&again, 1};
  assert_int_equal(s->ops->write(s, &span2, 1), PS_OK);
  assert_true(again.duplicate);
  assert_int_equal(count(s, a.id, 0), 2);
  assert_int_equal(count(s, b.id, 0), 1);
  s->ops->close(s);
  /* Durable: a new process sees the same. */
  s = open_store(0);
  assert_int_equal(count(s, a.id, 0), 2);
  s->ops->close(s);
}

static void rejected_events_keep_the_newest(void **state) {
  ps_store *s = open_store(3);
  ps_game g = make_game(s, "301");
  ps_record r[5];
  char bodies[5][16];
  for (int i = 0; i < 5; i++) {
    snprintf(bodies[i], sizeof bodies[i], "{\"i\":%d}", i);
    r[i] = (ps_record){.kind = PS_RECORD_REJECTED, .game_id = g.id, .body = bodies[i],
                       .body_len = strlen(bodies[i]), .event_index = i, .errors_json = "[]"};
  }
  ps_record_span span = {r, 5};
  assert_int_equal(s->ops->write(s, &span, 1), PS_OK);
  assert_int_equal(count(s, g.id, 1), 3);
  s->ops->close(s);
}

static ps_service_account account(const char *key_id, const char *project, const char *role,
                                  int64_t created_ms) {
  ps_service_account a = {.created_ms = created_ms};
  snprintf(a.key_id, sizeof a.key_id, "%s", key_id);
  snprintf(a.project_id, sizeof a.project_id, "%s", project);
  snprintf(a.name, sizeof a.name, "name of %s", key_id);
  memset(a.secret_sha256, 'a', 64);
  a.secret_sha256[0] = key_id[0];
  snprintf(a.role, sizeof a.role, "%s", role);
  return a;
}

#define PROJECT_A "00000000-0000-4000-8000-00000000000a"
#define PROJECT_B "00000000-0000-4000-8000-00000000000b"

static void service_accounts_are_created_found_listed_and_deleted(void **state) {
  ps_store *s = open_store(0);
  ps_service_account a1 = account("1a", PROJECT_A, "viewer", 1000),
                     b1 = account("2b", PROJECT_B, "writer", 2000),
                     a2 = account("3a", PROJECT_A, "writer", 3000), found;
  assert_int_equal(s->ops->service_account_create(s, &a2), PS_OK);
  assert_int_equal(s->ops->service_account_create(s, &a1), PS_OK);
  assert_int_equal(s->ops->service_account_create(s, &b1), PS_OK);

  assert_int_equal(s->ops->service_account_find(s, "2b", &found), PS_OK);
  assert_string_equal(found.key_id, "2b");
  assert_string_equal(found.project_id, PROJECT_B);
  assert_string_equal(found.name, "name of 2b");
  assert_string_equal(found.secret_sha256, b1.secret_sha256);
  assert_string_equal(found.role, "writer");
  assert_int_equal(found.created_ms, 2000);
  assert_int_equal(s->ops->service_account_find(s, "nope", &found), PS_ENOTFOUND);

  /* A taken key id, whatever else differs. */
  ps_service_account dup = account("1a", PROJECT_B, "writer", 5);
  assert_int_equal(s->ops->service_account_create(s, &dup), PS_EEXIST);
  assert_int_equal(s->ops->service_account_find(s, "1a", &found), PS_OK);
  assert_string_equal(found.project_id, PROJECT_A);
  /* Only the two roles. */
  ps_service_account admin = account("4a", PROJECT_A, "admin", 5);
  assert_int_equal(s->ops->service_account_create(s, &admin), PS_EINVAL);

  /* Listed by creation, of one project or of all. */
  ps_service_account *list = NULL;
  size_t n = 99;
  assert_int_equal(s->ops->service_account_list(s, PROJECT_A, &list, &n), PS_OK);
  assert_int_equal(n, 2);
  assert_string_equal(list[0].key_id, "1a");
  assert_string_equal(list[1].key_id, "3a");
  free(list);
  assert_int_equal(s->ops->service_account_list(s, NULL, &list, &n), PS_OK);
  assert_int_equal(n, 3);
  assert_string_equal(list[0].key_id, "1a");
  assert_string_equal(list[1].key_id, "2b");
  assert_string_equal(list[2].key_id, "3a");
  free(list);
  list = NULL;
  assert_int_equal(s->ops->service_account_list(s, "no such project", &list, &n), PS_OK);
  assert_int_equal(n, 0);
  free(list);

  /* created_ms 0 means now. */
  ps_service_account now = account("5a", PROJECT_A, "viewer", 0);
  assert_int_equal(s->ops->service_account_create(s, &now), PS_OK);
  assert_int_equal(s->ops->service_account_find(s, "5a", &found), PS_OK);
  assert_true(found.created_ms > 1700000000000LL);

  assert_int_equal(s->ops->service_account_delete(s, "1a"), PS_OK);
  assert_int_equal(s->ops->service_account_find(s, "1a", &found), PS_ENOTFOUND);
  assert_int_equal(s->ops->service_account_delete(s, "1a"), PS_ENOTFOUND);
  s->ops->close(s);

  /* Durable: a new process sees the same. */
  s = open_store(0);
  assert_int_equal(s->ops->service_account_find(s, "1a", &found), PS_ENOTFOUND);
  assert_int_equal(s->ops->service_account_find(s, "3a", &found), PS_OK);
  assert_string_equal(found.role, "writer");
  assert_int_equal(s->ops->service_account_list(s, NULL, &list, &n), PS_OK);
  assert_int_equal(n, 3);
  free(list);
  s->ops->close(s);
}

static void a_version_4_database_gains_service_accounts(void **state) {
  /* A store written before service accounts existed (user_version 4, no such table). */
  ps_store *s = open_store(0);
  ps_game g = make_game(s, "401");
  s->ops->close(s);
  char path[300];
  snprintf(path, sizeof path, "%s/playstat.db", dir);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "DROP TABLE service_accounts; PRAGMA user_version = 4;",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);

  s = open_store(0);
  ps_game found;
  assert_int_equal(s->ops->game_find_by_id(s, g.id, &found), PS_OK);
  ps_service_account a = account("1a", g.project_id, "viewer", 1);
  assert_int_equal(s->ops->service_account_create(s, &a), PS_OK);
  s->ops->close(s);
}

static int query_int(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  int v = -1;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  return v;
}

static void a_version_6_database_moves_to_the_client_ts_uuid_index(void **state) {
  /* A v6 store: events deduplicated by events_by_uuid (game_id, event_uuid). */
  ps_store *s = open_store(0);
  ps_game g = make_game(s, "601");
  const char *u = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  ps_record r = event(g.id, u, "{\"n\":1}");
  r.has_client_ts = 1;
  r.client_ts = 1764547200;
  ps_record_span span = {&r, 1};
  assert_int_equal(s->ops->write(s, &span, 1), PS_OK);
  s->ops->close(s);
  char path[300];
  snprintf(path, sizeof path, "%s/playstat.db", dir);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "DROP INDEX events_by_ts_uuid; CREATE UNIQUE INDEX events_by_uuid"
                                " ON events(game_id, event_uuid) WHERE event_uuid IS NOT NULL;"
                                " PRAGMA user_version = 6;",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);

  /* Opening it upgrades in place: the old index dropped, the new one built over the rows. */
  s = open_store(0);
  s->ops->close(s);
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(query_int(db, "PRAGMA user_version"), 7);
  assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_uuid'"), 0);
  assert_int_equal(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'events_by_ts_uuid'"), 1);
  sqlite3_close(db);

  /* A resend (same uuid, same client_ts, any case) of the event written under v6 is a duplicate;
   * without client_ts the uuid alone decides, as before. */
  s = open_store(0);
  ps_record again[3] = {event(g.id, "0A1B2C3D-4E5F-4A6B-8C7D-9E0F1A2B3C4D", "{\"n\":1}"),
                        event(g.id, u, "{\"n\":2}"), event(g.id, u, "{\"n\":3}")};
  again[0].has_client_ts = 1;
  again[0].client_ts = 1764547200;
  ps_record_span span2 = {again, 3};
  assert_int_equal(s->ops->write(s, &span2, 1), PS_OK);
  assert_true(again[0].duplicate);
  assert_false(again[1].duplicate);
  assert_true(again[2].duplicate);
  assert_int_equal(count(s, g.id, 0), 2);
  s->ops->close(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(games_are_found_by_key_and_id, setup, teardown),
      cmocka_unit_test_setup_teardown(duplicates_are_stored_once_per_game, setup, teardown),
      cmocka_unit_test_setup_teardown(rejected_events_keep_the_newest, setup, teardown),
      cmocka_unit_test_setup_teardown(service_accounts_are_created_found_listed_and_deleted,
                                      setup, teardown),
      cmocka_unit_test_setup_teardown(a_version_4_database_gains_service_accounts, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(a_version_6_database_moves_to_the_client_ts_uuid_index,
                                      setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
