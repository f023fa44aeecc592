/* test_session_metrics.c: every playtime metric (store/sqlite/session_metrics.h) against a
 * brute-force computation written independently here, on random sessions (fixed seed), plus
 * hand-made edge cases (half-open intervals, sessions straddling the range). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/sqlite/session_metrics.h"

#define N 400
#define MIN 60000LL

static ps_session_interval s[N];
static char player_names[N][8];
static int64_t mods[N][3];
static const int64_t FROM = 1000 * MIN, TO = 1000 * MIN + 300 * MIN, STEP = 10 * MIN;

static uint64_t rng = 42;
static int64_t rnd(int64_t n) {
  rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (int64_t)((rng >> 33) % (uint64_t)n);
}

static int setup(void **state) {
  for (int i = 0; i < N; i++) {
    snprintf(player_names[i], sizeof player_names[i], "p%d", (int)rnd(60)); /* players have many sessions */
    s[i].player = player_names[i];
    s[i].nmods = (size_t)rnd(4);
    for (size_t j = 0; j < s[i].nmods; j++) mods[i][j] = 100 + rnd(12) * 7 + (int64_t)j;
    s[i].mods = mods[i];
    s[i].start_ms = FROM - 40 * MIN + rnd(360 * MIN); /* some start before the range */
    s[i].end_ms = s[i].start_ms + rnd(150 * MIN);     /* some end after it */
    s[i].over = rnd(5) != 0;
  }
  return 0;
}

static int overlaps(int64_t a0, int64_t a1, int64_t b0, int64_t b1) { return a0 < b1 && b0 < a1; }

static double brute_concurrent(int mods_not_players, int64_t b0, int64_t b1) {
  double best = 0;
  for (int c = -1; c < N; c++) {
    int64_t t = c < 0 ? b0 : s[c].start_ms;
    if (t < b0 || t >= b1) continue;
    /* distinct keys active at t */
    int64_t keys[N * 3];
    size_t n = 0;
    for (int i = 0; i < N; i++) {
      if (!(s[i].start_ms <= t && t < s[i].end_ms)) continue;
      size_t count = mods_not_players ? s[i].nmods : 1;
      for (size_t j = 0; j < count; j++) {
        int64_t key = mods_not_players ? s[i].mods[j] : atoll(s[i].player + 1);
        size_t k = 0;
        while (k < n && keys[k] != key) k++;
        if (k == n) keys[n++] = key;
      }
    }
    if (n > best) best = (double)n;
  }
  return best;
}

static double brute_players(int64_t b0, int64_t b1) {
  int seen[60] = {0};
  double n = 0;
  for (int i = 0; i < N; i++) {
    /* present during [start, end), or at its start instant when zero-length */
    int present = s[i].end_ms == s[i].start_ms ? s[i].start_ms >= b0 && s[i].start_ms < b1
                                               : overlaps(s[i].start_ms, s[i].end_ms, b0, b1) &&
                                                     s[i].end_ms > s[i].start_ms;
    if (!present) continue;
    int p = atoi(s[i].player + 1);
    if (!seen[p]) {
      seen[p] = 1;
      n++;
    }
  }
  return n;
}

static ps_metric_result compute(const char *name) {
  ps_metric_result r;
  assert_int_equal(ps_session_metric_compute(name, s, N, FROM, TO, STEP, &r), 0);
  assert_int_equal(r.nbuckets, (size_t)((TO - FROM) / STEP));
  return r;
}

static void concurrency_matches_brute_force(void **state) {
  ps_metric_result ccu = compute("ccu"), ugc = compute("concurrent_ugc");
  double peak_ccu = 0, peak_ugc = 0;
  for (size_t b = 0; b < ccu.nbuckets; b++) {
    int64_t b0 = FROM + (int64_t)b * STEP, b1 = b0 + STEP;
    double want_ccu = brute_concurrent(0, b0, b1), want_ugc = brute_concurrent(1, b0, b1);
    if (ccu.whole.values[b] != want_ccu) fail_msg("ccu bucket %zu: %g, want %g", b, ccu.whole.values[b], want_ccu);
    if (ugc.whole.values[b] != want_ugc) fail_msg("ugc bucket %zu: %g, want %g", b, ugc.whole.values[b], want_ugc);
    if (want_ccu > peak_ccu) peak_ccu = want_ccu;
    if (want_ugc > peak_ugc) peak_ugc = want_ugc;
  }
  assert_true(peak_ccu > 5); /* the data really overlaps */
  assert_true(ccu.whole.total == peak_ccu);
  assert_true(ugc.whole.total == peak_ugc);
  ps_metric_result_free(&ccu);
  ps_metric_result_free(&ugc);
}

