/* rates.h: the SQLite state store's exchange rates and reporting currencies (rates.c), for its
 * ops table (state.c) and its schema list (db.c). Internal to src/store/sqlite/. */
#ifndef PS_STORE_SQLITE_RATES_H
#define PS_STORE_SQLITE_RATES_H

#include "store/state.h"

extern const char ps_sqlite_rates_schema[];
int ps_sqlite_rates_put(ps_state_store *store, const ps_rate *rates, size_t n);
int ps_sqlite_rates_read(ps_state_store *store, int64_t from_day, int64_t to_day,
                         ps_rate_visitor visit, void *ctx);
int ps_sqlite_game_currency_set(ps_state_store *store, int64_t game_id, const char *currency);
int ps_sqlite_game_currency_get(ps_state_store *store, int64_t game_id, char currency[4]);

#endif
