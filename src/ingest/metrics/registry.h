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
 * Resends. A request whose nonce the session already used, from the session's player, for the
 * same request (the same kind, session_order_id and session_ts; for a start also the same ids,
 * compared while the session is in memory: the store keeps no ids per nonce) is the client
 * sending an accepted request again, typically because the 204 was lost. It is
 * PS_MSR_DUPLICATE whatever the session's state now (ended, timed out, reloaded after a
 * restart): it changes nothing here, and the caller stores its record again with the original
 * receive time, which changes nothing in the stores either (records.h: a metrics-session
 * record's identity is (game_id, session_id, nonce); its maxima are already taken), and then
 * answers it as it answered the first. The same nonce with anything else different stays
 * PS_MSR_REPLAY (or PS_MSR_EXISTS for a start): the session hash covers the nonce, the
 * session_ts and the ids, so a resend needs no secret but a changed request does.
 *
 * A decision applies the request at once (so the next request sees it); the caller reports the
 * commit's outcome with ps_msession_registry_finish(), and a failed commit evicts the session
 * so that its state is reloaded from the store, which stays the truth. Sessions missing from
 * memory (after a restart, or evicted) are loaded from the store on first use, with every
 * request they accepted (state.h: ps_msession_nonce).
 *
 * Several nodes (a store shared by them, state.h `shared`): the mutex serialises one node
 * only, and any node may take any request of a session. Before deciding on a session it has
 * in memory, a node merges the store's state of it (the requests, maxima and end that other
 * nodes committed), so that a session kept alive by heartbeats on another node is not taken
 * for timed out, an end on another node is seen, and a nonce used on another node is a replay.
 * Two nodes deciding on one session at the very same moment may both accept (each commits its
 * own nonce; the store keeps the maxima: store/postgres/state.c).
 */
#ifndef PS_INGEST_METRICS_REGISTRY_H
#define PS_INGEST_METRICS_REGISTRY_H

#include <stdint.h>

#include "ingest/metrics/request.h"
#include "store/state.h"

typedef struct ps_msession_registry ps_msession_registry;

typedef enum {
  PS_MSR_OK,
  PS_MSR_EXISTS,    /* start for a session id already used */
  PS_MSR_UNKNOWN,   /* heartbeat/end for a session that is unknown, another player's, or over */
  PS_MSR_REPLAY,    /* nonce already used in this session, by another request */
  PS_MSR_ORDER,     /* order id lower than one already seen */
  PS_MSR_ERROR,     /* store or memory failure */
  PS_MSR_DUPLICATE, /* a resend of a request already accepted: a success that changes nothing */
} ps_msr_result;

int ps_msession_registry_create(ps_state_store *store, int64_t timeout_ms, ps_msession_registry **out);
void ps_msession_registry_free(ps_msession_registry *reg);

/* Decides req (of player, in game_id) at server time now_ms, as the rules above say. On
 * PS_MSR_OK the request is applied and *accepted_ms is now_ms; on PS_MSR_DUPLICATE nothing
 * changes and *accepted_ms is the server time at which the request was first accepted; on any
 * other result nothing changes and *accepted_ms is untouched. accepted_ms may be NULL. */
ps_msr_result ps_msession_registry_begin(ps_msession_registry *reg, int64_t game_id,
                                         const char *player, const ps_msession_request *req,
                                         int64_t now_ms, int64_t *accepted_ms);
/* committed: 1 when the request's record is durable, 0 when its commit failed. */
void ps_msession_registry_finish(ps_msession_registry *reg, int64_t game_id,
                                 const char *session_id, int committed);

#endif
