/*
 * api.c: the read API of session observability (viewer role on the project).
 *
 *   GET /session-observability/v1/projects/{p}/environments/{e}/sessions/{sessionId}
 *       -> the session document (document.h); 404 problem when unknown or expired
 *   GET /session-observability/v1/projects/{p}/environments/{e}/sessions
 *       ?poolId&poolName&queueName&regionId&matchmakingTicketId&createdAfter&updatedAfter
 *       &limit&next
 *       -> {"results": [documents, newest createdAt first], "next": <token> | null}
 *
 * Filters combine (all must hold); createdAfter / updatedAfter are RFC 3339 and exclusive.
 * limit: 1 to 500, default 50. next: the token of the previous page, sent back with the same
 * filters; it is opaque ("v1.<snapshot>.<createdAt ms>.<hex session id>") and a page never
 * repeats a session already listed by an earlier page of the same search, even while sessions
 * arrive or change (store.h: snapshot sequence).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/clock.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "common/rfc3339.h"
#include "ingest/sessions/module.h"
#include "observability/access.h"
#include "observability/document.h"

#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500
#define MAX_SESSION_ID 128

static void respond_document(ps_request *req, ps_app *app, const ps_so_key *key) {
  ps_buf b = {0};
  int64_t oldest = ps_now_ms() - ps_so_state_of(app)->retention_ms;
  int rc = ps_so_document_render(app->events, key, oldest, &b);
  if (rc == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&b), len, 0);
    return;
  }
  ps_buf_free(&b);
  if (rc == PS_ENOTFOUND)
    ps_request_respond_problem(req, 404, "Not Found",
                          "No session with this id in this project and environment (never "
                          "reported, or older than the retention period)");
  else
    ps_request_respond_problem(req, 503, "Service Unavailable", "The session could not be read; retry later.");
}

void ps_so_session_handler(ps_request *req, ps_app *app) {
  ps_so_key key = {ps_request_param(req, 0), ps_request_param(req, 1), ps_request_param(req, 2)};
  if (ps_so_authorize(req, app, key.project_id, PS_SO_VIEWER)) return;
  respond_document(req, app, &key);
}

/* ---- continuation tokens ---- */

static void encode_token(int64_t snapshot, const ps_so_session *last, char *out, size_t cap) {
  char hex[2 * MAX_SESSION_ID + 1];
  size_t len = strlen(last->session_id);
  if (len > MAX_SESSION_ID) len = MAX_SESSION_ID;
  ps_hex_encode((const unsigned char *)last->session_id, len, hex);
  snprintf(out, cap, "v1.%lld.%lld.%s", (long long)snapshot, (long long)last->created_ms, hex);
}

/* Fills q's continuation from token (session id into id, 129 bytes); -1 when malformed. */
static int decode_token(const char *token, ps_so_query *q, char *id) {
  long long snapshot, created;
  int used = 0;
  if (sscanf(token, "v1.%lld.%lld.%n", &snapshot, &created, &used) != 2 || used == 0 ||
      snapshot <= 0)
    return -1;
  const char *hex = token + used;
  size_t len = strlen(hex);
  if (len == 0 || len % 2 || len > 2 * MAX_SESSION_ID) return -1;
  for (size_t i = 0; i < len; i += 2) {
    int hi = ps_hex_digit(hex[i]), lo = ps_hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) return -1;
    id[i / 2] = (char)(hi << 4 | lo);
  }
  id[len / 2] = 0;
  q->snapshot_seq = snapshot;
  q->after_created_ms = created;
  q->after_session_id = id;
  return 0;
}

/* ---- the search ---- */

/* The query's parameters into q; NULL, or what is wrong with them. */
static const char *read_query(ps_request *req, ps_so_query *q, char *token_id) {
  const char *limit = ps_request_query(req, "limit");
  const char *created = ps_request_query(req, "createdAfter");
  const char *updated = ps_request_query(req, "updatedAfter");
  const char *next = ps_request_query(req, "next");
  q->pool_id = ps_request_query(req, "poolId");
  q->pool_name = ps_request_query(req, "poolName");
  q->queue_name = ps_request_query(req, "queueName");
  q->region_id = ps_request_query(req, "regionId");
  q->ticket_id = ps_request_query(req, "matchmakingTicketId");
  q->created_after_ms = q->updated_after_ms = -1;
  q->limit = DEFAULT_LIMIT;
  if (limit) {
    char *end;
    long v = strtol(limit, &end, 10);
    if (!*limit || *end || v < 1 || v > MAX_LIMIT) return "limit must be an integer from 1 to 500";
    q->limit = (size_t)v;
  }
  if (created && ps_rfc3339_parse(created, &q->created_after_ms) != PS_OK)
    return "createdAfter must be an RFC 3339 timestamp, e.g. 2024-03-19T22:12:47.847Z";
  if (updated && ps_rfc3339_parse(updated, &q->updated_after_ms) != PS_OK)
    return "updatedAfter must be an RFC 3339 timestamp, e.g. 2024-03-19T22:12:47.847Z";
  if (next && decode_token(next, q, token_id) != 0)
    return "next is not a token this API returned";
  return NULL;
}

void ps_so_sessions_handler(ps_request *req, ps_app *app) {
  ps_so_query q = {.project_id = ps_request_param(req, 0),
                   .environment_id = ps_request_param(req, 1)};
  if (ps_so_authorize(req, app, q.project_id, PS_SO_VIEWER)) return;
  char token_id[MAX_SESSION_ID + 1];
  const char *problem = read_query(req, &q, token_id);
  if (problem) {
    ps_request_respond_problem(req, 400, "Bad Request", problem);
    return;
  }
  /* Sessions past the retention period are gone even before the retention thread says so. */
  int64_t oldest = ps_now_ms() - ps_so_state_of(app)->retention_ms;
  if (q.created_after_ms < oldest - 1) q.created_after_ms = oldest - 1;
  /* One more than asked tells whether a next page exists. */
  size_t asked = q.limit;
  q.limit = asked + 1;
  ps_so_session *found = NULL;
  size_t n = 0;
  int64_t snapshot = 0;
  ps_buf b = {0};
  int rc = app->events->ops->so_session_list(app->events, &q, &found, &n, &snapshot);
  if (rc == PS_OK) rc = ps_buf_append_str(&b, "{\"results\":[");
  size_t shown = n > asked ? asked : n;
  for (size_t i = 0, listed = 0; rc == PS_OK && i < shown; i++) {
    ps_so_key key = {found[i].project_id, found[i].environment_id, found[i].session_id};
    size_t mark = b.len;
    if (listed) rc = ps_buf_append_str(&b, ",");
    if (rc == PS_OK) rc = ps_so_document_render(app->events, &key, oldest, &b);
    if (rc == PS_ENOTFOUND) { /* expired between the two reads: a shorter page */
      b.len = mark;
      b.data[mark] = 0;
      rc = PS_OK;
      continue;
    }
    listed++;
  }
  if (rc == PS_OK && n > asked) {
    char token[64 + 2 * MAX_SESSION_ID];
    encode_token(snapshot, &found[asked - 1], token, sizeof token);
    rc = ps_buf_printf(&b, "],\"next\":\"%s\"}", token);
  } else if (rc == PS_OK) {
    rc = ps_buf_append_str(&b, "],\"next\":null}");
  }
  free(found);
  if (rc == PS_OK) {
    size_t len = b.len;
    ps_request_respond_owned(req, 200, "application/json", ps_buf_steal(&b), len, 0);
    return;
  }
  ps_buf_free(&b);
  ps_request_respond_problem(req, 503, "Service Unavailable", "Sessions could not be read; retry later.");
}
