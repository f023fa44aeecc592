/*
 * request.c: see request.h.
 *
 * Why: a heartbeat is the most frequent request the collector answers, and its decode used to be
 * jansson's json_loadb (a malloc per value and per key, a hashtable per object: ~24 allocations
 * and most of the decode's time per heartbeat). It now reads the body with the hot path's reader,
 * common/json_doc.h, into a document each thread keeps and reuses.
 *
 * One set of field rules: a form body is first written as the JSON text a JSON client would send
 * (every value a string, ids an array, or a string when given once), into a buffer the thread
 * keeps, and read by the same reader; the rules below only ever see a ps_json_doc.
 *
 * Guarantees:
 *  - what is accepted, and every result, message and field error, is what the jansson decoder
 *    gave: json_doc accepts what json_loadb(body, len, 0) accepts for an object (no \u0000,
 *    duplicate keys: the last value wins, integers fit int64_t, 1.0 is a real; one deliberate
 *    difference: a raw NUL byte outside a string, which jansson sometimes skipped, is refused);
 *    a form key or value is cut at its first decoded NUL byte, as jansson's json_string did,
 *    and one that is not UTF-8 is PS_MSESSION_MALFORMED (a 400; it was a 503 the client
 *    retried for ever); a failed allocation while parsing is PS_MSESSION_NO_MEMORY (503);
 *  - memory: a decode allocates nothing per value. The thread's document and buffers grow to
 *    the largest body decoded and are reused; after a body larger than the largest valid start
 *    they are released, so a thread keeps at most KEEP_NODES nodes and KEEP_BYTES per buffer.
 *    Only a start allocates (its mod ids and ids text, which the caller owns).
 */
#include "ingest/metrics/request.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "common/thread_slot.h"
#include "common/json_doc.h"

/* What a thread's decoder keeps between requests: enough for a start with
 * PS_MSESSION_MAX_MODS ids (about 1040 nodes, 24 KiB of JSON); more is released after use. */
#define KEEP_NODES 2048
#define KEEP_BYTES (32 * 1024)

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

/* ---- the thread's decoder ---- */

typedef struct decoder {
  ps_json_doc doc; /* the body (or the form's JSON text) */
  ps_buf text;     /* a form body as JSON */
  ps_buf ids;      /* a form body's ids: JSON strings joined by commas */
  ps_buf scratch;  /* one percent-decoded form key or value */
} decoder;

static void decoder_init(decoder *d) {
  memset(d, 0, sizeof *d);
  ps_json_doc_init(&d->doc, 0); /* as json_loadb's flags 0: no \u0000 in strings */
}

static void decoder_free(decoder *d) {
  ps_json_doc_free(&d->doc);
  ps_buf_free(&d->text);
  ps_buf_free(&d->ids);
  ps_buf_free(&d->scratch);
}

static void decoder_destroy(void *arg) {
  if (!arg) return;
  decoder_free(arg);
  free(arg);
}

/* Releases what grew past what a valid request needs, so that one large body does not stay
 * held by the thread. */
static void decoder_trim(decoder *d) {
  if (d->doc.cap > KEEP_NODES || d->doc.scratch_cap > KEEP_NODES ||
      d->doc.strings_cap > KEEP_BYTES)
    ps_json_doc_free(&d->doc);
  ps_buf *bufs[] = {&d->text, &d->ids, &d->scratch};
  for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
    if (bufs[i]->cap > KEEP_BYTES) ps_buf_free(bufs[i]);
}

static void *decoder_make(void) {
  decoder *d = malloc(sizeof *d);
  if (d) decoder_init(d);
  return d;
}

static ps_thread_slot decoder_slot = PS_THREAD_SLOT_INIT(decoder_make, decoder_destroy);

/* The calling thread's decoder, created on first use (freed when the thread exits); NULL when
 * it cannot be (the caller then uses one of its own for the call). */
static decoder *decoder_of_thread(void) { return ps_thread_slot_get(&decoder_slot); }

/* ---- form bodies ---- */

/* ids[]=1, ids[0]=1 and ids=1 all name the ids. */
static int is_ids_key(const char *key) {
  if (strncmp(key, "ids", 3) != 0) return 0;
  if (key[3] == '\0') return 1;
  if (key[3] != '[') return 0;
  size_t i = 4;
  while (isdigit((unsigned char)key[i])) i++;
  return key[i] == ']' && key[i + 1] == '\0';
}

/* Percent- and plus-decodes text[0..len) into d->scratch, cut at its first NUL byte (as
 * jansson's json_string took it); returns the decoded text (valid until the next call), or NULL
 * on OOM. */
