/*
 * client.c: the life of a playstat handle (create, shutdown, flush, stats, custom dimensions)
 * and the one path by which every event reaches the queue: annotate, validate with the
 * collector's own schema files (the JSON files of schemas/, built into the library), and
 * append to the call journal (journal.h) with the state the call changed, in one store into
 * its mapping.
 *
 * Guarantees: a call that returns PLAYSTAT_OK has its record in the kernel (and on disk with
 * durable_sync); a call that fails leaves no record and the in-memory state as it was (the
 * counters are copied at the start of each call and restored, attempt numbers are undone).
 * The bounded queue's decision (admit by evicting, or PLAYSTAT_E_FULL) is taken here from
 * the totals of the database and of the journal not yet moved; the eviction itself happens
 * when the library's thread moves the record (mover.c), in the same order.
 */
#include "sdk/client.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/json_parse.h"
#include "common/random.h"
#include "sdk/hot.h"

int ps_sdk_status_of(int code) {
  switch (code) {
  case PS_OK: return PLAYSTAT_OK;
  case PS_ENOMEM: return PLAYSTAT_E_NOMEM;
  case PS_EFULL: return PLAYSTAT_E_FULL;
  default: return PLAYSTAT_E_STORAGE;
  }
}

PS_SDK_HOT int64_t ps_sdk_client_ts(const playstat *ps) {
  return ps_now_ms() / 1000 + ps->clock_offset_s;
}

/* json_object_set_new that reports failure (out of memory) as non-zero. */
static int set(json_t *obj, const char *key, json_t *value) {
  return value ? json_object_set_new(obj, key, value) : -1;
}

json_t *ps_sdk_annotations_locked(const playstat *ps) {
  const playstat_config *c = &ps->cfg.c;
  json_t *a = json_object();
  if (!a) return NULL;
  int bad = set(a, "v", json_integer(2)) | set(a, "user_id", json_string(ps->user_id)) |
            set(a, "sdk_version", json_string(PS_SDK_SDK_VERSION)) |
            set(a, "os_version", json_string(c->os_version)) |
            set(a, "manufacturer", json_string(c->manufacturer)) |
            set(a, "device", json_string(c->device)) |
            set(a, "platform", json_string(c->platform)) |
            set(a, "session_id", json_string(ps->st.session_id)) |
            set(a, "session_num", json_integer(ps->st.session_num));
  if (c->build) bad |= set(a, "build", json_string(c->build));
  if (c->engine_version) bad |= set(a, "engine_version", json_string(c->engine_version));
  static const char *const dims[3] = {"custom_01", "custom_02", "custom_03"};
  for (int i = 0; i < 3; i++)
    if (ps->custom[i]) bad |= set(a, dims[i], json_string(ps->custom[i]));
  if (bad) {
    json_decref(a);
    return NULL;
  }
  return a;
}

/* Writes the validator's findings into notes. */
static void note_violations(playstat *ps, ps_sdk_notes *notes, const char *category,
                            const ps_violations *v) {
  for (size_t i = 0; i < v->count && i < 4; i++)
    ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN, "%s event not recorded: %s: %s",
                category ? category : "an", v->items[i].field, v->items[i].message);
}

/* Records in the journal, or bytes in its active file, after which the library's thread is
 * asked to move them into the database (otherwise it moves at each flush interval). */
#define MOVE_RECORDS 1024
#define MOVE_BYTES (512u * 1024)

PS_SDK_HOT static uint64_t sum(const uint64_t v[PS_SDK_PRIORITIES], int upto) {
  uint64_t t = 0;
  for (int p = 0; p <= upto && p < PS_SDK_PRIORITIES; p++) t += v[p];
  return t;
}

/* Bytes queued (database, journal, this call) at priorities 0..upto. Under lock. */
PS_SDK_HOT static uint64_t queued_upto(const playstat *ps, int upto) {
  return sum(ps->db_bytes, upto) + sum(ps->journal_bytes, upto) + sum(ps->call.bytes, upto);
}

int ps_sdk_journal_item(playstat *ps, int type, int64_t number, const char *a, const char *b) {
  return ps_jrec_add(&ps->rec, type, number, a, a ? strlen(a) : 0, b, b ? strlen(b) : 0) == PS_OK
             ? PLAYSTAT_OK
             : PLAYSTAT_E_NOMEM;
}

