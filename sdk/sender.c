/*
 * sender.c: the library's thread. It calls init once per launch (server_ts corrects the
 * clock: offset = server_ts - local time, kept in the database for offline launches), sends
 * the queue every flush interval (and at once for a session's user and session_end events or
 * playstat_flush), sends the metrics-session requests and heartbeats, and keeps the open
 * session's last-activity time current so that a crash is ended with the right length.
 *
 * Events (delivery_policy.h decides): a batch of the oldest events, gzipped and signed
 * (Authorization: base64(HMAC-SHA256(secret key, gzipped body)), PROTOCOLS.md §1), is deleted
 * from the database only once the collector acknowledged it, so a crash at any point resends
 * it at worst, and the collector stores an event_uuid once. While the collector is unreachable
 * or refuses with 5xx/429, the thread backs off with jitter and honours Retry-After.
 *
 * Before each flush, and whenever the game's calls have journalled enough (client.c), the
 * thread moves the call journal into the database in one transaction (mover.c). It holds
 * db_lock for database work and the handle's lock only for a few instructions at a time, so
 * the game's event calls never wait for a send, a move, a checkpoint or a retry. It also
 * makes the random bytes of the calls' event_uuids ahead of them (event_text.h).
 *
 * enabled: false in the init answer (PROTOCOLS.md §1) disables the game: the thread logs it,
 * keeps it in the database, stops sending, and the game's calls record nothing
 * (PLAYSTAT_E_DISABLED); it asks init again with the retry backoff until an answer enables
 * the game again, which it logs too.
 *
 * On playstat_shutdown the thread stops waiting, sends the metrics requests still queued and
 * makes one more attempt at the queue, all cut off at the shutdown deadline (transport.h).
 */
#include <inttypes.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/hmac.h"
#include "common/buf.h"
#include "common/json_parse.h"
#include "common/errors.h"
#include "common/gzip.h"
#include "sdk/background.h"
#include "sdk/client.h"
#include "sdk/delivery_policy.h"

#define REQUEST_TIMEOUT_MS 30000

typedef struct sender {
  playstat *ps;
  ps_sdk_transport *transport;
  ps_sdk_answer_info answer;
  int initialized;        /* init answered (and enabled the game) this launch */
  unsigned attempt;       /* failed attempts in a row */
  int64_t retry_at_ms;    /* no events request before this */
  size_t batch_limit;     /* events per request (lowered after a 413) */
  unsigned rand_state;
  ps_buf json, gz;
} sender;

/* The collector's URL for path ("init", "events"). */
static void collector_url(const playstat_config *c, const char *path, char *out, size_t cap) {
  size_t n = strlen(c->base_url);
  while (n && c->base_url[n - 1] == '/') n--;
  snprintf(out, cap, "%.*s/v2/%s/%s", (int)n, c->base_url, c->game_key, path);
}

/* POSTs body signed with the secret key (gzip says whether body is gzipped). */
static int post_signed(sender *s, const char *path, const void *body, size_t len, int gzip,
                       int64_t deadline_ms) {
  const playstat_config *c = &s->ps->cfg.c;
  char url[2048], sig[PS_HMAC_BASE64_LEN + 1], auth[PS_HMAC_BASE64_LEN + 32];
  collector_url(c, path, url, sizeof url);
  if (ps_hmac_sha256_base64(c->secret_key, body, len, sig) != PS_OK) return PS_EIO;
  snprintf(auth, sizeof auth, "Authorization: %s", sig);
  const char *headers[] = {auth, "Content-Type: application/json",
                           gzip ? "Content-Encoding: gzip" : NULL, NULL};
  return ps_sdk_transport_post(s->transport, url, headers, body, len, deadline_ms, &s->answer);
}

