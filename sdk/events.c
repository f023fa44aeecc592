/*
 * events.c: the public event calls. A design, resource, business or progression call without
 * custom fields (a game's common case) gives its members as fields (field_check.h), written
 * as JSON text and checked as given (ps_sdk_record_members_locked, client.c); every other call
 * builds the category's own fields as a jansson value and hands it to ps_sdk_submit. Both
 * ways add the annotations, validate with the collector's schemas (the same verdicts) and
 * journal the event before returning, with the same members in the same order. The per-category state the seed asks a
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

/* The fast path of an event without custom fields: its members given as fields (fields[0]
 * the category), written as text into ps->members under the lock and checked as the caller
 * gave them (ps_sdk_record_members_locked), no jansson value. A number that is not finite
 * fails with PLAYSTAT_E_NOMEM: jansson's json_real refused it, which the jansson way reported
 * as out of memory; kept so. */
PS_SDK_HOT static int record_fields_locked(playstat *ps, const ps_sdk_field *fields, size_t n,
                                           ps_sdk_notes *notes) {
  ps_buf *m = &ps->members;
  ps_buf_reset(m);
  int w = PS_OK;
  for (size_t i = 0; i < n && w == PS_OK; i++) {
    const ps_sdk_field *f = &fields[i];
    size_t name_len = strlen(f->name); /* the library's own names: nothing to escape */
    w = ps_buf_reserve(m, name_len + 4);
    if (w == PS_OK) {
      char *o = m->data + m->len;
      size_t k = 0;
      if (i) o[k++] = ',';
      o[k++] = '"';
      memcpy(o + k, f->name, name_len);
      k += name_len;
      o[k++] = '"';
      o[k++] = ':';
      m->len += k;
      m->data[m->len] = '\0';
    }
    if (w == PS_OK)
      w = f->s ? ps_sdk_json_append_string(m, f->s, f->len)
          : f->integer ? ps_sdk_json_append_integer(m, f->i)
                       : ps_sdk_json_append_real(m, f->d);
  }
  if (w != PS_OK) return PLAYSTAT_E_NOMEM;
  return ps_sdk_record_members_locked(ps, m->data, m->len, fields, n, notes);
}

PS_SDK_HOT static ps_sdk_field text_field(const char *name, const char *s) {
  return (ps_sdk_field){.name = name, .s = s, .len = strlen(s)};
}

PS_SDK_HOT static ps_sdk_field real_field(const char *name, double d) {
  return (ps_sdk_field){.name = name, .d = d};
}

PS_SDK_HOT static ps_sdk_field integer_field(const char *name, int64_t i) {
  return (ps_sdk_field){.name = name, .d = (double)i, .integer = 1, .i = i};
}

/* A design or resource event without custom fields: the category, the event id and, when
 * number_name is set, one number. */
typedef struct simple_call {
  const char *category;
  const char *event_id;
  const char *number_name; /* "value" or "amount", NULL for none */
  double number;
} simple_call;

PS_SDK_HOT static int simple_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  const simple_call *c = ctx;
  ps_sdk_field fields[3] = {text_field("category", c->category),
                            text_field("event_id", c->event_id),
                            real_field(c->number_name, c->number)};
  return record_fields_locked(ps, fields, c->number_name ? 3 : 2, notes);
}

