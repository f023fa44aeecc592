/* test_sdk_journal_growth.c: the call journal grows ahead of the calls (sdk/journal.h,
 * ps_journal_grow_ahead): the library's thread makes the room, the appends that fit it do not
 * grow the file themselves, and a growth that runs while another thread appends loses,
 * moves or damages no record (the mapping grows in place). Also the items an event call
 * writes in place (ps_jrec_open/close/cut) read back as ps_jrec_add's do. */
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

#include "common/errors.h"
#include "sdk/journal.h"

static char base[64];

static int setup(void **state) {
  (void)state;
  snprintf(base, sizeof base, "/tmp/test_sdk_journal_growth_%d.db", (int)getpid());
  for (int i = 0; i < 2; i++) {
    char p[96];
    snprintf(p, sizeof p, "%s-calls.%d", base, i);
    unlink(p);
  }
  return 0;
}

static int teardown(void **state) { return setup(state); }

/* The body of record seq: its number, then filler bytes that depend on seq, len bytes in all
 * (at least 24). */
static void body_of(uint64_t seq, char *out, size_t len) {
  int n = snprintf(out, len, "%020llu:", (unsigned long long)seq);
  for (size_t i = (size_t)n; i < len; i++) out[i] = (char)('a' + (seq * 31 + i) % 26);
}

static size_t len_of(uint64_t seq) { return 24 + (seq * 7919) % 6000; } /* 24 .. 6023 bytes */

static void append_seq(ps_journal *j, ps_jrec *r, char *scratch, uint64_t seq) {
  size_t len = len_of(seq);
  body_of(seq, scratch, len);
  assert_int_equal(ps_jrec_reset(r), PS_OK);
  assert_int_equal(ps_jrec_add(r, PS_JI_EVENT, (int64_t)seq, "design", 6, scratch, len), PS_OK);
  assert_int_equal(ps_journal_append(j, seq, r), PS_OK);
}

/* File 0 holds records 1..n exactly, in order, each byte for byte, and nothing else. */
static void assert_records(ps_journal *j, uint64_t n) {
  ps_buf data = {0};
  assert_int_equal(ps_journal_read(j, 0, &data), PS_OK);
  ps_jread *recs;
  size_t count, skipped;
  assert_int_equal(ps_journal_parse(data.data, data.len, &recs, &count, &skipped), PS_OK);
  assert_int_equal(skipped, 0);
  assert_int_equal(count, n);
  char *want = malloc(8192);
  assert_non_null(want);
  for (size_t i = 0; i < count; i++) {
    assert_int_equal(recs[i].seq, i + 1);
    size_t off = 0;
    ps_jitem it;
    assert_int_equal(ps_jitem_next(recs[i].payload, recs[i].len, &off, &it), 1);
    body_of(i + 1, want, len_of(i + 1));
    assert_int_equal(it.blen, len_of(i + 1));
    assert_memory_equal(it.b, want, it.blen);
  }
  free(want);
  free(recs);
  ps_buf_free(&data);
}

static void grow_ahead_makes_the_room_the_appends_then_use(void **state) {
  (void)state;
  ps_journal *j;
  char err[256], scratch[8192];
  ps_jrec r = {0};
  assert_int_equal(ps_journal_open(base, 0, &j, err, sizeof err), PS_OK);
  uint64_t first = ps_journal_active_capacity(j);
  assert_true(first > 0);
  uint64_t seq = 0;
  while (ps_journal_active_bytes(j) < first / 2) append_seq(j, &r, scratch, ++seq);
  uint64_t room = 3 * first; /* more than one doubling */
  ps_journal_grow_ahead(j, room);
  uint64_t grown = ps_journal_active_capacity(j);
  assert_true(grown >= ps_journal_active_bytes(j) + room);
  /* the appends into that room find it: none grows the file */
  while (ps_journal_active_bytes(j) + 8192 < grown) {
    append_seq(j, &r, scratch, ++seq);
    assert_int_equal(ps_journal_active_capacity(j), grown);
  }
  ps_journal_grow_ahead(j, 0); /* room enough already: nothing changes */
  assert_int_equal(ps_journal_active_capacity(j), grown);
  /* past it, the append grows the file itself (the fallback), and still loses nothing */
  for (int i = 0; i < 4; i++) append_seq(j, &r, scratch, ++seq);
  assert_true(ps_journal_active_capacity(j) > grown);
  assert_records(j, seq);
  ps_jrec_free(&r);
  ps_journal_close(j);
  /* and the next launch reads them all too */
  assert_int_equal(ps_journal_open(base, 0, &j, err, sizeof err), PS_OK);
  assert_records(j, seq);
  ps_journal_close(j);
}

