/* test_so_event.c: multiplayer session events (ingest/sessions/event.h) and RFC 3339
 * timestamps (common/rfc3339.h): every type's payload accepted as in the seed's sample, each
 * rule refused with the field named, the timestamp normalised, gameMode taken out, player id
 * slots listed in order of appearance; anonymisation (ingest/sessions/anonymizer.h) against a
 * real store: numbers by first appearance, stable within a session, independent across
 * sessions, kept across a restart, and no real id in what would be stored. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/rfc3339.h"
#include "ingest/sessions/anonymizer.h"
#include "ingest/sessions/event.h"
#include "store/store.h"

/* ---- RFC 3339 ---- */

static void rfc3339_round_trips(void **state) {
  (void)state;
  int64_t ms;
  char text[PS_RFC3339_LEN + 1];
  assert_int_equal(ps_rfc3339_parse("2024-03-19T22:12:47.847Z", &ms), PS_OK);
  assert_true(ms == 1710886367847LL);
  ps_rfc3339_format(ms, text);
  assert_string_equal(text, "2024-03-19T22:12:47.847Z");
  assert_int_equal(ps_rfc3339_parse("2024-03-19T23:12:47.8479999+01:00", &ms), PS_OK);
  assert_true(ms == 1710886367847LL);
  assert_int_equal(ps_rfc3339_parse("2024-03-19t22:12:47z", &ms), PS_OK);
  assert_true(ms == 1710886367000LL);
  assert_int_equal(ps_rfc3339_parse("2024-02-29T00:00:00.5Z", &ms), PS_OK);
  ps_rfc3339_format(ms, text);
  assert_string_equal(text, "2024-02-29T00:00:00.500Z");
  ps_rfc3339_format(0, text);
  assert_string_equal(text, "1970-01-01T00:00:00.000Z");
  static const char *const bad[] = {
      "", "2024-03-19", "2024-03-19T22:12:47", "2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z",
      "2024-03-19T24:00:00Z", "2024-03-19T22:60:00Z", "2024-03-19T22:12:60Z",
      "2024-03-19T22:12:47.Z", "2024-03-19T22:12:47.1234567891Z", "2024-03-19T22:12:47+0100",
      "2024-03-19T22:12:47Zjunk", "1969-12-31T23:59:59Z", "yesterday"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (ps_rfc3339_parse(bad[i], &ms) != PS_EINVAL) fail_msg("accepted %s", bad[i]);
}

/* ---- events ---- */

static int parse_text(const char *text, ps_so_event *ev, char *err) {
  json_error_t jerr;
  json_t *v = json_loads(text, 0, &jerr);
  if (!v) fail_msg("bad test JSON %s: %s", text, jerr.text);
  int rc = ps_so_event_parse(v, ev, err, 256);
  json_decref(v);
  return rc;
}

static const char sample_match[] =
    "{\"type\":\"match.created\",\"timestamp\":\"2024-03-19T22:12:47.847Z\","
    "\"gameMode\":{\"poolId\":\"p1\",\"poolName\":\"default-pool\",\"queueId\":\"q1\","
    "\"queueName\":\"default-queue\"},"
    "\"appliedRules\":[{\"context\":\"Team\",\"name\":\"Blue Team\",\"reference\":500}],"
    "\"teams\":[{\"id\":\"t1\",\"name\":\"Red Team\",\"playerIds\":[\"alice\",\"bob\"]},"
    "{\"id\":\"t2\",\"name\":\"Blue Team\",\"playerIds\":[\"carol\"]}]}";

static void match_created_is_prepared(void **state) {
  (void)state;
  ps_so_event ev;
  char err[256];
  assert_int_equal(parse_text(sample_match, &ev, err), PS_OK);
  assert_string_equal(ev.type, "match.created");
  assert_true(ev.ts_ms == 1710886367847LL);
  assert_string_equal(ev.pool_id, "p1");
  assert_string_equal(ev.pool_name, "default-pool");
  assert_string_equal(ev.queue_id, "q1");
  assert_string_equal(ev.queue_name, "default-queue");
  assert_null(json_object_get(ev.body, "gameMode"));
  assert_int_equal(ev.nplayer_slots, 3);
  assert_string_equal(json_string_value(ev.player_slots[0]), "alice");
  assert_string_equal(json_string_value(ev.player_slots[2]), "carol");
  assert_false(ev.backfill);
  ps_so_event_free(&ev);
}

static void every_type_is_accepted(void **state) {
  (void)state;
  static const char *const good[] = {
      "{\"type\":\"allocation.requested\",\"timestamp\":\"2024-03-19T22:12:47.981Z\",\"regionId\":\"eu\"}",
      "{\"type\":\"allocation.succeeded\",\"timestamp\":\"2024-03-19T22:12:48.237Z\"}",
      "{\"type\":\"allocation.failed\",\"timestamp\":\"2024-03-19T22:12:48.237Z\",\"reason\":\"no capacity\"}",
      "{\"type\":\"players.assigned\",\"timestamp\":\"2024-03-19T22:12:49.198Z\",\"assignmentStatus\":\"Found\","
      "\"players\":[{\"id\":\"alice\",\"customData\":{\"Skill\":2000},\"qosResults\":[],\"ticketId\":\"tk1\"}]}",
      "{\"type\":\"backfill.match.created\",\"timestamp\":\"2024-03-19T22:13:00Z\",\"backfillTicketId\":\"bf1\","
      "\"teams\":[{\"playerIds\":[\"dave\"]}]}",
      "{\"type\":\"players.connected\",\"timestamp\":\"2024-03-19T22:13:01Z\",\"players\":[{\"id\":\"erin\"}]}",
      "{\"type\":\"players.disconnected\",\"timestamp\":\"2024-03-19T22:13:02Z\",\"players\":[{\"id\":\"erin\"}]}",
  };
  for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
    ps_so_event ev;
    char err[256] = "";
    if (parse_text(good[i], &ev, err) != PS_OK) fail_msg("refused %s: %s", good[i], err);
    ps_so_event_free(&ev);
  }
  ps_so_event ev;
  char err[256];
  assert_int_equal(parse_text(good[0], &ev, err), PS_OK);
  assert_string_equal(ev.region_id, "eu");
  ps_so_event_free(&ev);
  assert_int_equal(parse_text(good[3], &ev, err), PS_OK);
  assert_int_equal(ev.nticket_ids, 1);
  assert_string_equal(ev.ticket_ids[0], "tk1");
  ps_so_event_free(&ev);
  assert_int_equal(parse_text(good[4], &ev, err), PS_OK);
  assert_true(ev.backfill);
  assert_string_equal(ev.ticket_ids[0], "bf1");
  char text[PS_RFC3339_LEN + 1];
  ps_rfc3339_format(ev.ts_ms, text);
  assert_string_equal(json_string_value(json_object_get(ev.body, "timestamp")), text);
  ps_so_event_free(&ev);
}

