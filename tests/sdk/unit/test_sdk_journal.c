/* test_sdk_journal.c: the call journal (sdk/journal.h): records read back whole and in order,
 * a torn tail or damaged bytes lose no complete record (before or after them), the two files
 * swap and drain, a launch reads what the last one left (a record ending in zero bytes too),
 * and a second process cannot open it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "common/errors.h"
#include "sdk/journal.h"

static char base[64];

static void path_of(int i, char *out, size_t cap) { snprintf(out, cap, "%s-calls.%d", base, i); }

static int setup(void **state) {
  snprintf(base, sizeof base, "/tmp/test_sdk_journal_%d.db", (int)getpid());
  for (int i = 0; i < 2; i++) {
    char p[96];
    path_of(i, p, sizeof p);
    unlink(p);
  }
  return 0;
}

static int teardown(void **state) { return setup(state); }

/* Appends record seq with one event item whose body names tag. */
static void append(ps_journal *j, ps_jrec *r, uint64_t seq, const char *tag) {
  assert_int_equal(ps_jrec_reset(r), PS_OK);
  assert_int_equal(ps_jrec_add(r, PS_JI_EVENT, (int64_t)seq, "design", 6, tag, strlen(tag)), PS_OK);
  assert_int_equal(ps_jrec_add(r, PS_JI_STATE, 0, "k", 1, "v", 1), PS_OK);
  assert_int_equal(ps_journal_append(j, seq, r), PS_OK);
}

/* The tags of the valid records of data, joined by ",", and the skipped byte count. */
static size_t tags(const char *data, size_t len, char *out, size_t cap) {
  ps_jread *recs;
  size_t n, skipped;
  assert_int_equal(ps_journal_parse(data, len, &recs, &n, &skipped), PS_OK);
  out[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    size_t off = 0;
    ps_jitem it;
    assert_int_equal(ps_jitem_next(recs[i].payload, recs[i].len, &off, &it), 1);
    assert_int_equal(it.type, PS_JI_EVENT);
    assert_int_equal(it.number, (int64_t)recs[i].seq);
    snprintf(out + strlen(out), cap - strlen(out), "%s%.*s", i ? "," : "", (int)it.blen, it.b);
  }
  free(recs);
  return skipped;
}

static void records_read_back_whole_and_in_order(void **state) {
  ps_journal *j;
  char err[256], got[256];
  ps_jrec r = {0};
  assert_int_equal(ps_journal_open(base, 0, &j, err, sizeof err), PS_OK);
  append(j, &r, 1, "a");
  append(j, &r, 2, "b");
  append(j, &r, 3, "c");
  ps_buf data = {0};
  assert_int_equal(ps_journal_read(j, 0, &data), PS_OK);
  assert_int_equal(tags(data.data, data.len, got, sizeof got), 0);
  assert_string_equal(got, "a,b,c");
  /* a torn tail: every cut of the last record keeps the two before it */
  size_t last = data.len - (PS_JOURNAL_HEADER + 2 * 24 + 6 + 1 + 1 + 1);
  for (size_t cut = last; cut < data.len; cut++) {
    size_t skipped = tags(data.data, cut, got, sizeof got);
    assert_string_equal(got, "a,b");
    assert_true(skipped <= cut - last); /* its zero bytes look like room not written yet */
  }
  /* damaged bytes in the middle record lose it alone: the scan finds the next header */
  data.data[PS_JOURNAL_HEADER + (last / 2)] ^= 0x5a;
  tags(data.data, data.len, got, sizeof got);
  assert_string_equal(got, "a,c");
  ps_buf_free(&data);
  ps_jrec_free(&r);
  ps_journal_close(j);
}

/* Checksum kinds (journal.h): a record of the first journals (kind 0, zlib's CRC-32) is still
 * read; a kind-1 record is CRC-32C; an unknown kind or a checksum of the other kind is no
 * record. */