/* Whether an event of len bytes fits the bound (possibly by evicting lower ones as it is
 * moved); *priority gets its priority. PLAYSTAT_OK or PLAYSTAT_E_FULL. Under lock. */
PS_SDK_HOT static int admissible(playstat *ps, const char *category, size_t len, int *priority,
                      ps_sdk_notes *notes) {
  *priority = ps_sdk_category_priority(category);
  uint64_t max = ps->cfg.c.max_queue_bytes;
  uint64_t total = queued_upto(ps, PS_SDK_PRIORITIES - 1);
  /* Evicting every event at or below this one's priority must make room, or it is refused
   * (queue_db.h: an event never pushes out a more valuable one). */
  if (len > max || (total + len > max && total - queued_upto(ps, *priority) + len > max)) {
    ps->stats.events_dropped++;
    ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN,
                "queue at its bound of %" PRIu64 " bytes and full of events worth more: "
                "this %s event was dropped", max, category);
    return PLAYSTAT_E_FULL;
  }
  return PLAYSTAT_OK;
}

/* Counts an event the call's record now holds. */
PS_SDK_HOT static void admitted(playstat *ps, const char *category, int priority, size_t len) {
  ps->call.events++;
  ps->call.bytes[priority] += len;
  if (strcmp(category, "user") == 0 || strcmp(category, "session_end") == 0)
    ps->call.flush = 1; /* a session's edges go at once */
}

/* Admits the event whose JSON text is in ps->text (bound, journal item). Under lock. */
static int admit(playstat *ps, const char *category, int64_t client_ts, ps_sdk_notes *notes) {
  size_t len = ps->text.len;
  int priority;
  int rc = admissible(ps, category, len, &priority, notes);
  if (rc != PLAYSTAT_OK) return rc;
  if (ps_jrec_add(&ps->rec, PS_JI_EVENT, client_ts, category, strlen(category), ps->text.data,
                  len) != PS_OK)
    return PLAYSTAT_E_NOMEM;
  admitted(ps, category, priority, len);
  return PLAYSTAT_OK;
}

static int text_status(int rc) { return rc == PS_ENOMEM ? PLAYSTAT_E_NOMEM : PLAYSTAT_E_INVALID; }

int ps_sdk_queue_locked(playstat *ps, json_t *event, ps_sdk_notes *notes) {
  if (ps->disabled) return PLAYSTAT_E_DISABLED;
  ps_violations violations;
  const char *category = NULL;
  if (ps_schema_validate_event(ps->schemas, event, &violations, &category) != 0) {
    note_violations(ps, notes, json_string_value(json_object_get(event, "category")), &violations);
    return PLAYSTAT_E_INVALID;
  }
  ps_buf_reset(&ps->text);
  int rc = ps_sdk_json_append(&ps->text, event);
  if (rc != PS_OK) return text_status(rc);
  return admit(ps, category, (int64_t)json_integer_value(json_object_get(event, "client_ts")), notes);
}

void ps_sdk_annotations_changed(playstat *ps) { ps->annotations_dirty = 1; }

/* Rebuilds the cached annotations and validates them as a whole event would be. */
static int refresh_annotations(playstat *ps, ps_sdk_notes *notes) {
  json_t *a = ps_sdk_annotations_locked(ps);
  json_t *probe = a ? json_deep_copy(a) : NULL;
  int rc = probe ? PLAYSTAT_OK : PLAYSTAT_E_NOMEM;
  if (rc == PLAYSTAT_OK && (set(probe, "category", json_string("user")) |
                            set(probe, "client_ts", json_integer(ps_sdk_client_ts(ps)))))
    rc = PLAYSTAT_E_NOMEM;
  if (rc == PLAYSTAT_OK) {
    ps_violations v;
    if (ps_schema_validate_event(ps->schemas, probe, &v, NULL) != 0) {
      note_violations(ps, notes, "an", &v);
      rc = PLAYSTAT_E_INVALID;
    }
  }
  if (rc == PLAYSTAT_OK) {
    ps_buf_reset(&ps->annotations_text);
    int t = ps_sdk_json_append_members(&ps->annotations_text, a);
    if (t != PS_OK) rc = text_status(t);
  }
  json_decref(probe);
  if (rc != PLAYSTAT_OK) {
    json_decref(a);
    return rc;
  }
  json_decref(ps->annotations);
  ps->annotations = a;
  ps->annotations_dirty = 0;
  return PLAYSTAT_OK;
}

