/*
 * request.c: see request.h. A form body is first turned into the same JSON object a JSON client
 * would send (every value a string, ids an array), so that one set of field rules serves both.
 */
#include "ingest/metrics/request.h"

#include <ctype.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/encoding.h"

static void add_error(ps_field_errors *errors, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first problem of a field (the 422 "errors" object has one message per field). */
static void add_error(ps_field_errors *errors, const char *field, const char *fmt, ...) {
  if (errors->count == PS_MSESSION_MAX_ERRORS) return;
  for (size_t i = 0; i < errors->count; i++)
    if (strcmp(errors->items[i].field, field) == 0) return;
  snprintf(errors->items[errors->count].field, sizeof errors->items[0].field, "%s", field);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(errors->items[errors->count].message, sizeof errors->items[0].message, fmt, ap);
  va_end(ap);
  errors->count++;
}

/* ---- form bodies ---- */

/* Percent- and plus-decodes text[0..len) into a new NUL-terminated string (NULL on OOM). */
static char *form_decode(const char *text, size_t len) {
  char *out = malloc(len + 1);
  if (out) ps_percent_decode(text, len, 1, out);
  return out;
}

/* ids[]=1, ids[0]=1 and ids=1 all name the ids. */
static int is_ids_key(const char *key) {
  if (strncmp(key, "ids", 3) != 0) return 0;
  if (key[3] == '\0') return 1;
  if (key[3] != '[') return 0;
  size_t i = 4;
  while (isdigit((unsigned char)key[i])) i++;
  return key[i] == ']' && key[i + 1] == '\0';
}

/* Builds the JSON object equivalent of a form body; NULL on OOM. */
static json_t *form_to_json(const char *body, size_t len) {
  json_t *doc = json_object(), *ids = NULL;
  if (!doc) return NULL;
  const char *p = body, *end = body + len;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *pair_end = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(pair_end - p));
    if (pair_end > p) {
      char *key = form_decode(p, (size_t)((eq ? eq : pair_end) - p));
      char *value = eq ? form_decode(eq + 1, (size_t)(pair_end - eq - 1)) : strdup("");
      int ok = key && value;
      if (ok && is_ids_key(key)) {
        if (!ids && (!(ids = json_array()) || json_object_set_new(doc, "ids", ids) != 0)) ok = 0;
        if (ok) ok = json_array_append_new(ids, json_string(value)) == 0;
      } else if (ok) {
        ok = json_object_set_new(doc, key, json_string(value)) == 0;
      }
      free(key);
      free(value);
      if (!ok) {
        json_decref(doc);
        return NULL;
      }
    }
    p = pair_end + 1;
  }
  /* ids=1,2,3 as one value: the string form, handled like a JSON string. */
  if (ids && json_array_size(ids) == 1) {
    json_t *only = json_incref(json_array_get(ids, 0));
    json_object_set_new(doc, "ids", only);
  }
  return doc;
}

/* ---- field rules ---- */

/* A required string of 1..max bytes copied into out. */
static void take_text(json_t *doc, const char *field, size_t max, char *out,
                      ps_field_errors *errors) {
  json_t *v = json_object_get(doc, field);
  if (!v) {
    add_error(errors, field, "%s is required", field);
  } else if (!json_is_string(v) || json_string_length(v) == 0) {
    add_error(errors, field, "%s must be a non-empty string", field);
  } else if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v)) {
    add_error(errors, field, "%s must be at most %zu characters", field, max);
  } else {
    memcpy(out, json_string_value(v), json_string_length(v) + 1);
  }
}

/* Copies s[0..n) into out when it is 1 to 19 decimal digits; else returns 0. */
static int digits_text(const char *s, size_t n, char *out, size_t cap) {
  if (n == 0 || n > 19 || n >= cap) return 0;
  for (size_t i = 0; i < n; i++)
    if (!isdigit((unsigned char)s[i])) return 0;
  memcpy(out, s, n);
  out[n] = '\0';
  return 1;
}

/* The decimal text of a non-negative integer sent as a JSON integer or as a string of digits;
 * 0 if the value is neither. */
static int integer_text(json_t *v, char *out, size_t cap) {
  if (json_is_integer(v)) {
    if (json_integer_value(v) < 0) return 0;
    snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    return 1;
  }
  if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) return 0;
  return digits_text(json_string_value(v), json_string_length(v), out, cap);
}

static void take_timestamp(json_t *doc, ps_msession_request *out, ps_field_errors *errors) {
  json_t *v = json_object_get(doc, "session_ts");
  if (!v) {
    add_error(errors, "session_ts", "session_ts is required");
    return;
  }
  if (!integer_text(v, out->ts_text, sizeof out->ts_text)) {
    add_error(errors, "session_ts", "session_ts must be a unix timestamp (digits)");
    return;
  }
  size_t digits = strlen(out->ts_text);
  long long value = strtoll(out->ts_text, NULL, 10);
  if (digits >= 9 && digits <= 11)
    out->ts_ms = value * 1000; /* seconds (C++ SDK, REST) */
  else if (digits >= 12 && digits <= 14)
    out->ts_ms = value; /* milliseconds (Unity) */
  else
    add_error(errors, "session_ts",
              "session_ts must be unix seconds (10 digits) or milliseconds (13 digits)");
}

static void take_order_id(json_t *doc, ps_msession_request *out, ps_field_errors *errors) {
  char text[24];
  json_t *v = json_object_get(doc, "session_order_id");
  if (!v) {
    add_error(errors, "session_order_id", "session_order_id is required");
  } else if (!integer_text(v, text, sizeof text) || (out->order_id = strtoll(text, NULL, 10)) < 1) {
    add_error(errors, "session_order_id", "session_order_id must be an integer of 1 or more");
  }
}

