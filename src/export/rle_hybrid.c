/* rle_hybrid.c: see rle_hybrid.h. */
#include "export/rle_hybrid.h"

#include <string.h>

#include "common/errors.h"
#include "export/varint.h"

/* How many values from i on equal values[i], counting at most limit. */
static size_t run_length(const uint8_t *values, size_t count, size_t i, size_t limit) {
  size_t n = 1;
  while (i + n < count && n < limit && values[i + n] == values[i]) n++;
  return n;
}

/* Packs 8 values (zeros past count) of bit_width bits, LSB first, into bit_width bytes. */
static void pack_group(const uint8_t *values, size_t count, size_t i, int bit_width,
                       uint8_t *packed) {
  memset(packed, 0, (size_t)bit_width);
  for (int k = 0; k < 8; k++) {
    unsigned v = i + (size_t)k < count ? values[i + (size_t)k] : 0;
    for (int b = 0; b < bit_width; b++) {
      size_t bit = (size_t)k * (size_t)bit_width + (size_t)b;
      if (v >> b & 1) packed[bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
  }
}

int ps_rle_hybrid_encode(const uint8_t *values, size_t count, int bit_width, ps_buf *out) {
  if (bit_width < 1 || bit_width > 8) return PS_EINVAL;
  for (size_t i = 0; i < count; i++)
    if (values[i] >> bit_width) return PS_EINVAL;
  size_t i = 0;
  while (i < count) {
    size_t run = run_length(values, count, i, (size_t)-1);
    if (run >= 8) {
      /* RLE run: header (run << 1), then the value in ceil(bit_width / 8) = 1 byte. */
      if (ps_varint_append(out, (uint64_t)run << 1) != PS_OK) return PS_ENOMEM;
      if (ps_buf_append(out, &values[i], 1) != PS_OK) return PS_ENOMEM;
      i += run;
      continue;
    }
    /* Bit-packed groups until a run of 8 starts at a group boundary (or the end). */
    size_t groups = 0, start = i;
    do {
      groups++;
      i += 8;
    } while (i < count && run_length(values, count, i, 8) < 8);
    if (ps_varint_append(out, (uint64_t)groups << 1 | 1) != PS_OK) return PS_ENOMEM;
    if (ps_buf_reserve(out, groups * (size_t)bit_width) != PS_OK) return PS_ENOMEM;
    for (size_t g = 0; g < groups; g++) {
      uint8_t packed[8];
      pack_group(values, count, start + g * 8, bit_width, packed);
      ps_buf_append(out, packed, (size_t)bit_width); /* reserved above: cannot fail */
    }
  }
  return PS_OK;
}
