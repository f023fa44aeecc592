/* test_msession_registry.c: the metrics-session state rules (ingest/metrics/registry.h), with
 * a fake store that knows one stored session ("stored", player "p", order 4, nonce "old"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "ingest/metrics/registry.h"

static int loads;

static int fake_load(ps_state_store *s, int64_t game, const char *sid, ps_msession_state *out,
                     ps_nonce_visitor visit, void *ctx) {
  loads++;
  if (strcmp(sid, "stored") != 0) return PS_ENOTFOUND;
  memset(out, 0, sizeof *out);
  strcpy(out->player, "p");
  out->max_order_id = 4;
  out->ended = 0;
  out->last_received_ms = 1000000;
  return visit("old", ctx);
}

static const ps_state_store_ops fake_ops = {.name = "fake", .msession_load = fake_load};
static ps_state_store fake_store = {&fake_ops};

static ps_msession_request req(ps_msession_kind kind, const char *sid, const char *nonce,
                               int64_t order) {
  ps_msession_request r = {.kind = kind, .order_id = order};
  strcpy(r.session_id, sid);
  strcpy(r.nonce, nonce);
  return r;
}

#define BEGIN(kind, sid, nonce, order, player, now) \
  ps_msession_registry_begin(reg, 1, player, (ps_msession_request[]){req(kind, sid, nonce, order)}, now)

static void lifecycle_and_refusals(void **state) {
  ps_msession_registry *reg;
  assert_int_equal(ps_msession_registry_create(&fake_store, 300000, &reg), PS_OK);
  int64_t t = 1000000;
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n0", 2, "p", t), PS_MSR_UNKNOWN);
  assert_int_equal(BEGIN(PS_MSESSION_START, "s", "n1", 1, "p", t), PS_MSR_OK);
  assert_int_equal(BEGIN(PS_MSESSION_START, "s", "n9", 1, "p", t), PS_MSR_EXISTS);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n2", 2, "p", t), PS_MSR_OK);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n2", 3, "p", t), PS_MSR_REPLAY);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n3", 1, "p", t), PS_MSR_ORDER);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n4", 2, "p", t), PS_MSR_OK); /* equal order */
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n5", 3, "other", t), PS_MSR_UNKNOWN);
  assert_int_equal(BEGIN(PS_MSESSION_END, "s", "n6", 3, "p", t), PS_MSR_OK);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n7", 4, "p", t), PS_MSR_UNKNOWN);
  /* The same session id in another game is another session. */
  ps_msession_request other = req(PS_MSESSION_START, "s", "n1", 1);
  assert_int_equal(ps_msession_registry_begin(reg, 2, "p", &other, t), PS_MSR_OK);
  ps_msession_registry_free(reg);
}

static void timeout_closes_a_session(void **state) {
  ps_msession_registry *reg;
  assert_int_equal(ps_msession_registry_create(&fake_store, 1000, &reg), PS_OK);
  assert_int_equal(BEGIN(PS_MSESSION_START, "s", "n1", 1, "p", 5000), PS_MSR_OK);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n2", 2, "p", 6000), PS_MSR_OK);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "s", "n3", 3, "p", 7001), PS_MSR_UNKNOWN);
  ps_msession_registry_free(reg);
}

static void state_is_loaded_from_the_store_and_reloaded_after_a_failed_commit(void **state) {
  ps_msession_registry *reg;
  assert_int_equal(ps_msession_registry_create(&fake_store, 300000, &reg), PS_OK);
  loads = 0;
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "stored", "old", 5, "p", 1000000), PS_MSR_REPLAY);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "stored", "x", 3, "p", 1000000), PS_MSR_ORDER);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "stored", "x", 5, "p", 1000000), PS_MSR_OK);
  assert_int_equal(loads, 1);
  /* The commit of "x" failed: the registry forgets it and asks the store again. */
  ps_msession_registry_finish(reg, 1, "stored", 0);
  assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "stored", "x", 5, "p", 1000000), PS_MSR_OK);
  assert_int_equal(loads, 2);
  ps_msession_registry_free(reg);
}

static void long_sessions_still_catch_every_replay(void **state) {
  ps_msession_registry *reg;
  char nonce[32];
  assert_int_equal(ps_msession_registry_create(&fake_store, 300000, &reg), PS_OK);
  assert_int_equal(BEGIN(PS_MSESSION_START, "long", "n0", 1, "p", 1000), PS_MSR_OK);
  for (int i = 1; i <= 5000; i++) {
    snprintf(nonce, sizeof nonce, "n%d", i);
    assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "long", nonce, i + 1, "p", 1000), PS_MSR_OK);
  }
  for (int i = 0; i <= 5000; i += 397) { /* early and late nonces, at a higher order id */
    snprintf(nonce, sizeof nonce, "n%d", i);
    assert_int_equal(BEGIN(PS_MSESSION_HEARTBEAT, "long", nonce, 9999, "p", 1000), PS_MSR_REPLAY);
  }
  assert_int_equal(BEGIN(PS_MSESSION_END, "long", "fresh", 9999, "p", 1000), PS_MSR_OK);
  ps_msession_registry_free(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lifecycle_and_refusals),
      cmocka_unit_test(timeout_closes_a_session),
      cmocka_unit_test(state_is_loaded_from_the_store_and_reloaded_after_a_failed_commit),
      cmocka_unit_test(long_sessions_still_catch_every_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
