/*
 * events.c: POST /v2/{game_key}/events, the GameAnalytics v2 collector.
 *
 * The body (a JSON array, signed, maybe gzipped) is split into its elements; each element is
 * parsed once (common/json_doc.h, into one document the request reuses), validated on that
 * document, and what the stores need is extracted from it in one pass over its members (the
 * record's indexed fields and its ps_event_facts). Valid events become event records, invalid
 * ones rejected records (with their errors); both go to the ingest queue as one job, and the
 * request is answered only once that job is committed:
 *   all valid                -> 200 {}
 *   some invalid             -> 400 [{"event_index", "errors": [{field, code, message}]}]
 *   not a JSON array         -> 400 {"error", "message"} and nothing is stored
 *   more than PS_GA_MAX_EVENTS elements -> 413 {"error", "message"} and nothing is stored
 *   queue full / store error -> 503 + Retry-After (clients retry; nothing was acknowledged)
 * An element that is not valid JSON on its own is a rejected event like any invalid one.
 * Duplicates (same event_uuid already stored for the game) are acknowledged like new events;
 * the store keeps one copy.
 *
 * Guarantees (amplification: what one request may cost is bounded by constants, whatever its
 * shape; a test once turned a 600 KB body of 200,000 "{}" into a 21 MB answer, 170 MB of RSS
 * and a full ingest queue):
 *  - at most PS_GA_MAX_EVENTS events per request (real SDKs send at most 500), found before
 *    anything is allocated per event (a 413 past it); an element holds at most PS_GA_MAX_EVENT_VALUES values;
 *  - at most PS_GA_KEPT_REJECTED rejected events per request are stored (with their errors)
 *    and take a place in the ingest queue; the others are counted (metrics), not stored;
 *  - the 400 answer lists rejected events while it stays under PS_GA_ANSWER_BYTES, then one
 *    last element {"omitted": N, "errors": [...]} counts those not listed.
 *  - the parse allocates per request, never per value: the document's buffers, one array each
 *    of slices, records and facts, and the string arena the records' strings are copied to.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/json_doc.h"
#include "http/app.h"
#include "http/handlers.h"
#include "ingest/ga/batch.h"
#include "ingest/ga/signed_request.h"
#include "ingest/queue.h"

/* 10x the most an SDK sends (500), and above what 1 MiB (the body limit) of real events holds:
 * about 2,300 of the test suite's, 4,000 of the smallest valid ones. */
#define PS_GA_MAX_EVENTS 5000
#define PS_GA_MAX_EVENT_VALUES 20000
#define PS_GA_KEPT_REJECTED 32
#define PS_GA_ANSWER_BYTES 65536

/* A block of the request's string arena; strings never move once copied. */
typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  char data[];
} arena_block;

#define ARENA_BLOCK 16384

/* Everything one request owns until its answer is sent (the request's state). */
typedef struct ga_batch {
  ps_ingest_job job;
  ps_request *req;
  ps_app *app;
  ps_ga_body body;
  ps_json_slice *slices;
  size_t count;      /* elements in the body */
  ps_json_doc doc;   /* the element being read */
  arena_block *arena; /* the records' strings (newest block first) */
  ps_record *records; /* what is stored: every valid event, the first rejected ones */
  ps_event_facts *facts;
  size_t nrecords;
  char **errors_json; /* per record: its errors array text, NULL when valid */
  size_t rejected;    /* rejected events, stored or not */
  size_t kept_rejected;
} ga_batch;

static void ga_batch_free(void *state) {
  ga_batch *b = state;
  if (!b) return;
  for (size_t i = 0; b->errors_json && i < b->nrecords; i++) free(b->errors_json[i]);
  while (b->arena) {
    arena_block *next = b->arena->next;
    free(b->arena);
    b->arena = next;
  }
  ps_json_doc_free(&b->doc);
  free(b->errors_json);
  free(b->records);
  free(b->facts);
  free(b->slices);
  ps_buf_free(&b->body.inflated);
  free(b);
}

/* A NUL-terminated copy of s[0..len) in the request's arena, or NULL on OOM. */
static const char *arena_copy(ga_batch *b, const char *s, size_t len) {
  arena_block *a = b->arena;
  if (!a || a->cap - a->used < len + 1) {
    size_t cap = len + 1 > ARENA_BLOCK ? len + 1 : ARENA_BLOCK;
    if (!(a = malloc(sizeof *a + cap))) return NULL;
    a->next = b->arena;
    a->used = 0;
    a->cap = cap;
    b->arena = a;
  }
  char *out = a->data + a->used;
  memcpy(out, s, len);
  out[len] = '\0';
  a->used += len + 1;
  return out;
}

