/* error_throttle.c: see error_throttle.h. */
#include "sdk/error_throttle.h"

#include <string.h>

/* FNV-1a over the severity and the message up to its first line break. */
static uint64_t type_hash(int severity, const char *message) {
  uint64_t h = 1469598103934665603ULL;
  h = (h ^ (uint64_t)(unsigned)severity) * 1099511628211ULL;
  for (const char *p = message ? message : ""; *p && *p != '\n' && *p != '\r'; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ULL;
  return h;
}

int ps_sdk_error_throttle_admit(ps_sdk_error_throttle *t, int severity, const char *message) {
  uint64_t h = type_hash(severity, message);
  for (size_t i = 0; i < t->count; i++)
    if (t->seen[i] == h) return 0;
  if (t->count >= PS_SDK_ERROR_TYPES_MAX) return 0;
  t->seen[t->count++] = h;
  return 1;
}

void ps_sdk_error_throttle_forget(ps_sdk_error_throttle *t, int severity, const char *message) {
  uint64_t h = type_hash(severity, message);
  for (size_t i = 0; i < t->count; i++) {
    if (t->seen[i] != h) continue;
    memmove(&t->seen[i], &t->seen[i + 1], (t->count - i - 1) * sizeof t->seen[0]);
    t->count--;
    return;
  }
}
