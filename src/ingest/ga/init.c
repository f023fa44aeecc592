/*
 * init.c: the two session-start calls of GameAnalytics clients.
 *   POST /v2/{game_key}/init            -> 200 {"enabled": true, "server_ts", "flags": []}
 *   POST /remote_configs/v1/init?game_key=K&configs_hash=H
 *                                       -> 201 {"server_ts", "configs", "configs_hash", ...}
 *                                          200 (same body) when H is already current
 * Both are signed like the events call. server_ts (unix seconds, > 0) is what clients use to
 * correct their clocks. playstat serves no remote configs yet: configs is always [] and its
 * hash is the SHA-256 of that canonical text, so a client's cached hash stays current.
 */
#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

#include "common/clock.h"
#include "common/encoding.h"
#include "ingest/ga/module.h"
#include "ingest/ga/signed_request.h"

/* Answers 400 unless the decoded body is a JSON object. */
static int require_object(ps_request *req, const ps_ga_body *body) {
  json_error_t err;
  json_t *doc = json_loadb(body->text, body->len, 0, &err);
  int ok = json_is_object(doc);
  json_decref(doc);
  if (!ok) ps_request_respond_error(req, 400, "bad_request", "body must be a JSON object");
  return ok ? 0 : -1;
}

void ps_ga_init_handler(ps_request *req, ps_app *app) {
  ps_ga_body body = {0};
  if (ps_ga_open_signed_request(req, app, ps_request_param(req, 0), &body) == 0 &&
      require_object(req, &body) == 0) {
    ps_request_note_game(req, body.game.id);
    char answer[96];
    snprintf(answer, sizeof answer, "{\"enabled\":true,\"server_ts\":%lld,\"flags\":[]}",
             (long long)(ps_now_ms() / 1000));
    ps_request_respond_json(req, 200, answer);
  }
  ps_buf_free(&body.inflated);
}

static void configs_hash(const char *configs_json, char out[65]) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)configs_json, strlen(configs_json), digest);
  ps_hex_encode(digest, SHA256_DIGEST_LENGTH, out);
}

void ps_ga_remote_configs_handler(ps_request *req, ps_app *app) {
  ps_ga_body body = {0};
  if (ps_ga_open_signed_request(req, app, ps_request_query(req, "game_key"), &body) == 0 &&
      require_object(req, &body) == 0) {
    ps_request_note_game(req, body.game.id);
    static const char configs[] = "[]";
    char hash[65], answer[256];
    configs_hash(configs, hash);
    const char *known = ps_request_query(req, "configs_hash");
    unsigned status = known && strcmp(known, hash) == 0 ? 200 : 201;
    snprintf(answer, sizeof answer,
             "{\"server_ts\":%lld,\"configs\":%s,\"configs_hash\":\"%s\",\"ab_id\":\"\","
             "\"ab_variant_id\":\"\"}",
             (long long)(ps_now_ms() / 1000), configs, hash);
    ps_request_respond_json(req, status, answer);
  }
  ps_buf_free(&body.inflated);
}
