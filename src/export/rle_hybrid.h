/*
 * rle_hybrid.h: Parquet's RLE/bit-packed hybrid encoding (parquet-format Encodings.md, "Run
 * Length Encoding / Bit-Packing Hybrid"), which the writer uses for the definition levels of
 * OPTIONAL columns. A run of 8 or more equal values becomes an RLE run; everything else is
 * bit-packed in groups of 8 values (LSB first, the last group padded with zeros, which a reader
 * ignores since the page header carries the number of values).
 *
 * Guarantees: the output decodes to exactly values[0..count); it is appended to out without
 * the 4-byte length prefix of data page v1 (the caller writes it); appends either succeed or
 * return PS_ENOMEM.
 */
#ifndef PS_EXPORT_RLE_HYBRID_H
#define PS_EXPORT_RLE_HYBRID_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* values[i] < 2^bit_width; bit_width in 1..8. PS_EINVAL otherwise. */
int ps_rle_hybrid_encode(const uint8_t *values, size_t count, int bit_width, ps_buf *out);

#endif
