/*
 * validator.c: checks one event against the compiled rules of rules.h; implements
 * ps_schema_validate_doc, ps_schema_validate_event and ps_violation_code_name of validator.h.
 * It reads events as json_doc documents (common/json_doc.h), the collector's one parse.
 *
 * Guarantees:
 *  - reads the set and the event only, so any number of threads may validate at once;
 *  - ps_schema_validate_doc allocates nothing: violations go into the caller's fixed ps_violations, patterns run
 *    through a stack ps_matcher (matcher.h);
 *  - reports every violation of the event (up to PS_MAX_VIOLATIONS), in the order of the
 *    schema's rules, at most one per keyword of a field; a field of the wrong type gets only
 *    its "type" violation (its other keywords have no meaning for that value);
 *  - members the schema does not name are never a violation;
 *  - field and message texts are truncated on UTF-8 character boundaries.
 *
 * Semantics decided here beyond the seed's wording:
 *  - "integer" accepts JSON reals with an integral value (2.0), since some JSON encoders
 *    write every number as a double; "number" accepts any number.
 *  - "pattern" applies to strings, and also to numbers through their decimal form: the seed
 *    puts "^([0-9]{10,11})$" on the integer client_ts, meaning Unix seconds, not milliseconds.
 *    An integral value prints as an integer (1700000000.0 -> "1700000000"), others as %.17g.
 *  - "maxLength" counts Unicode code points, not bytes.
 *  - A JSON null is a value: for a property whose type does not list "null" it is a "type"
 *    violation, not a missing field.
 *  - "maxProperties" is reported with code "maximum"; "propertyNames" with code "pattern" (or
 *    "maxLength") on field "<object>.<key>"; "additionalProperties" rules apply to each member
 *    not named in "properties", on field "<object>.<key>".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

#include "schema/matcher.h"
#include "schema/rules.h"

/* Longest piece of a client's value quoted in a message. */
#define QUOTE_BYTES 40

typedef struct vctx {
  ps_violations *out;
  ps_matcher matcher;
} vctx;

const char *ps_violation_code_name(ps_violation_code code) {
  switch (code) {
  case PS_VIOLATION_REQUIRED: return "required";
  case PS_VIOLATION_TYPE: return "type";
  case PS_VIOLATION_PATTERN: return "pattern";
  case PS_VIOLATION_ENUM: return "enum";
  case PS_VIOLATION_MINIMUM: return "minimum";
  case PS_VIOLATION_MAXIMUM: return "maximum";
  case PS_VIOLATION_MAXLENGTH: return "maxLength";
  }
  return "unknown";
}

/* If the first len bytes of s end inside a multi-byte UTF-8 sequence, returns the length
 * without that partial sequence, else len. */
static size_t utf8_cut(const char *s, size_t len) {
  size_t start = len;
  while (start > 0 && len - start < 4 && ((unsigned char)s[start - 1] & 0xC0) == 0x80) start--;
  if (start == 0) return len;
  unsigned char lead = (unsigned char)s[start - 1];
  size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
  return len - (start - 1) < need ? start - 1 : len;
}

/* Copies len bytes of src into dst (size bytes, NUL-terminated), ending in "..." and on a
 * character boundary when it does not fit. Stops at a NUL byte in src. */
static void copy_text(char *dst, size_t size, const char *src, size_t len) {
  if (!size) return;
  const char *nul = memchr(src, '\0', len);
  if (nul) len = (size_t)(nul - src);
  if (len < size) {
    memcpy(dst, src, len);
    dst[len] = '\0';
    return;
  }
  const char *ellipsis = size >= 8 ? "..." : ""; /* callers' buffers are larger: a guard */
  size_t keep = utf8_cut(src, size - 1 - strlen(ellipsis));
  memcpy(dst, src, keep);
  memcpy(dst + keep, ellipsis, strlen(ellipsis) + 1);
}

