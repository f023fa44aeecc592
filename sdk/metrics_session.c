/* metrics_session.c: see metrics_session.h; the public playstat_metrics_* calls are here too. */
#include "sdk/metrics_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/random.h"
#include "ingest/metrics/session_hash.h"
#include "sdk/client.h"

static void op_free(ps_sdk_ms_op *op) {
  if (!op) return;
  free(op->ids_text);
  free(op);
}

void ps_sdk_metrics_free(ps_sdk_metrics *m) {
  while (m->head) {
    ps_sdk_ms_op *next = m->head->next;
    op_free(m->head);
    m->head = next;
  }
  m->tail = NULL;
  free(m->token);
  free(m->ids_text);
  m->token = m->ids_text = NULL;
}

char *ps_sdk_metrics_ids_text(const int64_t *ids, size_t count) {
  ps_buf b = {0};
  if (ps_buf_append_str(&b, "") != PS_OK) return NULL;
  for (size_t i = 0; i < count; i++) {
    if (ps_buf_printf(&b, i ? ",%lld" : "%lld", (long long)ids[i]) != PS_OK) {
      ps_buf_free(&b);
      return NULL;
    }
  }
  return ps_buf_steal(&b);
}

/* Appends a request to the queue. PLAYSTAT_OK or PLAYSTAT_E_NOMEM (nothing queued). */
static int enqueue(ps_sdk_metrics *m, ps_sdk_ms_kind kind, const char *ids_text) {
  ps_sdk_ms_op *op = calloc(1, sizeof *op);
  if (!op) return PLAYSTAT_E_NOMEM;
  if (ids_text && !(op->ids_text = strdup(ids_text))) {
    free(op);
    return PLAYSTAT_E_NOMEM;
  }
  op->kind = kind;
  memcpy(op->session_id, m->session_id, sizeof op->session_id);
  op->order_id = m->next_order_id++;
  if (m->tail) m->tail->next = op;
  else m->head = op;
  m->tail = op;
  return PLAYSTAT_OK;
}

int64_t ps_sdk_metrics_schedule(ps_sdk_metrics *m, int64_t now_ms, int64_t interval_ms) {
  if (!m->open) return INT64_MAX;
  if (now_ms >= m->next_heartbeat_ms && enqueue(m, PS_SDK_MS_HEARTBEAT, NULL) == PLAYSTAT_OK)
    m->next_heartbeat_ms = now_ms + interval_ms;
  return m->next_heartbeat_ms;
}

int playstat_metrics_start(playstat *ps, const char *bearer_token, const int64_t *mod_ids,
                           size_t count) {
  if (!ps || !bearer_token || (count && !mod_ids)) return PLAYSTAT_E_ARG;
  if (!ps->cfg.c.metrics_url) {
    ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_WARN, "metrics session: no metrics_url configured");
    return PLAYSTAT_E_CONFIG;
  }
  char *ids = ps_sdk_metrics_ids_text(mod_ids, count);
  char *token = strdup(bearer_token);
  char sid[37];
  int rc = ids && token && ps_random_uuid_v4(sid) == PS_OK ? PLAYSTAT_OK : PLAYSTAT_E_NOMEM;
  pthread_mutex_lock(&ps->lock);
  ps_sdk_metrics *m = &ps->metrics;
  if (rc == PLAYSTAT_OK && m->open) rc = PLAYSTAT_E_STATE;
  if (rc == PLAYSTAT_OK) {
    memcpy(m->session_id, sid, sizeof sid);
    m->next_order_id = 1;
    rc = enqueue(m, PS_SDK_MS_START, ids);
  }
  if (rc == PLAYSTAT_OK) {
    m->open = 1;
    free(m->ids_text);
    m->ids_text = ids;
    ids = NULL;
    free(m->token);
    m->token = token;
    token = NULL;
    m->next_heartbeat_ms = ps_now_ms() + ps->cfg.c.metrics_heartbeat_ms;
    pthread_cond_signal(&ps->wake);
  }
  pthread_mutex_unlock(&ps->lock);
  free(ids);
  free(token);
  return rc;
}

int playstat_metrics_set_token(playstat *ps, const char *bearer_token) {
  if (!ps || !bearer_token) return PLAYSTAT_E_ARG;
  char *token = strdup(bearer_token);
  if (!token) return PLAYSTAT_E_NOMEM;
  pthread_mutex_lock(&ps->lock);
  free(ps->metrics.token);
  ps->metrics.token = token;
  pthread_mutex_unlock(&ps->lock);
  return PLAYSTAT_OK;
}

