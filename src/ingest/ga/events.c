/*
 * events.c: POST /v2/{game_key}/events, the GameAnalytics v2 collector.
 *
 * The body (a JSON array, signed, maybe gzipped) is split into its elements; each element is
 * parsed and validated on its own. Valid events become event records, invalid ones rejected
 * records (with their errors); both go to the ingest queue as one job, and the request is
 * answered only once that job is committed:
 *   all valid                -> 200 {}
 *   some invalid             -> 400 [{"event_index", "errors": [{field, code, message}]}]
 *   not a JSON array         -> 400 {"error", "message"} and nothing is stored
 * An element that is not valid JSON on its own is a rejected event like any invalid one.
 *   queue full / store error -> 503 + Retry-After (clients retry; nothing was acknowledged)
 * Duplicates (same event_uuid already stored for the game) are acknowledged like new events;
 * the store keeps one copy.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/errors.h"
#include "http/app.h"
#include "http/handlers.h"
#include "ingest/ga/batch.h"
#include "ingest/ga/signed_request.h"
#include "ingest/queue.h"

/* Everything one request owns until its answer is sent (the request's state). */
typedef struct ga_batch {
  ps_ingest_job job;
  ps_request *req;
  ps_app *app;
  ps_ga_body body;
  ps_json_slice *slices;
  size_t count;
  json_t **events;   /* parsed elements; strings in records point into them */
  ps_record *records;
  char **errors_json; /* per element: its errors array text, NULL when valid */
  size_t rejected;
} ga_batch;

static void ga_batch_free(void *state) {
  ga_batch *b = state;
  if (!b) return;
  for (size_t i = 0; i < b->count; i++) {
    if (b->events) json_decref(b->events[i]);
    if (b->errors_json) free(b->errors_json[i]);
  }
  free(b->events);
  free(b->errors_json);
  free(b->records);
  free(b->slices);
  ps_buf_free(&b->body.inflated);
  free(b);
}

static const char *string_member(const json_t *event, const char *key) {
  return json_string_value(json_object_get(event, key));
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

/* Makes record i a rejected record carrying its violations. Returns 0 or PS_ENOMEM. */
static int reject(ga_batch *b, size_t i, const char *category, const ps_violations *violations) {
  ps_record *r = &b->records[i];
  r->kind = PS_RECORD_REJECTED;
  r->category = category;
  if (!(b->errors_json[i] = errors_to_json(violations))) return PS_ENOMEM;
  r->errors_json = b->errors_json[i];
  b->rejected++;
  return PS_OK;
}

/* Fills record i from element i: parse, validate, extract the indexed fields. An element that
 * the array scanner accepted but the JSON parser does not (a lone UTF-16 surrogate escape from a
 * string cut in the middle of an emoji, a bad literal) is rejected on its own, so its valid
 * siblings are still stored. Returns 0 or PS_ENOMEM. */
static int build_record(ga_batch *b, size_t i, int64_t game_id, int64_t now_ms) {
  json_error_t jerr;
  ps_record *r = &b->records[i];
  r->game_id = game_id;
  r->received_ms = now_ms;
  r->body = b->slices[i].text;
  r->body_len = b->slices[i].len;
  r->event_index = (int)i;
  json_t *event =
      json_loadb(b->slices[i].text, b->slices[i].len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  ps_violations violations = {.count = 0};
  if (!event) {
    ps_violation *v = &violations.items[violations.count++];
    v->field[0] = '\0';
    v->code = PS_VIOLATION_TYPE;
    snprintf(v->message, sizeof v->message, "event is not valid JSON: %s", jerr.text);
    return reject(b, i, NULL, &violations);
  }
  b->events[i] = event;
  const char *category = NULL;
  size_t nviolations = ps_schema_validate_event(b->app->schemas, event, &violations, &category);
  if (nviolations == 0) {
    json_t *ts = json_object_get(event, "client_ts");
    r->kind = PS_RECORD_EVENT;
    r->category = category;
    r->event_uuid = string_member(event, "event_uuid");
    r->user_id = string_member(event, "user_id");
    r->session_id = string_member(event, "session_id");
    r->has_client_ts = json_is_number(ts);
    r->client_ts = json_is_integer(ts) ? (int64_t)json_integer_value(ts)
                                        : (int64_t)json_number_value(ts);
    return PS_OK;
  }
  return reject(b, i, category ? category : string_member(event, "category"), &violations);
}

/* The 400 body listing every rejected event. NULL on OOM. */
static char *rejected_answer(const ga_batch *b, size_t *len) {
  ps_buf out = {0};
  int rc = ps_buf_append_str(&out, "[");
  int first = 1;
  for (size_t i = 0; rc == PS_OK && i < b->count; i++) {
    if (!b->errors_json[i]) continue;
    rc = ps_buf_printf(&out, "%s{\"event_index\":%zu,\"errors\":%s}", first ? "" : ",", i,
                       b->errors_json[i]);
    first = 0;
  }
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
  for (size_t i = 0; i < b->count; i++) {
    const ps_record *r = &b->records[i];
    ps_metrics_count_events(b->app->metrics, r->category, r->kind == PS_RECORD_REJECTED, 1);
    duplicates += r->kind == PS_RECORD_EVENT && r->duplicate;
  }
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
  if (ps_ga_open_signed_request(req, app, ps_request_param(req, 0), &b->body) != 0) return;
  ps_request_note_game(req, b->body.game.id);
  int rc = ps_json_array_split(b->body.text, b->body.len, &b->slices, &b->count);
  if (rc == PS_EPARSE) {
    ps_request_respond_error(req, 400, "bad_request", "body must be a JSON array of events");
    return;
  }
  if (rc != PS_OK) goto oom;
  if (b->count == 0) {
    ps_request_respond_json(req, 200, "{}");
    return;
  }
  b->events = calloc(b->count, sizeof *b->events);
  b->records = calloc(b->count, sizeof *b->records);
  b->errors_json = calloc(b->count, sizeof *b->errors_json);
  if (!b->events || !b->records || !b->errors_json) goto oom;
  int64_t now = ps_now_ms();
  for (size_t i = 0; i < b->count; i++) {
    if (build_record(b, i, b->body.game.id, now) != PS_OK) goto oom;
  }
  rc = ps_ingest_reserve(app->queue, b->count);
  if (rc != PS_OK) {
    ps_request_respond_error(req, 503, "unavailable",
                             rc == PS_EFULL ? "ingest queue is full; retry later"
                                            : "server is shutting down; retry later");
    return;
  }
  b->job.records = b->records;
  b->job.count = b->count;
  b->job.done = on_committed;
  b->job.ctx = b;
  ps_request_defer(req); /* before submit: the writer may answer at once */
  ps_ingest_submit(app->queue, &b->job);
  return;
oom:
  ps_request_respond_json(req, 503, "{\"error\":\"out_of_memory\"}");
}