/* Code points in a valid UTF-8 string (json_doc only holds valid UTF-8). */
static size_t utf8_length(const char *s, size_t len) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) n += ((unsigned char)s[i] & 0xC0) != 0x80;
  return n;
}

/* One value of the event: the document and the node. */
typedef struct jv {
  const ps_json_doc *d;
  ps_json_ref at;
} jv;

static ps_json_type type_of(jv v) { return ps_json_type_of(v.d, v.at); }
static double real_of(jv v) { return v.d->nodes[v.at].u.d; }

static int type_ok(unsigned mask, jv v) {
  ps_json_type t = type_of(v);
  return ps_type_ok(mask, t, t == PS_JSON_REAL ? real_of(v) : 0);
}

static const char *json_type_name(ps_json_type t) {
  switch (t) {
  case PS_JSON_STRING: return "string";
  case PS_JSON_INTEGER: return "integer";
  case PS_JSON_REAL: return "number";
  case PS_JSON_TRUE:
  case PS_JSON_FALSE: return "boolean";
  case PS_JSON_OBJECT: return "object";
  case PS_JSON_ARRAY: return "array";
  case PS_JSON_NULL: return "null";
  }
  return "?";
}

/* Writes the decimal digits of i into buf (at least 21 bytes); returns their length. Not
 * snprintf: it runs for every client_ts, and snprintf costs more than the pattern match. */