/* Schedules the next attempt after a failure and logs it. */
static void back_off(sender *s, const char *what) {
  playstat *ps = s->ps;
  s->attempt++;
  double r = (double)rand_r(&s->rand_state) / ((double)RAND_MAX + 1.0);
  uint64_t wait = ps_sdk_backoff_ms(s->attempt, ps->cfg.c.retry_initial_ms, ps->cfg.c.retry_max_ms,
                                    r, s->answer.retry_after_s);
  s->retry_at_ms = ps_now_ms() + (int64_t)wait;
  pthread_mutex_lock(&ps->lock);
  ps->stats.send_failures++;
  pthread_mutex_unlock(&ps->lock);
  ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_WARN, "%s failed (%s%ld%s%.200s); retry %u in %" PRIu64 " ms",
             what, s->answer.status ? "status " : "", s->answer.status,
             s->answer.status ? ", " : "", s->answer.status ? s->answer.body.data ? s->answer.body.data : "" : s->answer.error,
             s->attempt, wait);
}

/* Records the init answer's verdict (under the locks, logged after). */
static void set_disabled(sender *s, int disabled) {
  playstat *ps = s->ps;
  pthread_mutex_lock(&ps->lock);
  int was = ps->disabled;
  ps->disabled = disabled;
  pthread_mutex_unlock(&ps->lock);
  if (was == disabled) return;
  pthread_mutex_lock(&ps->db_lock);
  ps_qdb_state_set(ps->db, "disabled", disabled ? "1" : "0");
  pthread_mutex_unlock(&ps->db_lock);
  if (disabled)
    ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_WARN,
               "the collector disabled this game (init answered enabled: false): nothing is "
               "recorded nor sent until an init enables it again");
  else
    ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_INFO,
               "the collector enabled this game (init): recording and sending again");
}

/* init: 1 when answered with a usable server_ts (the clock offset is then updated) and the
 * game enabled, 2 when the answer disables the game, else 0. */
static int send_init(sender *s, int64_t deadline_ms) {
  playstat *ps = s->ps;
  const playstat_config *c = &ps->cfg.c;
  char body[512];
  snprintf(body, sizeof body, "{\"platform\":\"%s\",\"os_version\":\"%s\",\"sdk_version\":\"%s\"}",
           c->platform, c->os_version, PS_SDK_SDK_VERSION);
  if (post_signed(s, "init", body, strlen(body), 0, deadline_ms) != PS_OK || s->answer.status != 200)
    return 0;
  json_t *doc = NULL;
  ps_json_parse(s->answer.body.data ? s->answer.body.data : "", s->answer.body.len, 0, &doc, NULL, 0);
  json_int_t server_ts = json_integer_value(json_object_get(doc, "server_ts"));
  int disabled = json_is_false(json_object_get(doc, "enabled"));
  json_decref(doc);
  if (server_ts <= 0) return 0;
  int64_t offset = (int64_t)server_ts - ps_now_ms() / 1000;
  char text[32];
  snprintf(text, sizeof text, "%lld", (long long)offset);
  pthread_mutex_lock(&ps->lock);
  ps->clock_offset_s = offset;
  pthread_mutex_unlock(&ps->lock);
  pthread_mutex_lock(&ps->db_lock);
  ps_qdb_state_set(ps->db, "clock_offset", text);
  pthread_mutex_unlock(&ps->db_lock);
  ps_sdk_log(c, PLAYSTAT_LOG_DEBUG, "init: server_ts %lld, clock offset %lld s%s",
             (long long)server_ts, (long long)offset, disabled ? ", enabled: false" : "");
  set_disabled(s, disabled);
  return disabled ? 2 : 1;
}

/* Logs the reasons of a 400 and returns how many events it names (all k when it names none). */
static size_t log_rejections(sender *s, size_t k) {
  const playstat_config *c = &s->ps->cfg.c;
  json_t *doc = NULL;
  ps_json_parse(s->answer.body.data ? s->answer.body.data : "", s->answer.body.len, 0, &doc, NULL, 0);
  size_t named = json_is_array(doc) ? json_array_size(doc) : 0;
  size_t i;
  json_t *item;
  json_array_foreach(doc, i, item) {
    if (i >= 5) break;
    char *errors = json_dumps(json_object_get(item, "errors"), JSON_COMPACT);
    ps_sdk_log(c, PLAYSTAT_LOG_WARN, "collector rejected event %lld of a batch of %zu: %.300s",
               (long long)json_integer_value(json_object_get(item, "event_index")), k,
               errors ? errors : "?");
    free(errors);
  }
  if (!named)
    ps_sdk_log(c, PLAYSTAT_LOG_WARN, "collector rejected a batch of %zu events: %.300s", k,
               s->answer.body.data);
  json_decref(doc);
  return named ? (named < k ? named : k) : k;
}

