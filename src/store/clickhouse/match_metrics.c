/* match_metrics.c: matchmaking metrics in ClickHouse SQL (being written). */
#include "common/errors.h"
#include "store/clickhouse/internal.h"

int ps_ch_match_metric(ch_store *s, const ps_metric_query *q, ps_metric_result *out) {
  (void)s, (void)q, (void)out;
  return PS_EUNSUPPORTED;
}
