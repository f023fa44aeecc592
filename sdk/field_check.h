/*
 * field_check.h: an event call's own fields checked against the collector's compiled rules
 * directly, as the caller holds them (C strings and doubles): no JSON text is built to be
 * parsed back, and a pattern already met by the same string is not run again.
 *
 * Why: once the SQLite commit left the event call (journal.h), most of what remained was
 * writing the call's members as JSON, parsing them back into a document and walking it with
 * the validator, and PCRE2 matches that, after a game's frame of other work, ran with cold
 * caches (~20k cycles at 500 calls/s for a design event).
 *
 * Guarantees:
 *  - Never more lenient than the validator (src/schema/validator.c) with the same set: the
 *    rules are the set's own compiled ones (rules.h: the same pcre2 code, type mask, bounds),
 *    and a field is accepted only when the validator would accept the JSON value the event
 *    text gives it. Whatever this check cannot decide alone (a rule it does not read: enum,
 *    a pattern on a number, a nested object; a bound on a number of 2^53 or more in size; a
 *    required member the call did not give) answers "cannot tell", and the
 *    caller validates the event's text the usual way, which decides and says why. So it
 *    never rejects; it only spares the full path when the answer is yes.
 *  - Memo: a string that matched a rule's pattern is remembered (up to MEMO_SLOTS strings of
 *    at most 63 bytes, two slots per string, a newcomer moving the older one to its other
 *    slot); a pattern's verdict on a string
 *    is fixed for the life of the immutable set, so the memo changes no answer. Strings that
 *    did not match are not remembered (the full path runs for them anyway).
 *  - Allocates nothing after init; the matcher's match data lives in the checker (matcher.h).
 * Not thread-safe: one checker per handle, used under the handle's lock.
 */
#ifndef PS_SDK_FIELD_CHECK_H
#define PS_SDK_FIELD_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "schema/matcher.h"
#include "schema/validator.h"

/* One member of the event as the call writes it: a string (s, len) or a finite number d,
 * written as a JSON integer when integer is set (i exactly, with d = (double)i). A string is
 * valid UTF-8 when a rule's pattern matched it (PCRE2_UTF) or, for a rule without a pattern,
 * when every sequence is (common/utf8.h, the JSON readers' own definition). */
typedef struct ps_sdk_field {
  const char *name;
  const char *s; /* NULL: the member is the number d */
  size_t len;
  double d;
  int integer;
  int64_t i;
} ps_sdk_field;

#define PS_SDK_MEMO_SLOTS 256
#define PS_SDK_MEMO_TEXT 63

typedef struct ps_sdk_memo_slot {
  const void *rule; /* NULL: empty */
  uint32_t hash;
  uint8_t len;
  char text[PS_SDK_MEMO_TEXT];
} ps_sdk_memo_slot;

typedef struct ps_sdk_field_checker {
  ps_matcher matcher;
  ps_sdk_memo_slot memo[PS_SDK_MEMO_SLOTS];
} ps_sdk_field_checker;

/* Prepares c (its matcher and an empty memo); cannot fail. */
void ps_sdk_field_checker_init(ps_sdk_field_checker *c);
/* Frees what c's matcher holds. */
void ps_sdk_field_checker_release(ps_sdk_field_checker *c);

/* 1 when the fields (the event's own members; n of them) meet every rule of category's
 * schema in set, 0 when this check cannot tell (see above): the caller validates the text. */
int ps_sdk_fields_valid(ps_sdk_field_checker *c, const ps_schema_set *set, const char *category,
                        const ps_sdk_field *fields, size_t n);

#endif
