/* test_metrics_request.c: metrics-session request decoding (every client variant), the session
 * hash (the seed's test vector), and platform/portal folding. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ingest/metrics/platforms.h"
#include "ingest/metrics/request.h"
#include "ingest/metrics/session_hash.h"

static const char *const HASH = "ffb0e4d9504f791a2484bce797e3c8d529d48461d30fe33ce54b11823f02793b";

/* The seed's pseudocode example, computed independently with
 * printf '%s' "1,2,3,4,51721714604802bf7a...ff9a" | openssl dgst -sha256 -hmac 982dcdd0-... */
static void seed_test_vector(void **state) {
  char out[65];
  assert_int_equal(ps_session_hash("982dcdd0-3802-4f1f-87b0-e32b06481f27", "1,2,3,4,5",
                                   "1721714604802", "bf7a0136-0087-4a77-8f10-d1f57089770a",
                                   "13d7b51e-4183-4390-8c4e-cb028027ff9a", out),
                   0);
  assert_string_equal(out, HASH);
}

static void verify_start_and_heartbeat_forms(void **state) {
  const char *key = "982dcdd0-3802-4f1f-87b0-e32b06481f27";
  const char *sid = "bf7a0136-0087-4a77-8f10-d1f57089770a", *nonce = "n1";
  char start[65], beat[65], upper[65];
  ps_session_hash(key, "1,2", "1721714604", sid, nonce, start);
  ps_session_hash(key, NULL, "1721714604", sid, nonce, beat);
  assert_string_not_equal(start, beat); /* heartbeats and ends leave the ids out */
  assert_true(ps_session_hash_verify(key, "1,2", "1721714604", sid, nonce, start));
  assert_true(ps_session_hash_verify(key, NULL, "1721714604", sid, nonce, beat));
  for (int i = 0; i < 65; i++) upper[i] = (char)(start[i] >= 'a' ? start[i] - 32 : start[i]);
  assert_true(ps_session_hash_verify(key, "1,2", "1721714604", sid, nonce, upper));
  assert_false(ps_session_hash_verify(key, "1,2", "1721714604", sid, nonce, beat));
  assert_false(ps_session_hash_verify("other", "1,2", "1721714604", sid, nonce, start));
  assert_false(ps_session_hash_verify(key, "1,2", "1721714605", sid, nonce, start));
  assert_false(ps_session_hash_verify(key, "1,2", "1721714604", sid, "n2", start));
  assert_false(ps_session_hash_verify(key, "1,2", "1721714604", sid, nonce, "abc"));
  assert_false(ps_session_hash_verify(key, "1,2", "1721714604", sid, nonce, NULL));
}

static ps_msession_parse_result parse(ps_msession_kind kind, const char *type, const char *body,
                                      ps_msession_request *r, ps_field_errors *e) {
  return ps_msession_request_parse(kind, type, body, strlen(body), r, e);
}

static void json_start_with_numbers_in_seconds(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  const char *body =
      "{\"ids\":[238219,674839],\"session_id\":\"a4c3fabb-d8e9-4e31-be1e-b5c397f2447a\","
      "\"session_ts\":1727094362,\"session_hash\":\"" "c30809b9ae978a44108cfe009a70c2b0ea8dccfdf64bc7fc7b1fa5124a6c6fe3"
      "\",\"session_nonce\":\"xUXCFDlz8C9RqeFhzU\",\"session_order_id\":1}";
  assert_int_equal(parse(PS_MSESSION_START, "application/json", body, &r, &e), PS_MSESSION_OK);
  assert_string_equal(r.session_id, "a4c3fabb-d8e9-4e31-be1e-b5c397f2447a");
  assert_string_equal(r.ts_text, "1727094362");
  assert_int_equal(r.ts_ms, 1727094362000LL);
  assert_int_equal(r.order_id, 1);
  assert_int_equal(r.nmods, 2);
  assert_int_equal(r.mod_ids[1], 674839);
  assert_string_equal(r.ids_text, "238219,674839");
  assert_string_equal(r.nonce, "xUXCFDlz8C9RqeFhzU");
  ps_msession_request_free(&r);
}

