/*
 * access_log.h: one line per answered request (`playstat serve --access-log FILE|-`).
 *
 * A line is, separated by single spaces:
 *   TIME CLIENT METHOD PATH STATUS BYTES MICROSECONDS GAME
 *   2026-12-01T23:58:22.123Z 127.0.0.1 POST /v2/{}/events 200 2 153 12
 * TIME is UTC with milliseconds; BYTES the answer's body; MICROSECONDS from the complete
 * headers to the answer's completion; GAME the game id the handler named
 * (ps_request_note_game) or "-"; STATUS 0 when the client went away before an answer.
 *
 * Guarantees: no secret reaches the log. A route's path parameters (game keys, ids) are
 * written as the route's "{}" (the game is in GAME); a query keeps its argument names only
 * ("?game_key=&interval_seconds="); headers and bodies are never written. Bytes outside
 * printable ASCII, spaces and '"' in the path are written as %XX, so a client cannot forge a
 * line. Each line is one write(2) to a descriptor opened O_APPEND, so lines of concurrent
 * requests never interleave and `logrotate` with copytruncate works.
 */
#ifndef PS_HTTP_ACCESS_LOG_H
#define PS_HTTP_ACCESS_LOG_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_access_log ps_access_log;

/* Opens where ("-": standard output; else a file, created 0640 or appended to). Returns 0,
 * PS_EIO (errno tells why) or PS_ENOMEM. */
int ps_access_log_open(const char *where, ps_access_log **out);
void ps_access_log_close(ps_access_log *log);

/* The fields of one line; path_is_pattern says path is a route pattern (written as is). */
typedef struct ps_access_entry {
  const char *client; /* the address as text */
  const char *method;
  const char *path;
  int path_is_pattern;
  const char *const *query_names; /* query argument names, nquery of them */
  size_t nquery;
  unsigned status;
  size_t bytes;
  long long micros;
  int64_t game_id; /* < 0: unknown */
} ps_access_entry;

/* Formats e into out (cap bytes, at least 64) without its newline; a long path is cut.
 * Returns the length. Pure: fuzz and unit tests call it. */
size_t ps_access_log_format(const ps_access_entry *e, long long unix_ms, char *out, size_t cap);

/* Writes one line (best effort: a failed write is dropped, never retried or blocking long). */
void ps_access_log_write(ps_access_log *log, const ps_access_entry *e);

#endif
