/*
 * out_of_memory.c: libplaystat never aborts, out of memory included (include/playstat.h).
 *
 * The test replaces the process's allocator (malloc, calloc, realloc and free are defined here,
 * forwarding to glibc's own, so SQLite, jansson, PCRE2, libcurl and OpenSSL allocate through
 * them too) and plays one launch of a game: create, a session with every kind
 * of event, a custom dimension, a flush attempt to a closed port, shutdown. First it counts the
 * allocations of that launch; then it replays it once for each allocation it picks, making
 * exactly that allocation fail (whichever thread asks). Every call must return one of the
 * documented statuses (never crash, never abort), and the database must stay usable: a clean
 * launch on it afterwards succeeds and finds no session left half-recorded.
 *
 * Not built with the sanitizers (tests/sdk/CMakeLists.txt): they bring their own allocator.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "playstat.h"

/* ---- the allocator ---- */

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static atomic_long allocations; /* counted while armed */
static atomic_long fail_at;     /* the allocation (1-based) that fails; 0: none */
static atomic_int armed;

static int should_fail(void) {
  if (!atomic_load(&armed)) return 0;
  long n = atomic_fetch_add(&allocations, 1) + 1;
  return n == atomic_load(&fail_at);
}

void *malloc(size_t n) { return should_fail() ? (errno = ENOMEM, NULL) : __libc_malloc(n); }
void *calloc(size_t k, size_t n) { return should_fail() ? (errno = ENOMEM, NULL) : __libc_calloc(k, n); }
void *realloc(void *p, size_t n) {
  if (n && should_fail()) {
    errno = ENOMEM;
    return NULL;
  }
  return __libc_realloc(p, n);
}
void free(void *p) { __libc_free(p); }
/* (the aligned allocators stay glibc's: replacing them through __libc_memalign corrupted the
 * heap, and what they return is freed by glibc's free all the same) */

/* ---- one launch ---- */

static char db_path[128];

static int known(int status) { return status <= 0 && status >= PLAYSTAT_E_DISABLED; }

static void remove_database(void) {
  char side[160];
  unlink(db_path);
  snprintf(side, sizeof side, "%s-wal", db_path);
  unlink(side);
  snprintf(side, sizeof side, "%s-shm", db_path);
  unlink(side);
  for (int i = 0; i < 2; i++) { /* the call journal (sdk/journal.h) */
    snprintf(side, sizeof side, "%s-calls.%d", db_path, i);
    unlink(side);
  }
}

/* Plays a launch; returns 0, or 1 after printing which call answered an unknown status. */
static int play(void) {
  playstat_config cfg;
  playstat_config_init(&cfg);
  cfg.base_url = "http://127.0.0.1:9"; /* nothing listens: sends fail at once */
  cfg.game_key = "0123456789abcdef0123456789abcdef";
  cfg.secret_key = "ffffffffffffffffffffffffffffffffffffffff";
  cfg.database_path = db_path;
  cfg.build = "1.0.0";
  cfg.flush_interval_ms = 20;
  cfg.retry_initial_ms = 10;
  cfg.shutdown_timeout_ms = 100;
  playstat *ps = NULL;
  int rc = playstat_create(&cfg, &ps);
  if (rc != PLAYSTAT_OK) {
    if (ps || !known(rc)) {
      fprintf(stderr, "create: %d, handle %p\n", rc, (void *)ps);
      return 1;
    }
    return 0;
  }
  playstat_field field = {.key = "level", .text = "forest"};
  playstat_fields fields = {.items = &field, .count = 1};
  int statuses[] = {
      playstat_session_start(ps),
      playstat_design(ps, "Combat:Kill:Orc", 1, 3, &fields),
      playstat_set_custom_dimension(ps, 1, "ninja"),
      playstat_business(ps, "Gems:Pack100", 499, "USD", "shop", NULL),
      playstat_resource(ps, "Source:Gold:Reward:Quest", 20, NULL),
      playstat_progression(ps, PLAYSTAT_PROGRESSION_START, "World1:Level1", 0, 0, NULL),
      playstat_progression(ps, PLAYSTAT_PROGRESSION_START, "World1:Level1", 0, 0, NULL),
      playstat_progression(ps, PLAYSTAT_PROGRESSION_COMPLETE, "World1:Level1", 1, 1200, NULL),
      playstat_error(ps, PLAYSTAT_SEVERITY_ERROR, "Timeout talking to server", NULL),
      playstat_ad(ps, "admob", "main_menu", "rewarded_video", "show", NULL, 1500, NULL),
      playstat_impression(ps, "admob", "1.2.3", "{\"revenue\":0.01}", NULL),
      playstat_flush(ps),
      playstat_session_end(ps),
  };
  usleep(30 * 1000); /* the library's thread tries to send meanwhile */
  int failed = 0;
  for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++) {
    if (!known(statuses[i])) {
      fprintf(stderr, "call %zu answered %d\n", i, statuses[i]);
      failed = 1;
    }
  }
  rc = playstat_shutdown(ps);
  if (!known(rc)) {
    fprintf(stderr, "shutdown answered %d\n", rc);
    failed = 1;
  }
  return failed;
}

