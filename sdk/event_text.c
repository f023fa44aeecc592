/* event_text.c: see event_text.h. */
#include "sdk/event_text.h"

#include <math.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/json_parse.h"
#include "schema/embedded.h"
#include "sdk/hot.h"

PS_SDK_HOT int ps_sdk_json_append_string(ps_buf *b, const char *s, size_t len) {
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x20 || c == '"' || c == '\\') return ps_buf_append_json_string(b, s, len);
  }
  if (ps_buf_reserve(b, len + 2) != PS_OK) return PS_ENOMEM;
  char *o = b->data + b->len;
  o[0] = '"';
  memcpy(o + 1, s, len);
  o[len + 1] = '"';
  o[len + 2] = '\0';
  b->len += len + 2;
  return PS_OK;
}

PS_SDK_HOT int ps_sdk_json_append_real(ps_buf *b, double v) {
  if (!isfinite(v)) return PS_EINVAL;
  if (v == (double)(long long)v && fabs(v) < 9007199254740992.0) return ps_buf_append_json_number(b, v);
  char text[40];
  int n = snprintf(text, sizeof text, "%.15g", v);
  if (strtod(text, NULL) != v) n = snprintf(text, sizeof text, "%.17g", v);
  if (n < 0 || (size_t)n >= sizeof text) return PS_EINVAL;
  return ps_buf_append(b, text, (size_t)n);
}

PS_SDK_HOT int ps_sdk_json_append_integer(ps_buf *b, int64_t v) {
  if (v > -9007199254740992LL && v < 9007199254740992LL)
    return ps_buf_append_json_number(b, (double)v); /* exact, without printf */
  char text[24];
  int n = snprintf(text, sizeof text, "%lld", (long long)v);
  return ps_buf_append(b, text, (size_t)n);
}

int ps_sdk_json_append_members(ps_buf *b, const json_t *v) {
  int rc = PS_OK, first = 1;
  for (void *it = json_object_iter((json_t *)v); it && rc == PS_OK;
       it = json_object_iter_next((json_t *)v, it)) {
    if (!first) rc = ps_buf_append(b, ",", 1);
    first = 0;
    if (rc == PS_OK)
      rc = ps_sdk_json_append_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
    if (rc == PS_OK) rc = ps_buf_append(b, ":", 1);
    if (rc == PS_OK) rc = ps_sdk_json_append(b, json_object_iter_value(it));
  }
  return rc;
}

int ps_sdk_json_append(ps_buf *b, const json_t *v) {
  int rc;
  switch (json_typeof(v)) {
  case JSON_OBJECT:
    rc = ps_buf_append(b, "{", 1);
    if (rc == PS_OK) rc = ps_sdk_json_append_members(b, v);
    return rc == PS_OK ? ps_buf_append(b, "}", 1) : rc;
  case JSON_ARRAY:
    rc = ps_buf_append(b, "[", 1);
    for (size_t i = 0; rc == PS_OK && i < json_array_size(v); i++) {
      if (i) rc = ps_buf_append(b, ",", 1);
      if (rc == PS_OK) rc = ps_sdk_json_append(b, json_array_get(v, i));
    }
    return rc == PS_OK ? ps_buf_append(b, "]", 1) : rc;
  case JSON_STRING: return ps_sdk_json_append_string(b, json_string_value(v), json_string_length(v));
  case JSON_INTEGER: return ps_sdk_json_append_integer(b, json_integer_value(v));
  case JSON_REAL: return ps_sdk_json_append_real(b, json_real_value(v));
  case JSON_TRUE: return ps_buf_append(b, "true", 4);
  case JSON_FALSE: return ps_buf_append(b, "false", 5);
  default: return ps_buf_append(b, "null", 4);
  }
}

/* The shared properties a call sets itself (not annotations). */
static const char *const call_members[] = {"event_uuid", "client_ts", "custom_fields"};

/* The own schema of doc (a new string), NULL when it has none (*oom set when out of memory). */
static char *own_schema(const char *text, size_t len, const json_t *shared, int minimal,
                        int *oom) {
  json_t *doc = NULL; /* json_parse.h, not jansson's reader, which asserts when out of memory */
  if (ps_json_parse(text, len, 0, &doc, NULL, 0) != PS_OK) doc = NULL;
  json_t *props = json_object_get(doc, "properties");
  const json_t *shared_props = json_object_get(shared, "properties");
  char *out = NULL;
  *oom = 0;
  if (!json_is_object(props) || !json_is_object(shared_props)) goto out;
  const char *ext = json_string_value(json_object_get(doc, "extends"));
  if (!ext || strcmp(ext, "shared") != 0) goto out;
  const char *key;
  json_t *value;
  json_object_foreach(props, key, value) {
    if (json_object_get(shared_props, key)) goto out; /* redefines an annotation: validate whole */
  }
  json_object_del(doc, "extends");
  for (size_t i = minimal ? 2 : 0; i < sizeof call_members / sizeof *call_members; i++) {
    json_t *rule = json_object_get(shared_props, call_members[i]);
    if (rule && json_object_set(props, call_members[i], rule)) {
      *oom = 1;
      goto out;
    }
  }
  if (!(out = json_dumps(doc, JSON_COMPACT))) *oom = 1;
out:
  if (!doc) *oom = 1; /* the embedded files are JSON: only memory can fail */
  json_decref(doc);
  return out;
}