static void counts_and_means_match_brute_force(void **state) {
  ps_metric_result players = compute("total_players"), sessions = compute("sessions"),
                   playtime = compute("avg_playtime"), ugc = compute("avg_ugc_per_session");
  double all_sessions = 0, all_playtime = 0, n_playtime = 0, all_mods = 0;
  for (size_t b = 0; b < players.nbuckets; b++) {
    int64_t b0 = FROM + (int64_t)b * STEP, b1 = b0 + STEP;
    double started = 0, mods_sum = 0, length = 0, ended = 0;
    for (int i = 0; i < N; i++) {
      if (s[i].start_ms >= b0 && s[i].start_ms < b1) {
        started++;
        mods_sum += (double)s[i].nmods;
      }
      if (s[i].over && s[i].end_ms >= b0 && s[i].end_ms < b1) {
        ended++;
        length += (double)(s[i].end_ms - s[i].start_ms) / 1000.0;
      }
    }
    assert_true(players.whole.values[b] == brute_players(b0, b1));
    assert_true(sessions.whole.values[b] == started);
    assert_float_equal(ugc.whole.values[b], started ? mods_sum / started : 0, 1e-9);
    assert_float_equal(playtime.whole.values[b], ended ? length / ended : 0, 1e-9);
    all_sessions += started;
    all_mods += mods_sum;
    all_playtime += length;
    n_playtime += ended;
  }
  assert_true(players.whole.total == brute_players(FROM, TO));
  assert_true(sessions.whole.total == all_sessions);
  assert_float_equal(ugc.whole.total, all_mods / all_sessions, 1e-9);
  assert_float_equal(playtime.whole.total, all_playtime / n_playtime, 1e-9);
  ps_metric_result_free(&players);
  ps_metric_result_free(&sessions);
  ps_metric_result_free(&playtime);
  ps_metric_result_free(&ugc);
}

static void histogram_and_top_mods(void **state) {
  ps_metric_result h = compute("session_length_histogram"), top = compute("top_mods");
  const int64_t upper[] = {5 * 60, 30 * 60, 60 * 60, 2 * 3600, INT64_MAX};
  assert_int_equal(h.ngroups, 5);
  assert_string_equal(h.groups[0].key, "0-5m");
  assert_string_equal(h.groups[4].key, "2h+");
  double counts[5] = {0}, total = 0;
  for (int i = 0; i < N; i++) {
    if (!s[i].over || s[i].end_ms < FROM || s[i].end_ms >= TO) continue;
    int64_t len = (s[i].end_ms - s[i].start_ms) / 1000;
    int k = 0;
    while (len >= upper[k]) k++;
    counts[k]++;
    total++;
  }
  for (int k = 0; k < 5; k++) assert_true(h.groups[k].total == counts[k]);
  assert_true(h.whole.total == total);
  /* top_mods: playtime of each mod within the range, most played first, at most 10. */
  assert_true(top.ngroups <= 10 && top.ngroups > 0);
  for (size_t g = 0; g < top.ngroups; g++) {
    int64_t mod = atoll(top.groups[g].key);
    double want = 0;
    for (int i = 0; i < N; i++) {
      int64_t a = s[i].start_ms > FROM ? s[i].start_ms : FROM, z = s[i].end_ms < TO ? s[i].end_ms : TO;
      if (z <= a) continue;
      for (size_t j = 0; j < s[i].nmods; j++)
        if (s[i].mods[j] == mod) want += (double)(z - a) / 1000.0;
    }
    assert_float_equal(top.groups[g].total, want, 1e-6);
    if (g) assert_true(top.groups[g - 1].total >= top.groups[g].total);
  }
  ps_metric_result_free(&h);
  ps_metric_result_free(&top);
}

