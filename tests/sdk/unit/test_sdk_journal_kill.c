/* test_sdk_journal_kill.c: a process killed while a record of the call journal
 * (sdk/journal.h) is half written. The next launch must keep every record whose append
 * returned, exactly once and byte for byte, accept nothing partial, and keep the records
 * appended after the torn one.
 *
 * Two ways to be killed mid-record:
 *  - at a random moment, many rounds, while a child copies large records (up to 1 MiB, so
 *    that a kill often lands inside a copy, or inside the growth of a file) and reports each
 *    sequence number through a pipe once its append returned;
 *  - deterministically: the child appends some records, writes the bytes of the next one only
 *    in part (a prefix cut at several points, or its head and tail without the middle, as a
 *    memcpy that copies its last bytes first leaves them) and kills itself with SIGKILL.
 * Every payload is a function of its sequence number, so a record read back is checked whole.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "sdk/journal.h"

static char base[64];

static void path_of(int i, char *out, size_t cap) { snprintf(out, cap, "%s-calls.%d", base, i); }

static int setup(void **state) {
  (void)state;
  snprintf(base, sizeof base, "/tmp/test_sdk_journal_kill_%d.db", (int)getpid());
  for (int i = 0; i < 2; i++) {
    char p[96];
    path_of(i, p, sizeof p);
    unlink(p);
  }
  return 0;
}

static void remove_scratch_journal(void) {
  for (int i = 0; i < 2; i++) {
    char p[128];
    snprintf(p, sizeof p, "%s.whole-calls.%d", base, i);
    unlink(p);
  }
}

static int teardown(void **state) {
  remove_scratch_journal(); /* also when a failed assertion left the test early */
  return setup(state);
}

/* The body of record seq: its size varies from 16 bytes to 1 MiB, its bytes follow seq. */
static size_t body_size(uint64_t seq) {
  uint64_t x = seq * 0x9E3779B97F4A7C15ull;
  return 16 + (size_t)((x >> 40) % (1024 * 1024));
}

/* The bytes bodies are cut from: 2 MiB made once from a fixed seed (so that a child spends
 * its time copying records, not making them). */
static char pool[2 * 1024 * 1024 + 64];

static void pool_fill(void) {
  uint64_t x = 0xA5A5A5A5A5A5A5A5ull;
  for (size_t i = 0; i + 8 <= sizeof pool; i += 8) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    memcpy(pool + i, &x, 8);
  }
}

static const char *body_of(uint64_t seq) { return pool + (seq * 7919) % (1024 * 1024); }

/* Builds record seq into r: an event item with the body, and a state item. */
static void build(ps_jrec *r, uint64_t seq) {
  size_t n = body_size(seq);
  char key[32];
  snprintf(key, sizeof key, "seq-%llu", (unsigned long long)seq);
  if (ps_jrec_reset(r) != PS_OK ||
      ps_jrec_add(r, PS_JI_EVENT, (int64_t)seq, "design", 6, body_of(seq), n) != PS_OK ||
      ps_jrec_add(r, PS_JI_STATE, 0, key, strlen(key), "", 0) != PS_OK)
    _exit(90);
}

/* Whether rec is exactly record seq (the one build() made). */
static int record_is(const ps_jread *rec, uint64_t seq) {
  size_t off = 0, n = body_size(seq);
  ps_jitem it;
  if (rec->seq != seq || ps_jitem_next(rec->payload, rec->len, &off, &it) != 1) return 0;
  if (it.type != PS_JI_EVENT || it.number != (int64_t)seq || it.blen != n ||
      memcmp(it.b, body_of(seq), n) != 0)
    return 0;
  char key[32];
  snprintf(key, sizeof key, "seq-%llu", (unsigned long long)seq);
  if (ps_jitem_next(rec->payload, rec->len, &off, &it) != 1 || it.type != PS_JI_STATE ||
      it.alen != strlen(key) || memcmp(it.a, key, it.alen) != 0 || it.blen != 0)
    return 0;
  return ps_jitem_next(rec->payload, rec->len, &off, &it) == 0;
}

