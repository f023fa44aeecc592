/* test_sim.c: the building blocks of `playstat simulate` (src/sim/): seeded randomness, the
 * population, that every analytics event a simulated session produces passes the server's
 * own validator, and how error answers are turned into one-line reasons. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "schema/validator.h"
#include "sim/ga_session.h"
#include "sim/http_client.h"
#include "sim/population.h"
#include "sim/rng.h"

#define END_S 1795392000 /* 2026-11-22T00:00:00Z, a Sunday */

static int is_uuid_v4(const char *s) {
  if (strlen(s) != 36 || s[14] != '4' || !strchr("89ab", s[19])) return 0;
  for (int i = 0; i < 36; i++) {
    int dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? s[i] != '-' : !strchr("0123456789abcdef", s[i])) return 0;
  }
  return 1;
}

static void rng_streams_are_deterministic_and_distinct(void **state) {
  ps_sim_rng a, b, c;
  ps_sim_rng_init(&a, 42, 7);
  ps_sim_rng_init(&b, 42, 7);
  ps_sim_rng_init(&c, 42, 8);
  int differs = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = ps_sim_rng_u64(&a);
    assert_true(x == ps_sim_rng_u64(&b));
    differs |= x != ps_sim_rng_u64(&c);
  }
  assert_true(differs);
  int lo = 0, hi = 0;
  double zero_weight[] = {1, 0, 2};
  for (int i = 0; i < 10000; i++) {
    double u = ps_sim_uniform(&a);
    assert_true(u >= 0 && u < 1);
    assert_true(ps_sim_below(&a, 5) < 5);
    int64_t r = ps_sim_range(&a, -2, 2);
    assert_true(r >= -2 && r <= 2);
    lo |= r == -2;
    hi |= r == 2;
    assert_int_not_equal(ps_sim_weighted(&a, zero_weight, 3), 1);
    assert_true(ps_sim_zipf(&a, 40) < 40);
    assert_true(ps_sim_exponential(&a, 3) >= 0);
    assert_true(ps_sim_lognormal(&a, 10, 0.5) > 0);
  }
  assert_true(lo && hi);
  char uuid[37];
  for (int i = 0; i < 100; i++) {
    ps_sim_uuid(&a, uuid);
    assert_true(is_uuid_v4(uuid));
  }
}

static void population_is_deterministic_and_plausible(void **state) {
  ps_sim_population p1, p2;
  assert_int_equal(ps_sim_population_create(5, 10000, 30, END_S, &p1), PS_OK);
  assert_int_equal(ps_sim_population_create(5, 10000, 30, END_S, &p2), PS_OK);
  size_t payers = 0, mobile = 0;
  for (size_t i = 0; i < p1.count; i++) {
    const ps_sim_player *p = &p1.players[i];
    assert_string_equal(p->user_id, p2.players[i].user_id);
    assert_int_equal(p->install_day, p2.players[i].install_day);
    assert_true(p->install_day >= 0 && p->install_day < 30);
    assert_true(is_uuid_v4(p->user_id));
    payers += (size_t)p->payer;
    mobile += (size_t)p->mobile;
  }
  assert_true(payers > 200 && payers < 800);   /* a paying minority, 2 to 8% */
  assert_true(mobile > 6000 && mobile < 8400); /* mostly phones */
  /* Builds come out in order; a lagging player updates later. */
  const ps_sim_player *p = &p1.players[0];
  assert_string_equal(ps_sim_build_at(&p1, p, p1.start_s), "1.3.2");
  assert_string_equal(ps_sim_build_at(&p1, p, END_S - 1), "1.4.1");
  ps_sim_rng r;
  ps_sim_rng_init(&r, 1, 1);
  for (int day = 0; day < 30; day++) {
    int64_t t = ps_sim_daily_time(&p1, p->region, day, &r);
    assert_true(t >= p1.start_s + day * 86400LL && t < p1.start_s + (day + 1) * 86400LL);
  }
  ps_sim_population_free(&p1);
  ps_sim_population_free(&p2);
  /* A tiny population still has a payer. */
  assert_int_equal(ps_sim_population_create(3, 1, 1, END_S, &p1), PS_OK);
  assert_true(p1.players[0].payer);
  ps_sim_population_free(&p1);
}

