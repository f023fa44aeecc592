/*
 * ga_session.h: what one simulated player does in one game session, as GameAnalytics REST v2
 * events (the rules in schemas/): a `user` event at the start, a tutorial on the first session
 * (its last step opens the shop, where payers take the starter offer), level attempts
 * (progression Start then Fail or Complete with attempt_num and score) with combat design
 * events, currency earned and spent (resource Source/Sink), rewarded and interstitial ads on
 * mobile, purchases by payers (business, then the gems as a resource), occasional errors (build 1.4.0 has a crash that 1.4.1 fixes: a crash ends the session
 * without session_end) and `session_end` with the length.
 *
 * Events carry every shared annotation (platform, os_version, build, custom_01..03 = A/B
 * group, acquisition channel, region; connection type; session_num) and a client_ts between
 * the session's start and end, which is never after the history's end.
 */
#ifndef PS_SIM_GA_SESSION_H
#define PS_SIM_GA_SESSION_H

#include <jansson.h>
#include <stdint.h>

#include "sim/population.h"
#include "sim/rng.h"

/* What a player carries from one session to the next. Zero it before the first session. */
typedef struct ps_sim_ga_player {
  int session_num;     /* sessions played so far */
  int transaction_num; /* purchases so far */
  int world, level;    /* the level being played, 0 before the first session */
  int attempts;        /* attempts at that level so far */
  int64_t gold, gems;
} ps_sim_ga_player;

/* The events of one session, in time order, counted by category. */
typedef struct ps_sim_ga_session {
  json_t *events; /* a JSON array (own reference) */
  int64_t end_ts; /* when the session ended */
} ps_sim_ga_session;

/* Plays one session of player from t0 (its length drawn from the player's device family and
 * cut at pop->end_s). behaviour draws the choices, ids the event_uuid and session_id values.
 * Returns 0 with out->events filled, or PS_ENOMEM (out is then empty). */
int ps_sim_ga_play(const ps_sim_population *pop, const ps_sim_player *player,
                   ps_sim_ga_player *state, ps_sim_rng *behaviour, ps_sim_rng *ids, int64_t t0,
                   ps_sim_ga_session *out);

#endif
