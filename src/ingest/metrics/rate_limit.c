/* rate_limit.c: see rate_limit.h. A chained hash table of buckets under one mutex. */
#include "ingest/metrics/rate_limit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

#define NBUCKETS 4096
#define SWEEP_EVERY 8192

typedef struct bucket {
  int64_t game_id;
  char *player;
  double tokens;
  int64_t updated_ms;
  struct bucket *next;
} bucket;

struct ps_rate_limit {
  double per_ms;   /* tokens gained per millisecond */
  double capacity; /* burst */
  pthread_mutex_t lock;
  bucket *table[NBUCKETS];
  unsigned takes;
};

static unsigned slot_of(int64_t game_id, const char *player) {
  unsigned h = 2166136261u ^ (unsigned)game_id;
  for (; *player; player++) h = (h ^ (unsigned char)*player) * 16777619u;
  return h % NBUCKETS;
}

int ps_rate_limit_create(unsigned per_minute, ps_rate_limit **out) {
  ps_rate_limit *rl = calloc(1, sizeof *rl);
  if (!rl) return PS_ENOMEM;
  if (per_minute < 1) per_minute = 1;
  rl->per_ms = per_minute / 60000.0;
  rl->capacity = per_minute / 2 > 0 ? per_minute / 2 : 1;
  pthread_mutex_init(&rl->lock, NULL);
  *out = rl;
  return PS_OK;
}

void ps_rate_limit_free(ps_rate_limit *rl) {
  if (!rl) return;
  for (size_t i = 0; i < NBUCKETS; i++) {
    for (bucket *b = rl->table[i], *next; b; b = next) {
      next = b->next;
      free(b->player);
      free(b);
    }
  }
  pthread_mutex_destroy(&rl->lock);
  free(rl);
}

static void refill(ps_rate_limit *rl, bucket *b, int64_t now_ms) {
  if (now_ms > b->updated_ms) {
    b->tokens += (double)(now_ms - b->updated_ms) * rl->per_ms;
    if (b->tokens > rl->capacity) b->tokens = rl->capacity;
    b->updated_ms = now_ms;
  }
}

/* Forgets buckets that have refilled completely: they would behave as new ones. */
static void sweep(ps_rate_limit *rl, int64_t now_ms) {
  for (size_t i = 0; i < NBUCKETS; i++) {
    for (bucket **p = &rl->table[i]; *p;) {
      refill(rl, *p, now_ms);
      if ((*p)->tokens >= rl->capacity) {
        bucket *idle = *p;
        *p = idle->next;
        free(idle->player);
        free(idle);
      } else {
        p = &(*p)->next;
      }
    }
  }
}

unsigned ps_rate_limit_take(ps_rate_limit *rl, int64_t game_id, const char *player,
                            int64_t now_ms) {
  unsigned wait = 0;
  pthread_mutex_lock(&rl->lock);
  if (++rl->takes % SWEEP_EVERY == 0) sweep(rl, now_ms);
  bucket **p = &rl->table[slot_of(game_id, player)];
  while (*p && ((*p)->game_id != game_id || strcmp((*p)->player, player) != 0)) p = &(*p)->next;
  if (!*p) {
    bucket *b = calloc(1, sizeof *b);
    if (!b || !(b->player = strdup(player))) {
      free(b);
      pthread_mutex_unlock(&rl->lock);
      return 0; /* out of memory: let the request through rather than refuse a player */
    }
    b->game_id = game_id;
    b->tokens = rl->capacity;
    b->updated_ms = now_ms;
    *p = b;
  }
  bucket *b = *p;
  refill(rl, b, now_ms);
  if (b->tokens >= 1.0) {
    b->tokens -= 1.0;
  } else {
    double ms = (1.0 - b->tokens) / rl->per_ms; /* until the next whole token */
    wait = (unsigned)ceil(ms / 1000.0);
    if (wait < 1) wait = 1;
  }
  pthread_mutex_unlock(&rl->lock);
  return wait;
}