static void every_simulated_event_is_valid(void **state) {
  ps_schema_set *schemas = NULL;
  char err[256];
  assert_int_equal(ps_schema_set_create_embedded(&schemas, err, sizeof err), PS_OK);
  ps_sim_population pop;
  assert_int_equal(ps_sim_population_create(11, 300, 7, END_S, &pop), PS_OK);
  json_t *counts = json_object();
  json_t *uuids = json_object();
  size_t events = 0;
  for (size_t i = 0; i < pop.count; i++) {
    const ps_sim_player *p = &pop.players[i];
    ps_sim_rng behaviour, ids;
    ps_sim_rng_init(&behaviour, 1, p->stream);
    ps_sim_rng_init(&ids, 2, p->stream);
    ps_sim_ga_player st = {0};
    int64_t t0 = pop.start_s + p->install_day * 86400LL;
    for (int s = 0; s < 3; s++) {
      ps_sim_ga_session session;
      assert_int_equal(ps_sim_ga_play(&pop, p, &st, &behaviour, &ids, t0, &session), PS_OK);
      assert_true(session.end_ts >= t0 && session.end_ts < END_S);
      size_t k;
      json_t *e;
      json_array_foreach(session.events, k, e) {
        ps_violations v;
        const char *category = NULL;
        size_t bad = ps_schema_validate_event(schemas, e, &v, &category);
        if (bad) {
          char *text = json_dumps(e, JSON_COMPACT);
          fail_msg("invalid event (%s: %s): %s", v.items[0].field, v.items[0].message, text);
        }
        int64_t ts = json_integer_value(json_object_get(e, "client_ts"));
        assert_true(ts >= t0 && ts <= session.end_ts);
        assert_int_equal(json_integer_value(json_object_get(e, "session_num")), st.session_num);
        const char *uuid = json_string_value(json_object_get(e, "event_uuid"));
        assert_null(json_object_get(uuids, uuid));
        json_object_set_new(uuids, uuid, json_true());
        if (strcmp(category, "session_end") == 0)
          assert_int_equal(json_integer_value(json_object_get(e, "length")), ts - t0);
        json_t *n = json_object_get(counts, category);
        json_object_set_new(counts, category, json_integer(json_integer_value(n) + 1));
        events++;
      }
      t0 = session.end_ts + 3600;
      json_decref(session.events);
    }
  }
  static const char *const categories[] = {"user", "session_end", "business", "resource",
                                           "progression", "design", "error", "ads"};
  for (size_t c = 0; c < 8; c++)
    if (json_integer_value(json_object_get(counts, categories[c])) < 1)
      fail_msg("no %s event in %zu", categories[c], events);
  assert_int_equal(json_integer_value(json_object_get(counts, "user")), 3 * pop.count);
  json_decref(counts);
  json_decref(uuids);
  ps_sim_population_free(&pop);
  ps_schema_set_free(schemas);
}

static void error_answers_become_one_line_reasons(void **state) {
  static const struct {
    long status;
    const char *body, *reason;
  } cases[] = {
      {401, "{\"error\":\"unauthorized\",\"message\":\"wrong signature\"}", "HTTP 401: wrong signature"},
      {422, "{\"error\":{\"code\":422,\"error_ref\":13009,\"message\":\"Validation failed\","
            "\"errors\":{\"session_ts\":\"outside the window\"}}}",
       "HTTP 422: Validation failed; session_ts: outside the window"},
      {403, "{\"type\":\"about:blank\",\"title\":\"Forbidden\",\"status\":403,\"detail\":\"role viewer\"}",
       "HTTP 403: role viewer"},
      {400, "[{\"event_index\":3,\"errors\":[{\"field\":\"currency\",\"code\":\"pattern\","
            "\"message\":\"currency must match ^[A-Z]{3}$\"}]},{\"event_index\":4,\"errors\":[]}]",
       "HTTP 400: 2 event(s) rejected; event 3: currency: currency must match ^[A-Z]{3}$"},
      {502, "<html>\nBad gateway</html>", "HTTP 502: <html> Bad gateway</html>"},
      {500, "", "HTTP 500: (empty body)"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char out[PS_SIM_REASON_LEN];
    ps_sim_reason_of(cases[i].status, cases[i].body, strlen(cases[i].body), out);
    assert_string_equal(out, cases[i].reason);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rng_streams_are_deterministic_and_distinct),
      cmocka_unit_test(population_is_deterministic_and_plausible),
      cmocka_unit_test(every_simulated_event_is_valid),
      cmocka_unit_test(error_answers_become_one_line_reasons),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