/* The valid records of both files, as the next launch finds them (file 0 first). */
typedef struct found {
  ps_buf data[2];
  ps_jread *recs[2];
  size_t n[2], skipped[2];
} found;

static void read_back(ps_journal *j, found *f) {
  for (int i = 0; i < 2; i++) {
    f->data[i] = (ps_buf){0};
    assert_int_equal(ps_journal_read(j, i, &f->data[i]), PS_OK);
    assert_int_equal(ps_journal_parse(f->data[i].data, f->data[i].len, &f->recs[i], &f->n[i],
                                      &f->skipped[i]),
                     PS_OK);
  }
}

static void found_free(found *f) {
  for (int i = 0; i < 2; i++) {
    free(f->recs[i]);
    ps_buf_free(&f->data[i]);
  }
}

/* The child of a random kill: appends records 1, 2, ... (never swapping files) and writes
 * each sequence number to fd once its append returned. */
static void append_until_killed(int fd, uint64_t limit) {
  char err[256];
  ps_journal *j;
  if (ps_journal_open(base, 0, &j, err, sizeof err) != PS_OK) _exit(91);
  ps_jrec r = {0};
  for (uint64_t seq = 1; seq <= limit; seq++) {
    build(&r, seq);
    if (ps_journal_append(j, seq, &r) != PS_OK) _exit(93);
    if (write(fd, &seq, sizeof seq) != (ssize_t)sizeof seq) _exit(94);
  }
  for (;;) pause(); /* killed here when the parent was late */
}

static void sleep_us(long us) {
  struct timespec ts = {.tv_sec = us / 1000000, .tv_nsec = (us % 1000000) * 1000};
  nanosleep(&ts, NULL);
}

/* Kills the child at a random moment, after its first append at least; returns the highest
 * sequence number whose append returned. */
static uint64_t kill_at_random(unsigned *rng) {
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    append_until_killed(p[1], 400);
  }
  close(p[1]);
  uint64_t last = 0, seq;
  assert_int_equal(read(p[0], &seq, sizeof seq), (ssize_t)sizeof seq); /* the first returned */
  last = seq;
  sleep_us((long)(rand_r(rng) % 40000));
  kill(pid, SIGKILL);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  while (read(p[0], &seq, sizeof seq) == (ssize_t)sizeof seq) {
    assert_int_equal(seq, last + 1); /* reported in order */
    last = seq;
  }
  close(p[0]);
  return last;
}

/* Checks that file 0 holds records 1..returned in order, then at most the one that was being
 * copied (returned + 1) when it is whole, then the records appended after the relaunch
 * (first_after..last_after, 0 when none); file 1 nothing. Returns whether the in-flight
 * record was kept. */
static int check_records(const found *f, uint64_t returned, uint64_t first_after,
                         uint64_t last_after) {
  assert_int_equal(f->n[1], 0);
  size_t i = 0;
  for (uint64_t seq = 1; seq <= returned; seq++, i++) {
    assert_true(i < f->n[0]);
    assert_true(record_is(&f->recs[0][i], seq));
  }
  int in_flight = i < f->n[0] && f->recs[0][i].seq == returned + 1;
  if (in_flight) assert_true(record_is(&f->recs[0][i++], returned + 1));
  for (uint64_t seq = first_after; first_after && seq <= last_after; seq++, i++) {
    assert_true(i < f->n[0]);
    assert_true(record_is(&f->recs[0][i], seq));
  }
  assert_int_equal(i, f->n[0]); /* nothing else: no partial record, no record twice */
  return in_flight;
}

static void killed_at_random_keeps_every_returned_record(void **state) {
  (void)state;
  enum { ROUNDS = 60 };
  unsigned rng = (unsigned)time(NULL) ^ (unsigned)getpid();
  size_t torn = 0, whole = 0;
  for (int round = 0; round < ROUNDS; round++) {
    setup(NULL);
    uint64_t returned = kill_at_random(&rng);
    char err[256];
    ps_journal *j;
    assert_int_equal(ps_journal_open(base, 0, &j, err, sizeof err), PS_OK);
    /* a relaunch that appends before draining: the new records follow the torn bytes and
     * must be read back as well (seq past anything the dead process may have used) */
    ps_jrec r = {0};
    uint64_t after = returned + 2;
    for (uint64_t seq = after; seq < after + 2; seq++) {
      build(&r, seq);
      assert_int_equal(ps_journal_append(j, seq, &r), PS_OK);
    }
    ps_jrec_free(&r);
    found f;
    read_back(j, &f);
    int kept = check_records(&f, returned, after, after + 1);
    if (f.skipped[0]) torn++;
    if (kept) whole++;
    found_free(&f);
    ps_journal_close(j);
  }
  print_message("%d kills: %zu left a torn record, %zu a whole one past the last returned\n",
                ROUNDS, torn, whole);
}

