/*
 * framing.h: the request-framing rules playstat adds on top of libmicrohttpd's parser.
 *
 * Why: MHD 0.9.75 takes the first of two different Content-Length headers and accepts
 * Transfer-Encoding together with Content-Length; behind a proxy that frames the other way
 * round, that is request smuggling (RFC 9112 §6.3, §11.2). It also percent-decodes "%00" in
 * the path into a NUL, which silently cut "/index.html%00.js" short. The server therefore
 * checks every request's headers with ps_framing_add()/ps_framing_verdict() before anything
 * else, and decodes paths and query arguments with ps_http_unescape().
 *
 * Everything here is pure (no I/O, no allocation): fuzz/fuzz_http_framing.c drives it.
 */
#ifndef PS_HTTP_FRAMING_H
#define PS_HTTP_FRAMING_H

#include <stddef.h>

/* Headers larger than this (the request line and every header line, as MHD counts them) are
 * answered 431. */
#define PS_HTTP_MAX_HEADER_BYTES (16u * 1024)

typedef struct ps_framing {
  unsigned content_lengths;       /* Content-Length headers seen */
  unsigned long long content_length; /* the first one's value */
  int content_length_bad;         /* a value that is not 1*DIGIT, or one that differs */
  unsigned transfer_encodings;    /* Transfer-Encoding headers seen */
} ps_framing;

/* Feeds one header (name case-insensitive, value as received, NUL-terminated) to f, which
 * starts zeroed. */
void ps_framing_add(ps_framing *f, const char *name, const char *value);

/* NULL when the headers fed frame the request unambiguously, else why not (a static string;
 * the request is to be answered 400 and its connection closed): more than one Content-Length
 * unless all equal, a Content-Length that is not a decimal number, or Transfer-Encoding with
 * Content-Length. */
const char *ps_framing_verdict(const ps_framing *f);

/* Percent-decodes s in place (MHD_OPTION_UNESCAPE_CALLBACK): "%XX" with two hex digits
 * becomes that byte, except "%00", which stays as the three characters (so a NUL never
 * enters a path or an argument; the static files refuse any "%"). Returns the new length. */
size_t ps_http_unescape(char *s);

#endif
