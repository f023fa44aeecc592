/* document.c: see document.h. Events are stored as canonical JSON text and copied as is. */
#include "observability/document.h"

#include <string.h>

#include "common/errors.h"
#include "common/rfc3339.h"

typedef struct events_text {
  ps_buf *b;
  int first;
} events_text;

static int append_event(const char *body, size_t len, int64_t ts_ms, void *ctx) {
  (void)ts_ms;
  events_text *t = ctx;
  int rc = t->first ? PS_OK : ps_buf_append_str(t->b, ",");
  t->first = 0;
  return rc == PS_OK ? ps_buf_append(t->b, body, len) : rc;
}

/* ,"name":"value" (or "name":"value" when first). */
static int member(ps_buf *b, int *first, const char *name, const char *value) {
  int rc = ps_buf_append_str(b, *first ? "\"" : ",\"");
  *first = 0;
  if (rc == PS_OK) rc = ps_buf_append_str(b, name);
  if (rc == PS_OK) rc = ps_buf_append_str(b, "\":");
  return rc == PS_OK ? ps_buf_append_json_string(b, value, strlen(value)) : rc;
}

static int time_member(ps_buf *b, int *first, const char *name, int64_t ms) {
  char text[PS_RFC3339_LEN + 1];
  ps_rfc3339_format(ms, text);
  return member(b, first, name, text);
}

static int allocation(ps_buf *b, const ps_so_session *s) {
  int requested = s->requested_ms >= 0;
  int outcome = s->completed_ms >= 0 && s->completed_ms >= s->requested_ms;
  if (!requested && !outcome) return ps_buf_append_str(b, "null");
  int first = 1, rc = ps_buf_append_str(b, "{");
  if (rc == PS_OK && outcome) rc = time_member(b, &first, "completedAt", s->completed_ms);
  if (rc == PS_OK && requested) rc = member(b, &first, "regionId", s->region_id);
  if (rc == PS_OK && requested) rc = time_member(b, &first, "requestedAt", s->requested_ms);
  const char *status = !outcome ? "Requested"
                       : strcmp(s->completion, "failed") == 0 ? "Failed" : "Allocated";
  if (rc == PS_OK) rc = member(b, &first, "status", status);
  return rc == PS_OK ? ps_buf_append_str(b, "}") : rc;
}

static int game_mode(ps_buf *b, const ps_so_session *s) {
  const char *names[] = {"poolId", "poolName", "queueId", "queueName"};
  const char *values[] = {s->pool_id, s->pool_name, s->queue_id, s->queue_name};
  int first = 1, rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < 4; i++) {
    if (!*values[i]) continue;
    if (first) rc = ps_buf_append_str(b, "{");
    if (rc == PS_OK) rc = member(b, &first, names[i], values[i]);
  }
  if (rc != PS_OK) return rc;
  return ps_buf_append_str(b, first ? "null" : "}");
}

int ps_so_document_render(ps_event_store *store, const ps_so_key *key, int64_t min_created_ms,
                          ps_buf *b) {
  ps_so_session s;
  ps_buf events = {0};
  events_text t = {&events, 1};
  int rc = store->ops->so_session_get(store, key, &s, append_event, &t);
  if (rc == PS_OK && s.created_ms < min_created_ms) rc = PS_ENOTFOUND;
  int first = 0;
  if (rc == PS_OK) rc = ps_buf_append_str(b, "{\"allocation\":");
  if (rc == PS_OK) rc = allocation(b, &s);
  if (rc == PS_OK) rc = time_member(b, &first, "createdAt", s.created_ms);
  if (rc == PS_OK) rc = member(b, &first, "environmentId", s.environment_id);
  if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"gameMode\":");
  if (rc == PS_OK) rc = game_mode(b, &s);
  if (rc == PS_OK)
    rc = member(b, &first, "matchmakingStatus", s.backfill ? "OpenBackfilling" : "OpenNotBackfilling");
  if (rc == PS_OK) rc = member(b, &first, "projectId", s.project_id);
  if (rc == PS_OK) rc = ps_buf_append_str(b, ",\"sessionEvents\":[");
  if (rc == PS_OK && events.len) rc = ps_buf_append(b, events.data, events.len);
  if (rc == PS_OK) rc = ps_buf_append_str(b, "]");
  if (rc == PS_OK) rc = member(b, &first, "sessionId", s.session_id);
  if (rc == PS_OK) rc = time_member(b, &first, "updatedAt", s.updated_ms);
  if (rc == PS_OK) rc = ps_buf_append_str(b, "}");
  ps_buf_free(&events);
  return rc;
}
