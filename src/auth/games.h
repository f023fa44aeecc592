/*
 * games.h: finds a game by its public key on every request, without a store round trip.
 *
 * Positive answers are cached in memory (a game's keys never change while it exists); a miss
 * asks the store, so a game created by the CLI while the server runs is usable at once.
 * Thread-safe (a read-write lock; lookups only take the read side).
 */
#ifndef PS_AUTH_GAMES_H
#define PS_AUTH_GAMES_H

#include "store/state.h"

typedef struct ps_game_cache ps_game_cache;

int ps_game_cache_create(ps_state_store *store, ps_game_cache **out);
void ps_game_cache_free(ps_game_cache *cache);
/* Copies the game whose game_key is key into out. PS_ENOTFOUND, or PS_EIO on store errors. */
int ps_game_cache_find_by_key(ps_game_cache *cache, const char *key, ps_game *out);
/* The same by the game's numeric id (metrics endpoints name games by id). */
int ps_game_cache_find_by_id(ps_game_cache *cache, int64_t id, ps_game *out);

#endif
