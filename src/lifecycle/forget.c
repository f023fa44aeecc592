/* forget.c: see forget.h. */
#include "lifecycle/forget.h"

#include <string.h>

#include "common/errors.h"
#include "common/log.h"

int ps_forget_player(ps_stores *stores, int64_t game_id, const char *user_id,
                     ps_forget_report *out, const char **why) {
  *out = (ps_forget_report){0};
  size_t len = strlen(user_id);
  if (len == 0 || len > PS_FORGET_MAX_USER_ID) {
    *why = "the user id must have 1 to 1024 bytes";
    return PS_EINVAL;
  }
  ps_event_store *events = stores->events;
  ps_state_store *state = stores->state;
  if (!events->ops->forget_player || !state->ops->msession_forget_player) {
    *why = "this store cannot delete a player";
    return PS_EUNSUPPORTED;
  }
  /* The state first: the event store's deletion ends by emptying the SQLite WAL, which then
   * holds neither. A failure of either is finished by calling again (both are idempotent). */
  int rc = state->ops->msession_forget_player(state, game_id, user_id);
  if (rc != PS_OK) {
    *why = "the state store could not forget the player's sessions (try again)";
    return rc;
  }
  if ((rc = events->ops->forget_player(events, game_id, user_id, out)) != PS_OK) {
    *why = "the event store could not delete the player's data (try again: it resumes)";
    return rc;
  }
  /* The id itself is never logged: the log is a file too. */
  ps_info("deleted a player of game %lld: %lld events, %lld rejected events, %lld metrics "
          "sessions",
          (long long)game_id, (long long)out->events, (long long)out->rejected,
          (long long)out->msessions);
  return PS_OK;
}