/* What every recorded call starts with: an open session, an enabled game, current
 * annotations, the event's uuid and client_ts. Returns PLAYSTAT_OK or the call's status. */
PS_SDK_HOT static int begin_record(playstat *ps, ps_sdk_notes *notes, char uuid[37], int64_t *ts) {
  if (!ps->st.session_open) return PLAYSTAT_E_NO_SESSION;
  if (ps->disabled) return PLAYSTAT_E_DISABLED;
  int rc = PLAYSTAT_OK;
  if ((ps->annotations_dirty || !ps->annotations) && (rc = refresh_annotations(ps, notes)) != PLAYSTAT_OK)
    return rc;
  *ts = ps_sdk_client_ts(ps);
  return ps_sdk_uuid(&ps->uuids, uuid) == PS_OK ? PLAYSTAT_OK : PLAYSTAT_E_NOMEM;
}

int ps_sdk_record_locked(playstat *ps, json_t *event, ps_sdk_notes *notes) {
  char uuid[37];
  int64_t ts = 0;
  int rc = begin_record(ps, notes, uuid, &ts);
  if (rc != PLAYSTAT_OK) return rc;
  if (set(event, "event_uuid", json_string(uuid)) | set(event, "client_ts", json_integer(ts)))
    return PLAYSTAT_E_NOMEM;
  ps_violations violations;
  const char *category = NULL;
  size_t bad = ps_schema_validate_event(ps->own_schemas, event, &violations, &category);
  if (!category) { /* no own schema for this category: validate it whole (event_text.h) */
    if (json_object_update_missing(event, ps->annotations)) return PLAYSTAT_E_NOMEM;
    return ps_sdk_queue_locked(ps, event, notes);
  }
  if (bad) {
    note_violations(ps, notes, category, &violations);
    return PLAYSTAT_E_INVALID;
  }
  ps_buf_reset(&ps->text);
  int t = ps_buf_append(&ps->text, "{", 1);
  if (t == PS_OK) t = ps_sdk_json_append_members(&ps->text, event);
  if (t == PS_OK) t = ps_buf_append(&ps->text, ",", 1);
  if (t == PS_OK) t = ps_buf_append(&ps->text, ps->annotations_text.data, ps->annotations_text.len);
  if (t == PS_OK) t = ps_buf_append(&ps->text, "}", 1);
  if (t != PS_OK) return text_status(t);
  return admit(ps, category, ts, notes);
}

/* Appends {members,"event_uuid":uuid,"client_ts":ts} to t. PS_OK or PS_ENOMEM. */
PS_SDK_HOT static int write_own_members(ps_buf *t, const char *members, size_t len, const char uuid[37],
                             int64_t ts, size_t annotations_len) {
  int w = ps_buf_reserve(t, len + annotations_len + 96);
  if (w == PS_OK) w = ps_buf_append(t, "{", 1);
  if (w == PS_OK) w = ps_buf_append(t, members, len);
  if (w == PS_OK) w = ps_buf_append(t, ",\"event_uuid\":\"", 15);
  if (w == PS_OK) w = ps_buf_append(t, uuid, 36);
  if (w == PS_OK) w = ps_buf_append(t, "\",\"client_ts\":", 14);
  if (w == PS_OK) w = ps_buf_append_json_number(t, (double)ts);
  if (w == PS_OK) w = ps_buf_append(t, "}", 1);
  return w;
}

/* Adds the annotations to the valid event that ends t (its closing brace). */
PS_SDK_HOT static int annotate_text(playstat *ps, ps_buf *t) {
  t->len--; /* the closing brace: the annotations follow */
  int w = ps_buf_append(t, ",", 1);
  if (w == PS_OK) w = ps_buf_append(t, ps->annotations_text.data, ps->annotations_text.len);
  if (w == PS_OK) w = ps_buf_append(t, "}", 1);
  return w;
}

/* The event text-built in the call's record (ps_jrec_open at `at`, its JSON from b on),
 * validated: annotated, admitted, and its item closed; or cut again. */
