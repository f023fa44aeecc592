/* retention.c: see retention.h. */
#include "observability/retention.h"

#include <stdlib.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/periodic.h"

struct ps_so_retention {
  ps_store *store;
  int64_t retention_ms;
  ps_periodic *thread;
};

static void expire(void *arg) {
  ps_so_retention *r = arg;
  int64_t deleted = 0;
  int rc = r->store->ops->so_expire(r->store, ps_now_ms() - r->retention_ms, &deleted);
  if (rc != PS_OK)
    ps_warn("retention: expired sessions could not be deleted: %s (tried again later)",
            ps_strerror(rc));
  else if (deleted)
    ps_info("retention: deleted %lld expired multiplayer sessions", (long long)deleted);
}

int ps_so_retention_start(ps_store *store, int64_t retention_ms, int64_t period_ms,
                          ps_so_retention **out) {
  ps_so_retention *r = calloc(1, sizeof *r);
  if (!r) return PS_ENOMEM;
  *r = (ps_so_retention){store, retention_ms, NULL};
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
