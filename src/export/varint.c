/* varint.c: see varint.h. */
#include "export/varint.h"

int ps_varint_append(ps_buf *out, uint64_t v) {
  uint8_t bytes[10];
  size_t n = 0;
  while (v >= 0x80) {
    bytes[n++] = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  bytes[n++] = (uint8_t)v;
  return ps_buf_append(out, bytes, n);
}
