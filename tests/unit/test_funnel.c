/* test_funnel.c: the funnel of store/funnel.h, in process. Steps parse as documented (kinds,
 * progression statuses, parts, '*' prefixes, refusals); and on seeded random users (a few
 * events each, small time steps so that seconds are often shared), both ways of counting (by
 * user in time order, by step in a shuffled order, by step with users numbered sparsely) equal
 * a brute force that tries every choice
 * of events for each user: the deepest chain e1..ek with e1 the user's first step-1 event,
 * strictly increasing seconds, each e_i of step i, and e_k within the window of e1. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "store/funnel.h"
#include "xorshift.h"

static ps_metric_query query(const char *steps, int64_t window_s, const char *measure) {
  return (ps_metric_query){.source = PS_SOURCE_EVENTS, .metric = "funnel", .steps = steps,
                           .window_s = window_s, .measure = measure};
}

static void test_parse(void **state) {
  (void)state;
  ps_funnel f;
  const char *problem;
  ps_metric_query q = query("progression:World1:Level10,design:Shop*,Start:World2,business:gems_pack,resource:Sink:Gold", 60, NULL);
  assert_int_equal(ps_funnel_parse(&q, &f, &problem), PS_OK);
  assert_int_equal(f.nsteps, 5);
  assert_string_equal(f.steps[0].key, "Complete|World1:Level10");
  assert_string_equal(f.steps[1].key, "Shop");
  assert_true(f.steps[1].plain_prefix);
  assert_int_equal(f.steps[2].kind, PS_FUNNEL_PROGRESSION); /* no kind: progression */
  assert_string_equal(f.steps[2].key, "Start|World2");
  assert_string_equal(f.steps[3].text, "business:gems_pack");
  assert_int_equal(f.window_s, 60);
  /* what each covers */
  assert_int_equal(ps_funnel_match(&f, "progression", "Complete|World1:Level10:Boss"), 1u);
  assert_int_equal(ps_funnel_match(&f, "progression", "Complete|World1:Level100"), 0u);
  assert_int_equal(ps_funnel_match(&f, "progression", "Start|World1:Level10"), 0u);
  assert_int_equal(ps_funnel_match(&f, "design", "ShopKeeper:Talk"), 2u);
  assert_int_equal(ps_funnel_match(&f, "resource", "Shop"), 0u); /* another category */
  assert_int_equal(ps_funnel_match(&f, "business", "gems_pack:gems_100"), 8u);
  assert_int_equal(ps_funnel_match(&f, "business", "gems_packs:x"), 0u);
  assert_int_equal(ps_funnel_match(&f, "resource", "Sink:Gold"), 16u);
  assert_int_equal(ps_funnel_match(&f, "resource", "Sink:Gold:Shop:Sword"), 16u);
  assert_int_equal(ps_funnel_match(&f, "resource", "Sink:Gold-"), 0u);
  q = query("World1", 0, "fails");
  assert_int_equal(ps_funnel_parse(&q, &f, &problem), PS_OK);
  assert_string_equal(f.steps[0].key, "Fail|World1");
  assert_false(ps_funnel_wanted(&q)); /* the older form */
  q = query("World1,design:x", 0, NULL);
  assert_true(ps_funnel_wanted(&q));
  q = query("World1", 5, NULL);
  assert_true(ps_funnel_wanted(&q));
  const char *bad[] = {"design:", "design:Shop,", ",design:Shop", "design:S*p", "progression:Complete:",
                       "", "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    q = query(bad[i], 0, NULL);
    assert_int_equal(ps_funnel_parse(&q, &f, &problem), PS_EINVAL);
    assert_non_null(problem);
  }
  q = query("design:Shop", 0, "attempts");
  assert_int_equal(ps_funnel_parse(&q, &f, &problem), PS_EINVAL);
  q = query("design:Shop", -1, NULL);
  assert_int_equal(ps_funnel_parse(&q, &f, &problem), PS_EINVAL);
}

/* ---- random users against a brute force ---- */

typedef struct event {
  int user;
  int64_t t;
  unsigned steps;
} event;

static uint64_t rng = 0x2545F4914F6CDD1DULL;
static uint32_t next(void) {
  return (uint32_t)(xorshift64(&rng) >> 32);
}

/* The deepest chain from event i (at step depth, reached at depth steps) among ev[0..n). */
static size_t deepest(const event *ev, size_t n, size_t nsteps, int64_t window, int64_t entry,
                      size_t i, size_t depth) {
  size_t best = depth;
  if (depth == nsteps) return best;
  for (size_t j = 0; j < n; j++) {
    if (!(ev[j].steps >> depth & 1u) || ev[j].t <= ev[i].t) continue;
    if (window && ev[j].t - entry > window) continue;
    size_t d = deepest(ev, n, nsteps, window, entry, j, depth + 1);
    if (d > best) best = d;
  }
  return best;
}

