/* rate_limit.c: see rate_limit.h. Buckets live in a keymap keyed by (game, player), under one
 * mutex. */
#include "ingest/metrics/rate_limit.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/keymap.h"

#define NBUCKETS 4096
#define SWEEP_EVERY 8192

typedef struct bucket {
  ps_keymap_entry key; /* (game id, player) */
  char player[129];
  double tokens;
  int64_t updated_ms;
} bucket;

struct ps_rate_limit {
  double per_ms;   /* tokens gained per millisecond */
  double capacity; /* burst */
  pthread_mutex_t lock;
  ps_keymap buckets;
  unsigned takes;
  int64_t now_ms; /* for sweeps */
};

static void release(ps_keymap_entry *e) { free(ps_keymap_owner(e, bucket, key)); }

int ps_rate_limit_create(unsigned per_minute, ps_rate_limit **out) {
  ps_rate_limit *rl = calloc(1, sizeof *rl);
  if (!rl || ps_keymap_init(&rl->buckets, NBUCKETS) != PS_OK) {
    free(rl);
    return PS_ENOMEM;
  }
  if (per_minute < 1) per_minute = 1;
  rl->per_ms = per_minute / 60000.0;
  rl->capacity = per_minute / 2 > 0 ? per_minute / 2 : 1;
  pthread_mutex_init(&rl->lock, NULL);
  *out = rl;
  return PS_OK;
}

void ps_rate_limit_free(ps_rate_limit *rl) {
  if (!rl) return;
  ps_keymap_destroy(&rl->buckets, release);
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

/* A bucket that has refilled completely behaves as a new one: forget it. */
static int is_idle(ps_keymap_entry *e, void *ctx) {
  ps_rate_limit *rl = ctx;
  bucket *b = ps_keymap_owner(e, bucket, key);
  refill(rl, b, rl->now_ms);
  return b->tokens >= rl->capacity;
}

unsigned ps_rate_limit_take(ps_rate_limit *rl, int64_t game_id, const char *player,
                            int64_t now_ms) {
  unsigned wait = 0;
  pthread_mutex_lock(&rl->lock);
  if (++rl->takes % SWEEP_EVERY == 0) {
    rl->now_ms = now_ms;
    ps_keymap_sweep(&rl->buckets, is_idle, rl, release);
  }
  ps_keymap_entry *e = ps_keymap_find(&rl->buckets, game_id, player);
  bucket *b = e ? ps_keymap_owner(e, bucket, key) : NULL;
  if (!b) {
    if (strlen(player) >= sizeof b->player || !(b = calloc(1, sizeof *b))) {
      pthread_mutex_unlock(&rl->lock);
      return 0; /* cannot track: let the request through rather than refuse a player */
    }
    strcpy(b->player, player);
    b->key.scope = game_id;
    b->key.name = b->player;
    b->tokens = rl->capacity;
    b->updated_ms = now_ms;
    ps_keymap_insert(&rl->buckets, &b->key);
  }
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
