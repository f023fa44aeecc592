/*
 * status.c: the status codes of libplaystat (include/playstat.h) and their names. The table is
 * the one place that lists them; playstat_strerror never returns NULL.
 */
#include "playstat.h"

#define PLAYSTAT_STATUS_MAP(X)                                                               \
  X(PLAYSTAT_OK, "success")                                                                  \
  X(PLAYSTAT_E_NOMEM, "out of memory; nothing was recorded")                                 \
  X(PLAYSTAT_E_ARG, "invalid argument (NULL handle or missing required argument)")           \
  X(PLAYSTAT_E_CONFIG, "invalid or incomplete configuration")                                \
  X(PLAYSTAT_E_INVALID, "event rejected by validation (see the log for the fields)")         \
  X(PLAYSTAT_E_STORAGE, "local database error; nothing was recorded")                        \
  X(PLAYSTAT_E_NO_SESSION, "no session is open (call playstat_session_start)")               \
  X(PLAYSTAT_E_THROTTLED, "error event dropped: at most 10 per launch, one per message type") \
  X(PLAYSTAT_E_FULL, "database at its size bound; this event was dropped")                   \
  X(PLAYSTAT_E_PENDING, "events remain queued; they will be sent on the next launch")        \
  X(PLAYSTAT_E_STATE, "the call does not fit the current state")                            \
  X(PLAYSTAT_E_DISABLED, "the collector disabled this game (init: enabled false); nothing was recorded")

const char *playstat_strerror(int status) {
  switch (status) {
#define PLAYSTAT_STATUS_CASE(code, text) \
  case code: return text;
    PLAYSTAT_STATUS_MAP(PLAYSTAT_STATUS_CASE)
#undef PLAYSTAT_STATUS_CASE
  }
  return "unknown status code";
}