/* teams and players hold real ids in any event: an event type that does not define them still
 * has them checked and listed as player slots (found by fuzz_so_event: they were kept as
 * unknown extra fields and stored as sent). */
static void player_members_of_any_type_are_slots(void **state) {
  (void)state;
  static const struct {
    const char *text;
    size_t slots;
  } cases[] = {
      {"{\"type\":\"allocation.failed\",\"timestamp\":\"2024-03-19T22:12:48Z\","
       "\"players\":[{\"id\":\"real-1\"}]}", 1},
      {"{\"type\":\"allocation.succeeded\",\"timestamp\":\"2024-03-19T22:12:48Z\","
       "\"teams\":[{\"playerIds\":[\"real-1\",\"real-2\"]}],\"players\":[{\"id\":\"real-3\"}]}", 3},
      {"{\"type\":\"players.connected\",\"timestamp\":\"2024-03-19T22:12:48Z\","
       "\"players\":[{\"id\":\"real-1\"}],\"teams\":[{\"playerIds\":[\"real-2\"]}]}", 2},
      {"{\"type\":\"match.created\",\"timestamp\":\"2024-03-19T22:12:48Z\","
       "\"teams\":[{\"playerIds\":[\"real-1\"]}],\"players\":[{\"id\":\"real-2\"}]}", 2},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    ps_so_event ev;
    char err[256] = "";
    if (parse_text(cases[i].text, &ev, err) != PS_OK) fail_msg("refused %s: %s", cases[i].text, err);
    assert_int_equal(ev.nplayer_slots, cases[i].slots);
    ps_so_event_free(&ev);
  }
  /* and they must be well-formed there too */
  ps_so_event ev;
  char err[256] = "";
  assert_int_equal(parse_text("{\"type\":\"allocation.failed\",\"timestamp\":\"2024-03-19T22:12:48Z\","
                              "\"players\":[{\"id\":7}]}", &ev, err), PS_EINVAL);
  assert_non_null(strstr(err, "players[0].id"));
}

