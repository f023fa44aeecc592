/*
 * test_schema.c: the event schema validator (schema/validator.h) against the real embedded
 * schemas, driven by tests/data/schema_cases.json.
 *
 * The case file holds, per category, a minimal valid base event and cases that change it
 * ("set" values at dotted paths, "unset" fields) or replace it ("event"), each with the
 * violations it must produce ("expect": [{"field", "code", "message"?}], [] for valid).
 * Values may use three macros so that long inputs stay readable:
 *   {"$repeat": "é", "times": 32}   a string repeated
 *   {"$concat": [a, b, ...]}        strings (or macros) joined
 *   {"$entries": 50}                an object {"k1": 1, ..., "k50": 50}
 *
 * Besides running the cases, the suite walks the schema files themselves and fails when a
 * rule (schema, field, keyword) has no invalid case naming that field with that code, or no
 * valid case holding the field (at the exact limit for minimum, maximum, maxLength and
 * maxProperties): a rule added to schemas/ without tests breaks the build.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "schema/embedded.h"
#include "schema/matcher.h"
#include "schema/validator.h"

typedef struct suite {
  ps_schema_set *set;
  json_t *doc;   /* the case file */
  json_t *cases; /* its "cases" array */
} suite;

/* ---- helpers --------------------------------------------------------------------------- */

/* Whether the NUL-terminated s is valid UTF-8. */
static int utf8_valid(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1 : (*p & 0xF0) == 0xE0 ? 2
            : (*p & 0xF8) == 0xF0 ? 3 : -1;
    if (n < 0) return 0;
    p++;
    while (n--)
      if ((*p++ & 0xC0) != 0x80) return 0;
  }
  return 1;
}

static size_t utf8_chars(const char *s) {
  size_t n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

/* Expands the value macros of the file header; returns a new reference. */
static json_t *expand(const json_t *v) {
  if (json_is_object(v) && json_object_get(v, "$repeat")) {
    const char *unit = json_string_value(json_object_get(v, "$repeat"));
    json_int_t times = json_integer_value(json_object_get(v, "times"));
    assert_non_null(unit);
    size_t ulen = strlen(unit);
    char *s = malloc(ulen * (size_t)times + 1);
    assert_non_null(s);
    for (json_int_t i = 0; i < times; i++) memcpy(s + ulen * (size_t)i, unit, ulen);
    s[ulen * (size_t)times] = '\0';
    json_t *out = json_string(s);
    free(s);
    return out;
  }
  if (json_is_object(v) && json_object_get(v, "$concat")) {
    size_t i;
    json_t *part;
    char *s = calloc(1, 1);
    json_array_foreach(json_object_get(v, "$concat"), i, part) {
      json_t *piece = expand(part);
      assert_true(json_is_string(piece));
      size_t have = strlen(s), add = json_string_length(piece);
      s = realloc(s, have + add + 1);
      assert_non_null(s);
      memcpy(s + have, json_string_value(piece), add + 1);
      json_decref(piece);
    }
    json_t *out = json_string(s);
    free(s);
    return out;
  }
  if (json_is_object(v) && json_object_get(v, "$entries")) {
    json_t *out = json_object();
    for (json_int_t i = 1; i <= json_integer_value(json_object_get(v, "$entries")); i++) {
      char key[32];
      snprintf(key, sizeof key, "k%lld", (long long)i);
      json_object_set_new(out, key, json_integer(i));
    }
    return out;
  }
  if (json_is_object(v)) {
    json_t *out = json_object();
    const char *key;
    json_t *member;
    json_object_foreach((json_t *)v, key, member) json_object_set_new(out, key, expand(member));
    return out;
  }
  if (json_is_array(v)) {
    json_t *out = json_array();
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) json_array_append_new(out, expand(item));
    return out;
  }
  return json_deep_copy(v);
}

/* The object that holds the last segment of a dotted path, created when create is set. */
static json_t *parent_of(json_t *event, const char *path, const char **last, int create) {
  char head[128];
  const char *dot = strchr(path, '.');
  if (!dot) {
    *last = path;
    return event;
  }
  snprintf(head, sizeof head, "%.*s", (int)(dot - path), path);
  json_t *child = json_object_get(event, head);
  if (!child && create) {
    child = json_object();
    json_object_set_new(event, head, child);
  }
  if (!json_is_object(child)) return NULL;
  return parent_of(child, dot + 1, last, create);
}

/* The value at a dotted path, or NULL. */
static json_t *value_at(json_t *event, const char *path) {
  const char *last;
  json_t *parent = parent_of(event, path, &last, 0);
  return parent ? json_object_get(parent, last) : NULL;
}

/* The event a case describes: its base (annotations + fields) with "set" and "unset"
 * applied, or its "event". New reference. */