PS_SDK_HOT static int admit_in_record(playstat *ps, const char *category, size_t at, size_t b,
                           ps_sdk_notes *notes) {
  ps_buf *r = &ps->rec.buf;
  int priority;
  int rc = annotate_text(ps, r) == PS_OK ? PLAYSTAT_OK : PLAYSTAT_E_NOMEM;
  if (rc == PLAYSTAT_OK) rc = admissible(ps, category, r->len - b, &priority, notes);
  if (rc != PLAYSTAT_OK) {
    ps_jrec_cut(&ps->rec, at);
    return rc;
  }
  admitted(ps, category, priority, r->len - b);
  ps_jrec_close(&ps->rec, at);
  return PLAYSTAT_OK;
}

PS_SDK_HOT int ps_sdk_record_members_locked(playstat *ps, const char *members, size_t len,
                                 const ps_sdk_field *fields, size_t nfields, ps_sdk_notes *notes) {
  char uuid[37];
  int64_t ts = 0;
  int rc = begin_record(ps, notes, uuid, &ts);
  if (rc != PLAYSTAT_OK) return rc;
  /* The event's JSON goes straight into the call's record, as the b of its item: the
   * category's name for a starts the text ("category":"design",...): fields[0] when given,
   * else read from the members below. */
  const char *category = fields && nfields ? fields[0].s : NULL;
  size_t at, clen = category ? strlen(category) : 0;
  if (ps_jrec_open(&ps->rec, PS_JI_EVENT, ts, category, clen, &at) != PS_OK) return PLAYSTAT_E_NOMEM;
  size_t b = ps_jrec_b_offset(at, clen);
  if (write_own_members(&ps->rec.buf, members, len, uuid, ts, ps->annotations_text.len) != PS_OK) {
    ps_jrec_cut(&ps->rec, at);
    return PLAYSTAT_E_NOMEM;
  }
  /* the library's own event_uuid and an already checked client_ts need not be matched again
   * (event_text.h): the verdict is the same */
  int fast = ps->fast_schemas && ts == ps->ts_checked && ts != 0;
  if (fast && category && /* fields[0]: the category (field_check.h: never lenient) */
      ps_sdk_fields_valid(&ps->checker, ps->fast_schemas, category, fields, nfields))
    return admit_in_record(ps, category, at, b, notes);
  /* the full way: the text read back from the record, whose copy ps->text then holds (the
   * record's buffer may move as the annotations are added) */
  ps_buf *t = &ps->text;
  ps_buf_reset(t);
  rc = ps_buf_append(t, ps->rec.buf.data + b, ps->rec.buf.len - b) == PS_OK ? PLAYSTAT_OK : PLAYSTAT_E_NOMEM;
  ps_jrec_cut(&ps->rec, at);
  if (rc != PLAYSTAT_OK) return rc;
  if (ps_json_doc_parse(&ps->own_doc, t->data, t->len, NULL, 0) != PS_OK) return PLAYSTAT_E_NOMEM;
  ps_violations violations;
  const char *valid_category = NULL;
  size_t bad = ps_schema_validate_doc(fast ? ps->fast_schemas : ps->own_schemas, &ps->own_doc, 0,
                                      &violations, &valid_category);
  if (!fast && valid_category && !bad) ps->ts_checked = ts;
  if (!valid_category) { /* no own schema for this category: the jansson way (event_text.h) */
    json_t *event = NULL; /* not jansson's reader: it asserts when out of memory (docs/sdk.md) */
    if (ps_json_parse(t->data, t->len, 0, &event, NULL, 0) != PS_OK) return PLAYSTAT_E_NOMEM;
    json_object_del(event, "event_uuid");
    json_object_del(event, "client_ts");
    rc = ps_sdk_record_locked(ps, event, notes);
    json_decref(event);
    return rc;
  }
  if (bad) {
    note_violations(ps, notes, valid_category, &violations);
    return PLAYSTAT_E_INVALID;
  }
  if (annotate_text(ps, t) != PS_OK) return PLAYSTAT_E_NOMEM;
  return admit(ps, valid_category, ts, notes);
}

/* Restores what the failed call changed in memory. */
static void roll_back(playstat *ps, const ps_sdk_counters *saved) {
  ps->st = *saved;
  ps->annotations_dirty = 1;
  while (ps->call.undo_count) {
    ps->call.undo_count--;
    ps->attempts[ps->call.undo[ps->call.undo_count].index].attempts =
        ps->call.undo[ps->call.undo_count].attempts;
  }
}

