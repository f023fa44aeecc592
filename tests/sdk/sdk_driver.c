/*
 * sdk_driver.c: a small game for the integration tests (tests/integration/sdk.test.js). It
 * configures libplaystat from its options and runs the commands given as arguments, printing
 * one line per command: "COMMAND -> STATUS_NAME". Library log lines go to stderr as
 * "log LEVEL: message".
 *
 * Options (before the commands): --url U --key K --secret S --db PATH, and optionally
 *   --flush-ms N --retry-initial-ms N --retry-max-ms N --max-queue-bytes N --shutdown-ms N
 *   --heartbeat-ms N --metrics-url U --metrics-key K --token T --build B --record FILE
 * Commands:
 *   start | end | flush | stats | shutdown | ad | impression | hang | flag (prints "flag")
 *   dimension=INDEX=VALUE (playstat_set_custom_dimension)
 *   design=ID[=VALUE]  design-custom=ID=KEY=TEXT  business=ID=AMOUNT=CUR  resource=ID=AMOUNT
 *   progression=start|fail|complete=PROGRESSION[=SCORE]  error=SEVERITY=MESSAGE
 *   sleep=MS  wait-sent=MS (until nothing is queued)  many=N=PREFIX (N design events)
 *   play=RUN (design and business events until killed; each one the library accepted is
 *             appended to --record and fsync'ed before the next call)
 *   metrics-start=ID,ID,...  metrics-end
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "playstat.h"

static const char *status_name(int s) {
  switch (s) {
  case PLAYSTAT_OK: return "OK";
  case PLAYSTAT_E_NOMEM: return "E_NOMEM";
  case PLAYSTAT_E_ARG: return "E_ARG";
  case PLAYSTAT_E_CONFIG: return "E_CONFIG";
  case PLAYSTAT_E_INVALID: return "E_INVALID";
  case PLAYSTAT_E_STORAGE: return "E_STORAGE";
  case PLAYSTAT_E_NO_SESSION: return "E_NO_SESSION";
  case PLAYSTAT_E_THROTTLED: return "E_THROTTLED";
  case PLAYSTAT_E_FULL: return "E_FULL";
  case PLAYSTAT_E_PENDING: return "E_PENDING";
  case PLAYSTAT_E_STATE: return "E_STATE";
  case PLAYSTAT_E_DISABLED: return "E_DISABLED";
  }
  return "E_UNKNOWN";
}

static void on_log(void *ctx, playstat_log_level level, const char *message) {
  static const char *const names[] = {"debug", "info", "warn", "error"};
  fprintf(stderr, "log %s: %s\n", names[level], message);
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

/* Splits "a=b=c" in place into at most max parts. */
static int split(char *s, char **parts, int max) {
  int n = 0;
  parts[n++] = s;
  for (char *p = s; *p && n < max; p++) {
    if (*p == '=') {
      *p = '\0';
      parts[n++] = p + 1;
    }
  }
  return n;
}

static int record_fd = -1;

/* Appends line to the record file and waits for it to reach the disk. */
static void record(const char *line) {
  if (record_fd < 0) return;
  size_t len = strlen(line);
  if (write(record_fd, line, len) != (ssize_t)len || fsync(record_fd) != 0) {
    perror("record");
    exit(3);
  }
}

static void print_stats(playstat *ps) {
  playstat_stats st;
  playstat_get_stats(ps, &st);
  printf("stats {\"events_recorded\":%llu,\"events_sent\":%llu,\"events_rejected\":%llu,"
         "\"events_dropped\":%llu,\"errors_throttled\":%llu,\"send_failures\":%llu,"
         "\"metrics_requests_sent\":%llu,\"metrics_requests_failed\":%llu,"
         "\"queued_events\":%llu,\"queued_bytes\":%llu}\n",
         (unsigned long long)st.events_recorded, (unsigned long long)st.events_sent,
         (unsigned long long)st.events_rejected, (unsigned long long)st.events_dropped,
         (unsigned long long)st.errors_throttled, (unsigned long long)st.send_failures,
         (unsigned long long)st.metrics_requests_sent,
         (unsigned long long)st.metrics_requests_failed, (unsigned long long)st.queued_events,
         (unsigned long long)st.queued_bytes);
}

