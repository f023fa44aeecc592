/*
 * anonymizer.c: see anonymizer.h. Sessions live in a keymap keyed by
 * "project \x1f environment \x1f session"; each holds its salt and its players as a small
 * array of (hash, number), searched linearly (a match has tens of players, not thousands).
 */
#include "ingest/sessions/anonymizer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/hmac.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/array.h"
#include "common/errors.h"
#include "common/keymap.h"
#include "common/random.h"

#define NBUCKETS 4096
#define IDLE_MS (3600 * 1000)
#define SWEEP_EVERY 1024

typedef struct known_player {
  char hash[65];
  int64_t number;
} known_player;

typedef struct session {
  ps_keymap_entry key;
  char name[3 * 129 + 3]; /* project \x1f environment \x1f session */
  char salt[65];
  known_player *players;
  size_t nplayers, cap;
  int64_t used_ms;
} session;

struct ps_so_anonymizer {
  ps_state_store *store;
  pthread_mutex_t lock;
  ps_keymap sessions;
  unsigned decisions;
  int64_t now_ms; /* for sweeps */
};

static void session_free(session *s) {
  free(s->players);
  free(s);
}

static void release(ps_keymap_entry *e) { session_free(ps_keymap_owner(e, session, key)); }

static void key_name(const ps_so_key *key, char *out, size_t cap) {
  snprintf(out, cap, "%s\x1f%s\x1f%s", key->project_id, key->environment_id, key->session_id);
}

int ps_so_anonymizer_create(ps_state_store *store, ps_so_anonymizer **out) {
  ps_so_anonymizer *a = calloc(1, sizeof *a);
  if (!a) return PS_ENOMEM;
  if (ps_keymap_init(&a->sessions, NBUCKETS) != PS_OK) {
    free(a);
    return PS_ENOMEM;
  }
  a->store = store;
  pthread_mutex_init(&a->lock, NULL);
  *out = a;
  return PS_OK;
}

void ps_so_anonymizer_free(ps_so_anonymizer *a) {
  if (!a) return;
  ps_keymap_destroy(&a->sessions, release);
  pthread_mutex_destroy(&a->lock);
  free(a);
}

static int add_player(session *s, const char *hash, int64_t number) {
  if (PS_ARRAY_RESERVE(s->players, s->nplayers, s->cap)) return PS_ENOMEM;
  known_player *p = &s->players[s->nplayers++];
  snprintf(p->hash, sizeof p->hash, "%s", hash);
  p->number = number;
  return PS_OK;
}

static int load_player(const ps_so_player *player, void *ctx) {
  return add_player(ctx, player->hash, player->number);
}

static int is_idle(ps_keymap_entry *e, void *ctx) {
  const ps_so_anonymizer *a = ctx;
  return a->now_ms - ps_keymap_owner(e, session, key)->used_ms > IDLE_MS;
}

/* A session named name as the store keeps it (*stored = 1), else new with a fresh salt
 * (*stored = 0). */
static int load_session(ps_so_anonymizer *a, const ps_so_key *key, const char *name,
                        session **out, int *stored) {
  session *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  snprintf(s->name, sizeof s->name, "%s", name);
  s->key.name = s->name;
  int rc = a->store->ops->so_anonymity_load(a->store, key, s->salt, load_player, s);
  *stored = rc == PS_OK;
  if (rc == PS_ENOTFOUND) {
    s->nplayers = 0;
    rc = ps_random_hex(s->salt, 32);
  }
  if (rc != PS_OK) {
    session_free(s);
    return rc;
  }
  *out = s;
  return PS_OK;
}

/* The session of key, from memory (*cached = 1), else the store, else new (with a fresh
 * salt). Lock held. */
static int find_session(ps_so_anonymizer *a, const ps_so_key *key, session **out, int *cached) {
  char name[sizeof ((session *)0)->name];
  key_name(key, name, sizeof name);
  ps_keymap_entry *e = ps_keymap_find(&a->sessions, 0, name);
  *cached = e != NULL;
  if (e) {
    *out = ps_keymap_owner(e, session, key);
    return PS_OK;
  }
  int stored;
  int rc = load_session(a, key, name, out, &stored);
  if (rc == PS_OK) ps_keymap_insert(&a->sessions, &(*out)->key);
  return rc;
}

static const known_player *known_hash(const session *s, const char *hash) {
  for (size_t i = 0; i < s->nplayers; i++)
    if (strcmp(s->players[i].hash, hash) == 0) return &s->players[i];
  return NULL;
}

static const known_player *known_number(const session *s, int64_t number) {
  for (size_t i = 0; i < s->nplayers; i++)
    if (s->players[i].number == number) return &s->players[i];
  return NULL;
}

/* Adds to s the players of stored it lacks. 0 when s disagrees with stored (another salt, a
 * player with another number, a number held by another player): s is then to be dropped. */
static int merge(session *s, const session *stored) {
  if (strcmp(s->salt, stored->salt) != 0) return 0;
  for (size_t i = 0; i < stored->nplayers; i++) {
    const known_player *want = &stored->players[i];
    const known_player *by_hash = known_hash(s, want->hash);
    const known_player *by_number = known_number(s, want->number);
    if (by_hash && by_hash == by_number) continue; /* known alike */
    if (by_hash || by_number) return 0;
    if (add_player(s, want->hash, want->number) != PS_OK) return 0;
  }
  return 1;
}

