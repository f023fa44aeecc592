/*
 * registry.c: see registry.h. Sessions live in a keymap keyed by (game, session id); each
 * session keeps the requests it has accepted (kind, order id, session_ts, receive time, its
 * nonce in one text buffer per session) in an array indexed by an open-addressing hash table
 * of their nonces, so a replay or resend check costs the same after 10 heartbeats or 10,000.
 * Sessions that are over are dropped from memory once their timeout has passed again (they
 * stay in the store, where a late request, or a resend, finds them).
 */
#include "ingest/metrics/registry.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/buf.h"
#include "common/errors.h"
#include "common/keymap.h"

#define NBUCKETS 16384
#define SWEEP_EVERY 4096 /* decisions between two sweeps of sessions that are long over */

/* One accepted request, as its nonce: what tells a resend from a reuse of the nonce. */
typedef struct accepted {
  uint64_t hash;      /* of the nonce */
  uint32_t at;        /* the nonce's offset in session.text */
  int kind;           /* ps_msession_kind */
  int ids_known;      /* ids_hash is set (a start accepted here, not loaded from the store) */
  uint64_t ids_hash;  /* a start's ids text */
  int64_t order_id, ts_ms, received_ms;
} accepted;

typedef struct session {
  ps_keymap_entry key; /* (game id, session id) */
  char session_id[PS_MSESSION_MAX_TEXT + 1];
  char player[129];
  int64_t max_order_id;
  int64_t last_received_ms;
  int ended;
  accepted *requests; /* every request accepted, in arrival order */
  size_t nrequests, cap;
  ps_buf text;        /* their nonces, each NUL-terminated: one allocation, not one per nonce */
  uint32_t *index;    /* open addressing: 0 empty, else position in requests + 1 */
  size_t index_cap;   /* a power of two, more than twice nrequests */
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
  ps_buf_free(&s->text);
  free(s->requests);
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

static uint64_t text_hash(const char *text) {
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */
  for (; *text; text++) h = (h ^ (unsigned char)*text) * 1099511628211ULL;
  return h;
}

static const char *nonce_of(const session *s, const accepted *a) { return s->text.data + a->at; }

/* The index slot holding nonce, or the empty slot where it would go. */
static size_t nonce_slot(const session *s, const char *nonce, uint64_t h) {
  size_t mask = s->index_cap - 1, pos = (size_t)h & mask;
  while (s->index[pos]) {
    const accepted *a = &s->requests[s->index[pos] - 1];
    if (a->hash == h && strcmp(nonce_of(s, a), nonce) == 0) break;
    pos = (pos + 1) & mask;
  }
  return pos;
}

/* The request that used nonce, or NULL. */
static const accepted *find_nonce(const session *s, const char *nonce) {
  if (!s->index_cap) return NULL;
  uint32_t i = s->index[nonce_slot(s, nonce, text_hash(nonce))];
  return i ? &s->requests[i - 1] : NULL;
}

/* Doubles the index and re-slots every nonce. */
static int grow_index(session *s) {
  size_t cap = s->index_cap ? s->index_cap * 2 : 16;
  uint32_t *index = calloc(cap, sizeof *index);
  if (!index) return PS_ENOMEM;
  free(s->index);
  s->index = index;
  s->index_cap = cap;
  for (size_t i = 0; i < s->nrequests; i++)
    s->index[nonce_slot(s, nonce_of(s, &s->requests[i]), s->requests[i].hash)] = (uint32_t)(i + 1);
  return PS_OK;
}

/* Records a request whose nonce is not already present (a->hash and a->at are set here).
 * Returns 0 or PS_ENOMEM (nothing recorded then). */
static int add_request(session *s, const char *nonce, accepted a) {
  size_t len = strlen(nonce) + 1, at = s->text.len;
  if (s->nrequests >= UINT32_MAX - 1 || at > UINT32_MAX - len) return PS_ENOMEM;
  if (PS_ARRAY_RESERVE(s->requests, s->nrequests, s->cap) != PS_OK) return PS_ENOMEM;
  if (2 * (s->nrequests + 1) > s->index_cap && grow_index(s) != PS_OK) return PS_ENOMEM;
  if (ps_buf_append(&s->text, nonce, len) != PS_OK) return PS_ENOMEM;
  a.hash = text_hash(nonce);
  a.at = (uint32_t)at;
  s->requests[s->nrequests] = a;
  s->index[nonce_slot(s, nonce, a.hash)] = (uint32_t)(s->nrequests + 1);
  s->nrequests++;
  return PS_OK;
}

/* What is kept of req, accepted at now_ms. */
static accepted accepted_of(const ps_msession_request *req, int64_t now_ms) {
  accepted a = {.kind = (int)req->kind, .order_id = req->order_id, .ts_ms = req->ts_ms,
                .received_ms = now_ms};
  if (req->kind == PS_MSESSION_START && req->ids_text) {
    a.ids_known = 1;
    a.ids_hash = text_hash(req->ids_text);
  }
  return a;
}

/* 1 when req is the request a accepted (a resend of it), else 0. */
static int same_request(const accepted *a, const ps_msession_request *req) {
  if (a->kind != (int)req->kind || a->order_id != req->order_id || a->ts_ms != req->ts_ms)
    return 0;
  return !a->ids_known || !req->ids_text || a->ids_hash == text_hash(req->ids_text);
}

static int is_over(const ps_msession_registry *reg, const session *s, int64_t now_ms) {
  return s->ended || now_ms - s->last_received_ms > reg->timeout_ms;
}

/* Sessions over for a whole timeout more can accept nothing: they are dropped from memory. */
static int is_long_over(ps_keymap_entry *e, void *ctx) {
  const ps_msession_registry *reg = ctx;
  return reg->now_ms - ps_keymap_owner(e, session, key)->last_received_ms > 2 * reg->timeout_ms;
}

static int load_nonce(const ps_msession_nonce *n, void *ctx) {
  static const ps_msession_kind kinds[] = {
      [PS_MSESSION_REC_START] = PS_MSESSION_START,
      [PS_MSESSION_REC_HEARTBEAT] = PS_MSESSION_HEARTBEAT,
      [PS_MSESSION_REC_END] = PS_MSESSION_END,
  };
  session *s = ctx;
  if ((unsigned)n->kind > PS_MSESSION_REC_END || find_nonce(s, n->nonce)) return PS_OK;
  accepted a = {.kind = (int)kinds[n->kind], .order_id = n->order_id, .ts_ms = n->ts_ms,
                .received_ms = n->received_ms};
  return add_request(s, n->nonce, a);
}

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

/* Adds to s what another node accepted for it (fresh: the store's session): the requests s
 * does not know, and the maxima. What s accepted itself and has not committed yet stays. */
static int merge(session *s, const session *fresh) {
  for (size_t i = 0; i < fresh->nrequests; i++) {
    const char *nonce = nonce_of(fresh, &fresh->requests[i]);
    if (!find_nonce(s, nonce) && add_request(s, nonce, fresh->requests[i]) != PS_OK)
      return PS_ENOMEM;
  }
  if (fresh->max_order_id > s->max_order_id) s->max_order_id = fresh->max_order_id;
  if (fresh->last_received_ms > s->last_received_ms) s->last_received_ms = fresh->last_received_ms;
  s->ended = s->ended || fresh->ended;
  return PS_OK;
}

/* A store shared by several nodes (state.h `shared`): another node may have accepted requests
 * of a session this one has in memory (heartbeats that keep it alive, an end, a nonce), so
 * the store's session is read and merged before each decision on it. It costs one store read
 * per request (all of the session's nonces: fine for sessions of hundreds of requests).
 * PS_OK (also when the store does not have it yet: its start is not committed) or the store's
 * error. Lock not held. */
static int catch_up(ps_msession_registry *reg, int64_t game_id, const char *session_id,
                    session **s) {
  int rc;
  session *fresh = load(reg, game_id, session_id, &rc);
  if (!fresh) return rc == PS_ENOTFOUND ? PS_OK : rc;
  pthread_mutex_lock(&reg->lock);
  *s = find(reg, game_id, session_id); /* it may have been evicted meanwhile */
  if (*s) {
    rc = merge(*s, fresh);
    session_free(fresh);
  } else {
    ps_keymap_insert(&reg->sessions, &fresh->key);
    *s = fresh;
  }
  pthread_mutex_unlock(&reg->lock);
  return rc;
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

/* Checks and applies a request to an existing session (lock held); sets *accepted_ms as
 * ps_msession_registry_begin says. */
static ps_msr_result advance(ps_msession_registry *reg, session *s, const char *player,
                             const ps_msession_request *req, int64_t now_ms,
                             int64_t *accepted_ms) {
  const accepted *used = find_nonce(s, req->nonce);
  int own = strcmp(s->player, player) == 0;
  if (own && used && same_request(used, req)) {
    *accepted_ms = used->received_ms;
    return PS_MSR_DUPLICATE;
  }
  if (req->kind == PS_MSESSION_START) return PS_MSR_EXISTS;
  if (!own || is_over(reg, s, now_ms)) return PS_MSR_UNKNOWN;
  if (used) return PS_MSR_REPLAY;
  if (req->order_id < s->max_order_id) return PS_MSR_ORDER;
  if (add_request(s, req->nonce, accepted_of(req, now_ms)) != PS_OK) return PS_MSR_ERROR;
  s->max_order_id = req->order_id;
  s->last_received_ms = now_ms;
  s->ended = req->kind == PS_MSESSION_END;
  *accepted_ms = now_ms;
  return PS_MSR_OK;
}

ps_msr_result ps_msession_registry_begin(ps_msession_registry *reg, int64_t game_id,
                                         const char *player, const ps_msession_request *req,
                                         int64_t now_ms, int64_t *accepted_ms) {
  ps_msr_result result;
  int64_t when = now_ms;
  pthread_mutex_lock(&reg->lock);
  if (++reg->decisions % SWEEP_EVERY == 0) {
    reg->now_ms = now_ms;
    ps_keymap_sweep(&reg->sessions, is_long_over, reg, release);
  }
  session *s = find(reg, game_id, req->session_id);
  if (s && reg->store->ops->shared) {
    pthread_mutex_unlock(&reg->lock);
    if (catch_up(reg, game_id, req->session_id, &s) != PS_OK) return PS_MSR_ERROR;
    pthread_mutex_lock(&reg->lock);
    s = find(reg, game_id, req->session_id);
  }
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
    result = advance(reg, s, player, req, now_ms, &when);
  } else if (req->kind != PS_MSESSION_START) {
    result = PS_MSR_UNKNOWN;
  } else {
    result = PS_MSR_ERROR;
    s = session_new(game_id, req->session_id);
    if (s && add_request(s, req->nonce, accepted_of(req, now_ms)) == PS_OK) {
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
  if (accepted_ms && (result == PS_MSR_OK || result == PS_MSR_DUPLICATE)) *accepted_ms = when;
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
