/*
 * sdk_event_kinds.c: the cost of each kind of libplaystat event call, made the same way, so
 * that one kind taking a slower path than design shows.
 *
 *   sdk_event_kinds DATABASE_PATH KIND [CALLS]
 *
 * KIND: design, resource, business, progression (Start and Complete of one level in turn,
 * with a score on Complete), progression-fail (Start and Fail in turn: attempt numbers grow).
 * Opens a session against a closed port (nothing is sent: the library's thread only retries),
 * makes 200 warm-up calls of the kind, then CALLS (default 10,000) timed calls, and prints one
 * JSON line: the kind, calls, median and p99 in microseconds. Meant for callgrind, which counts
 * the instructions of the calls alone:
 *   valgrind --tool=callgrind --toggle-collect=playstat_KIND build/bench/sdk_event_kinds ...
 * (bench/sdk_event_kinds.sh does that for every kind). Every call must return PLAYSTAT_OK.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "playstat.h"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Call i of kind: the i-th of the kind's sequence (ids cycle over 50, as a game's do). */
static int call(playstat *ps, const char *kind, long i) {
  char id[64];
  if (strcmp(kind, "design") == 0) {
    snprintf(id, sizeof id, "Gameplay:Kill:Orc%ld", i % 50);
    return playstat_design(ps, id, 1, (double)i, NULL);
  }
  if (strcmp(kind, "resource") == 0) {
    snprintf(id, sizeof id, "Sink:Gems:Boost:Item%ld", i % 50);
    return playstat_resource(ps, id, 5, NULL);
  }
  if (strcmp(kind, "business") == 0) {
    snprintf(id, sizeof id, "Gems:Pack%ld", i % 50);
    return playstat_business(ps, id, 99, "USD", "shop", NULL);
  }
  snprintf(id, sizeof id, "World1:Level%ld", (i / 2) % 50);
  if (i % 2 == 0) return playstat_progression(ps, PLAYSTAT_PROGRESSION_START, id, 0, 0, NULL);
  if (strcmp(kind, "progression-fail") == 0)
    return playstat_progression(ps, PLAYSTAT_PROGRESSION_FAIL, id, 1, i, NULL);
  return playstat_progression(ps, PLAYSTAT_PROGRESSION_COMPLETE, id, 1, i, NULL);
}

int main(int argc, char **argv) {
  static const char *const kinds[] = {"design", "resource", "business", "progression",
                                      "progression-fail"};
  int known = 0;
  for (size_t k = 0; argc >= 3 && k < sizeof kinds / sizeof *kinds; k++)
    known |= strcmp(argv[2], kinds[k]) == 0;
  if (!known) {
    fprintf(stderr, "usage: %s DATABASE_PATH design|resource|business|progression|"
                    "progression-fail [CALLS]\n", argv[0]);
    return 2;
  }
  const char *kind = argv[2];
  long calls = argc > 3 ? atol(argv[3]) : 10000;
  playstat_config cfg;
  playstat_config_init(&cfg);
  cfg.base_url = "http://127.0.0.1:9"; /* closed: nothing is sent */
  cfg.game_key = "0123456789abcdef0123456789abcdef";
  cfg.secret_key = "secret";
  cfg.database_path = argv[1];
  cfg.shutdown_timeout_ms = 0;
  playstat *ps = NULL;
  double *us = calls > 0 ? malloc((size_t)calls * sizeof *us) : NULL;
  if (!us || playstat_create(&cfg, &ps) != PLAYSTAT_OK || playstat_session_start(ps) != PLAYSTAT_OK) {
    fprintf(stderr, "setup failed\n");
    return 1;
  }
  for (long i = 0; i < 200; i++) {
    int rc = call(ps, kind, i);
    if (rc != PLAYSTAT_OK) {
      fprintf(stderr, "warm-up call %ld: %s\n", i, playstat_strerror(rc));
      return 1;
    }
  }
  for (long i = 0; i < calls; i++) {
    double t0 = now_us();
    int rc = call(ps, kind, 200 + i);
    us[i] = now_us() - t0;
    if (rc != PLAYSTAT_OK) {
      fprintf(stderr, "call %ld: %s\n", i, playstat_strerror(rc));
      return 1;
    }
  }
  qsort(us, (size_t)calls, sizeof *us, by_value);
  printf("{\"kind\":\"%s\",\"calls\":%ld,\"median_us\":%.2f,\"p99_us\":%.2f}\n", kind, calls,
         us[(size_t)((double)(calls - 1) * 0.5)], us[(size_t)((double)(calls - 1) * 0.99)]);
  playstat_shutdown(ps);
  free(us);
  return 0;
}
