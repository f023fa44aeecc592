/*
 * fuzz_ecb_rates.c: libFuzzer target for the ECB euro-reference CSV reader
 * (insights/ecb_rates.h), which PUT /api/v1/rates runs on request bodies.
 *
 * Checked on every input: the result is PS_OK or PS_EINVAL (never anything else: the input is
 * small); parsing twice gives the same rates; on PS_OK every rate keeps ps_rate's rules
 * (store/currency.h: what the state stores would otherwise refuse), is dated within
 * [first_day, last_day], names a header currency, no (day, currency) repeats, and the summary
 * renders; on PS_EINVAL the reason is a non-empty "line N: ..." or names a date, and nothing
 * is held. Run with `make fuzz` (fuzz-hardening).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "insights/ecb_rates.h"
#include "store/currency.h"

#include "fuzz_check.h"

static int cmp_rate(const void *a, const void *b) {
  const ps_rate *x = a, *y = b;
  if (x->day != y->day) return x->day < y->day ? -1 : 1;
  return strcmp(x->currency, y->currency);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ps_ecb_rates r, again;
  char why[256], why_again[256];
  int rc = ps_ecb_rates_parse((const char *)data, size, &r, why, sizeof why);
  int rc_again = ps_ecb_rates_parse((const char *)data, size, &again, why_again, sizeof why_again);
  CHECK(rc == PS_OK || rc == PS_EINVAL);
  CHECK(rc == rc_again);
  if (rc != PS_OK) {
    CHECK(why[0] != '\0');
    CHECK(strcmp(why, why_again) == 0);
    CHECK(r.rates == NULL && r.n == 0);
    return 0;
  }
  CHECK(r.n > 0 && r.n == again.n && r.days > 0 && r.first_day <= r.last_day);
  CHECK(memcmp(r.rates, again.rates, r.n * sizeof *r.rates) == 0);
  for (size_t i = 0; i < r.n; i++) {
    CHECK(ps_rate_valid(&r.rates[i]));
    CHECK(r.rates[i].day >= r.first_day && r.rates[i].day <= r.last_day);
    int named = 0;
    for (size_t k = 0; k < r.ncurrencies; k++) named |= !strcmp(r.currencies[k], r.rates[i].currency);
    CHECK(named);
  }
  qsort(again.rates, again.n, sizeof *again.rates, cmp_rate);
  for (size_t i = 1; i < again.n; i++) CHECK(cmp_rate(&again.rates[i - 1], &again.rates[i]) < 0);
  ps_buf summary = {0};
  CHECK(ps_ecb_rates_summary(&r, &summary) == PS_OK);
  ps_buf_free(&summary);
  ps_ecb_rates_free(&r);
  ps_ecb_rates_free(&again);
  return 0;
}