static int run(playstat **handle, const char *token, char *cmd) {
  playstat *ps = *handle;
  char *p[5] = {0};
  int n = split(cmd, p, 5);
  const char *c = p[0];
  if (!strcmp(c, "start")) return playstat_session_start(ps);
  if (!strcmp(c, "end")) return playstat_session_end(ps);
  if (!strcmp(c, "flush")) return playstat_flush(ps);
  if (!strcmp(c, "flag")) { /* a mark in the output for the test to wait for */
    printf("flag\n");
    return PLAYSTAT_OK;
  }
  if (!strcmp(c, "stats")) {
    print_stats(ps);
    return PLAYSTAT_OK;
  }
  if (!strcmp(c, "hang")) {
    printf("hanging\n");
    fflush(stdout);
    for (;;) pause();
  }
  if (!strcmp(c, "shutdown")) {
    int64_t t0 = now_ms();
    int rc = playstat_shutdown(ps);
    *handle = NULL;
    printf("shutdown_ms %lld\n", (long long)(now_ms() - t0));
    return rc;
  }
  if (!strcmp(c, "sleep") && n == 2) {
    sleep_ms(atol(p[1]));
    return PLAYSTAT_OK;
  }
  if (!strcmp(c, "wait-sent") && n == 2) {
    int64_t until = now_ms() + atol(p[1]);
    playstat_stats st;
    do {
      playstat_get_stats(ps, &st);
      if (st.queued_events == 0) return PLAYSTAT_OK;
      sleep_ms(20);
    } while (now_ms() < until);
    return PLAYSTAT_E_PENDING;
  }
  if (!strcmp(c, "dimension") && n == 3) return playstat_set_custom_dimension(ps, atoi(p[1]), p[2]);
  if (!strcmp(c, "design") && n >= 2) return playstat_design(ps, p[1], n == 3, n == 3 ? atof(p[2]) : 0, NULL);
  if (!strcmp(c, "design-custom") && n == 4) {
    playstat_field f[2] = {{.key = p[2], .text = p[3]}, {.key = "level", .text = NULL, .number = 7}};
    playstat_fields fields = {.items = f, .count = 2};
    return playstat_design(ps, p[1], 0, 0, &fields);
  }
  if (!strcmp(c, "business") && n == 4) return playstat_business(ps, p[1], atoll(p[2]), p[3], "shop", NULL);
  if (!strcmp(c, "resource") && n == 3) return playstat_resource(ps, p[1], atof(p[2]), NULL);
  if (!strcmp(c, "progression") && n >= 3) {
    playstat_progression_status s = !strcmp(p[1], "start") ? PLAYSTAT_PROGRESSION_START
                                    : !strcmp(p[1], "fail") ? PLAYSTAT_PROGRESSION_FAIL
                                                            : PLAYSTAT_PROGRESSION_COMPLETE;
    return playstat_progression(ps, s, p[2], n == 4, n == 4 ? atoll(p[3]) : 0, NULL);
  }
  if (!strcmp(c, "error") && n == 3) {
    static const char *const sev[] = {"debug", "info", "warning", "error", "critical"};
    for (int i = 0; i < 5; i++)
      if (!strcmp(p[1], sev[i])) return playstat_error(ps, (playstat_severity)i, p[2], NULL);
    return PLAYSTAT_E_ARG;
  }
  if (!strcmp(c, "ad")) return playstat_ad(ps, "admob", "end_of_level", "rewarded_video", "show", NULL, 30000, NULL);
  if (!strcmp(c, "impression"))
    return playstat_impression(ps, "applovin", "11.11.3", "{\"revenue\":0.0125,\"country\":\"US\"}", NULL);
  if (!strcmp(c, "many") && n == 3) {
    for (long i = 0; i < atol(p[1]); i++) {
      char id[128];
      snprintf(id, sizeof id, "%s:%ld", p[2], i);
      int rc = playstat_design(ps, id, 1, (double)i, NULL);
      if (rc != PLAYSTAT_OK) return rc;
    }
    return PLAYSTAT_OK;
  }
  if (!strcmp(c, "play") && n == 2) {
    srand((unsigned)now_ms() ^ (unsigned)getpid());
    for (long i = 0;; i++) {
      char id[128], line[160];
      int business = i % 7 == 3;
      snprintf(id, sizeof id, business ? "Run%s:Item%ld" : "Play:R%s:E%ld", p[1], i);
      int rc = business ? playstat_business(ps, id, 99, "USD", NULL, NULL)
                        : playstat_design(ps, id, 0, 0, NULL);
      if (rc != PLAYSTAT_OK) return rc;
      snprintf(line, sizeof line, "%s %s\n", business ? "business" : "design", id);
      record(line);
      if (rand() % 4 == 0) sleep_ms(rand() % 4);
    }
  }
  if (!strcmp(c, "metrics-start") && n == 2) {
    int64_t ids[64];
    size_t count = 0;
    for (char *tok = strtok(p[1], ","); tok && count < 64; tok = strtok(NULL, ","))
      ids[count++] = atoll(tok);
    return playstat_metrics_start(ps, token ? token : "", ids, count);
  }
  if (!strcmp(c, "metrics-end")) return playstat_metrics_end(ps);
  fprintf(stderr, "unknown command %s\n", c);
  exit(2);
}

