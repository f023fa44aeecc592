/*
 * events.c: the public event calls. Each builds the category's own fields as JSON and hands
 * them to ps_sdk_submit (client.c), which adds the annotations, validates with the collector's
 * schemas and journals the event before returning. The per-category state the seed asks a
 * client to keep is held in memory and journalled in the same record as the event:
 * transaction_num (business), attempt_num per progression and the ongoing attempt
 * (progression), so an event and its counter are stored together or not at all, and a
 * counter never repeats across a crash (the record that used it is the one that moves it).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/json_parse.h"
#include "sdk/client.h"
#include "sdk/hot.h"

/* The event's custom_fields from the game's pairs. 0, PLAYSTAT_E_ARG or PLAYSTAT_E_NOMEM. */
static int add_custom_fields(json_t *event, const playstat_fields *fields) {
  if (!fields || fields->count == 0) return PLAYSTAT_OK;
  if (!fields->items) return PLAYSTAT_E_ARG;
  json_t *obj = json_object();
  if (!obj || json_object_set_new(event, "custom_fields", obj)) return PLAYSTAT_E_NOMEM;
  for (size_t i = 0; i < fields->count; i++) {
    const playstat_field *f = &fields->items[i];
    if (!f->key) return PLAYSTAT_E_ARG;
    json_t *v;
    if (f->text) v = json_string(f->text);
    else if (isfinite(f->number) && f->number == floor(f->number) && fabs(f->number) < 9e15)
      v = json_integer((json_int_t)f->number);
    else v = json_real(f->number);
    if (!v || json_object_set_new(obj, f->key, v)) return PLAYSTAT_E_NOMEM;
  }
  return PLAYSTAT_OK;
}

/* A new event object {"category": category, "event_id": event_id?} with the custom fields. */
static int new_event(const char *category, const char *event_id, const playstat_fields *fields,
                     json_t **out) {
  *out = NULL;
  json_t *e = json_object();
  if (!e) return PLAYSTAT_E_NOMEM;
  int rc = json_object_set_new(e, "category", json_string(category)) ? PLAYSTAT_E_NOMEM : 0;
  if (rc == PLAYSTAT_OK && event_id && json_object_set_new(e, "event_id", json_string(event_id)))
    rc = PLAYSTAT_E_NOMEM;
  if (rc == PLAYSTAT_OK) rc = add_custom_fields(e, fields);
  if (rc != PLAYSTAT_OK) {
    json_decref(e);
    return rc;
  }
  *out = e;
  return PLAYSTAT_OK;
}

/* Submits e (consumed) through prepare. */
static int finish(playstat *ps, json_t *e, int bad, ps_sdk_prepare_fn prepare, void *ctx) {
  int rc = bad ? PLAYSTAT_E_NOMEM : ps_sdk_submit(ps, e, prepare, ctx);
  json_decref(e);
  return rc;
}

static int put(json_t *e, const char *key, json_t *v) {
  return v ? json_object_set_new(e, key, v) : -1;
}

/* The fast path of a design or resource event without custom fields: its members written as
 * text under the lock and checked as the caller gave them (ps_sdk_record_members_locked), no
 * jansson value. */
typedef struct text_call {
  const char *name;     /* the category, "design" */
  const char *category; /* the members' opening, "category":"design","event_id": */
  size_t category_len;
  const char *event_id;
  const char *number_name; /* "value" or "amount", NULL for none */
  const char *number_key;  /* its key in the text, ,"value": */
  size_t number_key_len;
  double number;
} text_call;

PS_SDK_HOT static int text_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  const text_call *c = ctx;
  ps_buf *m = &ps->members;
  ps_buf_reset(m);
  size_t id_len = strlen(c->event_id);
  int w = ps_buf_append(m, c->category, c->category_len);
  if (w == PS_OK) w = ps_sdk_json_append_string(m, c->event_id, id_len);
  if (w == PS_OK && c->number_name) {
    w = ps_buf_append(m, c->number_key, c->number_key_len);
    /* a non-finite number: jansson's json_real refused it, which the jansson way reported as
     * out of memory; kept so */
    if (w == PS_OK) w = ps_sdk_json_append_real(m, c->number);
  }
  if (w != PS_OK) return PLAYSTAT_E_NOMEM;
  ps_sdk_field fields[3] = {{.name = "category", .s = c->name, .len = strlen(c->name)},
                            {.name = "event_id", .s = c->event_id, .len = id_len},
                            {.name = c->number_name, .d = c->number}};
  return ps_sdk_record_members_locked(ps, m->data, m->len, fields, c->number_name ? 3 : 2, notes);
}