static void json_strings_and_milliseconds(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  const char *body =
      "{\"ids\":[\"5\",\"7\"],\"session_id\":\"s\",\"session_ts\":\"1721714604802\","
      "\"session_hash\":\"FFB0E4D9504F791A2484BCE797E3C8D529D48461D30FE33CE54B11823F02793B\","
      "\"session_nonce\":\"n\",\"session_order_id\":\"2\"}";
  assert_int_equal(parse(PS_MSESSION_START, "application/json; charset=utf-8", body, &r, &e),
                   PS_MSESSION_OK);
  assert_string_equal(r.ts_text, "1721714604802"); /* hashed as sent */
  assert_int_equal(r.ts_ms, 1721714604802LL);
  assert_int_equal(r.order_id, 2);
  assert_string_equal(r.ids_text, "5,7");
  ps_msession_request_free(&r);
  /* ids as one comma-separated string (older Unity) */
  const char *as_string = "{\"ids\":\"5,7\",\"session_id\":\"s\",\"session_ts\":1721714604,"
                          "\"session_hash\":\"" "ffb0e4d9504f791a2484bce797e3c8d529d48461d30fe33ce54b11823f02793b"
                          "\",\"session_nonce\":\"n\",\"session_order_id\":1}";
  assert_int_equal(parse(PS_MSESSION_START, "application/json", as_string, &r, &e), PS_MSESSION_OK);
  assert_string_equal(r.ids_text, "5,7");
  assert_int_equal(r.nmods, 2);
  ps_msession_request_free(&r);
}

static void form_bodies(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  const char *form = "ids%5B%5D=3&ids[]=4&session_id=a+b&session_ts=1721714604&session_hash="
                     "ffb0e4d9504f791a2484bce797e3c8d529d48461d30fe33ce54b11823f02793b"
                     "&session_nonce=n%26m&session_order_id=1";
  assert_int_equal(parse(PS_MSESSION_START, "application/x-www-form-urlencoded", form, &r, &e),
                   PS_MSESSION_OK);
  assert_string_equal(r.ids_text, "3,4");
  assert_string_equal(r.session_id, "a b");
  assert_string_equal(r.nonce, "n&m");
  ps_msession_request_free(&r);
  const char *single = "ids=3,4,9&session_id=s&session_ts=1721714604802&session_hash="
                       "ffb0e4d9504f791a2484bce797e3c8d529d48461d30fe33ce54b11823f02793b"
                       "&session_nonce=n&session_order_id=3";
  assert_int_equal(parse(PS_MSESSION_START, "application/x-www-form-urlencoded", single, &r, &e),
                   PS_MSESSION_OK);
  assert_string_equal(r.ids_text, "3,4,9");
  assert_int_equal(r.order_id, 3);
  ps_msession_request_free(&r);
}

static void heartbeat_needs_no_ids(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  const char *body = "{\"session_id\":\"s\",\"session_ts\":1721714604,\"session_hash\":\""
                     "ffb0e4d9504f791a2484bce797e3c8d529d48461d30fe33ce54b11823f02793b"
                     "\",\"session_nonce\":\"n\",\"session_order_id\":2}";
  assert_int_equal(parse(PS_MSESSION_HEARTBEAT, "application/json", body, &r, &e), PS_MSESSION_OK);
  assert_null(r.ids_text);
  assert_int_equal(r.nmods, 0);
  ps_msession_request_free(&r);
  assert_int_equal(parse(PS_MSESSION_START, "application/json", body, &r, &e),
                   PS_MSESSION_INVALID_FIELDS);
  assert_int_equal(e.count, 1);
  assert_string_equal(e.items[0].field, "ids");
}

static int has_error(const ps_field_errors *e, const char *field) {
  for (size_t i = 0; i < e->count; i++)
    if (strcmp(e->items[i].field, field) == 0) return 1;
  return 0;
}

