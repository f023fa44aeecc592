/* games.c: see games.h. A chained hash table keyed by game_key; by-id lookups scan it (a
 * server holds few games). */
#include "auth/games.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

#define NBUCKETS 256

typedef struct entry {
  ps_game game;
  struct entry *next;
} entry;

struct ps_game_cache {
  ps_store *store;
  pthread_rwlock_t lock;
  entry *buckets[NBUCKETS];
};

static unsigned bucket_of(const char *key) {
  unsigned h = 2166136261u; /* FNV-1a */
  for (; *key; key++) h = (h ^ (unsigned char)*key) * 16777619u;
  return h % NBUCKETS;
}

int ps_game_cache_create(ps_store *store, ps_game_cache **out) {
  ps_game_cache *c = calloc(1, sizeof *c);
  if (!c) return PS_ENOMEM;
  c->store = store;
  pthread_rwlock_init(&c->lock, NULL);
  *out = c;
  return PS_OK;
}

void ps_game_cache_free(ps_game_cache *c) {
  if (!c) return;
  for (size_t i = 0; i < NBUCKETS; i++) {
    for (entry *e = c->buckets[i], *next; e; e = next) {
      next = e->next;
      free(e);
    }
  }
  pthread_rwlock_destroy(&c->lock);
  free(c);
}

static int lookup(ps_game_cache *c, unsigned b, const char *key, ps_game *out) {
  for (entry *e = c->buckets[b]; e; e = e->next) {
    if (strcmp(e->game.game_key, key) == 0) {
      *out = e->game;
      return 1;
    }
  }
  return 0;
}

/* Caches a game found in the store (unless another thread did meanwhile). */
static void remember(ps_game_cache *c, const ps_game *game) {
  unsigned b = bucket_of(game->game_key);
  entry *e = malloc(sizeof *e);
  if (!e) return; /* found, just not cached */
  e->game = *game;
  pthread_rwlock_wrlock(&c->lock);
  ps_game ignored;
  if (lookup(c, b, game->game_key, &ignored)) {
    free(e);
  } else {
    e->next = c->buckets[b];
    c->buckets[b] = e;
  }
  pthread_rwlock_unlock(&c->lock);
}

int ps_game_cache_find_by_key(ps_game_cache *c, const char *key, ps_game *out) {
  pthread_rwlock_rdlock(&c->lock);
  int hit = lookup(c, bucket_of(key), key, out);
  pthread_rwlock_unlock(&c->lock);
  if (hit) return PS_OK;
  int rc = c->store->ops->game_find_by_key(c->store, key, out);
  if (rc == PS_OK) remember(c, out);
  return rc;
}

int ps_game_cache_find_by_id(ps_game_cache *c, int64_t id, ps_game *out) {
  int hit = 0;
  pthread_rwlock_rdlock(&c->lock);
  for (size_t i = 0; i < NBUCKETS && !hit; i++) {
    for (entry *e = c->buckets[i]; e && !hit; e = e->next) {
      if (e->game.id == id) {
        *out = e->game;
        hit = 1;
      }
    }
  }
  pthread_rwlock_unlock(&c->lock);
  if (hit) return PS_OK;
  int rc = c->store->ops->game_find_by_id(c->store, id, out);
  if (rc == PS_OK) remember(c, out);
  return rc;
}
