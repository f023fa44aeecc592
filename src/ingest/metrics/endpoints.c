/*
 * endpoints.c: POST /v1/metrics/sessions/{start,heartbeat,end} (mod.io compatible), on host
 * g-{game_id}.<domain> or under the path prefix /g-{game_id}. Checks run cheapest first and
 * each refusal answers in mod.io's error shape (modio_error.h):
 *   game (404 14001) -> bearer token (401 11005) -> player rate (429 11008 + Retry-After) ->
 *   body (415 13005/13006, 413 13013, 400 13004, 422 13009) -> session_ts window (422) ->
 *   session hash (403 29101) -> session state (registry.h: 409 13010/13011/13012, 404 14000)
 * An accepted request goes through the ingest queue and is answered 204 once committed. So is
 * a resend of an accepted request (same session, nonce, kind, order id, session_ts, ids): it is
 * a success that changes nothing (registry.h), as the collector and the matchmaker API treat
 * duplicates, so a client whose 204 was lost (a crash, a dropped connection) is not refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/jwt.h"
#include "common/clock.h"
#include "common/errors.h"
#include "ingest/metrics/modio_error.h"
#include "ingest/metrics/module.h"
#include "ingest/metrics/platforms.h"
#include "ingest/metrics/registry.h"
#include "ingest/metrics/request.h"
#include "ingest/metrics/session_hash.h"
#include "ingest/queue.h"

/* What one accepted request owns until it is answered (the request's state). */
typedef struct msession_job {
  ps_ingest_job job;
  ps_request *req;
  ps_app *app;
  ps_msession_request parsed;
  ps_msession_record record;
  ps_record stored;
  char player[129];
} msession_job;

static void msession_job_free(void *state) {
  msession_job *j = state;
  if (!j) return;
  ps_msession_request_free(&j->parsed);
  free(j);
}

/* "g-12" (a path segment, or a Host header "g-12.example.com[:port]") -> 12; 0 if not one. */
static int64_t parse_game_label(const char *text) {
  if (!text || strncasecmp(text, "g-", 2) != 0) return 0;
  int64_t id = 0;
  const char *p = text + 2;
  for (; *p >= '0' && *p <= '9'; p++) {
    if (id > 100000000000000LL) return 0;
    id = id * 10 + (*p - '0');
  }
  if (p == text + 2 || (*p != '\0' && *p != '.' && *p != ':')) return 0;
  return id;
}

/* The game named by the path prefix (route param 0) or else by the Host header. */
static int find_game(ps_request *req, ps_app *app, ps_game *game) {
  const char *prefix = ps_request_param(req, 0);
  int64_t id = parse_game_label(prefix ? prefix : ps_request_header(req, "Host"));
  if (id > 0 && ps_game_cache_find_by_id(app->games, id, game) == PS_OK) return 0;
  ps_modio_respond_error(req, 404, PS_MODIO_GAME_NOT_FOUND,
                         "The requested game could not be found (use host g-{game_id}.<domain> "
                         "or the path prefix /g-{game_id}).",
                         NULL, 0);
  return -1;
}

static int authenticate(ps_request *req, const ps_game *game, char *player, size_t cap) {
  const char *auth = ps_request_header(req, "Authorization");
  const char *message = "Authorization: Bearer <token> is required.";
  if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
    ps_jwt_claims claims;
    const char *token = auth + 7;
    while (*token == ' ') token++; /* RFC 7235 allows several spaces after the scheme */
    /* Every check runs on every request; the cached form only skips re-decoding the claims
     * of a token whose signature it has just verified again (jwt.h). */
    int rc = ps_jwt_verify_hs256_cached(game->token_secret, token, ps_now_ms() / 1000, &claims);
    if (rc == PS_OK) {
      snprintf(player, cap, "%s", claims.subject);
      return 0;
    }
    message = rc == PS_EEXPIRED ? "The access token has expired." : "The access token is invalid.";
  }
  ps_modio_respond_error(req, 401, PS_MODIO_TOKEN_INVALID, message, NULL, 0);
  return -1;
}