/* Deletes rows[0..k) and counts them as sent (minus rejected). */
static void forget(sender *s, const ps_qdb_row *rows, size_t k, size_t rejected) {
  playstat *ps = s->ps;
  pthread_mutex_lock(&ps->db_lock);
  int rc = ps_qdb_delete(ps->db, rows, k);
  uint64_t events = ps_qdb_queued_events(ps->db), bytes[PS_SDK_PRIORITIES];
  for (int p = 0; p < PS_SDK_PRIORITIES; p++) bytes[p] = ps_qdb_queued_bytes_at(ps->db, p);
  pthread_mutex_unlock(&ps->db_lock);
  pthread_mutex_lock(&ps->lock);
  if (rc == PS_OK) {
    ps->stats.events_sent += k - rejected;
    ps->stats.events_rejected += rejected;
  }
  ps->db_events = events;
  memcpy(ps->db_bytes, bytes, sizeof bytes);
  pthread_mutex_unlock(&ps->lock);
}

/* Moves the journal into the database (mover.c) and logs what it says. */
/* How far ahead of the calls, and how often, the journal's pages are kept dirty
 * (ps_journal_keep_ahead): a window well past what 500 calls/s write in a period. As often,
 * the event_uuids' spare random bytes are made when taken (refill_uuids; a pool of them
 * lasts 512 ms at 500 calls/s). */
#define KEEP_AHEAD_BYTES ((size_t)1024 * 1024)
#define KEEP_AHEAD_MS 200

static void keep_ahead(playstat *ps) {
  pthread_mutex_lock(&ps->db_lock);
  ps_journal_keep_ahead(ps->journal, KEEP_AHEAD_BYTES);
  pthread_mutex_unlock(&ps->db_lock);
}

/* Makes the event_uuids' spare random bytes (event_text.h) when the calls took the last one:
 * RAND_bytes here, without the lock, so that the game's calls need not. */
static void refill_uuids(playstat *ps) {
  unsigned char fresh[PS_SDK_UUID_POOL];
  if (RAND_bytes(fresh, (int)sizeof fresh) == 1) {
    pthread_mutex_lock(&ps->lock);
    ps_sdk_uuid_pool_offer(&ps->uuids, fresh);
    pthread_mutex_unlock(&ps->lock);
  }
  OPENSSL_cleanse(fresh, sizeof fresh);
}

static void move_journal(playstat *ps) {
  ps_sdk_notes notes = {.count = 0};
  pthread_mutex_lock(&ps->db_lock);
  ps_sdk_journal_move(ps, &notes);
  ps_journal_keep_ahead(ps->journal, KEEP_AHEAD_BYTES);
  pthread_mutex_unlock(&ps->db_lock);
  ps_sdk_notes_emit(&ps->cfg.c, &notes);
}

/* Sends batches until the queue is empty, a request fails, the deadline passes or (when not
 * final) the handle starts stopping. */