static json_t *build_event(const json_t *doc, const json_t *c) {
  if (json_object_get(c, "event")) return expand(json_object_get(c, "event"));
  const char *category = json_string_value(json_object_get(c, "category"));
  json_t *base = json_object_get(json_object_get(doc, "bases"), category);
  if (!base) fail_msg("case \"%s\": no base for category %s",
                      json_string_value(json_object_get(c, "name")), category);
  json_t *event = json_object();
  if (json_is_true(json_object_get(base, "annotations")))
    json_object_update(event, json_object_get(doc, "annotations"));
  json_object_update(event, json_object_get(base, "fields"));
  json_t *tmp = json_deep_copy(event);
  json_decref(event);
  event = tmp;
  const char *path, *last;
  json_t *value;
  json_object_foreach(json_object_get(c, "set"), path, value) {
    json_t *parent = parent_of(event, path, &last, 1);
    assert_non_null(parent);
    json_object_set_new(parent, last, expand(value));
  }
  size_t i;
  json_array_foreach(json_object_get(c, "unset"), i, value) {
    json_t *parent = parent_of(event, json_string_value(value), &last, 0);
    if (parent) json_object_del(parent, last);
  }
  return event;
}

/* Compares the violations with "expect" as multisets of (field, code), and each expected
 * "message" exactly. Prints the differences and returns 0 when they differ. */
static int matches(const char *name, const json_t *expect, const ps_violations *got) {
  int used[PS_MAX_VIOLATIONS] = {0};
  int ok = json_array_size(expect) == got->count;
  size_t i;
  json_t *e;
  json_array_foreach(expect, i, e) {
    const char *field = json_string_value(json_object_get(e, "field"));
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *message = json_string_value(json_object_get(e, "message"));
    size_t j = 0;
    while (j < got->count &&
           (used[j] || strcmp(got->items[j].field, field) != 0 ||
            strcmp(ps_violation_code_name(got->items[j].code), code) != 0))
      j++;
    if (j == got->count) {
      ok = 0;
      continue;
    }
    used[j] = 1;
    if (message && strcmp(message, got->items[j].message) != 0) {
      print_error("case \"%s\": %s message\n  want: %s\n  got:  %s\n", name, field, message,
                  got->items[j].message);
      ok = 0;
    }
  }
  if (!ok) {
    char *want = json_dumps(expect, JSON_COMPACT);
    print_error("case \"%s\"\n  want: %s\n  got:\n", name, want);
    free(want);
    for (size_t j = 0; j < got->count; j++)
      print_error("    {\"field\": \"%s\", \"code\": \"%s\"}  %s\n", got->items[j].field,
                  ps_violation_code_name(got->items[j].code), got->items[j].message);
  }
  return ok;
}

static int is_known_category(const ps_schema_set *set, const char *name) {
  size_t n;
  const char *const *names = ps_schema_categories(set, &n);
  for (size_t i = 0; name && i < n; i++)
    if (strcmp(names[i], name) == 0) return 1;
  return 0;
}

/* ---- the case file --------------------------------------------------------------------- */

/* Every case has the documented keys only (a typo would silently test nothing). */
static void case_file_is_well_formed(void **state) {
  suite *s = *state;
  static const char *const allowed[] = {"name", "category", "set", "unset", "expect", "event"};
  size_t i;
  json_t *c;
  assert_true(json_array_size(s->cases) > 0);
  json_array_foreach(s->cases, i, c) {
    const char *key;
    json_t *v;
    json_object_foreach(c, key, v) {
      size_t k = 0;
      while (k < sizeof allowed / sizeof allowed[0] && strcmp(allowed[k], key) != 0) k++;
      if (k == sizeof allowed / sizeof allowed[0]) fail_msg("case %zu: unknown key \"%s\"", i, key);
    }
    const char *name = json_string_value(json_object_get(c, "name"));
    if (!name) fail_msg("case %zu has no name", i);
    if (!json_object_get(json_object_get(s->doc, "bases"), json_string_value(json_object_get(c, "category"))))
      fail_msg("case \"%s\": category must name a base", name);
    if (!json_is_array(json_object_get(c, "expect"))) fail_msg("case \"%s\": no expect list", name);
    json_t *set = json_object_get(c, "set"), *unset = json_object_get(c, "unset");
    if (set && !json_is_object(set)) fail_msg("case \"%s\": set must be an object", name);
    if (unset && !json_is_array(unset)) fail_msg("case \"%s\": unset must be a list", name);
    for (size_t j = i + 1; j < json_array_size(s->cases); j++)
      if (strcmp(name, json_string_value(json_object_get(json_array_get(s->cases, j), "name"))) == 0)
        fail_msg("two cases are named \"%s\"", name);
  }
}

static void every_base_is_valid(void **state) {
  suite *s = *state;
  const char *category;
  json_t *base;
  size_t n;
  ps_schema_categories(s->set, &n);
  assert_int_equal(json_object_size(json_object_get(s->doc, "bases")), n);
  json_object_foreach(json_object_get(s->doc, "bases"), category, base) {
    json_t *c = json_pack("{s:s, s:s, s:[]}", "name", category, "category", category, "expect");
    json_t *event = build_event(s->doc, c);
    ps_violations v;
    const char *got = NULL;
    size_t count = ps_schema_validate_event(s->set, event, &v, &got);
    if (!matches(category, json_object_get(c, "expect"), &v)) fail_msg("base %s is invalid", category);
    assert_int_equal(count, 0);
    assert_non_null(got);
    assert_string_equal(got, category);
    json_decref(event);
    json_decref(c);
  }
}

