/*
 * varint.h: the unsigned LEB128 varint (7 bits a byte, least significant first, the high bit
 * set on every byte but the last) that both Thrift's compact protocol and Parquet's
 * RLE/bit-packed hybrid use for lengths and headers.
 */
#ifndef PS_EXPORT_VARINT_H
#define PS_EXPORT_VARINT_H

#include <stdint.h>

#include "common/buf.h"

/* Appends v to out (1 to 10 bytes); 0 or PS_ENOMEM, leaving out as it was. */
int ps_varint_append(ps_buf *out, uint64_t v);

#endif
