/* events.c: the ClickHouse event store's ops table (being built: open fails). */
#include "common/errors.h"
#include "store/clickhouse/internal.h"

static int open_store(const char *location, const ps_store_options *options,
                      ps_event_store **out) {
  (void)location;
  (void)options;
  *out = NULL;
  return PS_EUNSUPPORTED;
}

const ps_event_store_ops ps_clickhouse_event_ops = {.name = "clickhouse", .open = open_store};
