/*
 * json_doc.c: see json_doc.h. A recursive-descent reader that appends one node per value (and
 * per object key) to the document's node array, in document order, so that a node's subtree is
 * the run of nodes up to its "end".
 *
 * Guarantees:
 *  - memory: the node array, the decoded-strings buffer and the duplicate-key slots grow by
 *    doubling and are reused by the next parse; nothing else is allocated. A failed growth
 *    returns PS_ENOMEM (never aborts);
 *  - strings without escapes are only validated (UTF-8, control characters) and stay slices of
 *    the text; strings with escapes are decoded once, into the strings buffer;
 *  - every object is checked for duplicate keys when it closes (pairwise for small objects,
 *    through hash slots for large ones), so lookups and iteration need no further work.
 */
#include "common/json_doc.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/utf8.h"

/* Objects with more keys than this find duplicates through hash slots, not pairwise. */
#define PAIRWISE_KEYS 24

typedef struct parser {
  ps_json_doc *doc;
  const unsigned char *start, *p, *end;
  int depth;
  int rc; /* the first failure */
  char *err;
  size_t errlen;
} parser;

static int fail(parser *r, int rc, const char *fmt, ...) {
  if (r->rc != PS_OK) return -1;
  r->rc = rc;
  if (r->err && r->errlen) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < r->errlen)
      snprintf(r->err + n, r->errlen - (size_t)n, " at position %zu", (size_t)(r->p - r->start));
  }
  return -1;
}

static int grow(void **buf, size_t *cap, size_t need, size_t unit, size_t first) {
  if (need <= *cap) return 0;
  size_t ncap = *cap ? *cap : first;
  while (ncap < need) ncap *= 2;
  void *grown = realloc(*buf, ncap * unit);
  if (!grown) return -1;
  *buf = grown;
  *cap = ncap;
  return 0;
}

/* Appends a node of type t starting at r->p; its index, or -1 (recorded). */
static int64_t push(parser *r, ps_json_type t) {
  ps_json_doc *d = r->doc;
  if (d->max_nodes && d->count >= d->max_nodes)
    return fail(r, PS_ETOOBIG, "more than %zu values", d->max_nodes);
  if (d->count == d->cap &&
      grow((void **)&d->nodes, &d->cap, d->count + 1, sizeof *d->nodes, 64))
    return fail(r, PS_ENOMEM, "out of memory");
  ps_json_node *n = &d->nodes[d->count];
  n->type = (uint8_t)t;
  n->flags = 0;
  n->off = (uint32_t)(r->p - r->start);
  n->len = 0;
  n->u.i = 0;
  n->end = (uint32_t)d->count + 1;
  return (int64_t)d->count++;
}

