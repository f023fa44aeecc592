/* thrift_compact.c: see thrift_compact.h. Varints are unsigned LEB128; i16/i32/i64 are
 * zigzag-encoded before; a field header is one byte (delta << 4 | type) when the id grows by
 * 1..15, else the type byte followed by the id as a zigzag varint. */
#include "export/thrift_compact.h"

#include <string.h>

#include "common/errors.h"
#include "export/varint.h"

void ps_tc_init(ps_tc_writer *t, ps_buf *out) {
  memset(t, 0, sizeof *t);
  t->out = out;
  t->depth = -1;
}

int ps_tc_error(const ps_tc_writer *t) { return t->err; }

static void put(ps_tc_writer *t, const void *data, size_t len) {
  if (t->err) return;
  if (ps_buf_append(t->out, data, len) != PS_OK) t->err = PS_ENOMEM;
}

static void put_varint(ps_tc_writer *t, uint64_t v) {
  if (!t->err && ps_varint_append(t->out, v) != PS_OK) t->err = PS_ENOMEM;
}

static uint64_t zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }

static void field_header(ps_tc_writer *t, int16_t id, ps_tc_type type) {
  if (t->err) return;
  if (t->depth < 0) {
    t->err = PS_EINVAL;
    return;
  }
  int delta = id - t->last_id[t->depth];
  if (delta > 0 && delta <= 15) {
    uint8_t byte = (uint8_t)(delta << 4 | type);
    put(t, &byte, 1);
  } else {
    uint8_t byte = (uint8_t)type;
    put(t, &byte, 1);
    put_varint(t, zigzag(id));
  }
  t->last_id[t->depth] = id;
}

static void push(ps_tc_writer *t) {
  if (t->err) return;
  if (t->depth + 1 >= PS_TC_MAX_DEPTH) {
    t->err = PS_EINVAL;
    return;
  }
  t->last_id[++t->depth] = 0;
}

void ps_tc_struct_begin(ps_tc_writer *t) { push(t); }

void ps_tc_field_struct_begin(ps_tc_writer *t, int16_t id) {
  field_header(t, id, PS_TC_STRUCT);
  push(t);
}

void ps_tc_struct_end(ps_tc_writer *t) {
  if (t->err) return;
  if (t->depth < 0) {
    t->err = PS_EINVAL;
    return;
  }
  uint8_t stop = PS_TC_STOP;
  put(t, &stop, 1);
  t->depth--;
}

void ps_tc_field_empty_struct(ps_tc_writer *t, int16_t id) {
  ps_tc_field_struct_begin(t, id);
  ps_tc_struct_end(t);
}

void ps_tc_field_i32(ps_tc_writer *t, int16_t id, int32_t v) {
  field_header(t, id, PS_TC_I32);
  put_varint(t, zigzag(v));
}

void ps_tc_field_i64(ps_tc_writer *t, int16_t id, int64_t v) {
  field_header(t, id, PS_TC_I64);
  put_varint(t, zigzag(v));
}

void ps_tc_field_bool(ps_tc_writer *t, int16_t id, int v) {
  field_header(t, id, v ? PS_TC_TRUE : PS_TC_FALSE);
}

void ps_tc_field_binary(ps_tc_writer *t, int16_t id, const void *data, size_t len) {
  field_header(t, id, PS_TC_BINARY);
  ps_tc_binary(t, data, len);
}

void ps_tc_field_list_begin(ps_tc_writer *t, int16_t id, ps_tc_type element, size_t count) {
  field_header(t, id, PS_TC_LIST);
  if (count < 15) {
    uint8_t byte = (uint8_t)(count << 4 | element);
    put(t, &byte, 1);
  } else {
    uint8_t byte = (uint8_t)(0xF0 | element);
    put(t, &byte, 1);
    put_varint(t, count);
  }
}

void ps_tc_i32(ps_tc_writer *t, int32_t v) { put_varint(t, zigzag(v)); }

void ps_tc_binary(ps_tc_writer *t, const void *data, size_t len) {
  put_varint(t, len);
  put(t, data, len);
}

void ps_tc_raw(ps_tc_writer *t, const void *data, size_t len) { put(t, data, len); }

/* Reading. */

typedef struct reader {
  const uint8_t *p, *end;
} reader;

static int get_varint(reader *r, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) return PS_EPARSE;
    uint8_t byte = *r->p++;
    v |= (uint64_t)(byte & 0x7F) << shift;
    if (!(byte & 0x80)) {
      *out = v;
      return PS_OK;
    }
  }
  return PS_EPARSE;
}

static int64_t unzigzag(uint64_t v) { return (int64_t)(v >> 1) ^ -(int64_t)(v & 1); }

static int skip_struct(reader *r, int depth, int16_t want, ps_tc_field *found, int *have);