/* The players of the n events whose ids s does not know yet. */
static int names_new_player(const session *s, const ps_so_event *events, size_t n) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < events[i].nplayer_slots; j++) {
      const char *id = json_string_value(events[i].player_slots[j]);
      unsigned char mac[PS_HMAC_SHA256_LEN];
      char hash[65];
      if (ps_hmac_sha256(s->salt, strlen(s->salt), id, strlen(id), mac) != PS_OK) return 1;
      ps_hex_encode(mac, sizeof mac, hash);
      if (!known_hash(s, hash)) return 1;
    }
  return 0;
}

/*
 * A store shared by several nodes (state.h `shared`): before numbering a player it does not
 * know, this node reads the session from the store again, since another node may have
 * committed a salt or numbers meanwhile. Players the store has and memory lacks are added
 * (memory keeps its own decisions not committed yet); when memory disagrees with the store (another salt, or a number another node gave to
 * another player), the store's session replaces it: the numbers memory handed out alone are
 * void (the store refuses their records, whose requests are answered 503 and resent).
 * Numbers already known never change, so a request naming only known players needs no read.
 * Lock held.
 */
static int catch_up(ps_so_anonymizer *a, const ps_so_key *key, session **s) {
  session *stored;
  int in_store;
  int rc = load_session(a, key, (*s)->name, &stored, &in_store);
  if (rc != PS_OK) return rc;
  /* Not in the store yet (memory's salt is the one being written), or merged. */
  if (!in_store || merge(*s, stored)) {
    session_free(stored);
    return PS_OK;
  }
  ps_keymap_entry *old = ps_keymap_remove(&a->sessions, 0, (*s)->name);
  if (old) release(old);
  ps_keymap_insert(&a->sessions, &stored->key);
  *s = stored;
  return PS_OK;
}

/* The number of the player whose id is in slot, assigned if new; its hash into hash. */
static int number_of(session *s, const char *id, char hash[65], int64_t *number) {
  unsigned char mac[PS_HMAC_SHA256_LEN];
  if (ps_hmac_sha256(s->salt, strlen(s->salt), id, strlen(id), mac) != PS_OK) return PS_EIO;
  ps_hex_encode(mac, sizeof mac, hash);
  const known_player *known = known_hash(s, hash);
  if (known) {
    *number = known->number;
    return PS_OK;
  }
  if (s->nplayers >= PS_SO_MAX_PLAYERS_PER_SESSION) return PS_ETOOBIG;
  int64_t highest = 0; /* numbers are 1..nplayers, unless the store's came with gaps */
  for (size_t i = 0; i < s->nplayers; i++)
    if (s->players[i].number > highest) highest = s->players[i].number;
  *number = highest + 1;
  return add_player(s, hash, *number);
}

static int anonymize_event(session *s, ps_so_event *ev, ps_so_anonymized *out) {
  memset(out, 0, sizeof *out);
  size_t n = ev->nplayer_slots;
  out->players = calloc(n ? n : 1, sizeof *out->players);
  out->hashes = calloc(n ? n : 1, sizeof *out->hashes);
  if (!out->players || !out->hashes) return PS_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    int64_t number;
    int rc = number_of(s, json_string_value(ev->player_slots[i]), out->hashes[i], &number);
    if (rc != PS_OK) return rc;
    char name[32];
    snprintf(name, sizeof name, "Player %lld", (long long)number);
    if (json_string_set(ev->player_slots[i], name) != 0) return PS_ENOMEM;
    out->players[i] = (ps_so_player){out->hashes[i], number};
    out->nplayers++;
  }
  return PS_OK;
}

int ps_so_anonymizer_apply(ps_so_anonymizer *a, const ps_so_key *key, ps_so_event *events,
                           size_t n, ps_so_anonymized *out, char *salt) {
  session *s = NULL;
  int rc;
  pthread_mutex_lock(&a->lock);
  a->now_ms = ps_now_ms();
  if (++a->decisions % SWEEP_EVERY == 0) ps_keymap_sweep(&a->sessions, is_idle, a, release);
  size_t known = 0;
  int cached = 0;
  rc = find_session(a, key, &s, &cached);
  if (rc == PS_OK && cached && a->store->ops->shared && names_new_player(s, events, n))
    rc = catch_up(a, key, &s);
  if (rc == PS_OK) {
    known = s->nplayers;
    s->used_ms = a->now_ms;
    memcpy(salt, s->salt, 65);
  }
  for (size_t i = 0; rc == PS_OK && i < n; i++) rc = anonymize_event(s, &events[i], &out[i]);
  if (rc != PS_OK && s) s->nplayers = known; /* numbers handed out by this request are void */
  pthread_mutex_unlock(&a->lock);
  if (rc != PS_OK)
    for (size_t i = 0; i < n; i++) ps_so_anonymized_free(&out[i]);
  return rc;
}

void ps_so_anonymizer_finish(ps_so_anonymizer *a, const ps_so_key *key, int committed) {
  if (committed) return;
  char name[sizeof ((session *)0)->name];
  key_name(key, name, sizeof name);
  pthread_mutex_lock(&a->lock);
  ps_keymap_entry *e = ps_keymap_remove(&a->sessions, 0, name);
  if (e) release(e);
  pthread_mutex_unlock(&a->lock);
}

void ps_so_anonymized_free(ps_so_anonymized *x) {
  free(x->players);
  free(x->hashes);
  memset(x, 0, sizeof *x);
}