int main(int argc, char **argv) {
  playstat_config cfg;
  playstat_config_init(&cfg);
  cfg.log = on_log;
  cfg.log_level = PLAYSTAT_LOG_DEBUG;
  const char *token = NULL;
  int i = 1;
  for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
    const char *o = argv[i], *v = argv[i + 1];
    if (!strcmp(o, "--url")) cfg.base_url = v;
    else if (!strcmp(o, "--key")) cfg.game_key = v;
    else if (!strcmp(o, "--secret")) cfg.secret_key = v;
    else if (!strcmp(o, "--db")) cfg.database_path = v;
    else if (!strcmp(o, "--build")) cfg.build = v;
    else if (!strcmp(o, "--flush-ms")) cfg.flush_interval_ms = (uint32_t)atol(v);
    else if (!strcmp(o, "--retry-initial-ms")) cfg.retry_initial_ms = (uint32_t)atol(v);
    else if (!strcmp(o, "--retry-max-ms")) cfg.retry_max_ms = (uint32_t)atol(v);
    else if (!strcmp(o, "--max-queue-bytes")) cfg.max_queue_bytes = (uint64_t)atoll(v);
    else if (!strcmp(o, "--shutdown-ms")) cfg.shutdown_timeout_ms = (uint32_t)atol(v);
    else if (!strcmp(o, "--heartbeat-ms")) cfg.metrics_heartbeat_ms = (uint32_t)atol(v);
    else if (!strcmp(o, "--metrics-url")) cfg.metrics_url = v;
    else if (!strcmp(o, "--metrics-key")) cfg.metrics_key = v;
    else if (!strcmp(o, "--token")) token = v;
    else if (!strcmp(o, "--record")) {
      record_fd = open(v, O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (record_fd < 0) {
        perror(v);
        return 2;
      }
    } else {
      fprintf(stderr, "unknown option %s\n", o);
      return 2;
    }
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  playstat *ps = NULL;
  int rc = playstat_create(&cfg, &ps);
  printf("create -> %s\n", status_name(rc));
  if (rc != PLAYSTAT_OK) return 1;
  for (; i < argc; i++) {
    char *cmd = strdup(argv[i]);
    if (!cmd) return 1;
    if (!ps) {
      fprintf(stderr, "command %s after shutdown\n", cmd);
      return 2;
    }
    rc = run(&ps, token, cmd);
    printf("%s -> %s\n", argv[i], status_name(rc));
    free(cmd);
  }
  if (ps) {
    rc = playstat_shutdown(ps);
    printf("shutdown -> %s\n", status_name(rc));
  }
  if (record_fd >= 0) close(record_fd);
  return 0;
}
