/*
 * endpoints.c: POST /session-observability/v1/projects/{projectId}/environments/
 * {environmentId}/sessions/{sessionId}/events: one event object or an array of them.
 *
 * Flow: the writer role on the project (HTTP Basic service account; 401/403) -> JSON body (415
 * without a JSON content type, 400 when it does not parse) -> every event checked
 * (event.h; 400 problem+json listing each bad event, at most 20, and then nothing is stored;
 * caps: 1000 events, 10000 player ids per request, event.h's per event, anonymizer.h's per
 * session) ->
 * anonymised (anonymizer.h) -> one record per event through the ingest queue -> answered
 * after the commit: 200 {"stored": <new events>, "duplicates": <events already stored>}.
 * A full queue answers 503 with Retry-After. Player ids are never logged nor echoed, even in
 * errors: a syntax error is told by its byte offset, line and column, never by the text near it.
 */
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "ingest/sessions/anonymizer.h"
#include "ingest/sessions/event.h"
#include "ingest/sessions/module.h"
#include "observability/access.h"

#define MAX_EVENTS 1000
#define MAX_ID_BYTES 128
/* Player ids one request may name (each event at most PS_SO_MAX_PLAYERS_PER_EVENT): what the
 * anonymiser hashes and keeps per request is then bounded whatever the events' count. */
#define MAX_PLAYERS_PER_REQUEST 10000

typedef struct so_job {
  ps_request *req;
  ps_app *app;
  ps_so_key key;
  ps_so_event *events;
  ps_so_anonymized *anon;
  ps_so_event_record *so;
  ps_record *records;
  char **bodies;
  char (*keys)[65];
  size_t n;
  char salt[65];
  ps_ingest_job job;
} so_job;

static void so_job_free(void *arg) {
  so_job *j = arg;
  for (size_t i = 0; i < j->n; i++) {
    ps_so_event_free(&j->events[i]);
    if (j->anon) ps_so_anonymized_free(&j->anon[i]);
    if (j->bodies) free(j->bodies[i]);
  }
  free(j->events);
  free(j->anon);
  free(j->so);
  free(j->records);
  free(j->bodies);
  free(j->keys);
  free(j);
}

static void on_committed(ps_ingest_job *job, int result) {
  so_job *j = job->ctx;
  ps_so_anonymizer_finish(ps_so_state_of(j->app)->anonymizer, &j->key, result == PS_OK);
  if (result != PS_OK) {
    ps_request_respond_problem(j->req, 503, "Service Unavailable",
                          "The events could not be stored; retry later.");
    return;
  }
  size_t duplicates = 0;
  for (size_t i = 0; i < j->n; i++) duplicates += j->records[i].duplicate != 0;
  char answer[96];
  snprintf(answer, sizeof answer, "{\"stored\":%zu,\"duplicates\":%zu}", j->n - duplicates,
           duplicates);
  ps_request_respond_json(j->req, 200, answer);
}

/* Checks the path's ids: printable, at most MAX_ID_BYTES. */
static int check_ids(ps_request *req, const ps_so_key *key) {
  const char *ids[] = {key->project_id, key->environment_id, key->session_id};
  for (size_t i = 0; i < 3; i++) {
    size_t len = strlen(ids[i]);
    int ok = len > 0 && len <= MAX_ID_BYTES;
    for (size_t k = 0; ok && k < len; k++) ok = (unsigned char)ids[i][k] > 0x20 && ids[i][k] != 0x7f;
    if (!ok) {
      ps_request_respond_problem(req, 400, "Bad Request",
                            "projectId, environmentId and sessionId must be 1 to 128 printable "
                            "bytes");
      return -1;
    }
  }
  return 0;
}

/* Describes a JSON syntax error by its kind and where it is (byte offset, line, column), never
 * by the text around it: jansson's own message quotes the input ("near '\"real-player-..."),
 * and a body's strings are player ids, which must not reach an answer or a log. */
static void syntax_detail(const json_error_t *jerr, char *out, size_t cap) {
  const char *what;
  switch (json_error_code(jerr)) {
    case json_error_invalid_utf8: what = "invalid UTF-8"; break;
    case json_error_premature_end_of_input: what = "unexpected end of input"; break;
    case json_error_end_of_input_expected: what = "text after the JSON value"; break;
    case json_error_null_character: what = "a NUL character in a string"; break;
    case json_error_duplicate_key: what = "a duplicate object key"; break;
    case json_error_numeric_overflow: what = "a number out of range"; break;
    case json_error_stack_overflow: what = "nesting too deep"; break;
    case json_error_out_of_memory: what = "out of memory"; break;
    default: what = "invalid syntax (a control character in a string, a missing quote, comma or "
                    "bracket, or a bad literal)"; break;
  }
  snprintf(out, cap, "The body is not JSON: %s at byte offset %d (line %d, column %d)", what,
           jerr->position, jerr->line, jerr->column);
}

