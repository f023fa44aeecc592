/* event_lifecycle.c: see lifecycle.h. STUB until issue 14's SQLite event part lands. */
#include "common/errors.h"
#include "store/sqlite/lifecycle.h"

int ps_sqlite_forget_player(sqlite_store *s, int64_t game_id, const char *user_id,
                            ps_forget_report *out) {
  (void)s, (void)game_id, (void)user_id, (void)out;
  return PS_EUNSUPPORTED;
}

int ps_sqlite_forget_resume(sqlite_store *s) {
  (void)s;
  return PS_OK;
}

int ps_sqlite_events_drop_before(sqlite_store *s, int64_t before_ms, int64_t *dropped) {
  (void)s, (void)before_ms, (void)dropped;
  return PS_EUNSUPPORTED;
}
