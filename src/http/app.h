/*
 * app.h: what every route handler of `playstat serve` shares. Owned by serve; every member
 * is safe to use from any thread.
 */
#ifndef PS_HTTP_APP_H
#define PS_HTTP_APP_H

#include <stddef.h>

#include "auth/games.h"
#include "common/metrics.h"
#include "http/static.h"
#include "ingest/metrics/rate_limit.h"
#include "ingest/metrics/registry.h"
#include "ingest/sessions/anonymizer.h"
#include "ingest/queue.h"
#include "schema/validator.h"
#include "store/store.h"

typedef struct ps_app ps_app;

struct ps_app {
  ps_state_store *state;  /* games, tokens, accounts, protocol state */
  ps_event_store *events; /* what was accepted, metric answers, session searches */
  ps_ingest_queue *queue;
  ps_schema_set *schemas;
  ps_metrics *metrics;
  ps_game_cache *games;
  size_t max_body_bytes;
  ps_msession_registry *msessions; /* metrics-session state */
  ps_rate_limit *player_rate;      /* metrics requests per player */
  int64_t msession_window_ms;      /* allowed |session_ts - server time| */
  int64_t msession_timeout_ms;     /* a session without requests for this long is over */
  ps_so_anonymizer *so_anonymizer; /* multiplayer sessions: player ids -> "Player N" */
  int64_t so_retention_ms;         /* multiplayer sessions are kept this long after createdAt */
  ps_static_roots web;             /* the dashboard's files (GET /) */
};

#endif