static void half_open_intervals(void **state) {
  /* A session [10, 20) and one [20, 30) of the same player never overlap. */
  ps_session_interval two[2] = {{.player = "a", .start_ms = 10, .end_ms = 20, .over = 1},
                                {.player = "b", .start_ms = 20, .end_ms = 30, .over = 1}};
  ps_metric_result r;
  assert_int_equal(ps_session_metric_compute("ccu", two, 2, 0, 40, 40, &r), 0);
  assert_true(r.whole.total == 1);
  ps_metric_result_free(&r);
  /* Buckets [0, 20) and [20, 40): "a" ends exactly where the second bucket starts, so that
   * bucket's peak is 1 ("b"), not 2 (found by the population test: sessions ending on a
   * minute boundary were counted in the next minute). */
  assert_int_equal(ps_session_metric_compute("ccu", two, 2, 0, 40, 20, &r), 0);
  assert_true(r.whole.values[0] == 1 && r.whole.values[1] == 1);
  ps_metric_result_free(&r);
  ps_session_interval shifted[2] = {{.player = "a", .start_ms = 5, .end_ms = 20, .over = 1},
                                    {.player = "b", .start_ms = 15, .end_ms = 30, .over = 1}};
  assert_int_equal(ps_session_metric_compute("ccu", shifted, 2, 0, 40, 20, &r), 0);
  assert_true(r.whole.values[0] == 2 && r.whole.values[1] == 1);
  ps_metric_result_free(&r);
  assert_int_equal(ps_session_metric_compute("nope", two, 2, 0, 40, 40, &r), -2);
  assert_int_equal(ps_session_metric_compute("ccu", two, 2, 40, 40, 40, &r), -2);
}

/* Five players, each with one session inside the range that started and ended within the
 * same second (seconds-resolution clients send the same session_ts): zero length, or a few
 * ms. Each is present at its start, so total_players is 5 (the issue: 3, the zero-length ones
 * were left out). The other metrics keep their documented handling of zero-length sessions. */
static void zero_length_sessions(void **state) {
  int64_t mod = 7;
  ps_session_interval five[5] = {
      {.player = "a", .start_ms = 5000, .end_ms = 5000, .over = 1, .mods = &mod, .nmods = 1},
      {.player = "b", .start_ms = 6000, .end_ms = 6000, .over = 1},
      {.player = "c", .start_ms = 7000, .end_ms = 7400, .over = 1},
      {.player = "d", .start_ms = 59000, .end_ms = 59000, .over = 1},
      {.player = "e", .start_ms = 60000, .end_ms = 60999, .over = 1},
  };
  ps_metric_result r;
  /* one bucket [0, 2 min) */
  assert_int_equal(ps_session_metric_compute("total_players", five, 5, 0, 120000, 120000, &r), 0);
  assert_true(r.whole.total == 5);
  assert_true(r.whole.values[0] == 5);
  ps_metric_result_free(&r);
  /* buckets of a minute: a zero-length session at 59 s counts in the first only */
  assert_int_equal(ps_session_metric_compute("total_players", five, 5, 0, 120000, 60000, &r), 0);
  assert_true(r.whole.values[0] == 4 && r.whole.values[1] == 1 && r.whole.total == 5);
  ps_metric_result_free(&r);
  /* outside the range: a zero-length session exactly at the range's end is not in it */
  assert_int_equal(ps_session_metric_compute("total_players", five, 5, 0, 59000, 59000, &r), 0);
  assert_true(r.whole.total == 3);
  ps_metric_result_free(&r);
  /* ccu: a zero-length session is never active (half-open), a 400 ms one is */
  assert_int_equal(ps_session_metric_compute("ccu", five, 5, 0, 120000, 120000, &r), 0);
  assert_true(r.whole.total == 1);
  ps_metric_result_free(&r);
  /* sessions and avg_playtime count them (started / ended in the range, length 0) */
  assert_int_equal(ps_session_metric_compute("sessions", five, 5, 0, 120000, 120000, &r), 0);
  assert_true(r.whole.total == 5);
  ps_metric_result_free(&r);
  assert_int_equal(ps_session_metric_compute("avg_playtime", five, 5, 0, 120000, 120000, &r), 0);
  assert_float_equal(r.whole.total, (0.4 + 0.999) / 5, 1e-12);
  ps_metric_result_free(&r);
  /* histogram: all five in 0-5m; top_mods: mod 7 has no playtime, so it is not listed */
  assert_int_equal(ps_session_metric_compute("session_length_histogram", five, 5, 0, 120000, 120000, &r), 0);
  assert_true(r.groups[0].total == 5 && r.whole.total == 5);
  ps_metric_result_free(&r);
  assert_int_equal(ps_session_metric_compute("top_mods", five, 5, 0, 120000, 120000, &r), 0);
  assert_int_equal(r.ngroups, 0);
  assert_true(r.whole.total == 0);
  ps_metric_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(concurrency_matches_brute_force),
      cmocka_unit_test(counts_and_means_match_brute_force),
      cmocka_unit_test(histogram_and_top_mods),
      cmocka_unit_test(half_open_intervals),
      cmocka_unit_test(zero_length_sessions),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