static void field_errors_are_reported_per_field(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  assert_int_equal(parse(PS_MSESSION_START, "application/json", "{}", &r, &e),
                   PS_MSESSION_INVALID_FIELDS);
  const char *fields[] = {"session_id", "session_ts", "session_hash", "session_nonce",
                          "session_order_id", "ids"};
  assert_int_equal(e.count, 6);
  for (size_t i = 0; i < 6; i++) assert_true(has_error(&e, fields[i]));
  const char *bad = "{\"ids\":[0,\"x\"],\"session_id\":5,\"session_ts\":17217146,"
                    "\"session_hash\":\"zz\",\"session_nonce\":\"\",\"session_order_id\":0}";
  assert_int_equal(parse(PS_MSESSION_START, "application/json", bad, &r, &e),
                   PS_MSESSION_INVALID_FIELDS);
  assert_int_equal(e.count, 6); /* each field once: ts has 8 digits, order id 0, ids 0 */
  const char *negative = "{\"session_id\":\"s\",\"session_ts\":-1721714604,\"session_hash\":\""
                         "ffb0e4d9504f791a2484bce797e3c8d529d48461d30fe33ce54b11823f02793b"
                         "\",\"session_nonce\":\"n\",\"session_order_id\":1.5}";
  assert_int_equal(parse(PS_MSESSION_END, "application/json", negative, &r, &e),
                   PS_MSESSION_INVALID_FIELDS);
  assert_true(has_error(&e, "session_ts"));
  assert_true(has_error(&e, "session_order_id"));
}

static void content_types_and_malformed_bodies(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  assert_int_equal(parse(PS_MSESSION_END, NULL, "{}", &r, &e), PS_MSESSION_NO_CONTENT_TYPE);
  assert_int_equal(parse(PS_MSESSION_END, "text/plain", "{}", &r, &e), PS_MSESSION_BAD_CONTENT_TYPE);
  assert_int_equal(parse(PS_MSESSION_END, "application/jsonx", "{}", &r, &e),
                   PS_MSESSION_BAD_CONTENT_TYPE);
  assert_int_equal(parse(PS_MSESSION_END, "application/json", "{", &r, &e), PS_MSESSION_MALFORMED);
  assert_int_equal(parse(PS_MSESSION_END, "application/json", "[1]", &r, &e), PS_MSESSION_MALFORMED);
}

/* What one request may hold is capped: its body (refused before parsing), its ids (the 1024th
 * is taken, the 1025th refused) and its errors (one per field, at most PS_MSESSION_MAX_ERRORS). */
static void requests_are_bounded(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  static char body[PS_MSESSION_MAX_BODY + 64];
  /* a start with n ids of "1", padded with blanks to exactly len bytes */
  for (int n = PS_MSESSION_MAX_MODS; n <= PS_MSESSION_MAX_MODS + 1; n++) {
    size_t at = (size_t)snprintf(body, sizeof body, "{\"ids\":[");
    for (int i = 0; i < n; i++) at += (size_t)snprintf(body + at, sizeof body - at, "%s1", i ? "," : "");
    snprintf(body + at, sizeof body - at,
             "],\"session_id\":\"s\",\"session_ts\":1721714604,\"session_hash\":\"%s\","
             "\"session_nonce\":\"n\",\"session_order_id\":1}", HASH);
    int rc = parse(PS_MSESSION_START, "application/json", body, &r, &e);
    if (n == PS_MSESSION_MAX_MODS) {
      assert_int_equal(rc, PS_MSESSION_OK);
      assert_int_equal(r.nmods, PS_MSESSION_MAX_MODS);
      ps_msession_request_free(&r);
    } else {
      assert_int_equal(rc, PS_MSESSION_INVALID_FIELDS);
      assert_true(has_error(&e, "ids"));
    }
  }
  memset(body, ' ', sizeof body - 1);
  body[sizeof body - 1] = '\0';
  memcpy(body, "{}", 2);
  body[PS_MSESSION_MAX_BODY] = '\0'; /* exactly the limit: parsed */
  assert_int_equal(parse(PS_MSESSION_END, "application/json", body, &r, &e),
                   PS_MSESSION_INVALID_FIELDS);
  body[PS_MSESSION_MAX_BODY] = ' ';
  body[PS_MSESSION_MAX_BODY + 1] = '\0'; /* one byte over: refused unparsed */
  assert_int_equal(parse(PS_MSESSION_END, "application/json", body, &r, &e), PS_MSESSION_TOO_LARGE);
  assert_int_equal(parse(PS_MSESSION_END, "application/x-www-form-urlencoded", body, &r, &e),
                   PS_MSESSION_TOO_LARGE);
  /* many bad fields still make at most PS_MSESSION_MAX_ERRORS errors */
  const char *bad = "{\"ids\":0,\"session_id\":1,\"session_ts\":\"x\",\"session_hash\":2,"
                    "\"session_nonce\":3,\"session_order_id\":\"y\",\"a\":1,\"b\":2}";
  assert_int_equal(parse(PS_MSESSION_START, "application/json", bad, &r, &e),
                   PS_MSESSION_INVALID_FIELDS);
  assert_true(e.count >= 1 && e.count <= PS_MSESSION_MAX_ERRORS);
}

