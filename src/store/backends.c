/* backends.c: the fixed table of store backends, chosen by the scheme of `--store URL`. */
#include <stdio.h>
#include <string.h>

#include "common/errors.h"
#include "store/store.h"

extern const ps_state_store_ops ps_sqlite_state_ops;
extern const ps_event_store_ops ps_sqlite_event_ops;
extern const ps_event_store_ops ps_clickhouse_event_ops;
extern const ps_state_store_ops ps_postgres_state_ops;
int ps_sqlite_commit_pending(ps_stores *stores, ps_record_span *spans, size_t nspans);
int ps_sqlite_sync(ps_stores *stores);

/* A backend may hold either store or both; the group commit of its own applies only when it
 * holds both of a deployment. */
static const struct backend {
  const char *scheme;
  const ps_state_store_ops *state;   /* NULL: events only */
  const ps_event_store_ops *events;  /* NULL: state only */
  int (*commit_pending)(ps_stores *stores, ps_record_span *spans, size_t nspans); /* NULL: general */
  int (*sync)(ps_stores *stores); /* NULL: commit_pending is durable itself */
} backends[] = {
    {"sqlite", &ps_sqlite_state_ops, &ps_sqlite_event_ops, ps_sqlite_commit_pending, ps_sqlite_sync},
    {"clickhouse", NULL, &ps_clickhouse_event_ops, NULL, NULL},
    {"postgres", &ps_postgres_state_ops, NULL, NULL, NULL},
    {"postgresql", &ps_postgres_state_ops, NULL, NULL, NULL},
};

#define NBACKENDS (sizeof backends / sizeof *backends)

static const struct backend *backend_of(const char *scheme, size_t len) {
  for (size_t i = 0; i < NBACKENDS; i++)
    if (strlen(backends[i].scheme) == len && strncmp(backends[i].scheme, scheme, len) == 0)
      return &backends[i];
  return NULL;
}

const ps_state_store_ops *ps_state_backend(const char *scheme) {
  const struct backend *b = backend_of(scheme, strlen(scheme));
  return b ? b->state : NULL;
}

const ps_event_store_ops *ps_event_backend(const char *scheme) {
  const struct backend *b = backend_of(scheme, strlen(scheme));
  return b ? b->events : NULL;
}

/* The backend of url and where its location starts ("scheme:rest" when what precedes the
 * first ':' is a scheme's letters; else url is a directory of the first backend). The
 * sqlite backend takes "sqlite://DIR" as "sqlite:DIR"; the others keep their "//". */
static const struct backend *parse(const char *url, const char **location) {
  const char *colon = strchr(url, ':');
  size_t n = colon ? (size_t)(colon - url) : 0;
  int has_scheme = colon && n > 0 && strspn(url, "abcdefghijklmnopqrstuvwxyz") == n;
  const struct backend *b = has_scheme ? backend_of(url, n) : &backends[0];
  *location = has_scheme ? colon + 1 : url;
  if (b == &backends[0] && has_scheme && strncmp(*location, "//", 2) == 0) *location += 2;
  return b;
}

int ps_stores_open(const char *url, const char *state_url, const ps_store_options *options,
                   ps_stores *out, const char **why) {
  out->state = NULL;
  out->events = NULL;
  out->commit_pending = NULL;
  out->sync = NULL;
  *why = NULL;
  const char *location, *state_location;
  const struct backend *b = parse(url, &location);
  const struct backend *sb = state_url ? parse(state_url, &state_location) : b;
  if (!state_url) state_location = location;
  if (!b || !sb) {
    *why = "unknown store scheme (known: sqlite:DIR, clickhouse://HOST:PORT/DB, postgres://...)";
    return PS_EINVAL;
  }
  if (!b->events) {
    *why = "that backend holds no event store (--store: sqlite:DIR or clickhouse://...)";
    return PS_EINVAL;
  }
  if (!sb->state) {
    *why = "the ClickHouse event store needs a state store: --state postgres://... (shared by "
           "every node) or --state sqlite:DIR (one node)";
    return PS_EINVAL;
  }
  if (!*location || !*state_location) {
    *why = "the store URL names no location (sqlite:DIR)";
    return PS_EINVAL;
  }
  int rc = b->events->open(location, options, &out->events);
  if (rc == PS_OK) rc = sb->state->open(state_location, options, &out->state);
  if (rc != PS_OK) ps_stores_close(out);
  else if (b == sb) {
    out->commit_pending = b->commit_pending;
    out->sync = b->sync;
  }
  return rc;
}
int ps_stores_commit_pending(ps_stores *s, ps_record_span *spans, size_t nspans) {
  if (s->commit_pending) return s->commit_pending(s, spans, nspans);
  int rc = s->state->ops->apply(s->state, spans, nspans, PS_RECORD_BIT(PS_RECORD_SO_EVENT));
  if (rc == PS_OK) rc = s->events->ops->append(s->events, spans, nspans);
  if (rc == PS_OK)
    rc = s->state->ops->apply(s->state, spans, nspans, PS_RECORD_BIT(PS_RECORD_MSESSION));
  return rc;
}

int ps_stores_sync(ps_stores *s) { return s->sync ? s->sync(s) : PS_OK; }

int ps_stores_commit(ps_stores *s, ps_record_span *spans, size_t nspans) {
  int rc = ps_stores_commit_pending(s, spans, nspans);
  return rc == PS_OK ? ps_stores_sync(s) : rc;
}

void ps_stores_close(ps_stores *s) {
  if (s->state) s->state->ops->close(s->state);
  if (s->events) s->events->ops->close(s->events);
  s->state = NULL;
  s->events = NULL;
  s->commit_pending = NULL;
  s->sync = NULL;
}
