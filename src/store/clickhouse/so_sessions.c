/* so_sessions.c: session observability in ClickHouse SQL (being written). */
#include "common/errors.h"
#include "store/clickhouse/internal.h"

int ps_ch_so_session_get(ch_store *s, const ps_so_key *key, ps_so_session *out,
                         ps_so_event_visitor visit, void *ctx) {
  (void)s, (void)key, (void)out, (void)visit, (void)ctx;
  return PS_EUNSUPPORTED;
}

int ps_ch_so_session_list(ch_store *s, const ps_so_query *q, ps_so_session **out, size_t *count,
                          int64_t *snapshot_seq) {
  (void)s, (void)q, (void)out, (void)count, (void)snapshot_seq;
  return PS_EUNSUPPORTED;
}

int ps_ch_so_expire(ch_store *s, int64_t before_ms, int64_t *deleted) {
  (void)s, (void)before_ms, (void)deleted;
  return PS_EUNSUPPORTED;
}