/* The errors array of one rejected event, as JSON text (malloc'd), or NULL on OOM. */
static char *errors_to_json(const ps_violations *v) {
  ps_buf b = {0};
  int rc = ps_buf_append_str(&b, "[");
  for (size_t i = 0; rc == PS_OK && i < v->count; i++) {
    const ps_violation *e = &v->items[i];
    const char *code = ps_violation_code_name(e->code);
    rc = ps_buf_append_str(&b, i ? ",{\"field\":" : "{\"field\":");
    if (rc == PS_OK) rc = ps_buf_append_json_string(&b, e->field, strlen(e->field));
    if (rc == PS_OK) rc = ps_buf_printf(&b, ",\"code\":\"%s\",\"message\":", code);
    if (rc == PS_OK) rc = ps_buf_append_json_string(&b, e->message, strlen(e->message));
    if (rc == PS_OK) rc = ps_buf_append_str(&b, "}");
  }
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "]");
  if (rc != PS_OK) {
    ps_buf_free(&b);
    return NULL;
  }
  return ps_buf_steal(&b);
}

/* Where a member's value goes (extract's table). */
typedef enum {
  TO_FACT_STRING, /* a const char * of ps_event_facts, at offset */
  TO_EVENT_UUID,
  TO_USER_ID,
  TO_SESSION_ID,
  TO_CLIENT_TS,
  TO_AMOUNT,
  TO_VALUE, /* design's value */
  TO_LENGTH,
  TO_ATTEMPT_NUM,
} member_target;

typedef struct member_rule {
  const char *name;
  size_t len;
  member_target to;
  size_t offset; /* TO_FACT_STRING */
} member_rule;

#define FACT(name) {#name, sizeof #name - 1, TO_FACT_STRING, offsetof(ps_event_facts, name)}
#define FIELD(name, to) {#name, sizeof #name - 1, to, 0}
static const member_rule member_rules[] = {
    FIELD(event_uuid, TO_EVENT_UUID), FIELD(user_id, TO_USER_ID),
    FIELD(session_id, TO_SESSION_ID), FIELD(client_ts, TO_CLIENT_TS),
    FACT(platform), FACT(build), FACT(os_version), FACT(custom_01), FACT(custom_02),
    FACT(custom_03), FACT(currency), FIELD(amount, TO_AMOUNT), FIELD(length, TO_LENGTH),
    FACT(event_id), FIELD(value, TO_VALUE), FIELD(attempt_num, TO_ATTEMPT_NUM),
    FACT(severity), FACT(message), FACT(ad_action), FACT(ad_sdk_name), FACT(ad_type),
    FACT(ad_placement),
};

/* A string member's value copied to the arena: 0 (and *out, NULL when v is not a string), or
 * PS_ENOMEM. */
static int string_value(ga_batch *b, ps_json_ref v, const char **out) {
  size_t len;
  const char *s = ps_json_string(&b->doc, v, &len);
  *out = NULL;
  if (!s) return PS_OK;
  return (*out = arena_copy(b, s, len)) ? PS_OK : PS_ENOMEM;
}

/*
 * Fills record r and its facts f from the valid event at the root of b->doc, in one pass over
 * its members. Each member means what the SQLite rollup read from it with jansson: strings
 * only when they are strings (json_string_value), integers only when JSON integers
 * (json_integer_value), value from "amount" for resource and "value" for design
 * (json_number_value). Returns 0 or PS_ENOMEM.
 */
static int extract(ga_batch *b, ps_record *r, ps_event_facts *f) {
  const ps_json_doc *d = &b->doc;
  int resource = strcmp(r->category, "resource") == 0;
  int design = strcmp(r->category, "design") == 0;
  int rc = PS_OK;
  for (ps_json_ref k = ps_json_member_first(d, 0); k && rc == PS_OK;
       k = ps_json_member_next(d, 0, k)) {
    size_t keylen;
    const char *key = ps_json_string(d, k, &keylen);
    const member_rule *m = NULL;
    for (size_t i = 0; i < sizeof member_rules / sizeof *member_rules; i++) {
      if (member_rules[i].len == keylen && memcmp(member_rules[i].name, key, keylen) == 0) {
        m = &member_rules[i];
        break;
      }
    }
    if (!m) continue;
    ps_json_ref v = ps_json_member_value(d, k);
    ps_json_type t = ps_json_type_of(d, v);
    switch (m->to) {
    case TO_FACT_STRING: rc = string_value(b, v, (const char **)((char *)f + m->offset)); break;
    case TO_EVENT_UUID: rc = string_value(b, v, &r->event_uuid); break;
    case TO_USER_ID: rc = string_value(b, v, &r->user_id); break;
    case TO_SESSION_ID: rc = string_value(b, v, &r->session_id); break;
    case TO_CLIENT_TS:
      r->has_client_ts = ps_json_is_number(d, v);
      f->client_ts_is_integer = t == PS_JSON_INTEGER;
      r->client_ts = t == PS_JSON_INTEGER ? ps_json_integer(d, v) : (int64_t)ps_json_number(d, v);
      break;
    case TO_AMOUNT:
      f->has_amount = t == PS_JSON_INTEGER;
      f->amount = ps_json_integer(d, v);
      if (resource) {
        f->has_value = ps_json_is_number(d, v);
        f->value = ps_json_number(d, v);
      }
      break;
    case TO_VALUE:
      if (design) {
        f->has_value = ps_json_is_number(d, v);
        f->value = ps_json_number(d, v);
      }
      break;
    case TO_LENGTH:
      f->has_length = t == PS_JSON_INTEGER;
      f->length = ps_json_integer(d, v);
      break;
    case TO_ATTEMPT_NUM:
      f->has_attempt_num = t == PS_JSON_INTEGER;
      f->attempt_num = ps_json_integer(d, v);
      break;
    }
  }
  return rc;
}