static void skip_space(parser *r) {
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

/* Decodes the escaped string body [s, e) (already validated) into the strings buffer; node n
 * then points there. is_key: a \u0000 is an error. Returns 0 or -1 (recorded). */
static int decode_escaped(parser *r, size_t n, const unsigned char *s, const unsigned char *e,
                          int is_key) {
  ps_json_doc *d = r->doc;
  /* Decoding never lengthens a string: an escape of k bytes yields at most k bytes. */
  if (grow((void **)&d->strings, &d->strings_cap, d->strings_len + (size_t)(e - s) + 1, 1, 256))
    return fail(r, PS_ENOMEM, "out of memory");
  char *o = d->strings + d->strings_len, *o0 = o;
  while (s < e) {
    if (*s != '\\') {
      *o++ = (char)*s++;
      continue;
    }
    unsigned c = s[1];
    s += 2;
    switch (c) {
    case 'b': *o++ = '\b'; break;
    case 'f': *o++ = '\f'; break;
    case 'n': *o++ = '\n'; break;
    case 'r': *o++ = '\r'; break;
    case 't': *o++ = '\t'; break;
    case 'u': {
      uint32_t v = 0, low = 0xDC00; /* the scan validated both */
      ps_hex4(s, e, &v);
      s += 4;
      if (v >= 0xD800 && v <= 0xDBFF) {
        ps_hex4(s + 2, e, &low);
        s += 6;
        v = 0x10000 + ((v - 0xD800) << 10) + (low - 0xDC00);
      }
      if (v == 0 && is_key) return fail(r, PS_EINVAL, "NUL byte in object key not supported");
      o += ps_utf8_put(o, v);
      break;
    }
    default: *o++ = (char)c; break; /* " \ / */
    }
  }
  *o = '\0';
  d->nodes[n].flags |= PS_JSON_F_DECODED;
  d->nodes[n].off = (uint32_t)d->strings_len;
  d->nodes[n].len = (uint32_t)(o - o0);
  d->strings_len += (size_t)(o - o0) + 1;
  return 0;
}

/* Bytes a string's scan passes over without a look: printable ASCII but '"' and '\\'. */
static const unsigned char plain[256] = {
#define PLAIN4(c) ((c) >= 0x20 && (c) < 0x80 && (c) != '"' && (c) != '\\'), \
    ((c) + 1 >= 0x20 && (c) + 1 < 0x80 && (c) + 1 != '"' && (c) + 1 != '\\'), \
    ((c) + 2 >= 0x20 && (c) + 2 < 0x80 && (c) + 2 != '"' && (c) + 2 != '\\'), \
    ((c) + 3 >= 0x20 && (c) + 3 < 0x80 && (c) + 3 != '"' && (c) + 3 != '\\')
#define PLAIN16(c) PLAIN4(c), PLAIN4((c) + 4), PLAIN4((c) + 8), PLAIN4((c) + 12)
    PLAIN16(0x00), PLAIN16(0x10), PLAIN16(0x20), PLAIN16(0x30), PLAIN16(0x40), PLAIN16(0x50),
    PLAIN16(0x60), PLAIN16(0x70),
#undef PLAIN16
#undef PLAIN4
};

/* A string at r->p (its opening quote): one node. Returns its index or -1 (recorded). */
static int64_t read_string(parser *r, int is_key) {
  int64_t n = push(r, PS_JSON_STRING);
  if (n < 0) return -1;
  const unsigned char *s = ++r->p, *end = r->end;
  int escaped = 0;
  for (;;) {
    /* The common case first: printable ASCII that is neither a quote nor a backslash. */
    while (r->p < end && plain[*r->p]) r->p++;
    if (r->p >= end) return fail(r, PS_EINVAL, "premature end of input in a string");
    unsigned c = *r->p;
    if (c == '"') break;
    if (c < 0x20) return fail(r, PS_EINVAL, "control character in a string");
    if (c >= 0x80) {
      size_t k = ps_utf8_sequence(r->p, end);
      if (!k) return fail(r, PS_EINVAL, "invalid UTF-8 in a string");
      r->p += k;
      continue;
    }
    /* a backslash */
    escaped = 1;
    if (end - r->p < 2) return fail(r, PS_EINVAL, "premature end of input in a string");
    unsigned e = r->p[1];
    if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
        e == 't') {
      r->p += 2;
      continue;
    }
    uint32_t v, low;
    if (e != 'u' || ps_hex4(r->p + 2, end, &v)) return fail(r, PS_EINVAL, "invalid escape");
    if (v >= 0xDC00 && v <= 0xDFFF) return fail(r, PS_EINVAL, "invalid Unicode escape (lone low surrogate)");
    if (v >= 0xD800 && v <= 0xDBFF) {
      if (end - r->p < 12 || r->p[6] != '\\' || r->p[7] != 'u' || ps_hex4(r->p + 8, end, &low) ||
          low < 0xDC00 || low > 0xDFFF)
        return fail(r, PS_EINVAL, "invalid Unicode escape (lone high surrogate)");
      r->p += 6;
    } else if (v == 0 && !is_key && !(r->doc->flags & PS_JSON_DOC_ALLOW_NUL)) {
      return fail(r, PS_EINVAL, "\\u0000 is not allowed without JSON_ALLOW_NUL");
    }
    r->p += 6;
  }
  ps_json_node *node = &r->doc->nodes[n];
  node->off = (uint32_t)(s - r->start);
  node->len = (uint32_t)(r->p - s);
  const unsigned char *e = r->p++;
  if (escaped && decode_escaped(r, (size_t)n, s, e, is_key)) return -1;
  return n;
}

static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }

