/*
 * json_parse.c: see json_parse.h. A recursive-descent reader over the bytes as given: values
 * are built with jansson's constructors as soon as they are read, and every failed allocation
 * unwinds with PS_ENOMEM, releasing what was built.
 */
#include "common/json_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/utf8.h"

typedef struct reader {
  const unsigned char *p, *end, *start;
  int reject_duplicates;
  int depth;
  int rc; /* the first failure: PS_EINVAL or PS_ENOMEM */
  char *err;
  size_t errlen;
  char *buf; /* scratch for strings and numbers */
  size_t cap;
} reader;

static json_t *fail(reader *r, int rc, const char *fmt, ...) {
  if (r->rc == PS_OK) {
    r->rc = rc;
    if (r->err && r->errlen) {
      size_t line = 1, column = 1;
      for (const unsigned char *q = r->start; q < r->p && q < r->end; q++) {
        if (*q == '\n') line++, column = 1;
        else column++;
      }
      int n = snprintf(r->err, r->errlen, "line %zu, column %zu: ", line, column);
      va_list ap;
      va_start(ap, fmt);
      if (n >= 0 && (size_t)n < r->errlen) vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
      va_end(ap);
    }
  }
  return NULL;
}

static json_t *out_of_memory(reader *r) { return fail(r, PS_ENOMEM, "out of memory"); }

static void skip_space(reader *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r')) r->p++;
}

/* Makes room for n more bytes of scratch after len; 0 or -1 (out of memory, recorded). */
static int reserve(reader *r, size_t len, size_t n) {
  if (len + n <= r->cap) return 0;
  size_t cap = r->cap ? r->cap : 64;
  while (cap < len + n) cap *= 2;
  char *grown = realloc(r->buf, cap);
  if (!grown) {
    out_of_memory(r);
    return -1;
  }
  r->buf = grown;
  r->cap = cap;
  return 0;
}

/* Appends code point v as UTF-8 to the scratch at *len. */
static int put_utf8(reader *r, size_t *len, uint32_t v) {
  if (reserve(r, *len, 4)) return -1;
  *len += ps_utf8_put(r->buf + *len, v);
  return 0;
}

/* Reads a string (r->p at its opening quote) into the scratch: 0 and *len, or -1 (recorded). */
static int read_string(reader *r, size_t *len) {
  *len = 0;
  r->p++; /* " */
  for (;;) {
    if (r->p >= r->end) return fail(r, PS_EINVAL, "unterminated string"), -1;
    unsigned c = *r->p;
    if (c == '"') {
      r->p++;
      return reserve(r, *len, 1) ? -1 : (r->buf[*len] = '\0', 0);
    }
    if (c < 0x20) return fail(r, PS_EINVAL, "control character in a string"), -1;
    if (c != '\\') {
      size_t n = ps_utf8_sequence(r->p, r->end);
      if (!n) return fail(r, PS_EINVAL, "invalid UTF-8"), -1;
      if (reserve(r, *len, n)) return -1;
      memcpy(r->buf + *len, r->p, n);
      *len += n;
      r->p += n;
      continue;
    }
    if (r->end - r->p < 2) return fail(r, PS_EINVAL, "unterminated escape"), -1;
    unsigned e = r->p[1];
    r->p += 2;
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    const char *hit = e ? strchr(from, (int)e) : NULL;
    if (hit) {
      if (reserve(r, *len, 1)) return -1;
      r->buf[(*len)++] = to[hit - from];
      continue;
    }
    uint32_t v, low;
    if (e != 'u' || ps_hex4(r->p, r->end, &v)) return fail(r, PS_EINVAL, "invalid escape"), -1;
    r->p += 4;
    if (v >= 0xD800 && v <= 0xDBFF) {
      if (r->end - r->p < 6 || r->p[0] != '\\' || r->p[1] != 'u' || ps_hex4(r->p + 2, r->end, &low) ||
          low < 0xDC00 || low > 0xDFFF)
        return fail(r, PS_EINVAL, "invalid surrogate pair"), -1;
      r->p += 6;
      v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
    } else if (v >= 0xDC00 && v <= 0xDFFF) {
      return fail(r, PS_EINVAL, "invalid surrogate"), -1;
    }
    if (v == 0) return fail(r, PS_EINVAL, "\\u0000 is not allowed"), -1;
    if (put_utf8(r, len, v)) return -1;
  }
}

