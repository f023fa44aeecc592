/* test_ga_facts.c: what the collector extracts of a valid event (src/ingest/ga/facts.h) against
 * what the SQLite rollup read from the stored body with jansson (store/sqlite/ga_rollup.c:
 * json_string_value, json_integer_value, json_number_value, json_is_integer), member by
 * member, for the simulator's events (src/sim: every category, realistic values), the valid
 * events of fuzz/corpus/events, and crafted ones (duplicate keys,
 * reals where integers are expected, escapes, strings holding \u0000). */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/json_doc.h"
#include "ingest/ga/batch.h"
#include "ingest/ga/facts.h"
#include "schema/validator.h"
#include "sim/ga_session.h"
#include "sim/population.h"
#include "sim/rng.h"
#include "read_file.h"

static ps_schema_set *set;
static size_t checked;

/* Copies are kept until the end of one event's check. */
static char *copies[64];
static size_t ncopies;

static const char *copy(void *ctx, const char *s, size_t len) {
  if (ncopies == sizeof copies / sizeof *copies) return NULL;
  char *c = malloc(len + 1);
  memcpy(c, s, len);
  c[len] = '\0';
  return copies[ncopies++] = c;
}

static void same_text(const char *what, const char *got, const json_t *event, const char *name) {
  const char *want = json_string_value(json_object_get(event, name));
  if (!want || !got) {
    if (want != got) fail_msg("%s: %s is %s, jansson %s", what, name, got ? got : "NULL", want ? want : "NULL");
    return;
  }
  if (strcmp(want, got) != 0) fail_msg("%s: %s is \"%s\", jansson \"%s\"", what, name, got, want);
}

/* Checks one text: when it is a valid event, its facts against jansson's reading. */
static void check(ps_json_doc *doc, const char *what, const char *text, size_t len) {
  if (ps_json_doc_parse(doc, text, len, NULL, 0) != PS_OK) return;
  ps_violations v;
  const char *category = NULL;
  if (ps_schema_validate_doc(set, doc, 0, &v, &category) != 0) return;
  json_t *event = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
  assert_non_null(event);
  ps_record r = {.category = category};
  ps_event_facts f = {0};
  assert_int_equal(ps_ga_extract(doc, 0, &r, &f, copy, NULL), PS_OK);
  same_text(what, r.event_uuid, event, "event_uuid");
  same_text(what, r.user_id, event, "user_id");
  same_text(what, r.session_id, event, "session_id");
  const char *names[] = {"platform", "build", "os_version", "custom_01", "custom_02",
                         "custom_03", "currency", "event_id", "severity", "message",
                         "ad_action", "ad_sdk_name", "ad_type", "ad_placement"};
  const char *got[] = {f.platform, f.build, f.os_version, f.custom_01, f.custom_02,
                       f.custom_03, f.currency, f.event_id, f.severity, f.message,
                       f.ad_action, f.ad_sdk_name, f.ad_type, f.ad_placement};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) same_text(what, got[i], event, names[i]);
  json_t *ts = json_object_get(event, "client_ts");
  assert_int_equal(r.has_client_ts, json_is_number(ts));
  assert_int_equal(f.client_ts_is_integer, json_is_integer(ts));
  if (json_is_integer(ts)) assert_true(r.client_ts == (int64_t)json_integer_value(ts));
  json_t *amount = json_object_get(event, "amount");
  assert_true(f.amount == (int64_t)json_integer_value(amount));
  assert_int_equal(f.has_amount, json_is_integer(amount));
  json_t *length = json_object_get(event, "length");
  assert_true(f.length == (int64_t)json_integer_value(length));
  assert_int_equal(f.has_length, json_is_integer(length));
  json_t *attempt = json_object_get(event, "attempt_num");
  assert_true(f.attempt_num == (int64_t)json_integer_value(attempt));
  assert_int_equal(f.has_attempt_num, json_is_integer(attempt));
  int resource = strcmp(category, "resource") == 0, design = strcmp(category, "design") == 0;
  json_t *value = resource ? amount : design ? json_object_get(event, "value") : NULL;
  assert_true(f.value == json_number_value(value));
  assert_int_equal(f.has_value, json_is_number(value));
  json_decref(event);
  while (ncopies) free(copies[--ncopies]);
  checked++;
}

