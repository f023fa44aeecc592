/* test_sdk_background.c: the library's thread gives way to the game's (sdk/background.h): a
 * handle's own thread runs under SCHED_BATCH, and the game's threads keep their policy. */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "playstat.h"
#include "sdk/background.h"

static char db_path[64];

static int setup(void **state) {
  (void)state;
  snprintf(db_path, sizeof db_path, "/tmp/test_sdk_background_%d.db", (int)getpid());
  return 0;
}

static int teardown(void **state) {
  (void)state;
  const char *suffixes[] = {"", "-wal", "-shm", "-calls.0", "-calls.1"};
  for (size_t i = 0; i < sizeof suffixes / sizeof *suffixes; i++) {
    char p[96];
    snprintf(p, sizeof p, "%s%s", db_path, suffixes[i]);
    unlink(p);
  }
  return 0;
}

/* The threads of this process under SCHED_BATCH, and whether the calling one is among them. */
static int batch_threads(int *self) {
  DIR *d = opendir("/proc/self/task");
  assert_non_null(d);
  int n = 0;
  pid_t me = (pid_t)syscall(SYS_gettid);
  *self = 0;
  for (struct dirent *e; (e = readdir(d));) {
    pid_t tid = (pid_t)atoi(e->d_name);
    if (tid <= 0 || sched_getscheduler(tid) != SCHED_BATCH) continue;
    n++;
    if (tid == me) *self = 1;
  }
  closedir(d);
  return n;
}

static void *become_background(void *arg) {
  int *policy = arg;
  policy[0] = ps_sdk_background_thread();
  policy[1] = sched_getscheduler(0);
  return NULL;
}

static void a_background_thread_is_batch_and_only_it(void **state) {
  (void)state;
  int before = sched_getscheduler(0), got[2] = {-2, -2};
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, become_background, got), 0);
  pthread_join(t, NULL);
  assert_int_equal(got[0], 0);
  assert_int_equal(got[1], SCHED_BATCH);
  assert_int_equal(sched_getscheduler(0), before); /* the caller's policy is its own */
}

static void a_handles_thread_is_batch_and_the_games_is_not(void **state) {
  (void)state;
  int self;
  assert_int_equal(batch_threads(&self), 0);
  playstat_config cfg;
  playstat_config_init(&cfg);
  cfg.base_url = "http://127.0.0.1:1";
  cfg.game_key = "0123456789abcdef0123456789abcdef";
  cfg.secret_key = "secret";
  cfg.database_path = db_path;
  cfg.shutdown_timeout_ms = 0;
  playstat *ps;
  assert_int_equal(playstat_create(&cfg, &ps), PLAYSTAT_OK);
  /* the thread sets its policy first thing: wait for it (bounded), not for a time */
  int n = 0;
  for (int i = 0; i < 2000 && (n = batch_threads(&self)) == 0; i++) usleep(1000);
  assert_int_equal(n, 1);
  assert_int_equal(self, 0);
  assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
  playstat_shutdown(ps);
  assert_int_equal(batch_threads(&self), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(a_background_thread_is_batch_and_only_it),
      cmocka_unit_test_setup_teardown(a_handles_thread_is_batch_and_the_games_is_not, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
