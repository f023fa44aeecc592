/* options.h: what every store backend is opened with. */
#ifndef PS_STORE_OPTIONS_H
#define PS_STORE_OPTIONS_H

#include <stdint.h>

typedef struct ps_store_options {
  int64_t rejected_keep_per_game; /* 0: default (10000) */
  /* Metrics sessions: a session without a request for timeout_ms is over (at its last
   * session_ts); a request's session_ts lies within window_ms of server time. 0: defaults
   * (5 min, 15 min). Event stores use them to know when a minute can no longer change. */
  int64_t msession_timeout_ms, msession_window_ms;
} ps_store_options;

#define PS_STORE_DEFAULT_REJECTED_KEEP 10000
#define PS_STORE_DEFAULT_MSESSION_TIMEOUT_MS (5 * 60 * 1000)
#define PS_STORE_DEFAULT_MSESSION_WINDOW_MS (15 * 60 * 1000)

#endif
