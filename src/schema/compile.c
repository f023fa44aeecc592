/*
 * compile.c: turns the schema documents (JSON text) into the rules of rules.h; implements
 * ps_schema_set_create, ps_schema_set_create_embedded, ps_schema_set_free and
 * ps_schema_categories of validator.h.
 *
 * Guarantees: a set is returned only when every document parsed, used only known keywords in
 * the places they mean something, gave each keyword a value of the right kind, compiled its
 * patterns and extended known schemas without a cycle. Anything else is a load error naming
 * the document and the property, so a typo in schemas/ stops the server at start, never
 * silently weakens validation. All the work is done here, once: validation only reads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/json_parse.h"
#include "schema/rules.h"

/* Where a keyword may appear: the document itself, a named property, the schema of
 * additionalProperties, the schema of propertyNames. */
enum { AT_TOP = 1, AT_MEMBER = 2, AT_VALUES = 4, AT_KEYS = 8 };
#define AT_RULE (AT_MEMBER | AT_VALUES)

static const struct keyword {
  const char *name;
  unsigned places;
} keywords[] = {
    {"description", AT_TOP | AT_RULE | AT_KEYS},
    {"id", AT_TOP},
    {"extends", AT_TOP},
    {"type", AT_TOP | AT_RULE},
    {"properties", AT_TOP | AT_RULE},
    {"required", AT_MEMBER},
    {"pattern", AT_RULE | AT_KEYS},
    {"enum", AT_RULE},
    {"minimum", AT_RULE},
    {"maximum", AT_RULE},
    {"maxLength", AT_RULE | AT_KEYS},
    {"maxProperties", AT_RULE},
    {"propertyNames", AT_RULE},
    {"additionalProperties", AT_RULE},
};

static const struct type_name {
  const char *name;
  unsigned mask;
} type_names[] = {
    {"string", PS_T_STRING},   {"integer", PS_T_INTEGER}, {"number", PS_T_NUMBER},
    {"boolean", PS_T_BOOLEAN}, {"object", PS_T_OBJECT},   {"array", PS_T_ARRAY},
    {"null", PS_T_NULL},
};

/* The document being compiled and where its error goes. */
typedef struct loader {
  const char *doc;
  char *err;
  size_t errlen;
} loader;

