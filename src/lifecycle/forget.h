/*
 * forget.h: deleting one player of a game, as `DELETE /api/v1/games/{id}/players/{user_id}`
 * and `playstat player delete` do it: the event store removes the player's analytics events,
 * rejected events and metrics sessions with their part of every precomputed figure
 * (events.h forget_player), then the state store forgets the player's metrics-session state
 * (state.h msession_forget_player). Both steps are idempotent, so a call that failed part-way
 * is finished by calling again; the event store also resumes its own step after a crash.
 */
#ifndef PS_LIFECYCLE_FORGET_H
#define PS_LIFECYCLE_FORGET_H

#include <stdint.h>

#include "store/store.h"

/* The longest user id accepted (GameAnalytics allows 64; mod.io's are numbers). */
#define PS_FORGET_MAX_USER_ID 1024

/* PS_EINVAL (empty or too long an id), PS_EUNSUPPORTED (a backend without deletion), or the
 * store's error; *why: a static sentence for people. *out: what was removed. */
int ps_forget_player(ps_stores *stores, int64_t game_id, const char *user_id,
                     ps_forget_report *out, const char **why);

#endif
