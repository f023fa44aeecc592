/* test_msession_registry.c: the metrics-session state rules (ingest/metrics/registry.h), with
 * a fake store that knows one stored session ("stored", player "p", order 4, nonce "old" of a
 * heartbeat with order 4 received at 999000), resends included. */
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
  ps_msession_nonce old = {"old", PS_MSESSION_REC_HEARTBEAT, 4, 0, 999000};
  return visit(&old, ctx);
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
  ps_msession_registry_begin(reg, 1, player, (ps_msession_request[]){req(kind, sid, nonce, order)}, \
                             now, NULL)

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
  assert_int_equal(ps_msession_registry_begin(reg, 2, "p", &other, t, NULL), PS_MSR_OK);
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

/* A resend (same nonce, kind, order id, session_ts, ids, player) is a duplicate that changes
 * nothing and tells when it was first accepted, whatever became of the session; anything else
 * with a used nonce is still refused. */
static void resends_are_duplicates_and_reuses_are_refused(void **state) {
  ps_msession_registry *reg;
  int64_t when = -1;
  assert_int_equal(ps_msession_registry_create(&fake_store, 300000, &reg), PS_OK);
  ps_msession_request start = req(PS_MSESSION_START, "r", "s1", 1);
  start.ts_ms = 1700000000000;
  start.ids_text = "1,2";
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &start, 5000, &when), PS_MSR_OK);
  assert_true(when == 5000);
  ps_msession_request hb = req(PS_MSESSION_HEARTBEAT, "r", "h2", 2);
  hb.ts_ms = 1700000150000;
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &hb, 6000, &when), PS_MSR_OK);
  /* the same heartbeat again, later: a duplicate, first accepted at 6000 */
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &hb, 7000, &when), PS_MSR_DUPLICATE);
  assert_true(when == 6000);
  /* the same start again: a duplicate too; with other ids it is a second start */
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &start, 7000, &when), PS_MSR_DUPLICATE);
  assert_true(when == 5000);
  ps_msession_request start2 = start;
  start2.ids_text = "1,3";
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &start2, 7000, NULL), PS_MSR_EXISTS);
  /* the nonce with another order id, session_ts, kind or player is refused */
  ps_msession_request reuse = hb;
  reuse.order_id = 3;
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &reuse, 7000, NULL), PS_MSR_REPLAY);
  reuse = hb;
  reuse.ts_ms += 1000;
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &reuse, 7000, NULL), PS_MSR_REPLAY);
  reuse = hb;
  reuse.kind = PS_MSESSION_END;
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &reuse, 7000, NULL), PS_MSR_REPLAY);
  assert_int_equal(ps_msession_registry_begin(reg, 1, "q", &hb, 7000, NULL), PS_MSR_UNKNOWN);
  /* duplicates did not advance the session: order 2 and a receive time of 6000 still rule */
  ps_msession_request next = req(PS_MSESSION_END, "r", "e3", 2);
  next.ts_ms = 1700000200000;
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &next, 6000 + 300001, NULL),
                   PS_MSR_UNKNOWN); /* timed out: the duplicates did not keep it alive */
  /* ... and a resend still succeeds once the session is over */
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &hb, 6000 + 300001, &when),
                   PS_MSR_DUPLICATE);
  /* a session loaded from the store (after a restart) knows its requests too */
  ps_msession_request old = req(PS_MSESSION_HEARTBEAT, "stored", "old", 4);
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &old, 1000000, &when), PS_MSR_DUPLICATE);
  assert_true(when == 999000);
  old.order_id = 5;
  assert_int_equal(ps_msession_registry_begin(reg, 1, "p", &old, 1000000, NULL), PS_MSR_REPLAY);
  ps_msession_registry_free(reg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lifecycle_and_refusals),
      cmocka_unit_test(timeout_closes_a_session),
      cmocka_unit_test(state_is_loaded_from_the_store_and_reloaded_after_a_failed_commit),
      cmocka_unit_test(long_sessions_still_catch_every_replay),
      cmocka_unit_test(resends_are_duplicates_and_reuses_are_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
