/* retention.c: see retention.h. */
#include "observability/retention.h"

#include <stdlib.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/periodic.h"

struct ps_so_retention {
  ps_stores stores;
  int64_t retention_ms;
  ps_periodic *thread;
};

static void expire(void *arg) {
  ps_so_retention *r = arg;
  int64_t deleted = 0;
  int64_t before = ps_now_ms() - r->retention_ms;
  ps_event_store *events = r->stores.events;
  ps_state_store *state = r->stores.state;
  /* The sessions first, then their anonymisation: a crash in between leaves only maps that the
   * next run forgets (and no session whose players could not be numbered any more). */
  int rc = events->ops->so_expire(events, before, &deleted);
  if (rc == PS_OK) rc = state->ops->so_anonymity_expire(state, before);
  if (rc != PS_OK)
    ps_warn("retention: expired sessions could not be deleted: %s (tried again later)",
            ps_strerror(rc));
  else if (deleted)
    ps_info("retention: deleted %lld expired multiplayer sessions", (long long)deleted);
}

int ps_so_retention_start(ps_stores stores, int64_t retention_ms, int64_t period_ms,
                          ps_so_retention **out) {
  ps_so_retention *r = calloc(1, sizeof *r);
  if (!r) return PS_ENOMEM;
  *r = (ps_so_retention){stores, retention_ms, NULL};
  if (ps_periodic_start(period_ms, expire, r, &r->thread) != PS_OK) {
    free(r);
    return PS_ENOMEM;
  }
  *out = r;
  return PS_OK;
}

void ps_so_retention_stop(ps_so_retention *r) {
  if (!r) return;
  ps_periodic_stop(r->thread);
  free(r);
}
