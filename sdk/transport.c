/* transport.c: see transport.h. */
#include "sdk/transport.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/retry_after.h"
#include "playstat.h"
#include "sdk/delivery_policy.h"

#define MAX_ANSWER_BYTES (256 * 1024) /* a longer answer body is cut (we only log it) */

struct ps_sdk_transport {
  CURL *curl;
  const _Atomic int64_t *abort_at_ms;
  ps_sdk_answer_info *answer; /* of the request in flight */
  int body_oom;
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx) {
  ps_sdk_transport *t = ctx;
  size_t len = size * n;
  ps_buf *b = &t->answer->body;
  if (b->len < MAX_ANSWER_BYTES) {
    size_t take = len < MAX_ANSWER_BYTES - b->len ? len : MAX_ANSWER_BYTES - b->len;
    if (ps_buf_append(b, data, take) != PS_OK) t->body_oom = 1;
  }
  return len;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx) {
  ps_sdk_transport *t = ctx;
  int64_t seconds = ps_retry_after_header(data, size * n, PS_SDK_RETRY_AFTER_MAX_S);
  if (seconds >= 0) t->answer->retry_after_s = (uint64_t)seconds;
  return size * n;
}

/* Non-zero aborts the transfer: the handle is shutting down and its deadline has passed. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
  ps_sdk_transport *t = ctx;
  int64_t abort_at = atomic_load(t->abort_at_ms);
  return abort_at != 0 && ps_now_ms() >= abort_at;
}

ps_sdk_transport *ps_sdk_transport_create(const _Atomic int64_t *abort_at_ms) {
  ps_sdk_transport *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->abort_at_ms = abort_at_ms;
  t->curl = curl_easy_init();
  if (!t->curl) {
    free(t);
    return NULL;
  }
  return t;
}

void ps_sdk_transport_free(ps_sdk_transport *t) {
  if (!t) return;
  curl_easy_cleanup(t->curl);
  free(t);
}

int ps_sdk_transport_post(ps_sdk_transport *t, const char *url, const char *const *headers,
                          const void *body, size_t len, int64_t deadline_ms,
                          ps_sdk_answer_info *answer) {
  ps_buf_reset(&answer->body);
  answer->status = 0;
  answer->retry_after_s = 0;
  answer->error[0] = '\0';
  struct curl_slist *list = NULL;
  for (size_t i = 0; headers && headers[i]; i++) {
    struct curl_slist *grown = curl_slist_append(list, headers[i]);
    if (!grown) {
      curl_slist_free_all(list);
      return PS_ENOMEM;
    }
    list = grown;
  }
  /* "Expect: 100-continue" would cost a round trip on bodies over 1 KiB. */
  struct curl_slist *grown = curl_slist_append(list, "Expect:");
  if (!grown) {
    curl_slist_free_all(list);
    return PS_ENOMEM;
  }
  list = grown;
  int64_t budget = deadline_ms - ps_now_ms();
  if (budget < 1) budget = 1;
  CURL *c = t->curl;
  t->answer = answer;
  t->body_oom = 0;
  curl_easy_reset(c);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
  curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt(c, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)budget);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(budget < 10000 ? budget : 10000));
  curl_easy_setopt(c, CURLOPT_USERAGENT, "libplaystat/" PLAYSTAT_VERSION);
  CURLcode rc = curl_easy_perform(c);
  if (rc == CURLE_OK) {
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &answer->status);
  } else {
    snprintf(answer->error, sizeof answer->error, "%s", curl_easy_strerror(rc));
    ps_buf_reset(&answer->body);
  }
  curl_slist_free_all(list);
  t->answer = NULL;
  return t->body_oom ? PS_ENOMEM : PS_OK;
}