/* A number at r->p: integer when it has neither fraction nor exponent. */
static int64_t read_number(parser *r) {
  const unsigned char *s = r->p, *end = r->end;
  int real = 0, negative = 0;
  if (r->p < end && *r->p == '-') r->p++, negative = 1;
  if (r->p >= end) return fail(r, PS_EINVAL, "invalid token");
  if (*r->p == '0') {
    r->p++;
  } else if (*r->p >= '1' && *r->p <= '9') {
    while (r->p < end && is_digit(*r->p)) r->p++;
  } else {
    return fail(r, PS_EINVAL, "invalid token");
  }
  if (r->p < end && *r->p == '.') {
    real = 1;
    r->p++;
    if (r->p >= end || !is_digit(*r->p)) return fail(r, PS_EINVAL, "invalid token");
    while (r->p < end && is_digit(*r->p)) r->p++;
  }
  if (r->p < end && (*r->p == 'e' || *r->p == 'E')) {
    real = 1;
    r->p++;
    if (r->p < end && (*r->p == '+' || *r->p == '-')) r->p++;
    if (r->p >= end || !is_digit(*r->p)) return fail(r, PS_EINVAL, "invalid token");
    while (r->p < end && is_digit(*r->p)) r->p++;
  }
  const unsigned char *digits = s + negative;
  int64_t n = push(r, real ? PS_JSON_REAL : PS_JSON_INTEGER);
  if (n < 0) return -1;
  ps_json_node *node = &r->doc->nodes[n];
  node->off = (uint32_t)(s - r->start);
  node->len = (uint32_t)(r->p - s);
  if (!real) {
    /* strtoll's range exactly: |INT64_MIN| is one more than INT64_MAX. */
    uint64_t u = 0, limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (const unsigned char *q = digits; q < r->p; q++) {
      unsigned dgt = *q - '0';
      if (u > (limit - dgt) / 10)
        return fail(r, PS_EINVAL, negative ? "too big negative integer" : "too big integer");
      u = u * 10 + dgt;
    }
    node->u.i = negative ? (int64_t)(0 - u) : (int64_t)u;
    return n;
  }
  /* strtod wants a terminated copy; long tokens go through the strings buffer. */
  char small[64], *copy = small;
  size_t len = (size_t)(r->p - s);
  ps_json_doc *d = r->doc;
  if (len >= sizeof small) {
    if (grow((void **)&d->strings, &d->strings_cap, d->strings_len + len + 1, 1, 256))
      return fail(r, PS_ENOMEM, "out of memory");
    copy = d->strings + d->strings_len; /* scratch past the end: not kept */
  }
  memcpy(copy, s, len);
  copy[len] = '\0';
  errno = 0;
  double v = strtod(copy, NULL);
  if ((v == HUGE_VAL || v == -HUGE_VAL) && errno == ERANGE)
    return fail(r, PS_EINVAL, "real number overflow");
  d->nodes[n].u.d = v;
  return n;
}

static int64_t read_value(parser *r);

/* Whether keys a and b (nodes) decode to the same bytes. */
static int same_key(const ps_json_doc *d, uint32_t a, uint32_t b) {
  size_t alen, blen;
  const char *as = ps_json_string(d, a, &alen), *bs = ps_json_string(d, b, &blen);
  return alen == blen && memcmp(as, bs, alen) == 0;
}

/* A cheap hash of a key's decoded bytes: its length, first 8 and last 8 bytes, mixed. Keys
 * differing elsewhere collide, which only costs a comparison. */
static uint32_t key_hash(const ps_json_doc *d, uint32_t k) {
  size_t len;
  const char *s = ps_json_string(d, k, &len);
  uint64_t head = 0, tail = 0;
  memcpy(&head, s, len < 8 ? len : 8);
  if (len > 8) memcpy(&tail, s + len - 8, 8);
  uint64_t h = (head ^ (tail * 0x9E3779B97F4A7C15ull) ^ len) * 0xFF51AFD7ED558CCDull;
  return (uint32_t)(h ^ (h >> 32));
}

/* Marks the later occurrences of a key as shadowed and points its first occurrence at the last
 * value given, as jansson's json_object_set replaces a value in place. keys: nkeys key node
 * indexes, in order, at the start of the scratch array (hash slots go after them). Returns the number of distinct keys, or
 * -1 (out of memory, recorded). */
