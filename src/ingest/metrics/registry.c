/*
 * registry.c: see registry.h. Sessions live in a keymap keyed by (game, session id); each
 * session keeps the nonces it has used in an array indexed by an open-addressing hash table,
 * so a replay check costs the same after 10 heartbeats or 10,000. Sessions that are over
 * are dropped from memory once their timeout has passed again (they stay in the store, where
 * a late request finds them over).
 */
#include "ingest/metrics/registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/keymap.h"

#define NBUCKETS 16384
#define SWEEP_EVERY 4096 /* decisions between two sweeps of sessions that are long over */

typedef struct session {
  ps_keymap_entry key; /* (game id, session id) */
  char session_id[PS_MSESSION_MAX_TEXT + 1];
  char player[129];
  int64_t max_order_id;
  int64_t last_received_ms;
  int ended;
  char **nonces;    /* every nonce used, in arrival order */
  uint64_t *hashes; /* hashes[i] is the hash of nonces[i] */
  size_t nnonces, cap;
  uint32_t *index;  /* open addressing: 0 empty, else position in nonces + 1 */
  size_t index_cap; /* a power of two, more than twice nnonces */
} session;

struct ps_msession_registry {
  ps_state_store *store;
  int64_t timeout_ms;
  pthread_mutex_t lock;
  ps_keymap sessions;
  unsigned decisions;
  int64_t now_ms; /* for sweeps */
};

static void session_free(session *s) {
  for (size_t i = 0; i < s->nnonces; i++) free(s->nonces[i]);
  free(s->nonces);
  free(s->hashes);
  free(s->index);
  free(s);
}

static void release(ps_keymap_entry *e) { session_free(ps_keymap_owner(e, session, key)); }

/* A new, unlinked session record keyed (game_id, session_id); NULL on OOM. */
static session *session_new(int64_t game_id, const char *session_id) {
  session *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  snprintf(s->session_id, sizeof s->session_id, "%s", session_id);
  s->key.scope = game_id;
  s->key.name = s->session_id;
  return s;
}

static session *find(ps_msession_registry *reg, int64_t game_id, const char *session_id) {
  ps_keymap_entry *e = ps_keymap_find(&reg->sessions, game_id, session_id);
  return e ? ps_keymap_owner(e, session, key) : NULL;
}

static uint64_t nonce_hash(const char *nonce) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *nonce; nonce++) h = (h ^ (unsigned char)*nonce) * 1099511628211ULL;
  return h;
}

/* The index slot holding nonce, or the empty slot where it would go. */
static size_t nonce_slot(const session *s, const char *nonce, uint64_t h) {
  size_t mask = s->index_cap - 1, pos = (size_t)h & mask;
  while (s->index[pos]) {
    size_t i = s->index[pos] - 1;
    if (s->hashes[i] == h && strcmp(s->nonces[i], nonce) == 0) break;
    pos = (pos + 1) & mask;
  }
  return pos;
}

static int has_nonce(const session *s, const char *nonce) {
  return s->index_cap && s->index[nonce_slot(s, nonce, nonce_hash(nonce))] != 0;
}

/* Doubles the index and re-slots every nonce. */
static int grow_index(session *s) {
  size_t cap = s->index_cap ? s->index_cap * 2 : 16;
  uint32_t *index = calloc(cap, sizeof *index);
  if (!index) return PS_ENOMEM;
  free(s->index);
  s->index = index;
  s->index_cap = cap;
  for (size_t i = 0; i < s->nnonces; i++)
    s->index[nonce_slot(s, s->nonces[i], s->hashes[i])] = (uint32_t)(i + 1);
  return PS_OK;
}

/* Records a nonce not already present. Returns 0 or PS_ENOMEM (nothing recorded then). */
static int add_nonce(session *s, const char *nonce) {
  if (s->nnonces == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    char **nonces = realloc(s->nonces, cap * sizeof *nonces);
    if (!nonces) return PS_ENOMEM;
    s->nonces = nonces;
    uint64_t *hashes = realloc(s->hashes, cap * sizeof *hashes);
    if (!hashes) return PS_ENOMEM;
    s->hashes = hashes;
    s->cap = cap;
  }
  if (2 * (s->nnonces + 1) > s->index_cap && grow_index(s) != PS_OK) return PS_ENOMEM;
  if (s->nnonces >= UINT32_MAX - 1 || !(s->nonces[s->nnonces] = strdup(nonce))) return PS_ENOMEM;
  uint64_t h = nonce_hash(nonce);
  s->hashes[s->nnonces] = h;
  s->index[nonce_slot(s, nonce, h)] = (uint32_t)(s->nnonces + 1);
  s->nnonces++;
  return PS_OK;
}

