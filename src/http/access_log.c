/* access_log.c: see access_log.h. */
#include "http/access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"

#define LINE_MAX_BYTES 1024

struct ps_access_log {
  int fd;
  int owned; /* we opened fd */
};

int ps_access_log_open(const char *where, ps_access_log **out) {
  ps_access_log *log = calloc(1, sizeof *log);
  if (!log) return PS_ENOMEM;
  if (strcmp(where, "-") == 0) {
    log->fd = STDOUT_FILENO;
  } else {
    log->fd = open(where, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    log->owned = 1;
    if (log->fd < 0) {
      int e = errno;
      free(log);
      errno = e;
      return PS_EIO;
    }
  }
  *out = log;
  return PS_OK;
}

void ps_access_log_close(ps_access_log *log) {
  if (!log) return;
  if (log->owned) close(log->fd);
  free(log);
}

/* Appends s to out[*at..cap-1), escaping what could break or forge a line; cuts at the end. */
static void put_escaped(char *out, size_t *at, size_t cap, const char *s, size_t max) {
  static const char digits[] = "0123456789ABCDEF";
  for (size_t i = 0; s[i] && i < max && *at + 4 < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '%') {
      out[(*at)++] = '%';
      out[(*at)++] = digits[c >> 4];
      out[(*at)++] = digits[c & 15];
    } else {
      out[(*at)++] = (char)c;
    }
  }
}

static void put(char *out, size_t *at, size_t cap, const char *s) {
  size_t n = strlen(s);
  if (*at + n >= cap) n = cap - 1 - *at;
  memcpy(out + *at, s, n);
  *at += n;
}

size_t ps_access_log_format(const ps_access_entry *e, long long unix_ms, char *out, size_t cap) {
  char head[96], tail[96];
  time_t secs = (time_t)(unix_ms / 1000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  snprintf(head, sizeof head, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900,
           tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(unix_ms % 1000));
  size_t at = 0;
  /* Room for the fixed fields at the end: the path is what gets cut. */
  size_t room = cap - 64;
  put(out, &at, room, head);
  put_escaped(out, &at, room, e->client ? e->client : "-", 64);
  put(out, &at, room, " ");
  put_escaped(out, &at, room, e->method ? e->method : "-", 16);
  put(out, &at, room, " ");
  if (e->path_is_pattern) put(out, &at, room, e->path);
  else put_escaped(out, &at, room, e->path ? e->path : "-", 512);
  for (size_t i = 0; i < e->nquery; i++) {
    put(out, &at, room, i ? "&" : "?");
    put_escaped(out, &at, room, e->query_names[i], 64);
    put(out, &at, room, "=");
  }
  if (e->game_id >= 0)
    snprintf(tail, sizeof tail, " %u %zu %lld %" PRId64, e->status, e->bytes, e->micros,
             e->game_id);
  else
    snprintf(tail, sizeof tail, " %u %zu %lld -", e->status, e->bytes, e->micros);
  put(out, &at, cap, tail);
  out[at] = '\0';
  return at;
}

void ps_access_log_write(ps_access_log *log, const ps_access_entry *e) {
  char line[LINE_MAX_BYTES];
  struct timeval tv;
  gettimeofday(&tv, NULL);
  size_t n = ps_access_log_format(e, (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000, line,
                                  sizeof line - 1);
  line[n++] = '\n';
  ssize_t w = write(log->fd, line, n);
  (void)w; /* best effort: see access_log.h */
}