static void take_hash(json_t *doc, ps_msession_request *out, ps_field_errors *errors) {
  take_text(doc, "session_hash", 64, out->hash, errors);
  if (!out->hash[0]) return;
  size_t n = strlen(out->hash);
  for (size_t i = 0; i < n; i++) {
    if (ps_hex_digit(out->hash[i]) < 0 || n != 64) {
      add_error(errors, "session_hash", "session_hash must be 64 hex digits (HMAC-SHA256)");
      out->hash[0] = '\0';
      return;
    }
  }
}

/* Appends one mod id (validated) to out; returns 0, or -1 after reporting an error. */
static int add_mod_id(const char *text, ps_msession_request *out, ps_buf *ids_text,
                      ps_field_errors *errors) {
  long long id = strtoll(text, NULL, 10);
  if (id < 1) {
    add_error(errors, "ids", "ids must be mod ids of 1 or more, got %.20s", text);
    return -1;
  }
  if (out->nmods == PS_MSESSION_MAX_MODS) {
    add_error(errors, "ids", "ids may hold at most %d mod ids", PS_MSESSION_MAX_MODS);
    return -1;
  }
  if ((ids_text->len && ps_buf_append(ids_text, ",", 1) != PS_OK) ||
      ps_buf_append_str(ids_text, text) != PS_OK)
    return -1;
  out->mod_ids[out->nmods++] = id;
  return 0;
}

/* Returns 0, or PS_ENOMEM. Field problems go to errors. */
static int take_ids(json_t *doc, ps_msession_request *out, ps_field_errors *errors) {
  json_t *v = json_object_get(doc, "ids");
  ps_buf ids_text = {0};
  char text[24];
  if (!v) {
    add_error(errors, "ids", "ids is required: the mod ids of the session");
    return PS_OK;
  }
  if (!(out->mod_ids = calloc(PS_MSESSION_MAX_MODS, sizeof *out->mod_ids))) return PS_ENOMEM;
  int bad = 0;
  if (json_is_array(v)) {
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
      if (!integer_text(item, text, sizeof text)) {
        add_error(errors, "ids", "ids must hold mod ids (integers)");
        bad = 1;
        break;
      }
      if ((bad = add_mod_id(text, out, &ids_text, errors) != 0)) break;
    }
  } else if (json_is_string(v)) {
    const char *p = json_string_value(v);
    while (*p && !bad) {
      size_t n = strcspn(p, ",");
      if (!digits_text(p, n, text, sizeof text)) {
        add_error(errors, "ids", "ids must be mod ids separated by commas");
        bad = 1;
      } else {
        bad = add_mod_id(text, out, &ids_text, errors) != 0;
      }
      p += n + (p[n] == ',');
    }
  } else {
    add_error(errors, "ids", "ids must be an array of mod ids");
    bad = 1;
  }
  if (!bad && out->nmods == 0) add_error(errors, "ids", "ids must hold at least one mod id");
  out->ids_text = ps_buf_steal(&ids_text);
  return out->ids_text ? PS_OK : PS_ENOMEM;
}

/* ---- entry point ---- */

static int media_type_is(const char *content_type, const char *type) {
  size_t n = strlen(type);
  return strncasecmp(content_type, type, n) == 0 &&
         (content_type[n] == '\0' || content_type[n] == ';' || content_type[n] == ' ');
}

ps_msession_parse_result ps_msession_request_parse(ps_msession_kind kind,
                                                   const char *content_type, const char *body,
                                                   size_t len, ps_msession_request *out,
                                                   ps_field_errors *errors) {
  json_t *doc = NULL;
  ps_msession_parse_result result;
  memset(out, 0, sizeof *out);
  errors->count = 0;
  out->kind = kind;
  if (!content_type || !*content_type) return PS_MSESSION_NO_CONTENT_TYPE;
  if (len > PS_MSESSION_MAX_BODY) return PS_MSESSION_TOO_LARGE;
  if (media_type_is(content_type, "application/json")) {
    json_error_t jerr;
    doc = json_loadb(body, len, 0, &jerr);
    if (!json_is_object(doc)) {
      json_decref(doc);
      return PS_MSESSION_MALFORMED;
    }
  } else if (media_type_is(content_type, "application/x-www-form-urlencoded")) {
    if (!(doc = form_to_json(body, len))) return PS_MSESSION_NO_MEMORY;
  } else {
    return PS_MSESSION_BAD_CONTENT_TYPE;
  }
  take_text(doc, "session_id", PS_MSESSION_MAX_TEXT, out->session_id, errors);
  take_timestamp(doc, out, errors);
  take_hash(doc, out, errors);
  take_text(doc, "session_nonce", PS_MSESSION_MAX_TEXT, out->nonce, errors);
  take_order_id(doc, out, errors);
  result = PS_MSESSION_OK;
  if (kind == PS_MSESSION_START && take_ids(doc, out, errors) != PS_OK)
    result = PS_MSESSION_NO_MEMORY;
  else if (errors->count)
    result = PS_MSESSION_INVALID_FIELDS;
  json_decref(doc);
  if (result != PS_MSESSION_OK) ps_msession_request_free(out);
  return result;
}

void ps_msession_request_free(ps_msession_request *r) {
  free(r->mod_ids);
  free(r->ids_text);
  r->mod_ids = NULL;
  r->ids_text = NULL;
  r->nmods = 0;
}
