/*
 * log.h: the server's log, one line per record on stderr:
 *   2026-11-22T20:00:00.123Z info  listening on 127.0.0.1:8080
 * Thread-safe (one write(2) per line). Callers never pass secrets or raw player ids: the log
 * is readable by operators and is searched by tests for leaked identifiers.
 */
#ifndef PS_COMMON_LOG_H
#define PS_COMMON_LOG_H

typedef enum { PS_LOG_DEBUG, PS_LOG_INFO, PS_LOG_WARN, PS_LOG_ERROR } ps_log_level;

/* Records below level are discarded (default PS_LOG_INFO). */
void ps_log_set_level(ps_log_level level);
/* Parses "debug", "info", "warn" or "error"; returns 0 or PS_EINVAL. */
int ps_log_parse_level(const char *text, ps_log_level *out);

void ps_log(ps_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ps_debug(...) ps_log(PS_LOG_DEBUG, __VA_ARGS__)
#define ps_info(...) ps_log(PS_LOG_INFO, __VA_ARGS__)
#define ps_warn(...) ps_log(PS_LOG_WARN, __VA_ARGS__)
#define ps_error_log(...) ps_log(PS_LOG_ERROR, __VA_ARGS__)

#endif