static void every_case_gives_its_violations(void **state) {
  suite *s = *state;
  size_t i, failed = 0;
  json_t *c;
  json_array_foreach(s->cases, i, c) {
    const char *name = json_string_value(json_object_get(c, "name"));
    json_t *event = build_event(s->doc, c);
    ps_violations v;
    const char *category = "unset";
    ps_schema_validate_event(s->set, event, &v, &category);
    if (!matches(name, json_object_get(c, "expect"), &v)) failed++;
    /* category_out: the event's category when it is a known one, else NULL. */
    const char *sent = json_string_value(json_object_get(event, "category"));
    if (json_is_object(event) && is_known_category(s->set, sent)) {
      if (!category || strcmp(category, sent) != 0) {
        print_error("case \"%s\": category_out is %s\n", name, category ? category : "NULL");
        failed++;
      }
    } else if (category) {
      print_error("case \"%s\": category_out should be NULL\n", name);
      failed++;
    }
    for (size_t j = 0; j < v.count; j++) {
      if (!utf8_valid(v.items[j].field) || !utf8_valid(v.items[j].message)) {
        print_error("case \"%s\": violation %zu is not valid UTF-8\n", name, j);
        failed++;
      }
    }
    json_decref(event);
  }
  if (failed) fail_msg("%zu of %zu cases failed", failed, json_array_size(s->cases));
}

/* ---- the schema files, walked ---------------------------------------------------------- */

/* One rule of one schema file: a case must break it, a case must satisfy it. */
typedef struct rule {
  const char *schema;
  char field[128];   /* "currency", "receipt_info.store", "custom_fields.*" (any member) */
  const char *code;  /* the violation code breaking it gives */
  const char *keyword;
  const json_t *limit; /* for minimum, maximum, maxLength, maxProperties */
  int on_keys;         /* a propertyNames rule: it applies to member keys */
} rule;

typedef struct rules {
  rule items[1024];
  size_t count;
} rules;

static void add_rule(rules *rs, const char *schema, const char *field, const char *code,
                     const char *keyword, const json_t *limit, int on_keys) {
  assert_true(rs->count < sizeof rs->items / sizeof rs->items[0]);
  rule *r = &rs->items[rs->count++];
  r->schema = schema;
  snprintf(r->field, sizeof r->field, "%s", field);
  r->code = code;
  r->keyword = keyword;
  r->limit = limit;
  r->on_keys = on_keys;
}

/* The rules of one property description (or of additionalProperties / propertyNames). The
 * walker knows every keyword the loader accepts and fails on any other, so a new keyword
 * must be taught here (and so tested) before it can be used. */
static void walk_rule(rules *rs, const char *schema, const char *field, const json_t *spec,
                      int on_keys) {
  const char *key;
  json_t *v;
  char sub[128];
  json_object_foreach((json_t *)spec, key, v) {
    if (!strcmp(key, "description")) continue;
    if (!strcmp(key, "required")) {
      if (json_is_true(v)) add_rule(rs, schema, field, "required", key, NULL, 0);
    } else if (!strcmp(key, "type")) {
      int is_enum = json_is_string(v) && !strcmp(json_string_value(v), "enum");
      add_rule(rs, schema, field, is_enum ? "enum" : "type", key, NULL, on_keys);
    } else if (!strcmp(key, "pattern")) {
      /* The schema is chosen by its category, so a category's own pattern can only fail as
       * an unknown category: code "enum". */
      int chooser = !strcmp(field, "category");
      add_rule(rs, schema, field, chooser ? "enum" : "pattern", key, NULL, on_keys);
    } else if (!strcmp(key, "enum")) {
      add_rule(rs, schema, field, "enum", key, NULL, on_keys);
    } else if (!strcmp(key, "minimum") || !strcmp(key, "maximum") || !strcmp(key, "maxLength")) {
      add_rule(rs, schema, field, key, key, v, on_keys);
    } else if (!strcmp(key, "maxProperties")) {
      add_rule(rs, schema, field, "maximum", key, v, on_keys);
    } else if (!strcmp(key, "properties")) {
      const char *name;
      json_t *member;
      json_object_foreach(v, name, member) {
        snprintf(sub, sizeof sub, "%s.%s", field, name);
        walk_rule(rs, schema, sub, member, 0);
      }
    } else if (!strcmp(key, "propertyNames") || !strcmp(key, "additionalProperties")) {
      snprintf(sub, sizeof sub, "%s.*", field);
      walk_rule(rs, schema, sub, v, !strcmp(key, "propertyNames"));
    } else {
      fail_msg("schema %s: %s: keyword \"%s\" unknown to the coverage walker", schema, field, key);
    }
  }
}

