/*
 * facts.h: what the event store needs of a valid GameAnalytics event, read from its json_doc
 * in one pass over its members: the record's event_uuid, user_id, session_id and client_ts,
 * and its ps_event_facts (store/records.h).
 *
 * Each member means exactly what the SQLite rollup read from it with jansson
 * (store/sqlite/ga_rollup.c, fold_event and family_of), so a backend reading facts and one
 * parsing the body agree:
 *  - strings only when the member is a string (json_string_value), NULL otherwise; decoded,
 *    NUL-terminated copies (a string holding \u0000 reads as a C string up to it, as before);
 *  - client_ts: has_client_ts = a number (json_is_number), client_ts = the integer, or the
 *    real truncated; client_ts_is_integer = json_is_integer;
 *  - amount, length, attempt_num: the value when a JSON integer (has_* = 1), else 0 and
 *    has_* = 0 (json_integer_value; "integer" rules also accept 2.0, which reads as 0);
 *  - value: json_number_value of "amount" for resource, of "value" for design (has_value = a
 *    number); 0 and has_value = 0 for other categories;
 *  - a duplicated key reads as its last value (jansson's json_object_get).
 * tests/unit/test_ga_facts.c checks this against jansson over the events corpus.
 */
#ifndef PS_INGEST_GA_FACTS_H
#define PS_INGEST_GA_FACTS_H

#include <stddef.h>

#include "common/json_doc.h"
#include "store/records.h"

/* Returns a NUL-terminated copy of s[0..len) that lives as long as the record, or NULL. */
typedef const char *(*ps_ga_copy_fn)(void *ctx, const char *s, size_t len);

/*
 * Fills r's event_uuid, user_id, session_id, client_ts and has_client_ts, and f (zeroed by the
 * caller), from the object event of d; r->category must be set (the schema's category). Strings
 * are copied with copy(ctx, ...). Returns 0, or PS_ENOMEM when a copy failed.
 */
int ps_ga_extract(const ps_json_doc *d, ps_json_ref event, ps_record *r, ps_event_facts *f,
                  ps_ga_copy_fn copy, void *ctx);

#endif
