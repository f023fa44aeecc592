/* http_client.c: see http_client.h. */
#include "sim/http_client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/retry_after.h"
#include "sim/sim.h"

struct ps_sim_http {
  CURL *curl;
  char *base_url;
  ps_sim_stats *stats;
  unsigned jitter; /* for backoff jitter only: it never changes what is sent */
};

void ps_sim_stats_init(ps_sim_stats *s) {
  memset(s, 0, sizeof *s);
  pthread_mutex_init(&s->lock, NULL);
}

void ps_sim_stats_destroy(ps_sim_stats *s) { pthread_mutex_destroy(&s->lock); }

void ps_sim_stats_note(ps_sim_stats *s, long status, const char *text) {
  pthread_mutex_lock(&s->lock);
  size_t i = 0;
  while (i < s->nreasons && !(s->reasons[i].status == status && strcmp(s->reasons[i].text, text) == 0))
    i++;
  if (i < s->nreasons) {
    s->reasons[i].count++;
  } else if (s->nreasons < PS_SIM_REASONS) {
    ps_sim_reason *r = &s->reasons[s->nreasons++];
    r->status = status;
    r->count = 1;
    snprintf(r->text, sizeof r->text, "%s", text);
  } else {
    s->other_reasons++;
  }
  pthread_mutex_unlock(&s->lock);
}

void ps_sim_stats_fail(ps_sim_stats *s, const char *text) {
  atomic_fetch_add(&s->failed, 1);
  ps_sim_stats_note(s, 0, text);
}

json_t *ps_sim_stats_json(ps_sim_stats *s) {
  json_t *reasons = json_array();
  pthread_mutex_lock(&s->lock);
  for (size_t i = 0; reasons && i < s->nreasons; i++)
    json_array_append_new(reasons, json_pack("{s:I, s:I, s:s}", "status", (json_int_t)s->reasons[i].status,
                                             "count", (json_int_t)s->reasons[i].count, "reason",
                                             s->reasons[i].text));
  json_int_t others = (json_int_t)s->other_reasons;
  pthread_mutex_unlock(&s->lock);
  return json_pack("{s:I, s:I, s:I, s:I, s:I, s:o, s:I}", "requests", (json_int_t)s->requests,
                   "ok", (json_int_t)s->ok, "retried", (json_int_t)s->retried, "refused",
                   (json_int_t)s->refused, "failed", (json_int_t)s->failed, "reasons", reasons,
                   "other_reasons", others);
}

/* ------------------------------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t n, void *userdata) {
  return ps_buf_append(userdata, data, size * n) == PS_OK ? size * n : 0;
}

/* Keeps Retry-After (delta seconds) of the answer; -1 when absent. */
static size_t on_header(char *data, size_t size, size_t n, void *userdata) {
  long *retry_after = userdata;
  int64_t seconds = ps_retry_after_header(data, size * n, PS_SIM_RETRY_AFTER_MAX);
  if (seconds >= 0) *retry_after = (long)seconds;
  return size * n;
}

int ps_sim_http_create(const char *base_url, ps_sim_stats *stats, ps_sim_http **out) {
  ps_sim_http *c = calloc(1, sizeof *c);
  if (!c || !(c->curl = curl_easy_init()) || !(c->base_url = strdup(base_url))) {
    ps_sim_http_destroy(c);
    return PS_ENOMEM;
  }
  c->stats = stats;
  c->jitter = (unsigned)(uintptr_t)c;
  curl_easy_setopt(c->curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT, 5L);
  curl_easy_setopt(c->curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "playstat-simulate");
  curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
  *out = c;
  return PS_OK;
}

void ps_sim_http_destroy(ps_sim_http *c) {
  if (!c) return;
  if (c->curl) curl_easy_cleanup(c->curl);
  free(c->base_url);
  free(c);
}

void ps_sim_response_free(ps_sim_response *resp) { ps_buf_free(&resp->body); }

/* One attempt: fills status (0 when none), body and retry_after; the transport error in
 * reason when no answer came. */
static void attempt(ps_sim_http *c, const ps_sim_request *req, struct curl_slist *headers,
                    const char *url, ps_sim_response *resp, long *retry_after) {
  char error[CURL_ERROR_SIZE] = {0};
  ps_buf_reset(&resp->body);
  *retry_after = -1;
  resp->status = 0;
  CURL *h = c->curl;
  curl_easy_setopt(h, CURLOPT_URL, url);
  if (req->method && strcmp(req->method, "GET") == 0) {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
  }
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_HTTPAUTH, req->userpwd ? CURLAUTH_BASIC : CURLAUTH_NONE);
  curl_easy_setopt(h, CURLOPT_USERPWD, req->userpwd);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &resp->body);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, retry_after);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error);
  atomic_fetch_add(&c->stats->requests, 1);
  CURLcode rc = curl_easy_perform(h);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
  if (rc != CURLE_OK) {
    snprintf(resp->reason, sizeof resp->reason, "no answer from %s: %s", c->base_url,
             error[0] ? error : curl_easy_strerror(rc));
    return;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
}