/* Walks every embedded schema file; docs receives the parsed documents (kept alive). */
static void walk_schemas(rules *rs, json_t *docs) {
  for (size_t i = 0; i < ps_embedded_schema_count; i++) {
    json_error_t err;
    json_t *doc = json_loadb(ps_embedded_schemas[i].text, ps_embedded_schemas[i].len, 0, &err);
    assert_non_null(doc);
    json_object_set_new(docs, ps_embedded_schemas[i].name, doc);
    const char *name;
    json_t *spec;
    json_object_foreach(json_object_get(doc, "properties"), name, spec)
      walk_rule(rs, ps_embedded_schemas[i].name, name, spec, 0);
  }
}

/* Whether a case of category counts for a rule of schema: the same schema, or a category
 * whose "extends" chain reaches it. */
static int category_uses(json_t *docs, const char *category, const char *schema) {
  for (const char *id = category; id;
       id = json_string_value(json_object_get(json_object_get(docs, id), "extends")))
    if (!strcmp(id, schema)) return 1;
  return 0;
}

/* Whether a violation field names the rule's field ("custom_fields.*": any member). */
static int field_matches(const char *rule_field, const char *field) {
  size_t n = strlen(rule_field);
  if (n >= 2 && !strcmp(rule_field + n - 2, ".*")) return !strncmp(rule_field, field, n - 1);
  return !strcmp(rule_field, field);
}

static int limit_equals(const json_t *limit, const json_t *v) {
  return json_is_number(v) && json_number_value(v) == json_number_value(limit);
}

/* Whether value v (or key, for a propertyNames rule) witnesses the rule held at its limit. */
static int witnesses(const rule *r, const char *key, const json_t *v) {
  if (r->on_keys) {
    if (!strcmp(r->keyword, "maxLength"))
      return utf8_chars(key) == (size_t)json_integer_value(r->limit);
    return 1;
  }
  if (!r->limit) return 1;
  if (!strcmp(r->keyword, "maxLength"))
    return json_is_string(v) &&
           utf8_chars(json_string_value(v)) == (size_t)json_integer_value(r->limit);
  if (!strcmp(r->keyword, "maxProperties"))
    return json_is_object(v) && json_object_size(v) == (size_t)json_integer_value(r->limit);
  return limit_equals(r->limit, v);
}

/* Whether the valid event holds the rule's field in a way that shows the rule passing. */
static int holds(const rule *r, json_t *event) {
  size_t n = strlen(r->field);
  if (n >= 2 && !strcmp(r->field + n - 2, ".*")) {
    char parent[128];
    snprintf(parent, sizeof parent, "%.*s", (int)(n - 2), r->field);
    json_t *obj = value_at(event, parent);
    const char *key;
    json_t *v;
    json_object_foreach(json_is_object(obj) ? obj : NULL, key, v)
      if (witnesses(r, key, v)) return 1;
    return 0;
  }
  json_t *v = value_at(event, r->field);
  return v && witnesses(r, NULL, v);
}

static void every_rule_has_cases(void **state) {
  suite *s = *state;
  static rules rs;
  json_t *docs = json_object();
  size_t missing = 0;
  rs.count = 0;
  walk_schemas(&rs, docs);
  assert_true(rs.count > 100);

  /* The valid events: the bases and every case that expects no violation. */
  json_t *valid = json_array();
  const char *category;
  json_t *base;
  json_object_foreach(json_object_get(s->doc, "bases"), category, base) {
    json_t *c = json_pack("{s:s}", "category", category);
    json_array_append_new(valid, json_pack("{s:s, s:o}", "category", category, "event",
                                           build_event(s->doc, c)));
    json_decref(c);
  }
  size_t i;
  json_t *c;
  json_array_foreach(s->cases, i, c) {
    if (json_array_size(json_object_get(c, "expect")) == 0 && !json_object_get(c, "event"))
      json_array_append_new(valid, json_pack("{s:O, s:o}", "category", json_object_get(c, "category"),
                                             "event", build_event(s->doc, c)));
  }

  for (size_t k = 0; k < rs.count; k++) {
    const rule *r = &rs.items[k];
    int broken = 0, kept = !strcmp(r->code, "required"); /* a base holds every required field */
    json_array_foreach(s->cases, i, c) {
      if (!category_uses(docs, json_string_value(json_object_get(c, "category")), r->schema))
        continue;
      size_t j;
      json_t *e;
      json_array_foreach(json_object_get(c, "expect"), j, e) {
        if (field_matches(r->field, json_string_value(json_object_get(e, "field"))) &&
            !strcmp(r->code, json_string_value(json_object_get(e, "code"))))
          broken = 1;
      }
    }
    json_t *entry;
    json_array_foreach(valid, i, entry) {
      if (category_uses(docs, json_string_value(json_object_get(entry, "category")), r->schema) &&
          holds(r, json_object_get(entry, "event")))
        kept = 1;
    }
    if (!broken)
      print_error("schema %s: no case breaks %s of %s (expect field %s, code %s)\n", r->schema,
                  r->keyword, r->field, r->field, r->code);
    if (!kept)
      print_error("schema %s: no valid case holds %s%s (keyword %s)\n", r->schema, r->field,
                  r->limit ? " at its limit" : "", r->keyword);
    missing += !broken + !kept;
  }
  json_decref(valid);
  json_decref(docs);
  if (missing) fail_msg("%zu schema rules lack a test case in tests/data/schema_cases.json", missing);
}