/* A clean launch on the database a failing one left: it opens, and ends any session left. */
static int reopen_cleanly(void) {
  playstat_config cfg;
  playstat_config_init(&cfg);
  cfg.base_url = "http://127.0.0.1:9";
  cfg.game_key = "0123456789abcdef0123456789abcdef";
  cfg.secret_key = "ffffffffffffffffffffffffffffffffffffffff";
  cfg.database_path = db_path;
  cfg.shutdown_timeout_ms = 50;
  playstat *ps = NULL;
  int rc = playstat_create(&cfg, &ps);
  if (rc != PLAYSTAT_OK) {
    fprintf(stderr, "a clean launch after the failure: %s\n", playstat_strerror(rc));
    return 1;
  }
  rc = playstat_session_start(ps);
  int end = playstat_session_end(ps);
  int left = playstat_shutdown(ps);
  if (rc != PLAYSTAT_OK || end != PLAYSTAT_OK || !known(left)) {
    fprintf(stderr, "a clean launch after the failure: start %d, end %d, shutdown %d\n", rc, end,
            left);
    return 1;
  }
  return 0;
}

int main(void) {
  snprintf(db_path, sizeof db_path, "/tmp/playstat-oom-%ld.db", (long)getpid());
  remove_database();
  atomic_store(&allocations, 0);
  atomic_store(&fail_at, 0);
  atomic_store(&armed, 1);
  int bad = play();
  atomic_store(&armed, 0);
  long total = atomic_load(&allocations);
  if (bad || total < 100) {
    fprintf(stderr, "the launch without failures: %s, %ld allocations\n", bad ? "failed" : "ok",
            total);
    return 1;
  }
  /* Every one of the first 300 allocations (create: the database, the schemas), then 1,200
   * more spread over the rest from a random offset (a new one each run, printed; set
   * PLAYSTAT_OOM_SEED to replay a run). */
  const char *seed_text = getenv("PLAYSTAT_OOM_SEED");
  unsigned seed = seed_text ? (unsigned)strtoul(seed_text, NULL, 10) : (unsigned)time(NULL);
  srand(seed);
  printf("PLAYSTAT_OOM_SEED=%u\n", seed);
  fflush(stdout);
  long step = total > 1500 ? (total - 300) / 1200 : 1;
  long offset = step > 1 ? rand() % step : 0;
  long tried = 0, failures = 0;
  for (long n = 1; n <= total; n += n < 300 ? 1 : step) {
    if (n == 300) n += offset;
    remove_database();
    atomic_store(&allocations, 0);
    atomic_store(&fail_at, n);
    atomic_store(&armed, 1);
    int r = play();
    atomic_store(&armed, 0);
    if (r || reopen_cleanly()) {
      fprintf(stderr, "with allocation %ld failing\n", n);
      failures++;
    }
    tried++;
  }
  remove_database();
  printf("%ld allocations in a launch; %ld launches with one failing allocation; %ld wrong\n",
         total, tried, failures);
  return failures ? 1 : 0;
}