/* Writes "schema DOC: PATH: message" into the loader's error buffer; returns PS_EINVAL. */
__attribute__((format(printf, 3, 4))) static int fail(const loader *ld, const char *path,
                                                      const char *fmt, ...) {
  if (!ld->err || !ld->errlen) return PS_EINVAL;
  int n = snprintf(ld->err, ld->errlen, "schema %s: %s%s", ld->doc, path ? path : "",
                   path && *path ? ": " : "");
  if (n >= 0 && (size_t)n < ld->errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ld->err + n, ld->errlen - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return PS_EINVAL;
}

static void free_rule(ps_rule *r) {
  if (!r) return;
  free(r->name);
  free(r->path);
  pcre2_code_free(r->pattern);
  free(r->pattern_text);
  json_decref(r->enum_values);
  free(r->enum_text);
  free_rule(r->property_names);
  free(r->property_names);
  free_rule(r->additional);
  free(r->additional);
  for (size_t i = 0; i < r->nproperties; i++) free_rule(&r->properties[i]);
  free(r->properties);
  memset(r, 0, sizeof *r);
}

/* Returns a malloc'd "parent.name" (or "name" when parent is empty), or NULL on OOM. */
static char *join_path(const char *parent, const char *name) {
  size_t plen = strlen(parent), nlen = strlen(name);
  char *p = malloc(plen + nlen + 2);
  if (!p) return NULL;
  if (plen) {
    memcpy(p, parent, plen);
    p[plen++] = '.';
  }
  memcpy(p + plen, name, nlen + 1);
  return p;
}

static const char *place_name(unsigned place) {
  switch (place) {
  case AT_TOP: return "at the top of a schema";
  case AT_MEMBER: return "in a property";
  case AT_VALUES: return "in additionalProperties";
  default: return "in propertyNames";
  }
}

/* Every key of spec must be a keyword allowed at place. */
static int check_keywords(const loader *ld, const char *path, const json_t *spec,
                          unsigned place) {
  const char *key;
  json_t *value;
  json_object_foreach((json_t *)spec, key, value) {
    size_t i = 0;
    while (i < sizeof keywords / sizeof keywords[0] && strcmp(keywords[i].name, key) != 0) i++;
    if (i == sizeof keywords / sizeof keywords[0])
      return fail(ld, path, "unknown keyword \"%s\"", key);
    if (!(keywords[i].places & place))
      return fail(ld, path, "keyword \"%s\" is not allowed %s", key, place_name(place));
  }
  return PS_OK;
}

/* Adds one type name to r's mask and to its message text. "enum" is not handled here. */
static int add_type(const loader *ld, ps_rule *r, const json_t *name) {
  const char *s = json_string_value(name);
  size_t i = 0;
  while (s && i < sizeof type_names / sizeof type_names[0] && strcmp(type_names[i].name, s) != 0)
    i++;
  if (!s || i == sizeof type_names / sizeof type_names[0])
    return fail(ld, r->path, "unknown type %s%s%s", s ? "\"" : "", s ? s : "(not a string)",
                s ? "\"" : "");
  if (r->types & type_names[i].mask) return fail(ld, r->path, "type \"%s\" listed twice", s);
  size_t used = strlen(r->type_text);
  snprintf(r->type_text + used, sizeof r->type_text - used, "%s%s", used ? " or " : "", s);
  r->types |= type_names[i].mask;
  return PS_OK;
}

/* "type": a name, a list of names, or "enum" (any type; the value must be one of "enum"). */
static int compile_type(const loader *ld, ps_rule *r, const json_t *type, const json_t *spec) {
  if (json_is_string(type) && strcmp(json_string_value(type), "enum") == 0) {
    if (!json_object_get(spec, "enum"))
      return fail(ld, r->path, "type \"enum\" needs an \"enum\" list");
    return PS_OK;
  }
  if (json_is_string(type)) return add_type(ld, r, type);
  if (!json_is_array(type) || json_array_size(type) == 0)
    return fail(ld, r->path, "\"type\" must be a type name or a non-empty list of them");
  size_t i;
  json_t *name;
  json_array_foreach(type, i, name) {
    int rc = add_type(ld, r, name);
    if (rc != PS_OK) return rc;
  }
  return PS_OK;
}

static int compile_enum(const loader *ld, ps_rule *r, json_t *values) {
  int rc = PS_OK;
  ps_buf text = {0};
  if (!json_is_array(values) || json_array_size(values) == 0)
    return fail(ld, r->path, "\"enum\" must be a non-empty list");
  size_t i;
  json_t *v;
  json_array_foreach(values, i, v) {
    if (!ps_json_type_ok(r->types, v)) {
      rc = fail(ld, r->path, "enum value %zu is not of type %s", i, r->type_text);
      goto out;
    }
    if (i) rc = ps_buf_append_str(&text, ", ");
    if (rc == PS_OK && json_is_string(v)) {
      rc = ps_buf_append(&text, json_string_value(v), json_string_length(v));
    } else if (rc == PS_OK) {
      char *dump = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
      rc = dump ? ps_buf_append_str(&text, dump) : PS_ENOMEM;
      free(dump);
    }
    if (rc != PS_OK) goto out;
  }
  r->enum_values = json_incref(values);
  r->enum_text = ps_buf_steal(&text);
out:
  ps_buf_free(&text);
  return rc;
}

static int compile_pattern(const loader *ld, ps_rule *r, const json_t *pattern) {
  if (!json_is_string(pattern)) return fail(ld, r->path, "\"pattern\" must be a string");
  int code;
  PCRE2_SIZE offset;
  r->pattern = pcre2_compile((PCRE2_SPTR)json_string_value(pattern), json_string_length(pattern),
                             PCRE2_UTF, &code, &offset, NULL);
  if (!r->pattern) {
    PCRE2_UCHAR msg[128];
    if (pcre2_get_error_message(code, msg, sizeof msg) < 0) strcpy((char *)msg, "?");
    return fail(ld, r->path, "pattern does not compile at offset %zu: %s", (size_t)offset,
                (const char *)msg);
  }
  /* Without JIT support (some platforms) pcre2_match interprets: slower, same answers. */
  (void)pcre2_jit_compile(r->pattern, PCRE2_JIT_COMPLETE);
  r->pattern_text = strdup(json_string_value(pattern));
  return r->pattern_text ? PS_OK : PS_ENOMEM;
}

static int compile_bound(const loader *ld, ps_rule *r, const json_t *v, const char *keyword,
                         ps_bound *b) {
  if (!json_is_number(v)) return fail(ld, r->path, "\"%s\" must be a number", keyword);
  b->set = 1;
  b->d = json_number_value(v);
  if (json_is_integer(v)) {
    b->integral = 1;
    b->i = json_integer_value(v);
  } else if (ps_json_is_integral(v) && b->d >= -9.2e18 && b->d <= 9.2e18) {
    b->integral = 1;
    b->i = (json_int_t)b->d;
  }
  return PS_OK;
}

static int compile_count(const loader *ld, ps_rule *r, const json_t *v, const char *keyword,
                         long long *out) {
  if (!json_is_integer(v) || json_integer_value(v) < 0)
    return fail(ld, r->path, "\"%s\" must be an integer >= 0", keyword);
  *out = (long long)json_integer_value(v);
  return PS_OK;
}

static int compile_rule(const loader *ld, ps_rule *r, const json_t *spec, unsigned place,
                        const char *name, const char *parent_path);

/* A keyword whose value is itself a rule (propertyNames, additionalProperties). */
static int compile_subrule(const loader *ld, ps_rule *r, const json_t *spec, unsigned place,
                           ps_rule **out) {
  *out = calloc(1, sizeof **out);
  if (!*out) return PS_ENOMEM;
  return compile_rule(ld, *out, spec, place, NULL, r->path);
}

static int compile_properties(const loader *ld, ps_rule *r, const json_t *props) {
  if (!json_is_object(props)) return fail(ld, r->path, "\"properties\" must be an object");
  if (json_object_size(props) == 0) return PS_OK;
  r->properties = calloc(json_object_size(props), sizeof *r->properties);
  if (!r->properties) return PS_ENOMEM;
  const char *key;
  json_t *spec;
  json_object_foreach((json_t *)props, key, spec) {
    /* Counted before compiling so that free_rule also frees a half-built member. */
    ps_rule *member = &r->properties[r->nproperties++];
    int rc = compile_rule(ld, member, spec, AT_MEMBER, key, r->path);
    if (rc != PS_OK) return rc;
  }
  return PS_OK;
}

/* A keyword may only appear on a rule whose type lets it apply: catches misplaced limits. */
static int check_applies(const loader *ld, const ps_rule *r, const json_t *spec,
                         const char *keyword, unsigned types, const char *what) {
  if (!json_object_get(spec, keyword) || !r->types || (r->types & types)) return PS_OK;
  return fail(ld, r->path, "\"%s\" applies to %s, not to %s", keyword, what, r->type_text);
}

/*
 * Compiles spec (a property's description, or a whole document when place is AT_TOP) into r,
 * which must be zeroed. name is the member name (NULL for the anonymous rules), parent_path
 * the path of the enclosing object ("" at the top). Returns 0, PS_EINVAL (message in the
 * loader) or PS_ENOMEM; on failure r holds what was built so far, for free_rule.
 */
static int compile_rule(const loader *ld, ps_rule *r, const json_t *spec, unsigned place,
                        const char *name, const char *parent_path) {
  int rc;
  json_t *v;
  r->max_length = -1;
  r->max_properties = -1;
  r->name = name ? strdup(name) : NULL;
  r->path = name ? join_path(parent_path, name) : strdup(parent_path);
  if ((name && !r->name) || !r->path) return PS_ENOMEM;
  if (!json_is_object(spec)) return fail(ld, r->path, "must be described by a JSON object");
  if ((rc = check_keywords(ld, r->path, spec, place)) != PS_OK) return rc;
  if ((v = json_object_get(spec, "description")) && !json_is_string(v))
    return fail(ld, r->path, "\"description\" must be a string");
  if ((v = json_object_get(spec, "type")) && (rc = compile_type(ld, r, v, spec)) != PS_OK)
    return rc;
  if ((v = json_object_get(spec, "required"))) {
    if (!json_is_boolean(v)) return fail(ld, r->path, "\"required\" must be true or false");
    r->required = json_is_true(v);
  }
  if ((v = json_object_get(spec, "enum")) && (rc = compile_enum(ld, r, v)) != PS_OK) return rc;
  if ((v = json_object_get(spec, "pattern")) && (rc = compile_pattern(ld, r, v)) != PS_OK)
    return rc;
  if ((v = json_object_get(spec, "minimum")) &&
      (rc = compile_bound(ld, r, v, "minimum", &r->minimum)) != PS_OK)
    return rc;
  if ((v = json_object_get(spec, "maximum")) &&
      (rc = compile_bound(ld, r, v, "maximum", &r->maximum)) != PS_OK)
    return rc;
  if ((v = json_object_get(spec, "maxLength")) &&
      (rc = compile_count(ld, r, v, "maxLength", &r->max_length)) != PS_OK)
    return rc;
  if ((v = json_object_get(spec, "maxProperties")) &&
      (rc = compile_count(ld, r, v, "maxProperties", &r->max_properties)) != PS_OK)
    return rc;
  if ((v = json_object_get(spec, "properties")) && (rc = compile_properties(ld, r, v)) != PS_OK)
    return rc;
  if ((v = json_object_get(spec, "propertyNames")) &&
      (rc = compile_subrule(ld, r, v, AT_KEYS, &r->property_names)) != PS_OK)
    return rc;
  if ((v = json_object_get(spec, "additionalProperties")) &&
      (rc = compile_subrule(ld, r, v, AT_VALUES, &r->additional)) != PS_OK)
    return rc;

  static const struct {
    const char *keyword;
    unsigned types;
    const char *what;
  } applies[] = {
      {"pattern", PS_T_STRING | PS_T_INTEGER | PS_T_NUMBER, "strings and numbers"},
      {"maxLength", PS_T_STRING, "strings"},
      {"minimum", PS_T_INTEGER | PS_T_NUMBER, "numbers"},
      {"maximum", PS_T_INTEGER | PS_T_NUMBER, "numbers"},
      {"maxProperties", PS_T_OBJECT, "objects"},
      {"properties", PS_T_OBJECT, "objects"},
      {"propertyNames", PS_T_OBJECT, "objects"},
      {"additionalProperties", PS_T_OBJECT, "objects"},
  };
  for (size_t i = 0; i < sizeof applies / sizeof applies[0]; i++) {
    rc = check_applies(ld, r, spec, applies[i].keyword, applies[i].types, applies[i].what);
    if (rc != PS_OK) return rc;
  }
  if (place == AT_TOP && r->types != PS_T_OBJECT)
    return fail(ld, r->path, "a schema must have \"type\": \"object\"");
  return PS_OK;
}

static void free_schema(ps_schema *s) {
  free(s->id);
  free(s->extends);
  free_rule(&s->top);
  free(s->flat);
}

/* Parses and compiles one document into s (zeroed). Its id must be its file name. */
static int load_schema(ps_schema *s, const ps_embedded_schema *doc, char *err, size_t errlen) {
  int rc = PS_OK;
  loader ld = {doc->name, err, errlen};
  char why[160];
  json_t *root = NULL;
  /* json_parse.h, not json_loadb: libplaystat compiles these too, and must survive OOM */
  int parsed = ps_json_parse(doc->text, doc->len, 1, &root, why, sizeof why);
  if (parsed != PS_OK) {
    rc = parsed == PS_ENOMEM ? PS_ENOMEM : fail(&ld, NULL, "%s", why);
    goto out;
  }
  if (!json_is_object(root)) {
    rc = fail(&ld, NULL, "not a JSON object");
    goto out;
  }
  if ((rc = compile_rule(&ld, &s->top, root, AT_TOP, NULL, "")) != PS_OK) goto out;
  json_t *id = json_object_get(root, "id");
  if (id && (!json_is_string(id) || strcmp(json_string_value(id), doc->name) != 0)) {
    rc = fail(&ld, NULL, "\"id\" must be the file's name, \"%s\"", doc->name);
    goto out;
  }
  json_t *extends = json_object_get(root, "extends");
  if (extends && !json_is_string(extends)) {
    rc = fail(&ld, NULL, "\"extends\" must be the id of a schema");
    goto out;
  }
  s->id = strdup(doc->name);
  s->extends = extends ? strdup(json_string_value(extends)) : NULL;
  if (!s->id || (extends && !s->extends)) rc = PS_ENOMEM;
out:
  json_decref(root);
  return rc;
}

static ps_schema *find_schema(ps_schema_set *set, const char *id) {
  for (size_t i = 0; i < set->nschemas; i++)
    if (strcmp(set->schemas[i].id, id) == 0) return &set->schemas[i];
  return NULL;
}

static int overridden(const ps_schema *s, const char *name) {
  for (size_t i = 0; i < s->top.nproperties; i++)
    if (strcmp(s->top.properties[i].name, name) == 0) return 1;
  return 0;
}

/* Builds s->flat: the inherited rules not overridden, then s's own. Detects cycles. */
static int resolve(ps_schema_set *set, ps_schema *s, char *err, size_t errlen) {
  loader ld = {s->id, err, errlen};
  ps_schema *base = NULL;
  if (s->state == 2) return PS_OK;
  if (s->state == 1) return fail(&ld, NULL, "\"extends\" forms a cycle");
  s->state = 1;
  if (s->extends) {
    base = find_schema(set, s->extends);
    if (!base) return fail(&ld, NULL, "extends unknown schema \"%s\"", s->extends);
    int rc = resolve(set, base, err, errlen);
    if (rc != PS_OK) return rc;
  }
  size_t cap = (base ? base->nflat : 0) + s->top.nproperties;
  s->flat = calloc(cap ? cap : 1, sizeof *s->flat);
  if (!s->flat) return PS_ENOMEM;
  for (size_t i = 0; base && i < base->nflat; i++)
    if (!overridden(s, base->flat[i]->name)) s->flat[s->nflat++] = base->flat[i];
  for (size_t i = 0; i < s->top.nproperties; i++) s->flat[s->nflat++] = &s->top.properties[i];
  s->state = 2;
  return PS_OK;
}

static int compare_schema_ids(const void *a, const void *b) {
  const ps_schema *const *x = a, *const *y = b;
  return strcmp((*x)->id, (*y)->id);
}

/* Every schema but "shared" validates the events of the category named by its id. */
static int index_categories(ps_schema_set *set) {
  int rc = PS_OK;
  ps_buf text = {0};
  set->categories = calloc(set->nschemas ? set->nschemas : 1, sizeof *set->categories);
  set->category_names = calloc(set->nschemas ? set->nschemas : 1, sizeof *set->category_names);
  if (!set->categories || !set->category_names) return PS_ENOMEM;
  for (size_t i = 0; i < set->nschemas; i++)
    if (strcmp(set->schemas[i].id, "shared") != 0)
      set->categories[set->ncategories++] = &set->schemas[i];
  qsort(set->categories, set->ncategories, sizeof *set->categories, compare_schema_ids);
  for (size_t i = 0; i < set->ncategories && rc == PS_OK; i++) {
    set->category_names[i] = set->categories[i]->id;
    rc = ps_buf_printf(&text, "%s%s", i ? ", " : "", set->categories[i]->id);
  }
  if (rc == PS_OK) rc = ps_buf_append_str(&text, ""); /* an empty set still gets a string */
  if (rc == PS_OK) set->categories_text = ps_buf_steal(&text);
  ps_buf_free(&text);
  return rc;
}

int ps_schema_set_create(const ps_embedded_schema *docs, size_t count, ps_schema_set **out,
                         char *err, size_t errlen) {
  int rc = PS_OK;
  ps_schema_set *set = calloc(1, sizeof *set);
  *out = NULL;
  if (err && errlen) err[0] = '\0';
  if (!set || !(set->schemas = calloc(count ? count : 1, sizeof *set->schemas))) {
    rc = PS_ENOMEM;
    goto out;
  }
  for (size_t i = 0; i < count; i++) {
    set->nschemas++; /* counted first: a half-built schema is freed with the set */
    if ((rc = load_schema(&set->schemas[i], &docs[i], err, errlen)) != PS_OK) goto out;
    for (size_t j = 0; j < i; j++) {
      if (strcmp(set->schemas[j].id, set->schemas[i].id) == 0) {
        rc = fail(&(loader){docs[i].name, err, errlen}, NULL, "defined twice");
        goto out;
      }
    }
  }
  for (size_t i = 0; i < set->nschemas; i++)
    if ((rc = resolve(set, &set->schemas[i], err, errlen)) != PS_OK) goto out;
  if ((rc = index_categories(set)) != PS_OK) goto out;
  *out = set;
  set = NULL;
out:
  if (rc == PS_ENOMEM && err && errlen) snprintf(err, errlen, "%s", ps_strerror(rc));
  ps_schema_set_free(set);
  return rc;
}

int ps_schema_set_create_embedded(ps_schema_set **out, char *err, size_t errlen) {
  return ps_schema_set_create(ps_embedded_schemas, ps_embedded_schema_count, out, err, errlen);
}

void ps_schema_set_free(ps_schema_set *set) {
  if (!set) return;
  for (size_t i = 0; i < set->nschemas; i++) free_schema(&set->schemas[i]);
  free(set->schemas);
  free(set->categories);
  free(set->category_names);
  free(set->categories_text);
  free(set);
}

const char *const *ps_schema_categories(const ps_schema_set *set, size_t *count) {
  *count = set->ncategories;
  return set->category_names;
}