/* A heartbeat body around the given session_id (a JSON value) and session_order_id. */
static ps_msession_parse_result heartbeat_with(const char *sid, const char *order,
                                               ps_msession_request *r, ps_field_errors *e) {
  char body[512];
  snprintf(body, sizeof body,
           "{\"session_id\":%s,\"session_ts\":1721714604,\"session_hash\":\"%s\","
           "\"session_nonce\":\"n\",\"session_order_id\":%s}", sid, HASH, order);
  return parse(PS_MSESSION_HEARTBEAT, "application/json", body, r, e);
}

/* The edge cases jansson decided before the decoder moved to json_doc, kept as they were. */
static void json_edge_cases(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  /* duplicate keys: the last value wins */
  const char *dup = "{\"session_id\":\"first\",\"session_ts\":1721714604,\"session_hash\":\"x\","
                    "\"session_nonce\":\"n\",\"session_order_id\":1,\"session_id\":\"last\","
                    "\"session_hash\":\"" "ffb0e4d9504f791a2484bce797e3c8d529d48461d30fe33ce54b11823f02793b" "\"}";
  assert_int_equal(parse(PS_MSESSION_HEARTBEAT, "application/json", dup, &r, &e), PS_MSESSION_OK);
  assert_string_equal(r.session_id, "last");
  ps_msession_request_free(&r);
  /* escapes are decoded; \u0000 is not JSON the decoder takes (json_loadb without ALLOW_NUL) */
  assert_int_equal(heartbeat_with("\"a\\\"b\\u00e9\\/\"", "1", &r, &e), PS_MSESSION_OK);
  assert_string_equal(r.session_id, "a\"b\xc3\xa9/");
  ps_msession_request_free(&r);
  assert_int_equal(heartbeat_with("\"a\\u0000b\"", "1", &r, &e), PS_MSESSION_MALFORMED);
  /* a session_id of exactly PS_MSESSION_MAX_TEXT bytes, then one more */
  char sid[PS_MSESSION_MAX_TEXT + 8];
  memset(sid, 'x', sizeof sid);
  sid[0] = '"';
  memcpy(sid + PS_MSESSION_MAX_TEXT + 1, "\"", 2);
  assert_int_equal(heartbeat_with(sid, "1", &r, &e), PS_MSESSION_OK);
  assert_int_equal(strlen(r.session_id), PS_MSESSION_MAX_TEXT);
  ps_msession_request_free(&r);
  memcpy(sid + PS_MSESSION_MAX_TEXT + 1, "x\"", 3);
  assert_int_equal(heartbeat_with(sid, "1", &r, &e), PS_MSESSION_INVALID_FIELDS);
  assert_string_equal(e.items[0].message, "session_id must be at most 128 characters");
  /* integers only: a real (even 1.0 or 1e0) is not an order id; nor true, null or nested */
  const char *not_ids[] = {"1.0", "1e0", "true", "null", "[1]", "{\"a\":1}", "\"\"", "\"1x\"",
                           "\"-1\"", "\" 1\""};
  for (size_t i = 0; i < sizeof not_ids / sizeof not_ids[0]; i++) {
    assert_int_equal(heartbeat_with("\"s\"", not_ids[i], &r, &e), PS_MSESSION_INVALID_FIELDS);
    assert_int_equal(e.count, 1);
    assert_string_equal(e.items[0].message, "session_order_id must be an integer of 1 or more");
  }
  /* an integer beyond int64 is not JSON the decoder takes (jansson: "too big integer") */
  assert_int_equal(heartbeat_with("\"s\"", "99999999999999999999", &r, &e), PS_MSESSION_MALFORMED);
  assert_int_equal(heartbeat_with("\"s\"", "\"9223372036854775807\"", &r, &e), PS_MSESSION_OK);
  assert_int_equal(r.order_id, INT64_MAX);
  ps_msession_request_free(&r);
  /* a session_id that is not a string */
  assert_int_equal(heartbeat_with("[\"s\"]", "1", &r, &e), PS_MSESSION_INVALID_FIELDS);
  assert_string_equal(e.items[0].message, "session_id must be a non-empty string");
  /* a raw NUL byte outside a string is refused; the one change from jansson, which took the
   * second of these for a number's end and then skipped it (json_doc.h) */
  const char nul[] = "{}\0", nul_in_array[] = "{\"a\":[2.5\0]}";
  assert_int_equal(ps_msession_request_parse(PS_MSESSION_END, "application/json", nul,
                                             sizeof nul - 1, &r, &e),
                   PS_MSESSION_MALFORMED);
  assert_int_equal(ps_msession_request_parse(PS_MSESSION_END, "application/json", nul_in_array,
                                             sizeof nul_in_array - 1, &r, &e),
                   PS_MSESSION_MALFORMED);
}