PS_SDK_HOT int ps_sdk_transaction_locked(playstat *ps, ps_sdk_locked_fn fn, void *ctx, ps_sdk_notes *notes) {
  ps_sdk_counters saved = ps->st;
  memset(&ps->call, 0, sizeof ps->call);
  int rc = ps_jrec_reset(&ps->rec) == PS_OK ? PLAYSTAT_OK : PLAYSTAT_E_NOMEM;
  if (rc == PLAYSTAT_OK) rc = fn(ps, ctx, notes);
  if (rc == PLAYSTAT_OK && ps->rec.items) {
    int w = ps_journal_append(ps->journal, ps->next_seq, &ps->rec);
    ps->next_seq++; /* never reused, whatever happened (journal.h) */
    if (w == PS_EIO || w < 0) {
      ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_ERROR,
                  "journal: cannot append a record (disk full?): nothing was recorded");
      rc = PLAYSTAT_E_STORAGE;
    } else {
      if (w == 1)
        ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN,
                    "journal: msync failed: this call may not survive a power loss");
      ps->journal_records++;
      ps->journal_events += ps->call.events;
      for (int p = 0; p < PS_SDK_PRIORITIES; p++) ps->journal_bytes[p] += ps->call.bytes[p];
      ps->stats.events_recorded += ps->call.events;
      int wake = 0;
      if (ps->call.flush && !ps->flush_requested) wake = ps->flush_requested = ps->move_requested = 1;
      if (!ps->move_requested && (ps->journal_records >= MOVE_RECORDS ||
                                  ps_journal_active_bytes(ps->journal) >= MOVE_BYTES))
        wake = ps->move_requested = 1;
      if (wake) pthread_cond_signal(&ps->wake);
    }
  }
  if (rc != PLAYSTAT_OK) roll_back(ps, &saved);
  return rc;
}

PS_SDK_HOT int ps_sdk_transaction(playstat *ps, ps_sdk_locked_fn fn, void *ctx) {
  if (!ps) return PLAYSTAT_E_ARG;
  ps_sdk_notes notes; /* only count is read before a line is written (log.h) */
  notes.count = 0;
  pthread_mutex_lock(&ps->lock);
  int rc = ps_sdk_transaction_locked(ps, fn, ctx, &notes);
  pthread_mutex_unlock(&ps->lock);
  ps_sdk_notes_emit(&ps->cfg.c, &notes);
  return rc;
}

typedef struct submission {
  json_t *event;
  ps_sdk_prepare_fn prepare;
  void *ctx;
} submission;

static int submit_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  submission *s = ctx;
  int rc = s->prepare ? s->prepare(ps, s->event, s->ctx, notes) : PLAYSTAT_OK;
  return rc == PLAYSTAT_OK ? ps_sdk_record_locked(ps, s->event, notes) : rc;
}

int ps_sdk_submit(playstat *ps, json_t *event, ps_sdk_prepare_fn prepare, void *ctx) {
  submission s = {.event = event, .prepare = prepare, .ctx = ctx};
  return ps_sdk_transaction(ps, submit_locked, &s);
}

/* Checks that the configured annotations pass the collector's shared schema, with a made-up
 * session, so that a wrong platform fails playstat_create instead of every event. */
static int check_annotations(playstat *ps, ps_sdk_notes *notes) {
  ps_sdk_counters saved = ps->st;
  snprintf(ps->st.session_id, sizeof ps->st.session_id, "00000000-0000-4000-8000-000000000000");
  ps->st.session_num = 1;
  json_t *event = ps_sdk_annotations_locked(ps);
  ps->st = saved;
  if (!event) return PLAYSTAT_E_NOMEM;
  int rc = PLAYSTAT_OK;
  if (set(event, "category", json_string("user")) |
      set(event, "client_ts", json_integer(ps_sdk_client_ts(ps)))) {
    rc = PLAYSTAT_E_NOMEM;
  } else {
    ps_violations v;
    if (ps_schema_validate_event(ps->schemas, event, &v, NULL) != 0) {
      note_violations(ps, notes, "configuration: every", &v);
      rc = PLAYSTAT_E_CONFIG;
    }
  }
  json_decref(event);
  return rc;
}