/* Records element i as rejected with its violations: stored while fewer than
 * PS_GA_KEPT_REJECTED are, else only counted. category: the known category, else the raw
 * "category" string when it has one (copied), else NULL. Returns 0 or PS_ENOMEM. */
static int reject(ga_batch *b, size_t i, const char *category, const ps_violations *violations) {
  b->rejected++;
  if (b->kept_rejected == PS_GA_KEPT_REJECTED) return PS_OK;
  size_t at = b->nrecords;
  ps_record *r = &b->records[at];
  r->kind = PS_RECORD_REJECTED;
  r->category = category;
  if (!category && b->doc.count) {
    ps_json_ref c = ps_json_get(&b->doc, 0, "category");
    if (c && string_value(b, c, &r->category) != PS_OK) return PS_ENOMEM;
  }
  if (!(b->errors_json[at] = errors_to_json(violations))) return PS_ENOMEM;
  r->errors_json = b->errors_json[at];
  b->kept_rejected++;
  b->nrecords++;
  return PS_OK;
}

/* Reads element i: parse, validate, extract. An element that the array scanner accepted but
 * the JSON reader does not (a lone UTF-16 surrogate escape from a string cut in the middle of
 * an emoji, a bad literal) is rejected on its own, so its valid siblings are still stored.
 * Returns 0 or PS_ENOMEM. */
static int read_element(ga_batch *b, size_t i, int64_t game_id, int64_t now_ms) {
  char jerr[160];
  ps_record *r = &b->records[b->nrecords];
  memset(r, 0, sizeof *r);
  r->game_id = game_id;
  r->received_ms = now_ms;
  r->body = b->slices[i].text;
  r->body_len = b->slices[i].len;
  r->event_index = (int)i;
  ps_violations violations = {.count = 0};
  int rc = ps_json_doc_parse(&b->doc, b->slices[i].text, b->slices[i].len, jerr, sizeof jerr);
  if (rc == PS_ENOMEM) return rc;
  if (rc != PS_OK) {
    ps_violation *v = &violations.items[violations.count++];
    v->field[0] = '\0';
    v->code = PS_VIOLATION_TYPE;
    snprintf(v->message, sizeof v->message, "event is not valid JSON: %s", jerr);
    return reject(b, i, NULL, &violations);
  }
  const char *category = NULL;
  size_t nviolations =
      ps_schema_validate_doc(b->app->schemas, &b->doc, 0, &violations, &category);
  if (nviolations) return reject(b, i, category, &violations);
  ps_event_facts *f = &b->facts[b->nrecords];
  memset(f, 0, sizeof *f);
  r->kind = PS_RECORD_EVENT;
  r->category = category;
  r->facts = f;
  rc = extract(b, r, f);
  if (rc == PS_OK) b->nrecords++;
  return rc;
}

/* The 400 body listing the stored rejected events while it stays under PS_GA_ANSWER_BYTES,
 * then one element counting those not listed. NULL on OOM. */