static int decode(ps_request *req, ps_msession_kind kind, ps_msession_request *parsed) {
  ps_field_errors errors;
  const ps_buf *body = ps_request_body(req);
  switch (ps_msession_request_parse(kind, ps_request_header(req, "Content-Type"), body->data,
                                    body->len, parsed, &errors)) {
    case PS_MSESSION_OK:
      return 0;
    case PS_MSESSION_NO_CONTENT_TYPE:
      ps_modio_respond_error(req, 415, PS_MODIO_NO_CONTENT_TYPE,
                             "Content-Type is missing: send application/json.", NULL, 0);
      return -1;
    case PS_MSESSION_BAD_CONTENT_TYPE:
      ps_modio_respond_error(req, 415, PS_MODIO_BAD_CONTENT_TYPE,
                             "Content-Type must be application/json or "
                             "application/x-www-form-urlencoded.",
                             NULL, 0);
      return -1;
    case PS_MSESSION_MALFORMED:
      ps_modio_respond_error(req, 400, PS_MODIO_MALFORMED_JSON,
                             "The body is not a valid JSON object.", NULL, 0);
      return -1;
    case PS_MSESSION_TOO_LARGE:
      ps_modio_respond_error(req, 413, PS_MODIO_TOO_LARGE,
                             "The body is larger than a metrics-session request can be (64 KiB).",
                             NULL, 0);
      return -1;
    case PS_MSESSION_INVALID_FIELDS:
      ps_modio_respond_error(req, 422, PS_MODIO_VALIDATION,
                             "Validation Failed. Please see below to fix invalid input:", &errors,
                             0);
      return -1;
    case PS_MSESSION_NO_MEMORY:
      break;
  }
  ps_modio_respond_error(req, 503, PS_MODIO_METRICS_INTERNAL, "Out of memory, retry later.",
                         NULL, 1);
  return -1;
}

static int check_window(ps_request *req, const ps_app *app, const ps_msession_request *parsed,
                        int64_t now_ms) {
  int64_t skew = parsed->ts_ms - now_ms;
  if (skew < 0) skew = -skew;
  if (skew <= ps_msession_state_of(app)->window_ms) return 0;
  ps_field_errors errors = {.count = 1};
  snprintf(errors.items[0].field, sizeof errors.items[0].field, "session_ts");
  snprintf(errors.items[0].message, sizeof errors.items[0].message,
           "session_ts is %lld s away from the server's clock; at most %lld s are allowed",
           (long long)(skew / 1000), (long long)(ps_msession_state_of(app)->window_ms / 1000));
  ps_modio_respond_error(req, 422, PS_MODIO_VALIDATION,
                         "Validation Failed. Please see below to fix invalid input:", &errors, 0);
  return -1;
}

static int check_hash(ps_request *req, const ps_game *game, const ps_msession_request *p) {
  if (ps_session_hash_verify(game->metrics_key, p->kind == PS_MSESSION_START ? p->ids_text : NULL,
                             p->ts_text, p->session_id, p->nonce, p->hash))
    return 0;
  ps_modio_respond_error(req, 403, PS_MODIO_HASH_INVALID,
                         "session_hash is not the HMAC-SHA256 of the request under the game's "
                         "metrics key.",
                         NULL, 0);
  return -1;
}

/* How each refusal of the session registry is answered. */
static const struct {
  unsigned status;
  int error_ref;
  const char *message;
} state_refusals[] = {
    [PS_MSR_EXISTS] = {409, PS_MODIO_SESSION_EXISTS,
                       "A session with this session_id was already started."},
    [PS_MSR_UNKNOWN] = {404, PS_MODIO_NOT_FOUND,
                        "No active session with this session_id for this player (never started, "
                        "ended, or timed out)."},
    [PS_MSR_REPLAY] = {409, PS_MODIO_NONCE_REPLAYED,
                       "session_nonce was already used in this session (replay)."},
    [PS_MSR_ORDER] = {409, PS_MODIO_ORDER_REGRESSED,
                      "session_order_id is lower than one already received for this session."},
    [PS_MSR_ERROR] = {503, PS_MODIO_METRICS_INTERNAL, "Session state unavailable, retry later."},
};

/* 0 when the registry accepted the request (new, or a resend of one it accepted), else answers
 * the refusal and returns -1. */
static int check_state(ps_request *req, ps_msr_result result) {
  if (result == PS_MSR_OK || result == PS_MSR_DUPLICATE) return 0;
  ps_modio_respond_error(req, state_refusals[result].status, state_refusals[result].error_ref,
                         state_refusals[result].message, NULL,
                         state_refusals[result].status == 503 ? 1 : 0);
  return -1;
}

