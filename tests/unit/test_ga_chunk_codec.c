/* test_ga_chunk_codec.c: a bitmap chunk's row form (store/sqlite/ga_chunk_codec.h) decodes to
 * the bitmap it was made from, at every density around the switch between its two forms, is
 * never longer than the bitmap, counts (ps_ga_chunk_count) the users it was made from, and a
 * malformed blob never reads or writes out of bounds and counts as it decodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "store/sqlite/ga_chunk_codec.h"
#include "xorshift.h"

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint64_t rnd(uint64_t n) {
  return xorshift64(&rng) % n;
}

static size_t set_bits(const unsigned char *bits) {
  size_t n = 0;
  for (size_t i = 0; i < PS_GA_CHUNK_BYTES; i++) n += (size_t)__builtin_popcount(bits[i]);
  return n;
}

static void round_trip(const unsigned char bits[PS_GA_CHUNK_BYTES]) {
  unsigned char row[PS_GA_CHUNK_BYTES], back[PS_GA_CHUNK_BYTES];
  size_t len = ps_ga_chunk_encode(bits, row);
  assert_true(len <= PS_GA_CHUNK_BYTES);
  size_t n = set_bits(bits);
  /* positions (2 bytes a user) while shorter than the bitmap */
  assert_int_equal(len, n < PS_GA_CHUNK_BITS / 16 ? 2 * n : PS_GA_CHUNK_BYTES);
  memset(back, 0xAA, sizeof back);
  size_t used = ps_ga_chunk_decode(row, len, back);
  assert_memory_equal(back, bits, PS_GA_CHUNK_BYTES);
  for (size_t i = used; i < PS_GA_CHUNK_BYTES; i++) assert_int_equal(back[i], 0);
  assert_int_equal(ps_ga_chunk_count(row, len), n);
  assert_int_equal(ps_ga_bits_count(bits, PS_GA_CHUNK_BYTES), n);
}

static void every_density_round_trips(void **state) {
  (void)state;
  static const size_t counts[] = {0, 1, 2, 100, 2046, 2047, 2048, 2049, 5000, 32768};
  for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
    for (int trial = 0; trial < 20; trial++) {
      unsigned char bits[PS_GA_CHUNK_BYTES] = {0};
      for (size_t n = 0; n < counts[c];) {
        size_t p = (size_t)rnd(PS_GA_CHUNK_BITS);
        unsigned char bit = (unsigned char)(1u << (p % 8));
        n += !(bits[p / 8] & bit);
        bits[p / 8] |= bit;
      }
      round_trip(bits);
    }
}

static void the_edges_round_trip(void **state) {
  (void)state;
  unsigned char bits[PS_GA_CHUNK_BYTES] = {0};
  bits[0] = 1;                            /* user 0 */
  bits[PS_GA_CHUNK_BYTES - 1] = 0x80;     /* the chunk's last user */
  round_trip(bits);
  memset(bits, 0xFF, sizeof bits);
  round_trip(bits);
}

static void a_row_written_as_a_bitmap_reads_as_it_is(void **state) {
  (void)state;
  unsigned char old[PS_GA_CHUNK_BYTES], back[PS_GA_CHUNK_BYTES];
  for (size_t i = 0; i < sizeof old; i++) old[i] = (unsigned char)(i % 3 == 0 ? 0x10 : 0);
  assert_int_equal(ps_ga_chunk_decode(old, sizeof old, back), PS_GA_CHUNK_BYTES);
  assert_memory_equal(back, old, sizeof old);
}

static void a_malformed_blob_stays_in_bounds(void **state) {
  (void)state;
  unsigned char blob[7] = {0xFF, 0xFF, 5, 0, 3, 0, 9}, back[PS_GA_CHUNK_BYTES];
  /* 0xFFFF is out of range, 5 and 3 out of order, the last byte odd: users 3 and 5 */
  size_t used = ps_ga_chunk_decode(blob, sizeof blob, back);
  assert_int_equal(used, 1);
  assert_int_equal(back[0], (1u << 3) | (1u << 5));
  assert_int_equal(set_bits(back), 2);
  assert_int_equal(ps_ga_chunk_count(blob, sizeof blob), 2);
  /* a repeated user counts once, as decode sets it once */
  unsigned char repeated[6] = {7, 0, 7, 0, 9, 1};
  assert_int_equal(ps_ga_chunk_count(repeated, sizeof repeated), 2);
  assert_int_equal(ps_ga_chunk_count(repeated, 0), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_density_round_trips),
      cmocka_unit_test(the_edges_round_trip),
      cmocka_unit_test(a_row_written_as_a_bitmap_reads_as_it_is),
      cmocka_unit_test(a_malformed_blob_stays_in_bounds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
