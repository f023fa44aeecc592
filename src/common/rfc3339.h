/*
 * rfc3339.h: RFC 3339 timestamps <-> unix milliseconds.
 *
 * Parsing accepts "YYYY-MM-DDTHH:MM:SS[.f...](Z|+hh:mm|-hh:mm)" (T or t or a space, Z or z),
 * 1 to 9 fraction digits (truncated to milliseconds), years 1970 to 9999; anything else,
 * including impossible dates (February 30th) and leap seconds, is refused. Formatting always
 * writes UTC with milliseconds: "2024-03-19T22:12:47.847Z".
 */
#ifndef PS_COMMON_RFC3339_H
#define PS_COMMON_RFC3339_H

#include <stdint.h>

#define PS_RFC3339_LEN 24 /* formatted length, without the NUL */

/* 0 and *ms, or PS_EINVAL. */
int ps_rfc3339_parse(const char *text, int64_t *ms);
/* Writes PS_RFC3339_LEN characters and a NUL into out. */
void ps_rfc3339_format(int64_t ms, char out[PS_RFC3339_LEN + 1]);

#endif
