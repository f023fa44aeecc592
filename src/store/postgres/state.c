/* state.c: the PostgreSQL state store (placeholder until it lands: every open fails). */
#include "common/errors.h"
#include "store/state.h"

static int open_store(const char *location, const ps_store_options *options,
                      ps_state_store **out) {
  (void)location;
  (void)options;
  *out = NULL;
  return PS_EUNSUPPORTED;
}

const ps_state_store_ops ps_postgres_state_ops = {.name = "postgres", .open = open_store};