static char *rejected_answer(const ga_batch *b, size_t *len) {
  ps_buf out = {0};
  int rc = ps_buf_append_str(&out, "[");
  size_t listed = 0;
  for (size_t i = 0; rc == PS_OK && i < b->nrecords; i++) {
    if (!b->errors_json[i]) continue;
    if (out.len + strlen(b->errors_json[i]) + 48 > PS_GA_ANSWER_BYTES) break;
    rc = ps_buf_printf(&out, "%s{\"event_index\":%d,\"errors\":%s}", listed ? "," : "",
                       b->records[i].event_index, b->errors_json[i]);
    listed++;
  }
  size_t omitted = b->rejected - listed;
  if (rc == PS_OK && omitted)
    rc = ps_buf_printf(&out,
                       "%s{\"omitted\":%zu,\"errors\":[{\"field\":\"\",\"code\":\"omitted\","
                       "\"message\":\"%zu more rejected events are not listed%s\"}]}",
                       listed ? "," : "", omitted, omitted,
                       b->rejected > b->kept_rejected ? " (nor stored)" : "");
  if (rc == PS_OK) rc = ps_buf_append_str(&out, "]");
  if (rc != PS_OK) {
    ps_buf_free(&out);
    return NULL;
  }
  *len = out.len;
  return ps_buf_steal(&out);
}

/* Writer thread: the job is committed (result 0) or not. Answers; touches nothing after. */
static void on_committed(ps_ingest_job *job, int result) {
  ga_batch *b = job->ctx;
  ps_request *req = b->req;
  if (result != PS_OK) {
    ps_request_respond_error(req, 503, "unavailable", "events could not be stored; retry later");
    return;
  }
  uint64_t duplicates = 0;
  for (size_t i = 0; i < b->nrecords; i++) {
    const ps_record *r = &b->records[i];
    ps_metrics_count_events(b->app->metrics, r->category, r->kind == PS_RECORD_REJECTED, 1);
    duplicates += r->kind == PS_RECORD_EVENT && r->duplicate;
  }
  ps_metrics_count_events(b->app->metrics, NULL, 1, b->rejected - b->kept_rejected);
  ps_metrics_count_duplicates(b->app->metrics, duplicates);
  if (b->rejected == 0) {
    ps_request_respond_json(req, 200, "{}");
    return;
  }
  size_t len = 0;
  char *answer = rejected_answer(b, &len);
  if (!answer) {
    /* The events are stored; an empty array still tells the client not to resend them. */
    ps_request_respond_json(req, 400, "[]");
    return;
  }
  ps_request_respond_owned(req, 400, "application/json", answer, len, 0);
}

void ps_ga_events_handler(ps_request *req, ps_app *app) {
  ga_batch *b = calloc(1, sizeof *b);
  if (!b) {
    ps_request_respond_json(req, 503, "{\"error\":\"out_of_memory\"}");
    return;
  }
  ps_request_set_state(req, b, ga_batch_free);
  b->req = req;
  b->app = app;
  ps_json_doc_init(&b->doc, PS_JSON_DOC_ALLOW_NUL);
  b->doc.max_nodes = PS_GA_MAX_EVENT_VALUES;
  if (ps_ga_open_signed_request(req, app, ps_request_param(req, 0), &b->body) != 0) return;
  int rc = ps_json_array_split(b->body.text, b->body.len, PS_GA_MAX_EVENTS, &b->slices,
                               &b->count);
  if (rc == PS_EPARSE) {
    ps_request_respond_error(req, 400, "bad_request", "body must be a JSON array of events");
    return;
  }
  if (rc == PS_ETOOBIG) {
    char msg[96];
    snprintf(msg, sizeof msg, "a request carries at most %d events", PS_GA_MAX_EVENTS);
    ps_request_respond_error(req, 413, "payload_too_large", msg);
    return;
  }
  if (rc != PS_OK) goto oom;
  if (b->count == 0) {
    ps_request_respond_json(req, 200, "{}");
    return;
  }
  b->records = malloc(b->count * sizeof *b->records);
  b->facts = malloc(b->count * sizeof *b->facts);
  b->errors_json = calloc(b->count, sizeof *b->errors_json);
  if (!b->records || !b->facts || !b->errors_json) goto oom;
  int64_t now = ps_now_ms();
  for (size_t i = 0; i < b->count; i++) {
    if (read_element(b, i, b->body.game.id, now) != PS_OK) goto oom;
  }
  ps_json_doc_free(&b->doc); /* nothing points into it: strings were copied */
  rc = ps_ingest_reserve(app->queue, b->nrecords);
  if (rc != PS_OK) {
    ps_request_respond_error(req, 503, "unavailable",
                             rc == PS_EFULL ? "ingest queue is full; retry later"
                                            : "server is shutting down; retry later");
    return;
  }
  b->job.records = b->records;
  b->job.count = b->nrecords;
  b->job.done = on_committed;
  b->job.ctx = b;
  ps_request_defer(req); /* before submit: the writer may answer at once */
  ps_ingest_submit(app->queue, &b->job);
  return;
oom:
  ps_request_respond_json(req, 503, "{\"error\":\"out_of_memory\"}");
}