static json_t *read_number(reader *r) {
  const unsigned char *s = r->p;
  int real = 0;
  if (r->p < r->end && *r->p == '-') r->p++;
  if (r->p >= r->end) return fail(r, PS_EINVAL, "invalid number");
  if (*r->p == '0') {
    r->p++;
  } else if (*r->p >= '1' && *r->p <= '9') {
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  } else {
    return fail(r, PS_EINVAL, "invalid number");
  }
  if (r->p < r->end && *r->p == '.') {
    real = 1;
    r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') return fail(r, PS_EINVAL, "invalid number");
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    real = 1;
    r->p++;
    if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') return fail(r, PS_EINVAL, "invalid number");
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  }
  size_t n = (size_t)(r->p - s);
  if (reserve(r, 0, n + 1)) return NULL;
  memcpy(r->buf, s, n);
  r->buf[n] = '\0';
  errno = 0;
  json_t *v;
  if (!real) {
    long long i = strtoll(r->buf, NULL, 10);
    if (errno == ERANGE) return fail(r, PS_EINVAL, "too big integer");
    v = json_integer((json_int_t)i);
  } else {
    double d = strtod(r->buf, NULL);
    if (errno == ERANGE && fabs(d) > 1) return fail(r, PS_EINVAL, "real number overflow");
    v = json_real(d);
  }
  return v ? v : out_of_memory(r);
}

static json_t *read_value(reader *r);

static json_t *read_array(reader *r) {
  json_t *a = json_array();
  if (!a) return out_of_memory(r);
  r->p++; /* [ */
  skip_space(r);
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    return a;
  }
  for (;;) {
    json_t *v = read_value(r);
    if (!v) break;
    if (json_array_append_new(a, v)) {
      out_of_memory(r);
      break;
    }
    skip_space(r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    if (r->p < r->end && *r->p == ']') {
      r->p++;
      return a;
    }
    fail(r, PS_EINVAL, "',' or ']' expected");
    break;
  }
  json_decref(a);
  return NULL;
}

static json_t *read_object(reader *r) {
  json_t *o = json_object();
  if (!o) return out_of_memory(r);
  r->p++; /* { */
  skip_space(r);
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    return o;
  }
  for (;;) {
    size_t len;
    if (r->p >= r->end || *r->p != '"') {
      fail(r, PS_EINVAL, "a string key expected");
      break;
    }
    if (read_string(r, &len)) break;
    char *key = malloc(len + 1);
    if (!key) {
      out_of_memory(r);
      break;
    }
    memcpy(key, r->buf, len + 1);
    skip_space(r);
    json_t *v = NULL;
    if (r->p >= r->end || *r->p != ':') {
      fail(r, PS_EINVAL, "':' expected");
    } else {
      r->p++;
      v = read_value(r);
    }
    if (v && r->reject_duplicates && json_object_get(o, key)) {
      fail(r, PS_EINVAL, "duplicate object key \"%s\"", key);
      json_decref(v);
      v = NULL;
    }
    int bad = !v || json_object_set_new_nocheck(o, key, v);
    if (v && bad) out_of_memory(r);
    free(key);
    if (bad) break;
    skip_space(r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      skip_space(r);
      continue;
    }
    if (r->p < r->end && *r->p == '}') {
      r->p++;
      return o;
    }
    fail(r, PS_EINVAL, "',' or '}' expected");
    break;
  }
  json_decref(o);
  return NULL;
}

static json_t *literal(reader *r, const char *word, json_t *value) {
  size_t n = strlen(word);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
    return fail(r, PS_EINVAL, "invalid token");
  r->p += n;
  return value;
}

static json_t *read_value(reader *r) {
  skip_space(r);
  if (r->p >= r->end) return fail(r, PS_EINVAL, "a value expected");
  if (++r->depth > PS_JSON_MAX_DEPTH) return fail(r, PS_EINVAL, "nested too deeply");
  json_t *v;
  size_t len;
  switch (*r->p) {
    case '{': v = read_object(r); break;
    case '[': v = read_array(r); break;
    case '"':
      v = read_string(r, &len) ? NULL : json_stringn_nocheck(r->buf, len);
      if (!v && r->rc == PS_OK) out_of_memory(r);
      break;
    case 't': v = literal(r, "true", json_true()); break;
    case 'f': v = literal(r, "false", json_false()); break;
    case 'n': v = literal(r, "null", json_null()); break;
    default: v = read_number(r); break;
  }
  r->depth--;
  return v;
}

int ps_json_parse(const char *text, size_t len, int reject_duplicates, json_t **out, char *err,
                  size_t errlen) {
  *out = NULL;
  if (err && errlen) err[0] = '\0';
  reader r = {.p = (const unsigned char *)text, .end = (const unsigned char *)text + len,
              .start = (const unsigned char *)text, .reject_duplicates = reject_duplicates,
              .rc = PS_OK, .err = err, .errlen = errlen};
  json_t *v = text ? read_value(&r) : fail(&r, PS_EINVAL, "no text");
  if (v) {
    skip_space(&r);
    if (r.p != r.end) {
      fail(&r, PS_EINVAL, "end of text expected");
      json_decref(v);
      v = NULL;
    }
  }
  free(r.buf);
  if (!v) return r.rc == PS_OK ? PS_EINVAL : r.rc;
  *out = v;
  return PS_OK;
}
