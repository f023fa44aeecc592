/* test_sdk_field_check.c: the direct check of an event call's fields (sdk/field_check.h)
 * against the validator of the collector (src/schema/) with the same schemas. For thousands
 * of event ids (random ones over the allowed characters and their neighbours: separators,
 * whitespace a pattern's \s does or does not take, a trailing newline, non-ASCII and invalid
 * UTF-8, segments of 0 to 70 bytes, 0 to 7 of them) and numbers, design and resource events:
 *  - the direct check never accepts an event the validator refuses;
 *  - it accepts every one the validator accepts (so the call's fast path is the one taken);
 *  - its memo changes no answer (every id is checked twice, the second time from the memo
 *    when it matched).
 * The validator sees the event as the call writes it: the members as JSON text, with the
 * library's event_uuid and client_ts, against the "own" schemas (event_text.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/json_doc.h"
#include "sdk/event_text.h"
#include "sdk/field_check.h"

static ps_schema_set *own, *fast;
static ps_sdk_field_checker checker;

static int setup(void **state) {
  (void)state;
  char err[256];
  if (ps_sdk_own_schemas_create2(&own, &fast, err, sizeof err) != PS_OK || !fast) return -1;
  ps_sdk_field_checker_init(&checker);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  ps_sdk_field_checker_release(&checker);
  ps_schema_set_free(own);
  ps_schema_set_free(fast);
  return 0;
}

/* The validator's verdict on {"category":category,"event_id":id[,number_name:number],
 * "event_uuid":...,"client_ts":...} written as the call writes it: 1 valid, 0 not, -1 the text
 * does not parse (the call then fails with E_NOMEM). */
static int validator_says(const char *category, const char *id, const char *number_name,
                          double number) {
  ps_buf b = {0};
  assert_int_equal(ps_buf_append(&b, "{\"category\":", 12), PS_OK);
  assert_int_equal(ps_buf_append_json_string(&b, category, strlen(category)), PS_OK);
  assert_int_equal(ps_buf_append(&b, ",\"event_id\":", 12), PS_OK);
  assert_int_equal(ps_buf_append_json_string(&b, id, strlen(id)), PS_OK);
  if (number_name) {
    assert_int_equal(ps_buf_append(&b, ",\"", 2), PS_OK);
    assert_int_equal(ps_buf_append(&b, number_name, strlen(number_name)), PS_OK);
    assert_int_equal(ps_buf_append(&b, "\":", 2), PS_OK);
    assert_int_equal(ps_sdk_json_append_real(&b, number), PS_OK);
  }
  static const char tail[] =
      ",\"event_uuid\":\"0f8fad5b-d9cb-469f-a165-70867728950e\",\"client_ts\":1764650000}";
  assert_int_equal(ps_buf_append(&b, tail, sizeof tail - 1), PS_OK);
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  int verdict = -1;
  if (ps_json_doc_parse(&doc, b.data, b.len, NULL, 0) == PS_OK) {
    ps_violations v;
    const char *cat = NULL;
    size_t bad = ps_schema_validate_doc(own, &doc, 0, &v, &cat);
    assert_non_null(cat);
    size_t bad_fast = ps_schema_validate_doc(fast, &doc, 0, &v, &cat);
    assert_int_equal(bad == 0, bad_fast == 0); /* the fast set: the same verdict here */
    verdict = bad == 0;
  }
  ps_json_doc_free(&doc);
  ps_buf_free(&b);
  return verdict;
}

static int direct_says(const char *category, const char *id, const char *number_name,
                       double number) {
  ps_sdk_field f[3] = {{.name = "category", .s = category, .len = strlen(category)},
                       {.name = "event_id", .s = id, .len = strlen(id)},
                       {.name = number_name, .d = number}};
  return ps_sdk_fields_valid(&checker, fast, category, f, number_name ? 3 : 2);
}

/* Compares the two on one event; counts the valid ones. */
static void compare(const char *category, const char *id, const char *number_name, double number,
                    size_t *valid) {
  int truth = validator_says(category, id, number_name, number);
  for (int pass = 0; pass < 2; pass++) {
    int direct = direct_says(category, id, number_name, number);
    if (direct != (truth == 1))
      fail_msg("%s event_id \"%s\" (pass %d): validator %d, direct check %d", category, id, pass,
               truth, direct);
  }
  if (truth == 1) (*valid)++;
}

static uint64_t rng_state = 0x853c49e6748fea9bull;
static uint32_t next_random(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33);
}

/* A random event id: segments of pieces drawn from what the patterns allow and what they
 * refuse, joined by ':' (sometimes by something else). */
