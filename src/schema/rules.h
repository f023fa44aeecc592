/*
 * rules.h: the compiled form of the schema files, shared by compile.c (which builds it from
 * JSON) and validator.c (which walks it for every event). Internal to src/schema/.
 *
 * Invariants once ps_schema_set_create has returned a set:
 *  - every pattern is compiled (and JIT-compiled where the platform allows) and every text a
 *    message needs (type names, enum listing) is prepared, so validation only reads;
 *  - nothing in the set is written again until ps_schema_set_free, so any number of threads
 *    may validate with one set at once;
 *  - a category's flat rule list already holds the rules it inherits through "extends", with
 *    the category's own rule in place of an inherited one of the same name.
 */
#ifndef PS_SCHEMA_RULES_H
#define PS_SCHEMA_RULES_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <jansson.h>
#include <math.h>
#include <pcre2.h>
#include <stddef.h>

#include "common/json_doc.h"
#include "schema/validator.h"

/* JSON types a "type" keyword may allow; a rule whose mask is 0 allows any type. */
enum {
  PS_T_STRING = 1 << 0,
  PS_T_INTEGER = 1 << 1, /* JSON integers, and reals with an integral value */
  PS_T_NUMBER = 1 << 2,  /* any JSON number */
  PS_T_BOOLEAN = 1 << 3,
  PS_T_OBJECT = 1 << 4,
  PS_T_ARRAY = 1 << 5,
  PS_T_NULL = 1 << 6,
};

/* Whether a JSON real has an integral value (what "integer" accepts of reals). */
static inline int ps_real_is_integral(double d) { return isfinite(d) && d == floor(d); }

/* Whether a value of JSON type t (a ps_json_type; real: its value when t is PS_JSON_REAL) is
 * of one of the types in mask (a PS_T_* mask; 0 allows anything). The one definition of what
 * "type" accepts, for the validator (json_doc values) and the loader (jansson values). */
static inline int ps_type_ok(unsigned mask, ps_json_type t, double real) {
  if (!mask) return 1;
  switch (t) {
  case PS_JSON_STRING: return (mask & PS_T_STRING) != 0;
  case PS_JSON_INTEGER: return (mask & (PS_T_INTEGER | PS_T_NUMBER)) != 0;
  case PS_JSON_REAL:
    return (mask & PS_T_NUMBER) || ((mask & PS_T_INTEGER) && ps_real_is_integral(real));
  case PS_JSON_TRUE:
  case PS_JSON_FALSE: return (mask & PS_T_BOOLEAN) != 0;
  case PS_JSON_OBJECT: return (mask & PS_T_OBJECT) != 0;
  case PS_JSON_ARRAY: return (mask & PS_T_ARRAY) != 0;
  case PS_JSON_NULL: return (mask & PS_T_NULL) != 0;
  }
  return 0;
}

/* The ps_json_type of a jansson value. */
static inline ps_json_type ps_jansson_type(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_STRING: return PS_JSON_STRING;
  case JSON_INTEGER: return PS_JSON_INTEGER;
  case JSON_REAL: return PS_JSON_REAL;
  case JSON_TRUE: return PS_JSON_TRUE;
  case JSON_FALSE: return PS_JSON_FALSE;
  case JSON_OBJECT: return PS_JSON_OBJECT;
  case JSON_ARRAY: return PS_JSON_ARRAY;
  case JSON_NULL: break;
  }
  return PS_JSON_NULL;
}

/* Whether v is a JSON number with an integral value (what "integer" accepts). */
static inline int ps_json_is_integral(const json_t *v) {
  return json_is_integer(v) || (json_is_real(v) && ps_real_is_integral(json_real_value(v)));
}

/* ps_type_ok for a jansson value (schema files: enum values). */
static inline int ps_json_type_ok(unsigned mask, const json_t *v) {
  return ps_type_ok(mask, ps_jansson_type(v), json_is_real(v) ? json_real_value(v) : 0);
}

/* A "minimum" or "maximum": kept as a double, and exactly when it is an integer. */
typedef struct ps_bound {
  int set;
  int integral; /* the bound is an integer that fits json_int_t: i is exact */
  json_int_t i;
  double d;
} ps_bound;

typedef struct ps_rule ps_rule;

struct ps_rule {
  char *name;      /* member name ("store"); NULL for propertyNames / additionalProperties */
  char *path;      /* field name in violations ("receipt_info.store"); for the anonymous
                      rules, the parent's path (the member key is appended at run time) */
  unsigned types;  /* PS_T_* mask; 0: any type */
  char type_text[64]; /* "integer or null", for messages */
  int required;
  pcre2_code *pattern;
  char *pattern_text;
  json_t *enum_values; /* array, owned; NULL when there is no "enum" */
  char *enum_text;     /* "ios, android, ..." for messages */
  ps_bound minimum, maximum;
  long long max_length;     /* code points; -1: none */
  long long max_properties; /* -1: none */
  ps_rule *property_names;  /* applied to each member key of an object value; may be NULL */
  ps_rule *additional;      /* applied to each member not in properties; may be NULL */
  ps_rule *properties;      /* nested members of an object value */
  size_t nproperties;
};

/* One schema document. A category's flat list points into its own and its bases' rules. */
typedef struct ps_schema {
  char *id;
  char *extends; /* NULL when it extends nothing */
  ps_rule top;   /* the document itself: its properties are the schema's own rules */
  const ps_rule **flat;
  size_t nflat;
  int state; /* resolution of extends: 0 not yet, 1 in progress (cycle guard), 2 done */
} ps_schema;

struct ps_schema_set {
  ps_schema *schemas;
  size_t nschemas;
  const ps_schema **categories; /* sorted by id, for bsearch */
  const char **category_names;  /* the same order, for ps_schema_categories */
  size_t ncategories;
  char *categories_text; /* "ads, business, ..." for the unknown-category message */
};

#endif
