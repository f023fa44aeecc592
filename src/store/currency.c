/* currency.c: see currency.h. */
#include "store/currency.h"

#include <math.h>
#include <string.h>

#define LAST_DAY 2932896 /* 9999-12-31 */

int ps_currency_code_valid(const char *code) {
  if (!code) return 0;
  for (int i = 0; i < 3; i++)
    if (code[i] < 'A' || code[i] > 'Z') return 0;
  return code[3] == '\0';
}

int ps_rate_valid(const ps_rate *rate) {
  return ps_currency_code_valid(rate->currency) && strcmp(rate->currency, "EUR") != 0 &&
         isfinite(rate->per_eur) && rate->per_eur > 0 && rate->day >= 0 &&
         rate->day <= LAST_DAY;
}