/* The user id: configured, else kept in the database, else made now and kept. */
static int load_user_id(playstat *ps) {
  if (ps->cfg.c.user_id) {
    snprintf(ps->user_id, sizeof ps->user_id, "%s", ps->cfg.c.user_id);
    return PLAYSTAT_OK;
  }
  int found = ps_qdb_state_get(ps->db, "user_id", ps->user_id, sizeof ps->user_id);
  if (found < 0) return ps_sdk_status_of(found);
  if (found) return PLAYSTAT_OK;
  if (ps_random_uuid_v4(ps->user_id) != PS_OK) return PLAYSTAT_E_NOMEM;
  return ps_sdk_status_of(ps_qdb_state_set(ps->db, "user_id", ps->user_id));
}

/* WAL pages after which the library's thread checkpoints (SQLite's own default) */
#define LOG_CHECKPOINT_FRAMES 1000

/* From a commit of the library thread's connection (so no lock is needed to wake it: it
 * checks the flag before it next waits). */
static void request_checkpoint(void *arg) {
  playstat *ps = arg;
  atomic_store(&ps->checkpoint_requested, 1);
}

static void handle_free(playstat *ps) {
  ps_journal_close(ps->journal);
  ps_jrec_free(&ps->rec);
  ps_buf_free(&ps->move_buf);
  ps_buf_free(&ps->text);
  ps_buf_free(&ps->members);
  ps_json_doc_free(&ps->own_doc);
  ps_sdk_field_checker_release(&ps->checker);
  ps_buf_free(&ps->annotations_text);
  json_decref(ps->annotations);
  ps_schema_set_free(ps->own_schemas);
  ps_schema_set_free(ps->fast_schemas);
  ps_qdb_close(ps->reader);
  ps_qdb_close(ps->db);
  ps_schema_set_free(ps->schemas);
  for (int i = 0; i < 3; i++) free(ps->custom[i]);
  ps_sdk_attempts_free(ps);
  ps_sdk_metrics_free(&ps->metrics);
  pthread_cond_destroy(&ps->wake);
  pthread_mutex_destroy(&ps->lock);
  pthread_mutex_destroy(&ps->db_lock);
  ps_sdk_config_free(&ps->cfg);
  free(ps);
  curl_global_cleanup();
}

/* The integer kept under key (0 when missing). */
static int load_integer(playstat *ps, const char *key, int64_t *out) {
  char text[32];
  int found = ps_qdb_state_get(ps->db, key, text, sizeof text);
  if (found < 0) return ps_sdk_status_of(found);
  *out = found ? strtoll(text, NULL, 10) : 0;
  return PLAYSTAT_OK;
}

/* The in-memory state from the database (after the journal was moved in). */
static int load_state(playstat *ps) {
  int64_t disabled = 0;
  int rc = load_user_id(ps);
  if (rc == PLAYSTAT_OK) rc = load_integer(ps, "session_num", &ps->st.session_num);
  if (rc == PLAYSTAT_OK) rc = load_integer(ps, "transaction_num", &ps->st.transaction_num);
  if (rc == PLAYSTAT_OK) rc = load_integer(ps, "clock_offset", &ps->clock_offset_s);
  if (rc == PLAYSTAT_OK) rc = load_integer(ps, "disabled", &disabled);
  if (rc == PLAYSTAT_OK) {
    int found = ps_qdb_state_get(ps->db, "progression_ongoing", ps->st.ongoing, sizeof ps->st.ongoing);
    if (found < 0) rc = ps_sdk_status_of(found);
  }
  if (rc == PLAYSTAT_OK) rc = ps_sdk_attempts_load(ps);
  ps->disabled = disabled != 0;
  ps->db_events = ps_qdb_queued_events(ps->db);
  for (int p = 0; p < PS_SDK_PRIORITIES; p++) ps->db_bytes[p] = ps_qdb_queued_bytes_at(ps->db, p);
  return rc;
}

static int recover_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  (void)ctx;
  return ps_sdk_session_recover_locked(ps, notes);
}

