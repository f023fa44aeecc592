/* test_sdk_event_paths.c: business and progression events are the same whichever way the call
 * takes: without custom fields it writes the members as text and checks them from its
 * arguments (sdk/events.c), with custom fields it builds a jansson value. Two handles (a closed
 * port: nothing is sent, everything stays queued) make the same calls, one with a custom field
 * on every call; the events each queued must both equal the model the test computes from the
 * calls: transaction_num counting the stored business events only, attempt_num per
 * progression (a Start while another attempt is ongoing records that one's Fail first), a
 * refused call changing no counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "playstat.h"
#include "sdk/queue_db.h"

static char db_path[2][64];

static void remove_files(const char *path) {
  static const char *const sides[] = {"", "-wal", "-shm", "-calls.0", "-calls.1"};
  char side[160];
  for (size_t i = 0; i < sizeof sides / sizeof *sides; i++) {
    snprintf(side, sizeof side, "%s%s", path, sides[i]);
    unlink(side);
  }
}

static int setup(void **state) {
  (void)state;
  for (int i = 0; i < 2; i++) {
    snprintf(db_path[i], sizeof db_path[i], "/tmp/test_sdk_event_paths_%d_%d.db", (int)getpid(), i);
    remove_files(db_path[i]);
  }
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (int i = 0; i < 2; i++) remove_files(db_path[i]);
  return 0;
}

/* One step of the game: a call and the status it must return. */
typedef struct step {
  char kind; /* 'b' business, 'p' progression */
  const char *id; /* business event id, or the progression */
  int64_t amount;
  const char *currency, *cart_type;
  playstat_progression_status status;
  int has_score;
  int64_t score;
  int expect;
} step;

static const step steps[] = {
    {'b', "Gems:P1", 99, "USD", "shop", 0, 0, 0, PLAYSTAT_OK},
    {'b', "Gems:P2", 5, "EUR", NULL, 0, 0, 0, PLAYSTAT_OK},
    {'b', "Gems:P3", 5, "usd", NULL, 0, 0, 0, PLAYSTAT_E_INVALID}, /* no transaction_num used */
    {'b', "Gems:P4", -3, "SEK", "caf\xc3\xa9 \xe2\x82\xac", 0, 0, 0, PLAYSTAT_OK},
    {'p', "W1", 0, NULL, NULL, PLAYSTAT_PROGRESSION_START, 1, 5, PLAYSTAT_OK}, /* no score on Start */
    {'p', "W1", 0, NULL, NULL, PLAYSTAT_PROGRESSION_FAIL, 1, 10, PLAYSTAT_OK},
    {'p', "W1", 0, NULL, NULL, PLAYSTAT_PROGRESSION_START, 0, 0, PLAYSTAT_OK},
    {'p', "W2:L1", 0, NULL, NULL, PLAYSTAT_PROGRESSION_START, 0, 0, PLAYSTAT_OK}, /* fails W1 */
    {'p', "W2:L1:S1:X", 0, NULL, NULL, PLAYSTAT_PROGRESSION_FAIL, 0, 0, PLAYSTAT_E_INVALID},
    {'p', "W2:L1", 0, NULL, NULL, PLAYSTAT_PROGRESSION_COMPLETE, 1, 7, PLAYSTAT_OK},
    {'p', "W1", 0, NULL, NULL, PLAYSTAT_PROGRESSION_START, 0, 0, PLAYSTAT_OK},
    {'p', "W1", 0, NULL, NULL, PLAYSTAT_PROGRESSION_COMPLETE, 0, 0, PLAYSTAT_OK},
    {'p', "W1", 0, NULL, NULL, PLAYSTAT_PROGRESSION_COMPLETE, 0, 0, PLAYSTAT_OK}, /* anew: 1 */
    {'b', "Gems:P5", 1, "USD", NULL, 0, 0, 0, PLAYSTAT_OK},
};
#define STEPS (sizeof steps / sizeof *steps)

/* Makes the calls on a fresh handle over path, with a custom field on each when custom is set,
 * then shuts it down (everything stays queued). */
static void play(const char *path, int custom) {
  playstat_config cfg;
  playstat_config_init(&cfg);
  cfg.base_url = "http://127.0.0.1:1";
  cfg.game_key = "0123456789abcdef0123456789abcdef";
  cfg.secret_key = "secret";
  cfg.database_path = path;
  cfg.shutdown_timeout_ms = 0;
  playstat *ps = NULL;
  assert_int_equal(playstat_create(&cfg, &ps), PLAYSTAT_OK);
  assert_int_equal(playstat_session_start(ps), PLAYSTAT_OK);
  playstat_field field = {.key = "k", .text = "v"};
  playstat_fields fields = {.items = &field, .count = 1};
  for (size_t i = 0; i < STEPS; i++) {
    const step *s = &steps[i];
    int rc = s->kind == 'b'
                 ? playstat_business(ps, s->id, s->amount, s->currency, s->cart_type, custom ? &fields : NULL)
                 : playstat_progression(ps, s->status, s->id, s->has_score, s->score, custom ? &fields : NULL);
    if (rc != s->expect) fail_msg("step %zu (custom %d): %s, expected %s", i, custom,
                                  playstat_strerror(rc), playstat_strerror(s->expect));
  }
  assert_int_equal(playstat_shutdown(ps), PLAYSTAT_E_PENDING);
}

