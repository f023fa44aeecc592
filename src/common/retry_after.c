/* retry_after.c: see retry_after.h. */
#include "common/retry_after.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

int64_t ps_retry_after_value(const char *value, uint64_t cap_s) {
  if (!value) return -1;
  while (*value == ' ' || *value == '\t') value++;
  if (!isdigit((unsigned char)*value)) return -1;
  uint64_t s = 0;
  for (; isdigit((unsigned char)*value); value++)
    if (s <= cap_s) s = s * 10 + (uint64_t)(*value - '0');
  while (*value == ' ' || *value == '\t' || *value == '\r' || *value == '\n') value++;
  if (*value) return -1;
  return (int64_t)(s > cap_s ? cap_s : s);
}

int64_t ps_retry_after_header(const char *line, size_t len, uint64_t cap_s) {
  static const char name[] = "retry-after:";
  const size_t n = sizeof name - 1;
  if (len <= n || strncasecmp(line, name, n) != 0) return -1;
  char value[32];
  if (len - n >= sizeof value) return -1; /* no delta seconds are that long */
  memcpy(value, line + n, len - n);
  value[len - n] = '\0';
  return ps_retry_after_value(value, cap_s);
}