int playstat_create(const playstat_config *cfg, playstat **out) {
  if (!out) return PLAYSTAT_E_ARG;
  *out = NULL;
  if (!cfg) return PLAYSTAT_E_ARG;
  char why[512];
  ps_sdk_config copy;
  int rc = ps_sdk_config_copy(cfg, &copy, why, sizeof why);
  if (rc != PLAYSTAT_OK) {
    ps_sdk_log(cfg, PLAYSTAT_LOG_ERROR, "%s", why);
    return rc;
  }
  /* libcurl >= 7.84 makes this thread-safe and counts the calls: it holds no state of ours. */
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    ps_sdk_config_free(&copy);
    return PLAYSTAT_E_NOMEM;
  }
  playstat *ps = calloc(1, sizeof *ps);
  if (!ps) {
    ps_sdk_config_free(&copy);
    curl_global_cleanup();
    return PLAYSTAT_E_NOMEM;
  }
  ps->cfg = copy;
  ps_json_doc_init(&ps->own_doc, PS_JSON_DOC_ALLOW_NUL);
  ps_sdk_field_checker_init(&ps->checker);
  /* The config's copies of strings that point into cfg itself must follow the move. */
  if (ps->cfg.c.os_version == copy.os_version_default) ps->cfg.c.os_version = ps->cfg.os_version_default;
  pthread_mutex_init(&ps->lock, NULL);
  pthread_mutex_init(&ps->db_lock, NULL);
  pthread_cond_init(&ps->wake, NULL);
  atomic_store(&ps->abort_at_ms, 0);
  atomic_store(&ps->checkpoint_requested, 0);
  const playstat_config *c = &ps->cfg.c;
  const char *dims[3] = {c->custom_01, c->custom_02, c->custom_03};
  for (int i = 0; i < 3; i++) {
    if (dims[i] && !(ps->custom[i] = strdup(dims[i]))) {
      handle_free(ps);
      return PLAYSTAT_E_NOMEM;
    }
  }
  if (ps_schema_set_create_embedded(&ps->schemas, why, sizeof why) != PS_OK ||
      ps_sdk_own_schemas_create2(&ps->own_schemas, &ps->fast_schemas, why, sizeof why) != PS_OK) {
    ps_sdk_log(c, PLAYSTAT_LOG_ERROR, "schemas: %s", why);
    handle_free(ps);
    return PLAYSTAT_E_NOMEM;
  }
  rc = ps_qdb_open(c->database_path, c->durable_sync, &ps->db, why, sizeof why);
  if (rc == PS_OK) rc = ps_qdb_open_reader(c->database_path, &ps->reader, why, sizeof why);
  if (rc == PS_OK) rc = ps_journal_open(c->database_path, c->durable_sync, &ps->journal, why, sizeof why);
  if (rc != PS_OK) {
    ps_sdk_log(c, PLAYSTAT_LOG_ERROR, "%s", why);
    handle_free(ps);
    return ps_sdk_status_of(rc);
  }
  ps_qdb_on_log_growth(ps->db, LOG_CHECKPOINT_FRAMES, request_checkpoint, ps);
  ps_sdk_notes notes = {.count = 0};
  /* No thread runs yet: the locks are taken for form's sake (and the helpers' contracts). */
  pthread_mutex_lock(&ps->db_lock);
  rc = ps_sdk_journal_recover(ps, &notes);
  if (rc == PLAYSTAT_OK) rc = load_state(ps);
  pthread_mutex_lock(&ps->lock);
  if (rc == PLAYSTAT_OK) rc = check_annotations(ps, &notes);
  if (rc == PLAYSTAT_OK) rc = ps_sdk_transaction_locked(ps, recover_locked, NULL, &notes);
  pthread_mutex_unlock(&ps->lock);
  pthread_mutex_unlock(&ps->db_lock);
  ps_sdk_notes_emit(c, &notes);
  if (ps->disabled && rc == PLAYSTAT_OK)
    ps_sdk_log(c, PLAYSTAT_LOG_WARN, "the collector disabled this game at the last init "
               "(enabled: false): nothing is recorded nor sent until an init enables it");
  if (rc == PLAYSTAT_OK && pthread_create(&ps->thread, NULL, ps_sdk_sender_main, ps) != 0)
    rc = PLAYSTAT_E_NOMEM;
  if (rc != PLAYSTAT_OK) {
    handle_free(ps);
    return rc;
  }
  ps->thread_started = 1;
  *out = ps;
  return PLAYSTAT_OK;
}

static int end_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  (void)ctx;
  return ps_sdk_session_end_locked(ps, notes);
}

