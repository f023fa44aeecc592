/* games.c: see games.h. Cached games live in a keymap keyed by (0, game_key); by-id lookups
 * scan it (a server holds few games). */
#include "auth/games.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/keymap.h"

#define NBUCKETS 256

typedef struct entry {
  ps_keymap_entry key; /* (0, game.game_key) */
  ps_game game;
} entry;

struct ps_game_cache {
  ps_state_store *store;
  pthread_rwlock_t lock;
  ps_keymap games;
};

static void release(ps_keymap_entry *e) { free(ps_keymap_owner(e, entry, key)); }

int ps_game_cache_create(ps_state_store *store, ps_game_cache **out) {
  ps_game_cache *c = calloc(1, sizeof *c);
  if (!c || ps_keymap_init(&c->games, NBUCKETS) != PS_OK) {
    free(c);
    return PS_ENOMEM;
  }
  c->store = store;
  pthread_rwlock_init(&c->lock, NULL);
  *out = c;
  return PS_OK;
}

void ps_game_cache_free(ps_game_cache *c) {
  if (!c) return;
  ps_keymap_destroy(&c->games, release);
  pthread_rwlock_destroy(&c->lock);
  free(c);
}

/* Caches a game found in the store (unless another thread did meanwhile). */
static void remember(ps_game_cache *c, const ps_game *game) {
  entry *e = malloc(sizeof *e);
  if (!e) return; /* found, just not cached */
  e->game = *game;
  e->key.scope = 0;
  e->key.name = e->game.game_key;
  pthread_rwlock_wrlock(&c->lock);
  if (ps_keymap_find(&c->games, 0, game->game_key))
    free(e);
  else
    ps_keymap_insert(&c->games, &e->key);
  pthread_rwlock_unlock(&c->lock);
}

int ps_game_cache_find_by_key(ps_game_cache *c, const char *key, ps_game *out) {
  pthread_rwlock_rdlock(&c->lock);
  ps_keymap_entry *e = ps_keymap_find(&c->games, 0, key);
  if (e) *out = ps_keymap_owner(e, entry, key)->game;
  pthread_rwlock_unlock(&c->lock);
  if (e) return PS_OK;
  int rc = c->store->ops->game_find(c->store, key, 0, out);
  if (rc == PS_OK) remember(c, out);
  return rc;
}

typedef struct by_id {
  int64_t id;
  ps_game *out;
  int found;
} by_id;

static int match_id(ps_keymap_entry *e, void *ctx) {
  by_id *q = ctx;
  const ps_game *g = &ps_keymap_owner(e, entry, key)->game;
  if (g->id == q->id) {
    *q->out = *g;
    q->found = 1;
  }
  return 0; /* keep every entry */
}

int ps_game_cache_find_by_id(ps_game_cache *c, int64_t id, ps_game *out) {
  by_id q = {id, out, 0};
  pthread_rwlock_rdlock(&c->lock);
  ps_keymap_sweep(&c->games, match_id, &q, NULL);
  pthread_rwlock_unlock(&c->lock);
  if (q.found) return PS_OK;
  int rc = c->store->ops->game_find(c->store, NULL, id, out);
  if (rc == PS_OK) remember(c, out);
  return rc;
}
