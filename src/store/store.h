/*
 * store.h: opening the two stores of a deployment from one URL (`--store`, $PLAYSTAT_STORE).
 * The URL's scheme picks a backend from the fixed table in backends.c; each backend provides
 * a state store (state.h) and an event store (events.h), as Fluent Bit's output plugins are
 * static structs of callbacks.
 *
 *   sqlite:DIR     the embedded default: both stores in the data directory DIR
 *   DIR            the same (what --data DIR means)
 */
#ifndef PS_STORE_STORE_H
#define PS_STORE_STORE_H

#include "store/events.h"
#include "store/options.h"
#include "store/state.h"

typedef struct ps_stores ps_stores;
struct ps_stores {
  ps_state_store *state;
  ps_event_store *events;
  /* The backend's own group commit when its two stores share a transaction (set by
   * ps_stores_open; NULL: the general order of ps_stores_commit). */
  int (*commit)(ps_stores *stores, ps_record_span *spans, size_t nspans);
};

/* Opens both stores that url names. PS_EINVAL when the scheme is unknown (*why says so, a
 * static string), else the backend's error; nothing stays open on failure. */
int ps_stores_open(const char *url, const ps_store_options *options, ps_stores *out,
                   const char **why);
/* Stores one group commit (the ingest writer's: one span per waiting request) in both stores:
 * durable when it returns 0. With a backend of its own (stores->commit), in one transaction.
 * Otherwise in the order that keeps a resend after any failure harmless: the state that names
 * things (a multiplayer session's salt and player numbers) before the append, so that a
 * resend is numbered the same and stored once; the state that refuses repeats (a metrics
 * session's nonces) after it, so that a resend is not refused as a replay. */
int ps_stores_commit(ps_stores *stores, ps_record_span *spans, size_t nspans);
/* Closes what is open (either may be NULL) and zeroes s. */
void ps_stores_close(ps_stores *s);

/* The backend of a scheme ("sqlite"), or NULL. */
const ps_state_store_ops *ps_state_backend(const char *scheme);
const ps_event_store_ops *ps_event_backend(const char *scheme);

#endif