#define LIT(s) s, sizeof s - 1

PS_SDK_HOT int playstat_design(playstat *ps, const char *event_id, int has_value, double value,
                    const playstat_fields *fields) {
  if (!ps || !event_id) return PLAYSTAT_E_ARG;
  if (!fields || fields->count == 0) {
    text_call c = {"design", LIT("\"category\":\"design\",\"event_id\":"), event_id, NULL, NULL, 0,
                   value};
    if (has_value) {
      c.number_name = "value";
      c.number_key = ",\"value\":";
      c.number_key_len = 9;
    }
    return ps_sdk_transaction(ps, text_locked, &c);
  }
  json_t *e;
  int rc = new_event("design", event_id, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  return finish(ps, e, has_value ? put(e, "value", json_real(value)) : 0, NULL, NULL);
}

static int business_prepare(playstat *ps, json_t *e, void *ctx, ps_sdk_notes *notes) {
  (void)ctx;
  (void)notes;
  char text[24];
  int64_t n = ++ps->st.transaction_num; /* restored by the caller if the call fails */
  snprintf(text, sizeof text, "%lld", (long long)n);
  int rc = ps_sdk_journal_item(ps, PS_JI_STATE, 0, "transaction_num", text);
  if (rc == PLAYSTAT_OK && put(e, "transaction_num", json_integer(n))) rc = PLAYSTAT_E_NOMEM;
  return rc;
}

int playstat_business(playstat *ps, const char *event_id, int64_t amount, const char *currency,
                      const char *cart_type, const playstat_fields *fields) {
  if (!ps || !event_id || !currency) return PLAYSTAT_E_ARG;
  json_t *e;
  int rc = new_event("business", event_id, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  int bad = put(e, "amount", json_integer(amount)) | put(e, "currency", json_string(currency));
  if (cart_type) bad |= put(e, "cart_type", json_string(cart_type));
  return finish(ps, e, bad, business_prepare, NULL);
}

PS_SDK_HOT int playstat_resource(playstat *ps, const char *event_id, double amount,
                      const playstat_fields *fields) {
  if (!ps || !event_id) return PLAYSTAT_E_ARG;
  if (!fields || fields->count == 0) {
    text_call c = {"resource", LIT("\"category\":\"resource\",\"event_id\":"), event_id,
                   "amount", LIT(",\"amount\":"), amount};
    return ps_sdk_transaction(ps, text_locked, &c);
  }
  json_t *e;
  int rc = new_event("resource", event_id, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  return finish(ps, e, put(e, "amount", json_real(amount)), NULL, NULL);
}

typedef struct progression_call {
  playstat_progression_status status;
  const char *progression;
} progression_call;

#define ONGOING_KEY "progression_ongoing"

/* The index of id in the attempts table, adding it (with 0 attempts) when add is set; -1 when
 * missing (or out of memory while adding). */
static long attempt_index(playstat *ps, const char *id, int add) {
  for (size_t i = 0; i < ps->nattempts; i++)
    if (strcmp(ps->attempts[i].id, id) == 0) return (long)i;
  if (!add) return -1;
  if (ps->nattempts == ps->attempts_cap) {
    size_t cap = ps->attempts_cap ? ps->attempts_cap * 2 : 16;
    ps_sdk_attempt *grown = realloc(ps->attempts, cap * sizeof *grown);
    if (!grown) return -1;
    ps->attempts = grown;
    ps->attempts_cap = cap;
  }
  char *copy = strdup(id);
  if (!copy) return -1;
  ps->attempts[ps->nattempts] = (ps_sdk_attempt){.id = copy, .attempts = 0};
  return (long)ps->nattempts++;
}

/* Sets the attempts of entry i, journals it and keeps the old value to undo. */
static int attempt_set(playstat *ps, size_t i, int64_t attempts) {
  if (ps->call.undo_count >= sizeof ps->call.undo / sizeof ps->call.undo[0]) return PLAYSTAT_E_NOMEM;
  int rc = ps_sdk_journal_item(ps, PS_JI_ATTEMPTS, attempts, ps->attempts[i].id, NULL);
  if (rc != PLAYSTAT_OK) return rc;
  ps->call.undo[ps->call.undo_count].index = i;
  ps->call.undo[ps->call.undo_count].attempts = ps->attempts[i].attempts;
  ps->call.undo_count++;
  ps->attempts[i].attempts = attempts;
  return PLAYSTAT_OK;
}

int ps_sdk_attempt_fail(playstat *ps, const char *id, int64_t *attempt) {
  long i = attempt_index(ps, id, 1);
  if (i < 0) return PLAYSTAT_E_NOMEM;
  int64_t n = ps->attempts[i].attempts + 1;
  int rc = attempt_set(ps, (size_t)i, n);
  if (rc == PLAYSTAT_OK) *attempt = n;
  return rc;
}

int ps_sdk_attempt_complete(playstat *ps, const char *id, int64_t *attempt) {
  long i = attempt_index(ps, id, 0);
  int64_t n = i < 0 ? 0 : ps->attempts[i].attempts;
  int rc = i < 0 || n == 0 ? PLAYSTAT_OK : attempt_set(ps, (size_t)i, 0);
  if (rc == PLAYSTAT_OK) *attempt = n + 1;
  return rc;
}

static int load_one(void *ctx, const char *id, int64_t attempts) {
  playstat *ps = ctx;
  long i = attempt_index(ps, id, 1);
  if (i < 0) return PS_ENOMEM;
  ps->attempts[i].attempts = attempts;
  return PS_OK;
}

int ps_sdk_attempts_load(playstat *ps) {
  return ps_sdk_status_of(ps_qdb_progression_each(ps->db, load_one, ps));
}

void ps_sdk_attempts_free(playstat *ps) {
  for (size_t i = 0; i < ps->nattempts; i++) free(ps->attempts[i].id);
  free(ps->attempts);
  ps->attempts = NULL;
  ps->nattempts = ps->attempts_cap = 0;
}

/* Records the Fail of the ongoing attempt at progression (a Start came before its end). */
static int fail_ongoing(playstat *ps, const char *progression, ps_sdk_notes *notes) {
  int64_t attempt = 0;
  int rc = ps_sdk_attempt_fail(ps, progression, &attempt);
  if (rc != PLAYSTAT_OK) return rc;
  char id[300];
  snprintf(id, sizeof id, "Fail:%s", progression);
  json_t *fail;
  if ((rc = new_event("progression", id, NULL, &fail)) != PLAYSTAT_OK) return rc;
  rc = put(fail, "attempt_num", json_integer(attempt)) ? PLAYSTAT_E_NOMEM
                                                       : ps_sdk_record_locked(ps, fail, notes);
  json_decref(fail);
  return rc;
}

/* Sets the ongoing attempt (restored with the counters if the call fails) and journals it. */
static int set_ongoing(playstat *ps, const char *progression) {
  snprintf(ps->st.ongoing, sizeof ps->st.ongoing, "%s", progression);
  return ps_sdk_journal_item(ps, PS_JI_STATE, 0, ONGOING_KEY, progression);
}

static int progression_prepare(playstat *ps, json_t *e, void *ctx, ps_sdk_notes *notes) {
  const progression_call *call = ctx;
  char ongoing[PS_SDK_PROGRESSION_MAX];
  memcpy(ongoing, ps->st.ongoing, sizeof ongoing);
  int64_t attempt = 0;
  int rc = PLAYSTAT_OK;
  switch (call->status) {
  case PLAYSTAT_PROGRESSION_START:
    if (ongoing[0] && (rc = fail_ongoing(ps, ongoing, notes)) != PLAYSTAT_OK) return rc;
    return set_ongoing(ps, call->progression);
  case PLAYSTAT_PROGRESSION_FAIL:
    rc = ps_sdk_attempt_fail(ps, call->progression, &attempt);
    break;
  case PLAYSTAT_PROGRESSION_COMPLETE:
    rc = ps_sdk_attempt_complete(ps, call->progression, &attempt);
    break;
  }
  if (rc == PLAYSTAT_OK && strcmp(ongoing, call->progression) == 0) rc = set_ongoing(ps, "");
  if (rc != PLAYSTAT_OK) return rc;
  return put(e, "attempt_num", json_integer(attempt)) ? PLAYSTAT_E_NOMEM : PLAYSTAT_OK;
}

int playstat_progression(playstat *ps, playstat_progression_status status,
                         const char *progression, int has_score, int64_t score,
                         const playstat_fields *fields) {
  static const char *const names[] = {"Start", "Fail", "Complete"};
  if (!ps || !progression || (unsigned)status > PLAYSTAT_PROGRESSION_COMPLETE) return PLAYSTAT_E_ARG;
  if (strlen(progression) > 200) return PLAYSTAT_E_INVALID;
  char id[256];
  snprintf(id, sizeof id, "%s:%s", names[status], progression);
  json_t *e;
  int rc = new_event("progression", id, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  int bad = has_score && status != PLAYSTAT_PROGRESSION_START ? put(e, "score", json_integer(score)) : 0;
  progression_call call = {.status = status, .progression = progression};
  return finish(ps, e, bad, progression_prepare, &call);
}

typedef struct error_call {
  int severity;
  const char *message;
} error_call;

static int error_prepare(playstat *ps, json_t *e, void *ctx, ps_sdk_notes *notes) {
  const error_call *call = ctx;
  if (ps_sdk_error_throttle_admit(&ps->throttle, call->severity, call->message)) return PLAYSTAT_OK;
  ps->stats.errors_throttled++;
  ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_DEBUG,
              "error event not recorded: 10 per launch and one per message type");
  return PLAYSTAT_E_THROTTLED;
}

int playstat_error(playstat *ps, playstat_severity severity, const char *message,
                   const playstat_fields *fields) {
  static const char *const names[] = {"debug", "info", "warning", "error", "critical"};
  if (!ps || !message || (unsigned)severity > PLAYSTAT_SEVERITY_CRITICAL) return PLAYSTAT_E_ARG;
  json_t *e;
  int rc = new_event("error", NULL, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  int bad = put(e, "severity", json_string(names[severity])) |
            put(e, "message", json_string(message));
  error_call call = {.severity = (int)severity, .message = message};
  rc = finish(ps, e, bad, error_prepare, &call);
  if (rc != PLAYSTAT_OK && rc != PLAYSTAT_E_THROTTLED) {
    /* Not stored after all: a later error of this type may still go. */
    pthread_mutex_lock(&ps->lock);
    ps_sdk_error_throttle_forget(&ps->throttle, call.severity, message);
    pthread_mutex_unlock(&ps->lock);
  }
  return rc;
}

int playstat_ad(playstat *ps, const char *ad_sdk_name, const char *ad_placement,
                const char *ad_type, const char *ad_action, const char *fail_reason,
                int64_t duration_ms, const playstat_fields *fields) {
  if (!ps || !ad_sdk_name || !ad_placement || !ad_type || !ad_action) return PLAYSTAT_E_ARG;
  json_t *e;
  int rc = new_event("ads", NULL, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  int bad = put(e, "ad_sdk_name", json_string(ad_sdk_name)) |
            put(e, "ad_placement", json_string(ad_placement)) |
            put(e, "ad_type", json_string(ad_type)) | put(e, "ad_action", json_string(ad_action));
  if (fail_reason) bad |= put(e, "ad_fail_show_reason", json_string(fail_reason));
  if (duration_ms >= 0) bad |= put(e, "ad_duration", json_integer(duration_ms));
  return finish(ps, e, bad, NULL, NULL);
}

int playstat_impression(playstat *ps, const char *ad_network_name,
                        const char *ad_network_version, const char *impression_data_json,
                        const playstat_fields *fields) {
  if (!ps || !ad_network_name || !ad_network_version || !impression_data_json)
    return PLAYSTAT_E_ARG;
  char why[160];
  json_t *data = NULL;
  int parsed = ps_json_parse(impression_data_json, strlen(impression_data_json), 0, &data, why,
                             sizeof why);
  if (parsed == PS_ENOMEM) return PLAYSTAT_E_NOMEM;
  if (!json_is_object(data)) {
    json_decref(data);
    ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_WARN,
               "impression event not recorded: impression_data is not a JSON object (%s)",
               parsed == PS_OK ? "another type" : why);
    return PLAYSTAT_E_INVALID;
  }
  json_t *e;
  int rc = new_event("impression", NULL, fields, &e);
  if (rc != PLAYSTAT_OK) {
    json_decref(data);
    return rc;
  }
  int bad = put(e, "ad_network_name", json_string(ad_network_name)) |
            put(e, "ad_network_version", json_string(ad_network_version)) |
            put(e, "impression_data", data);
  return finish(ps, e, bad, NULL, NULL);
}
