/*
 * insights_query.c: the fixture and in-process timings of the insights benchmark (bench/run.sh,
 * suite "insights"). Writes a game's worth of metrics sessions straight into the store (as
 * the ingest writer would: one start and one end or, for abandoned sessions, one heartbeat
 * each; starts spread over the last --days days), then times one query three ways:
 *
 *   no rollups      ccu over the whole range at minute resolution, computed from every session
 *   rollup backfill ps_rollup_advance over the whole range (what a server does once, at start)
 *   with rollups    the same query again, --runs times (median and p95)
 *
 * With --refs DIR it also computes, before any rollup and from every session of the range
 * (session_metrics.h over session_set.h: the reference), the answers of the month-long queries
 * that bench/insights.sh sends over HTTP, and writes each as DIR/<name>.json in the read API's
 * format (numbers printed as the API prints them), so that the script can require equal
 * answers. Every session ends (or stops sending heartbeats) at least 7 minutes before the
 * fixture's now, so those answers do not depend on when they are asked; sessions ending after
 * the rollups' horizon still exercise the live tail.
 *
 * Prints one JSON object per line. The data directory is then ready for `playstat serve`.
 *
 * usage: insights_query --data DIR --game ID [--sessions N] [--days D] [--runs R] [--seed S]
 *                      [--refs DIR]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/errors.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/rollup.h"
#include "store/sqlite/session_query.h"
#include "store/sqlite/session_set.h"
#include "store/store.h"

static const char *const platforms[] = {"windows", "windows", "windows", "ps5", "xboxseriesx",
                                         "switch", "android", "ios", "linux", "mac"};
static const char *const portals[] = {"steam", "steam", "epicgames", "gog", "none", "xboxlive"};
#define COUNT(a) (sizeof a / sizeof *a)

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t next_random(void) { /* xorshift64 */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static double uniform(void) { return (double)(next_random() >> 11) / 9007199254740992.0; }

typedef struct generated {
  char session_id[24], player[24], nonce[2][32], mods[64];
  ps_msession_record rec[2];
} generated;

static void generate(generated *g, long i, int64_t first_ms, int64_t span_ms, int64_t last_ms,
                     long players) {
  int64_t start = first_ms + (int64_t)(uniform() * (double)span_ms);
  double minutes = -30.0 * __builtin_log(1.0 - uniform()); /* exponential, mean 30 min */
  int64_t length = (int64_t)((minutes > 240 ? 240 : minutes) * 60000.0) + 1000;
  if (start + length > last_ms) start = last_ms - length; /* over before the answers are asked */
  snprintf(g->session_id, sizeof g->session_id, "s%ld", i);
  snprintf(g->player, sizeof g->player, "p%ld", (long)(next_random() % (uint64_t)players));
  snprintf(g->nonce[0], sizeof g->nonce[0], "n%ld-0", i);
  snprintf(g->nonce[1], sizeof g->nonce[1], "n%ld-1", i);
  size_t len = 0;
  int nmods = (int)(next_random() % 4);
  g->mods[0] = 0;
  for (int m = 0; m < nmods; m++)
    len += (size_t)snprintf(g->mods + len, sizeof g->mods - len, "%s%d", m ? "," : "",
                            (int)(next_random() % 500) + 1);
  const char *platform = platforms[next_random() % COUNT(platforms)];
  const char *portal = portals[next_random() % COUNT(portals)];
  int abandoned = next_random() % 10 == 0;
  g->rec[0] = (ps_msession_record){PS_MSESSION_REC_START, g->session_id, g->player, g->nonce[0],
                                   platform, portal, g->mods, start, 1};
  g->rec[1] = (ps_msession_record){abandoned ? PS_MSESSION_REC_HEARTBEAT : PS_MSESSION_REC_END,
                                   g->session_id, g->player, g->nonce[1], platform, portal,
                                   NULL, start + length, 2};
}

#define BATCH 10000 /* sessions per transaction */