/* Parses the body into j->events (all valid) or answers 400/415. */
static int parse_events(ps_request *req, so_job *j) {
  const char *type = ps_request_header(req, "Content-Type");
  if (!type || strncasecmp(type, "application/json", 16) != 0) {
    ps_request_respond_problem(req, 415, "Unsupported Media Type",
                          "Content-Type must be application/json");
    return -1;
  }
  const ps_buf *body = ps_request_body(req);
  json_error_t jerr;
  json_t *root = json_loadb(body->data ? body->data : "", body->len, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    char detail[192];
    syntax_detail(&jerr, detail, sizeof detail);
    ps_request_respond_problem(req, 400, "Bad Request", detail);
    return -1;
  }
  json_t *list = json_is_array(root) ? root : NULL;
  size_t n = list ? json_array_size(list) : 1;
  ps_buf problems = {0};
  int rc = 0;
  if (n == 0 || n > MAX_EVENTS) {
    ps_request_respond_problem(req, 400, "Bad Request", "Send 1 to 1000 events per request");
    rc = -1;
    goto out;
  }
  if (!(j->events = calloc(n, sizeof *j->events))) goto oom;
  j->n = n;
  size_t bad = 0;
  for (size_t i = 0; i < n; i++) {
    char err[256];
    int parsed = ps_so_event_parse(list ? json_array_get(list, i) : root, &j->events[i], err,
                                   sizeof err);
    if (parsed == PS_ENOMEM) goto oom;
    if (parsed == PS_OK) continue;
    char line[320];
    snprintf(line, sizeof line, "%sevents[%zu].%s", bad++ ? "; " : "", i, err);
    if (bad <= 20 && ps_buf_append_str(&problems, line) != PS_OK) goto oom;
  }
  if (bad) {
    ps_request_respond_problem(req, 400, "Bad Request", problems.data);
    rc = -1;
    goto out;
  }
  size_t players = 0;
  for (size_t i = 0; i < n; i++) players += j->events[i].nplayer_slots;
  if (players > MAX_PLAYERS_PER_REQUEST) {
    ps_request_respond_problem(req, 400, "Bad Request",
                               "A request may name at most 10000 player ids (teams[].playerIds "
                               "and players[] of all its events)");
    rc = -1;
  }
  goto out;
oom:
  ps_request_respond_problem(req, 503, "Service Unavailable", "Out of memory; retry later.");
  rc = -1;
out:
  ps_buf_free(&problems);
  json_decref(root);
  return rc;
}

/* Serialises each anonymised event and builds its record. */
static int build_records(so_job *j) {
  if (!(j->so = calloc(j->n, sizeof *j->so)) || !(j->records = calloc(j->n, sizeof *j->records)) ||
      !(j->bodies = calloc(j->n, sizeof *j->bodies)) || !(j->keys = calloc(j->n, sizeof *j->keys)))
    return PS_ENOMEM;
  int64_t now = ps_now_ms();
  for (size_t i = 0; i < j->n; i++) {
    ps_so_event *ev = &j->events[i];
    /* Sorted keys: the same event always serialises the same, so it is stored once. */
    if (!(j->bodies[i] = json_dumps(ev->body, JSON_COMPACT | JSON_SORT_KEYS))) return PS_ENOMEM;
    size_t len = strlen(j->bodies[i]);
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256((const unsigned char *)j->bodies[i], len, digest);
    ps_hex_encode(digest, sizeof digest, j->keys[i]);
    j->so[i] = (ps_so_event_record){
        .session = j->key, .event_key = j->keys[i], .type = ev->type, .ts_ms = ev->ts_ms,
        .body = j->bodies[i], .body_len = len, .salt = j->salt,
        .players = j->anon[i].players, .nplayers = j->anon[i].nplayers,
        .ticket_ids = ev->ticket_ids, .nticket_ids = ev->nticket_ids,
        .pool_id = ev->pool_id, .pool_name = ev->pool_name, .queue_id = ev->queue_id,
        .queue_name = ev->queue_name, .region_id = ev->region_id, .backfill = ev->backfill};
    j->records[i] = (ps_record){.kind = PS_RECORD_SO_EVENT, .received_ms = now,
                                .so_event = &j->so[i]};
  }
  return PS_OK;
}

void ps_so_events_handler(ps_request *req, ps_app *app) {
  so_job *j = calloc(1, sizeof *j);
  if (!j) {
    ps_request_respond_problem(req, 503, "Service Unavailable", "Out of memory; retry later.");
    return;
  }
  ps_request_set_state(req, j, so_job_free);
  j->req = req;
  j->app = app;
  j->key = (ps_so_key){ps_request_param(req, 0), ps_request_param(req, 1),
                       ps_request_param(req, 2)};
  if (ps_so_authorize(req, app, j->key.project_id, PS_SO_WRITER) || check_ids(req, &j->key) ||
      parse_events(req, j))
    return;
  if (ps_ingest_reserve(app->queue, j->n) != PS_OK) {
    ps_so_respond_busy(req);
    return;
  }
  int rc = (j->anon = calloc(j->n, sizeof *j->anon)) ? PS_OK : PS_ENOMEM;
  if (rc == PS_OK)
    rc = ps_so_anonymizer_apply(ps_so_state_of(app)->anonymizer, &j->key, j->events, j->n,
                                j->anon, j->salt);
  if (rc == PS_OK) rc = build_records(j);
  if (rc != PS_OK) {
    ps_ingest_unreserve(app->queue, j->n);
    ps_so_anonymizer_finish(ps_so_state_of(app)->anonymizer, &j->key, 0);
    if (rc == PS_ETOOBIG)
      ps_request_respond_problem(req, 400, "Bad Request",
                                 "A session may name at most 1000 distinct players");
    else
      ps_request_respond_problem(req, 503, "Service Unavailable", "Out of resources; retry later.");
    return;
  }
  j->job = (ps_ingest_job){.records = j->records, .count = j->n, .done = on_committed, .ctx = j};
  ps_request_defer(req);
  ps_ingest_submit(app->queue, &j->job);
}