/* The business and progression events the model expects from steps, as jansson objects. */
static json_t *model(int custom) {
  static const char *const names[] = {"Start", "Fail", "Complete"};
  json_t *events = json_array();
  int64_t transactions = 0;
  struct { const char *id; int64_t failed; } attempts[8];
  size_t nattempts = 0;
  const char *ongoing = NULL;
  char id[300];
  for (size_t i = 0; i < STEPS; i++) {
    const step *s = &steps[i];
    if (s->expect != PLAYSTAT_OK) continue;
    json_t *e = json_object();
    if (s->kind == 'b') {
      json_object_set_new(e, "category", json_string("business"));
      json_object_set_new(e, "event_id", json_string(s->id));
      json_object_set_new(e, "amount", json_integer(s->amount));
      json_object_set_new(e, "currency", json_string(s->currency));
      if (s->cart_type) json_object_set_new(e, "cart_type", json_string(s->cart_type));
      json_object_set_new(e, "transaction_num", json_integer(++transactions));
    } else {
      size_t a = 0;
      while (a < nattempts && strcmp(attempts[a].id, s->id) != 0) a++;
      if (a == nattempts) attempts[nattempts++].id = s->id, attempts[a].failed = 0;
      if (s->status == PLAYSTAT_PROGRESSION_START && ongoing) { /* the ongoing one fails */
        size_t o = 0;
        while (strcmp(attempts[o].id, ongoing) != 0) o++;
        json_t *fail = json_object();
        snprintf(id, sizeof id, "Fail:%s", ongoing);
        json_object_set_new(fail, "category", json_string("progression"));
        json_object_set_new(fail, "event_id", json_string(id));
        json_object_set_new(fail, "attempt_num", json_integer(++attempts[o].failed));
        json_array_append_new(events, fail);
      }
      snprintf(id, sizeof id, "%s:%s", names[s->status], s->id);
      json_object_set_new(e, "category", json_string("progression"));
      json_object_set_new(e, "event_id", json_string(id));
      if (s->has_score && s->status != PLAYSTAT_PROGRESSION_START)
        json_object_set_new(e, "score", json_integer(s->score));
      if (s->status == PLAYSTAT_PROGRESSION_FAIL)
        json_object_set_new(e, "attempt_num", json_integer(++attempts[a].failed));
      if (s->status == PLAYSTAT_PROGRESSION_COMPLETE) {
        json_object_set_new(e, "attempt_num", json_integer(attempts[a].failed + 1));
        attempts[a].failed = 0;
      }
      if (s->status == PLAYSTAT_PROGRESSION_START) ongoing = s->id;
      else if (ongoing && strcmp(ongoing, s->id) == 0) ongoing = NULL;
    }
    /* the call's own event carries its custom fields; the ongoing attempt's Fail is the
     * library's and has none */
    if (custom) json_object_set_new(e, "custom_fields", json_pack("{s:s}", "k", "v"));
    json_array_append_new(events, e);
  }
  return events;
}

/* The queued business and progression events of path, their own members only (annotations,
 * event_uuid and client_ts dropped), oldest first. */
static json_t *queued(const char *path) {
  static const char *const own[] = {"category", "event_id", "amount", "currency", "cart_type",
                                    "transaction_num", "score", "attempt_num", "custom_fields"};
  ps_queue_db *db = NULL;
  char err[256];
  assert_int_equal(ps_qdb_open(path, 0, &db, err, sizeof err), 0);
  ps_qdb_row *rows = NULL;
  size_t n = 0;
  assert_int_equal(ps_qdb_peek(db, 1000, &rows, &n), 0);
  json_t *events = json_array();
  for (size_t r = 0; r < n; r++) {
    json_t *e = json_loadb(rows[r].body, rows[r].len, 0, NULL);
    assert_non_null(e);
    const char *category = json_string_value(json_object_get(e, "category"));
    if (strcmp(category, "business") == 0 || strcmp(category, "progression") == 0) {
      assert_non_null(json_object_get(e, "event_uuid"));
      assert_non_null(json_object_get(e, "session_id"));
      json_t *kept = json_object();
      for (size_t k = 0; k < sizeof own / sizeof *own; k++)
        if (json_object_get(e, own[k])) json_object_set(kept, own[k], json_object_get(e, own[k]));
      json_array_append_new(events, kept);
    }
    json_decref(e);
  }
  ps_qdb_rows_free(rows, n);
  ps_qdb_close(db);
  return events;
}

static void both_ways_queue_the_models_events(void **state) {
  (void)state;
  for (int custom = 0; custom < 2; custom++) {
    play(db_path[custom], custom);
    json_t *got = queued(db_path[custom]), *want = model(custom);
    if (!json_equal(got, want)) {
      char *g = json_dumps(got, JSON_COMPACT), *w = json_dumps(want, JSON_COMPACT);
      fail_msg("custom %d:\n got  %s\n want %s", custom, g, w);
    }
    json_decref(got);
    json_decref(want);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(both_ways_queue_the_models_events, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