PS_SDK_HOT int playstat_design(playstat *ps, const char *event_id, int has_value, double value,
                    const playstat_fields *fields) {
  if (!ps || !event_id) return PLAYSTAT_E_ARG;
  if (!fields || fields->count == 0) {
    simple_call c = {"design", event_id, has_value ? "value" : NULL, value};
    return ps_sdk_transaction(ps, simple_locked, &c);
  }
  json_t *e;
  int rc = new_event("design", event_id, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  return finish(ps, e, has_value ? put(e, "value", json_real(value)) : 0, NULL, NULL);
}

/* The call's transaction_num: the next one, journalled in the call's record (restored by the
 * transaction if the call fails). */
PS_SDK_HOT static int next_transaction_num(playstat *ps, int64_t *n) {
  ps_buf *text = &ps->members; /* free until the event's members are written */
  *n = ++ps->st.transaction_num;
  ps_buf_reset(text);
  if (ps_sdk_json_append_integer(text, *n) != PS_OK) return PLAYSTAT_E_NOMEM; /* no printf */
  return ps_sdk_journal_item(ps, PS_JI_STATE, 0, "transaction_num", text->data);
}

static int business_prepare(playstat *ps, json_t *e, void *ctx, ps_sdk_notes *notes) {
  (void)ctx;
  (void)notes;
  int64_t n;
  int rc = next_transaction_num(ps, &n);
  if (rc == PLAYSTAT_OK && put(e, "transaction_num", json_integer(n))) rc = PLAYSTAT_E_NOMEM;
  return rc;
}

typedef struct business_call {
  const char *event_id, *currency, *cart_type; /* cart_type may be NULL */
  int64_t amount;
} business_call;

/* A business event without custom fields, its members in the jansson way's order. */
PS_SDK_HOT static int business_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  const business_call *c = ctx;
  int64_t n;
  int rc = next_transaction_num(ps, &n);
  if (rc != PLAYSTAT_OK) return rc;
  ps_sdk_field fields[6] = {text_field("category", "business"), text_field("event_id", c->event_id),
                            integer_field("amount", c->amount), text_field("currency", c->currency)};
  size_t count = 4;
  if (c->cart_type) fields[count++] = text_field("cart_type", c->cart_type);
  fields[count++] = integer_field("transaction_num", n);
  return record_fields_locked(ps, fields, count, notes);
}

PS_SDK_HOT int playstat_business(playstat *ps, const char *event_id, int64_t amount, const char *currency,
                      const char *cart_type, const playstat_fields *fields) {
  if (!ps || !event_id || !currency) return PLAYSTAT_E_ARG;
  if (!fields || fields->count == 0) {
    business_call c = {event_id, currency, cart_type, amount};
    return ps_sdk_transaction(ps, business_locked, &c);
  }
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
    simple_call c = {"resource", event_id, "amount", amount};
    return ps_sdk_transaction(ps, simple_locked, &c);
  }
  json_t *e;
  int rc = new_event("resource", event_id, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  return finish(ps, e, put(e, "amount", json_real(amount)), NULL, NULL);
}

typedef struct progression_call {
  playstat_progression_status status;
  const char *progression;
  const char *event_id; /* "Start:<progression>" and so on */
  int has_score;        /* a score to send (never on Start) */
  int64_t score;
} progression_call;

#define ONGOING_KEY "progression_ongoing"

/* The index of id in the attempts table, adding it (with 0 attempts) when add is set; -1 when
 * missing (or out of memory while adding). */