int playstat_metrics_end(playstat *ps) {
  if (!ps) return PLAYSTAT_E_ARG;
  pthread_mutex_lock(&ps->lock);
  int rc = ps->metrics.open ? enqueue(&ps->metrics, PS_SDK_MS_END, NULL) : PLAYSTAT_E_STATE;
  if (rc == PLAYSTAT_OK) {
    ps->metrics.open = 0;
    pthread_cond_signal(&ps->wake);
  }
  pthread_mutex_unlock(&ps->lock);
  return rc;
}

/* The JSON body of op at ts with nonce and its hash, into body. */
static int build_body(const ps_sdk_ms_op *op, const char *key, const char *ts, ps_buf *body) {
  char nonce[33], hash[PS_SESSION_HASH_HEX_LEN + 1];
  if (ps_random_hex(nonce, 16) != PS_OK) return PS_EIO;
  int rc = ps_session_hash(key, op->kind == PS_SDK_MS_START ? op->ids_text : NULL, ts,
                           op->session_id, nonce, hash);
  if (rc != PS_OK) return rc;
  ps_buf_reset(body);
  if (op->kind == PS_SDK_MS_START) rc = ps_buf_printf(body, "{\"ids\":[%s],", op->ids_text);
  else rc = ps_buf_append_str(body, "{");
  if (rc == PS_OK)
    rc = ps_buf_printf(body,
                       "\"session_id\":\"%s\",\"session_ts\":%s,\"session_hash\":\"%s\","
                       "\"session_nonce\":\"%s\",\"session_order_id\":%lld}",
                       op->session_id, ts, hash, nonce, (long long)op->order_id);
  return rc;
}

void ps_sdk_metrics_send(playstat *ps, ps_sdk_transport *t, ps_sdk_answer_info *answer,
                         int64_t deadline_ms) {
  static const char *const paths[] = {"start", "heartbeat", "end"};
  const playstat_config *c = &ps->cfg.c;
  ps_buf body = {0};
  for (;;) {
    char auth[4200], platform[96], portal[96];
    pthread_mutex_lock(&ps->lock);
    ps_sdk_ms_op *op = ps->metrics.head;
    if (op) {
      ps->metrics.head = op->next;
      if (!ps->metrics.head) ps->metrics.tail = NULL;
      snprintf(auth, sizeof auth, "Authorization: Bearer %s", ps->metrics.token ? ps->metrics.token : "");
    }
    pthread_mutex_unlock(&ps->lock);
    if (!op) break;
    const char *headers[5];
    int nh = 0;
    headers[nh++] = auth;
    headers[nh++] = "Content-Type: application/json";
    if (c->metrics_platform) {
      snprintf(platform, sizeof platform, "X-Modio-Platform: %s", c->metrics_platform);
      headers[nh++] = platform;
    }
    if (c->metrics_portal) {
      snprintf(portal, sizeof portal, "X-Modio-Portal: %s", c->metrics_portal);
      headers[nh++] = portal;
    }
    headers[nh] = NULL;
    char ts[24], url[2048];
    snprintf(ts, sizeof ts, "%lld", (long long)(ps_now_ms() / 1000));
    snprintf(url, sizeof url, "%s/v1/metrics/sessions/%s", c->metrics_url, paths[op->kind]);
    int ok = build_body(op, c->metrics_key, ts, &body) == PS_OK &&
             ps_sdk_transport_post(t, url, headers, body.data, body.len, deadline_ms, answer) == PS_OK &&
             answer->status >= 200 && answer->status < 300;
    pthread_mutex_lock(&ps->lock);
    if (ok) ps->stats.metrics_requests_sent++;
    else ps->stats.metrics_requests_failed++;
    pthread_mutex_unlock(&ps->lock);
    if (!ok)
      ps_sdk_log(c, PLAYSTAT_LOG_WARN, "metrics session %s %s failed: %ld %s%.300s",
                 paths[op->kind], op->session_id, answer->status, answer->error,
                 answer->body.data ? answer->body.data : "");
    else
      ps_sdk_log(c, PLAYSTAT_LOG_DEBUG, "metrics session %s %s order %lld: %ld", paths[op->kind],
                 op->session_id, (long long)op->order_id, answer->status);
    op_free(op);
  }
  ps_buf_free(&body);
}
