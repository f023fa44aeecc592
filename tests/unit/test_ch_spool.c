/* test_ch_spool.c: the ClickHouse store's local spool (store/clickhouse/spool.c) without a
 * server: appends are counted as pending, a torn tail left by a crash mid-write is cut at the
 * last whole frame and every whole frame stays, a damaged byte never passes, a full spool
 * refuses (PS_EFULL) and writes nothing, and one spool has one owner. Shipping is exercised
 * against real ClickHouse servers by unit/store_conformance_clickhouse and integration/cluster. */
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
#include "store/clickhouse/internal.h"

#define FRAME_OVERHEAD 9 /* length, CRC, table byte */

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/playstat-spool-XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

/* Appends one frame of n rows "row I\n" to the events table. */
static int append_rows(ps_ch_spool *sp, int n, int64_t *bytes) {
  ps_buf rows[PS_CH_NTABLES] = {{0}};
  for (int i = 0; i < n; i++) ps_buf_printf(&rows[PS_CH_EVENTS], "row %d\n", i);
  *bytes = (int64_t)rows[PS_CH_EVENTS].len + FRAME_OVERHEAD;
  int rc = ps_ch_spool_append(sp, rows);
  ps_buf_free(&rows[PS_CH_EVENTS]);
  return rc;
}

static off_t segment_size(char *path, size_t cap) {
  snprintf(path, cap, "%s/0000000000000001.seg", dir);
  struct stat st;
  assert_int_equal(stat(path, &st), 0);
  return st.st_size;
}

static void whole_frames_survive_a_torn_tail(void **state) {
  (void)state;
  ps_ch_spool *sp;
  assert_int_equal(ps_ch_spool_open(dir, 1 << 20, &sp), PS_OK);
  int64_t a, b, c;
  assert_int_equal(append_rows(sp, 3, &a), PS_OK);
  assert_int_equal(append_rows(sp, 5, &b), PS_OK);
  assert_int_equal(append_rows(sp, 7, &c), PS_OK);
  assert_int_equal(ps_ch_spool_pending(sp), a + b + c);
  ps_ch_spool_close(sp);
  /* A crash mid-write of the third frame: every cut point keeps the first two whole. */
  char path[128];
  off_t full = segment_size(path, sizeof path);
  assert_int_equal(full, a + b + c);
  for (off_t cut = full - 1; cut > a + b; cut -= 3) {
    assert_int_equal(truncate(path, cut), 0);
    assert_int_equal(ps_ch_spool_open(dir, 1 << 20, &sp), PS_OK);
    assert_int_equal(ps_ch_spool_pending(sp), a + b);
    assert_int_equal(segment_size(path, sizeof path), a + b); /* the torn bytes are cut */
    ps_ch_spool_close(sp);
  }
}

static void a_damaged_frame_is_never_counted(void **state) {
  (void)state;
  ps_ch_spool *sp;
  assert_int_equal(ps_ch_spool_open(dir, 1 << 20, &sp), PS_OK);
  int64_t a, b;
  assert_int_equal(append_rows(sp, 3, &a), PS_OK);
  assert_int_equal(append_rows(sp, 4, &b), PS_OK);
  ps_ch_spool_close(sp);
  char path[128];
  segment_size(path, sizeof path);
  FILE *f = fopen(path, "r+");
  assert_non_null(f);
  assert_int_equal(fseek(f, (long)(a + 12), SEEK_SET), 0); /* inside the second frame's rows */
  fputc('X', f);
  fclose(f);
  assert_int_equal(ps_ch_spool_open(dir, 1 << 20, &sp), PS_OK);
  assert_int_equal(ps_ch_spool_pending(sp), a); /* its CRC fails: only the first frame holds */
  ps_ch_spool_close(sp);
}

static void a_full_spool_refuses_and_writes_nothing(void **state) {
  (void)state;
  ps_ch_spool *sp;
  assert_int_equal(ps_ch_spool_open(dir, 200, &sp), PS_OK);
  int64_t a, b;
  assert_int_equal(append_rows(sp, 20, &a), PS_OK);
  assert_true(a < 200);
  assert_int_equal(append_rows(sp, 20, &b), PS_EFULL);
  assert_int_equal(ps_ch_spool_pending(sp), a);
  ps_ch_spool_close(sp);
  char path[128];
  assert_int_equal(segment_size(path, sizeof path), a);
  /* And it stays so across a restart (the refused frame was never written). */
  assert_int_equal(ps_ch_spool_open(dir, 200, &sp), PS_OK);
  assert_int_equal(ps_ch_spool_pending(sp), a);
  ps_ch_spool_close(sp);
}

static void one_spool_has_one_owner(void **state) {
  (void)state;
  ps_ch_spool *first, *second = (ps_ch_spool *)1;
  assert_int_equal(ps_ch_spool_open(dir, 1 << 20, &first), PS_OK);
  assert_int_equal(ps_ch_spool_open(dir, 1 << 20, &second), PS_EIO);
  assert_null(second);
  ps_ch_spool_close(first);
  assert_int_equal(ps_ch_spool_open(dir, 1 << 20, &second), PS_OK);
  ps_ch_spool_close(second);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(whole_frames_survive_a_torn_tail, setup, teardown),
      cmocka_unit_test_setup_teardown(a_damaged_frame_is_never_counted, setup, teardown),
      cmocka_unit_test_setup_teardown(a_full_spool_refuses_and_writes_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(one_spool_has_one_owner, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