static int64_t resolve_duplicates(parser *r, uint32_t *keys, size_t nkeys) {
  ps_json_doc *d = r->doc;
  size_t distinct = nkeys;
  if (nkeys <= PAIRWISE_KEYS) {
    for (size_t j = 1; j < nkeys; j++) {
      for (size_t i = 0; i < j; i++) {
        if (d->nodes[keys[i]].u.key.hash != d->nodes[keys[j]].u.key.hash ||
            d->nodes[keys[i]].flags & PS_JSON_F_SHADOWED || !same_key(d, keys[i], keys[j]))
          continue;
        d->nodes[keys[i]].u.key.value = d->nodes[keys[j]].u.key.value;
        d->nodes[keys[j]].flags |= PS_JSON_F_SHADOWED;
        distinct--;
        break;
      }
    }
    return (int64_t)distinct;
  }
  size_t nslots = 64;
  while (nslots < nkeys * 2) nslots *= 2;
  if (grow((void **)&d->scratch, &d->scratch_cap, nkeys + nslots, sizeof *d->scratch, 64))
    return fail(r, PS_ENOMEM, "out of memory");
  keys = d->scratch; /* it may have moved */
  uint32_t *slots = d->scratch + nkeys;
  memset(slots, 0, nslots * sizeof *slots); /* 0: empty (a key is never node 0) */
  for (size_t j = 0; j < nkeys; j++) {
    uint32_t h = d->nodes[keys[j]].u.key.hash;
    size_t at = h & (nslots - 1);
    while (slots[at] && (d->nodes[slots[at]].u.key.hash != h || !same_key(d, slots[at], keys[j])))
      at = (at + 1) & (nslots - 1);
    if (!slots[at]) {
      slots[at] = keys[j];
      continue;
    }
    d->nodes[slots[at]].u.key.value = d->nodes[keys[j]].u.key.value;
    d->nodes[keys[j]].flags |= PS_JSON_F_SHADOWED;
    distinct--;
  }
  return (int64_t)distinct;
}

static int64_t read_object(parser *r, int64_t obj) {
  ps_json_doc *d = r->doc;
  r->p++; /* { */
  skip_space(r);
  size_t nkeys = 0;
  if (r->p < r->end && *r->p == '}') {
    r->p++;
    return obj;
  }
  for (;;) {
    if (r->p >= r->end || *r->p != '"') return fail(r, PS_EINVAL, "string or '}' expected");
    int64_t key = read_string(r, 1);
    if (key < 0) return -1;
    skip_space(r);
    if (r->p >= r->end || *r->p != ':') return fail(r, PS_EINVAL, "':' expected");
    r->p++;
    int64_t value = read_value(r);
    if (value < 0) return -1;
    d->nodes[key].u.key.value = (uint32_t)value;
    nkeys++;
    skip_space(r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      skip_space(r);
      continue;
    }
    if (r->p < r->end && *r->p == '}') break;
    return fail(r, PS_EINVAL, "'}' expected");
  }
  r->p++;
  int64_t distinct = (int64_t)nkeys;
  if (nkeys > 1) {
    /* The object's key indexes, gathered into the scratch array. */
    if (grow((void **)&d->scratch, &d->scratch_cap, nkeys, sizeof *d->scratch, 64))
      return fail(r, PS_ENOMEM, "out of memory");
    size_t i = 0;
    for (uint32_t k = (uint32_t)obj + 1; k < d->count; k = d->nodes[k + 1].end) {
      d->nodes[k].u.key.hash = key_hash(d, k);
      d->scratch[i++] = k;
    }
    distinct = resolve_duplicates(r, d->scratch, nkeys);
    if (distinct < 0) return -1;
  }
  d->nodes[obj].u.size = (uint32_t)distinct;
  return obj;
}

static int64_t read_array(parser *r, int64_t arr) {
  r->p++; /* [ */
  skip_space(r);
  uint32_t size = 0;
  if (r->p < r->end && *r->p == ']') {
    r->p++;
    return arr;
  }
  for (;;) {
    if (read_value(r) < 0) return -1;
    size++;
    skip_space(r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    if (r->p < r->end && *r->p == ']') break;
    return fail(r, PS_EINVAL, "']' expected");
  }
  r->p++;
  r->doc->nodes[arr].u.size = size;
  return arr;
}

static int64_t literal(parser *r, const char *word, ps_json_type t) {
  size_t n = strlen(word);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n) != 0)
    return fail(r, PS_EINVAL, "invalid token");
  int64_t v = push(r, t);
  if (v < 0) return -1;
  r->p += n;
  r->doc->nodes[v].len = (uint32_t)n;
  return v;
}