/* A start body around the given ids (a JSON value): its result, and e's first message. */
static ps_msession_parse_result start_with_ids(const char *ids, ps_msession_request *r,
                                               ps_field_errors *e) {
  char body[512];
  snprintf(body, sizeof body,
           "{\"ids\":%s,\"session_id\":\"s\",\"session_ts\":1721714604,\"session_hash\":\"%s\","
           "\"session_nonce\":\"n\",\"session_order_id\":1}", ids, HASH);
  return parse(PS_MSESSION_START, "application/json", body, r, e);
}

static void ids_edge_cases(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  const struct {
    const char *ids, *text; /* text: the ids as hashed, or the error message */
  } cases[] = {
      {"[1,\"2\",3]", "1,2,3"},
      {"\"5,7,\"", "5,7"}, /* a trailing comma is allowed */
      {"\"007\"", "007"},  /* hashed as sent */
      {"[]", "ids must hold at least one mod id"},
      {"\"\"", "ids must hold at least one mod id"},
      {"\"5,,7\"", "ids must be mod ids separated by commas"},
      {"\",5\"", "ids must be mod ids separated by commas"},
      {"\"5, 7\"", "ids must be mod ids separated by commas"},
      {"[[1]]", "ids must hold mod ids (integers)"},
      {"[1.0]", "ids must hold mod ids (integers)"},
      {"[-1]", "ids must hold mod ids (integers)"},
      {"[1,0]", "ids must be mod ids of 1 or more, got 0"},
      {"{\"0\":1}", "ids must be an array of mod ids"},
      {"7", "ids must be an array of mod ids"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ps_msession_parse_result rc = start_with_ids(cases[i].ids, &r, &e);
    if (rc == PS_MSESSION_OK) {
      assert_string_equal(r.ids_text, cases[i].text);
      ps_msession_request_free(&r);
    } else {
      assert_int_equal(rc, PS_MSESSION_INVALID_FIELDS);
      assert_int_equal(e.count, 1);
      assert_string_equal(e.items[0].message, cases[i].text);
    }
  }
}

static void form_edge_cases(void **state) {
  ps_msession_request r;
  ps_field_errors e;
  const char *form_type = "application/x-www-form-urlencoded";
  char form[512];
  /* the last of a repeated key wins; one ids[] is the string form; a NUL byte cuts a value and
   * a key (as jansson's json_string did); quotes, backslashes and control bytes are plain text */
  snprintf(form, sizeof form,
           "session_id=one&ids[]=4,5&session_id=a%%22b%%5C%%01c%%00cut&session_ts=1721714604"
           "&session_hash=%s&session_nonce%%00x=n&session_order_id=2&empty&=v", HASH);
  assert_int_equal(parse(PS_MSESSION_START, form_type, form, &r, &e), PS_MSESSION_OK);
  assert_string_equal(r.session_id, "a\"b\\\x01" "c");
  assert_string_equal(r.nonce, "n");
  assert_string_equal(r.ids_text, "4,5");
  ps_msession_request_free(&r);
  /* every form value is a string: digits are taken, anything else is a field error */
  snprintf(form, sizeof form,
           "ids=1&ids[0]=x&session_id=&session_ts=1.5&session_hash=%s&session_nonce=n"
           "&session_order_id=%%2B1", HASH);
  assert_int_equal(parse(PS_MSESSION_START, form_type, form, &r, &e), PS_MSESSION_INVALID_FIELDS);
  assert_int_equal(e.count, 4);
  assert_true(has_error(&e, "ids") && has_error(&e, "session_id") && has_error(&e, "session_ts") &&
              has_error(&e, "session_order_id"));
  /* a key or value that is not UTF-8 (even one no rule reads) is a malformed body (400), not
   * a 503 the client would retry for ever */
  assert_int_equal(parse(PS_MSESSION_END, form_type, "x=%FF", &r, &e), PS_MSESSION_MALFORMED);
  assert_int_equal(parse(PS_MSESSION_END, form_type, "%C0%80=1", &r, &e), PS_MSESSION_MALFORMED);
  assert_int_equal(parse(PS_MSESSION_END, form_type, "x=%C3%A9&&", &r, &e),
                   PS_MSESSION_INVALID_FIELDS);
  assert_int_equal(parse(PS_MSESSION_END, form_type, "", &r, &e), PS_MSESSION_INVALID_FIELDS);
  assert_int_equal(e.count, 5);
}

/* The decoder each thread keeps: decoding in a thread that then exits releases it (the
 * sanitizer build's leak check), and a thread's large body does not stay held. */
static void *decode_in_thread(void *arg) {
  ps_msession_request r;
  ps_field_errors e;
  (void)arg;
  if (start_with_ids("[1,2]", &r, &e) != PS_MSESSION_OK) return (void *)1;
  ps_msession_request_free(&r);
  return NULL;
}

static void decoders_are_per_thread(void **state) {
  pthread_t t;
  void *rc = (void *)1;
  assert_int_equal(pthread_create(&t, NULL, decode_in_thread, NULL), 0);
  assert_int_equal(pthread_join(t, &rc), 0);
  assert_null(rc);
  assert_null(decode_in_thread(NULL));
}

static void platforms_and_portals_fold_case(void **state) {
  assert_string_equal(ps_modio_platform("Windows"), "windows");
  assert_string_equal(ps_modio_platform("PS5"), "ps5");
  assert_string_equal(ps_modio_platform("amiga"), "unknown");
  assert_string_equal(ps_modio_platform(NULL), "unknown");
  assert_string_equal(ps_modio_portal("XboxLive"), "xboxlive");
  assert_string_equal(ps_modio_portal("PSN"), "psn");
  assert_string_equal(ps_modio_portal("Steam"), "steam");
  assert_string_equal(ps_modio_portal("origin"), "unknown");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(seed_test_vector),
      cmocka_unit_test(verify_start_and_heartbeat_forms),
      cmocka_unit_test(json_start_with_numbers_in_seconds),
      cmocka_unit_test(json_strings_and_milliseconds),
      cmocka_unit_test(form_bodies),
      cmocka_unit_test(heartbeat_needs_no_ids),
      cmocka_unit_test(field_errors_are_reported_per_field),
      cmocka_unit_test(content_types_and_malformed_bodies),
      cmocka_unit_test(requests_are_bounded),
      cmocka_unit_test(json_edge_cases),
      cmocka_unit_test(ids_edge_cases),
      cmocka_unit_test(form_edge_cases),
      cmocka_unit_test(decoders_are_per_thread),
      cmocka_unit_test(platforms_and_portals_fold_case),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
