/*
 * store.h: opening the two stores of a deployment from one URL (`--store`, $PLAYSTAT_STORE).
 * The URL's scheme picks a backend from the fixed table in backends.c; each backend provides
 * a state store (state.h) and an event store (events.h), as Fluent Bit's output plugins are
 * static structs of callbacks.
 *
 *   sqlite:DIR     the embedded default: both stores in the data directory DIR
 *   DIR            the same (what --data DIR means)
 *   clickhouse://HOST:PORT[,HOST:PORT]/DB[?...]   events in ClickHouse (store/clickhouse/); its
 *                  state store is named apart (`--state`): postgres://... for every node
 *   postgres://... (state only) the state store in PostgreSQL, shared by every node
 *
 * A deployment's state store comes from the state URL when one is given (`--state`), else from
 * the event store's backend (sqlite: the same directory).
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
   * ps_stores_open; NULL: the general order of ps_stores_commit), and the flush that makes
   * what it committed durable (NULL: commit_pending is durable when it returns). */
  int (*commit_pending)(ps_stores *stores, ps_record_span *spans, size_t nspans);
  int (*sync)(ps_stores *stores);
};

/* Opens the event store that url names and the state store of state_url (NULL: url's backend's
 * own). PS_EINVAL when a scheme is unknown or its backend has no store of that kind (*why
 * says so, a static string), else the backend's error; nothing stays open on failure. */
int ps_stores_open(const char *url, const char *state_url, const ps_store_options *options,
                   ps_stores *out, const char **why);
/* Stores one group commit (the ingest writer's: one span per waiting request) in both stores:
 * durable when it returns 0. With a backend of its own (stores->commit_pending), in one transaction.
 * Otherwise in the order that keeps a resend after any failure harmless: the state that names
 * things (a multiplayer session's salt and player numbers) before the append, so that a
 * resend is numbered the same and stored once; the state that refuses repeats (a metrics
 * session's nonces) after it, so that a resend is not refused as a replay. */
int ps_stores_commit(ps_stores *stores, ps_record_span *spans, size_t nspans);
/* ps_stores_commit in two steps, so that a writer can store the next group while this one is
 * flushed: ps_stores_commit_pending stores the group as ps_stores_commit does (visible to
 * readers, in the same order and transactions) but may return before it is durable;
 * ps_stores_sync returns 0 once everything committed before the call is durable (the
 * SQLite backend: one fdatasync of its write-ahead log). ps_stores_commit is the two in a
 * row. Nothing may be acknowledged between the two. */
int ps_stores_commit_pending(ps_stores *stores, ps_record_span *spans, size_t nspans);
int ps_stores_sync(ps_stores *stores);
/* Closes what is open (either may be NULL) and zeroes s. */
void ps_stores_close(ps_stores *s);

/* The backend of a scheme ("sqlite"), or NULL (also when it has no store of that kind). */
const ps_state_store_ops *ps_state_backend(const char *scheme);
const ps_event_store_ops *ps_event_backend(const char *scheme);

#endif
