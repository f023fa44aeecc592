/*
 * ga_digest.c: see ga_digest.h. What an analytics event adds to the metrics, decided once per
 * event when it is appended.
 *
 * Guarantees: the rollups fold a digest exactly as they folded the parsed body before version
 * 8 (ga_rollup.c then read every member below from the body): the day of an integer client_ts
 * (else of the receive time, a negative one counting as day 0); a dimension only when it is a
 * non-empty string; a family key and value as ga_query.h reads them (a missing or non-numeric
 * value counts 0). The one difference: a body with a \u0000 escape, which the collector
 * accepts, parses here too; the rollups skipped such events before.
 */
#include "store/ga_digest.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/errors.h"

#define SECONDS_PER_DAY 86400

static int is(const char *category, const char *name) { return strcmp(category, name) == 0; }

static const char *or_empty(const char *s) { return s ? s : ""; }

/* The family's aggregate key and value (ga_query.h says how keys read); 0 when the event adds
 * to none. */
static int family_of(const char *category, const ps_event_facts *f, char *key, double *value) {
  const char *id = f->event_id;
  if (is(category, "progression") && id) {
    const char *colon = strchr(id, ':');
    if (!colon) return 0;
    snprintf(key, PS_GA_KEY_CAP, "%.*s|%s", (int)(colon - id), id, colon + 1);
    *value = f->has_attempt_num ? (double)f->attempt_num : 0;
    return 1;
  }
  if ((is(category, "resource") || is(category, "design")) && id) {
    snprintf(key, PS_GA_KEY_CAP, "%s", id);
    *value = f->has_value ? f->value : 0;
    return 1;
  }
  if (is(category, "error")) {
    if (!f->severity || !f->message) return 0;
    size_t line = strcspn(f->message, "\r\n"); /* the first line: what people group errors by */
    snprintf(key, PS_GA_KEY_CAP, "%s|%.*s", f->severity, (int)(line < 100 ? line : 100), f->message);
    return 1;
  }
  if (is(category, "ads")) {
    snprintf(key, PS_GA_KEY_CAP, "%s|%s|%s|%s", or_empty(f->ad_action), or_empty(f->ad_sdk_name),
             or_empty(f->ad_type), or_empty(f->ad_placement));
    return 1;
  }
  return 0;
}

void ps_ga_digest_make(const char *category, const char *user_id, int client_ts_integer,
                       int64_t client_ts, int64_t received_ms, const ps_event_facts *facts,
                       ps_ga_digest *out) {
  out->folds = category && user_id && *user_id; /* sdk_error and the like: no user */
  out->day = 0;
  out->agg_key = NULL;
  out->agg_value = 0;
  out->key[0] = '\0';
  out->parsed = NULL;
  for (int d = 0; d < PS_GA_DIMS; d++) out->dims[d] = NULL;
  if (!out->folds) return;
  int64_t seconds = client_ts_integer ? client_ts : received_ms / 1000;
  out->day = seconds >= 0 ? seconds / SECONDS_PER_DAY : 0;
  const char *dims[PS_GA_DIM_COUNTRY] = {NULL,              facts->platform,  facts->build,
                                         facts->os_version, facts->custom_01, facts->custom_02,
                                         facts->custom_03};
  for (int d = 1; d < PS_GA_DIM_COUNTRY; d++) out->dims[d] = dims[d] && *dims[d] ? dims[d] : NULL;
  if (is(category, "business")) {
    if (facts->currency) {
      out->agg_key = facts->currency;
      out->agg_value = facts->has_amount ? (double)facts->amount : 0;
    }
  } else if (is(category, "session_end")) {
    if (facts->has_length) {
      out->agg_key = "";
      out->agg_value = (double)facts->length;
    }
  } else if (family_of(category, facts, out->key, &out->agg_value)) {
    out->agg_key = out->key;
  }
}

static const char *text_of(json_t *event, const char *name) {
  return json_string_value(json_object_get(event, name));
}

int ps_ga_digest_from_body(const char *category, const char *user_id, int64_t received_ms,
                           const char *body, size_t len, ps_ga_digest *out) {
  static const ps_event_facts none;
  ps_ga_digest_make(category, user_id, 0, 0, received_ms, &none, out);
  if (!out->folds) return PS_OK; /* not worth a parse */
  json_error_t error;
  json_t *event = json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &error);
  if (!event) {
    if (json_error_code(&error) == json_error_out_of_memory) return PS_ENOMEM;
    out->folds = 0; /* stored events parse (the collector parsed them) */
    return PS_OK;
  }
  json_t *ts = json_object_get(event, "client_ts"), *amount = json_object_get(event, "amount");
  json_t *length = json_object_get(event, "length"), *attempt = json_object_get(event, "attempt_num");
  json_t *value = json_object_get(event, is(category, "resource") ? "amount" : "value");
  ps_event_facts f = {
      .platform = text_of(event, "platform"),
      .build = text_of(event, "build"),
      .os_version = text_of(event, "os_version"),
      .custom_01 = text_of(event, "custom_01"),
      .custom_02 = text_of(event, "custom_02"),
      .custom_03 = text_of(event, "custom_03"),
      .client_ts_is_integer = json_is_integer(ts),
      .currency = text_of(event, "currency"),
      .amount = (int64_t)json_integer_value(amount),
      .has_amount = json_is_integer(amount),
      .length = (int64_t)json_integer_value(length),
      .has_length = json_is_integer(length),
      .event_id = text_of(event, "event_id"),
      .value = json_number_value(value),
      .has_value = json_is_number(value),
      .attempt_num = (int64_t)json_integer_value(attempt),
      .has_attempt_num = json_is_integer(attempt),
      .severity = text_of(event, "severity"),
      .message = text_of(event, "message"),
      .ad_action = text_of(event, "ad_action"),
      .ad_sdk_name = text_of(event, "ad_sdk_name"),
      .ad_type = text_of(event, "ad_type"),
      .ad_placement = text_of(event, "ad_placement"),
  };
  ps_ga_digest_make(category, user_id, f.client_ts_is_integer, (int64_t)json_integer_value(ts),
                    received_ms, &f, out);
  out->parsed = event; /* the digest's strings point into it */
  return PS_OK;
}

int ps_ga_digest_of_record(const ps_record *r, ps_ga_digest *out) {
  int rc = PS_OK;
  if (!r->facts)
    rc = ps_ga_digest_from_body(r->category, r->user_id, r->received_ms, r->body, r->body_len,
                                out);
  else
    ps_ga_digest_make(r->category, r->user_id, r->facts->client_ts_is_integer, r->client_ts,
                      r->received_ms, r->facts, out);
  if (rc == PS_OK && out->folds && r->country && *r->country)
    out->dims[PS_GA_DIM_COUNTRY] = r->country;
  return rc;
}

void ps_ga_digest_release(ps_ga_digest *d) {
  json_decref(d->parsed);
  d->parsed = NULL;
}
