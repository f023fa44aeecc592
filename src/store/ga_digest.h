/*
 * ga_digest.h: what every event store counts of one analytics event, its digest, worked out
 * once when the event is appended and kept beside it in typed columns (SQLite: the event's
 * row, read by the rollups of sqlite/ga_rollup.h; ClickHouse: the events table, read by SQL),
 * so that no metric parses a body again (issue 12). Both backends use this one definition.
 *
 * A digest comes from the record's category, user_id, client_ts and received time and from
 * its facts (records.h: what the collector's one parse extracted). A caller without facts
 * (facts == NULL) and the upgrade of rows stored before version 8 have the body parsed here
 * instead, once, into the same facts: ps_ga_digest_from_body is the only other parse of a
 * stored event's body, and both ways end in ps_ga_digest_make, the one place that says what
 * the rollups count.
 */
#ifndef PS_STORE_GA_DIGEST_H
#define PS_STORE_GA_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "store/records.h"

/* Dimensions of a digest: 0 stands for all events; 1..7: platform, build, os_version,
 * custom_01..03, country (the event dimensions of insights/catalog.c, in that order). 1..6
 * come from the event's body (its facts), country from the record (the request's client
 * address, records.h); an event stored before there was a country has none. */
#define PS_GA_DIMS 8
#define PS_GA_DIM_COUNTRY 7

/* The family key of ga_query.h is at most this long (bytes, NUL included). */
#define PS_GA_KEY_CAP 256

typedef struct ps_ga_digest {
  int folds;   /* 0: the rollups skip the event (no category or user_id; a body that did not
                * parse); nothing below is meaningful then */
  int64_t day; /* UTC day (of client_ts when it is an integer, else of the receive time) */
  /* [1..7]: platform, build, os_version, custom_01..03, country; NULL when absent or empty.
   * Borrowed from the facts and the record (or, from a body, held by the digest until
   * ps_ga_digest_release). */
  const char *dims[PS_GA_DIMS];
  /* The one aggregate the event adds to besides its category's counts: business: revenue per
   * currency (the amount); session_end: length ("", the length); progression, resource,
   * design, error, ads: the family's key and value. NULL when it adds to none. */
  const char *agg_key;
  double agg_value;
  char key[PS_GA_KEY_CAP]; /* agg_key's storage when it is made here */
  void *parsed;            /* the body's parse, when the digest comes from one */
} ps_ga_digest;

/* The digest of an event of category, user_id (either NULL: it does not fold), client_ts
 * (seconds, when client_ts_integer; else received_ms counts) with facts (not NULL). Fills
 * *out, which borrows facts' strings. Never fails. */
void ps_ga_digest_make(const char *category, const char *user_id, int client_ts_integer,
                       int64_t client_ts, int64_t received_ms, const ps_event_facts *facts,
                       ps_ga_digest *out);

/* The same from the event's body (len bytes of JSON, parsed here with jansson): the facts as
 * the collector would have extracted them, and client_ts from the body. A body that does not
 * parse gives a digest that does not fold. PS_OK, or PS_ENOMEM (nothing to release then).
 * Release the digest with ps_ga_digest_release. */
int ps_ga_digest_from_body(const char *category, const char *user_id, int64_t received_ms,
                           const char *body, size_t len, ps_ga_digest *out);

/* The digest of an event record: from its facts, or from its body when it has none, and the
 * record's country. Release with ps_ga_digest_release. PS_OK or PS_ENOMEM. */
int ps_ga_digest_of_record(const ps_record *r, ps_ga_digest *out);

/* Frees what the digest holds (a body's parse); a digest from facts holds nothing. */
void ps_ga_digest_release(ps_ga_digest *d);

#endif
