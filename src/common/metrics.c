/* metrics.c: see metrics.h. */
#include "common/metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

/* The statuses playstat answers; anything else is counted as "other". */
static const unsigned known_statuses[] = {200, 201, 204, 400, 401, 403, 404, 405, 409,
                                          413, 415, 422, 429, 500, 503};
#define NSTATUS (sizeof known_statuses / sizeof *known_statuses + 1)

static const double commit_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
#define NBUCKETS (sizeof commit_buckets / sizeof *commit_buckets)

struct ps_metrics {
  const char *const *routes;
  size_t nroutes;
  const char *const *categories;
  size_t ncategories;
  atomic_uint_fast64_t *requests;  /* [nroutes][NSTATUS] */
  atomic_uint_fast64_t *accepted;  /* [ncategories + 1], last = unknown */
  atomic_uint_fast64_t *rejected;  /* [ncategories + 1] */
  atomic_uint_fast64_t duplicates;
  atomic_uint_fast64_t commit_bucket[NBUCKETS + 1];
  atomic_uint_fast64_t commit_count;
  atomic_uint_fast64_t commit_ns_sum;
  atomic_uint_fast64_t commit_records;
};

int ps_metrics_create(const char *const *routes, size_t nroutes, const char *const *categories,
                      size_t ncategories, ps_metrics **out) {
  ps_metrics *m = calloc(1, sizeof *m);
  if (!m) return PS_ENOMEM;
  m->routes = routes;
  m->nroutes = nroutes;
  m->categories = categories;
  m->ncategories = ncategories;
  m->requests = calloc(nroutes * NSTATUS, sizeof *m->requests);
  m->accepted = calloc(ncategories + 1, sizeof *m->accepted);
  m->rejected = calloc(ncategories + 1, sizeof *m->rejected);
  if (!m->requests || !m->accepted || !m->rejected) {
    ps_metrics_free(m);
    return PS_ENOMEM;
  }
  *out = m;
  return PS_OK;
}

void ps_metrics_free(ps_metrics *m) {
  if (!m) return;
  free(m->requests);
  free(m->accepted);
  free(m->rejected);
  free(m);
}

static size_t status_index(unsigned status) {
  for (size_t i = 0; i < NSTATUS - 1; i++)
    if (known_statuses[i] == status) return i;
  return NSTATUS - 1;
}

void ps_metrics_count_request(ps_metrics *m, size_t route, unsigned status) {
  if (!m || route >= m->nroutes) return;
  atomic_fetch_add_explicit(&m->requests[route * NSTATUS + status_index(status)], 1,
                            memory_order_relaxed);
}

static size_t category_index(const ps_metrics *m, const char *category) {
  if (category)
    for (size_t i = 0; i < m->ncategories; i++)
      if (strcmp(m->categories[i], category) == 0) return i;
  return m->ncategories;
}

void ps_metrics_count_events(ps_metrics *m, const char *category, int rejected, uint64_t n) {
  if (!m || !n) return;
  atomic_uint_fast64_t *counters = rejected ? m->rejected : m->accepted;
  atomic_fetch_add_explicit(&counters[category_index(m, category)], n, memory_order_relaxed);
}

void ps_metrics_count_duplicates(ps_metrics *m, uint64_t n) {
  if (m && n) atomic_fetch_add_explicit(&m->duplicates, n, memory_order_relaxed);
}

void ps_metrics_observe_commit(ps_metrics *m, int64_t duration_ns, size_t records) {
  if (!m) return;
  double seconds = (double)duration_ns / 1e9;
  size_t b = 0;
  while (b < NBUCKETS && seconds > commit_buckets[b]) b++;
  atomic_fetch_add_explicit(&m->commit_bucket[b], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->commit_count, 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->commit_ns_sum, (uint64_t)duration_ns, memory_order_relaxed);
  atomic_fetch_add_explicit(&m->commit_records, records, memory_order_relaxed);
}

static uint64_t load(atomic_uint_fast64_t *v) {
  return atomic_load_explicit(v, memory_order_relaxed);
}

