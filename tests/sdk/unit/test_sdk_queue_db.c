/* test_sdk_queue_db.c: libplaystat's database (sdk/queue_db.h): the drop policy of the bounded
 * queue, attempt numbers per progression, persisted counters, the open-session row, and the
 * reader connection that reads batches and alone checkpoints the write-ahead log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "sdk/queue_db.h"

typedef struct fixture {
  char path[64];
  ps_queue_db *db;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  snprintf(f->path, sizeof f->path, "/tmp/test_sdk_queue_XXXXXX");
  int fd = mkstemp(f->path);
  if (fd < 0) return -1;
  close(fd);
  char err[256];
  if (ps_qdb_open(f->path, 0, &f->db, err, sizeof err) != PS_OK) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  ps_qdb_close(f->db);
  char side[80];
  unlink(f->path);
  snprintf(side, sizeof side, "%s-wal", f->path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", f->path);
  unlink(side);
  free(f);
  return 0;
}

/* Appends an event of category whose body is 100 bytes naming tag. */
static int append(ps_queue_db *db, const char *category, const char *tag, uint64_t max,
                  ps_qdb_evicted *ev) {
  char body[101];
  memset(body, ' ', 100);
  body[100] = '\0';
  memcpy(body, tag, strlen(tag));
  return ps_qdb_append(db, category, body, 100, max, ev);
}

/* The tags of the queued events, oldest first, joined by ",". */
static void queued_tags(ps_queue_db *db, char *out, size_t cap) {
  ps_qdb_row *rows;
  size_t n;
  assert_int_equal(ps_qdb_peek(db, 1000, &rows, &n), PS_OK);
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    char tag[16];
    sscanf(rows[i].body, "%15s", tag);
    snprintf(out + strlen(out), cap - strlen(out), "%s%s", i ? "," : "", tag);
  }
  ps_qdb_rows_free(rows, n);
}

static void priorities_rank_events_by_value(void **state) {
  assert_true(ps_sdk_category_priority("design") < ps_sdk_category_priority("error"));
  assert_true(ps_sdk_category_priority("resource") < ps_sdk_category_priority("progression"));
  assert_true(ps_sdk_category_priority("progression") < ps_sdk_category_priority("business"));
  assert_int_equal(ps_sdk_category_priority("business"), ps_sdk_category_priority("session_end"));
  assert_int_equal(ps_sdk_category_priority("user"), ps_sdk_category_priority("session_end"));
}

static void full_queue_drops_oldest_lowest_value_first(void **state) {
  fixture *f = *state;
  ps_qdb_evicted ev;
  const uint64_t max = 500; /* five events */
  assert_int_equal(append(f->db, "business", "b1", max, &ev), PS_OK);
  assert_int_equal(append(f->db, "design", "d1", max, &ev), PS_OK);
  assert_int_equal(append(f->db, "progression", "p1", max, &ev), PS_OK);
  assert_int_equal(append(f->db, "design", "d2", max, &ev), PS_OK);
  assert_int_equal(append(f->db, "error", "e1", max, &ev), PS_OK);
  assert_int_equal(ev.events, 0);
  assert_int_equal(ps_qdb_queued_bytes(f->db), 500);

  assert_int_equal(append(f->db, "business", "b2", max, &ev), PS_OK);
  assert_int_equal(ev.events, 1);
  assert_int_equal(ev.lowest_priority, 0);
  char tags[256];
  queued_tags(f->db, tags, sizeof tags);
  assert_string_equal(tags, "b1,p1,d2,e1,b2"); /* d1: the oldest design */

  assert_int_equal(append(f->db, "design", "d3", max, &ev), PS_OK); /* design pushes design */
  queued_tags(f->db, tags, sizeof tags);
  assert_string_equal(tags, "b1,p1,e1,b2,d3");

  assert_int_equal(append(f->db, "progression", "p2", max, &ev), PS_OK);
  assert_int_equal(append(f->db, "progression", "p3", max, &ev), PS_OK); /* then the error */
  queued_tags(f->db, tags, sizeof tags);
  assert_string_equal(tags, "b1,p1,b2,p2,p3");

  /* Only events worth more (or as much) are left: a design event is refused, nothing changes. */
  assert_int_equal(append(f->db, "design", "d4", max, &ev), PS_EFULL);
  assert_int_equal(ev.events, 0);
  queued_tags(f->db, tags, sizeof tags);
  assert_string_equal(tags, "b1,p1,b2,p2,p3");
  assert_int_equal(append(f->db, "user", "u1", max, &ev), PS_OK); /* evicts the oldest progression */
  queued_tags(f->db, tags, sizeof tags);
  assert_string_equal(tags, "b1,b2,p2,p3,u1");
  assert_int_equal(ps_qdb_queued_events(f->db), 5);
  assert_int_equal(ps_qdb_queued_bytes(f->db), 500);
}

