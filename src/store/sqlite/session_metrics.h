/*
 * session_metrics.h: the playtime insights computed from metrics sessions (mod.io compatible),
 * over a time range cut into buckets (minute, hour or day; UTC):
 *
 *   ccu                   peak number of distinct players in an active session, per bucket;
 *                         total = peak over the range
 *   concurrent_ugc        the same for distinct mod ids of active sessions
 *   total_players         distinct players with a session overlapping the bucket / range (a
 *                         zero-length session, start == end, is present at its start instant)
 *   sessions              sessions started in the bucket / range
 *   avg_playtime          mean seconds (end - start) of sessions that ended in the bucket / range
 *   avg_ugc_per_session   mean number of mods of sessions started in the bucket / range
 *   session_length_histogram  groups "0-5m", "5-30m", "30-60m", "1-2h", "2h+": sessions that
 *                         ended in the bucket / range, by length
 *   top_mods              groups by mod id (most played first, at most 10): playtime seconds
 *                         within the bucket / range; mods without playtime in the range are
 *                         not listed
 *
 * A session is active from its start to its end; an unended session is active until its last
 * request if it timed out, else until now. Intervals are half-open [start, end).
 * Means and playtime are summed in exact integers (milliseconds) and divided once, so the
 * figures do not depend on the order sessions are added in. The functions are pure: they only
 * read their inputs.
 */
#ifndef PS_STORE_SQLITE_SESSION_METRICS_H
#define PS_STORE_SQLITE_SESSION_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "store/metric.h"

typedef struct ps_session_interval {
  const char *player;
  const int64_t *mods;
  size_t nmods;
  int64_t start_ms, end_ms;
  int over; /* ended or timed out (has a final length) */
} ps_session_interval;

/* What the rollups (playtime_rollup.h) share with the computation, so that figures folded
 * from stored sums equal the ones computed here, bit for bit:
 * the mean of an exact integer sum (unit: 1000 for milliseconds to seconds, else 1), 0 when
 * count is 0; the session_length_histogram group of a session; top_mods' ordering (most played
 * first, then by key) and cut to at most 10 groups. */
double ps_metric_mean(int64_t sum, int64_t count, double unit);
#define PS_LENGTH_BUCKETS 5
extern const char *const ps_length_bucket_keys[PS_LENGTH_BUCKETS];
size_t ps_length_bucket(int64_t start_ms, int64_t end_ms);
void ps_metric_top_groups(ps_metric_result *res);

/* The metric's name is known. */
int ps_session_metric_known(const char *name);
/* The metric answers with groups of its own (then group_by cannot apply). */
int ps_session_metric_has_groups(const char *name);

/* Computes metric name over sessions for [from_ms, to_ms) in buckets of interval_ms.
 * Returns 0, PS_EINVAL (unknown metric), PS_ENOMEM. Free with ps_metric_result_free. */
int ps_session_metric_compute(const char *name, const ps_session_interval *sessions, size_t n,
                              int64_t from_ms, int64_t to_ms, int64_t interval_ms,
                              ps_metric_result *out);
#endif