/* Seconds to wait after `made` attempts (1, 2, ...): Retry-After when the answer had one. */
static double backoff(ps_sim_http *c, int made, long retry_after) {
  if (retry_after >= 0) return retry_after > PS_SIM_RETRY_AFTER_MAX ? PS_SIM_RETRY_AFTER_MAX : (double)retry_after;
  double wait = 0.25 * (double)(1u << (made - 1 < 5 ? made - 1 : 5));
  c->jitter = c->jitter * 1103515245u + 12345u;
  return wait * (0.75 + 0.5 * (double)(c->jitter >> 16 & 0x7fff) / 32768.0);
}

int ps_sim_http_send(ps_sim_http *c, const ps_sim_request *req, ps_sim_response *resp) {
  resp->reason[0] = '\0';
  char *url = malloc(strlen(c->base_url) + strlen(req->path) + 1);
  struct curl_slist *headers = curl_slist_append(NULL, "Expect:"); /* no 100-continue pause */
  for (const char *const *h = req->headers; headers && h && *h; h++) {
    struct curl_slist *more = curl_slist_append(headers, *h);
    if (!more) curl_slist_free_all(headers);
    headers = more;
  }
  if (!url || !headers) {
    free(url);
    curl_slist_free_all(headers);
    resp->status = 0;
    snprintf(resp->reason, sizeof resp->reason, "out of memory");
    ps_sim_stats_fail(c->stats, resp->reason);
    return 0;
  }
  strcpy(url, c->base_url);
  strcat(url, req->path);
  int made = 0, attempts = req->attempts > 0 ? req->attempts : PS_SIM_ATTEMPTS;
  long retry_after = -1;
  for (;;) {
    attempt(c, req, headers, url, resp, &retry_after);
    made++;
    int again = resp->status == 0 || resp->status == 503 || resp->status == 429;
    if (!again || made >= attempts || ps_sim_stopping()) break;
    atomic_fetch_add(&c->stats->retried, 1);
    if (!ps_sim_sleep(backoff(c, made, retry_after))) break;
  }
  free(url);
  curl_slist_free_all(headers);
  if (resp->status >= 200 && resp->status < 300) {
    atomic_fetch_add(&c->stats->ok, 1);
    return 1;
  }
  if (resp->status) ps_sim_reason_of(resp->status, resp->body.data, resp->body.len, resp->reason);
  int gave_up = resp->status == 0 || resp->status == 503 || resp->status == 429;
  atomic_fetch_add(gave_up ? &c->stats->failed : &c->stats->refused, 1);
  if (resp->status == 401 || resp->status == 403 || resp->status == 0) atomic_store(&c->stats->fatal, 1);
  ps_sim_stats_note(c->stats, resp->status, resp->reason);
  return 0;
}

/* ------------------------------------------------------------------------------------------ */

/* The one-line text of a JSON string member, or NULL. */
static const char *member_text(json_t *object, const char *name) {
  return json_string_value(json_object_get(object, name));
}

/* "field: message; field: message" of a JSON object of field errors (mod.io's "errors"). */
static void append_field_errors(json_t *errors, char *out, size_t cap) {
  const char *key;
  json_t *value;
  json_object_foreach(errors, key, value) {
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "; %s: %s", key,
             json_is_string(value) ? json_string_value(value) : "invalid");
  }
}

/* The first rejected analytics event: "event 3: currency: currency must match ...". */
static void first_rejected_event(json_t *array, char *out, size_t cap) {
  json_t *first = json_array_get(array, 0);
  json_t *errors = json_object_get(first, "errors");
  snprintf(out, cap, "%zu event(s) rejected; event %lld", json_array_size(array),
           (long long)json_integer_value(json_object_get(first, "event_index")));
  size_t i;
  json_t *e;
  json_array_foreach(errors, i, e) {
    size_t len = strlen(out);
    const char *field = member_text(e, "field"), *message = member_text(e, "message");
    snprintf(out + len, cap - len, "%s %s: %s", i ? ";" : ":", field ? field : "?",
             message ? message : "invalid");
  }
}

void ps_sim_reason_of(long status, const char *body, size_t len, char *out) {
  char text[PS_SIM_REASON_LEN - 32] = {0}; /* room for "HTTP <status>: " */
  json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
  json_t *modio = json_object_get(doc, "error");
  if (json_is_object(modio)) {
    snprintf(text, sizeof text, "%s", member_text(modio, "message") ? member_text(modio, "message") : "");
    append_field_errors(json_object_get(modio, "errors"), text, sizeof text);
  } else if (member_text(doc, "detail")) {
    snprintf(text, sizeof text, "%s", member_text(doc, "detail"));
  } else if (member_text(doc, "message")) {
    snprintf(text, sizeof text, "%s", member_text(doc, "message"));
  } else if (json_is_array(doc) && json_array_size(doc) > 0) {
    first_rejected_event(doc, text, sizeof text);
  } else if (body && len) {
    snprintf(text, sizeof text, "%.*s", (int)(len < 200 ? len : 200), body);
  } else {
    snprintf(text, sizeof text, "(empty body)");
  }
  json_decref(doc);
  for (char *p = text; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
  snprintf(out, PS_SIM_REASON_LEN, "HTTP %ld: %s", status, text);
}