static void crafted(void **state) {
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  const char *head = "{\"category\":\"%s\",\"v\":2,\"user_id\":\"u\\u00e9\",\"session_id\":"
                     "\"6f2c6e4e-7c1d-4b6a-9a1e-3f1d2c3b4a5e\",\"session_num\":1,"
                     "\"client_ts\":%s,\"sdk_version\":\"rest api v2\",\"os_version\":"
                     "\"ios 17.1\",\"manufacturer\":\"apple\",\"device\":\"iPhone\",\"platform\":"
                     "\"ios\",\"platform\":\"android\",\"build\":\"1.0\\u0000x\"%s}";
  struct {
    const char *category, *ts, *tail;
  } cases[] = {
      {"business", "1700000000", ",\"event_id\":\"a:b\",\"amount\":99,\"currency\":\"USD\",\"transaction_num\":1"},
      {"business", "1700000000.0", ",\"event_id\":\"a:b\",\"amount\":99.0,\"currency\":\"USD\",\"transaction_num\":1"},
      {"resource", "1700000000", ",\"event_id\":\"Sink:gold:shop:sword\",\"amount\":2.5"},
      {"design", "1700000000", ",\"event_id\":\"a:b\",\"value\":3,\"value\":4.25"},
      {"progression", "1700000000", ",\"event_id\":\"Complete:w1\",\"attempt_num\":3,\"score\":10"},
      {"progression", "1700000000", ",\"event_id\":\"Fail:w1\",\"attempt_num\":3.0"},
      {"session_end", "1700000000", ",\"length\":120"},
      {"error", "1700000000", ",\"severity\":\"error\",\"message\":\"line\\nnext\""},
      {"user", "1700000000", ""},
  };
  char text[4096];
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    int n = snprintf(text, sizeof text, head, cases[i].category, cases[i].ts, cases[i].tail);
    size_t before = checked;
    check(&doc, cases[i].category, text, (size_t)n);
    if (checked == before) fail_msg("crafted case %zu is not a valid event: %s", i, text);
  }
  ps_json_doc_free(&doc);
}

/* Every valid event of one corpus file's array. */
static void check_file(const char *name, const char *text, size_t len, void *ctx) {
  ps_json_slice *slices = NULL;
  size_t count = 0;
  if (ps_json_array_split(text, len, 0, &slices, &count) == PS_OK)
    for (size_t i = 0; i < count; i++) check(ctx, name, slices[i].text, slices[i].len);
  free(slices);
}

static void events_corpus(void **state) {
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  size_t before = checked;
  assert_true(ps_test_each_corpus_file("events", check_file, &doc) >= 0);
  ps_json_doc_free(&doc);
  /* The corpus is mostly fuzzer mutations: few of its events (today none) are valid. */
  fprintf(stderr, "corpus: %zu valid events checked\n", checked - before);
}

/* The simulator's players (src/sim/ga_session.h), as a client would send them. */
static void simulated_events(void **state) {
  ps_sim_population pop;
  assert_int_equal(ps_sim_population_create(11, 200, 7, 1795392000, &pop), PS_OK);
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  size_t before = checked, sent = 0;
  for (size_t i = 0; i < pop.count; i++) {
    const ps_sim_player *p = &pop.players[i];
    ps_sim_rng behaviour, ids;
    ps_sim_rng_init(&behaviour, 1, p->stream);
    ps_sim_rng_init(&ids, 2, p->stream);
    ps_sim_ga_player st = {0};
    int64_t t0 = pop.start_s + p->install_day * 86400LL;
    for (int s = 0; s < 2; s++) {
      ps_sim_ga_session session;
      assert_int_equal(ps_sim_ga_play(&pop, p, &st, &behaviour, &ids, t0, &session), PS_OK);
      size_t k;
      json_t *e;
      json_array_foreach(session.events, k, e) {
        char *text = json_dumps(e, JSON_COMPACT);
        check(&doc, "simulated", text, strlen(text));
        free(text);
        sent++;
      }
      t0 = session.end_ts + 3600;
      json_decref(session.events);
    }
  }
  ps_sim_population_free(&pop);
  ps_json_doc_free(&doc);
  fprintf(stderr, "simulated: %zu of %zu events checked\n", checked - before, sent);
  assert_int_equal(checked - before, sent);
}

static int setup(void **state) {
  char err[256];
  return ps_schema_set_create_embedded(&set, err, sizeof err);
}

static int teardown(void **state) {
  ps_schema_set_free(set);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(crafted),
      cmocka_unit_test(simulated_events),
      cmocka_unit_test(events_corpus),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
