/*
 * registry.h: the live state of metrics sessions, which decides whether a start, heartbeat or
 * end may be accepted. One mutex serialises every decision, so two requests can never both be
 * accepted against the same state.
 *
 * Rules (a refused request changes nothing):
 *   start      the session id must be new for the game                  else PS_MSR_EXISTS
 *   heartbeat  the session must exist, belong to the player, and be
 *   end        neither ended nor timed out (no accepted request for
 *              timeout_ms of server time)                               else PS_MSR_UNKNOWN
 *   every      the nonce must be new for the session                    else PS_MSR_REPLAY
 *              the order id must not be lower than one already seen      else PS_MSR_ORDER
 *
 * A decision applies the request at once (so the next request sees it); the caller reports the
 * commit's outcome with ps_msession_registry_finish(), and a failed commit evicts the session
 * so that its state is reloaded from the store, which stays the truth. Sessions missing from
 * memory (after a restart, or evicted) are loaded from the store on first use.
 */
#ifndef PS_INGEST_METRICS_REGISTRY_H
#define PS_INGEST_METRICS_REGISTRY_H

#include <stdint.h>

#include "ingest/metrics/request.h"
#include "store/state.h"

typedef struct ps_msession_registry ps_msession_registry;

typedef enum {
  PS_MSR_OK,
  PS_MSR_EXISTS,  /* start for a session id already used */
  PS_MSR_UNKNOWN, /* heartbeat/end for a session that is unknown, another player's, or over */
  PS_MSR_REPLAY,  /* nonce already used in this session */
  PS_MSR_ORDER,   /* order id lower than one already seen */
  PS_MSR_ERROR,   /* store or memory failure */
} ps_msr_result;

int ps_msession_registry_create(ps_state_store *store, int64_t timeout_ms, ps_msession_registry **out);
void ps_msession_registry_free(ps_msession_registry *reg);

ps_msr_result ps_msession_registry_begin(ps_msession_registry *reg, int64_t game_id,
                                         const char *player, const ps_msession_request *req,
                                         int64_t now_ms);
/* committed: 1 when the request's record is durable, 0 when its commit failed. */
void ps_msession_registry_finish(ps_msession_registry *reg, int64_t game_id,
                                 const char *session_id, int committed);

#endif
