/*
 * ecb_rates.h: reads exchange rates in the European Central Bank's euro reference CSV format,
 * the format of eurofxref-hist.csv (every day since 1999) and of eurofxref.csv (the latest
 * day), which `playstat rates load` and PUT /api/v1/rates take:
 *
 *   Date,USD,JPY,BGN,...,            a header: "Date", then one ISO 4217 code per column
 *   2026-12-01,1.0552,158.32,N/A,...,  one row per day: the date, then units per 1 EUR
 *
 * What it accepts (and why): a UTF-8 byte-order mark; LF or CRLF line ends; blank lines; one
 * trailing empty field on any line (the ECB's files end every line with a comma); spaces
 * around fields (eurofxref.csv writes ", USD"); dates as YYYY-MM-DD (the history file) or
 * "2 December 2026" (the daily file), years 1970 to 9999; "N/A" or an empty field for a rate
 * the day lacks (it is then absent: money.h takes an earlier day's). A rate is a plain
 * decimal (digits with at most one '.'), greater than zero.
 * What it refuses, saying the line: another first header field, a code that is not three
 * uppercase letters, EUR (the base, always 1), a code twice, more than PS_ECB_MAX_CURRENCIES
 * columns, a row with more or fewer fields than the header, a bad date or rate, the same
 * date twice, a file without a single rate.
 * Cost: one pass over the text, and a sort of the days: O(n log n) in its length.
 */
#ifndef PS_INSIGHTS_ECB_RATES_H
#define PS_INSIGHTS_ECB_RATES_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/state.h"

#define PS_ECB_MAX_CURRENCIES 64

typedef struct ps_ecb_rates {
  ps_rate *rates; /* by row, then column; malloc'd */
  size_t n;
  size_t days;                /* data rows */
  int64_t first_day, last_day; /* the earliest and latest row's day */
  char currencies[PS_ECB_MAX_CURRENCIES][4]; /* the header's codes, in its order */
  size_t ncurrencies;
} ps_ecb_rates;

/* Parses text[0..len) (no NUL needed) into *out (zeroed first). PS_OK; PS_EINVAL with why
 * (NUL-terminated, at most why_cap bytes, naming the line) and *out empty; PS_ENOMEM. */
int ps_ecb_rates_parse(const char *text, size_t len, ps_ecb_rates *out, char *why,
                       size_t why_cap);
/* Appends what r holds as one JSON object, the answer of a load (PUT /api/v1/rates and
 * `playstat rates load`): {"rates": N, "days": N, "from": "YYYY-MM-DD", "to": "YYYY-MM-DD",
 * "currencies": ["USD", ...]} (the header's codes). PS_OK or PS_ENOMEM. */
int ps_ecb_rates_summary(const ps_ecb_rates *r, ps_buf *out);
/* Frees what r holds and zeroes it. */
void ps_ecb_rates_free(ps_ecb_rates *r);

#endif
