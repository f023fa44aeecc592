/*
 * registry.c: see registry.h. A chained hash table of sessions keyed by (game, session id);
 * each session keeps the nonces it has used in a small growing array. Sessions that are over
 * are dropped from memory once their timeout has passed again (they stay in the store, where
 * a late request finds them over).
 */
#include "ingest/metrics/registry.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

#define NBUCKETS 16384
#define SWEEP_EVERY 4096 /* decisions between two sweeps of sessions that are long over */

typedef struct session {
  int64_t game_id;
  char session_id[PS_MSESSION_MAX_TEXT + 1];
  char player[129];
  int64_t max_order_id;
  int64_t last_received_ms;
  int ended;
  char **nonces;
  size_t nnonces, cap;
  struct session *next;
} session;

struct ps_msession_registry {
  ps_store *store;
  int64_t timeout_ms;
  pthread_mutex_t lock;
  session *buckets[NBUCKETS];
  unsigned decisions;
};

static unsigned bucket_of(int64_t game_id, const char *session_id) {
  unsigned h = 2166136261u ^ (unsigned)game_id;
  for (; *session_id; session_id++) h = (h ^ (unsigned char)*session_id) * 16777619u;
  return h % NBUCKETS;
}

static void session_free(session *s) {
  for (size_t i = 0; i < s->nnonces; i++) free(s->nonces[i]);
  free(s->nonces);
  free(s);
}

static int add_nonce(session *s, const char *nonce) {
  if (s->nnonces == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    char **grown = realloc(s->nonces, cap * sizeof *grown);
    if (!grown) return PS_ENOMEM;
    s->nonces = grown;
    s->cap = cap;
  }
  if (!(s->nonces[s->nnonces] = strdup(nonce))) return PS_ENOMEM;
  s->nnonces++;
  return PS_OK;
}

static int has_nonce(const session *s, const char *nonce) {
  for (size_t i = 0; i < s->nnonces; i++)
    if (strcmp(s->nonces[i], nonce) == 0) return 1;
  return 0;
}

static session **find(ps_msession_registry *reg, int64_t game_id, const char *session_id) {
  session **p = &reg->buckets[bucket_of(game_id, session_id)];
  while (*p && ((*p)->game_id != game_id || strcmp((*p)->session_id, session_id) != 0))
    p = &(*p)->next;
  return p;
}

static int is_over(const ps_msession_registry *reg, const session *s, int64_t now_ms) {
  return s->ended || now_ms - s->last_received_ms > reg->timeout_ms;
}

/* Drops sessions that have been over for a whole timeout: nothing can be accepted for them. */
static void sweep(ps_msession_registry *reg, int64_t now_ms) {
  for (size_t b = 0; b < NBUCKETS; b++) {
    for (session **p = &reg->buckets[b]; *p;) {
      if (now_ms - (*p)->last_received_ms > 2 * reg->timeout_ms) {
        session *dead = *p;
        *p = dead->next;
        session_free(dead);
      } else {
        p = &(*p)->next;
      }
    }
  }
}

static int load_nonce(const char *nonce, void *ctx) { return add_nonce(ctx, nonce); }

/* Loads a session from the store (without the lock held). NULL with *rc set when absent or on
 * failure. */
static session *load(ps_msession_registry *reg, int64_t game_id, const char *session_id, int *rc) {
  session *s = calloc(1, sizeof *s);
  ps_msession_state *state = malloc(sizeof *state);
  if (!s || !state) {
    free(s);
    free(state);
    *rc = PS_ENOMEM;
    return NULL;
  }
  *rc = reg->store->ops->msession_load(reg->store, game_id, session_id, state, load_nonce, s);
  if (*rc == PS_OK) {
    s->game_id = game_id;
    memcpy(s->session_id, state->session_id, sizeof s->session_id);
    memcpy(s->player, state->player, sizeof s->player);
    s->max_order_id = state->max_order_id;
    s->last_received_ms = state->last_received_ms;
    s->ended = state->ended_ms >= 0;
  }
  free(state);
  if (*rc != PS_OK) {
    session_free(s);
    return NULL;
  }
  return s;
}