/* An event names at most PS_SO_MAX_PLAYERS_PER_EVENT players in at most PS_SO_MAX_TEAMS teams. */
static void events_are_bounded(void **state) {
  (void)state;
  for (int n = PS_SO_MAX_PLAYERS_PER_EVENT; n <= PS_SO_MAX_PLAYERS_PER_EVENT + 1; n++) {
    json_t *ids = json_array(), *players = json_array();
    for (int i = 0; i < n; i++) {
      char id[16];
      snprintf(id, sizeof id, "p%d", i);
      if (i % 2) json_array_append_new(ids, json_string(id));
      else json_array_append_new(players, json_pack("{s:s}", "id", id));
    }
    json_t *ev = json_pack("{s:s,s:s,s:o,s:[{s:o}]}", "type", "players.assigned", "timestamp",
                           "2024-03-19T22:12:48Z", "players", players, "teams", "playerIds", ids);
    ps_so_event out;
    char err[256] = "";
    int rc = ps_so_event_parse(ev, &out, err, sizeof err);
    if (n == PS_SO_MAX_PLAYERS_PER_EVENT) {
      assert_int_equal(rc, PS_OK);
      assert_int_equal(out.nplayer_slots, n);
      ps_so_event_free(&out);
    } else {
      assert_int_equal(rc, PS_EINVAL);
      assert_non_null(strstr(err, "at most 1000 player ids"));
    }
    json_decref(ev);
  }
  json_t *teams = json_array();
  for (int i = 0; i <= PS_SO_MAX_TEAMS; i++) json_array_append_new(teams, json_pack("{s:[]}", "playerIds"));
  json_t *ev = json_pack("{s:s,s:s,s:o}", "type", "match.created", "timestamp",
                         "2024-03-19T22:12:48Z", "teams", teams);
  ps_so_event out;
  char err[256] = "";
  assert_int_equal(ps_so_event_parse(ev, &out, err, sizeof err), PS_EINVAL);
  assert_non_null(strstr(err, "teams: at most 100 teams"));
  json_decref(ev);
}