/* Each category, base minus one of its required fields (inherited ones too), reports exactly
 * that field as required: inheritance works for every category, not just the tested one. */
static void each_required_field_of_each_category(void **state) {
  suite *s = *state;
  static rules rs;
  json_t *docs = json_object();
  rs.count = 0;
  walk_schemas(&rs, docs);
  const char *category;
  json_t *base;
  size_t checked = 0;
  json_object_foreach(json_object_get(s->doc, "bases"), category, base) {
    for (size_t k = 0; k < rs.count; k++) {
      const rule *r = &rs.items[k];
      if (strcmp(r->code, "required") || strchr(r->field, '.') ||
          !category_uses(docs, category, r->schema))
        continue;
      /* Overridden by the category's own schema? Then its own rule is the one in force. */
      if (strcmp(r->schema, category) != 0 &&
          json_object_get(json_object_get(json_object_get(docs, category), "properties"), r->field))
        continue;
      json_t *c = json_pack("{s:s, s:s, s:[s]}", "name", "required", "category", category,
                            "unset", r->field);
      json_t *event = build_event(s->doc, c);
      ps_violations v;
      ps_schema_validate_event(s->set, event, &v, NULL);
      if (v.count != 1 || strcmp(v.items[0].field, r->field) != 0 ||
          v.items[0].code != PS_VIOLATION_REQUIRED)
        fail_msg("%s without %s: %zu violations, first %s %s", category, r->field, v.count,
                 v.count ? v.items[0].field : "-",
                 v.count ? ps_violation_code_name(v.items[0].code) : "-");
      checked++;
      json_decref(event);
      json_decref(c);
    }
  }
  assert_true(checked > 100);
  json_decref(docs);
}

/* ---- loading --------------------------------------------------------------------------- */

/* Loads the inline documents (name, text pairs); returns the result and fills err. */
static int load_inline(ps_schema_set **out, char *err, size_t errlen, size_t n, ...) {
  ps_embedded_schema docs[8];
  va_list ap;
  va_start(ap, n);
  for (size_t i = 0; i < n; i++) {
    docs[i].name = va_arg(ap, const char *);
    docs[i].text = va_arg(ap, const char *);
    docs[i].len = strlen(docs[i].text);
  }
  va_end(ap);
  return ps_schema_set_create(docs, n, out, err, errlen);
}

/* The load fails with PS_EINVAL, no set, and a message containing want. */
static void refused(const char *why, const char *want, const char *text) {
  ps_schema_set *set = (ps_schema_set *)1;
  char err[256];
  int rc = load_inline(&set, err, sizeof err, 1, "cat", text);
  if (rc != PS_EINVAL || set || !strstr(err, want))
    fail_msg("%s: rc %d, error \"%s\", wanted one containing \"%s\"", why, rc, err, want);
}

#define DOC(props) "{\"id\": \"cat\", \"type\": \"object\", \"properties\": {" props "}}"

