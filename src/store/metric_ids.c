/* metric_ids.c: see metric_ids.h. */
#include "store/metric_ids.h"

#include <string.h>

static const char *const playtime_names[] = {
    [M_CCU] = "ccu",
    [M_CONCURRENT_UGC] = "concurrent_ugc",
    [M_TOTAL_PLAYERS] = "total_players",
    [M_SESSIONS] = "sessions",
    [M_AVG_PLAYTIME] = "avg_playtime",
    [M_AVG_UGC] = "avg_ugc_per_session",
    [M_LENGTH_HISTOGRAM] = "session_length_histogram",
    [M_TOP_MODS] = "top_mods",
};

static const char *const match_names[] = {
    [MATCHES] = "matches_created",
    [FAILURE_RATE] = "allocation_failure_rate",
    [WAIT_P50] = "time_to_allocation_p50",
    [WAIT_P95] = "time_to_allocation_p95",
    [PLAYERS] = "players_per_match",
};

static int index_of(const char *const *names, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0) return (int)i;
  return -1;
}

int ps_playtime_metric_of(const char *name) {
  return index_of(playtime_names, sizeof playtime_names / sizeof *playtime_names, name);
}

int ps_match_metric_of(const char *name) {
  return index_of(match_names, sizeof match_names / sizeof *match_names, name);
}
