/*
 * buf.h: a growable byte buffer, always NUL-terminated so that text can be used as a C string.
 *
 * A zeroed ps_buf is a valid empty buffer. The buffer owns data; ps_buf_free releases it and
 * leaves an empty buffer. Appends either succeed whole or return PS_ENOMEM leaving the
 * previous contents untouched.
 */
#ifndef PS_COMMON_BUF_H
#define PS_COMMON_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct ps_buf {
  char *data;
  size_t len;
  size_t cap;
} ps_buf;

int ps_buf_reserve(ps_buf *b, size_t extra);
int ps_buf_append(ps_buf *b, const void *data, size_t len);
int ps_buf_append_str(ps_buf *b, const char *s);
int ps_buf_printf(ps_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included. */
int ps_buf_append_json_string(ps_buf *b, const char *s, size_t len);
/* Appends v as a JSON number: integers exactly (fast), others with 15 significant digits. */
int ps_buf_append_json_number(ps_buf *b, double v);
void ps_buf_reset(ps_buf *b);
void ps_buf_free(ps_buf *b);
/* Hands the data over to the caller (who frees it) and leaves b empty. */
char *ps_buf_steal(ps_buf *b);

#endif