static int fill(ps_stores *stores, int64_t game_id, long sessions, int64_t first_ms, int64_t span_ms,
                int64_t last_ms) {
  generated *gen = malloc(BATCH * sizeof *gen);
  ps_record *records = malloc(2 * BATCH * sizeof *records);
  ps_record_span *spans = malloc(2 * BATCH * sizeof *spans);
  int rc = gen && records && spans ? PS_OK : PS_ENOMEM;
  for (long done = 0; rc == PS_OK && done < sessions; done += BATCH) {
    long n = sessions - done < BATCH ? sessions - done : BATCH;
    for (long i = 0; i < n; i++) {
      generate(&gen[i], done + i, first_ms, span_ms, last_ms, sessions / 4 + 1);
      for (int k = 0; k < 2; k++) {
        ps_record *r = &records[2 * i + k];
        memset(r, 0, sizeof *r);
        r->kind = PS_RECORD_MSESSION;
        r->game_id = game_id;
        r->received_ms = gen[i].rec[k].ts_ms;
        r->msession = &gen[i].rec[k];
        spans[2 * i + k] = (ps_record_span){r, 1};
      }
    }
    /* As the ingest writer (ingest/queue.c): the event store appends, then the state store
     * keeps the sessions' nonces. */
    rc = stores->events->ops->append(stores->events, spans, (size_t)(2 * n));
    if (rc == PS_OK)
      rc = stores->state->ops->apply(stores->state, spans, (size_t)(2 * n),
                                     PS_RECORD_BIT(PS_RECORD_MSESSION));
  }
  free(gen);
  free(records);
  free(spans);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Runs q once; returns milliseconds, or -1 on failure. peak: the answer's total. */
static double timed_query(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                          int64_t now, double *peak) {
  ps_metric_result r;
  int64_t t0 = ps_monotonic_ns();
  int rc = ps_session_query_run(store, game_id, q, now, 300000, &r);
  double ms = (double)(ps_monotonic_ns() - t0) / 1e6;
  *peak = r.whole.total;
  ps_metric_result_free(&r);
  return rc == PS_OK ? ms : -1;
}

/* ---- reference answers (--refs) ---- */

typedef struct ref_query {
  const char *name, *metric;
  int group_by; /* by platform */
} ref_query;

/* The month-long queries of bench/insights.sh, by day. */
static const ref_query ref_queries[] = {
    {"sessions", "sessions", 0},
    {"avg_playtime", "avg_playtime", 0},
    {"top_mods", "top_mods", 0},
    {"total_players", "total_players", 0},
    {"avg_ugc_per_session", "avg_ugc_per_session", 0},
    {"session_length_histogram", "session_length_histogram", 0},
    {"ccu_platform", "ccu", 1},
};

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}

/* The answer as api.c renders it. */
static int render(ps_buf *b, const char *metric, int64_t from, int64_t to, int grouped,
                  const ps_metric_result *r) {
  int rc = ps_buf_printf(b, "{\"metric\":\"%s\",\"from\":%lld,\"to\":%lld,\"interval\":\"day\","
                            "\"total\":%.15g,\"points\":",
                         metric, (long long)(from / 1000), (long long)(to / 1000), r->whole.total);
  for (size_t g = 0; rc == PS_OK && g <= r->ngroups; g++) {
    const ps_metric_series *s = g == 0 ? &r->whole : &r->groups[g - 1];
    if (g > 0)
      rc = ps_buf_printf(b, "%s{\"key\":\"%s\",\"total\":%.15g,\"points\":", g == 1 ? ",\"groups\":[" : ",",
                         s->key, s->total);
    for (size_t i = 0; rc == PS_OK && i < r->nbuckets; i++) {
      rc = ps_buf_printf(b, "%s{\"t\":%lld,\"v\":", i ? "," : "[",
                         (long long)((r->from_ms + (int64_t)i * r->interval_ms) / 1000));
      if (rc == PS_OK) rc = ps_buf_append_json_number(b, s->values[i]);
      if (rc == PS_OK) rc = ps_buf_append_str(b, "}");
    }
    if (rc == PS_OK) rc = ps_buf_append_str(b, g > 0 ? "]}" : "]");
  }
  if (rc == PS_OK && grouped && r->ngroups == 0) rc = ps_buf_append_str(b, ",\"groups\":[");
  if (rc == PS_OK && (grouped || r->ngroups)) rc = ps_buf_append_str(b, "]");
  return rc == PS_OK ? ps_buf_append_str(b, "}\n") : rc;
}

/* Computes each reference query from the sessions of [from, to) and writes it into dir. */
static int write_refs(sqlite_store *store, int64_t game_id, const char *dir, int64_t from, int64_t to,
                      int64_t now) {
  ps_session_set set;
  int64_t t0 = ps_monotonic_ns();
  int rc = ps_session_set_load(store, game_id, from, to, now, 300000, NULL, NULL, &set);
  for (size_t k = 0; rc == PS_OK && k < COUNT(ref_queries); k++) {
    const ref_query *rq = &ref_queries[k];
    ps_metric_result r;
    rc = ps_session_metric_compute(rq->metric, set.items, set.n, from, to, 86400000, &r);
    if (rc != PS_OK) break;
    for (size_t i = 0; rc == PS_OK && rq->group_by && i < set.n; i++) {
      int seen = 0;
      for (size_t g = 0; g < r.ngroups && !seen; g++) seen = strcmp(r.groups[g].key, set.platform[i]) == 0;
      if (seen) continue;
      size_t n;
      ps_session_interval *subset = ps_session_set_subset(&set, set.platform[i], NULL, &n);
      ps_metric_result part;
      rc = subset ? ps_session_metric_compute(rq->metric, subset, n, from, to, 86400000, &part)
                  : PS_ENOMEM;
      ps_metric_series *g = rc == PS_OK ? ps_metric_result_group(&r, set.platform[i]) : NULL;
      if (rc == PS_OK && !g) rc = PS_ENOMEM;
      if (rc == PS_OK) {
        memcpy(g->values, part.whole.values, r.nbuckets * sizeof *g->values);
        g->total = part.whole.total;
      }
      if (subset) ps_metric_result_free(&part);
      free(subset);
    }
    if (rq->group_by && r.ngroups > 1) qsort(r.groups, r.ngroups, sizeof *r.groups, cmp_key);
    ps_buf b = {0};
    if (rc == PS_OK) rc = render(&b, rq->metric, from, to, rq->group_by, &r);
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.json", dir, rq->name);
    FILE *f = rc == PS_OK ? fopen(path, "w") : NULL;
    if (rc == PS_OK && (!f || fwrite(b.data, 1, b.len, f) != b.len)) rc = PS_EIO;
    if (f && fclose(f) != 0) rc = PS_EIO;
    ps_buf_free(&b);
    ps_metric_result_free(&r);
  }
  size_t loaded = set.n;
  ps_session_set_free(&set);
  printf("{\"step\":\"references_without_rollups\",\"queries\":%zu,\"sessions\":%zu,"
         "\"seconds\":%.1f,\"from\":%lld,\"to\":%lld}\n",
         COUNT(ref_queries), loaded, (double)(ps_monotonic_ns() - t0) / 1e9,
         (long long)(from / 1000), (long long)(to / 1000));
  return rc;
}