/* The child of a deterministic kill: appends records 1..n, then writes record n + 1 into the
 * file only in part (cut: its first cut bytes; hole: its first cut bytes and its last 64, not
 * what lies between) and kills itself. */
static void tear_and_die(uint64_t n, size_t cut, int hole) {
  char err[256];
  ps_journal *j;
  if (ps_journal_open(base, 0, &j, err, sizeof err) != PS_OK) _exit(91);
  ps_jrec r = {0};
  uint64_t end = 0;
  for (uint64_t seq = 1; seq <= n; seq++) {
    build(&r, seq);
    if (ps_journal_append(j, seq, &r) != PS_OK) _exit(93);
    end += r.buf.len;
  }
  if (ps_journal_active_bytes(j) != end) _exit(95);
  /* the record as ps_journal_append writes it: append it to a scratch journal */
  ps_journal *other;
  char other_base[96];
  snprintf(other_base, sizeof other_base, "%s.whole", base);
  if (ps_journal_open(other_base, 0, &other, err, sizeof err) != PS_OK) _exit(96);
  build(&r, n + 1);
  if (ps_journal_append(other, n + 1, &r) != PS_OK) _exit(97);
  ps_buf whole = {0};
  if (ps_journal_read(other, 0, &whole) != PS_OK || whole.len != r.buf.len) _exit(98);
  char path[96];
  path_of(0, path, sizeof path);
  int fd = open(path, O_RDWR);
  if (fd < 0 || cut > whole.len) _exit(99);
  if (pwrite(fd, whole.data, cut, (off_t)end) != (ssize_t)cut) _exit(100);
  if (hole && pwrite(fd, whole.data + whole.len - 64, 64, (off_t)(end + whole.len - 64)) != 64)
    _exit(101);
  raise(SIGKILL);
  _exit(102);
}

static void killed_mid_record_keeps_the_records_around_it(void **state) {
  (void)state;
  /* n + 1 = 6: its size from body_size; cuts inside the header, inside the first item's
   * header, inside the body, and one byte short; holes after the header and mid-body */
  const uint64_t n = 5;
  size_t whole_len = PS_JOURNAL_HEADER + 24 + 6 + body_size(n + 1) + 24 + 5;
  const struct {
    size_t cut;
    int hole;
  } cases[] = {{1, 0},  {12, 0}, {PS_JOURNAL_HEADER, 0}, {PS_JOURNAL_HEADER + 10, 0},
               {whole_len / 2, 0}, {whole_len - 1, 0}, {PS_JOURNAL_HEADER, 1},
               {whole_len / 2, 1}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    setup(NULL);
    remove_scratch_journal();
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) tear_and_die(n, cases[c].cut, cases[c].hole);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    char err[256];
    ps_journal *j;
    assert_int_equal(ps_journal_open(base, 0, &j, err, sizeof err), PS_OK);
    ps_jrec r = {0};
    build(&r, n + 2);
    assert_int_equal(ps_journal_append(j, n + 2, &r), PS_OK);
    ps_jrec_free(&r);
    found f;
    read_back(j, &f);
    assert_int_equal(check_records(&f, n, n + 2, n + 2), 0); /* record 6: not kept */
    assert_true(f.skipped[0] > 0); /* its bytes were seen, and passed over */
    found_free(&f);
    ps_journal_close(j);
  }
  remove_scratch_journal();
}

int main(void) {
  pool_fill();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(killed_mid_record_keeps_the_records_around_it, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(killed_at_random_keeps_every_returned_record, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