static void test_random_users(void **state) {
  (void)state;
  static const char *const categories[] = {"design", "progression"};
  static const char *const keys[][3] = {{"A", "A:x", "B"}, {"Complete|L1", "Complete|L1:Boss", "Start|L1"}};
  static const char *const funnels[] = {"design:A,progression:L1,design:B",
                                        "design:A,design:A,design:A",
                                        "progression:Start:L1,progression:L1:Boss,design:A:x,design:*",
                                        "design:B"};
  enum { USERS = 300, DAYS = 3 };
  const int64_t from_s = 86400 * 100, to_s = from_s + DAYS * 86400;
  for (size_t fi = 0; fi < sizeof funnels / sizeof *funnels; fi++) {
    for (int64_t window = 0; window <= 40; window += 20) {
      ps_metric_query q = query(funnels[fi], window, NULL);
      ps_funnel f;
      const char *problem;
      assert_int_equal(ps_funnel_parse(&q, &f, &problem), PS_OK);
      ps_funnel_count *by_user = ps_funnel_count_create(&f, from_s, to_s, from_s / 86400, DAYS);
      ps_funnel_count *by_step = ps_funnel_count_create(&f, from_s, to_s, from_s / 86400, DAYS);
      ps_funnel_count *numbered = ps_funnel_count_create(&f, from_s, to_s, from_s / 86400, DAYS);
      assert_non_null(numbered);
      assert_non_null(by_user);
      assert_non_null(by_step);
      double want[PS_FUNNEL_MAX_STEPS] = {0};
      event all[USERS * 12];
      size_t nall = 0;
      for (int u = 0; u < USERS; u++) {
        event ev[12];
        size_t n = 1 + next() % 12;
        int64_t t = from_s - 30 + next() % (DAYS * 86400);
        for (size_t i = 0; i < n; i++) {
          t += next() % 4 == 0 ? 0 : next() % 30; /* often the same second */
          int c = (int)(next() % 2);
          ev[i] = (event){u, t, ps_funnel_match(&f, categories[c], keys[c][next() % 3])};
        }
        char name[32];
        snprintf(name, sizeof name, "user-%d", u);
        for (size_t i = 0; i < n; i++) {
          if (ev[i].t >= from_s && ev[i].t < to_s) all[nall++] = ev[i];
          assert_int_equal(ps_funnel_count_event(by_user, name, ev[i].t, ev[i].steps), PS_OK);
        }
        /* brute force over the events in the range */
        event in[12];
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
          if (ev[i].t >= from_s && ev[i].t < to_s) in[m++] = ev[i];
        size_t first = m;
        for (size_t i = 0; i < m; i++)
          if ((in[i].steps & 1u) && (first == m || in[i].t < in[first].t)) first = i;
        size_t depth = first == m ? 0 : deepest(in, m, f.nsteps, window, in[first].t, first, 1);
        for (size_t k = 0; k < depth; k++) want[k] += 1;
      }
      /* by step: each step's events in a shuffled order */
      for (size_t i = nall; i > 1; i--) {
        size_t j = next() % i;
        event tmp = all[i - 1];
        all[i - 1] = all[j];
        all[j] = tmp;
      }
      for (size_t k = 0; k < f.nsteps && ps_funnel_count_anyone_at(by_step, k); k++) {
        for (size_t i = 0; i < nall; i++) {
          if (!(all[i].steps >> k & 1u)) continue;
          char name[32];
          snprintf(name, sizeof name, "user-%d", all[i].user);
          assert_int_equal(ps_funnel_count_step_event(by_step, k, name, all[i].t), PS_OK);
        }
        ps_funnel_count_step_end(by_step, k);
      }
      /* numbered: user u is 7u + 3 (numbers with gaps, the largest fed first sometimes) */
      for (size_t k = 0; k < f.nsteps && ps_funnel_count_anyone_at(numbered, k); k++) {
        for (size_t i = 0; i < nall; i++)
          if (all[i].steps >> k & 1u)
            assert_int_equal(ps_funnel_count_numbered_event(numbered, k,
                                                            (uint32_t)(7 * all[i].user + 3),
                                                            all[i].t), PS_OK);
        ps_funnel_count_step_end(numbered, k);
      }
      ps_metric_result a, b, c;
      assert_int_equal(ps_funnel_count_result(by_user, &a), PS_OK);
      assert_int_equal(ps_funnel_count_result(by_step, &b), PS_OK);
      assert_int_equal(ps_funnel_count_result(numbered, &c), PS_OK);
      assert_int_equal(c.ngroups, f.nsteps);
      assert_int_equal(a.ngroups, f.nsteps);
      assert_int_equal(b.ngroups, f.nsteps);
      for (size_t k = 0; k < f.nsteps; k++) {
        if (a.groups[k].total != want[k] || b.groups[k].total != want[k])
          fail_msg("%s window %lld step %zu: by user %g, by step %g, brute force %g", funnels[fi],
                   (long long)window, k, a.groups[k].total, b.groups[k].total, want[k]);
        if (c.groups[k].total != want[k])
          fail_msg("%s window %lld step %zu: numbered %g, brute force %g", funnels[fi],
                   (long long)window, k, c.groups[k].total, want[k]);
        assert_memory_equal(a.groups[k].values, b.groups[k].values, DAYS * sizeof(double));
        assert_memory_equal(a.groups[k].values, c.groups[k].values, DAYS * sizeof(double));
        assert_string_equal(a.groups[k].key, b.groups[k].key);
      }
      assert_true(want[0] > 0);
      assert_true(a.whole.total == want[f.nsteps - 1]);
      ps_metric_result_free(&a);
      ps_metric_result_free(&b);
      ps_metric_result_free(&c);
      ps_funnel_count_destroy(numbered);
      ps_funnel_count_destroy(by_user);
      ps_funnel_count_destroy(by_step);
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse),
      cmocka_unit_test(test_random_users),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