static void records_of_either_checksum_kind_are_read(void **state) {
  (void)state;
  ps_jrec r = {0};
  assert_int_equal(ps_jrec_reset(&r), PS_OK);
  assert_int_equal(ps_jrec_add(&r, PS_JI_EVENT, 7, "design", 6, "old", 3), PS_OK);
  char *h = r.buf.data;
  const char *payload = h + PS_JOURNAL_HEADER;
  uint32_t plen = (uint32_t)(r.buf.len - PS_JOURNAL_HEADER), magic = 0x314a5350u, kind = 0;
  uint64_t seq = 7;
  uLong c = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)&seq, 8);
  uint32_t crc = (uint32_t)crc32(c, (const Bytef *)payload, plen);
  memcpy(h, &magic, 4);
  memcpy(h + 4, &plen, 4);
  memcpy(h + 8, &seq, 8);
  memcpy(h + 16, &crc, 4);
  memcpy(h + 20, &kind, 4);
  char got[64];
  assert_int_equal(tags(h, r.buf.len, got, sizeof got), 0);
  assert_string_equal(got, "old");
  kind = 1; /* the same CRC-32 read as CRC-32C: not a record */
  memcpy(h + 20, &kind, 4);
  tags(h, r.buf.len, got, sizeof got);
  assert_string_equal(got, "");
  /* CRC-32C of the same bytes, computed bit by bit here (poly 0x82f63b78, reflected) */
  uint32_t k = 0xffffffffu;
  const unsigned char *parts[2] = {(const unsigned char *)&seq, (const unsigned char *)payload};
  size_t lens[2] = {8, plen};
  for (int p = 0; p < 2; p++)
    for (size_t i = 0; i < lens[p]; i++) {
      k ^= parts[p][i];
      for (int b = 0; b < 8; b++) k = (k >> 1) ^ (0x82f63b78u & (0u - (k & 1u)));
    }
  k = ~k;
  memcpy(h + 16, &k, 4);
  assert_int_equal(tags(h, r.buf.len, got, sizeof got), 0);
  assert_string_equal(got, "old");
  kind = 2; /* unknown */
  memcpy(h + 20, &kind, 4);
  tags(h, r.buf.len, got, sizeof got);
  assert_string_equal(got, "");
  ps_jrec_free(&r);
}

static void files_swap_drain_and_belong_to_one_process(void **state) {
  ps_journal *j, *other;
  char err[256], got[256];
  ps_jrec r = {0};
  assert_int_equal(ps_journal_open(base, 0, &j, err, sizeof err), PS_OK);
  assert_int_equal(ps_journal_open(base, 0, &other, err, sizeof err), PS_EEXIST);
  assert_null(other);
  assert_int_equal(ps_journal_swap(j), -1); /* nothing to drain */
  append(j, &r, 1, "a");
  int idx = ps_journal_swap(j);
  assert_int_equal(idx, 0);
  append(j, &r, 2, "b"); /* goes to the other file while 0 drains */
  assert_int_equal(ps_journal_swap(j), 0); /* 0 not cleared yet: drained again, no swap */
  ps_buf data = {0};
  assert_int_equal(ps_journal_read(j, 0, &data), PS_OK);
  tags(data.data, data.len, got, sizeof got);
  assert_string_equal(got, "a");
  assert_int_equal(ps_journal_clear(j, 0), PS_OK);
  /* a record that ends in zero bytes (an item with no strings and a zero number) */
  assert_int_equal(ps_jrec_reset(&r), PS_OK);
  assert_int_equal(ps_jrec_add(&r, PS_JI_EVENT, 3, "design", 6, "c", 1), PS_OK);
  assert_int_equal(ps_jrec_add(&r, PS_JI_CLEAR, 0, NULL, 0, NULL, 0), PS_OK);
  assert_int_equal(ps_journal_append(j, 3, &r), PS_OK);
  assert_int_equal(ps_journal_swap(j), 1);
  assert_int_equal(ps_journal_read(j, 1, &data), PS_OK);
  tags(data.data, data.len, got, sizeof got);
  assert_string_equal(got, "b,c");
  ps_buf_free(&data);
  ps_jrec_free(&r);
  ps_journal_close(j);
  /* what a closed (or killed) launch left is read by the next */
  assert_int_equal(ps_journal_open(base, 0, &j, err, sizeof err), PS_OK);
  assert_int_equal(ps_journal_read(j, 1, &data), PS_OK);
  tags(data.data, data.len, got, sizeof got);
  assert_string_equal(got, "b,c");
  ps_buf_free(&data);
  ps_journal_close(j);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(records_read_back_whole_and_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(files_swap_drain_and_belong_to_one_process, setup, teardown),
      cmocka_unit_test(records_of_either_checksum_kind_are_read),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
