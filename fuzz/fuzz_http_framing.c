/*
 * fuzz_http_framing.c: libFuzzer target for the framing logic that is playstat's own on top of
 * libmicrohttpd (http/framing.h) and for the access log's line (http/access_log.h).
 * The input is read as header lines ("name: value", one per '\n'); each is fed to
 * ps_framing_add() and the verdict is checked against an independent model: accepted only
 * when no Transfer-Encoding meets a Content-Length and every Content-Length is the same
 * decimal number (blanks around it allowed). The same input, as a path, is decoded
 * (ps_http_unescape: no NUL made, never longer) and formatted into an access-log line, which
 * must stay one line, within its buffer, and end with its fixed fields.
 * Run: CC=clang cmake -S . -B build-fuzz -DPLAYSTAT_FUZZ=ON && cmake --build build-fuzz
 *      --target fuzz_http_framing && build-fuzz/fuzz/fuzz_http_framing fuzz/corpus/http_framing
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "http/access_log.h"
#include "http/framing.h"

/* The model's reading of one Content-Length value: 1 and *v when it is blanks, digits,
 * blanks and the number fits in 64 bits (a larger one is refused). */
static int model_number(const char *s, unsigned long long *v) {
  while (*s == ' ' || *s == '\t') s++;
  const char *d = s;
  while (*s >= '0' && *s <= '9') s++;
  if (s == d) return 0;
  const char *e = s;
  while (*s == ' ' || *s == '\t') s++;
  if (*s) return 0;
  errno = 0;
  *v = strtoull(d, NULL, 10);
  return errno != ERANGE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 8192) return 0;
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  size_t len = strlen(text); /* MHD's headers are C strings */

  ps_framing f = {0};
  unsigned te = 0, cls = 0;
  int model_bad = 0;
  unsigned long long first = 0;
  char *copy = strndup(text, len);
  if (!copy) goto out;
  for (char *line = copy, *next; line; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    char *colon = strchr(line, ':');
    if (!colon) continue;
    *colon = '\0';
    const char *name = line, *value = colon + 1;
    ps_framing_add(&f, name, value);
    if (strcasecmp(name, "Transfer-Encoding") == 0) te++;
    if (strcasecmp(name, "Content-Length") == 0) {
      unsigned long long v = 0;
      if (!model_number(value, &v)) model_bad = 1;
      else if (cls == 0) first = v;
      else if (v != first) model_bad = 1;
      cls++;
    }
  }
  free(copy);
  int model_ok = !(te && cls) && !model_bad;
  if ((ps_framing_verdict(&f) == NULL) != model_ok) abort();

  char path[8193], line[512];
  memcpy(path, text, len + 1);
  size_t n = ps_http_unescape(path);
  if (n != strlen(path) || n > len) abort();
  const char *names[] = {path};
  ps_access_entry e = {.client = "127.0.0.1", .method = "GET", .path = path, .query_names = names,
                       .nquery = 1, .status = 200, .bytes = 1, .micros = 1, .game_id = -1};
  size_t w = ps_access_log_format(&e, 0, line, sizeof line);
  if (w >= sizeof line || strlen(line) != w || strchr(line, '\n') || strchr(line, '\r')) abort();
  static const char tail[] = " 200 1 1 -";
  if (w < sizeof tail - 1 || strcmp(line + w - (sizeof tail - 1), tail) != 0) abort();
out:
  free(text);
  return 0;
}