static size_t integer_text(long long i, char *buf) {
  char tmp[24];
  size_t n = 0, len = 0;
  unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
  do {
    tmp[n++] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (i < 0) buf[len++] = '-';
  while (n) buf[len++] = tmp[--n];
  buf[len] = '\0';
  return len;
}

/* The decimal form of a number, as "pattern" sees it and messages print it (buf: 32 bytes or
 * more); returns its length. */
static size_t number_text(jv v, char *buf, size_t size) {
  if (type_of(v) == PS_JSON_INTEGER) return integer_text((long long)ps_json_integer(v.d, v.at), buf);
  double d = real_of(v);
  if (ps_real_is_integral(d) && d >= -9.2e18 && d <= 9.2e18) return integer_text((long long)d, buf);
  int n = snprintf(buf, size, "%.17g", d);
  return n < 0 ? 0 : strlen(buf);
}

/* A short, printable rendering of a client value for messages: "\"abc\"", 12, true, array. */
static void value_text(jv v, char *buf, size_t size) {
  ps_json_type t = type_of(v);
  if (t == PS_JSON_STRING) {
    char inner[QUOTE_BYTES + 4];
    size_t len;
    const char *s = ps_json_string(v.d, v.at, &len);
    copy_text(inner, sizeof inner, s, len);
    snprintf(buf, size, "\"%s\"", inner);
  } else if (t == PS_JSON_INTEGER || t == PS_JSON_REAL) {
    number_text(v, buf, size);
  } else if (t == PS_JSON_TRUE || t == PS_JSON_FALSE) {
    snprintf(buf, size, "%s", t == PS_JSON_TRUE ? "true" : "false");
  } else {
    snprintf(buf, size, "%s", json_type_name(t));
  }
}

static void bound_text(const ps_bound *b, char *buf, size_t size) {
  if (b->integral)
    snprintf(buf, size, "%" JSON_INTEGER_FORMAT, b->i);
  else
    snprintf(buf, size, "%.17g", b->d);
}

static int full(const vctx *c) { return c->out->count >= PS_MAX_VIOLATIONS; }

/* Records a violation of field; drops it when out is full. */
__attribute__((format(printf, 4, 5))) static void report(vctx *c, const char *field,
                                                         ps_violation_code code,
                                                         const char *fmt, ...) {
  if (full(c)) return;
  ps_violation *v = &c->out->items[c->out->count++];
  char message[512];
  copy_text(v->field, sizeof v->field, field, strlen(field));
  v->code = code;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  copy_text(v->message, sizeof v->message, message, n < 0 ? 0 : strlen(message));
}

/* json_equal(v, e) for a document value and a schema's (jansson) value, numbers excepted. */
static int equal(jv v, const json_t *e) {
  ps_json_type t = type_of(v);
  if (t != ps_jansson_type(e)) return 0;
  switch (t) {
  case PS_JSON_STRING: {
    size_t len;
    const char *s = ps_json_string(v.d, v.at, &len);
    return len == json_string_length(e) && memcmp(s, json_string_value(e), len) == 0;
  }
  case PS_JSON_INTEGER: return ps_json_integer(v.d, v.at) == json_integer_value(e);
  case PS_JSON_REAL: return real_of(v) == json_real_value(e);
  case PS_JSON_ARRAY: {
    if (ps_json_size(v.d, v.at) != json_array_size(e)) return 0;
    size_t i = 0;
    for (ps_json_ref x = ps_json_first(v.d, v.at); x; x = ps_json_next(v.d, v.at, x))
      if (!equal((jv){v.d, x}, json_array_get(e, i++))) return 0;
    return 1;
  }
  case PS_JSON_OBJECT: {
    if (ps_json_size(v.d, v.at) != json_object_size(e)) return 0;
    for (ps_json_ref k = ps_json_member_first(v.d, v.at); k; k = ps_json_member_next(v.d, v.at, k)) {
      size_t len;
      const char *key = ps_json_string(v.d, k, &len);
      const json_t *other = json_object_getn(e, key, len);
      if (!other || !equal((jv){v.d, ps_json_member_value(v.d, k)}, other)) return 0;
    }
    return 1;
  }
  default: return 1; /* true, false, null */
  }
}

/* Numbers compare by value (2 equals 2.0); everything else as jansson compares it. */
static int enum_has(const ps_rule *r, jv v) {
  size_t i;
  json_t *e;
  ps_json_type t = type_of(v);
  int number = t == PS_JSON_INTEGER || t == PS_JSON_REAL;
  json_array_foreach(r->enum_values, i, e) {
    if (number && json_is_number(e)) {
      if (t == PS_JSON_INTEGER && json_is_integer(e)) {
        if (ps_json_integer(v.d, v.at) == json_integer_value(e)) return 1;
      } else if (ps_json_number(v.d, v.at) == json_number_value(e)) {
        return 1;
      }
    } else if (equal(v, e)) {
      return 1;
    }
  }
  return 0;
}

/* Whether text matches r's pattern; a PCRE2 failure (match limit, bad UTF-8) is a no. */
static int pattern_ok(vctx *c, const ps_rule *r, const char *text, size_t len) {
  return ps_matcher_match(&c->matcher, r->pattern, text, len) == 1;
}

/* "pattern" and "maxLength" on a string: a value, or a member key (is_key) of the object at
 * r->path. */
static void check_string(vctx *c, const ps_rule *r, const char *field, int is_key,
                         const char *s, size_t len) {
  const char *label = is_key ? r->path : field, *what = is_key ? " key" : "";
  if (r->pattern && !pattern_ok(c, r, s, len))
    report(c, field, PS_VIOLATION_PATTERN, "%s%s must match %s", label, what, r->pattern_text);
  /* A string has at least as many bytes as code points: count only when it may be long. */
  if (r->max_length >= 0 && len > (size_t)r->max_length) {
    size_t n = utf8_length(s, len);
    if (n > (size_t)r->max_length)
      report(c, field, PS_VIOLATION_MAXLENGTH,
             "%s%s length must be <= %lld characters, got %zu", label, what, r->max_length, n);
  }
}

static int below(const ps_bound *b, jv v) {
  if (type_of(v) == PS_JSON_INTEGER && b->integral) return ps_json_integer(v.d, v.at) < b->i;
  return ps_json_number(v.d, v.at) < b->d;
}

static int above(const ps_bound *b, jv v) {
  if (type_of(v) == PS_JSON_INTEGER && b->integral) return ps_json_integer(v.d, v.at) > b->i;
  return ps_json_number(v.d, v.at) > b->d;
}

/* "pattern" (on the decimal form), "minimum" and "maximum" on a number. */
static void check_number(vctx *c, const ps_rule *r, const char *field, jv v) {
  char text[40], limit[40];
  if (!r->pattern && !r->minimum.set && !r->maximum.set) return;
  size_t len = number_text(v, text, sizeof text);
  if (r->pattern && !pattern_ok(c, r, text, len))
    report(c, field, PS_VIOLATION_PATTERN, "%s must match %s, got %s", field, r->pattern_text,
           text);
  if (r->minimum.set && below(&r->minimum, v)) {
    bound_text(&r->minimum, limit, sizeof limit);
    report(c, field, PS_VIOLATION_MINIMUM, "%s must be >= %s, got %s", field, limit, text);
  }
  if (r->maximum.set && above(&r->maximum, v)) {
    bound_text(&r->maximum, limit, sizeof limit);
    report(c, field, PS_VIOLATION_MAXIMUM, "%s must be <= %s, got %s", field, limit, text);
  }
}

static void check_value(vctx *c, const ps_rule *r, const char *field, jv v);

/* Checks member r of obj: present, or absent and not required. */
static void check_member(vctx *c, const ps_rule *r, jv obj) {
  ps_json_ref v = ps_json_get(obj.d, obj.at, r->name);
  if (v)
    check_value(c, r, r->path, (jv){obj.d, v});
  else if (r->required)
    report(c, r->path, PS_VIOLATION_REQUIRED, "%s is required", r->path);
}

static int named(const ps_rule *r, const char *key, size_t keylen) {
  for (size_t i = 0; i < r->nproperties; i++)
    if (strlen(r->properties[i].name) == keylen && memcmp(r->properties[i].name, key, keylen) == 0)
      return 1;
  return 0;
}

/* "maxProperties", nested "properties", "propertyNames" and "additionalProperties". */
static void check_object(vctx *c, const ps_rule *r, const char *field, jv obj) {
  size_t size = ps_json_size(obj.d, obj.at);
  if (r->max_properties >= 0 && size > (size_t)r->max_properties)
    report(c, field, PS_VIOLATION_MAXIMUM, "%s must have at most %lld entries, got %zu", field,
           r->max_properties, size);
  for (size_t i = 0; i < r->nproperties && !full(c); i++) check_member(c, &r->properties[i], obj);
  if (!r->property_names && !r->additional) return;
  /* Members are named "<field>.<key>", cut to what a violation holds. */
  char member[sizeof ((ps_violation *)0)->field];
  size_t prefix = strlen(field);
  if (prefix > sizeof member - 8) prefix = utf8_cut(field, sizeof member - 8);
  memcpy(member, field, prefix);
  member[prefix++] = '.';
  for (ps_json_ref k = ps_json_member_first(obj.d, obj.at); k && !full(c);
       k = ps_json_member_next(obj.d, obj.at, k)) {
    size_t keylen;
    const char *key = ps_json_string(obj.d, k, &keylen);
    copy_text(member + prefix, sizeof member - prefix, key, keylen);
    if (r->property_names) check_string(c, r->property_names, member, 1, key, keylen);
    if (r->additional && !named(r, key, keylen))
      check_value(c, r->additional, member, (jv){obj.d, ps_json_member_value(obj.d, k)});
  }
}

/* Every keyword of r on a value v that is present; field names it in violations. */
static void check_value(vctx *c, const ps_rule *r, const char *field, jv v) {
  char got[QUOTE_BYTES + 8];
  if (!type_ok(r->types, v)) {
    report(c, field, PS_VIOLATION_TYPE, "%s must be %s, got %s", field, r->type_text,
           json_type_name(type_of(v)));
    return;
  }
  if (r->enum_values && !enum_has(r, v)) {
    value_text(v, got, sizeof got);
    report(c, field, PS_VIOLATION_ENUM, "%s is %s, must be one of %s", field, got, r->enum_text);
  }
  switch (type_of(v)) {
  case PS_JSON_STRING: {
    size_t len;
    const char *s = ps_json_string(v.d, v.at, &len);
    check_string(c, r, field, 0, s, len);
    break;
  }
  case PS_JSON_INTEGER:
  case PS_JSON_REAL: check_number(c, r, field, v); break;
  case PS_JSON_OBJECT: check_object(c, r, field, v); break;
  default: break;
  }
}

typedef struct name_key {
  const char *s;
  size_t len;
} name_key;

static int compare_category(const void *key, const void *elem) {
  const name_key *name = key;
  const ps_schema *const *s = elem;
  const char *b = (*s)->id;
  size_t blen = strlen(b);
  int cmp = memcmp(name->s, b, name->len < blen ? name->len : blen);
  return cmp ? cmp : (name->len > blen) - (name->len < blen);
}

size_t ps_schema_validate_doc(const ps_schema_set *set, const ps_json_doc *doc,
                              ps_json_ref event, ps_violations *out,
                              const char **category_out) {
  vctx c = {.out = out};
  char got[QUOTE_BYTES + 8];
  out->count = 0;
  if (category_out) *category_out = NULL;
  ps_matcher_init(&c.matcher);
  jv e = {doc, event};
  if (!doc || type_of(e) != PS_JSON_OBJECT) {
    report(&c, "", PS_VIOLATION_TYPE, "an event must be a JSON object, got %s",
           doc ? json_type_name(type_of(e)) : "nothing");
    goto out;
  }
  ps_json_ref category = ps_json_get(doc, event, "category");
  if (!category) {
    report(&c, "category", PS_VIOLATION_REQUIRED, "category is required");
    goto out;
  }
  jv cat = {doc, category};
  if (type_of(cat) != PS_JSON_STRING) {
    report(&c, "category", PS_VIOLATION_TYPE, "category must be string, got %s",
           json_type_name(type_of(cat)));
    goto out;
  }
  name_key name;
  name.s = ps_json_string(doc, category, &name.len);
  const ps_schema *const *found = bsearch(&name, set->categories, set->ncategories,
                                          sizeof *set->categories, compare_category);
  if (!found) {
    value_text(cat, got, sizeof got);
    report(&c, "category", PS_VIOLATION_ENUM, "category is %s, must be one of %s", got,
           set->categories_text);
    goto out;
  }
  const ps_schema *schema = *found;
  if (category_out) *category_out = schema->id;
  for (size_t i = 0; i < schema->nflat && !full(&c); i++) check_member(&c, schema->flat[i], e);
out:
  ps_matcher_release(&c.matcher);
  return out->count;
}

size_t ps_schema_validate_event(const ps_schema_set *set, const json_t *event,
                                ps_violations *out, const char **category_out) {
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  char *text = event ? json_dumps(event, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
  size_t n;
  char err[128] = "out of memory";
  if (event && (!text || ps_json_doc_parse(&doc, text, strlen(text), err, sizeof err) != PS_OK)) {
    /* Out of memory, or a value no JSON text can carry (a NUL in a key): not valid. */
    out->count = 0;
    if (category_out) *category_out = NULL;
    ps_violation *v = &out->items[out->count++];
    v->field[0] = '\0';
    v->code = PS_VIOLATION_TYPE;
    snprintf(v->message, sizeof v->message, "the event could not be checked: %s", err);
    n = out->count;
  } else {
    n = ps_schema_validate_doc(set, event ? &doc : NULL, 0, out, category_out);
  }
  free(text);
  ps_json_doc_free(&doc);
  return n;
}