static void load_errors(void **state) {
  refused("bad JSON", "line", "{\"id\": \"cat\",");
  refused("not an object", "not a JSON object", "[]");
  refused("duplicate key", "duplicate", "{\"id\": \"cat\", \"id\": \"cat\", \"type\": \"object\"}");
  refused("id is not the file name", "\"id\" must be the file's name", "{\"id\": \"dog\", \"type\": \"object\"}");
  refused("top type", "\"type\": \"object\"", "{\"id\": \"cat\", \"type\": \"string\"}");
  refused("unknown top keyword", "unknown keyword \"propertes\"",
          "{\"id\": \"cat\", \"type\": \"object\", \"propertes\": {}}");
  refused("property keyword at the top", "\"required\" is not allowed at the top",
          "{\"id\": \"cat\", \"type\": \"object\", \"required\": true}");
  refused("typo in a keyword", "a: unknown keyword \"requried\"", DOC("\"a\": {\"requried\": true}"));
  refused("extends in a property", "\"extends\" is not allowed in a property",
          DOC("\"a\": {\"extends\": \"x\"}"));
  refused("bad pattern", "a: pattern does not compile", DOC("\"a\": {\"type\": \"string\", \"pattern\": \"^(ab$\"}"));
  /* The seed's engine_version pattern as printed: one ')' too many (fixed in shared.json). */
  refused("seed engine_version", "pattern does not compile",
          DOC("\"engine_version\": {\"type\": \"string\", \"pattern\": \"^(unity|minecraft_map)) [0-9]{0,5}$\"}"));
  refused("pattern not a string", "\"pattern\" must be a string", DOC("\"a\": {\"pattern\": 1}"));
  refused("unknown type", "unknown type \"strng\"", DOC("\"a\": {\"type\": \"strng\"}"));
  refused("empty type list", "non-empty list", DOC("\"a\": {\"type\": []}"));
  refused("type listed twice", "listed twice", DOC("\"a\": {\"type\": [\"null\", \"null\"]}"));
  refused("type enum without enum", "needs an \"enum\"", DOC("\"a\": {\"type\": \"enum\"}"));
  refused("empty enum", "non-empty list", DOC("\"a\": {\"enum\": []}"));
  refused("enum value of another type", "enum value 1 is not of type boolean",
          DOC("\"a\": {\"type\": \"boolean\", \"enum\": [true, \"yes\"]}"));
  refused("required not boolean", "true or false", DOC("\"a\": {\"required\": \"yes\"}"));
  refused("minimum not a number", "\"minimum\" must be a number", DOC("\"a\": {\"minimum\": \"2\"}"));
  refused("maximum not a number", "\"maximum\" must be a number", DOC("\"a\": {\"maximum\": null}"));
  refused("negative maxLength", "\"maxLength\" must be an integer >= 0", DOC("\"a\": {\"maxLength\": -1}"));
  refused("maxProperties real", "\"maxProperties\" must be an integer", DOC("\"a\": {\"maxProperties\": 1.5}"));
  refused("maxLength on an integer", "\"maxLength\" applies to strings",
          DOC("\"a\": {\"type\": \"integer\", \"maxLength\": 3}"));
  refused("pattern on a boolean", "\"pattern\" applies to strings and numbers",
          DOC("\"a\": {\"type\": \"boolean\", \"pattern\": \"x\"}"));
  refused("minimum on a string", "\"minimum\" applies to numbers", DOC("\"a\": {\"type\": \"string\", \"minimum\": 1}"));
  refused("properties on a string", "\"properties\" applies to objects",
          DOC("\"a\": {\"type\": \"string\", \"properties\": {}}"));
  refused("property not an object", "a: must be described by a JSON object", DOC("\"a\": true"));
  refused("nested typo", "a.b: unknown keyword \"patern\"",
          DOC("\"a\": {\"type\": \"object\", \"properties\": {\"b\": {\"patern\": \"x\"}}}"));
  refused("type in propertyNames", "\"type\" is not allowed in propertyNames",
          DOC("\"a\": {\"propertyNames\": {\"type\": \"string\"}}"));
  refused("required in additionalProperties", "\"required\" is not allowed in additionalProperties",
          DOC("\"a\": {\"additionalProperties\": {\"required\": true}}"));
  refused("bad pattern in propertyNames", "pattern does not compile",
          DOC("\"a\": {\"propertyNames\": {\"pattern\": \"[\"}}"));
  refused("unknown extends", "extends unknown schema \"shred\"",
          "{\"id\": \"cat\", \"type\": \"object\", \"extends\": \"shred\"}");
  refused("extends itself", "cycle", "{\"id\": \"cat\", \"type\": \"object\", \"extends\": \"cat\"}");
  refused("extends not a string", "\"extends\" must be the id", "{\"id\": \"cat\", \"type\": \"object\", \"extends\": 1}");

  ps_schema_set *set = NULL;
  char err[256];
  assert_int_equal(load_inline(&set, err, sizeof err, 2, "a",
                               "{\"type\": \"object\", \"extends\": \"b\"}", "b",
                               "{\"type\": \"object\", \"extends\": \"a\"}"),
                   PS_EINVAL);
  assert_null(set);
  assert_non_null(strstr(err, "cycle"));
  assert_int_equal(load_inline(&set, err, sizeof err, 2, "cat", "{\"type\": \"object\"}", "cat",
                               "{\"type\": \"object\"}"),
                   PS_EINVAL);
  assert_non_null(strstr(err, "defined twice"));
  /* A NULL error buffer is allowed. */
  assert_int_equal(load_inline(&set, NULL, 0, 1, "cat", "{"), PS_EINVAL);
}

