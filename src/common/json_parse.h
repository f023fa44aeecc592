/*
 * json_parse.h: a strict JSON reader (RFC 8259) that builds jansson values and survives running
 * out of memory.
 *
 * Why not json_loadb: jansson's lexer ignores a failed growth of its token buffer and goes on
 * with a truncated token, which then trips an assert or corrupts the heap (akheron/jansson#362,
 * open upstream). libplaystat promises never to abort, out of memory included, so the JSON it
 * reads (the embedded schemas, a session's saved annotations, the collector's answers) goes
 * through this reader, whose every allocation is checked. The server's hot paths keep jansson's.
 *
 * Accepts what json_loadb accepts with JSON_DECODE_ANY (and JSON_REJECT_DUPLICATES): one value
 * of any type, whitespace around it, valid UTF-8, no \u0000, integers that fit json_int_t
 * (others are an error, as in jansson), reals that do not overflow; nesting at most
 * PS_JSON_MAX_DEPTH (tests/unit/test_json_parse.c compares the two readers).
 */
#ifndef PS_COMMON_JSON_PARSE_H
#define PS_COMMON_JSON_PARSE_H

#include <jansson.h>
#include <stddef.h>

#define PS_JSON_MAX_DEPTH 512

/* Parses text[0..len) into *out (a new reference). Returns PS_OK, PS_ENOMEM, or PS_EINVAL with
 * err saying what and where (line and column); *out is NULL on failure. reject_duplicates: an
 * object naming a key twice is an error (else the last one wins, as in jansson). */
int ps_json_parse(const char *text, size_t len, int reject_duplicates, json_t **out, char *err,
                  size_t errlen);

#endif