static void random_id(char *out, size_t cap, const char *first_segment) {
  static const char *const pieces[] = {
      "a", "Z", "0", "9", "_", "-", ".", "(", ")", "!", "?", " ", "\t", "\n", "\r", "\v", "\f",
      "Kill", "Orc", "x", "#", "/", "*", "\xc3\xa9" /* é */, "\xe2\x80\x83" /* em space */,
      "\xc2\xa0" /* nbsp */, "\xff" /* invalid */, "\xc3" /* cut */, "Sink", "Source", ":",
      "\x7f"};
  size_t len = 0;
  out[0] = '\0';
  unsigned segments = next_random() % 8;
  for (unsigned s = 0; s < segments; s++) {
    if (s || (first_segment && s == 0)) {
      if (s == 0 && first_segment) {
        len += (size_t)snprintf(out + len, cap - len, "%s:", first_segment);
      } else {
        const char *sep = next_random() % 10 ? ":" : "::";
        len += (size_t)snprintf(out + len, cap - len, "%s", sep);
      }
    }
    unsigned pick = next_random() % 4;
    unsigned target = pick == 0 ? next_random() % 4 : pick == 1 ? 60 + next_random() % 8
                                                                : 1 + next_random() % 20;
    size_t start = len;
    while (len - start < target && len + 8 < cap) {
      const char *p = next_random() % 12 ? pieces[next_random() % 4] /* mostly plain */
                                        : pieces[next_random() % (sizeof pieces / sizeof *pieces)];
      len += (size_t)snprintf(out + len, cap - len, "%s", p);
    }
  }
  if (len && next_random() % 16 == 0) len += (size_t)snprintf(out + len, cap - len, "\n");
}

static void direct_check_agrees_with_the_validator(void **state) {
  (void)state;
  static const char *const fixed[] = {
      "Kill:Orc", "a", "a:b:c:d:e", "a:b:c:d:e:f", "", ":", "a:", ":a", "a::b", "a b", "a\tb",
      "a\n", "a:b\n", "a\nb", "\n",
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",   /* 64 */
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  /* 65 */
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", /* 64 + \n */
      "Sink:Gems:Boost:X", "Source:Gems:Boost:X", "Spend:Gems:Boost:X", "Sink:Gem5:Boost:X",
      "Sink:Gems:Boost", "Sink:Gems:Boost:X:Y", "Sink:Gems:Boost:X\n", "caf\xc3\xa9", "\xff"};
  size_t valid = 0, total = 0;
  for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
    compare("design", fixed[i], NULL, 0, &valid);
    compare("design", fixed[i], "value", 2.5, &valid);
    compare("resource", fixed[i], "amount", 1, &valid);
    total += 3;
  }
  assert_true(valid > 0);
  const double numbers[] = {0, -1, 2.5, 1e300, -0.0, 9007199254740993.0, 1e-300, 123456789.125};
  char id[1024];
  for (int i = 0; i < 20000; i++) {
    int resource = i % 3 == 2;
    random_id(id, sizeof id, resource ? (next_random() % 2 ? "Sink" : "Source") : NULL);
    double d = numbers[next_random() % (sizeof numbers / sizeof *numbers)];
    if (resource) compare("resource", id, "amount", d, &valid);
    else compare("design", id, i % 3 ? "value" : NULL, d, &valid);
    total++;
  }
  print_message("%zu events, %zu valid\n", total, valid);
  assert_true(valid > total / 20 && valid < total); /* both verdicts were exercised */
}

/* What the check does not decide is left to the validator: never accepted here. */
static void undecided_is_not_accepted(void **state) {
  (void)state;
  /* an unknown category, a required member left out */
  ps_sdk_field cat = {.name = "category", .s = "nosuch", .len = 6};
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "nosuch", &cat, 1), 0);
  ps_sdk_field only_category = {.name = "category", .s = "design", .len = 6};
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "design", &only_category, 1), 0);
  /* business: transaction_num has a minimum, amount must be an integer */
  ps_sdk_field business[] = {{.name = "category", .s = "business", .len = 8},
                             {.name = "event_id", .s = "Gems:Pack", .len = 9},
                             {.name = "amount", .d = 99},
                             {.name = "currency", .s = "USD", .len = 3},
                             {.name = "transaction_num", .d = 1}};
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "business", business, 5), 0);
  business[2].d = 99.5;
  business[4].name = "unused";
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "business", business, 5), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(direct_check_agrees_with_the_validator),
      cmocka_unit_test(undecided_is_not_accepted),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