/* Inline schemas: extends chains, the category's own rule wins, "shared" is no category. */
static void extends_and_override(void **state) {
  ps_schema_set *set = NULL;
  char err[256] = "";
  int rc = load_inline(
      &set, err, sizeof err, 3, "shared",
      "{\"id\": \"shared\", \"type\": \"object\", \"properties\": {"
      "\"x\": {\"type\": \"integer\", \"required\": true}, \"y\": {\"type\": \"string\"}}}",
      "mid", "{\"type\": \"object\", \"extends\": \"shared\", \"properties\": {"
             "\"x\": {\"type\": \"string\", \"required\": true, \"maxLength\": 2}}}",
      "leaf", "{\"type\": \"object\", \"extends\": \"mid\", \"properties\": {"
              "\"z\": {\"type\": \"boolean\", \"required\": true}}}");
  if (rc != PS_OK) fail_msg("%s", err);
  size_t n;
  const char *const *names = ps_schema_categories(set, &n);
  assert_int_equal(n, 2);
  assert_string_equal(names[0], "leaf");
  assert_string_equal(names[1], "mid");

  ps_violations v;
  const char *category;
  json_t *e = json_pack("{s:s, s:s, s:b}", "category", "leaf", "x", "ab", "z", 1);
  assert_int_equal(ps_schema_validate_event(set, e, &v, &category), 0);
  assert_string_equal(category, "leaf");
  json_object_set_new(e, "x", json_integer(1)); /* the base's rule is overridden */
  json_object_set_new(e, "y", json_integer(1)); /* the base's other rule still holds */
  assert_int_equal(ps_schema_validate_event(set, e, &v, &category), 2);
  assert_string_equal(v.items[0].field, "y");
  assert_string_equal(v.items[1].field, "x");
  assert_int_equal(v.items[1].code, PS_VIOLATION_TYPE);
  json_object_del(e, "x");
  json_object_del(e, "z");
  json_object_del(e, "y");
  assert_int_equal(ps_schema_validate_event(set, e, &v, &category), 2);
  json_decref(e);
  e = json_pack("{s:s}", "category", "shared");
  assert_int_equal(ps_schema_validate_event(set, e, &v, &category), 1);
  assert_int_equal(v.items[0].code, PS_VIOLATION_ENUM);
  assert_null(category);
  json_decref(e);
  ps_schema_set_free(set);
  ps_schema_set_free(NULL);
}

static void embedded_categories(void **state) {
  suite *s = *state;
  static const char *const want[] = {"ads",        "business",    "design",   "error",
                                     "health",     "impression",  "progression", "resource",
                                     "sdk_error",  "sdk_init",    "session_end", "user"};
  size_t n;
  const char *const *names = ps_schema_categories(s->set, &n);
  assert_int_equal(n, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < n; i++) assert_string_equal(names[i], want[i]);
  for (ps_violation_code c = PS_VIOLATION_REQUIRED; c <= PS_VIOLATION_MAXLENGTH; c++)
    assert_string_not_equal(ps_violation_code_name(c), "unknown");
  assert_string_equal(ps_violation_code_name(PS_VIOLATION_MAXLENGTH), "maxLength");
}

/* ---- limits of the report -------------------------------------------------------------- */

static json_t *base_event(suite *s, const char *category) {
  json_t *c = json_pack("{s:s}", "category", category);
  json_t *e = build_event(s->doc, c);
  json_decref(c);
  return e;
}

/* More violations than PS_MAX_VIOLATIONS: the first ones are kept, the count is capped. */
static void violations_are_capped(void **state) {
  suite *s = *state;
  json_t *e = base_event(s, "user");
  json_t *fields = json_object();
  for (int i = 0; i < 45; i++) {
    char key[16];
    snprintf(key, sizeof key, "bad-%02d", i);
    json_object_set_new(fields, key, json_integer(i));
  }
  json_object_set_new(e, "custom_fields", fields);
  json_object_set_new(e, "v", json_string("2"));
  ps_violations v;
  assert_int_equal(ps_schema_validate_event(s->set, e, &v, NULL), PS_MAX_VIOLATIONS);
  assert_int_equal(v.count, PS_MAX_VIOLATIONS);
  assert_string_equal(v.items[0].field, "v");
  json_decref(e);
}

/* Long keys and values are cut on character boundaries, never mid-character. */
static void long_texts_are_cut_cleanly(void **state) {
  suite *s = *state;
  json_t *e = base_event(s, "user");
  char key[400] = "x";
  for (int i = 0; i < 120; i++) strcat(key, "é"); /* 2 bytes each: crosses 96 at every offset */
  json_t *fields = json_object();
  json_object_set_new(fields, key, json_integer(1));
  json_object_set_new(fields, key + 1, json_integer(1));
  json_object_set_new(e, "custom_fields", fields);
  json_object_set_new(e, "platform", json_string(key));
  ps_violations v;
  assert_int_equal(ps_schema_validate_event(s->set, e, &v, NULL), 3);
  for (size_t i = 0; i < v.count; i++) {
    assert_true(strlen(v.items[i].field) < sizeof v.items[i].field);
    assert_true(utf8_valid(v.items[i].field));
    assert_true(utf8_valid(v.items[i].message));
  }
  /* platform, then the two keys in order; the first key does not fit a field. */
  assert_string_equal(v.items[0].field, "platform");
  assert_int_equal(strncmp(v.items[1].field, "custom_fields.xé", 16), 0);
  assert_non_null(strstr(v.items[1].field, "..."));
  assert_non_null(strstr(v.items[0].message, "..."));
  json_decref(e);
}

/* A string with a NUL byte is matched whole, not up to the NUL. A key with one cannot reach
 * the validator: no JSON text the collector accepts carries it (json_doc.h, as json_loadb). */
