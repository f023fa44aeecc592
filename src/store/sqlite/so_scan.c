/* so_scan.c: see lifecycle.h. STUB until issue 14's SQLite playtime part lands. */
#include "common/errors.h"
#include "store/sqlite/lifecycle.h"

int ps_sqlite_so_events_scan(sqlite_store *s, const ps_scan_query *q, ps_scan_visitor visit,
                             void *ctx) {
  (void)s, (void)q, (void)visit, (void)ctx;
  return PS_EUNSUPPORTED;
}
