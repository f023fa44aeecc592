/*
 * sdk_event_call.c: the cost of one libplaystat event call on the game thread.
 *
 *   sdk_event_call BASE_URL GAME_KEY SECRET_KEY DATABASE_PATH [CALLS] [durable|normal] [PER_S]
 *
 * Opens a session, makes 1,000 warm-up calls, then times CALLS (default 20,000) calls of
 * playstat_design (a 3-part event id and a value, as a game would send) one by one with
 * CLOCK_MONOTONIC, while the library's thread delivers to BASE_URL as usual (flush every 8 s,
 * the default). Prints the median, p90, p99, p99.9 and max in microseconds as one JSON line.
 * "durable" sets durable_sync (an fsync per call). PER_S paces the calls (that many a second,
 * as a game spreads its events over frames; default 0: back to back, the worst case for the
 * database, whose write-ahead log then never rests). Paced runs also count the calls that
 * took a page fault and the calls during which the thread was preempted (an involuntary
 * context switch), with getrusage around each call outside the timing, and give the largest
 * call that had neither ("max_quiet_us": what the library itself cost at worst). Run by
 * bench/sdk_event_call.sh.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "playstat.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Page faults (minor + major) and involuntary context switches of the calling thread so far. */
static void thread_events(long *faults, long *switches) {
  struct rusage ru;
  getrusage(RUSAGE_THREAD, &ru);
  *faults = ru.ru_minflt + ru.ru_majflt;
  *switches = ru.ru_nivcsw;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s BASE_URL GAME_KEY SECRET_KEY DATABASE_PATH [CALLS] [durable|normal] [PER_S]\n",
            argv[0]);
    return 2;
  }
  long calls = argc > 5 ? atol(argv[5]) : 20000;
  int durable = argc > 6 && strcmp(argv[6], "durable") == 0;
  double per_s = argc > 7 ? atof(argv[7]) : 0;
  playstat_config cfg;
  playstat_config_init(&cfg);
  cfg.base_url = argv[1];
  cfg.game_key = argv[2];
  cfg.secret_key = argv[3];
  cfg.database_path = argv[4];
  cfg.durable_sync = durable;
  cfg.shutdown_timeout_ms = 30000;
  playstat *ps = NULL;
  double *us = malloc((size_t)calls * sizeof *us);
  if (!us || playstat_create(&cfg, &ps) != PLAYSTAT_OK || playstat_session_start(ps) != PLAYSTAT_OK) {
    fprintf(stderr, "setup failed\n");
    return 1;
  }
  char id[64];
  for (long i = 0; i < 1000; i++) {
    snprintf(id, sizeof id, "Warmup:Kill:Orc%ld", i % 50);
    playstat_design(ps, id, 1, (double)i, NULL);
  }
  long faulting = 0, fault_total = 0; /* calls that took a page fault (paced runs only) */
  double fault_us = 0;
  long switched = 0; /* calls preempted (paced runs only) */
  double switched_us = 0, quiet_us = 0;
  double start = now_us();
  for (long i = 0; i < calls; i++) {
    snprintf(id, sizeof id, "Gameplay:Kill:Orc%ld", i % 50);
    if (per_s > 0) { /* the next call's slot */
      double wait = start + (double)i * 1e6 / per_s - now_us();
      if (wait > 0) usleep((useconds_t)wait);
    }
    long f0 = 0, s0 = 0;
    if (per_s > 0) thread_events(&f0, &s0);
    double t0 = now_us();
    int rc = playstat_design(ps, id, 1, (double)i, NULL);
    us[i] = now_us() - t0;
    if (per_s > 0) {
      long f, sw;
      thread_events(&f, &sw);
      f -= f0;
      sw -= s0;
      if (f > 0) {
        faulting++;
        fault_total += f;
        if (us[i] > fault_us) fault_us = us[i];
      }
      if (sw > 0) {
        switched++;
        if (us[i] > switched_us) switched_us = us[i];
      }
      if (f == 0 && sw == 0 && us[i] > quiet_us) quiet_us = us[i];
    }
    if (rc != PLAYSTAT_OK) {
      fprintf(stderr, "call %ld: %s\n", i, playstat_strerror(rc));
      return 1;
    }
  }
  qsort(us, (size_t)calls, sizeof *us, by_value);
#define AT(q) us[(size_t)((double)(calls - 1) * (q))]
  printf("{\"calls\":%ld,\"durable_sync\":%d,\"per_s\":%g,\"median_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,"
         "\"p999_us\":%.1f,\"max_us\":%.1f,\"calls_faulting\":%ld,\"faults\":%ld,"
         "\"max_faulting_us\":%.1f,\"calls_preempted\":%ld,\"max_preempted_us\":%.1f,"
         "\"max_quiet_us\":%.1f}\n",
         calls, durable, per_s, AT(0.5), AT(0.9), AT(0.99), AT(0.999), us[calls - 1], faulting,
         fault_total, fault_us, switched, switched_us, quiet_us);
  int left = playstat_shutdown(ps);
  fprintf(stderr, "shutdown: %s\n", playstat_strerror(left));
  free(us);
  return 0;
}
