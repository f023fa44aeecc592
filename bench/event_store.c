/*
 * event_store.c: what the SQLite event store spends per analytics event, in CPU, to append it
 * and to roll it up (issue 12). No server, no HTTP: the store of a fresh directory appends
 * --events GameAnalytics-like events (about 430-byte bodies: user, session_end, business,
 * progression, resource, error, ads and design events of --users users over --days days) in
 * appends of --batch records (one transaction, one fsync each: the ingest writer's group
 * commit of one 100-event request), each record with the ps_event_facts the collector's one
 * parse would hand over, or with none (--no-facts: the store reads the body itself). Then the
 * event rollups catch up (ps_ga_rollup_catch_up, what maintain() runs).
 *
 * Printed: CPU microseconds per event of the thread that appends (the ingest writer's share)
 * and of the rollups, wall time of both, and a hash of everything the rollups wrote (ga_users,
 * ga_bits, ga_aggs, ga_mark, in key order) so that two builds or two modes can be shown to
 * roll up to the same tables.
 *
 * usage: event_store [--events N] [--batch N] [--users N] [--days N] [--no-facts]
 *                    [--dir DIR] [--keep]
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <getopt.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "common/errors.h"
#include "store/sqlite/ga_rollup.h"
#include "store/sqlite/internal.h"
#include "store/store.h"

/* One generated event: its values, its body, and the facts pointing at the values. */
typedef struct gen_event {
  char body[640];
  char uuid[37], user[24], session[40], event_id[64], build[16], currency[4], custom[16];
  char message[80];
  const char *category, *platform, *os_version, *severity;
  const char *ad_action, *ad_sdk, *ad_type, *ad_placement;
  int64_t client_ts, amount, length, attempt;
  double value;
  ps_event_facts facts;
  ps_record record;
} gen_event;

static uint64_t rng_s = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
  rng_s ^= rng_s << 13;
  rng_s ^= rng_s >> 7;
  rng_s ^= rng_s << 17;
  return rng_s;
}

