/*
 * guard.c: deadlines, a per-address cap and eviction for the HTTP server (see guard.h).
 *
 * One table of slots, one per open connection, under one mutex (taken when a connection is
 * accepted, registered or closed, and by the sweeper four times a second); a slot's phase
 * and clock are atomics that the event threads move without the lock. Closing a connection
 * early is shutdown(2) of its socket under the lock: ps_guard_close() runs (under the same
 * lock) before MHD closes the socket, so the guard never touches a descriptor that has been
 * closed and reused.
 */
#include "http/guard.h"

#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/errors.h"

#define SWEEP_MS 250
#define ADDRESS_BUCKETS 65536u

struct ps_guard_conn {
  int fd;
  int used;
  int closing; /* shut down by the guard, waiting for MHD to close it */
  uint32_t bucket;
  atomic_int phase;
  atomic_llong since_ms;
};

struct ps_guard {
  ps_guard_config config;
  pthread_mutex_t lock;
  pthread_cond_t wake;
  pthread_t sweeper;
  int stopping;
  ps_guard_conn *slots;
  size_t nslots;
  size_t *free_list; /* indices of unused slots */
  size_t nfree;
  size_t closing;      /* slots in use that are shutting down */
  uint64_t key;        /* keys the address hash */
  atomic_uint *counts; /* connections per address bucket */
};

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The bucket of a client address (the IP only, not the port); unknown families share 0. */
static uint32_t bucket_of(const ps_guard *g, const struct sockaddr *addr) {
  const unsigned char *p = NULL;
  size_t n = 0;
  if (addr && addr->sa_family == AF_INET) {
    p = (const unsigned char *)&((const struct sockaddr_in *)addr)->sin_addr;
    n = 4;
  } else if (addr && addr->sa_family == AF_INET6) {
    p = (const unsigned char *)&((const struct sockaddr_in6 *)addr)->sin6_addr;
    n = 16;
  }
  uint64_t h = g->key ^ 0x9e3779b97f4a7c15ull;
  for (size_t i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
    h ^= h >> 29;
  }
  h *= 0xbf58476d1ce4e5b9ull;
  return (uint32_t)(h >> 32) % ADDRESS_BUCKETS;
}

/* Shuts a slot's socket down once; with the lock held. */
static void shut(ps_guard *g, ps_guard_conn *c) {
  if (c->closing) return;
  c->closing = 1;
  g->closing++;
  shutdown(c->fd, SHUT_RDWR);
}

static void *sweep(void *arg) {
  ps_guard *g = arg;
  pthread_mutex_lock(&g->lock);
  while (!g->stopping) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += SWEEP_MS * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
      until.tv_sec++;
      until.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&g->wake, &g->lock, &until);
    long long now = now_ms();
    for (size_t i = 0; i < g->nslots; i++) {
      ps_guard_conn *c = &g->slots[i];
      if (!c->used || c->closing) continue;
      int phase = atomic_load(&c->phase);
      long long age = now - atomic_load(&c->since_ms);
      if ((phase == PS_GUARD_HEADERS && age > (long long)g->config.header_timeout_ms) ||
          (phase == PS_GUARD_BODY && age > (long long)g->config.body_timeout_ms) ||
          (phase == PS_GUARD_IDLE &&
           age > (long long)g->config.idle_timeout_ms + g->config.header_timeout_ms))
        shut(g, c);
    }
  }
  pthread_mutex_unlock(&g->lock);
  return NULL;
}

int ps_guard_create(const ps_guard_config *config, ps_guard **out) {
  int rc = PS_ENOMEM;
  ps_guard *g = calloc(1, sizeof *g);
  if (!g) goto out;
  g->config = *config;
  /* Evicted connections stay in their slot until their thread closes them: room for a burst. */
  g->nslots = (size_t)config->max_connections * 2 + 64;
  g->slots = calloc(g->nslots, sizeof *g->slots);
  g->free_list = malloc(g->nslots * sizeof *g->free_list);
  g->counts = calloc(ADDRESS_BUCKETS, sizeof *g->counts);
  if (!g->slots || !g->free_list || !g->counts) goto out;
  for (size_t i = 0; i < g->nslots; i++) g->free_list[i] = g->nslots - 1 - i;
  g->nfree = g->nslots;
  if (getrandom(&g->key, sizeof g->key, 0) != (ssize_t)sizeof g->key) g->key = (uint64_t)now_ms();
  pthread_mutex_init(&g->lock, NULL);
  pthread_cond_init(&g->wake, NULL);
  rc = PS_EIO;
  if (pthread_create(&g->sweeper, NULL, sweep, g) != 0) {
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->wake);
    goto out;
  }
  *out = g;
  g = NULL;
  rc = PS_OK;