static int render_category_counters(ps_metrics *m, ps_buf *out, const char *name,
                                    const char *help, atomic_uint_fast64_t *counters) {
  int rc = ps_buf_printf(out, "# HELP %s %s\n# TYPE %s counter\n", name, help, name);
  for (size_t i = 0; rc == PS_OK && i <= m->ncategories; i++)
    rc = ps_buf_printf(out, "%s{category=\"%s\"} %llu\n", name,
                       i < m->ncategories ? m->categories[i] : "unknown",
                       (unsigned long long)load(&counters[i]));
  return rc;
}

int ps_metrics_render(ps_metrics *m, size_t queue_depth, size_t queue_capacity, ps_buf *out) {
  int rc = ps_buf_append_str(out,
                             "# HELP playstat_http_requests_total HTTP requests answered, by "
                             "route and status.\n# TYPE playstat_http_requests_total counter\n");
  for (size_t r = 0; rc == PS_OK && r < m->nroutes; r++) {
    for (size_t s = 0; rc == PS_OK && s < NSTATUS; s++) {
      uint64_t v = load(&m->requests[r * NSTATUS + s]);
      if (!v) continue;
      if (s < NSTATUS - 1)
        rc = ps_buf_printf(out, "playstat_http_requests_total{route=\"%s\",status=\"%u\"} %llu\n",
                           m->routes[r], known_statuses[s], (unsigned long long)v);
      else
        rc = ps_buf_printf(out,
                           "playstat_http_requests_total{route=\"%s\",status=\"other\"} %llu\n",
                           m->routes[r], (unsigned long long)v);
    }
  }
  if (rc == PS_OK)
    rc = render_category_counters(m, out, "playstat_events_accepted_total",
                                  "Analytics events stored (duplicates included).", m->accepted);
  if (rc == PS_OK)
    rc = render_category_counters(m, out, "playstat_events_rejected_total",
                                  "Analytics events that failed validation.", m->rejected);
  if (rc == PS_OK)
    rc = ps_buf_printf(
        out,
        "# HELP playstat_events_duplicate_total Events acknowledged but not stored again "
        "(event_uuid already stored).\n# TYPE playstat_events_duplicate_total counter\n"
        "playstat_events_duplicate_total %llu\n"
        "# HELP playstat_ingest_queue_depth Records waiting for the writer.\n"
        "# TYPE playstat_ingest_queue_depth gauge\nplaystat_ingest_queue_depth %zu\n"
        "# HELP playstat_ingest_queue_capacity Records the queue holds before answering 503.\n"
        "# TYPE playstat_ingest_queue_capacity gauge\nplaystat_ingest_queue_capacity %zu\n"
        "# HELP playstat_commit_records_total Records written by store transactions.\n"
        "# TYPE playstat_commit_records_total counter\nplaystat_commit_records_total %llu\n"
        "# HELP playstat_commit_seconds Latency of one store transaction (group commit).\n"
        "# TYPE playstat_commit_seconds histogram\n",
        (unsigned long long)load(&m->duplicates), queue_depth, queue_capacity,
        (unsigned long long)load(&m->commit_records));
  uint64_t cumulative = 0;
  for (size_t b = 0; rc == PS_OK && b < NBUCKETS; b++) {
    cumulative += load(&m->commit_bucket[b]);
    rc = ps_buf_printf(out, "playstat_commit_seconds_bucket{le=\"%g\"} %llu\n", commit_buckets[b],
                       (unsigned long long)cumulative);
  }
  if (rc == PS_OK)
    rc = ps_buf_printf(out,
                       "playstat_commit_seconds_bucket{le=\"+Inf\"} %llu\n"
                       "playstat_commit_seconds_sum %.9f\nplaystat_commit_seconds_count %llu\n",
                       (unsigned long long)load(&m->commit_count),
                       (double)load(&m->commit_ns_sum) / 1e9,
                       (unsigned long long)load(&m->commit_count));
  return rc;
}
