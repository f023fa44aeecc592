/*
 * session.c: GameAnalytics sessions (seed: "User (session start)", "Session end").
 *
 *  - start: session_num + 1 (kept in the database), a fresh session id, the user event first;
 *    the session is written to the session table with its start time and annotations;
 *  - every recorded event (its client_ts, when the library's thread moves it into the
 *    database), and the library's thread at each flush interval, move the session's
 *    last-activity time forward (mover.c, sender.c);
 *  - end: session_end with length = now - start, and the session row is deleted;
 *  - a custom dimension set during the session rewrites the row's annotations, so that they
 *    are always those of the session's last event (the seed's last_event_default_annotations);
 *  - launch: a session row still there was never ended (crash, kill, power loss): its
 *    session_end is queued with length = last activity - start and the session's last
 *    annotations, so each session gets exactly one session_end.
 * Every change to the session table goes through the call's journal record (journal.h) with
 * the events of the call, so a session's user event, its row and session_num are recorded
 * together or not at all.
 * Times are corrected unix seconds (client.h); lengths are clamped to the schema's 0..172800.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/json_parse.h"
#include "common/random.h"
#include "sdk/client.h"

#define MAX_SESSION_LENGTH 172800

static int64_t clamp_length(int64_t seconds) {
  return seconds < 0 ? 0 : seconds > MAX_SESSION_LENGTH ? MAX_SESSION_LENGTH : seconds;
}

int ps_sdk_session_end_locked(playstat *ps, ps_sdk_notes *notes) {
  if (!ps->st.session_open) return PLAYSTAT_E_NO_SESSION;
  json_t *event = json_object();
  if (!event) return PLAYSTAT_E_NOMEM;
  int64_t length = clamp_length(ps_sdk_client_ts(ps) - ps->st.session_start_ts);
  int rc = json_object_set_new(event, "category", json_string("session_end")) |
                   json_object_set_new(event, "length", json_integer(length))
               ? PLAYSTAT_E_NOMEM
               : ps_sdk_record_locked(ps, event, notes);
  json_decref(event);
  if (rc == PLAYSTAT_OK) rc = ps_sdk_journal_item(ps, PS_JI_CLEAR, 0, NULL, NULL);
  if (rc == PLAYSTAT_OK) ps->st.session_open = 0;
  return rc;
}

/* The open session's default annotations as JSON text (malloc'd), or NULL (out of memory). */
static char *annotations_text(const playstat *ps) {
  json_t *annotations = ps_sdk_annotations_locked(ps);
  char *text = annotations ? json_dumps(annotations, JSON_COMPACT) : NULL;
  json_decref(annotations);
  return text;
}

int ps_sdk_session_annotate_locked(playstat *ps) {
  if (!ps->st.session_open) return PLAYSTAT_OK;
  char *text = annotations_text(ps);
  if (!text) return PLAYSTAT_E_NOMEM;
  int rc = ps_sdk_journal_item(ps, PS_JI_ANNOTATE, 0, NULL, text);
  free(text);
  return rc;
}

int ps_sdk_session_start_locked(playstat *ps, ps_sdk_notes *notes) {
  int rc = PLAYSTAT_OK;
  if (ps->disabled) return PLAYSTAT_E_DISABLED;
  if (ps->st.session_open && (rc = ps_sdk_session_end_locked(ps, notes)) != PLAYSTAT_OK) return rc;
  char sid[37], num[24];
  if (ps_random_uuid_v4(sid) != PS_OK) return PLAYSTAT_E_NOMEM;
  memcpy(ps->st.session_id, sid, sizeof sid);
  ps->st.session_num++;
  snprintf(num, sizeof num, "%lld", (long long)ps->st.session_num);
  ps->st.session_start_ts = ps_sdk_client_ts(ps);
  ps->st.session_open = 1;
  ps_sdk_annotations_changed(ps);
  char *text = annotations_text(ps);
  json_t *user = json_object();
  if (!text || !user || json_object_set_new(user, "category", json_string("user")))
    rc = PLAYSTAT_E_NOMEM;
  if (rc == PLAYSTAT_OK) rc = ps_sdk_journal_item(ps, PS_JI_STATE, 0, "session_num", num);
  if (rc == PLAYSTAT_OK)
    rc = ps_sdk_journal_item(ps, PS_JI_SESSION, ps->st.session_start_ts, sid, text);
  if (rc == PLAYSTAT_OK) rc = ps_sdk_record_locked(ps, user, notes);
  /* on failure the caller restores the counters (session_num, the open session) */
  json_decref(user);
  free(text);
  return rc;
}

int ps_sdk_session_recover_locked(playstat *ps, ps_sdk_notes *notes) {
  char sid[37];
  int64_t start_ts = 0, last_ts = 0;
  char *annotations = NULL;
  int found = ps_qdb_session_get(ps->db, sid, &start_ts, &last_ts, &annotations);
  if (found <= 0) return ps_sdk_status_of(found);
  json_t *event = NULL;
  int parsed = ps_json_parse(annotations, strlen(annotations), 0, &event, NULL, 0);
  free(annotations);
  if (parsed == PS_ENOMEM) return PLAYSTAT_E_NOMEM; /* the row stays: the next launch retries */
  int rc = PLAYSTAT_OK;
  char uuid[37];
  int64_t length = clamp_length(last_ts - start_ts);
  if (!json_is_object(event)) {
    ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_WARN,
                "the session left open by the last launch has unreadable annotations; "
                "it gets no session_end");
  } else if (ps_random_uuid_v4(uuid) != PS_OK ||
             json_object_set_new(event, "category", json_string("session_end")) |
                 json_object_set_new(event, "length", json_integer(length)) |
                 json_object_set_new(event, "client_ts", json_integer(last_ts)) |
                 json_object_set_new(event, "event_uuid", json_string(uuid))) {
    rc = PLAYSTAT_E_NOMEM;
  } else {
    rc = ps_sdk_queue_locked(ps, event, notes);
    if (rc == PLAYSTAT_OK)
      ps_sdk_note(&ps->cfg.c, notes, PLAYSTAT_LOG_INFO,
                  "the last launch did not end session %s: session_end queued, length %lld s",
                  sid, (long long)length);
    if (rc == PLAYSTAT_E_INVALID || rc == PLAYSTAT_E_FULL || rc == PLAYSTAT_E_DISABLED)
      rc = PLAYSTAT_OK; /* noted (or the collector wants none); give up */
  }
  json_decref(event);
  if (rc == PLAYSTAT_OK) rc = ps_sdk_journal_item(ps, PS_JI_CLEAR, 0, NULL, NULL);
  return rc;
}

static int start_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  return ps_sdk_session_start_locked(ps, notes);
}

static int end_locked(playstat *ps, void *ctx, ps_sdk_notes *notes) {
  return ps_sdk_session_end_locked(ps, notes);
}

int playstat_session_start(playstat *ps) { return ps_sdk_transaction(ps, start_locked, NULL); }

int playstat_session_end(playstat *ps) { return ps_sdk_transaction(ps, end_locked, NULL); }
