/* raw_retention.c: see raw_retention.h. */
#include "lifecycle/raw_retention.h"

#include <stdlib.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/periodic.h"

struct ps_raw_retention {
  ps_event_store *events;
  int64_t keep_ms[2]; /* by ps_raw_kind */
  ps_periodic *thread;
};

static const char *const kind_names[2] = {"analytics and rejected events", "metrics sessions"};

static void drop(void *arg) {
  ps_raw_retention *r = arg;
  int64_t now = ps_now_ms();
  for (int kind = PS_RAW_EVENTS; kind <= PS_RAW_MSESSIONS; kind++) {
    if (!r->keep_ms[kind]) continue;
    int64_t dropped = 0;
    int rc = r->events->ops->drop_raw_before(r->events, (ps_raw_kind)kind,
                                             now - r->keep_ms[kind], &dropped);
    if (rc != PS_OK)
      ps_warn("retention: old %s could not be dropped: %s (tried again later)",
              kind_names[kind], ps_strerror(rc));
    else if (dropped)
      ps_info("retention: dropped %lld %s past retention", (long long)dropped, kind_names[kind]);
  }
}

int ps_raw_retention_start(ps_event_store *events, int64_t event_ms, int64_t msession_ms,
                           int64_t check_ms, ps_raw_retention **out) {
  *out = NULL;
  if (!event_ms && !msession_ms) return PS_OK;
  if (!events->ops->drop_raw_before) return PS_EUNSUPPORTED;
  ps_raw_retention *r = calloc(1, sizeof *r);
  if (!r) return PS_ENOMEM;
  *r = (ps_raw_retention){events, {event_ms, msession_ms}, NULL};
  if (ps_periodic_start(check_ms, drop, r, &r->thread) != PS_OK) {
    free(r);
    return PS_ENOMEM;
  }
  *out = r;
  return PS_OK;
}

void ps_raw_retention_stop(ps_raw_retention *r) {
  if (!r) return;
  ps_periodic_stop(r->thread);
  free(r);
}