static int is_over(const ps_msession_registry *reg, const session *s, int64_t now_ms) {
  return s->ended || now_ms - s->last_received_ms > reg->timeout_ms;
}

/* Sessions over for a whole timeout more can accept nothing: they are dropped from memory. */
static int is_long_over(ps_keymap_entry *e, void *ctx) {
  const ps_msession_registry *reg = ctx;
  return reg->now_ms - ps_keymap_owner(e, session, key)->last_received_ms > 2 * reg->timeout_ms;
}

static int load_nonce(const char *nonce, void *ctx) { return add_nonce(ctx, nonce); }

/* Loads a session from the store (without the lock held). NULL with *rc set when absent or on
 * failure. */
static session *load(ps_msession_registry *reg, int64_t game_id, const char *session_id, int *rc) {
  session *s = session_new(game_id, session_id);
  ps_msession_state *state = malloc(sizeof *state);
  if (!s || !state) {
    free(s);
    free(state);
    *rc = PS_ENOMEM;
    return NULL;
  }
  *rc = reg->store->ops->msession_load(reg->store, game_id, session_id, state, load_nonce, s);
  if (*rc == PS_OK) {
    memcpy(s->player, state->player, sizeof s->player);
    s->max_order_id = state->max_order_id;
    s->last_received_ms = state->last_received_ms;
    s->ended = state->ended;
  }
  free(state);
  if (*rc != PS_OK) {
    session_free(s);
    return NULL;
  }
  return s;
}

int ps_msession_registry_create(ps_state_store *store, int64_t timeout_ms, ps_msession_registry **out) {
  ps_msession_registry *reg = calloc(1, sizeof *reg);
  if (!reg || ps_keymap_init(&reg->sessions, NBUCKETS) != PS_OK) {
    free(reg);
    return PS_ENOMEM;
  }
  reg->store = store;
  reg->timeout_ms = timeout_ms;
  pthread_mutex_init(&reg->lock, NULL);
  *out = reg;
  return PS_OK;
}

void ps_msession_registry_free(ps_msession_registry *reg) {
  if (!reg) return;
  ps_keymap_destroy(&reg->sessions, release);
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
  if (++reg->decisions % SWEEP_EVERY == 0) {
    reg->now_ms = now_ms;
    ps_keymap_sweep(&reg->sessions, is_long_over, reg, release);
  }
  session *s = find(reg, game_id, req->session_id);
  if (!s) {
    /* Not in memory: the store decides whether it exists. */
    pthread_mutex_unlock(&reg->lock);
    int rc;
    session *loaded = load(reg, game_id, req->session_id, &rc);
    if (!loaded && rc != PS_ENOTFOUND) return PS_MSR_ERROR;
    pthread_mutex_lock(&reg->lock);
    s = find(reg, game_id, req->session_id); /* another thread may have added it meanwhile */
    if (!s && loaded) {
      ps_keymap_insert(&reg->sessions, &loaded->key);
      s = loaded;
    } else if (loaded) {
      session_free(loaded);
    }
  }
  if (s) {
    result = advance(reg, s, player, req, now_ms);
  } else if (req->kind != PS_MSESSION_START) {
    result = PS_MSR_UNKNOWN;
  } else {
    result = PS_MSR_ERROR;
    s = session_new(game_id, req->session_id);
    if (s && add_nonce(s, req->nonce) == PS_OK) {
      snprintf(s->player, sizeof s->player, "%s", player);
      s->max_order_id = req->order_id;
      s->last_received_ms = now_ms;
      ps_keymap_insert(&reg->sessions, &s->key);
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
  ps_keymap_entry *dead = ps_keymap_remove(&reg->sessions, game_id, session_id);
  if (dead) release(dead);
  pthread_mutex_unlock(&reg->lock);
}