static int skip_value(reader *r, int type, int depth) {
  uint64_t v;
  switch (type) {
    case PS_TC_TRUE:
    case PS_TC_FALSE:
      return PS_OK; /* in a field header the value is the type; list elements: see below */
    case PS_TC_BYTE:
      if (r->p >= r->end) return PS_EPARSE;
      r->p++;
      return PS_OK;
    case PS_TC_I16:
    case PS_TC_I32:
    case PS_TC_I64:
      return get_varint(r, &v);
    case PS_TC_DOUBLE:
      if (r->end - r->p < 8) return PS_EPARSE;
      r->p += 8;
      return PS_OK;
    case PS_TC_BINARY:
      if (get_varint(r, &v) != PS_OK || v > (uint64_t)(r->end - r->p)) return PS_EPARSE;
      r->p += v;
      return PS_OK;
    case PS_TC_LIST:
    case PS_TC_SET: {
      if (depth >= PS_TC_MAX_DEPTH || r->p >= r->end) return PS_EPARSE;
      uint8_t header = *r->p++;
      uint64_t count = header >> 4;
      int element = header & 0x0F;
      if (count == 15 && get_varint(r, &count) != PS_OK) return PS_EPARSE;
      if (count > (uint64_t)(r->end - r->p)) return PS_EPARSE; /* every element takes a byte */
      for (uint64_t i = 0; i < count; i++) {
        if (element == PS_TC_TRUE || element == PS_TC_FALSE) {
          if (r->p >= r->end) return PS_EPARSE;
          r->p++;
        } else if (skip_value(r, element, depth + 1) != PS_OK) {
          return PS_EPARSE;
        }
      }
      return PS_OK;
    }
    case PS_TC_MAP: {
      if (depth >= PS_TC_MAX_DEPTH || get_varint(r, &v) != PS_OK) return PS_EPARSE;
      if (v == 0) return PS_OK;
      if (r->p >= r->end || v > (uint64_t)(r->end - r->p)) return PS_EPARSE;
      uint8_t types = *r->p++;
      for (uint64_t i = 0; i < v; i++)
        if (skip_value(r, types >> 4, depth + 1) != PS_OK ||
            skip_value(r, types & 0x0F, depth + 1) != PS_OK)
          return PS_EPARSE;
      return PS_OK;
    }
    case PS_TC_STRUCT:
      return skip_struct(r, depth + 1, 0, NULL, NULL);
    default:
      return PS_EPARSE;
  }
}

/* Describes the value of type at r->p (a field's) into f, without moving r. */
static int describe(const reader *r, const uint8_t *base, int type, ps_tc_field *f) {
  reader v = *r;
  uint64_t u;
  memset(f, 0, sizeof *f);
  f->type = type;
  f->at = (size_t)(v.p - base);
  switch (type) {
    case PS_TC_BYTE:
      if (v.p >= v.end) return PS_EPARSE;
      f->i = (int8_t)*v.p;
      break;
    case PS_TC_I16:
    case PS_TC_I32:
    case PS_TC_I64:
      if (get_varint(&v, &u) != PS_OK) return PS_EPARSE;
      f->i = unzigzag(u);
      break;
    case PS_TC_BINARY:
      if (get_varint(&v, &u) != PS_OK || u > (uint64_t)(v.end - v.p)) return PS_EPARSE;
      f->at = (size_t)(v.p - base);
      f->len = (size_t)u;
      break;
    case PS_TC_LIST:
    case PS_TC_SET:
      if (v.p >= v.end) return PS_EPARSE;
      f->count = *v.p >> 4;
      f->element = *v.p++ & 0x0F;
      if (f->count == 15) {
        if (get_varint(&v, &u) != PS_OK || u > (uint64_t)(v.end - v.p)) return PS_EPARSE;
        f->count = (size_t)u;
      }
      f->at = (size_t)(v.p - base);
      break;
    default:
      break;
  }
  return PS_OK;
}

static int skip_struct(reader *r, int depth, int16_t want, ps_tc_field *found, int *have) {
  const uint8_t *base = found ? r->p : NULL;
  if (depth >= PS_TC_MAX_DEPTH) return PS_EPARSE;
  int64_t last = 0;
  for (;;) {
    if (r->p >= r->end) return PS_EPARSE;
    uint8_t header = *r->p++;
    int type = header & 0x0F;
    if (type == PS_TC_STOP) return header == 0 ? PS_OK : PS_EPARSE;
    int64_t id;
    if (header >> 4) {
      id = last + (header >> 4);
    } else {
      uint64_t v;
      if (get_varint(r, &v) != PS_OK) return PS_EPARSE;
      id = unzigzag(v);
    }
    if (id < INT16_MIN || id > INT16_MAX) return PS_EPARSE;
    last = id;
    if (found && id == want && describe(r, base, type, found) != PS_OK) return PS_EPARSE;
    if (skip_value(r, type, depth) != PS_OK) return PS_EPARSE;
    if (found && id == want) {
      *have = 1;
      if (type != PS_TC_BINARY) found->len = (size_t)(r->p - base) - found->at;
    }
  }
}

int ps_tc_read_field(const uint8_t *data, size_t len, int16_t id, ps_tc_field *field,
                     size_t *used) {
  reader r = {data, data + len};
  int have = 0;
  ps_tc_field found;
  memset(&found, 0, sizeof found);
  if (skip_struct(&r, 0, id, &found, &have) != PS_OK) return PS_EPARSE;
  if (used) *used = (size_t)(r.p - data);
  if (!have) return PS_ENOTFOUND;
  *field = found;
  return PS_OK;
}
