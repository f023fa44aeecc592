/*
 * validator.h: validates analytics events against the schema files of schemas/ (data, not
 * code). The schema language is the JSON-Schema draft-3 dialect of the GameAnalytics seed:
 * "type" (a name, a list of names, or "enum"), "required": true inside a property, "pattern"
 * (PCRE2, JIT-compiled once at load), "enum", "minimum", "maximum", "maxLength", nested
 * "properties", and "extends": "<schema id>" (the shared annotations). Three keywords beyond
 * the seed describe the custom_fields limits on an object property: "maxProperties",
 * "propertyNames" and "additionalProperties". Any other keyword is a load error.
 *
 * Meaning of the rules (validator.c has the reasons):
 *  - "integer" accepts integral reals (2.0); "number" any number; a property without "type"
 *    any value; "type": "enum" any value that is in "enum".
 *  - "pattern" applies to strings and to numbers through their decimal form (client_ts);
 *    "maxLength" counts code points; "minimum"/"maximum" are inclusive.
 *  - null is a value: a non-nullable property set to null is a "type" violation.
 *  - violation codes: "maxProperties" reports "maximum"; "propertyNames" reports "pattern"
 *    on field "<object>.<key>"; "additionalProperties" rules report on "<object>.<key>".
 *  - members no schema names are allowed.
 *
 * A loaded ps_schema_set is immutable and may be used by many threads at once.
 * Events are read as json_doc documents (common/json_doc.h: the collector parses each event
 * once, without an allocation per value). ps_schema_validate_doc never fails for want of
 * memory: it reports into a fixed-size ps_violations, and allocates nothing.
 */
#ifndef PS_SCHEMA_VALIDATOR_H
#define PS_SCHEMA_VALIDATOR_H

#include <jansson.h>
#include <stddef.h>

#include "common/json_doc.h"

#include "schema/embedded.h"

typedef struct ps_schema_set ps_schema_set;

/* The codes a client sees in a 400 answer; names by ps_violation_code_name. */
typedef enum {
  PS_VIOLATION_REQUIRED,
  PS_VIOLATION_TYPE,
  PS_VIOLATION_PATTERN,
  PS_VIOLATION_ENUM,
  PS_VIOLATION_MINIMUM,
  PS_VIOLATION_MAXIMUM,
  PS_VIOLATION_MAXLENGTH,
} ps_violation_code;

#define PS_MAX_VIOLATIONS 32

typedef struct ps_violation {
  char field[96];     /* "currency", "receipt_info.store", "custom_fields.level" */
  ps_violation_code code;
  char message[192];  /* for people: what was wrong and what is allowed */
} ps_violation;

typedef struct ps_violations {
  ps_violation items[PS_MAX_VIOLATIONS];
  size_t count; /* how many are in items (violations past PS_MAX_VIOLATIONS are not kept) */
} ps_violations;

/*
 * Compiles the given schema documents into a set (the documents may be freed afterwards).
 * Schemas refer to each other by their "id", which must equal the document's name (it may be
 * left out). Each document but "shared" validates the events of the category named by its id.
 * Returns 0 and *out, or PS_EINVAL with "schema NAME: FIELD: what" in err (bad JSON, a
 * duplicate key, an unknown or misplaced keyword, a value of the wrong kind, a pattern that
 * does not compile, an "extends" to an unknown id or in a cycle), or PS_ENOMEM; *out is NULL
 * on failure. err may be NULL when errlen is 0.
 */
int ps_schema_set_create(const ps_embedded_schema *docs, size_t count, ps_schema_set **out,
                         char *err, size_t errlen);
/* The set built from the schemas compiled into the binary. */
int ps_schema_set_create_embedded(ps_schema_set **out, char *err, size_t errlen);
void ps_schema_set_free(ps_schema_set *set);

/*
 * Validates one event, the node event of doc: picks the schema by the event's "category", then
 * checks every rule. A non-object event (or a NULL doc) is one violation (field "", code type);
 * a missing, non-string or unknown category is one violation of field "category" (code
 * required, type or enum) and nothing else is checked. Otherwise every violation is reported,
 * in schema order, up to PS_MAX_VIOLATIONS. Returns the number of violations written to out
 * (0 = valid). If category_out is not NULL it receives the event's category when it is a known
 * one, else NULL (the pointer stays valid as long as set lives). Allocates nothing.
 */
size_t ps_schema_validate_doc(const ps_schema_set *set, const ps_json_doc *doc,
                              ps_json_ref event, ps_violations *out,
                              const char **category_out);

/*
 * The same for a jansson value (NULL: no event), for callers that hold one (libplaystat, tests):
 * it serialises the value and parses the text into a document, so unlike
 * ps_schema_validate_doc it allocates; should that fail, the event gets one violation (field
 * "", code type) saying it could not be checked.
 */
size_t ps_schema_validate_event(const ps_schema_set *set, const json_t *event,
                                ps_violations *out, const char **category_out);

/* "required", "type", "pattern", "enum", "minimum", "maximum", "maxLength". */
const char *ps_violation_code_name(ps_violation_code code);

/* The known categories, in a stable order, for metrics labels; count in *count. */
const char *const *ps_schema_categories(const ps_schema_set *set, size_t *count);

#endif
