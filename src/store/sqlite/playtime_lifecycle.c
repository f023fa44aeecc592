/* playtime_lifecycle.c: see lifecycle.h. STUB until issue 14's SQLite playtime part lands. */
#include "common/errors.h"
#include "store/sqlite/lifecycle.h"

int ps_sqlite_playtime_forget(sqlite_store *s, int64_t game_id, const char *player,
                              int64_t *removed) {
  (void)s, (void)game_id, (void)player, (void)removed;
  return PS_EUNSUPPORTED;
}

int ps_sqlite_playtime_drop_before(sqlite_store *s, int64_t before_ms, int64_t *dropped) {
  (void)s, (void)before_ms, (void)dropped;
  return PS_EUNSUPPORTED;
}
