/* test_ecb_rates.c: the ECB euro-reference CSV reader (src/insights/ecb_rates.h): both of the
 * ECB's layouts (the history file and the daily file) read to the exact rates, N/A and empty
 * fields absent, and every refusal naming its line; the currency rules of src/store/currency.h
 * the state stores check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "insights/ecb_rates.h"
#include "store/currency.h"

#define DEC_01 20788 /* 2026-12-01, days since 1970-01-01 */

static int parse(const char *text, ps_ecb_rates *out, char *why, size_t cap) {
  return ps_ecb_rates_parse(text, strlen(text), out, why, cap);
}

static void assert_rate(const ps_rate *r, int64_t day, const char *code, double per_eur) {
  assert_int_equal(r->day, day);
  assert_string_equal(r->currency, code);
  assert_true(r->per_eur == per_eur);
}

/* eurofxref-hist.csv as the ECB writes it: newest day first, every line ending in a comma, N/A
 * for a currency not quoted that day; here with a byte-order mark, CRLF and a blank line. */
static void the_history_layout_is_read_exactly(void **state) {
  (void)state;
  const char *text = "\xEF\xBB\xBF" "Date,USD,JPY,BRL,\r\n"
                     "2026-12-01,1.0552,158.32,N/A,\r\n"
                     "\r\n"
                     "2026-11-30,1.0561,158.9,6.1234,\r\n"
                     "2026-11-27,1.05,,6.2,\r\n";
  ps_ecb_rates r;
  char why[256];
  assert_int_equal(parse(text, &r, why, sizeof why), PS_OK);
  assert_int_equal(r.ncurrencies, 3);
  assert_string_equal(r.currencies[0], "USD");
  assert_string_equal(r.currencies[2], "BRL");
  assert_int_equal(r.days, 3);
  assert_int_equal(r.first_day, DEC_01 - 4);
  assert_int_equal(r.last_day, DEC_01);
  assert_int_equal(r.n, 7);
  assert_rate(&r.rates[0], DEC_01, "USD", 1.0552);
  assert_rate(&r.rates[1], DEC_01, "JPY", 158.32);
  assert_rate(&r.rates[2], DEC_01 - 1, "USD", 1.0561);
  assert_rate(&r.rates[3], DEC_01 - 1, "JPY", 158.9);
  assert_rate(&r.rates[4], DEC_01 - 1, "BRL", 6.1234);
  assert_rate(&r.rates[5], DEC_01 - 4, "USD", 1.05);
  assert_rate(&r.rates[6], DEC_01 - 4, "BRL", 6.2);
  ps_buf summary = {0};
  assert_int_equal(ps_ecb_rates_summary(&r, &summary), PS_OK);
  assert_string_equal(summary.data, "{\"rates\":7,\"days\":3,\"from\":\"2026-11-27\","
                                    "\"to\":\"2026-12-01\",\"currencies\":[\"USD\",\"JPY\",\"BRL\"]}");
  ps_buf_free(&summary);
  ps_ecb_rates_free(&r);
  assert_null(r.rates);
}

/* eurofxref.csv, the latest day: spaces after the commas and the date written out. */
static void the_daily_layout_is_read(void **state) {
  (void)state;
  ps_ecb_rates r;
  char why[256];
  assert_int_equal(parse("Date, USD, JPY, \n1 December 2026, 1.0552, 158.32, \n", &r, why,
                         sizeof why),
                   PS_OK);
  assert_int_equal(r.n, 2);
  assert_rate(&r.rates[0], DEC_01, "USD", 1.0552);
  assert_rate(&r.rates[1], DEC_01, "JPY", 158.32);
  ps_ecb_rates_free(&r);
  assert_int_equal(parse("Date,USD\n01 December 2026,2\n1999-01-04,1.1789", &r, why, sizeof why),
                   PS_OK);
  assert_int_equal(r.n, 2);
  assert_rate(&r.rates[0], DEC_01, "USD", 2);
  assert_rate(&r.rates[1], 10595, "USD", 1.1789);
  ps_ecb_rates_free(&r);
}

