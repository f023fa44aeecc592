/* test_sdk_field_check.c: the direct check of an event call's fields (sdk/field_check.h)
 * against the validator of the collector (src/schema/) with the same schemas. For thousands
 * of event ids (random ones over the allowed characters and their neighbours: separators,
 * whitespace a pattern's \s does or does not take, a trailing newline, non-ASCII and invalid
 * UTF-8, segments of 0 to 70 bytes, 0 to 7 of them) and numbers, design and resource events:
 *  - the direct check never accepts an event the validator refuses;
 *  - it accepts every one the validator accepts (so the call's fast path is the one taken);
 *  - its memo changes no answer (every id is checked twice, the second time from the memo
 *    when it matched).
 * Business and progression events likewise (bounded counters, a text without a pattern, exact
 * integers beyond 2^53): never more lenient, and the same verdict under 2^53.
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

/* The validator's verdict on the event of fields {"name":value,...,"event_uuid":...,
 * "client_ts":...} written as the call writes it (strings escaped, an integer field's exact
 * digits, a real as ps_sdk_json_append_real gives it): 1 valid, 0 not, -1 the text does not
 * parse (the call then fails with E_NOMEM). */
static int validator_says_fields(const ps_sdk_field *f, size_t n) {
  ps_buf b = {0};
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(ps_buf_append(&b, i ? ",\"" : "{\"", 2), PS_OK);
    assert_int_equal(ps_buf_append(&b, f[i].name, strlen(f[i].name)), PS_OK);
    assert_int_equal(ps_buf_append(&b, "\":", 2), PS_OK);
    if (f[i].s) {
      assert_int_equal(ps_buf_append_json_string(&b, f[i].s, f[i].len), PS_OK);
    } else if (f[i].integer) {
      char digits[24];
      int len = snprintf(digits, sizeof digits, "%lld", (long long)f[i].i);
      assert_int_equal(ps_buf_append(&b, digits, (size_t)len), PS_OK);
    } else {
      assert_int_equal(ps_sdk_json_append_real(&b, f[i].d), PS_OK);
    }
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

/* A design or resource event: the category, the id and a number (when number_name). */
static size_t simple_fields(ps_sdk_field f[3], const char *category, const char *id,
                            const char *number_name, double number) {
  f[0] = (ps_sdk_field){.name = "category", .s = category, .len = strlen(category)};
  f[1] = (ps_sdk_field){.name = "event_id", .s = id, .len = strlen(id)};
  f[2] = (ps_sdk_field){.name = number_name, .d = number};
  return number_name ? 3 : 2;
}

static int validator_says(const char *category, const char *id, const char *number_name,
                          double number) {
  ps_sdk_field f[3];
  return validator_says_fields(f, simple_fields(f, category, id, number_name, number));
}

static int direct_says(const char *category, const char *id, const char *number_name,
                       double number) {
  ps_sdk_field f[3];
  return ps_sdk_fields_valid(&checker, fast, category, f,
                             simple_fields(f, category, id, number_name, number));
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

/* A random text for cart_type: mostly plain, with what UTF-8 validity (valid multi-byte
 * characters, invalid, cut, overlong, surrogate and out-of-range sequences), escapes and the
 * 32-character bound turn on. */
static void random_text(char *out, size_t cap) {
  static const char *const pieces[] = {
      "a", "Z", "0", " ", "\n", "\t", "\"", "\\", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
      "\xf0\x9f\x8e\xae", "\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
      "\xe0\x80\xaf"};
  size_t len = 0;
  out[0] = '\0';
  unsigned target = next_random() % 40;
  for (unsigned i = 0; i < target && len + 8 < cap; i++) {
    const char *p = next_random() % 4 ? pieces[next_random() % 4]
                                      : pieces[next_random() % (sizeof pieces / sizeof *pieces)];
    len += (size_t)snprintf(out + len, cap - len, "%s", p);
  }
}

/* Compares the direct check with the validator on one event given as fields (fields[0]: the
 * category): never more lenient; and when exact (every bounded number under 2^53 in size),
 * the same verdict. Counts the valid ones and the ones the direct check accepted. */
static void compare_fields(const ps_sdk_field *f, size_t n, int exact, size_t *valid,
                           size_t *accepted) {
  int truth = validator_says_fields(f, n);
  for (int pass = 0; pass < 2; pass++) {
    int direct = ps_sdk_fields_valid(&checker, fast, f[0].s, f, n);
    if ((direct && truth != 1) || (exact && truth == 1 && !direct))
      fail_msg("%s event_id \"%s\" (%zu fields, pass %d): validator %d, direct check %d", f[0].s,
               f[1].s, n, pass, truth, direct);
    if (pass == 0 && direct) (*accepted)++;
  }
  if (truth == 1) (*valid)++;
}

static ps_sdk_field text_field(const char *name, const char *s) {
  return (ps_sdk_field){.name = name, .s = s, .len = strlen(s)};
}

static ps_sdk_field integer_field(const char *name, int64_t i) {
  return (ps_sdk_field){.name = name, .d = (double)i, .integer = 1, .i = i};
}

#define BIG ((int64_t)1 << 53)

/* Business (transaction_num has a minimum, cart_type a length and no pattern, amount any
 * integer) and progression (attempt_num has a minimum, score any integer) events as the
 * calls give them, against the validator. */
static void counters_and_texts_agree_with_the_validator(void **state) {
  (void)state;
  static const int64_t amounts[] = {0, 99, -5, BIG + 1, INT64_MAX, INT64_MIN};
  static const int64_t counters[] = {0, 1, 41, -1, BIG - 1, BIG, BIG + 1, INT64_MAX, INT64_MIN};
  static const char *const currencies[] = {"USD", "EUR", "usd", "US", "USDX", "\xc3\xa9UR"};
  static const char *const statuses[] = {"Start:", "Fail:", "Complete:", "Begin:"};
  size_t valid = 0, accepted = 0, total = 0;
  char id[1024], cart[512], progression_id[1100];
  for (int i = 0; i < 12000; i++) {
    ps_sdk_field f[6];
    size_t n = 0;
    int exact = 1;
    static const char *const plain[] = {"Gems:Pack1", "World1", "World1:L2:S3", "W 1.(a)!?"};
    if (next_random() % 2) random_id(id, sizeof id, NULL);
    else snprintf(id, sizeof id, "%s", plain[next_random() % (sizeof plain / sizeof *plain)]);
    if (i % 2 == 0) {
      int64_t transaction = counters[next_random() % (sizeof counters / sizeof *counters)];
      f[n++] = text_field("category", "business");
      f[n++] = text_field("event_id", id);
      f[n++] = integer_field("amount", amounts[next_random() % (sizeof amounts / sizeof *amounts)]);
      f[n++] = text_field("currency", currencies[next_random() % (sizeof currencies / sizeof *currencies)]);
      if (next_random() % 3) {
        random_text(cart, sizeof cart);
        f[n++] = text_field("cart_type", cart);
      }
      f[n++] = integer_field("transaction_num", transaction);
      exact = transaction > -BIG && transaction < BIG;
    } else {
      snprintf(progression_id, sizeof progression_id, "%s%s",
               statuses[next_random() % (sizeof statuses / sizeof *statuses)], id);
      f[n++] = text_field("category", "progression");
      f[n++] = text_field("event_id", progression_id);
      if (next_random() % 2)
        f[n++] = integer_field("score", amounts[next_random() % (sizeof amounts / sizeof *amounts)]);
      if (next_random() % 3) {
        int64_t attempt = counters[next_random() % (sizeof counters / sizeof *counters)];
        f[n++] = integer_field("attempt_num", attempt);
        exact = attempt > -BIG && attempt < BIG;
      }
    }
    compare_fields(f, n, exact, &valid, &accepted);
    total++;
  }
  print_message("%zu business and progression events, %zu valid, %zu accepted directly\n", total,
                valid, accepted);
  assert_true(valid > total / 20 && valid < total); /* both verdicts were exercised */
  assert_true(accepted > valid / 2);
}

/* What the check does not decide is left to the validator: never accepted here. */
static void undecided_is_not_accepted(void **state) {
  (void)state;
  /* an unknown category, a required member left out */
  ps_sdk_field cat = {.name = "category", .s = "nosuch", .len = 6};
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "nosuch", &cat, 1), 0);
  ps_sdk_field only_category = {.name = "category", .s = "design", .len = 6};
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "design", &only_category, 1), 0);
  /* business: transaction_num within its minimum is decided, one of 2^53 or more is not
   * (a double no longer holds every integer there); amount must be an integer */
  ps_sdk_field business[] = {{.name = "category", .s = "business", .len = 8},
                             {.name = "event_id", .s = "Gems:Pack", .len = 9},
                             {.name = "amount", .d = 99},
                             {.name = "currency", .s = "USD", .len = 3},
                             integer_field("transaction_num", 1)};
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "business", business, 5), 1);
  business[4] = integer_field("transaction_num", BIG);
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "business", business, 5), 0);
  business[4] = integer_field("transaction_num", 1);
  business[2].d = 99.5;
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "business", business, 5), 0);
  business[2].d = 99;
  business[4].name = "unused"; /* the required transaction_num left out */
  assert_int_equal(ps_sdk_fields_valid(&checker, fast, "business", business, 5), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(direct_check_agrees_with_the_validator),
      cmocka_unit_test(counters_and_texts_agree_with_the_validator),
      cmocka_unit_test(undecided_is_not_accepted),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