static double now_s(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The calling thread's user and system CPU seconds so far. */
static void thread_cpu(double *user, double *sys) {
  struct rusage u;
  getrusage(RUSAGE_THREAD, &u);
  *user = (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6;
  *sys = (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static void make_event(gen_event *e, int64_t game_id, size_t i, int users, int days,
                       int64_t day0) {
  static const char *const categories[] = {"user",     "session_end", "business", "progression",
                                           "resource", "error",       "ads",      "design",
                                           "design",   "design"};
  static const char *const platforms[] = {"ios", "android", "windows"};
  static const char *const os_versions[] = {"ios 17.1", "android 14", "windows 10"};
  memset(e, 0, sizeof *e);
  uint64_t r = rnd();
  int user = (int)(r % (uint64_t)users), p = user % 3;
  e->category = categories[i % 10];
  e->platform = platforms[p];
  e->os_version = os_versions[p];
  snprintf(e->user, sizeof e->user, "user-%06d", user);
  snprintf(e->session, sizeof e->session, "5f0c6a1e-0000-4000-8000-%012d", user);
  snprintf(e->build, sizeof e->build, "1.%d.0", (int)(r >> 20) % 4);
  snprintf(e->custom, sizeof e->custom, "%s", (r >> 24) % 2 ? "ninja" : "pirate");
  snprintf(e->uuid, sizeof e->uuid, "%08x-%04x-4%03x-8%03x-%012" PRIx64, (unsigned)(r >> 32),
           (unsigned)(r & 0xffff), (unsigned)(i & 0xfff), (unsigned)((i >> 12) & 0xfff),
           (uint64_t)i);
  e->client_ts = (day0 + (int64_t)((r >> 8) % (uint64_t)days)) * 86400 + (int64_t)((r >> 16) % 86400);
  char extra[256] = "";
  e->facts.client_ts_is_integer = 1;
  const char *c = e->category;
  if (!strcmp(c, "session_end")) {
    e->length = 60 + (int64_t)(r % 3600);
    e->facts.length = e->length, e->facts.has_length = 1;
    snprintf(extra, sizeof extra, ",\"length\":%" PRId64, e->length);
  } else if (!strcmp(c, "business")) {
    e->amount = 99 + (int64_t)(r % 5) * 100;
    snprintf(e->currency, sizeof e->currency, "%s", r % 2 ? "USD" : "EUR");
    snprintf(e->event_id, sizeof e->event_id, "Gems:pack%d", (int)(r % 5));
    e->facts.currency = e->currency, e->facts.amount = e->amount, e->facts.has_amount = 1;
    e->facts.event_id = e->event_id;
    snprintf(extra, sizeof extra,
             ",\"event_id\":\"%s\",\"amount\":%" PRId64 ",\"currency\":\"%s\","
             "\"transaction_num\":1,\"cart_type\":\"shop\"",
             e->event_id, e->amount, e->currency);
  } else if (!strcmp(c, "progression")) {
    e->attempt = 1 + (int64_t)(r % 4);
    snprintf(e->event_id, sizeof e->event_id, "%s:world%d:level%d", r % 3 ? "Complete" : "Start",
             (int)(r % 3), (int)(r % 20));
    e->facts.event_id = e->event_id, e->facts.attempt_num = e->attempt, e->facts.has_attempt_num = 1;
    snprintf(extra, sizeof extra, ",\"event_id\":\"%s\",\"attempt_num\":%" PRId64, e->event_id,
             e->attempt);
  } else if (!strcmp(c, "resource")) {
    e->value = (double)(r % 500) + 0.5;
    snprintf(e->event_id, sizeof e->event_id, "%s:Gold:Loot:Chest%d", r % 2 ? "Sink" : "Source",
             (int)(r % 6));
    e->facts.event_id = e->event_id, e->facts.value = e->value, e->facts.has_value = 1;
    snprintf(extra, sizeof extra, ",\"event_id\":\"%s\",\"amount\":%.1f", e->event_id, e->value);
  } else if (!strcmp(c, "error")) {
    e->severity = r % 2 ? "error" : "warning";
    e->facts.severity = e->severity;
    /* the decoded value: the body's escape "\n" is a newline */
    snprintf(e->message, sizeof e->message, "NullReferenceException at Level%d.Update()\n  at x",
             (int)(r % 7));
    e->facts.message = e->message;
    snprintf(extra, sizeof extra,
             ",\"severity\":\"%s\",\"message\":\"NullReferenceException at Level%d.Update()\\n  at x\"",
             e->severity, (int)(r % 7));
  } else if (!strcmp(c, "ads")) {
    e->ad_action = "show", e->ad_sdk = "admob", e->ad_type = r % 2 ? "video" : "interstitial";
    e->ad_placement = "end_of_level";
    e->facts.ad_action = e->ad_action, e->facts.ad_sdk_name = e->ad_sdk;
    e->facts.ad_type = e->ad_type, e->facts.ad_placement = e->ad_placement;
    snprintf(extra, sizeof extra,
             ",\"ad_action\":\"%s\",\"ad_sdk_name\":\"%s\",\"ad_type\":\"%s\",\"ad_placement\":\"%s\"",
             e->ad_action, e->ad_sdk, e->ad_type, e->ad_placement);
  } else if (!strcmp(c, "design")) {
    e->value = (double)(r % 100);
    snprintf(e->event_id, sizeof e->event_id, "UI:Button:Shop%d", (int)(r % 9));
    e->facts.event_id = e->event_id, e->facts.value = e->value, e->facts.has_value = 1;
    snprintf(extra, sizeof extra, ",\"event_id\":\"%s\",\"value\":%g", e->event_id, e->value);
  }
  e->facts.platform = e->platform, e->facts.build = e->build, e->facts.os_version = e->os_version;
  e->facts.custom_01 = e->custom;
  snprintf(e->body, sizeof e->body,
           "{\"category\":\"%s\",\"v\":2,\"user_id\":\"%s\",\"session_id\":\"%s\","
           "\"session_num\":3,\"client_ts\":%" PRId64 ",\"sdk_version\":\"rest api v2\","
           "\"os_version\":\"%s\",\"manufacturer\":\"apple\",\"device\":\"iPhone15,2\","
           "\"platform\":\"%s\",\"build\":\"%s\",\"event_uuid\":\"%s\","
           "\"connection_type\":\"wifi\",\"custom_01\":\"%s\"%s}",
           c, e->user, e->session, e->client_ts, e->os_version, e->platform, e->build, e->uuid,
           e->custom, extra);
  e->record = (ps_record){.kind = PS_RECORD_EVENT, .game_id = game_id, .category = c,
                          .event_uuid = e->uuid, .client_ts = e->client_ts, .has_client_ts = 1,
                          .user_id = e->user, .session_id = e->session, .body = e->body,
                          .body_len = strlen(e->body),
                          /* arrival: the server's clock, which only moves on (a millisecond
                           * per event from the end of the range), whatever the client said */
                          .received_ms = (day0 + days) * 86400000LL + (int64_t)i};
}

/* FNV-1a over every row of sql's answer, in its order. */
static uint64_t hash_rows(sqlite3 *db, const char *sql, uint64_t h, long *rows) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "event_store: %s: %s\n", sql, sqlite3_errmsg(db));
    return 0;
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    (*rows)++;
    for (int c = 0; c < sqlite3_column_count(st); c++) {
      const unsigned char *v = sqlite3_column_blob(st, c);
      int n = sqlite3_column_bytes(st, c);
      for (int k = 0; k < n; k++) h = (h ^ v[k]) * 0x100000001b3ULL;
      h = (h ^ 0xff) * 0x100000001b3ULL;
    }
  }
  sqlite3_finalize(st);
  return h;
}

int main(int argc, char **argv) {
  size_t nevents = 200000, batch = 100;
  int users = 5000, days = 7, with_facts = 1, keep = 0;
  const char *dir_arg = NULL;
  static const struct option opts[] = {{"events", 1, 0, 'n'}, {"batch", 1, 0, 'b'},
                                       {"users", 1, 0, 'u'},  {"days", 1, 0, 'd'},
                                       {"no-facts", 0, 0, 'F'}, {"dir", 1, 0, 'D'},
                                       {"keep", 0, 0, 'k'},   {0, 0, 0, 0}};
  for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
    switch (o) {
      case 'n': nevents = strtoull(optarg, NULL, 10); break;
      case 'b': batch = strtoull(optarg, NULL, 10); break;
      case 'u': users = atoi(optarg); break;
      case 'd': days = atoi(optarg); break;
      case 'F': with_facts = 0; break;
      case 'D': dir_arg = optarg; break;
      case 'k': keep = 1; break;
      default:
        fprintf(stderr, "usage: event_store [--events N] [--batch N] [--users N] [--days N]"
                        " [--no-facts] [--dir DIR] [--keep]\n");
        return 2;
    }
  }
  if (!batch || users < 1 || days < 1) return 2;
  char dir[512];
  if (dir_arg)
    snprintf(dir, sizeof dir, "%s", dir_arg);
  else {
    snprintf(dir, sizeof dir, "/tmp/playstat-bench-events-XXXXXX");
    if (!mkdtemp(dir)) return 1;
  }
  char url[600];
  snprintf(url, sizeof url, "sqlite:%s", dir);
  ps_stores stores;
  sqlite_store *store;
  if (ps_sqlite_stores_open("event_store", url, &stores, &store) != PS_OK) return 1;
  gen_event *ev = malloc(batch * sizeof *ev);
  ps_record *records = malloc(batch * sizeof *records);
  if (!ev || !records) return 1;
  const int64_t game_id = 1, day0 = 20400;
  double append_cpu = 0, append_wall = 0, append_user = 0, append_sys = 0;
  int rc = PS_OK;
  for (size_t done = 0; rc == PS_OK && done < nevents;) {
    size_t n = nevents - done < batch ? nevents - done : batch;
    for (size_t i = 0; i < n; i++) {
      make_event(&ev[i], game_id, done + i, users, days, day0);
      records[i] = ev[i].record;
      records[i].facts = with_facts ? &ev[i].facts : NULL;
    }
    ps_record_span span = {records, n};
    double u0, s0, u1, s1;
    thread_cpu(&u0, &s0);
    double c0 = now_s(CLOCK_THREAD_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
    rc = stores.events->ops->append(stores.events, &span, 1);
    append_cpu += now_s(CLOCK_THREAD_CPUTIME_ID) - c0;
    append_wall += now_s(CLOCK_MONOTONIC) - w0;
    thread_cpu(&u1, &s1);
    append_user += u1 - u0;
    append_sys += s1 - s0;
    done += n;
  }
  if (rc != PS_OK) {
    fprintf(stderr, "event_store: append: %s\n", ps_strerror(rc));
    return 1;
  }
  double c0 = now_s(CLOCK_THREAD_CPUTIME_ID), w0 = now_s(CLOCK_MONOTONIC);
  rc = ps_ga_rollup_catch_up(store, game_id);
  double rollup_cpu = now_s(CLOCK_THREAD_CPUTIME_ID) - c0, rollup_wall = now_s(CLOCK_MONOTONIC) - w0;
  if (rc != PS_OK) {
    fprintf(stderr, "event_store: rollup: %s\n", ps_strerror(rc));
    return 1;
  }
  ps_stores_close(&stores);

  char path[600];
  snprintf(path, sizeof path, "%s/playstat.db", dir);
  sqlite3 *db = NULL;
  uint64_t h = 0xcbf29ce484222325ULL;
  long rows = 0;
  long long db_bytes = 0;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
    h = hash_rows(db, "SELECT * FROM ga_users ORDER BY game_id, user_id", h, &rows);
    h = hash_rows(db, "SELECT * FROM ga_bits ORDER BY game_id, kind, dim, value, day, chunk", h, &rows);
    h = hash_rows(db, "SELECT * FROM ga_aggs ORDER BY game_id, kind, dim, value, day, key", h, &rows);
    h = hash_rows(db, "SELECT * FROM ga_mark ORDER BY game_id", h, &rows);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT page_count * page_size FROM pragma_page_count, pragma_page_size",
                           -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      db_bytes = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  printf("events %zu batch %zu users %d days %d facts %s\n", nevents, batch, users, days,
         with_facts ? "yes" : "no (NULL)");
  printf("append: %.2f us CPU/event (writer thread: user %.2f, system %.2f), %.2f us wall/event\n",
         append_cpu * 1e6 / (double)nevents, append_user * 1e6 / (double)nevents,
         append_sys * 1e6 / (double)nevents, append_wall * 1e6 / (double)nevents);
  printf("rollup: %.2f us CPU/event, %.2f us wall/event\n", rollup_cpu * 1e6 / (double)nevents,
         rollup_wall * 1e6 / (double)nevents);
  printf("database: %.1f MB; rollup tables: %ld rows, hash %016" PRIx64 "\n", (double)db_bytes / 1e6,
         rows, h);
  if (!keep && !dir_arg) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
  } else {
    printf("kept %s\n", dir);
  }
  free(ev);
  free(records);
  return 0;
}