/* Writer or syncer thread (queue.h): the request's record is durably stored (result 0) or not. */
static void on_committed(ps_ingest_job *job, int result) {
  msession_job *j = job->ctx;
  ps_msession_registry_finish(ps_msession_state_of(j->app)->registry, j->stored.game_id,
                              j->parsed.session_id, result == PS_OK);
  if (result != PS_OK) {
    ps_modio_respond_error(j->req, 503, PS_MODIO_METRICS_INTERNAL,
                           "The request could not be stored, retry later.", NULL, 1);
    return;
  }
  ps_request_respond(j->req, 204, NULL, "", 0, 0);
}

static void handle(ps_request *req, ps_app *app, ps_msession_kind kind) {
  static const ps_msession_rec_kind record_kinds[] = {
      [PS_MSESSION_START] = PS_MSESSION_REC_START,
      [PS_MSESSION_HEARTBEAT] = PS_MSESSION_REC_HEARTBEAT,
      [PS_MSESSION_END] = PS_MSESSION_REC_END,
  };
  ps_game game;
  msession_job *j = calloc(1, sizeof *j);
  if (!j) {
    ps_modio_respond_error(req, 503, PS_MODIO_METRICS_INTERNAL, "Out of memory.", NULL, 1);
    return;
  }
  ps_request_set_state(req, j, msession_job_free);
  j->req = req;
  j->app = app;
  if (find_game(req, app, &game) || authenticate(req, &game, j->player, sizeof j->player)) return;
  ps_request_note_game(req, game.id);
  int64_t now = ps_now_ms();
  unsigned wait =
      ps_rate_limit_take(ps_msession_state_of(app)->player_rate, game.id, j->player, now);
  if (wait) {
    ps_modio_respond_error(req, 429, PS_MODIO_RATE_LIMITED,
                           "Too many requests from this player; see Retry-After.", NULL, wait);
    return;
  }
  if (decode(req, kind, &j->parsed) || check_window(req, app, &j->parsed, now) ||
      check_hash(req, &game, &j->parsed))
    return;
  if (ps_ingest_reserve(app->queue, 1) != PS_OK) {
    ps_modio_respond_error(req, 503, PS_MODIO_METRICS_INTERNAL, "Busy, retry later.", NULL, 1);
    return;
  }
  int64_t accepted_ms = now;
  if (check_state(req, ps_msession_registry_begin(ps_msession_state_of(app)->registry, game.id, j->player, &j->parsed,
                                                  now, &accepted_ms))) {
    ps_ingest_unreserve(app->queue, 1);
    return;
  }
  j->record = (ps_msession_record){
      .kind = record_kinds[kind],
      .session_id = j->parsed.session_id,
      .player = j->player,
      .nonce = j->parsed.nonce,
      .platform = ps_modio_platform(ps_request_header(req, "X-Modio-Platform")),
      .portal = ps_modio_portal(ps_request_header(req, "X-Modio-Portal")),
      .mod_ids = j->parsed.ids_text,
      .ts_ms = j->parsed.ts_ms,
      .order_id = j->parsed.order_id,
  };
  /* A resend is stored again as first received: the stores keep it once and change nothing,
   * and it is answered only once that is durable, like the first (registry.h). */
  j->stored = (ps_record){.kind = PS_RECORD_MSESSION, .game_id = game.id,
                          .received_ms = accepted_ms, .msession = &j->record};
  j->job = (ps_ingest_job){.records = &j->stored, .count = 1, .done = on_committed, .ctx = j};
  ps_request_defer(req);
  ps_ingest_submit(app->queue, &j->job);
}

void ps_msession_start_handler(ps_request *req, ps_app *app) {
  handle(req, app, PS_MSESSION_START);
}

void ps_msession_heartbeat_handler(ps_request *req, ps_app *app) {
  handle(req, app, PS_MSESSION_HEARTBEAT);
}

void ps_msession_end_handler(ps_request *req, ps_app *app) {
  handle(req, app, PS_MSESSION_END);
}

void ps_msession_not_found_handler(ps_request *req, ps_app *app) {
  /* Host-routed paths (/v1/...) and /g-{id}/... paths are mod.io's; anything else is not. */
  if (strncmp(ps_request_path(req), "/v1/", 4) != 0 && !parse_game_label(ps_request_param(req, 0))) {
    ps_request_respond_error(req, 404, "not_found", "no such endpoint");
    return;
  }
  ps_modio_respond_error(req, 404, PS_MODIO_NOT_FOUND,
                         "Not found: the endpoints are /v1/metrics/sessions/start, /heartbeat "
                         "and /end.",
                         NULL, 0);
}
