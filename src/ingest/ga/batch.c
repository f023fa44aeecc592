/* batch.c: see batch.h. A single pass tracking nesting depth and string state. */
#include "ingest/ga/batch.h"

#include <stdlib.h>

#include "common/errors.h"

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int push(ps_json_slice **slices, size_t *count, size_t *cap, const char *text,
                size_t len) {
  while (len && is_blank(text[len - 1])) len--;
  if (len == 0) return PS_EPARSE; /* "[,]" or "[1,]" */
  if (*count == *cap) {
    size_t ncap = *cap ? *cap * 2 : 64;
    ps_json_slice *grown = realloc(*slices, ncap * sizeof *grown);
    if (!grown) return PS_ENOMEM;
    *slices = grown;
    *cap = ncap;
  }
  (*slices)[(*count)++] = (ps_json_slice){text, len};
  return PS_OK;
}

int ps_json_array_split(const char *body, size_t len, size_t max, ps_json_slice **slices,
                        size_t *count) {
  size_t i = 0, n = 0, cap = 0;
  ps_json_slice *out = NULL;
  int rc = PS_EPARSE;
  char stack[64]; /* expected closers of open containers inside an element */
  size_t depth = 0;
  while (i < len && is_blank(body[i])) i++;
  if (i == len || body[i] != '[') goto fail;
  i++;
  while (i < len && is_blank(body[i])) i++;
  if (i < len && body[i] == ']') {
    i++;
    goto done;
  }
  const char *start = body + i;
  for (; i < len; i++) {
    char c = body[i];
    if (c == '"') {
      for (i++; i < len && body[i] != '"'; i++) {
        if ((unsigned char)body[i] < 0x20) goto fail;
        if (body[i] == '\\') i++;
      }
      if (i >= len) goto fail;
    } else if (c == '{' || c == '[') {
      if (depth == sizeof stack) goto fail;
      stack[depth++] = c == '{' ? '}' : ']';
    } else if (c == '}' || (c == ']' && depth > 0)) {
      if (depth == 0 || stack[depth - 1] != c) goto fail;
      depth--;
    } else if (depth == 0 && (c == ',' || c == ']')) {
      while (start < body + i && is_blank(*start)) start++;
      if (max && n == max) {
        rc = PS_ETOOBIG;
        goto fail;
      }
      if ((rc = push(&out, &n, &cap, start, (size_t)(body + i - start))) != PS_OK) goto fail;
      rc = PS_EPARSE;
      start = body + i + 1;
      if (c == ']') {
        i++;
        goto done;
      }
    }
  }
  goto fail; /* no closing bracket */
done:
  while (i < len && is_blank(body[i])) i++;
  if (i != len) goto fail;
  *slices = out;
  *count = n;
  return PS_OK;
fail:
  free(out);
  return rc;
}
