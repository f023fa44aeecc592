/*
 * thrift_compact.h: Apache Thrift's compact protocol, the encoding of Parquet's metadata
 * (page headers and the FileMetaData footer), as parquet-format's parquet.thrift declares it.
 *
 * Writing: a ps_tc_writer appends to a ps_buf. Fields are written in increasing id order
 * within a struct (the header then carries the id as a delta from the previous one, as the
 * protocol prefers); nested structs keep their own "previous id". Errors are sticky: the first
 * failure (PS_ENOMEM, or PS_EINVAL for a nesting deeper than PS_TC_MAX_DEPTH or a misuse) is
 * kept and every later call does nothing, so a caller checks ps_tc_error() once at the end.
 *
 * Reading: ps_tc_read_field() walks one whole struct, checking that it is well formed (every
 * nested value skipped, lengths within the input, nesting bounded), and describes one of its
 * top-level fields. It is what the tests and the fuzz target use to check a footer.
 */
#ifndef PS_EXPORT_THRIFT_COMPACT_H
#define PS_EXPORT_THRIFT_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/* The compact protocol's type codes (in field headers and list headers). */
typedef enum {
  PS_TC_STOP = 0,
  PS_TC_TRUE = 1, /* BOOLEAN_TRUE in field headers; BOOL as a list element type */
  PS_TC_FALSE = 2,
  PS_TC_BYTE = 3,
  PS_TC_I16 = 4,
  PS_TC_I32 = 5,
  PS_TC_I64 = 6,
  PS_TC_DOUBLE = 7,
  PS_TC_BINARY = 8,
  PS_TC_LIST = 9,
  PS_TC_SET = 10,
  PS_TC_MAP = 11,
  PS_TC_STRUCT = 12,
} ps_tc_type;

#define PS_TC_MAX_DEPTH 16

typedef struct ps_tc_writer {
  ps_buf *out;
  int16_t last_id[PS_TC_MAX_DEPTH];
  int depth;
  int err;
} ps_tc_writer;

void ps_tc_init(ps_tc_writer *t, ps_buf *out);
int ps_tc_error(const ps_tc_writer *t);

/* A struct: the outermost one, or an element of a list of structs. */
void ps_tc_struct_begin(ps_tc_writer *t);
/* A struct-typed field of the current struct. */
void ps_tc_field_struct_begin(ps_tc_writer *t, int16_t id);
/* Ends the current struct (writes its stop byte). */
void ps_tc_struct_end(ps_tc_writer *t);
/* An empty struct as a field (Parquet's StringType, MilliSeconds, TypeDefinedOrder...). */
void ps_tc_field_empty_struct(ps_tc_writer *t, int16_t id);

void ps_tc_field_i32(ps_tc_writer *t, int16_t id, int32_t v);
void ps_tc_field_i64(ps_tc_writer *t, int16_t id, int64_t v);
void ps_tc_field_bool(ps_tc_writer *t, int16_t id, int v);
void ps_tc_field_binary(ps_tc_writer *t, int16_t id, const void *data, size_t len);

/* A list-typed field's header; its count elements follow (ps_tc_i32, ps_tc_binary,
 * ps_tc_struct_begin/end, or ps_tc_raw of elements encoded elsewhere). */
void ps_tc_field_list_begin(ps_tc_writer *t, int16_t id, ps_tc_type element, size_t count);
void ps_tc_i32(ps_tc_writer *t, int32_t v);
void ps_tc_binary(ps_tc_writer *t, const void *data, size_t len);
/* Bytes already in the compact encoding (for example structs encoded by another writer). */
void ps_tc_raw(ps_tc_writer *t, const void *data, size_t len);

/* A field found by ps_tc_read_field(). */
typedef struct ps_tc_field {
  int type;      /* its ps_tc_type (PS_TC_TRUE or PS_TC_FALSE for a boolean) */
  int64_t i;     /* BYTE, I16, I32, I64: the value */
  size_t count;  /* LIST, SET: the number of elements */
  int element;   /* LIST, SET: their type */
  size_t at;     /* offset in data of the value (BINARY: of its bytes; LIST, SET: of the first
                    element; STRUCT: of its first field header) */
  size_t len;    /* its length from at */
} ps_tc_field;

/* Checks that data[0..len) starts with one well-formed struct and sets *used to its length
 * (used may be NULL); finds its top-level field id. PS_ENOTFOUND: well formed, no such field
 * (*used set); PS_EPARSE: malformed or truncated. */
int ps_tc_read_field(const uint8_t *data, size_t len, int16_t id, ps_tc_field *field,
                     size_t *used);

#endif