out:
  if (g) {
    free(g->slots);
    free(g->free_list);
    free(g->counts);
    free(g);
  }
  return rc;
}

void ps_guard_free(ps_guard *g) {
  if (!g) return;
  pthread_mutex_lock(&g->lock);
  g->stopping = 1;
  pthread_cond_signal(&g->wake);
  pthread_mutex_unlock(&g->lock);
  pthread_join(g->sweeper, NULL);
  pthread_mutex_destroy(&g->lock);
  pthread_cond_destroy(&g->wake);
  free(g->slots);
  free(g->free_list);
  free(g->counts);
  free(g);
}

int ps_guard_admit(ps_guard *g, const struct sockaddr *addr, socklen_t addrlen) {
  (void)addrlen;
  if (atomic_load(&g->counts[bucket_of(g, addr)]) >= g->config.per_address) return 0;
  int admit = 1;
  pthread_mutex_lock(&g->lock);
  size_t live = g->nslots - g->nfree - g->closing;
  if (live >= g->config.max_connections) {
    /* Full: make room by closing a connection that is not sending a request (headers
     * unfinished, or idle between requests): of the address holding the most connections,
     * so that a flood from a few addresses evicts itself and not the one connection of a
     * healthy client; among those, the one that has waited longest. */
    ps_guard_conn *victim = NULL;
    unsigned victim_count = 0;
    long long victim_since = 0;
    for (size_t i = 0; i < g->nslots; i++) {
      ps_guard_conn *c = &g->slots[i];
      if (!c->used || c->closing) continue;
      int phase = atomic_load(&c->phase);
      if (phase != PS_GUARD_HEADERS && phase != PS_GUARD_IDLE) continue;
      unsigned count = atomic_load(&g->counts[c->bucket]);
      long long since = atomic_load(&c->since_ms);
      if (!victim || count > victim_count || (count == victim_count && since < victim_since)) {
        victim = c;
        victim_count = count;
        victim_since = since;
      }
    }
    if (victim && g->nfree > 0) shut(g, victim);
    else admit = 0;
  }
  if (g->nfree == 0) admit = 0;
  pthread_mutex_unlock(&g->lock);
  return admit;
}

ps_guard_conn *ps_guard_open(ps_guard *g, int fd, const struct sockaddr *addr) {
  ps_guard_conn *c = NULL;
  uint32_t bucket = bucket_of(g, addr);
  pthread_mutex_lock(&g->lock);
  if (g->nfree > 0 && atomic_load(&g->counts[bucket]) < g->config.per_address) {
    c = &g->slots[g->free_list[--g->nfree]];
    c->fd = fd;
    c->used = 1;
    c->closing = 0;
    c->bucket = bucket;
    atomic_store(&c->phase, PS_GUARD_HEADERS);
    atomic_store(&c->since_ms, now_ms());
    atomic_fetch_add(&g->counts[c->bucket], 1);
  }
  pthread_mutex_unlock(&g->lock);
  return c;
}

void ps_guard_close(ps_guard *g, ps_guard_conn *c) {
  if (!c) return;
  pthread_mutex_lock(&g->lock);
  if (c->used) {
    if (c->closing) g->closing--;
    atomic_fetch_sub(&g->counts[c->bucket], 1);
    c->used = 0;
    c->closing = 0;
    g->free_list[g->nfree++] = (size_t)(c - g->slots);
  }
  pthread_mutex_unlock(&g->lock);
}

void ps_guard_phase(ps_guard_conn *c, ps_guard_phase_t phase) {
  if (!c) return;
  atomic_store(&c->since_ms, now_ms());
  atomic_store(&c->phase, (int)phase);
}