static void flush_queue(sender *s, int64_t deadline_ms, int final) {
  playstat *ps = s->ps;
  if (!s->initialized) {
    int init = send_init(s, deadline_ms);
    if (init == 0) {
      back_off(s, "init");
      return;
    }
    if (init == 2) { /* disabled: ask again later, quietly (set_disabled logged it) */
      s->attempt++;
      double r = (double)rand_r(&s->rand_state) / ((double)RAND_MAX + 1.0);
      s->retry_at_ms = ps_now_ms() + (int64_t)ps_sdk_backoff_ms(s->attempt, ps->cfg.c.retry_initial_ms,
                                                                ps->cfg.c.retry_max_ms, r, 0);
      return;
    }
    s->initialized = 1;
    s->attempt = 0;
  }
  for (;;) {
    ps_qdb_row *rows = NULL;
    size_t n = 0;
    pthread_mutex_lock(&ps->lock);
    int stop = !final && ps->stopping;
    pthread_mutex_unlock(&ps->lock);
    int rc = stop ? PS_OK : ps_qdb_peek(ps->reader, s->batch_limit, &rows, &n);
    if (stop || rc != PS_OK || n == 0 || ps_now_ms() >= deadline_ms) {
      ps_qdb_rows_free(rows, n);
      return;
    }
    size_t lens[PS_SDK_BATCH_MAX_EVENTS];
    for (size_t i = 0; i < n; i++) lens[i] = rows[i].len;
    size_t k = ps_sdk_batch_fit(lens, n, s->batch_limit, PS_SDK_BATCH_MAX_BYTES);
    if (k == 0) { /* one event larger than a request may be: it can never go */
      ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_WARN, "dropping a queued event of %zu bytes: too large", rows[0].len);
      forget(s, rows, 1, 1);
      ps_qdb_rows_free(rows, n);
      continue;
    }
    ps_buf_reset(&s->json);
    rc = ps_buf_append_str(&s->json, "[");
    for (size_t i = 0; rc == PS_OK && i < k; i++) {
      if (i) rc = ps_buf_append_str(&s->json, ",");
      if (rc == PS_OK) rc = ps_buf_append(&s->json, rows[i].body, rows[i].len);
    }
    if (rc == PS_OK) rc = ps_buf_append_str(&s->json, "]");
    if (rc == PS_OK) rc = ps_gzip(s->json.data, s->json.len, &s->gz);
    if (rc == PS_OK) rc = post_signed(s, "events", s->gz.data, s->gz.len, 1, deadline_ms);
    if (rc != PS_OK) {
      snprintf(s->answer.error, sizeof s->answer.error, "out of memory");
      s->answer.status = 0;
    }
    ps_sdk_answer verdict = rc == PS_OK ? ps_sdk_classify_answer(s->answer.status, s->answer.body.len)
                                        : PS_SDK_ANSWER_RETRY;
    switch (verdict) {
    case PS_SDK_ANSWER_DELIVERED:
      forget(s, rows, k, 0);
      s->attempt = 0;
      if (s->batch_limit < PS_SDK_BATCH_MAX_EVENTS) s->batch_limit *= 2;
      if (s->batch_limit > PS_SDK_BATCH_MAX_EVENTS) s->batch_limit = PS_SDK_BATCH_MAX_EVENTS;
      break;
    case PS_SDK_ANSWER_REJECTED:
      forget(s, rows, k, log_rejections(s, k));
      s->attempt = 0;
      break;
    case PS_SDK_ANSWER_TOO_LARGE:
      if (k == 1) {
        ps_sdk_log(&ps->cfg.c, PLAYSTAT_LOG_WARN, "collector refused a single event as too large; dropped");
        forget(s, rows, 1, 1);
      } else {
        s->batch_limit = k / 2;
      }
      break;
    case PS_SDK_ANSWER_RETRY:
      ps_qdb_rows_free(rows, n);
      back_off(s, "sending events");
      return;
    }
    ps_qdb_rows_free(rows, n);
  }
}

