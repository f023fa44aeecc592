/* router.c: see router.h. */
#include "http/router.h"

#include <string.h>

#include "common/encoding.h"

/* Copies a segment of len bytes percent-decoded into out (cap bytes); 0 if it does not fit. */
static int decode_segment(const char *seg, size_t len, char *out, size_t cap) {
  if (len + 1 > cap) return 0;
  ps_percent_decode(seg, len, 0, out);
  return 1;
}

static int match(const char *pattern, const char *path, ps_route_params *params) {
  params->count = 0;
  while (*pattern && *path) {
    if (*pattern != '/' || *path != '/') return 0;
    pattern++;
    path++;
    const char *pend = strchr(pattern, '/');
    const char *send = strchr(path, '/');
    size_t plen = pend ? (size_t)(pend - pattern) : strlen(pattern);
    size_t slen = send ? (size_t)(send - path) : strlen(path);
    if (plen == 2 && pattern[0] == '*' && pattern[1] == '*' && pattern[2] == '\0')
      return *path != '\0'; /* the rest, whatever it is: "//etc/passwd" must reach the
                               static files, which refuse it (400), not miss every route */
    if (plen == 2 && pattern[0] == '{' && pattern[1] == '}') {
      if (slen == 0 || params->count == PS_ROUTE_MAX_PARAMS) return 0;
      if (!decode_segment(path, slen, params->values[params->count],
                          sizeof params->values[0]))
        return 0;
      params->count++;
    } else if (plen != slen || memcmp(pattern, path, plen) != 0) {
      return 0;
    }
    pattern += plen;
    path += slen;
  }
  return *pattern == '\0' && *path == '\0';
}

static int is_catch_all(const char *pattern) {
  size_t n = strlen(pattern);
  return n >= 3 && strcmp(pattern + n - 3, "/**") == 0;
}

ps_route_result ps_route_find(const ps_route *routes, size_t nroutes, const char *method,
                              const char *path, size_t *index, ps_route_params *params) {
  ps_route_result result = PS_ROUTE_NOT_FOUND;
  ps_route_params scratch;
  int exact_other_method = 0; /* a row without "**" matched the path under another method */
  for (size_t i = 0; i < nroutes; i++) {
    if (!match(routes[i].pattern, path, &scratch)) continue;
    int catch_all = is_catch_all(routes[i].pattern);
    if (strcmp(routes[i].method, method) == 0) {
      if (exact_other_method && catch_all) continue;
      *index = i;
      *params = scratch;
      return PS_ROUTE_FOUND;
    }
    if (!catch_all) exact_other_method = 1;
    if (result == PS_ROUTE_NOT_FOUND) *index = i;
    result = PS_ROUTE_WRONG_METHOD;
  }
  return result;
}
