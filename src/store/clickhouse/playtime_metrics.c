/* playtime_metrics.c: metrics of metrics sessions in ClickHouse SQL (being written). */
#include "common/errors.h"
#include "store/clickhouse/internal.h"

int ps_ch_playtime_metric(ch_store *s, const ps_metric_query *q, ps_metric_result *out) {
  (void)s, (void)q, (void)out;
  return PS_EUNSUPPORTED;
}

int ps_ch_playtime_live(ch_store *s, int64_t game_id, int64_t now_ms, ps_live *out) {
  (void)s, (void)game_id, (void)now_ms, (void)out;
  return PS_EUNSUPPORTED;
}