PS_SDK_HOT static long attempt_index(playstat *ps, const char *id, int add) {
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
PS_SDK_HOT static int attempt_set(playstat *ps, size_t i, int64_t attempts) {
  if (ps->call.undo_count >= sizeof ps->call.undo / sizeof ps->call.undo[0]) return PLAYSTAT_E_NOMEM;
  int rc = ps_sdk_journal_item(ps, PS_JI_ATTEMPTS, attempts, ps->attempts[i].id, NULL);
  if (rc != PLAYSTAT_OK) return rc;
  ps->call.undo[ps->call.undo_count].index = i;
  ps->call.undo[ps->call.undo_count].attempts = ps->attempts[i].attempts;
  ps->call.undo_count++;
  ps->attempts[i].attempts = attempts;
  return PLAYSTAT_OK;
}

PS_SDK_HOT int ps_sdk_attempt_fail(playstat *ps, const char *id, int64_t *attempt) {
  long i = attempt_index(ps, id, 1);
  if (i < 0) return PLAYSTAT_E_NOMEM;
  int64_t n = ps->attempts[i].attempts + 1;
  int rc = attempt_set(ps, (size_t)i, n);
  if (rc == PLAYSTAT_OK) *attempt = n;
  return rc;
}

PS_SDK_HOT int ps_sdk_attempt_complete(playstat *ps, const char *id, int64_t *attempt) {
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
  ps_sdk_field fields[3] = {text_field("category", "progression"), text_field("event_id", id),
                            integer_field("attempt_num", attempt)};
  return record_fields_locked(ps, fields, 3, notes);
}

/* Sets the ongoing attempt (restored with the counters if the call fails) and journals it. */
PS_SDK_HOT static int set_ongoing(playstat *ps, const char *progression) {
  snprintf(ps->st.ongoing, sizeof ps->st.ongoing, "%s", progression);
  return ps_sdk_journal_item(ps, PS_JI_STATE, 0, ONGOING_KEY, progression);
}

/* The state a progression call moves, journalled in its record: the ongoing attempt (a Start
 * while another is ongoing records that one's Fail first) and the attempt numbers. *attempt
 * gets the event's attempt_num, or -1 when it has none (a Start). */
PS_SDK_HOT static int progression_advance(playstat *ps, const progression_call *call,
                                          ps_sdk_notes *notes, int64_t *attempt) {
  char ongoing[PS_SDK_PROGRESSION_MAX];
  memcpy(ongoing, ps->st.ongoing, sizeof ongoing);
  int rc = PLAYSTAT_OK;
  *attempt = -1;
  switch (call->status) {
  case PLAYSTAT_PROGRESSION_START:
    if (ongoing[0] && (rc = fail_ongoing(ps, ongoing, notes)) != PLAYSTAT_OK) return rc;
    return set_ongoing(ps, call->progression);
  case PLAYSTAT_PROGRESSION_FAIL:
    rc = ps_sdk_attempt_fail(ps, call->progression, attempt);
    break;
  case PLAYSTAT_PROGRESSION_COMPLETE:
    rc = ps_sdk_attempt_complete(ps, call->progression, attempt);
    break;
  }
  if (rc == PLAYSTAT_OK && strcmp(ongoing, call->progression) == 0) rc = set_ongoing(ps, "");
  return rc;
}

static int progression_prepare(playstat *ps, json_t *e, void *ctx, ps_sdk_notes *notes) {
  int64_t attempt;
  int rc = progression_advance(ps, ctx, notes, &attempt);
  if (rc != PLAYSTAT_OK || attempt < 0) return rc;
  return put(e, "attempt_num", json_integer(attempt)) ? PLAYSTAT_E_NOMEM : PLAYSTAT_OK;
}

/* A progression event without custom fields, its members in the jansson way's order. */
PS_SDK_HOT static int progression_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  const progression_call *call = ctx;
  int64_t attempt;
  int rc = progression_advance(ps, call, notes, &attempt);
  if (rc != PLAYSTAT_OK) return rc;
  ps_sdk_field fields[4] = {text_field("category", "progression"),
                            text_field("event_id", call->event_id)};
  size_t count = 2;
  if (call->has_score) fields[count++] = integer_field("score", call->score);
  if (attempt >= 0) fields[count++] = integer_field("attempt_num", attempt);
  return record_fields_locked(ps, fields, count, notes);
}

PS_SDK_HOT int playstat_progression(playstat *ps, playstat_progression_status status,
                         const char *progression, int has_score, int64_t score,
                         const playstat_fields *fields) {
  static const char names[][10] = {"Start:", "Fail:", "Complete:"};
  if (!ps || !progression || (unsigned)status > PLAYSTAT_PROGRESSION_COMPLETE) return PLAYSTAT_E_ARG;
  size_t len = strlen(progression), prefix = strlen(names[status]);
  if (len > 200) return PLAYSTAT_E_INVALID;
  char id[256]; /* "<status>:<progression>", without printf */
  memcpy(id, names[status], prefix);
  memcpy(id + prefix, progression, len + 1);
  progression_call call = {.status = status, .progression = progression, .event_id = id,
                           .has_score = has_score && status != PLAYSTAT_PROGRESSION_START,
                           .score = score};
  if (!fields || fields->count == 0) return ps_sdk_transaction(ps, progression_locked, &call);
  json_t *e;
  int rc = new_event("progression", id, fields, &e);
  if (rc != PLAYSTAT_OK) return rc;
  int bad = call.has_score ? put(e, "score", json_integer(score)) : 0;
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
