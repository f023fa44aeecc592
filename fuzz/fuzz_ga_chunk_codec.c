/*
 * fuzz_ga_chunk_codec.c: libFuzzer target for the row form of the user bitmaps' chunks
 * (store/sqlite/ga_chunk_codec.h) on untrusted bytes (a damaged or foreign ga_bits row):
 *   - decoding any blob stays in the chunk, and bytes past the length it returns are zero;
 *   - OR-ing the blob into an empty chunk gives the decoded bitmap;
 *   - counting the blob's users gives the bits set in the decoded bitmap (a bit at a time);
 *   - encoding the decoded bitmap is at most a bitmap long, and decodes back to it.
 * Run: CC=clang cmake -S . -B build-fuzz -DPLAYSTAT_FUZZ=ON && cmake --build build-fuzz
 *      --target fuzz_ga_chunk_codec && build-fuzz/fuzz/fuzz_ga_chunk_codec corpus-dir
 */
#include <stdint.h>
#include <string.h>

#include "fuzz_check.h"
#include "store/sqlite/ga_chunk_codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 2 * PS_GA_CHUNK_BYTES) return 0;
  static unsigned char bits[PS_GA_CHUNK_BYTES], ored[PS_GA_CHUNK_BYTES],
      row[PS_GA_CHUNK_BYTES], back[PS_GA_CHUNK_BYTES];
  size_t used = ps_ga_chunk_decode(data, size, bits);
  CHECK(used <= PS_GA_CHUNK_BYTES);
  for (size_t i = used; i < PS_GA_CHUNK_BYTES; i++) CHECK(bits[i] == 0);
  memset(ored, 0, sizeof ored);
  ps_ga_chunk_or(ored, data, size);
  CHECK(memcmp(ored, bits, sizeof bits) == 0);
  size_t set = 0;
  for (size_t i = 0; i < PS_GA_CHUNK_BYTES; i++)
    for (int b = 0; b < 8; b++) set += (bits[i] >> b) & 1;
  CHECK(ps_ga_chunk_count(data, size) == set);
  CHECK(ps_ga_bits_count(bits, PS_GA_CHUNK_BYTES) == set);
  size_t len = ps_ga_chunk_encode(bits, row);
  CHECK(len <= PS_GA_CHUNK_BYTES);
  ps_ga_chunk_decode(row, len, back);
  CHECK(memcmp(back, bits, sizeof bits) == 0);
  return 0;
}
