/*
 * event_insights.c: the fixture and in-process timings of the event-insights benchmark
 * (bench/event_insights.sh). Writes --events analytics events (default ten million) of one game
 * straight into a fresh store, spread over the last --days days (default 90): users installing
 * all along with decaying activity, 1 to 3 sessions per active day, a mix of every category
 * the rollups read, platforms, builds, countries, three currencies and a custom dimension.
 * Then it times the rollups' catch-up (what a server does behind ingest) and every event
 * metric over the whole range, --runs times each (median and max), one JSON object per line.
 *
 * With --rollup 0 it only writes the events (a burst for a running server's rollup thread to
 * catch up with, while queries are timed: bench/event_insights.sh's second part).
 *
 * With --store URL [--state URL] (any backend, e.g. clickhouse://...) instead of --data, it
 * writes the same events through that event store's append(), runs its maintain() until it
 * has taken them (the ClickHouse store: ships its spool), and times every event metric through
 * the store's own metric() (bench/clickhouse_metrics.sh).
 *
 * usage: event_insights (--data DIR | --store URL [--state URL]) --game ID [--events N]
 *                       [--days D] [--runs R] [--rollup 0|1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errors.h"
#include "store/sqlite/ga_query.h"
#include "store/sqlite/ga_rollup.h"
#include "store/sqlite/internal.h"
#include "store/store.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t next_random(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static double uniform(void) { return (double)(next_random() >> 11) / 9007199254740992.0; }
#define PICK(list) list[next_random() % (sizeof list / sizeof *list)]

static const char *const platforms[][2] = {{"ios", "ios 17.1"}, {"android", "android 13"},
                                           {"windows", "windows 10.0"}};
static const char *const levels[] = {"World1:Level1", "World1:Level2", "World2:Level1",
                                     "World2:Level2:Boss"};
static const char *const resources[] = {"Source:Gold:Reward:Quest", "Sink:Gold:Shop:Sword",
                                        "Sink:Gems:Boost:MegaBoost"};
static const char *const designs[] = {"Combat:Kill:Sword", "Combat:Death", "UI:Open:Shop"};
/* A user's country (as the collector looks it up from the client address) and purchase
 * currency: a few big countries and a tail, three currencies. */
static const char *const countries[] = {"US", "US", "US", "DE", "DE", "BR", "GB", "FR", "JP",
                                        "SE", "PL", "CA", "AU", "KR", "MX", "IN"};
static const char *const currencies[] = {"USD", "USD", "EUR", "BRL"};
#define COUNTRY_OF(user) countries[(user) % (long)(sizeof countries / sizeof *countries)]
#define CURRENCY_OF(user) currencies[(user) / 7 % (long)(sizeof currencies / sizeof *currencies)]