/* Absolute time for pthread_cond_timedwait (CLOCK_REALTIME). */
static struct timespec at_ms(int64_t ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
  return ts;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

void *ps_sdk_sender_main(void *arg) {
  playstat *ps = arg;
  const playstat_config *c = &ps->cfg.c;
  ps_sdk_background_thread(); /* never preempts the game's threads (background.h) */
  sender s = {.ps = ps, .batch_limit = PS_SDK_BATCH_MAX_EVENTS,
              .rand_state = (unsigned)ps_now_ms() ^ (unsigned)(uintptr_t)ps};
  s.transport = ps_sdk_transport_create(&ps->abort_at_ms);
  int64_t next_flush = 0; /* at once: what the last launch left goes first */
  int64_t next_checkpoint = ps_now_ms() + c->flush_interval_ms;
  int64_t next_keep = 0;
  pthread_mutex_lock(&ps->lock);
  while (s.transport && !ps->stopping) {
    int64_t now = ps_now_ms();
    int64_t next_heartbeat = ps_sdk_metrics_schedule(&ps->metrics, now, c->metrics_heartbeat_ms);
    /* A flush is due at its interval (or at once when asked for), but never before the
     * backoff of a failed send ends: the wait below must not take a passed flush time for a
     * reason to wake while a retry is still ahead (that would spin). */
    int64_t flush_at = ps->flush_requested ? now : next_flush;
    if (s.retry_at_ms > flush_at) flush_at = s.retry_at_ms;
    int flush_due = now >= flush_at;
    /* the log is checkpointed here, not by the game's commits: when they have grown it, at
     * every flush, and at least once a flush interval, offline too */
    int checkpoint_due = flush_due || now >= next_checkpoint ||
                         atomic_exchange(&ps->checkpoint_requested, 0);
    /* the journal is moved at every flush (a flush asked for early moves the session's edges
     * at once) and whenever the calls have journalled enough */
    int move_due = flush_due || ps->move_requested;
    if (now >= next_keep) {
      next_keep = now + KEEP_AHEAD_MS;
      int refill = ps_sdk_uuid_pool_wants(&ps->uuids);
      pthread_mutex_unlock(&ps->lock);
      keep_ahead(ps);
      if (refill) refill_uuids(ps);
      pthread_mutex_lock(&ps->lock);
      continue;
    }
    if (!checkpoint_due && !move_due && !ps->metrics.head) {
      struct timespec ts =
          at_ms(min64(min64(min64(flush_at, next_heartbeat), next_checkpoint), next_keep));
      pthread_cond_timedwait(&ps->wake, &ps->lock, &ts);
      continue;
    }
    int touch = 0;
    int64_t touch_ts = 0;
    if (flush_due) {
      ps->flush_requested = 0;
      next_flush = now + c->flush_interval_ms;
      touch = ps->st.session_open;
      touch_ts = ps_sdk_client_ts(ps);
    }
    pthread_mutex_unlock(&ps->lock);
    if (move_due) move_journal(ps);
    if (touch) {
      pthread_mutex_lock(&ps->db_lock);
      ps_qdb_session_touch(ps->db, touch_ts);
      pthread_mutex_unlock(&ps->db_lock);
    }
    ps_sdk_metrics_send(ps, s.transport, &s.answer, now + REQUEST_TIMEOUT_MS);
    if (flush_due) flush_queue(&s, now + REQUEST_TIMEOUT_MS, 0);
    if (checkpoint_due) {
      if (ps_qdb_checkpoint(ps->reader) != PS_OK)
        ps_sdk_log(c, PLAYSTAT_LOG_WARN, "checkpoint: %s", ps_qdb_errmsg(ps->reader));
      next_checkpoint = ps_now_ms() + c->flush_interval_ms;
    }
    pthread_mutex_lock(&ps->lock);
  }
  pthread_mutex_unlock(&ps->lock);
  move_journal(ps); /* the shutdown's session_end, and what came since the last move */
  if (s.transport && c->shutdown_timeout_ms > 0) {
    int64_t deadline = atomic_load(&ps->abort_at_ms);
    ps_sdk_metrics_send(ps, s.transport, &s.answer, deadline);
    flush_queue(&s, deadline, 1);
  }
  ps_qdb_checkpoint(ps->reader); /* the next launch opens a short log */
  ps_sdk_transport_free(s.transport);
  ps_buf_free(&s.answer.body);
  ps_buf_free(&s.json);
  ps_buf_free(&s.gz);
  return NULL;
}