/* Each bad file is refused whole, with a reason naming where. */
static void bad_files_are_refused_naming_the_line(void **state) {
  (void)state;
  static const struct {
    const char *text, *why;
  } cases[] = {
      {"", "line 1: no header"},
      {"\n\n", "line 2: no header"},
      {"Day,USD\n2026-12-01,1\n", "line 1: the header must start with Date"},
      {"Date\n2026-12-01\n", "line 1: the header names no currency"},
      {"Date,usd\n", "line 1: column 2: \"usd\" is not a currency code"},
      {"Date,USDX\n", "line 1: column 2: \"USDX\" is not a currency code"},
      {"Date,USD,,JPY\n", "line 1: column 3: \"\" is not a currency code"},
      {"Date,EUR\n", "line 1: EUR is the base"},
      {"Date,USD,JPY,USD\n", "line 1: USD appears twice"},
      {"Date,USD\n2026-12-01,1,2\n", "line 2: a different number of fields where the header has 2"},
      {"Date,USD,JPY\n2026-12-01,1\n", "line 2: a different number of fields"},
      {"Date,USD\n2026-13-01,1\n", "line 2: \"2026-13-01\" is not a date"},
      {"Date,USD\n2026-02-30,1\n", "line 2: \"2026-02-30\" is not a date"},
      {"Date,USD\n1969-12-31,1\n", "line 2: \"1969-12-31\" is not a date"},
      {"Date,USD\n1 Dec 2026,1\n", "line 2: \"1 Dec 2026\" is not a date"},
      {"Date,USD\n 2026-12-01x,1\n", "line 2: \"2026-12-01x\" is not a date"},
      {"Date,USD\n2026-12-01,0\n", "line 2: USD: \"0\" is not a rate"},
      {"Date,USD\n2026-12-01,-1.5\n", "line 2: USD: \"-1.5\" is not a rate"},
      {"Date,USD\n2026-12-01,1e3\n", "line 2: USD: \"1e3\" is not a rate"},
      {"Date,USD\n2026-12-01,1.2.3\n", "line 2: USD: \"1.2.3\" is not a rate"},
      {"Date,USD\n2026-12-01,inf\n", "line 2: USD: \"inf\" is not a rate"},
      {"Date,USD\n2026-12-01,.\n", "line 2: USD: \".\" is not a rate"},
      {"Date,USD\n2026-12-01,1\n2026-11-30,1\n2026-12-01,2\n", "2026-12-01 appears on two rows"},
      {"Date,USD\n2026-12-01,N/A\n", "no rates"},
      {"Date,USD\n", "no rates"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    ps_ecb_rates r;
    char why[256];
    int rc = parse(cases[i].text, &r, why, sizeof why);
    if (rc != PS_EINVAL || !strstr(why, cases[i].why))
      fail_msg("case %zu (%s): rc %d, why \"%s\", want \"%s\"", i, cases[i].text, rc, why,
               cases[i].why);
    assert_null(r.rates);
    assert_int_equal(r.n, 0);
  }
}

/* More columns than PS_ECB_MAX_CURRENCIES are refused; that many are read. */
static void the_number_of_columns_is_bounded(void **state) {
  (void)state;
  char header[1024] = "Date", row[1024] = "2026-12-01";
  for (int i = 0; i < PS_ECB_MAX_CURRENCIES; i++) {
    char code[8];
    snprintf(code, sizeof code, ",%c%c%c", 'A' + i / 26, 'A' + i % 26, 'Q');
    strcat(header, code);
    strcat(row, ",1.5");
  }
  char text[2100];
  snprintf(text, sizeof text, "%s,\n%s,\n", header, row);
  ps_ecb_rates r;
  char why[256];
  assert_int_equal(parse(text, &r, why, sizeof why), PS_OK);
  assert_int_equal(r.n, PS_ECB_MAX_CURRENCIES);
  ps_ecb_rates_free(&r);
  snprintf(text, sizeof text, "%s,ZZZ\n%s,1\n", header, row);
  assert_int_equal(parse(text, &r, why, sizeof why), PS_EINVAL);
  assert_non_null(strstr(why, "line 1: more than 64 currencies"));
}

/* The rules the state stores check before they store a rate or a reporting currency. */
static void codes_and_rates_follow_their_rules(void **state) {
  (void)state;
  assert_true(ps_currency_code_valid("EUR"));
  assert_true(ps_currency_code_valid("BRL"));
  assert_false(ps_currency_code_valid("eur"));
  assert_false(ps_currency_code_valid("EU"));
  assert_false(ps_currency_code_valid("EURO"));
  assert_false(ps_currency_code_valid(""));
  assert_false(ps_currency_code_valid(NULL));
  ps_rate ok = {.day = DEC_01, .currency = "USD", .per_eur = 1.05};
  assert_true(ps_rate_valid(&ok));
  ps_rate bad = ok;
  memcpy(bad.currency, "EUR", 4);
  assert_false(ps_rate_valid(&bad));
  bad = ok;
  bad.per_eur = 0;
  assert_false(ps_rate_valid(&bad));
  bad.per_eur = 1.0 / 0.0;
  assert_false(ps_rate_valid(&bad));
  bad = ok;
  bad.day = -1;
  assert_false(ps_rate_valid(&bad));
  bad = ok;
  memcpy(bad.currency, "USDX", 4);
  assert_false(ps_rate_valid(&bad));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_history_layout_is_read_exactly),
      cmocka_unit_test(the_daily_layout_is_read),
      cmocka_unit_test(bad_files_are_refused_naming_the_line),
      cmocka_unit_test(the_number_of_columns_is_bounded),
      cmocka_unit_test(codes_and_rates_follow_their_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
