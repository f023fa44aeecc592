/*
 * validator.h: validates analytics events against the schema files of schemas/ (data, not
 * code). The schema language is the JSON-Schema draft-3 dialect of the GameAnalytics seed:
 * "type" (a name, a list of names, or "enum"), "required": true inside a property, "pattern"
 * (PCRE2, JIT-compiled once at load), "enum", "minimum", "maximum", "maxLength", nested
 * "properties", and "extends": "<schema id>" (the shared annotations). Two keywords beyond the
 * seed describe the custom_fields limits: "maxProperties" and "propertyNames"/
 * "additionalProperties" on an object property.
 *
 * A loaded ps_schema_set is immutable and may be used by many threads at once.
 * Validation never fails for want of memory: it reports into a fixed-size ps_violations.
 */
#ifndef PS_SCHEMA_VALIDATOR_H
#define PS_SCHEMA_VALIDATOR_H

#include <jansson.h>
#include <stddef.h>

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
 * Compiles the given schema documents into a set. Schemas refer to each other by their "id".
 * Each document whose id is an event category (anything but "shared") validates the events of
 * that category. Returns 0, or PS_EINVAL with a message in err (bad JSON, unknown keyword,
 * a pattern that does not compile, an "extends" to an unknown id), or PS_ENOMEM.
 */
int ps_schema_set_create(const ps_embedded_schema *docs, size_t count, ps_schema_set **out,
                         char *err, size_t errlen);
/* The set built from the schemas compiled into the binary. */
int ps_schema_set_create_embedded(ps_schema_set **out, char *err, size_t errlen);
void ps_schema_set_free(ps_schema_set *set);

/*
 * Validates one event: picks the schema by the event's "category", then checks every rule.
 * A non-object event, a missing category or an unknown category is itself a violation
 * (field "" / "category"). Returns the number of violations written to out (0 = valid).
 * If category_out is not NULL it receives the event's category when it is a known one, else
 * NULL (the pointer stays valid as long as set lives).
 */
size_t ps_schema_validate_event(const ps_schema_set *set, const json_t *event,
                                ps_violations *out, const char **category_out);

/* "required", "type", "pattern", "enum", "minimum", "maximum", "maxLength". */
const char *ps_violation_code_name(ps_violation_code code);

/* The known categories, in a stable order, for metrics labels; count in *count. */
const char *const *ps_schema_categories(const ps_schema_set *set, size_t *count);

#endif