int playstat_shutdown(playstat *ps) {
  if (!ps) return PLAYSTAT_E_ARG;
  playstat_metrics_end(ps); /* PLAYSTAT_E_STATE when none is open: nothing to end */
  ps_sdk_notes notes = {.count = 0};
  pthread_mutex_lock(&ps->lock);
  if (ps->st.session_open) /* on failure the session row stays: the next launch ends it */
    ps_sdk_transaction_locked(ps, end_locked, NULL, &notes);
  ps->stopping = 1;
  atomic_store(&ps->abort_at_ms, ps_now_ms() + (int64_t)ps->cfg.c.shutdown_timeout_ms);
  pthread_cond_signal(&ps->wake);
  pthread_mutex_unlock(&ps->lock);
  ps_sdk_notes_emit(&ps->cfg.c, &notes);
  if (ps->thread_started) pthread_join(ps->thread, NULL);
  /* The thread moved the journal before its last flush; move what a failure left. */
  if (ps_sdk_journal_move(ps, &notes) != PS_OK)
    ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_WARN,
               "shutdown: the journal stays for the next launch to move (%s)", ps_qdb_errmsg(ps->db));
  ps_sdk_notes_emit(&ps->cfg.c, &notes);
  uint64_t left = ps->db_events + ps->journal_events;
  if (left)
    ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_INFO,
               "shutdown: %llu event(s) stay queued and will be sent on the next launch",
               (unsigned long long)left);
  handle_free(ps);
  return left ? PLAYSTAT_E_PENDING : PLAYSTAT_OK;
}

int playstat_flush(playstat *ps) {
  if (!ps) return PLAYSTAT_E_ARG;
  pthread_mutex_lock(&ps->lock);
  ps->flush_requested = 1;
  pthread_cond_signal(&ps->wake);
  pthread_mutex_unlock(&ps->lock);
  return PLAYSTAT_OK;
}

int playstat_get_stats(playstat *ps, playstat_stats *out) {
  if (!ps || !out) return PLAYSTAT_E_ARG;
  /* Moving the journal first makes the totals exact (what the bound evicted is known only
   * once the events are in the database); it costs this call a transaction, not an event
   * call. */
  ps_sdk_notes notes = {.count = 0};
  pthread_mutex_lock(&ps->db_lock);
  ps_sdk_journal_move(ps, &notes);
  pthread_mutex_unlock(&ps->db_lock);
  ps_sdk_notes_emit(&ps->cfg.c, &notes);
  pthread_mutex_lock(&ps->lock);
  *out = ps->stats;
  out->queued_events = ps->db_events + ps->journal_events;
  out->queued_bytes = sum(ps->db_bytes, PS_SDK_PRIORITIES - 1) +
                      sum(ps->journal_bytes, PS_SDK_PRIORITIES - 1);
  pthread_mutex_unlock(&ps->lock);
  return PLAYSTAT_OK;
}

typedef struct dimension_change {
  int index;
  char *value; /* in: the new value; out: the one to free (the replaced one, or the new one) */
  int swapped; /* value holds the replaced one */
} dimension_change;

/* Sets the dimension and writes it into the open session's row; on failure nothing changes. */
static int set_dimension_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  (void)notes;
  dimension_change *d = ctx;
  char *old = ps->custom[d->index - 1];
  ps->custom[d->index - 1] = d->value;
  ps_sdk_annotations_changed(ps);
  int rc = ps_sdk_session_annotate_locked(ps);
  if (rc != PLAYSTAT_OK) {
    ps->custom[d->index - 1] = old;
    return rc;
  }
  d->value = old;
  d->swapped = 1;
  return PLAYSTAT_OK;
}

int playstat_set_custom_dimension(playstat *ps, int index, const char *value) {
  if (!ps || index < 1 || index > 3) return PLAYSTAT_E_ARG;
  dimension_change d = {.index = index, .value = NULL};
  if (value && !(d.value = strdup(value))) return PLAYSTAT_E_NOMEM;
  int rc = ps_sdk_transaction(ps, set_dimension_locked, &d);
  if (rc != PLAYSTAT_OK && d.swapped) { /* the record was not written: put the old one back */
    pthread_mutex_lock(&ps->lock);
    char *mine = ps->custom[index - 1];
    ps->custom[index - 1] = d.value;
    ps_sdk_annotations_changed(ps);
    d.value = mine;
    pthread_mutex_unlock(&ps->lock);
  }
  free(d.value);
  return rc;
}
