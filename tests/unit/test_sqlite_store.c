/* test_sqlite_store.c: the SQLite backend's guarantees (store/store.h): games, dedup by
 * (game, event_uuid), rejected events bounded per game, data surviving a reopen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(games_are_found_by_key_and_id, setup, teardown),
      cmocka_unit_test_setup_teardown(duplicates_are_stored_once_per_game, setup, teardown),
      cmocka_unit_test_setup_teardown(rejected_events_keep_the_newest, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