/* One event's JSON into out; returns its category. */
static const char *make_event(char *out, size_t cap, long user, int64_t ts, int session_num) {
  static const char *const categories[] = {"design", "design",   "design",     "design",
                                           "progression", "progression", "resource", "resource",
                                           "ads",    "error",    "business"};
  long p = user % 3;
  const char *category = PICK(categories);
  int n = snprintf(out, cap,
                   "{\"v\":2,\"category\":\"%s\",\"user_id\":\"u%ld\",\"client_ts\":%lld,"
                   "\"sdk_version\":\"rest api v2\",\"os_version\":\"%s\",\"manufacturer\":\"x\","
                   "\"device\":\"x\",\"platform\":\"%s\",\"session_id\":\"s%ld-%d\","
                   "\"session_num\":%d,\"build\":\"1.%lld\",\"custom_01\":\"%s\"",
                   category, user, (long long)ts, platforms[p][1], platforms[p][0], user,
                   session_num, session_num, (long long)(ts / 86400 / 30 % 3),
                   user % 2 ? "a" : "b");
  if (!strcmp(category, "design"))
    n += snprintf(out + n, cap - (size_t)n, ",\"event_id\":\"%s\",\"value\":%d", PICK(designs),
                  (int)(uniform() * 100));
  else if (!strcmp(category, "progression"))
    n += snprintf(out + n, cap - (size_t)n, ",\"event_id\":\"%s:%s\",\"attempt_num\":%d",
                  uniform() < 0.5 ? "Start" : uniform() < 0.6 ? "Complete" : "Fail",
                  PICK(levels), 1 + (int)(uniform() * 3));
  else if (!strcmp(category, "resource"))
    n += snprintf(out + n, cap - (size_t)n, ",\"event_id\":\"%s\",\"amount\":%d", PICK(resources),
                  1 + (int)(uniform() * 50));
  else if (!strcmp(category, "ads"))
    n += snprintf(out + n, cap - (size_t)n,
                  ",\"ad_sdk_name\":\"admob\",\"ad_placement\":\"shop\",\"ad_type\":\"banner\","
                  "\"ad_action\":\"show\"");
  else if (!strcmp(category, "error"))
    n += snprintf(out + n, cap - (size_t)n, ",\"severity\":\"error\",\"message\":\"Timeout\"");
  else
    n += snprintf(out + n, cap - (size_t)n,
                  ",\"event_id\":\"Gems:gems_100\",\"amount\":%d,\"currency\":\"%s\","
                  "\"transaction_num\":1,\"cart_type\":\"shop\"",
                  uniform() < 0.5 ? 99 : 499, CURRENCY_OF(user));
  snprintf(out + n, cap - (size_t)n, "}");
  return category;
}

#define BATCH 20000

/* What the ingest writer does with a batch (ingest/queue.c): the state that names things,
 * the append, then the state that refuses repeats (analytics events carry none, but a writer
 * does not know that). */
static int write_span(ps_stores *stores, ps_record_span *span) {
  int rc = stores->state->ops->apply(stores->state, span, 1, PS_RECORD_BIT(PS_RECORD_SO_EVENT));
  if (rc == PS_OK) rc = stores->events->ops->append(stores->events, span, 1);
  if (rc == PS_OK)
    rc = stores->state->ops->apply(stores->state, span, 1, PS_RECORD_BIT(PS_RECORD_MSESSION));
  return rc;
}
#define BODY 640

/* Writes about `total` events; sessions add a user and a session_end event each. With
 * maintain_every > 0, runs the event store's maintain() after every that many batches (a
 * server does it every second; the ClickHouse store ships its spool then). */
