/* log.c: see log.h. */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/errors.h"

static atomic_int min_level = PS_LOG_INFO;

void ps_log_set_level(ps_log_level level) { atomic_store(&min_level, (int)level); }

int ps_log_parse_level(const char *text, ps_log_level *out) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  for (int i = 0; i < 4; i++) {
    if (strcmp(text, names[i]) == 0) {
      *out = (ps_log_level)i;
      return PS_OK;
    }
  }
  return PS_EINVAL;
}

void ps_log(ps_log_level level, const char *fmt, ...) {
  static const char *const labels[] = {"debug", "info ", "warn ", "error"};
  if ((int)level < atomic_load(&min_level)) return;
  char line[2048];
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct tm tm;
  gmtime_r(&now.tv_sec, &tm);
  size_t n = strftime(line, sizeof line, "%Y-%m-%dT%H:%M:%S", &tm);
  n += (size_t)snprintf(line + n, sizeof line - n, ".%03ldZ %s ", now.tv_nsec / 1000000L,
                        labels[level]);
  va_list ap;
  va_start(ap, fmt);
  int written = vsnprintf(line + n, sizeof line - n - 1, fmt, ap);
  va_end(ap);
  if (written < 0) written = 0;
  n += (size_t)written;
  if (n > sizeof line - 2) n = sizeof line - 2;
  line[n++] = '\n';
  ssize_t ignored = write(STDERR_FILENO, line, n);
  (void)ignored;
}
