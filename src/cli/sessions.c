/*
 * sessions.c: `playstat sessions --data DIR --game ID [--session-timeout S]` prints a game's
 * metrics sessions as NDJSON, oldest start first:
 *   {"session_id", "player", "platform", "portal", "mod_ids": [..], "started_at", "last_at",
 *    "ended_at" (or null), "state": "active" | "ended" | "timed_out", "playtime_s"}
 * Times are unix seconds of the clients' session_ts. A session without an end whose last
 * request is older than the timeout (server time) is timed_out and ended at its last heartbeat.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/errors.h"

static const char usage[] =
    "usage: playstat sessions --data DIR --game ID [--session-timeout S]\n"
    "\n"
    "Prints the game's metrics sessions (mod.io compatible start/heartbeat/end), one JSON\n"
    "object per line. --session-timeout (default 300, as serve) decides when a session\n"
    "without an end is over.\n"
    "\n"
    PS_CLI_STORE_USAGE;

typedef struct print_ctx {
  int64_t now_ms, timeout_ms;
} print_ctx;

static int print_session(const ps_scan_item *item, void *arg) {
  const ps_playtime_session *m = item->session;
  const print_ctx *ctx = arg;
  const char *state = "active";
  int64_t end_ms = -1;
  if (m->ended_ms >= 0) {
    state = "ended";
    end_ms = m->ended_ms;
  } else if (ctx->now_ms - m->last_received_ms > ctx->timeout_ms) {
    state = "timed_out";
    end_ms = m->last_ms;
  }
  json_t *mods = json_array();
  for (const char *p = m->mod_ids; mods && *p;) {
    json_array_append_new(mods, json_integer(strtoll(p, NULL, 10)));
    p += strcspn(p, ",");
    if (*p == ',') p++;
  }
  int64_t until = end_ms >= 0 ? end_ms : m->last_ms;
  json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:I, s:o, s:s, s:I}", "session_id",
                           m->session_id, "player", m->player, "platform", m->platform, "portal",
                           m->portal, "mod_ids", mods ? mods : json_array(), "started_at",
                           (json_int_t)(m->started_ms / 1000), "last_at",
                           (json_int_t)(m->last_ms / 1000), "ended_at",
                           end_ms >= 0 ? json_integer(end_ms / 1000) : json_null(), "state",
                           state, "playtime_s", (json_int_t)((until - m->started_ms) / 1000));
  if (!line || json_dumpf(line, stdout, JSON_COMPACT) != 0) {
    json_decref(line);
    return PS_ENOMEM;
  }
  json_decref(line);
  putchar('\n');
  return 0;
}

int ps_cmd_sessions(int argc, char **argv) {
  static const struct option options[] = {{"data", required_argument, NULL, 'd'},
                                          {"store", required_argument, NULL, 's'},
                                          {"state", required_argument, NULL, 'S'},
                                          {"game", required_argument, NULL, 'g'},
                                          {"session-timeout", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL, *game = NULL;
  long long timeout_s = 300;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
      case 'd': data = optarg; break;
      case 's': store_url = optarg; break;
      case 'S': state_url = optarg; break;
      case 'g': game = optarg; break;
      case 't':
        if (ps_cli_parse_int("--session-timeout", optarg, 1, 86400, &timeout_s)) return 2;
        break;
      case 'h': fputs(usage, stdout); return 0;
      default: fputs(usage, stderr); return 2;
    }
  }
  if (!game || optind < argc) {
    fputs(usage, stderr);
    return 2;
  }
  ps_stores stores;
  ps_game g;
  int rc = ps_cli_open_game(store_url, state_url, data, game, &stores, &g);
  if (rc) return rc;
  print_ctx ctx = {ps_now_ms(), timeout_s * 1000};
  ps_scan_query query = {.kind = PS_SCAN_MSESSIONS, .game_id = g.id};
  rc = stores.events->ops->scan(stores.events, &query, print_session, &ctx);
  if (rc != PS_OK) fprintf(stderr, "playstat: %s\n", ps_strerror(rc));
  ps_stores_close(&stores);
  if (fflush(stdout) != 0) rc = PS_EIO;
  return rc == PS_OK ? 0 : 1;
}