/* The event_uuid rule every UUID of ps_sdk_uuid meets (lowercase hex, 8-4-4-4-12). */
static int uuid_rule_known(const json_t *shared) {
  static const char pattern[] = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}"
                                "-[0-9a-fA-F]{12}$";
  const json_t *rule = json_object_get(json_object_get(shared, "properties"), "event_uuid");
  const char *key;
  json_t *v;
  if (!json_is_object(rule)) return 0;
  json_object_foreach((json_t *)rule, key, v) {
    if (strcmp(key, "description") == 0 || strcmp(key, "required") == 0) continue;
    if (strcmp(key, "type") == 0 && json_is_string(v) && strcmp(json_string_value(v), "string") == 0)
      continue;
    if (strcmp(key, "pattern") == 0 && json_is_string(v) && strcmp(json_string_value(v), pattern) == 0)
      continue;
    return 0; /* any other rule: validate every uuid */
  }
  return 1;
}

int ps_sdk_own_schemas_create(ps_schema_set **out, char *err, size_t errlen) {
  return ps_sdk_own_schemas_create2(out, NULL, err, errlen);
}

int ps_sdk_own_schemas_create2(ps_schema_set **out, ps_schema_set **fast, char *err,
                               size_t errlen) {
  *out = NULL;
  if (fast) *fast = NULL;
  size_t n = ps_embedded_schema_count, k = 0;
  ps_embedded_schema *docs = calloc(n ? n : 1, sizeof *docs);
  json_t *shared = NULL;
  int rc = docs ? PS_OK : PS_ENOMEM;
  for (size_t i = 0; rc == PS_OK && i < n; i++)
    if (strcmp(ps_embedded_schemas[i].name, "shared") == 0)
      if (ps_json_parse(ps_embedded_schemas[i].text, ps_embedded_schemas[i].len, 0, &shared, NULL,
                        0) != PS_OK)
        shared = NULL;
  if (rc == PS_OK && !shared) rc = PS_ENOMEM;
  for (int minimal = 0; minimal <= (fast ? 1 : 0) && rc == PS_OK; minimal++) {
    if (minimal && !uuid_rule_known(shared)) break;
    for (size_t i = 0; docs && i < k; i++) free((char *)docs[i].text);
    k = 0;
    for (size_t i = 0; rc == PS_OK && i < n; i++) {
      if (strcmp(ps_embedded_schemas[i].name, "shared") == 0) continue;
      int oom = 0;
      char *text = own_schema(ps_embedded_schemas[i].text, ps_embedded_schemas[i].len, shared,
                              minimal, &oom);
      if (oom) rc = PS_ENOMEM;
      if (text)
        docs[k++] = (ps_embedded_schema){.name = ps_embedded_schemas[i].name, .text = text,
                                         .len = strlen(text)};
    }
    if (rc == PS_OK) rc = ps_schema_set_create(docs, k, minimal ? fast : out, err, errlen);
    else snprintf(err, errlen, "out of memory");
  }
  if (rc != PS_OK) {
    ps_schema_set_free(*out);
    *out = NULL;
    if (fast) {
      ps_schema_set_free(*fast);
      *fast = NULL;
    }
  }
  for (size_t i = 0; docs && i < k; i++) free((char *)docs[i].text);
  free(docs);
  json_decref(shared);
  return rc;
}

int ps_sdk_uuid_pool_wants(const ps_sdk_uuid_pool *pool) { return !pool->spare_ready; }

void ps_sdk_uuid_pool_offer(ps_sdk_uuid_pool *pool, const unsigned char *bytes) {
  if (pool->spare_ready) return;
  memcpy(pool->bytes[1 - pool->current], bytes, PS_SDK_UUID_POOL);
  pool->spare_ready = 1;
}

PS_SDK_HOT int ps_sdk_uuid(ps_sdk_uuid_pool *pool, char out[37]) {
  static const char hex[] = "0123456789abcdef";
  if (!pool->filled || pool->used + 16 > PS_SDK_UUID_POOL) {
    if (pool->spare_ready) { /* the library's thread made it: no RAND_bytes on this thread */
      pool->current = 1 - pool->current;
      pool->spare_ready = 0;
    } else if (RAND_bytes(pool->bytes[pool->current], PS_SDK_UUID_POOL) != 1) {
      return PS_EIO;
    }
    pool->used = 0;
    pool->filled = 1;
  }
  unsigned char *at = pool->bytes[pool->current] + pool->used;
  unsigned char b[16];
  memcpy(b, at, 16);
  memset(at, 0, 16); /* not kept once used */
  pool->used += 16;
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  char *o = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *o++ = '-';
    *o++ = hex[b[i] >> 4];
    *o++ = hex[b[i] & 15];
  }
  *o = '\0';
  return PS_OK;
}