int ps_msession_registry_create(ps_store *store, int64_t timeout_ms, ps_msession_registry **out) {
  ps_msession_registry *reg = calloc(1, sizeof *reg);
  if (!reg) return PS_ENOMEM;
  reg->store = store;
  reg->timeout_ms = timeout_ms;
  pthread_mutex_init(&reg->lock, NULL);
  *out = reg;
  return PS_OK;
}

void ps_msession_registry_free(ps_msession_registry *reg) {
  if (!reg) return;
  for (size_t b = 0; b < NBUCKETS; b++) {
    for (session *s = reg->buckets[b], *next; s; s = next) {
      next = s->next;
      session_free(s);
    }
  }
  pthread_mutex_destroy(&reg->lock);
  free(reg);
}

/* Checks and applies a request to an existing session (lock held). */
static ps_msr_result advance(ps_msession_registry *reg, session *s, const char *player,
                             const ps_msession_request *req, int64_t now_ms) {
  if (req->kind == PS_MSESSION_START) return PS_MSR_EXISTS;
  if (strcmp(s->player, player) != 0 || is_over(reg, s, now_ms)) return PS_MSR_UNKNOWN;
  if (has_nonce(s, req->nonce)) return PS_MSR_REPLAY;
  if (req->order_id < s->max_order_id) return PS_MSR_ORDER;
  if (add_nonce(s, req->nonce) != PS_OK) return PS_MSR_ERROR;
  s->max_order_id = req->order_id;
  s->last_received_ms = now_ms;
  s->ended = req->kind == PS_MSESSION_END;
  return PS_MSR_OK;
}

ps_msr_result ps_msession_registry_begin(ps_msession_registry *reg, int64_t game_id,
                                         const char *player, const ps_msession_request *req,
                                         int64_t now_ms) {
  ps_msr_result result;
  pthread_mutex_lock(&reg->lock);
  if (++reg->decisions % SWEEP_EVERY == 0) sweep(reg, now_ms);
  session **slot = find(reg, game_id, req->session_id);
  if (!*slot) {
    /* Not in memory: the store decides whether it exists. */
    pthread_mutex_unlock(&reg->lock);
    int rc;
    session *loaded = load(reg, game_id, req->session_id, &rc);
    if (!loaded && rc != PS_ENOTFOUND) return PS_MSR_ERROR;
    pthread_mutex_lock(&reg->lock);
    slot = find(reg, game_id, req->session_id);
    if (!*slot && loaded) {
      *slot = loaded; /* cached now; another thread may have created it meanwhile */
      loaded = NULL;
    }
    if (loaded) session_free(loaded);
  }
  if (*slot) {
    result = advance(reg, *slot, player, req, now_ms);
  } else if (req->kind != PS_MSESSION_START) {
    result = PS_MSR_UNKNOWN;
  } else {
    session *s = calloc(1, sizeof *s);
    result = PS_MSR_ERROR;
    if (s && add_nonce(s, req->nonce) == PS_OK) {
      s->game_id = game_id;
      memcpy(s->session_id, req->session_id, sizeof s->session_id);
      strncpy(s->player, player, sizeof s->player - 1);
      s->max_order_id = req->order_id;
      s->last_received_ms = now_ms;
      *slot = s;
      result = PS_MSR_OK;
    } else if (s) {
      session_free(s);
    }
  }
  pthread_mutex_unlock(&reg->lock);
  return result;
}

void ps_msession_registry_finish(ps_msession_registry *reg, int64_t game_id,
                                 const char *session_id, int committed) {
  if (committed) return;
  pthread_mutex_lock(&reg->lock);
  session **slot = find(reg, game_id, session_id);
  if (*slot) {
    session *dead = *slot;
    *slot = dead->next;
    session_free(dead);
  }
  pthread_mutex_unlock(&reg->lock);
}