/* Any value; depth counts every value, containers and scalars, as jansson's parse_value. */
static int64_t read_value(parser *r) {
  skip_space(r);
  if (r->p >= r->end) return fail(r, PS_EINVAL, "premature end of input");
  if (r->depth >= PS_JSON_DOC_MAX_DEPTH) return fail(r, PS_EINVAL, "maximum parsing depth reached");
  int64_t v;
  r->depth++;
  switch (*r->p) {
  case '{':
  case '[': {
    int object = *r->p == '{';
    v = push(r, object ? PS_JSON_OBJECT : PS_JSON_ARRAY);
    if (v >= 0) v = object ? read_object(r, v) : read_array(r, v);
    if (v >= 0) {
      ps_json_node *n = &r->doc->nodes[v];
      n->end = (uint32_t)r->doc->count;
      n->len = (uint32_t)(r->p - r->start) - n->off;
    }
    break;
  }
  case '"': v = read_string(r, 0); break;
  case 't': v = literal(r, "true", PS_JSON_TRUE); break;
  case 'f': v = literal(r, "false", PS_JSON_FALSE); break;
  case 'n': v = literal(r, "null", PS_JSON_NULL); break;
  default: v = read_number(r); break;
  }
  r->depth--;
  return v;
}

void ps_json_doc_init(ps_json_doc *doc, unsigned flags) {
  memset(doc, 0, sizeof *doc);
  doc->flags = flags;
}

void ps_json_doc_free(ps_json_doc *doc) {
  unsigned flags = doc->flags;
  size_t max_nodes = doc->max_nodes;
  free(doc->nodes);
  free(doc->strings);
  free(doc->scratch);
  ps_json_doc_init(doc, flags);
  doc->max_nodes = max_nodes;
}

int ps_json_doc_parse(ps_json_doc *doc, const char *text, size_t len, char *err, size_t errlen) {
  doc->text = text;
  doc->len = len;
  doc->count = 0;
  doc->strings_len = 0;
  if (err && errlen) err[0] = '\0';
  parser r = {.doc = doc, .start = (const unsigned char *)text, .p = (const unsigned char *)text,
              .end = (const unsigned char *)text + len, .rc = PS_OK, .err = err, .errlen = errlen};
  if (!text || len >= UINT32_MAX) {
    fail(&r, PS_EINVAL, text ? "text too long" : "no text");
  } else if (read_value(&r) >= 0) {
    skip_space(&r);
    if (r.p != r.end) fail(&r, PS_EINVAL, "end of file expected");
  }
  if (r.rc != PS_OK) doc->count = 0;
  return r.rc;
}

ps_json_ref ps_json_member_first(const ps_json_doc *d, ps_json_ref object) {
  if (d->nodes[object].type != PS_JSON_OBJECT) return PS_JSON_NONE;
  uint32_t k = object + 1;
  while (k < d->nodes[object].end && d->nodes[k].flags & PS_JSON_F_SHADOWED)
    k = d->nodes[k + 1].end;
  return k < d->nodes[object].end ? k : PS_JSON_NONE;
}

ps_json_ref ps_json_member_next(const ps_json_doc *d, ps_json_ref object, ps_json_ref key) {
  uint32_t k = d->nodes[key + 1].end;
  while (k < d->nodes[object].end && d->nodes[k].flags & PS_JSON_F_SHADOWED)
    k = d->nodes[k + 1].end;
  return k < d->nodes[object].end ? k : PS_JSON_NONE;
}

ps_json_ref ps_json_get_n(const ps_json_doc *d, ps_json_ref object, const char *key,
                          size_t keylen) {
  if (d->nodes[object].type != PS_JSON_OBJECT) return PS_JSON_NONE;
  for (uint32_t k = object + 1, end = d->nodes[object].end; k < end; k = d->nodes[k + 1].end) {
    const ps_json_node *n = &d->nodes[k];
    if (n->len != keylen || n->flags & PS_JSON_F_SHADOWED) continue;
    const char *s = (n->flags & PS_JSON_F_DECODED ? d->strings : d->text) + n->off;
    if (memcmp(s, key, keylen) == 0) return n->u.key.value;
  }
  return PS_JSON_NONE;
}

ps_json_ref ps_json_get(const ps_json_doc *d, ps_json_ref object, const char *key) {
  return ps_json_get_n(d, object, key, strlen(key));
}
