/* framing.c: see framing.h. */
#include "http/framing.h"

#include <strings.h>

void ps_framing_add(ps_framing *f, const char *name, const char *value) {
  if (strcasecmp(name, "Transfer-Encoding") == 0) {
    f->transfer_encodings++;
    return;
  }
  if (strcasecmp(name, "Content-Length") != 0) return;
  const char *p = value;
  while (*p == ' ' || *p == '\t') p++;
  unsigned long long v = 0;
  int digits = 0;
  for (; *p >= '0' && *p <= '9'; p++, digits++) {
    unsigned long long d = (unsigned long long)(*p - '0');
    if (v > (~0ull - d) / 10) { /* past 2^64 - 1: beyond any body we would take */
      f->content_length_bad = 1;
      while (*p >= '0' && *p <= '9') p++;
      break;
    }
    v = v * 10 + d;
  }
  while (*p == ' ' || *p == '\t') p++;
  if (!digits || *p) f->content_length_bad = 1;
  if (f->content_lengths++ == 0) f->content_length = v;
  else if (v != f->content_length) f->content_length_bad = 1;
}

const char *ps_framing_verdict(const ps_framing *f) {
  if (f->transfer_encodings && f->content_lengths)
    return "Transfer-Encoding and Content-Length together (RFC 9112 section 6.3)";
  if (f->content_length_bad)
    return f->content_lengths > 1 ? "conflicting Content-Length headers (RFC 9112 section 6.3)"
                                  : "Content-Length is not a decimal number";
  return NULL;
}

static int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

size_t ps_http_unescape(char *s) {
  char *w = s;
  for (const char *r = s; *r;) {
    int hi, lo;
    if (r[0] == '%' && (hi = hex(r[1])) >= 0 && (lo = hex(r[2])) >= 0 && (hi | lo) != 0) {
      *w++ = (char)(hi * 16 + lo);
      r += 3;
    } else {
      *w++ = *r++;
    }
  }
  *w = '\0';
  return (size_t)(w - s);
}
