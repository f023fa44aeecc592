/*
 * retry_after.h: the Retry-After header of an HTTP answer, read the one way playstat's own
 * clients (libplaystat's sender, `playstat simulate`) both need: delta seconds only (an HTTP
 * date is taken for no header, as RFC 9110 allows a client to), capped.
 */
#ifndef PS_COMMON_RETRY_AFTER_H
#define PS_COMMON_RETRY_AFTER_H

#include <stddef.h>
#include <stdint.h>

/* The seconds of a Retry-After value ("120", spaces and CRLF around it allowed), at most cap_s;
 * -1 when value is NULL or not delta seconds. */
int64_t ps_retry_after_value(const char *value, uint64_t cap_s);

/* One header line as libcurl hands it ("Name: value\r\n", len bytes, not NUL-terminated): its
 * Retry-After seconds as ps_retry_after_value reads them, or -1 when it is another header or
 * not delta seconds. */
int64_t ps_retry_after_header(const char *line, size_t len, uint64_t cap_s);

#endif