static void bad_events_name_their_field(void **state) {
  (void)state;
  static const struct {
    const char *text, *field;
  } bad[] = {
      {"[]", "event"},
      {"{\"timestamp\":\"2024-03-19T22:12:47.847Z\"}", "type"},
      {"{\"type\":\"match.started\",\"timestamp\":\"2024-03-19T22:12:47.847Z\"}", "type"},
      {"{\"type\":\"allocation.succeeded\"}", "timestamp"},
      {"{\"type\":\"allocation.succeeded\",\"timestamp\":\"19/03/2024\"}", "timestamp"},
      {"{\"type\":\"allocation.succeeded\",\"timestamp\":1710886367}", "timestamp"},
      {"{\"type\":\"match.created\",\"timestamp\":\"2024-03-19T22:12:47.847Z\"}", "teams"},
      {"{\"type\":\"match.created\",\"timestamp\":\"2024-03-19T22:12:47.847Z\",\"teams\":[{}]}",
       "teams[0].playerIds"},
      {"{\"type\":\"match.created\",\"timestamp\":\"2024-03-19T22:12:47.847Z\","
       "\"teams\":[{\"playerIds\":[\"a\",\"\"]}]}",
       "teams[0].playerIds[1]"},
      {"{\"type\":\"match.created\",\"timestamp\":\"2024-03-19T22:12:47.847Z\","
       "\"teams\":[{\"playerIds\":[]}],\"gameMode\":{\"poolId\":7}}",
       "gameMode.poolId"},
      {"{\"type\":\"match.created\",\"timestamp\":\"2024-03-19T22:12:47.847Z\","
       "\"teams\":[{\"playerIds\":[]}],\"appliedRules\":{}}",
       "appliedRules"},
      {"{\"type\":\"allocation.requested\",\"timestamp\":\"2024-03-19T22:12:47.847Z\"}", "regionId"},
      {"{\"type\":\"players.assigned\",\"timestamp\":\"2024-03-19T22:12:47.847Z\"}", "players"},
      {"{\"type\":\"players.assigned\",\"timestamp\":\"2024-03-19T22:12:47.847Z\","
       "\"players\":[{\"ticketId\":\"t\"}]}",
       "players[0].id"},
      {"{\"type\":\"players.assigned\",\"timestamp\":\"2024-03-19T22:12:47.847Z\","
       "\"players\":[{\"id\":\"a\",\"customData\":[]}]}",
       "players[0].customData"},
      {"{\"type\":\"players.assigned\",\"timestamp\":\"2024-03-19T22:12:47.847Z\","
       "\"assignmentStatus\":\"Lost\",\"players\":[]}",
       "assignmentStatus"},
      {"{\"type\":\"players.connected\",\"timestamp\":\"2024-03-19T22:12:47.847Z\",\"players\":[1]}",
       "players[0]"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ps_so_event ev;
    char err[256] = "";
    if (parse_text(bad[i].text, &ev, err) != PS_EINVAL) fail_msg("accepted %s", bad[i].text);
    size_t len = strlen(bad[i].field);
    if (strncmp(err, bad[i].field, len) != 0 || err[len] != ':')
      fail_msg("%s: message '%s' does not start with '%s:'", bad[i].text, err, bad[i].field);
    /* Player ids never appear in messages. */
    assert_null(strstr(err, "\"a\""));
  }
}

/* ---- anonymisation against a real store ---- */

static char dir[] = "/tmp/playstat-anon-XXXXXX";

static ps_stores open_store(void) {
  ps_stores s;
  ps_store_options o = {0};
  const char *why = NULL;
  char url[64];
  snprintf(url, sizeof url, "sqlite:%s", dir);
  assert_int_equal(ps_stores_open(url, NULL, &o, &s, &why), PS_OK);
  return s;
}

/* Anonymises text (one event) for key and stores it; returns the stored body (malloc'd). */
static char *anonymize_and_store(ps_stores *store, ps_so_anonymizer *a, const ps_so_key *key,
                                 const char *text) {
  ps_so_event ev;
  char err[256], salt[65];
  assert_int_equal(parse_text(text, &ev, err), PS_OK);
  ps_so_anonymized anon;
  assert_int_equal(ps_so_anonymizer_apply(a, key, &ev, 1, &anon, salt), PS_OK);
  char *body = json_dumps(ev.body, JSON_COMPACT | JSON_SORT_KEYS);
  char event_key[65];
  snprintf(event_key, sizeof event_key, "%064zu", strlen(body) * 7919 + (size_t)ev.ts_ms);
  ps_so_event_record so = {.session = *key, .event_key = event_key, .type = ev.type,
                           .ts_ms = ev.ts_ms, .body = body, .body_len = strlen(body),
                           .salt = salt, .players = anon.players, .nplayers = anon.nplayers,
                           .ticket_ids = ev.ticket_ids, .nticket_ids = ev.nticket_ids,
                           .pool_id = ev.pool_id, .pool_name = ev.pool_name,
                           .queue_id = ev.queue_id, .queue_name = ev.queue_name,
                           .region_id = ev.region_id, .backfill = ev.backfill};
  ps_record r = {.kind = PS_RECORD_SO_EVENT, .so_event = &so};
  ps_record_span span = {&r, 1};
  /* What the ingest writer does (ingest/queue.c): the anonymisation first, then the append. */
  assert_int_equal(store->state->ops->apply(store->state, &span, 1,
                                            PS_RECORD_BIT(PS_RECORD_SO_EVENT)),
                   PS_OK);
  assert_int_equal(store->events->ops->append(store->events, &span, 1), PS_OK);
  assert_int_equal(store->state->ops->apply(store->state, &span, 1,
                                            PS_RECORD_BIT(PS_RECORD_MSESSION)),
                   PS_OK);
  ps_so_anonymizer_finish(a, key, 1);
  ps_so_anonymized_free(&anon);
  ps_so_event_free(&ev);
  return body;
}

static void players_are_numbered_per_session(void **state) {
  (void)state;
  assert_non_null(mkdtemp(dir));
  ps_stores stores = open_store(), *store = &stores;
  ps_so_anonymizer *a;
  assert_int_equal(ps_so_anonymizer_create(store->state, &a), PS_OK);
  ps_so_key one = {"proj", "env", "session-1"}, two = {"proj", "env", "session-2"};
  char *b1 = anonymize_and_store(store, a, &one, sample_match);
  assert_non_null(strstr(b1, "\"playerIds\":[\"Player 1\",\"Player 2\"]"));
  assert_non_null(strstr(b1, "\"playerIds\":[\"Player 3\"]"));
  assert_null(strstr(b1, "alice"));
  /* carol first, then a new player: carol keeps 3, frank gets 4 */
  char *b2 = anonymize_and_store(store, a, &one,
      "{\"type\":\"players.assigned\",\"timestamp\":\"2024-03-19T22:12:49.198Z\","
      "\"players\":[{\"id\":\"carol\"},{\"id\":\"frank\"},{\"id\":\"alice\"}]}");
  assert_non_null(strstr(b2, "\"id\":\"Player 3\"}"));
  assert_non_null(strstr(b2, "\"id\":\"Player 4\"}"));
  assert_non_null(strstr(b2, "\"id\":\"Player 1\"}"));
  /* Another session: carol first there, so she is Player 1 */
  char *b3 = anonymize_and_store(store, a, &two,
      "{\"type\":\"players.connected\",\"timestamp\":\"2024-03-19T22:12:49.198Z\","
      "\"players\":[{\"id\":\"carol\"}]}");
  assert_non_null(strstr(b3, "\"id\":\"Player 1\""));
  /* A restart (new anonymiser, store reopened) keeps session one's numbers. */
  ps_so_anonymizer_free(a);
  ps_stores_close(store);
  stores = open_store();
  assert_int_equal(ps_so_anonymizer_create(store->state, &a), PS_OK);
  char *b4 = anonymize_and_store(store, a, &one,
      "{\"type\":\"players.disconnected\",\"timestamp\":\"2024-03-19T22:14:00.000Z\","
      "\"players\":[{\"id\":\"frank\"},{\"id\":\"gina\"}]}");
  assert_non_null(strstr(b4, "[{\"id\":\"Player 4\"},{\"id\":\"Player 5\"}]"));
  ps_so_session s;
  assert_int_equal(store->events->ops->so_session_get(store->events, &one, &s, NULL, NULL),
                   PS_OK);
  assert_true(s.players == 5);
  assert_string_equal(s.pool_name, "default-pool");
  assert_true(s.created_ms == 1710886367847LL);
  assert_true(s.backfill);
  ps_so_anonymizer_free(a);
  ps_stores_close(store);
  free(b1);
  free(b2);
  free(b3);
  free(b4);
  /* No file of the store holds a real player id. */
  char cmd[256];
  snprintf(cmd, sizeof cmd, "grep -rqaE 'alice|bob|carol|frank|gina' '%s'", dir);
  assert_int_not_equal(system(cmd), 0);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(rfc3339_round_trips),
      cmocka_unit_test(match_created_is_prepared),
      cmocka_unit_test(every_type_is_accepted),
      cmocka_unit_test(player_members_of_any_type_are_slots),
      cmocka_unit_test(events_are_bounded),
      cmocka_unit_test(bad_events_name_their_field),
      cmocka_unit_test(players_are_numbered_per_session),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