static void nul_bytes_are_not_terminators(void **state) {
  suite *s = *state;
  json_t *e = base_event(s, "business");
  json_object_set_new(e, "currency", json_stringn("USD\0X", 5));
  json_t *fields = json_object();
  json_object_set_new(fields, "ok-bad", json_integer(1));
  json_object_set_new(e, "custom_fields", fields);
  ps_violations v;
  assert_int_equal(ps_schema_validate_event(s->set, e, &v, NULL), 2);
  assert_string_equal(v.items[0].field, "custom_fields.ok-bad");
  assert_int_equal(v.items[0].code, PS_VIOLATION_PATTERN);
  assert_string_equal(v.items[1].field, "currency");
  json_object_setn_new(fields, "ok\0bad", 6, json_integer(1));
  json_object_del(fields, "ok-bad");
  assert_int_equal(ps_schema_validate_event(s->set, e, &v, NULL), 1);
  assert_string_equal(v.items[0].field, "");
  assert_non_null(strstr(v.items[0].message, "NUL byte in object key"));
  json_decref(e);
}

/* The validator's pattern matching stays in the stack arena: no malloc per event. */
static void matcher_stays_off_the_heap(void **state) {
  int code;
  PCRE2_SIZE offset;
  pcre2_code *re = pcre2_compile((PCRE2_SPTR) "^[A-Z]{3}$", PCRE2_ZERO_TERMINATED, PCRE2_UTF,
                                 &code, &offset, NULL);
  assert_non_null(re);
  pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
  ps_matcher m;
  ps_matcher_init(&m);
  assert_int_equal(ps_matcher_match(&m, re, "USD", 3), 1);
  assert_int_equal(ps_matcher_match(&m, re, "usd", 3), 0);
  assert_true(ps_matcher_match(&m, re, "\xff", 1) < 0); /* invalid UTF-8: an error, no match */
  assert_int_equal(m.spills, 0);
  ps_matcher_release(&m);
  pcre2_code_free(re);
}

/* ---- threads --------------------------------------------------------------------------- */

typedef struct worker {
  suite *s;
  json_t **events;
  size_t n;
  size_t *want; /* violation counts from a single-threaded run */
  int ok;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  w->ok = 1;
  for (int round = 0; round < 50; round++) {
    for (size_t i = 0; i < w->n; i++) {
      ps_violations v;
      if (ps_schema_validate_event(w->s->set, w->events[i], &v, NULL) != w->want[i]) w->ok = 0;
    }
  }
  return NULL;
}

/* Many threads validate with one set at once and get the answers of one thread. */
static void concurrent_validation(void **state) {
  suite *s = *state;
  size_t n = json_array_size(s->cases);
  json_t **events = calloc(n, sizeof *events);
  size_t *want = calloc(n, sizeof *want);
  assert_true(events && want);
  for (size_t i = 0; i < n; i++) {
    ps_violations v;
    events[i] = build_event(s->doc, json_array_get(s->cases, i));
    want[i] = ps_schema_validate_event(s->set, events[i], &v, NULL);
  }
  pthread_t threads[4];
  worker workers[4];
  for (int t = 0; t < 4; t++) {
    workers[t] = (worker){s, events, n, want, 0};
    assert_int_equal(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
  }
  for (int t = 0; t < 4; t++) {
    pthread_join(threads[t], NULL);
    assert_true(workers[t].ok);
  }
  for (size_t i = 0; i < n; i++) json_decref(events[i]);
  free(events);
  free(want);
}

/* ---- main ------------------------------------------------------------------------------ */

static int setup(void **state) {
  static suite s;
  char err[256];
  if (ps_schema_set_create_embedded(&s.set, err, sizeof err) != PS_OK) {
    fprintf(stderr, "embedded schemas do not load: %s\n", err);
    return -1;
  }
  json_error_t jerr;
  const char *root = getenv("PLAYSTAT_SOURCE_DIR");
  char path[4096];
  snprintf(path, sizeof path, "%s/tests/data/schema_cases.json", root ? root : ".");
  s.doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
  if (!s.doc) {
    fprintf(stderr, "%s:%d: %s (set PLAYSTAT_SOURCE_DIR to the repository)\n", path, jerr.line,
            jerr.text);
    return -1;
  }
  s.cases = json_object_get(s.doc, "cases");
  *state = &s;
  return 0;
}

static int teardown(void **state) {
  suite *s = *state;
  ps_schema_set_free(s->set);
  json_decref(s->doc);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(case_file_is_well_formed),
      cmocka_unit_test(every_base_is_valid),
      cmocka_unit_test(every_case_gives_its_violations),
      cmocka_unit_test(every_rule_has_cases),
      cmocka_unit_test(each_required_field_of_each_category),
      cmocka_unit_test(load_errors),
      cmocka_unit_test(extends_and_override),
      cmocka_unit_test(embedded_categories),
      cmocka_unit_test(violations_are_capped),
      cmocka_unit_test(long_texts_are_cut_cleanly),
      cmocka_unit_test(nul_bytes_are_not_terminators),
      cmocka_unit_test(matcher_stays_off_the_heap),
      cmocka_unit_test(concurrent_validation),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
