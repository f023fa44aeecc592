/*
 * runner.c: runs the channels of `playstat simulate` (sim.h) side by side, one thread each,
 * prints their progress, and gathers the summary. The population is drawn before any thread
 * starts and only read afterwards; a channel's counters are atomics (read by the progress
 * line) and its own counts are read only after its thread has been joined.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>

#include "common/clock.h"
#include "common/errors.h"
#include "sim/sim.h"

static const ps_sim_channel *const channels[] = {&ps_sim_ga_channel, &ps_sim_metrics_channel,
                                                 &ps_sim_matchmaker_channel};
#define NCHANNELS (sizeof channels / sizeof *channels)

static volatile sig_atomic_t stopping;

void ps_sim_stop(void) { stopping = 1; }
int ps_sim_stopping(void) { return stopping != 0; }

int ps_sim_sleep(double seconds) {
  int64_t until = ps_monotonic_ns() + (int64_t)(seconds * 1e9);
  for (;;) {
    if (stopping) return 0;
    int64_t left = until - ps_monotonic_ns();
    if (left <= 0) return 1;
    if (left > 100000000) left = 100000000; /* look at the stop flag every 0.1 s */
    struct timespec ts = {0, (long)left};
    nanosleep(&ts, NULL);
  }
}

int ps_sim_link_open(ps_sim_link *link, const ps_sim_config *cfg, const ps_sim_population *pop,
                     ps_sim_stats *stats) {
  *link = (ps_sim_link){.cfg = cfg, .pop = pop, .stats = stats};
  return ps_sim_http_create(cfg->url, stats, &link->http);
}

void ps_sim_link_close(ps_sim_link *link) {
  ps_sim_http_destroy(link->http);
  ps_sim_response_free(&link->resp);
  link->http = NULL;
}

int ps_sim_link_send(ps_sim_link *link, const ps_sim_request *req) {
  return ps_sim_http_send(link->http, req, &link->resp);
}

typedef struct running {
  const ps_sim_channel *channel;
  void *state;
  ps_sim_stats stats;
  pthread_t thread;
  int started;
  atomic_int done;
} running;

static void *thread_main(void *arg) {
  running *r = arg;
  r->channel->run(r->state);
  atomic_store(&r->done, 1);
  return NULL;
}

static void print_progress(running *runs, size_t n, double seconds) {
  ps_buf line = {0};
  ps_buf_printf(&line, "simulate [%4.0fs]", seconds);
  for (size_t i = 0; i < n; i++) {
    if (!runs[i].started) continue;
    ps_buf_printf(&line, "  %s: ", runs[i].channel->name);
    runs[i].channel->progress(runs[i].state, &line);
    unsigned long errors = atomic_load(&runs[i].stats.refused) + atomic_load(&runs[i].stats.failed);
    ps_buf_printf(&line, " (%lu requests, %lu errors)%s", atomic_load(&runs[i].stats.requests),
                  errors, atomic_load(&runs[i].done) ? " done" : "");
  }
  if (line.data) fprintf(stderr, "%s\n", line.data);
  ps_buf_free(&line);
}

/* The summary of one channel: its request counters and its own counts. */
static json_t *channel_summary(running *r) {
  json_t *out = ps_sim_stats_json(&r->stats);
  json_t *own = r->channel->summary(r->state);
  if (!out || !own || json_object_update(out, own) ||
      json_object_set_new(out, "fatal", json_boolean(atomic_load(&r->stats.fatal)))) {
    json_decref(out);
    out = NULL;
  }
  json_decref(own);
  return out;
}

/* GET /healthz, so that a wrong --url or a server that is not running is said at once
 * rather than after every channel's retries. Returns 0, or PS_EIO after saying why. */
static int preflight(const ps_sim_config *config) {
  ps_sim_stats stats;
  ps_sim_stats_init(&stats);
  ps_sim_http *http = NULL;
  ps_sim_response resp = {0};
  int rc = ps_sim_http_create(config->url, &stats, &http);
  if (rc == PS_OK) {
    ps_sim_request req = {.method = "GET", .attempts = 3, .path = "/healthz"};
    if (!ps_sim_http_send(http, &req, &resp)) {
      fprintf(stderr, "playstat: %s: %s\n", resp.status ? "GET /healthz failed" : "cannot reach the server",
              resp.reason);
      fprintf(stderr, "playstat: is `playstat serve` running at %s?\n", config->url);
      rc = PS_EIO;
    }
  }
  ps_sim_response_free(&resp);
  ps_sim_http_destroy(http);
  ps_sim_stats_destroy(&stats);
  return rc;
}

int ps_sim_run(const ps_sim_config *config, double progress_s, json_t **summary) {
  *summary = NULL;
  int rc = preflight(config);
  if (rc != PS_OK) return rc;
  ps_sim_population pop;
  if (ps_sim_population_create((uint64_t)config->seed, (size_t)config->players, (int)config->days,
                               config->end_s, &pop) != PS_OK)
    return PS_ENOMEM;
  running runs[NCHANNELS] = {0};
  size_t n = 0;
  for (size_t i = 0; i < NCHANNELS; i++) {
    if (!channels[i]->enabled(config)) continue;
    running *r = &runs[n];
    r->channel = channels[i];
    ps_sim_stats_init(&r->stats);
    n++;
    if (channels[i]->create(config, &pop, &r->stats, &r->state) != PS_OK) {
      rc = PS_ENOMEM;
      goto out;
    }
  }
  for (size_t i = 0; i < n; i++)
    runs[i].started = pthread_create(&runs[i].thread, NULL, thread_main, &runs[i]) == 0;

  int64_t t0 = ps_monotonic_ns();
  double next_print = progress_s;
  for (;;) {
    size_t done = 0;
    for (size_t i = 0; i < n; i++) done += !runs[i].started || atomic_load(&runs[i].done);
    if (done == n) break;
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    double seconds = (double)(ps_monotonic_ns() - t0) / 1e9;
    if (progress_s > 0 && seconds >= next_print) {
      print_progress(runs, n, seconds);
      next_print += progress_s;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (runs[i].started) pthread_join(runs[i].thread, NULL);
  if (progress_s > 0) print_progress(runs, n, (double)(ps_monotonic_ns() - t0) / 1e9);

  int all_ok = 1;
  json_t *by_name = json_object();
  for (size_t i = 0; by_name && i < n; i++) {
    running *r = &runs[i];
    all_ok &= r->started && atomic_load(&r->stats.refused) == 0 &&
              atomic_load(&r->stats.failed) == 0 && !atomic_load(&r->stats.fatal);
    json_t *one = channel_summary(r);
    if (!one || json_object_set_new(by_name, r->channel->name, one)) {
      json_decref(by_name);
      by_name = NULL;
    }
  }
  *summary = by_name ? json_pack("{s:I, s:I, s:I, s:f, s:I, s:I, s:b, s:b, s:o}", "seed",
                                 (json_int_t)config->seed, "players", (json_int_t)config->players,
                                 "days", (json_int_t)config->days, "speedup", config->speedup,
                                 "from", (json_int_t)pop.start_s, "to", (json_int_t)pop.end_s,
                                 "ok", all_ok && !stopping, "interrupted", stopping != 0,
                                 "channels", by_name)
                     : NULL;
  if (!*summary) rc = PS_ENOMEM;
out:
  for (size_t i = 0; i < n; i++) {
    if (runs[i].state) runs[i].channel->destroy(runs[i].state);
    ps_sim_stats_destroy(&runs[i].stats);
  }
  ps_sim_population_free(&pop);
  return rc;
}