static void delete_forgets_sent_events_and_totals_follow(void **state) {
  fixture *f = *state;
  ps_qdb_evicted ev;
  for (int i = 0; i < 4; i++) assert_int_equal(append(f->db, "design", "d", 10000, &ev), PS_OK);
  ps_qdb_row *rows;
  size_t n;
  assert_int_equal(ps_qdb_peek(f->db, 3, &rows, &n), PS_OK);
  assert_int_equal(n, 3);
  assert_int_equal(ps_qdb_delete(f->db, rows, n), PS_OK);
  assert_int_equal(ps_qdb_delete(f->db, rows, n), PS_OK); /* already gone: ignored */
  ps_qdb_rows_free(rows, n);
  assert_int_equal(ps_qdb_queued_events(f->db), 1);
  assert_int_equal(ps_qdb_queued_bytes(f->db), 100);
}

static void attempts_follow_the_seed(void **state) {
  fixture *f = *state;
  int64_t a = 0;
  assert_int_equal(ps_qdb_progression_fail(f->db, "W1:L1", &a), PS_OK);
  assert_int_equal(a, 1);
  assert_int_equal(ps_qdb_progression_fail(f->db, "W1:L1", &a), PS_OK);
  assert_int_equal(a, 2);
  assert_int_equal(ps_qdb_progression_complete(f->db, "W1:L1", &a), PS_OK);
  assert_int_equal(a, 3);
  assert_int_equal(ps_qdb_progression_complete(f->db, "W1:L1", &a), PS_OK); /* reset */
  assert_int_equal(a, 1);
  assert_int_equal(ps_qdb_progression_complete(f->db, "W2", &a), PS_OK);
  assert_int_equal(a, 1);
}

static void counters_and_the_open_session_survive_a_reopen(void **state) {
  fixture *f = *state;
  int64_t n = 0;
  assert_int_equal(ps_qdb_state_increment(f->db, "transaction_num", &n), PS_OK);
  assert_int_equal(ps_qdb_state_increment(f->db, "transaction_num", &n), PS_OK);
  assert_int_equal(n, 2);
  assert_int_equal(ps_qdb_session_put(f->db, "s-1", 1000, "{\"v\":2}"), PS_OK);
  assert_int_equal(ps_qdb_session_touch(f->db, 1042), PS_OK);
  assert_int_equal(ps_qdb_session_touch(f->db, 1010), PS_OK); /* never backwards */
  ps_qdb_close(f->db);
  char err[256];
  assert_int_equal(ps_qdb_open(f->path, 0, &f->db, err, sizeof err), PS_OK);
  assert_int_equal(ps_qdb_state_increment(f->db, "transaction_num", &n), PS_OK);
  assert_int_equal(n, 3);
  char sid[37];
  int64_t start = 0, last = 0;
  char *annotations = NULL;
  assert_int_equal(ps_qdb_session_get(f->db, sid, &start, &last, &annotations), 1);
  assert_string_equal(sid, "s-1");
  assert_int_equal(start, 1000);
  assert_int_equal(last, 1042);
  assert_string_equal(annotations, "{\"v\":2}");
  free(annotations);
  assert_int_equal(ps_qdb_session_clear(f->db), PS_OK);
  assert_int_equal(ps_qdb_session_get(f->db, sid, &start, &last, &annotations), 0);
}

static long long file_size(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* The game's connection never checkpoints, however large its log grows (a checkpoint inside an
 * event call is what made rare calls slow); the reader sees committed events and checkpoints
 * them into the database file. */
static void only_the_reader_checkpoints(void **state) {
  fixture *f = *state;
  char err[256];
  ps_queue_db *reader = NULL;
  assert_int_equal(ps_qdb_open_reader(f->path, &reader, err, sizeof err), PS_OK);
  long long before = file_size(f->path);
  char tag[32];
  ps_qdb_evicted ev;
  for (int i = 0; i < 6000; i++) { /* 6,000 commits: thousands of WAL frames, past the 1,000
                                      at which SQLite would checkpoint by default */
    snprintf(tag, sizeof tag, "e%d", i);
    assert_int_equal(append(f->db, "design", tag, 1 << 30, &ev), PS_OK);
  }
  assert_int_equal(file_size(f->path), before); /* everything is still in the log */
  ps_qdb_row *rows;
  size_t n;
  assert_int_equal(ps_qdb_peek(reader, 500, &rows, &n), PS_OK);
  assert_int_equal(n, 500);
  assert_memory_equal(rows[0].body, "e0 ", 3);
  ps_qdb_rows_free(rows, n);
  assert_int_equal(ps_qdb_checkpoint(reader), PS_OK);
  assert_true(file_size(f->path) > before + 600 * 1024); /* 600 KB of bodies, now in the file */
  ps_qdb_close(reader);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(priorities_rank_events_by_value),
      cmocka_unit_test_setup_teardown(full_queue_drops_oldest_lowest_value_first, setup, teardown),
      cmocka_unit_test_setup_teardown(delete_forgets_sent_events_and_totals_follow, setup, teardown),
      cmocka_unit_test_setup_teardown(attempts_follow_the_seed, setup, teardown),
      cmocka_unit_test_setup_teardown(counters_and_the_open_session_survive_a_reopen, setup, teardown),
      cmocka_unit_test_setup_teardown(only_the_reader_checkpoints, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