typedef struct grower {
  ps_journal *j;
  volatile int stop;
  long growths;
} grower;

/* The library thread's part: keeps room ahead of the appends, as fast as it can. */
static void *grow_loop(void *arg) {
  grower *g = arg;
  while (!g->stop) {
    uint64_t before = ps_journal_active_capacity(g->j);
    ps_journal_grow_ahead(g->j, (size_t)before / 2); /* doubles it once it is half full */
    ps_journal_keep_ahead(g->j, 256 * 1024);
    if (ps_journal_active_capacity(g->j) != before) g->growths++;
  }
  return NULL;
}

static void growth_while_appending_loses_and_moves_nothing(void **state) {
  (void)state;
  ps_journal *j;
  char err[256], scratch[8192];
  ps_jrec r = {0};
  assert_int_equal(ps_journal_open(base, 0, &j, err, sizeof err), PS_OK);
  grower g = {.j = j};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, grow_loop, &g), 0);
  uint64_t seq = 0;
  while (ps_journal_active_bytes(j) < 48u * 1024 * 1024) append_seq(j, &r, scratch, ++seq);
  g.stop = 1;
  pthread_join(t, NULL);
  assert_true(g.growths >= 2); /* 4 MiB -> 64 MiB: the growths ran beside the appends */
  assert_true(ps_journal_active_capacity(j) <= 128u * 1024 * 1024);
  assert_records(j, seq);
  ps_jrec_free(&r);
  ps_journal_close(j);
}

/* An item written in place reads back as the same item added whole; a cut one leaves the
 * record as it was. */
static void items_written_in_place_read_back_as_added_ones(void **state) {
  (void)state;
  ps_jrec whole = {0}, in_place = {0};
  assert_int_equal(ps_jrec_reset(&whole), PS_OK);
  assert_int_equal(ps_jrec_add(&whole, PS_JI_STATE, 0, "k", 1, "v", 1), PS_OK);
  assert_int_equal(ps_jrec_add(&whole, PS_JI_EVENT, 42, "design", 6, "{\"a\":1}", 7), PS_OK);
  assert_int_equal(ps_jrec_reset(&in_place), PS_OK);
  assert_int_equal(ps_jrec_add(&in_place, PS_JI_STATE, 0, "k", 1, "v", 1), PS_OK);
  size_t before = in_place.buf.len, at;
  assert_int_equal(ps_jrec_open(&in_place, PS_JI_EVENT, 9, "resource", 8, &at), PS_OK);
  assert_int_equal(ps_buf_append(&in_place.buf, "{\"dropped\":1}", 13), PS_OK);
  ps_jrec_cut(&in_place, at);
  assert_int_equal(in_place.buf.len, before);
  assert_int_equal(in_place.items, 1);
  assert_int_equal(ps_jrec_open(&in_place, PS_JI_EVENT, 42, "design", 6, &at), PS_OK);
  assert_int_equal(ps_jrec_b_offset(at, 6), in_place.buf.len);
  assert_int_equal(ps_buf_append(&in_place.buf, "{\"a\":", 5), PS_OK);
  assert_int_equal(ps_buf_append(&in_place.buf, "1}", 2), PS_OK);
  ps_jrec_close(&in_place, at);
  assert_int_equal(in_place.items, whole.items);
  assert_int_equal(in_place.buf.len, whole.buf.len);
  assert_memory_equal(in_place.buf.data, whole.buf.data, whole.buf.len);
  ps_jrec_free(&whole);
  ps_jrec_free(&in_place);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(grow_ahead_makes_the_room_the_appends_then_use, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(growth_while_appending_loses_and_moves_nothing, setup,
                                      teardown),
      cmocka_unit_test(items_written_in_place_read_back_as_added_ones),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
