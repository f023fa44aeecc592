/*
 * event_text.h: the fast half of an event call: the event's JSON text without jansson's
 * dumper, validation of the event's own members only, and event_uuids from a pool.
 *
 * Why: with the SQLite commit gone from the call (journal.h), what was left was mostly
 * json_dumps (printf for every number), validating the ~10 default annotations again on
 * every event, and one RAND_bytes call per event_uuid.
 *
 * Guarantees:
 *  - Validation is the collector's own (src/schema/), and exact: every rule of the schema
 *    dialect applies to one member (validator.h), so an event is valid exactly when its
 *    annotations are and its own members are. The annotations change only with the session or
 *    a custom dimension: they are validated (as a whole event, with the full schemas) when
 *    they change. Each call validates its own members with "own" schemas derived at create
 *    from the same embedded files: the category's properties plus the shared properties a
 *    call sets itself (event_uuid, client_ts, custom_fields). A category whose schema
 *    redefines a shared property, or that does not extend "shared", has no own schema: its
 *    events are validated whole, as before.
 *  - The text is JSON the collector reads back to the same values: strings escaped,
 *    integers exact, other numbers in the shortest of %.15g / %.17g that reads back equal.
 */
#ifndef PS_SDK_EVENT_TEXT_H
#define PS_SDK_EVENT_TEXT_H

#include <jansson.h>
#include <stdint.h>

#include "common/buf.h"
#include "schema/validator.h"

/* Appends s[0..len) as a JSON string, as ps_buf_append_json_string does, in one copy when no
 * byte needs an escape (an event id, a key: the common case). PS_OK or PS_ENOMEM. */
int ps_sdk_json_append_string(ps_buf *b, const char *s, size_t len);

/* Appends v as compact JSON. PS_OK, PS_ENOMEM, or PS_EINVAL (a non-finite number). */
int ps_sdk_json_append(ps_buf *b, const json_t *v);
/* Appends an integer as jansson's json_integer would hold it (exact). PS_OK or PS_ENOMEM. */
int ps_sdk_json_append_integer(ps_buf *b, int64_t v);
/* Appends a double as jansson's json_real would hold it. PS_OK, PS_ENOMEM, PS_EINVAL (not
 * finite: jansson refuses such a real). */
int ps_sdk_json_append_real(ps_buf *b, double v);
/* Appends the members of object v without its braces ("a":1,"b":2). */
int ps_sdk_json_append_members(ps_buf *b, const json_t *v);

/* The "own" schemas (above) from the embedded files. PS_OK, PS_ENOMEM or PS_EINVAL (err). */
int ps_sdk_own_schemas_create(ps_schema_set **out, char *err, size_t errlen);
/* The same, and into *fast the "own" schemas without event_uuid and client_ts: the library
 * makes those two itself, so a call needs not match them each time when (a) the shared rule
 * of event_uuid is the one every UUID of ps_sdk_uuid meets (type string and the hex 8-4-4-4-12
 * pattern; else *fast stays NULL) and (b) the same client_ts already passed the full own
 * schema (the caller keeps that value). Both sets are freed on failure. */
int ps_sdk_own_schemas_create2(ps_schema_set **out, ps_schema_set **fast, char *err,
                               size_t errlen);

/* A pool of random bytes for event_uuids, refilled from OpenSSL's RAND_bytes: by the
 * library's thread ahead of need (ps_sdk_uuid_pool_offer: a spare half, taken by the call that
 * empties the other), by the call itself only when no spare is ready (back to back calls).
 * Why: a RAND_bytes call on the game thread cost ~20-30 us with cold caches, and at one
 * refill every 64 calls it was the p99 of a call at 500 calls/s. */
#define PS_SDK_UUID_POOL 4096

typedef struct ps_sdk_uuid_pool {
  int current;
  size_t used; /* bytes of [current] used (and zeroed) */
  int filled;  /* [current] holds random bytes (the zeroed pool is empty) */
  int spare_ready;
  unsigned char bytes[2][PS_SDK_UUID_POOL]; /* [current]: in use; the other: the spare */
} ps_sdk_uuid_pool;

/* A fresh UUID v4 into out. PS_OK or PS_EIO (no randomness). */
int ps_sdk_uuid(ps_sdk_uuid_pool *pool, char out[37]);

/* Whether the pool has no spare (the library's thread then makes PS_SDK_UUID_POOL random
 * bytes, without the lock the pool is used under, and offers them). */
int ps_sdk_uuid_pool_wants(const ps_sdk_uuid_pool *pool);
/* Takes bytes (PS_SDK_UUID_POOL of them, random) as the spare when none is ready. */
void ps_sdk_uuid_pool_offer(ps_sdk_uuid_pool *pool, const unsigned char *bytes);

#endif
