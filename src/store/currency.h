/*
 * currency.h: what a currency code and an exchange rate must be (state.h ps_rate), said once
 * for the state-store backends, the ECB rates reader and the read API.
 */
#ifndef PS_STORE_CURRENCY_H
#define PS_STORE_CURRENCY_H

#include "store/state.h"

/* 1 when code is three uppercase ASCII letters followed by its NUL (ISO 4217's shape), else 0
 * (NULL included). */
int ps_currency_code_valid(const char *code);
/* 1 when rate keeps ps_rate's rules: a valid code other than "EUR" (NUL within its array), a
 * finite per_eur > 0, a day from 1970 to 9999. */
int ps_rate_valid(const ps_rate *rate);

#endif
