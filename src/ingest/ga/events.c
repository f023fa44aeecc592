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
 * the store keeps one copy. Each event record carries the country of the request's client
 * address (`serve --geoip`, `--trusted-proxy`: http/forwarded.h), looked up once per request;
 * the address itself is neither stored nor logged here.
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
#include "geoip/geoip.h"
#include "ingest/ga/batch.h"
#include "ingest/ga/facts.h"
#include "ingest/ga/module.h"
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
  const char *country; /* of the request's client address (arena), NULL when unknown */
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

/* arena_copy as a ps_ga_copy_fn. */
static const char *copy_to_arena(void *ctx, const char *s, size_t len) {
  return arena_copy(ctx, s, len);
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
  size_t len;
  ps_json_ref member = !category && b->doc.count ? ps_json_get(&b->doc, 0, "category") : 0;
  const char *raw = member ? ps_json_string(&b->doc, member, &len) : NULL;
  if (raw && !(r->category = arena_copy(b, raw, len))) return PS_ENOMEM;
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
    if (rc == PS_ETOOBIG)
      snprintf(v->message, sizeof v->message, "an event holds at most %d values",
               PS_GA_MAX_EVENT_VALUES);
    else
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
  r->country = b->country;
  rc = ps_ga_extract(&b->doc, 0, r, f, copy_to_arena, b);
  if (rc == PS_OK) b->nrecords++;
  return rc;
}

/* The country of the request's client address (geoip.h), copied to the arena; NULL when
 * unknown or without a database. The address itself goes nowhere else. 0 or PS_ENOMEM. */
static int find_country(ga_batch *b) {
  const ps_geoip *geoip = ps_app_state(b->app, &ps_ga_module);
  ps_ip_address client;
  char iso[3];
  b->country = NULL;
  if (!geoip || ps_request_client_address(b->req, &client) != PS_OK ||
      !ps_geoip_country(geoip, &client, iso))
    return PS_OK;
  return (b->country = arena_copy(b, iso, 2)) ? PS_OK : PS_ENOMEM;
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

/* Writer or syncer thread (queue.h): the job is durably stored (result 0) or not. Answers;
 * touches nothing after. */
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
  ps_request_note_game(req, b->body.game.id);
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
  if (find_country(b) != PS_OK) goto oom;
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
