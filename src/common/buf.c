/* buf.c: see buf.h. */
#include "common/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

int ps_buf_reserve(ps_buf *b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return PS_OK;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) {
    if (cap > ((size_t)-1) / 2) return PS_ENOMEM;
    cap *= 2;
  }
  char *data = realloc(b->data, cap);
  if (!data) return PS_ENOMEM;
  b->data = data;
  b->cap = cap;
  return PS_OK;
}

int ps_buf_append(ps_buf *b, const void *data, size_t len) {
  if (ps_buf_reserve(b, len) != PS_OK) return PS_ENOMEM;
  if (len) memcpy(b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return PS_OK;
}

int ps_buf_append_str(ps_buf *b, const char *s) { return ps_buf_append(b, s, strlen(s)); }

int ps_buf_printf(ps_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int need = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (need < 0) return PS_EINVAL;
  if (ps_buf_reserve(b, (size_t)need) != PS_OK) return PS_ENOMEM;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)need + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)need;
  return PS_OK;
}

int ps_buf_append_json_number(ps_buf *b, double v) {
  char text[32];
  size_t n = 0;
  if (v == (double)(long long)v && v > -9007199254740992.0 && v < 9007199254740992.0) {
    /* Integers (most figures, every timestamp): digits backwards, no printf. */
    long long i = (long long)v;
    unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
    char digits[24];
    size_t d = 0;
    do digits[d++] = (char)('0' + u % 10); while ((u /= 10) != 0);
    if (i < 0) text[n++] = '-';
    while (d) text[n++] = digits[--d];
  } else {
    int w = snprintf(text, sizeof text, "%.15g", v);
    if (w < 0 || (size_t)w >= sizeof text) return PS_EINVAL;
    n = (size_t)w;
  }
  return ps_buf_append(b, text, n);
}

int ps_buf_append_json_string(ps_buf *b, const char *s, size_t len) {
  static const char hex[] = "0123456789abcdef";
  if (ps_buf_reserve(b, len + 2) != PS_OK) return PS_ENOMEM;
  b->data[b->len++] = '"';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[7];
    size_t n = 0;
    if (c == '"' || c == '\\') {
      esc[0] = '\\';
      esc[1] = (char)c;
      n = 2;
    } else if (c < 0x20) {
      memcpy(esc, "\\u00", 4);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      n = 6;
    } else {
      esc[0] = (char)c;
      n = 1;
    }
    if (ps_buf_append(b, esc, n) != PS_OK) return PS_ENOMEM;
  }
  return ps_buf_append(b, "\"", 1);
}

void ps_buf_reset(ps_buf *b) {
  b->len = 0;
  if (b->data) b->data[0] = '\0';
}

void ps_buf_free(ps_buf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *ps_buf_steal(ps_buf *b) {
  char *data = b->data;
  if (!data) data = calloc(1, 1);
  b->data = NULL;
  b->len = b->cap = 0;
  return data;
}
