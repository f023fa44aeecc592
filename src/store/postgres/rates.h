/* rates.h: the PostgreSQL state store's exchange rates and reporting currencies (rates.c), for
 * its ops table (state.c). Internal to src/store/postgres/. */
#ifndef PS_STORE_POSTGRES_RATES_H
#define PS_STORE_POSTGRES_RATES_H

#include "store/state.h"

int ps_pg_rates_put(ps_state_store *store, const ps_rate *rates, size_t n);
int ps_pg_rates_read(ps_state_store *store, int64_t from_day, int64_t to_day,
                     ps_rate_visitor visit, void *ctx);
int ps_pg_game_currency_set(ps_state_store *store, int64_t game_id, const char *currency);
int ps_pg_game_currency_get(ps_state_store *store, int64_t game_id, char currency[4]);

#endif