static const char *form_decode(decoder *d, const char *text, size_t len) {
  ps_buf_reset(&d->scratch);
  if (ps_buf_reserve(&d->scratch, len) != PS_OK) return NULL; /* len + 1 bytes */
  ps_percent_decode(text, len, 1, d->scratch.data);
  return d->scratch.data;
}

/* Appends the decoded text[0..len) to out as a JSON string literal; PS_OK or PS_ENOMEM. */
static int form_append(decoder *d, ps_buf *out, const char *text, size_t len) {
  const char *decoded = form_decode(d, text, len);
  if (!decoded) return PS_ENOMEM;
  return ps_buf_append_json_string(out, decoded, strlen(decoded));
}

/* Writes the JSON object equivalent of a form body into d->text: its pairs in order (a key
 * given twice is given twice, and the reader keeps the last value), then "ids", an array of
 * the ids values, or the one value itself when there is one (ids=1,2,3: the string form).
 * Bytes that are not UTF-8 are copied as they are, so that the reader refuses the text.
 * Returns PS_OK or PS_ENOMEM. */
static int form_to_json(decoder *d, const char *body, size_t len) {
  const char *p = body, *end = body + len;
  size_t nids = 0;
  ps_buf_reset(&d->text);
  ps_buf_reset(&d->ids);
  if (ps_buf_append(&d->text, "{", 1) != PS_OK) return PS_ENOMEM;
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *pair_end = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(pair_end - p));
    if (pair_end > p) {
      const char *key_end = eq ? eq : pair_end, *value = eq ? eq + 1 : pair_end;
      const char *key = form_decode(d, p, (size_t)(key_end - p));
      ps_buf *out = &d->text;
      int rc = PS_OK;
      if (!key) return PS_ENOMEM;
      if (is_ids_key(key)) {
        out = &d->ids;
        if (nids++) rc = ps_buf_append(out, ",", 1);
      } else {
        if (d->text.len > 1) rc = ps_buf_append(out, ",", 1);
        if (rc == PS_OK) rc = ps_buf_append_json_string(out, key, strlen(key));
        if (rc == PS_OK) rc = ps_buf_append(out, ":", 1);
      }
      if (rc == PS_OK) rc = form_append(d, out, value, (size_t)(pair_end - value));
      if (rc != PS_OK) return rc;
    }
    p = pair_end + 1;
  }
  if (nids && ((d->text.len > 1 && ps_buf_append(&d->text, ",", 1) != PS_OK) ||
               ps_buf_append_str(&d->text, nids == 1 ? "\"ids\":" : "\"ids\":[") != PS_OK ||
               ps_buf_append(&d->text, d->ids.data, d->ids.len) != PS_OK ||
               (nids > 1 && ps_buf_append(&d->text, "]", 1) != PS_OK)))
    return PS_ENOMEM;
  return ps_buf_append(&d->text, "}", 1);
}

/* ---- field rules (over the body's document; its root is an object) ---- */

/* The value of a field of the body, PS_JSON_NONE when it has none. */
static ps_json_ref field_of(const ps_json_doc *doc, const char *field) {
  return ps_json_get(doc, 0, field);
}

