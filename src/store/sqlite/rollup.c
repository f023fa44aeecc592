/*
 * rollup.c: see rollup.h. A day of minutes is computed from the sessions that overlap it,
 * once per (platform, portal) combination present, with the same code the read API uses
 * (session_metrics.c over a session_set.c), and written with the new settled mark in one
 * transaction, so a crash leaves either the whole day or none of it.
 */
#include "store/sqlite/rollup.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/array.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/playtime_rollup.h"
#include "store/sqlite/session_metrics.h"
#include "store/sqlite/session_set.h"

#define CHUNK_MS (24LL * 3600 * 1000)

int64_t ps_rollup_horizon(int64_t now_ms, int64_t window_ms, int64_t timeout_ms) {
  int64_t t = now_ms - window_ms - timeout_ms - PS_ROLLUP_MARGIN_MS;
  return t - t % PS_ROLLUP_MINUTE_MS;
}

/* ---- one chunk ---- */

typedef struct rows {
  ps_rollup_row *items;
  size_t n, cap;
} rows;

/* The row of (platform, portal, minute), added if new (rows of one combination are appended
 * minute by minute, so the last row is the only candidate). */
static ps_rollup_row *row_for(rows *r, const char *platform, const char *portal, int64_t minute) {
  if (r->n && r->items[r->n - 1].minute_ms == minute &&
      strcmp(r->items[r->n - 1].platform, platform) == 0 &&
      strcmp(r->items[r->n - 1].portal, portal) == 0)
    return &r->items[r->n - 1];
  if (PS_ARRAY_RESERVE(r->items, r->n, r->cap)) return NULL;
  ps_rollup_row *row = &r->items[r->n++];
  memset(row, 0, sizeof *row);
  snprintf(row->platform, sizeof row->platform, "%s", platform);
  snprintf(row->portal, sizeof row->portal, "%s", portal);
  row->minute_ms = minute;
  return row;
}

/* Adds the nonzero minutes of ccu and concurrent_ugc over subset to r under the combination. */
static int roll_combination(const ps_session_interval *subset, size_t n, const char *platform,
                            const char *portal, int64_t from, int64_t to, rows *r) {
  ps_metric_result ccu, ugc;
  int rc = ps_session_metric_compute("ccu", subset, n, from, to, PS_ROLLUP_MINUTE_MS, &ccu);
  if (rc != PS_OK) return rc;
  rc = ps_session_metric_compute("concurrent_ugc", subset, n, from, to, PS_ROLLUP_MINUTE_MS, &ugc);
  for (size_t b = 0; rc == PS_OK && b < ccu.nbuckets; b++) {
    if (ccu.whole.values[b] == 0 && ugc.whole.values[b] == 0) continue;
    ps_rollup_row *row = row_for(r, platform, portal, from + (int64_t)b * PS_ROLLUP_MINUTE_MS);
    if (!row) {
      rc = PS_ENOMEM;
      break;
    }
    row->ccu = (int64_t)ccu.whole.values[b];
    row->ugc = (int64_t)ugc.whole.values[b];
  }
  ps_metric_result_free(&ccu);
  ps_metric_result_free(&ugc);
  return rc;
}

static int roll_subset(const ps_session_set *set, const char *platform, const char *portal,
                       int64_t from, int64_t to, rows *r) {
  size_t n;
  ps_session_interval *subset = ps_session_set_subset(set, platform, portal, &n);
  if (!subset) return PS_ENOMEM;
  int rc = roll_combination(subset, n, platform ? platform : PS_ROLLUP_ANY,
                            portal ? portal : PS_ROLLUP_ANY, from, to, r);
  free(subset);
  return rc;
}

int ps_rollup_minutes_compute(const ps_session_set *set, int64_t from, int64_t to,
                              ps_rollup_row **out, size_t *n) {
  rows r = {0};
  int rc = roll_subset(set, NULL, NULL, from, to, &r);
  /* Distinct values are few (the documented platform and portal lists), so the quadratic
   * first-occurrence checks stay cheap next to the metric computations. */
  for (size_t i = 0; rc == PS_OK && i < set->n; i++) {
    if (ps_session_set_first(set->platform, i)) rc = roll_subset(set, set->platform[i], NULL, from, to, &r);
    if (rc == PS_OK && ps_session_set_first(set->portal, i))
      rc = roll_subset(set, NULL, set->portal[i], from, to, &r);
  }
  if (rc != PS_OK) {
    free(r.items);
    return rc;
  }
  *out = r.items;
  *n = r.n;
  return PS_OK;
}

static int roll_chunk(sqlite_store *store, int64_t game_id, int64_t from, int64_t to,
                      int64_t now_ms, int64_t timeout_ms) {
  ps_session_set set = {0};
  ps_rollup_row *minutes = NULL;
  size_t n = 0;
  int64_t epoch = 0; /* read before the sessions: a deletion after it voids the write */
  int rc = ps_sqlite_playtime_epoch(store, game_id, &epoch);
  if (rc == PS_OK)
    rc = ps_session_set_load(store, game_id, from, to, now_ms, timeout_ms, NULL, NULL, &set);
  if (rc == PS_OK) rc = ps_rollup_minutes_compute(&set, from, to, &minutes, &n);
  if (rc == PS_OK) rc = ps_sqlite_rollup_write(store, game_id, minutes, n, to, epoch);
  free(minutes);
  ps_session_set_free(&set);
  return rc;
}

int ps_rollup_advance(sqlite_store *store, int64_t game_id, int64_t horizon_ms, int64_t now_ms,
                      int64_t timeout_ms) {
  /* A player deletion cut short (a crash) is finished first: its days are computed again. */
  int64_t settled;
  int rc = ps_sqlite_playtime_recompute_pending(store, game_id);
  if (rc == PS_OK) rc = ps_sqlite_rollup_settled(store, game_id, &settled);
  if (rc == PS_ENOTFOUND) {
    /* Never rolled up: start at the first session's minute (or at the horizon if none). */
    rc = ps_sqlite_msessions_first_start(store, game_id, &settled);
    if (rc == PS_ENOTFOUND) {
      settled = horizon_ms;
      rc = PS_OK;
    }
    settled -= settled % PS_ROLLUP_MINUTE_MS;
  }
  while (rc == PS_OK && settled < horizon_ms) {
    int64_t to = settled + CHUNK_MS < horizon_ms ? settled + CHUNK_MS : horizon_ms;
    rc = roll_chunk(store, game_id, settled, to, now_ms, timeout_ms);
    settled = to;
  }
  /* The hourly and daily rollups of every playtime metric follow the same horizon. */
  if (rc == PS_OK) rc = ps_playtime_rollup_advance(store, game_id, horizon_ms, now_ms, timeout_ms);
  /* A deletion came in while this pass computed: the next pass computes again without it. */
  return rc == PS_EEXPIRED ? PS_OK : rc;
}