int main(int argc, char **argv) {
  const char *data = NULL, *refs = NULL;
  long long game_id = 0, sessions = 1000000, days = 30, runs = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--data") == 0) data = argv[i + 1];
    else if (strcmp(argv[i], "--game") == 0) game_id = atoll(argv[i + 1]);
    else if (strcmp(argv[i], "--sessions") == 0) sessions = atoll(argv[i + 1]);
    else if (strcmp(argv[i], "--days") == 0) days = atoll(argv[i + 1]);
    else if (strcmp(argv[i], "--runs") == 0) runs = atoll(argv[i + 1]);
    else if (strcmp(argv[i], "--refs") == 0) refs = argv[i + 1];
    else if (strcmp(argv[i], "--seed") == 0) rng_state = (uint64_t)atoll(argv[i + 1]) | 1;
    else {
      fprintf(stderr, "insights_query: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!data || game_id <= 0 || sessions <= 0 || days <= 0 || runs <= 0) {
    fprintf(stderr, "usage: insights_query --data DIR --game ID [--sessions N] [--days D] "
                    "[--runs R] [--seed S] [--refs DIR]\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0); /* one line per step, as it happens */
  ps_stores stores;
  sqlite_store *store; /* the rollups timed are SQLite's */
  int opened = ps_sqlite_stores_open("insights_query", data, &stores, &store);
  if (opened != PS_OK) return opened == PS_EINVAL ? 2 : 1;
  int64_t now = ps_now_ms(), day = 86400000;
  int64_t to = now - now % day + day, from = to - (days + 1) * day;
  int64_t t0 = ps_monotonic_ns();
  int rc = fill(&stores, game_id, sessions, now - days * day, days * day - 1800000, now - 420000);
  printf("{\"step\":\"fill\",\"sessions\":%lld,\"days\":%lld,\"seconds\":%.1f}\n", sessions, days,
         (double)(ps_monotonic_ns() - t0) / 1e9);
  ps_session_query q = {.metric = "ccu", .from_ms = from, .to_ms = to, .interval_ms = 60000};
  double peak = 0;
  if (rc == PS_OK) {
    double ms = timed_query(store, game_id, &q, now, &peak);
    printf("{\"step\":\"ccu_minute_without_rollups\",\"ms\":%.1f,\"peak\":%.0f}\n", ms, peak);
    if (refs) rc = write_refs(store, game_id, refs, from, to, now);
    t0 = ps_monotonic_ns();
    rc = ps_rollup_advance(store, game_id, ps_rollup_horizon(now, 900000, 300000), now, 300000);
    printf("{\"step\":\"rollup_backfill\",\"seconds\":%.2f}\n",
           (double)(ps_monotonic_ns() - t0) / 1e9);
  }
  const char *metrics[] = {"ccu", "concurrent_ugc"};
  double *times = malloc((size_t)runs * sizeof *times);
  for (size_t m = 0; rc == PS_OK && times && m < COUNT(metrics); m++) {
    q.metric = metrics[m];
    for (long long r = 0; r < runs; r++)
      if ((times[r] = timed_query(store, game_id, &q, now, &peak)) < 0) rc = PS_EIO;
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    printf("{\"step\":\"%s_minute_with_rollups\",\"runs\":%lld,\"median_ms\":%.2f,"
           "\"p95_ms\":%.2f,\"peak\":%.0f}\n",
           metrics[m], runs, times[runs / 2], times[(runs * 95) / 100 < runs ? (runs * 95) / 100 : runs - 1], peak);
  }
  free(times);
  ps_stores_close(&stores);
  if (rc != PS_OK) fprintf(stderr, "insights_query: %s\n", ps_strerror(rc));
  return rc == PS_OK ? 0 : 1;
}