/* A required string of 1..max bytes copied into out. */
static void take_text(const ps_json_doc *doc, const char *field, size_t max, char *out,
                      ps_field_errors *errors) {
  ps_json_ref v = field_of(doc, field);
  size_t n;
  const char *s = v ? ps_json_string(doc, v, &n) : NULL;
  if (!v) {
    add_error(errors, field, "%s is required", field);
  } else if (!s || n == 0) {
    add_error(errors, field, "%s must be a non-empty string", field);
  } else if (n > max || memchr(s, '\0', n)) {
    add_error(errors, field, "%s must be at most %zu characters", field, max);
  } else {
    memcpy(out, s, n);
    out[n] = '\0';
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

/* The decimal text of a non-negative integer sent as a JSON integer (not a real, even 1.0) or
 * as a string of digits; 0 if the value is neither. */
static int integer_text(const ps_json_doc *doc, ps_json_ref v, char *out, size_t cap) {
  if (ps_json_type_of(doc, v) == PS_JSON_INTEGER) {
    if (ps_json_integer(doc, v) < 0) return 0;
    snprintf(out, cap, "%lld", (long long)ps_json_integer(doc, v));
    return 1;
  }
  size_t n;
  const char *s = ps_json_string(doc, v, &n);
  return s && digits_text(s, n, out, cap);
}

static void take_timestamp(const ps_json_doc *doc, ps_msession_request *out,
                           ps_field_errors *errors) {
  ps_json_ref v = field_of(doc, "session_ts");
  if (!v) {
    add_error(errors, "session_ts", "session_ts is required");
    return;
  }
  if (!integer_text(doc, v, out->ts_text, sizeof out->ts_text)) {
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

static void take_order_id(const ps_json_doc *doc, ps_msession_request *out,
                          ps_field_errors *errors) {
  char text[24];
  ps_json_ref v = field_of(doc, "session_order_id");
  if (!v) {
    add_error(errors, "session_order_id", "session_order_id is required");
  } else if (!integer_text(doc, v, text, sizeof text) ||
             (out->order_id = strtoll(text, NULL, 10)) < 1) {
    add_error(errors, "session_order_id", "session_order_id must be an integer of 1 or more");
  }
}

static void take_hash(const ps_json_doc *doc, ps_msession_request *out,
                      ps_field_errors *errors) {
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
static int take_ids(const ps_json_doc *doc, ps_msession_request *out, ps_field_errors *errors) {
  ps_json_ref v = field_of(doc, "ids");
  ps_buf ids_text = {0};
  char text[24];
  size_t n;
  const char *s;
  if (!v) {
    add_error(errors, "ids", "ids is required: the mod ids of the session");
    return PS_OK;
  }
  if (!(out->mod_ids = calloc(PS_MSESSION_MAX_MODS, sizeof *out->mod_ids))) return PS_ENOMEM;
  int bad = 0;
  if (ps_json_type_of(doc, v) == PS_JSON_ARRAY) {
    for (ps_json_ref item = ps_json_first(doc, v); item && !bad;
         item = ps_json_next(doc, v, item)) {
      if (!integer_text(doc, item, text, sizeof text)) {
        add_error(errors, "ids", "ids must hold mod ids (integers)");
        bad = 1;
      } else {
        bad = add_mod_id(text, out, &ids_text, errors) != 0;
      }
    }
  } else if ((s = ps_json_string(doc, v, &n))) {
    /* "1,2,3" (a trailing comma is allowed, an empty id is not) */
    const char *end = s + n;
    while (s < end && !bad) {
      const char *comma = memchr(s, ',', (size_t)(end - s));
      size_t len = (size_t)((comma ? comma : end) - s);
      if (!digits_text(s, len, text, sizeof text)) {
        add_error(errors, "ids", "ids must be mod ids separated by commas");
        bad = 1;
      } else {
        bad = add_mod_id(text, out, &ids_text, errors) != 0;
      }
      s += len + (comma != NULL);
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
  decoder local, *d = NULL;
  ps_msession_parse_result result;
  memset(out, 0, sizeof *out);
  errors->count = 0;
  out->kind = kind;
  if (!content_type || !*content_type) return PS_MSESSION_NO_CONTENT_TYPE;
  if (len > PS_MSESSION_MAX_BODY) return PS_MSESSION_TOO_LARGE;
  int json = media_type_is(content_type, "application/json");
  if (!json && !media_type_is(content_type, "application/x-www-form-urlencoded"))
    return PS_MSESSION_BAD_CONTENT_TYPE;
  if (!(d = decoder_of_thread())) {
    decoder_init(&local);
    d = &local;
  }
  if (json) {
    int rc = ps_json_doc_parse(&d->doc, body, len, NULL, 0);
    if (rc != PS_OK || ps_json_type_of(&d->doc, 0) != PS_JSON_OBJECT) {
      result = rc == PS_ENOMEM ? PS_MSESSION_NO_MEMORY : PS_MSESSION_MALFORMED;
      goto out;
    }
  } else {
    /* form_to_json fails only for want of memory; the reader then refuses a key or value
     * that is not UTF-8: that is the client's error (400), never a 503 it would retry. */
    int rc = form_to_json(d, body, len);
    if (rc == PS_OK) rc = ps_json_doc_parse(&d->doc, d->text.data, d->text.len, NULL, 0);
    if (rc != PS_OK) {
      result = rc == PS_ENOMEM ? PS_MSESSION_NO_MEMORY : PS_MSESSION_MALFORMED;
      goto out;
    }
  }
  take_text(&d->doc, "session_id", PS_MSESSION_MAX_TEXT, out->session_id, errors);
  take_timestamp(&d->doc, out, errors);
  take_hash(&d->doc, out, errors);
  take_text(&d->doc, "session_nonce", PS_MSESSION_MAX_TEXT, out->nonce, errors);
  take_order_id(&d->doc, out, errors);
  result = PS_MSESSION_OK;
  if (kind == PS_MSESSION_START && take_ids(&d->doc, out, errors) != PS_OK)
    result = PS_MSESSION_NO_MEMORY;
  else if (errors->count)
    result = PS_MSESSION_INVALID_FIELDS;
out:
  if (d == &local)
    decoder_free(&local);
  else
    decoder_trim(d);
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
