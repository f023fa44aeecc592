/* test_store_latest.c: the event store's latest() (store/events.h), the read API's live feed,
 * against every backend of the store fixture (SQLite; ClickHouse and its two-shard cluster
 * under tests/servers/conformance-clickhouse.sh): newest arrival first, at most the limit, each
 * event once however often it was appended, one game's only, the visitor's stop, and limits
 * outside 1..PS_LATEST_MAX refused. Expected answers come from what each case stored. */
#include "store_fixture.h"

/* Lets a backend make what was appended readable (ClickHouse ships its spool in maintain). */
static void settle(fixture *f) {
  assert_int_equal(f->s.events->ops->maintain(f->s.events, 1700000100000LL), PS_OK);
}

static seen latest(fixture *f, int64_t game, size_t limit) {
  seen s = {0};
  assert_int_equal(f->s.events->ops->latest(f->s.events, game, limit, seen_visit, &s), PS_OK);
  return s;
}

#define STORED 40

static void latest_is_newest_first_and_stops_at_the_limit(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f), other = new_game(f);
  static char uuids[STORED + 1][64], bodies[STORED + 1][64];
  ps_record r[STORED + 1];
  for (int i = 0; i < STORED; i++) {
    unique(uuids[i], sizeof uuids[i]);
    snprintf(bodies[i], sizeof bodies[i], "{\"k\":%d}", i);
    /* arrival order is i's order: received_ms grows, and appends come in that order */
    r[i] = event(g.id, NULL, i % 3 ? "design" : "progression", bodies[i]);
    r[i].received_ms = 1700000000000LL + 1000 * i;
  }
  snprintf(bodies[STORED], sizeof bodies[STORED], "{\"other\":1}");
  r[STORED] = event(other.id, NULL, "user", bodies[STORED]);
  r[STORED].received_ms = 1700000000000LL + 1000 * STORED + 500; /* newer than all of g's */
  store_records(f, r, 25);
  store_records(f, &r[25], STORED + 1 - 25);
  settle(f);

  seen s = latest(f, g.id, 5);
  assert_int_equal(s.n, 5);
  for (int i = 0; i < 5; i++) {
    int k = STORED - 1 - i;
    assert_string_equal(s.body[i], bodies[k]);
    assert_string_equal(s.category[i], k % 3 ? "design" : "progression");
    assert_true(s.received_ms[i] == 1700000000000LL + 1000 * k);
    assert_true(s.game_id[i] == g.id);
  }
  /* a limit above what the game holds: every event of it, newest first */
  s = latest(f, g.id, PS_LATEST_MAX);
  assert_int_equal(s.n, STORED);
  for (int i = 0; i < 32; i++) assert_string_equal(s.body[i], bodies[STORED - 1 - i]);
  /* another game's events are its own */
  s = latest(f, other.id, PS_LATEST_MAX);
  assert_int_equal(s.n, 1);
  assert_string_equal(s.body[0], bodies[STORED]);
  ps_game empty = new_game(f);
  assert_int_equal(latest(f, empty.id, 10).n, 0);
}

static void latest_lists_a_resent_event_once(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  char uuid_a[64], uuid_b[64], a[64], b[64];
  unique(uuid_a, sizeof uuid_a);
  unique(uuid_b, sizeof uuid_b);
  /* GA event uuids are 32 hex digits: the run's unique text padded into one */
  char ua[40], ub[40];
  snprintf(ua, sizeof ua, "%08x-0000-4000-8000-%012x", (unsigned)strtoul(uuid_a, NULL, 16), 1u);
  snprintf(ub, sizeof ub, "%08x-0000-4000-8000-%012x", (unsigned)strtoul(uuid_b, NULL, 16), 2u);
  snprintf(a, sizeof a, "{\"event_uuid\":\"%s\"}", ua);
  snprintf(b, sizeof b, "{\"event_uuid\":\"%s\"}", ub);
  ps_record first[2] = {event(g.id, ua, "design", a), event(g.id, ub, "design", b)};
  first[0].received_ms = 1700000000000LL;
  first[1].received_ms = 1700000001000LL;
  store_records(f, first, 2);
  ps_record again = event(g.id, ua, "design", a); /* the client resends a */
  again.received_ms = 1700000000500LL;
  store_records(f, &again, 1);
  settle(f);
  seen s = latest(f, g.id, 10);
  assert_int_equal(s.n, 2);
  assert_string_equal(s.body[0], b);
  assert_string_equal(s.body[1], a);
}

static void latest_stops_where_the_visitor_does_and_refuses_bad_limits(void **state) {
  fixture *f = *state;
  ps_game g = new_game(f);
  ps_record r[3] = {event(g.id, NULL, "user", "{\"i\":1}"), event(g.id, NULL, "user", "{\"i\":2}"),
                    event(g.id, NULL, "user", "{\"i\":3}")};
  for (int i = 0; i < 3; i++) r[i].received_ms = 1700000000000LL + i;
  store_records(f, r, 3);
  settle(f);
  seen stop = {.stop_at = 2};
  assert_int_equal(f->s.events->ops->latest(f->s.events, g.id, 3, seen_visit, &stop), 7);
  assert_int_equal(stop.n, 2);
  seen none = {0};
  assert_int_equal(f->s.events->ops->latest(f->s.events, g.id, 0, seen_visit, &none), PS_EINVAL);
  assert_int_equal(f->s.events->ops->latest(f->s.events, g.id, PS_LATEST_MAX + 1, seen_visit, &none),
                   PS_EINVAL);
  assert_int_equal(none.n, 0);
}

#define CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

static const struct CMUnitTest cases[] = {
    CASE(latest_is_newest_first_and_stops_at_the_limit),
    CASE(latest_lists_a_resent_event_once),
    CASE(latest_stops_where_the_visitor_does_and_refuses_bad_limits),
};

int main(void) { return fixture_run("store latest", cases, sizeof cases / sizeof *cases); }