static int fill(ps_stores *stores, int64_t game_id, long total, int days, int64_t now_s,
                int maintain_every) {
  int batches = 0;
  char (*bodies)[BODY] = malloc(BATCH * sizeof *bodies);
  char (*users_of)[24] = malloc(BATCH * sizeof *users_of); /* record.user_id, as the collector sets it */
  ps_record *records = calloc(BATCH, sizeof *records);
  ps_record_span span = {records, 0};
  int rc = bodies && records && users_of ? PS_OK : PS_ENOMEM;
  int64_t first_day = now_s / 86400 - days;
  long users = total / 60 + 1, written = 0;
  while (rc == PS_OK && written < total) {
    /* One session: an installed user on a day after its install, recent days busier. */
    long user = (long)(next_random() % (uint64_t)users);
    int64_t install = first_day + (int64_t)(user * days / users);
    int64_t span_days = now_s / 86400 - install;
    int64_t day = install + (int64_t)(span_days * uniform() * uniform());
    int64_t ts = day * 86400 + (int64_t)(uniform() * 80000);
    int count = 3 + (int)(uniform() * 10);
    for (int k = 0; rc == PS_OK && k < count + 2; k++) {
      ps_record *r = &records[span.count];
      const char *category;
      char *body = bodies[span.count];
      if (k == 0 || k == count + 1) {
        category = k ? "session_end" : "user";
        snprintf(body, BODY,
                 "{\"v\":2,\"category\":\"%s\",\"user_id\":\"u%ld\",\"client_ts\":%lld,"
                 "\"sdk_version\":\"rest api v2\",\"os_version\":\"%s\",\"platform\":\"%s\","
                 "\"session_id\":\"s%ld\",\"session_num\":1,\"build\":\"1.%lld\","
                 "\"custom_01\":\"%s\"%s}",
                 category, user, (long long)(ts + k), platforms[user % 3][1],
                 platforms[user % 3][0], user, (long long)(ts / 86400 / 30 % 3),
                 user % 2 ? "a" : "b", k ? ",\"length\":600" : "");
      } else {
        category = make_event(body, BODY, user, ts + k, 1);
      }
      snprintf(users_of[span.count], sizeof users_of[span.count], "u%ld", user);
      *r = (ps_record){.kind = PS_RECORD_EVENT, .game_id = game_id, .received_ms = now_s * 1000,
                       .category = category, .client_ts = ts + k, .has_client_ts = 1,
                       .user_id = users_of[span.count], .country = COUNTRY_OF(user),
                       .body = body, .body_len = strlen(body)};
      if (++span.count == BATCH) {
        rc = write_span(stores, &span);
        span.count = 0;
        if (rc == PS_OK && maintain_every > 0 && ++batches % maintain_every == 0)
          rc = stores->events->ops->maintain(stores->events, now_s * 1000);
      }
      written++;
    }
  }
  if (rc == PS_OK && span.count) rc = write_span(stores, &span);
  free(bodies);
  free(users_of);
  free(records);
  return rc;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static const char *const metrics[] = {
    "dau",      "wau",          "mau",    "new_users", "sessions",   "avg_session_length",
    "sessions_per_user", "revenue", "paying_users", "arpdau", "arppu", "conversion",
    "retention", "progression", "funnel", "resources", "design", "errors", "ads"};
#define NMETRICS (sizeof metrics / sizeof *metrics)

/* Prints the median and max of runs timings (sorted here) of metric. */
static void report(const char *metric, long long days, long long runs, double *times,
                   double total) {
  qsort(times, (size_t)runs, sizeof *times, cmp_double);
  printf("{\"step\":\"query\",\"metric\":\"%s\",\"days\":%lld,\"runs\":%lld,\"median_ms\":%.1f,"
         "\"max_ms\":%.1f,\"total\":%.6g}\n",
         metric, days, runs, times[runs / 2], times[runs - 1], total);
}

/* The --store path: any backend, through its interfaces only. */
static int through_interfaces(const char *url, const char *state, long long game_id,
                              long long events, long long days, long long runs) {
  ps_stores stores;
  const char *why = NULL;
  int rc = ps_stores_open(url, state, NULL, &stores, &why);
  if (rc != PS_OK) {
    fprintf(stderr, "event_insights: cannot open %s: %s\n", url, why ? why : ps_strerror(rc));
    return 1;
  }
  int64_t now_s = ps_now_ms() / 1000;
  int64_t t0 = ps_monotonic_ns();
  rc = fill(&stores, game_id, (long)events, (int)days, now_s, 10);
  printf("{\"step\":\"fill\",\"events\":%lld,\"days\":%lld,\"seconds\":%.1f}\n", events, days,
         (double)(ps_monotonic_ns() - t0) / 1e9);
  t0 = ps_monotonic_ns();
  if (rc == PS_OK) rc = stores.events->ops->maintain(stores.events, now_s * 1000);
  printf("{\"step\":\"maintain\",\"seconds\":%.1f}\n", (double)(ps_monotonic_ns() - t0) / 1e9);
  double *times = malloc((size_t)runs * sizeof *times);
  for (size_t m = 0; rc == PS_OK && times && m < NMETRICS; m++) {
    ps_metric_query q = {.source = PS_SOURCE_EVENTS, .metric = metrics[m], .game_id = game_id,
                         .from_ms = (now_s / 86400 - days) * 86400000LL,
                         .to_ms = (now_s / 86400 + 1) * 86400000LL, .interval_ms = 86400000LL,
                         .now_ms = now_s * 1000, .steps = "World1:Level1,World1:Level2"};
    double total = 0;
    for (long long r = 0; rc == PS_OK && r < runs; r++) {
      ps_metric_result out = {0};
      int64_t q0 = ps_monotonic_ns();
      rc = stores.events->ops->metric(stores.events, &q, &out);
      times[r] = (double)(ps_monotonic_ns() - q0) / 1e6;
      total = out.whole.total;
      ps_metric_result_free(&out);
    }
    if (rc == PS_OK) report(metrics[m], days, runs, times, total);
  }
  free(times);
  ps_stores_close(&stores);
  if (rc != PS_OK) fprintf(stderr, "event_insights: %s\n", ps_strerror(rc));
  return rc == PS_OK ? 0 : 1;
}

int main(int argc, char **argv) {
  const char *data = NULL, *store_url = NULL, *state_url = NULL;
  long long game_id = 0, events = 10000000, days = 90, runs = 10, rollup = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--data")) data = argv[i + 1];
    else if (!strcmp(argv[i], "--store")) store_url = argv[i + 1];
    else if (!strcmp(argv[i], "--state")) state_url = argv[i + 1];
    else if (!strcmp(argv[i], "--game")) game_id = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--events")) events = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--days")) days = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--runs")) runs = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--rollup")) rollup = atoll(argv[i + 1]);
    else {
      fprintf(stderr, "event_insights: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if ((!data && !store_url) || game_id <= 0 || events <= 0 || days <= 0 || runs <= 0) {
    fprintf(stderr, "usage: event_insights (--data DIR | --store URL [--state URL]) --game ID"
                    " [--events N] [--days D] [--runs R] [--rollup 0|1]\n");
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (store_url) return through_interfaces(store_url, state_url, game_id, events, days, runs);
  ps_stores stores;
  sqlite_store *store; /* the rollups timed are SQLite's */
  int opened = ps_sqlite_stores_open("event_insights", data, &stores, &store);
  if (opened != PS_OK) return opened == PS_EINVAL ? 2 : 1;
  int64_t now_s = ps_now_ms() / 1000;
  int64_t t0 = ps_monotonic_ns();
  int rc = fill(&stores, game_id, (long)events, (int)days, now_s, 0);
  printf("{\"step\":\"fill\",\"events\":%lld,\"days\":%lld,\"seconds\":%.1f}\n", events, days,
         (double)(ps_monotonic_ns() - t0) / 1e9);
  if (!rollup) {
    ps_stores_close(&stores);
    return rc == PS_OK ? 0 : 1;
  }
  t0 = ps_monotonic_ns();
  if (rc == PS_OK) rc = ps_ga_rollup_catch_up(store, game_id);
  printf("{\"step\":\"rollups\",\"seconds\":%.1f,\"events_per_s\":%.0f}\n",
         (double)(ps_monotonic_ns() - t0) / 1e9,
         (double)events / ((double)(ps_monotonic_ns() - t0) / 1e9));
  double *times = malloc((size_t)runs * sizeof *times);
  for (size_t m = 0; rc == PS_OK && times && m < NMETRICS; m++) {
    ps_ga_query q = {.metric = metrics[m], .from_day = now_s / 86400 - days,
                     .to_day = now_s / 86400 + 1, .today = now_s / 86400,
                     .steps = "World1:Level1,World1:Level2"};
    double total = 0;
    for (long long r = 0; rc == PS_OK && r < runs; r++) {
      ps_metric_result out;
      int64_t q0 = ps_monotonic_ns();
      rc = ps_ga_query_run(store, game_id, &q, &out);
      times[r] = (double)(ps_monotonic_ns() - q0) / 1e6;
      total = out.whole.total;
      ps_metric_result_free(&out);
    }
    report(metrics[m], days, runs, times, total);
  }
  free(times);
  ps_stores_close(&stores);
  if (rc != PS_OK) fprintf(stderr, "event_insights: %s\n", ps_strerror(rc));
  return rc == PS_OK ? 0 : 1;
}
