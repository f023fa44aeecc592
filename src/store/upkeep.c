/* upkeep.c: see upkeep.h. */
#include "store/upkeep.h"

#include <stdlib.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/periodic.h"
#include "common/thread_name.h"

struct ps_store_upkeep {
  ps_event_store *events;
  ps_periodic *thread;
};

static void run(void *arg) {
  ps_store_upkeep *u = arg;
  ps_thread_set_name("ps-upkeep"); /* the periodic thread's first and every run: cheap */
  int rc = u->events->ops->maintain(u->events, ps_now_ms());
  if (rc != PS_OK) ps_warn("store upkeep: %s (tried again later)", ps_strerror(rc));
}

int ps_store_upkeep_start(ps_event_store *events, int64_t period_ms, ps_store_upkeep **out) {
  ps_store_upkeep *u = calloc(1, sizeof *u);
  if (!u) return PS_ENOMEM;
  u->events = events;
  if (ps_periodic_start(period_ms, run, u, &u->thread) != PS_OK) {
    free(u);
    return PS_ENOMEM;
  }
  *out = u;
  return PS_OK;
}

void ps_store_upkeep_stop(ps_store_upkeep *u) {
  if (!u) return;
  ps_periodic_stop(u->thread);
  free(u);
}
