/*
 * metric_ids.h: the catalogue's metrics of metrics sessions and of multiplayer sessions as
 * numbers, for the backends that switch on them (sqlite/session_metrics.c, match_metrics.c;
 * clickhouse/playtime_metrics.c, match_metrics.c). The names are insights/catalog.c's.
 */
#ifndef PS_STORE_METRIC_IDS_H
#define PS_STORE_METRIC_IDS_H

typedef enum {
  M_CCU,
  M_CONCURRENT_UGC,
  M_TOTAL_PLAYERS,
  M_SESSIONS,
  M_AVG_PLAYTIME,
  M_AVG_UGC,
  M_LENGTH_HISTOGRAM,
  M_TOP_MODS,
} ps_playtime_metric;

typedef enum { MATCHES, FAILURE_RATE, WAIT_P50, WAIT_P95, PLAYERS } ps_match_metric;

/* The metric of that name, or -1 when the source has none. */
int ps_playtime_metric_of(const char *name);
int ps_match_metric_of(const char *name);

#endif
