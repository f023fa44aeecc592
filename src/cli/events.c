/*
 * events.c: `playstat events --data DIR --game ID [--category C] [--rejected]` prints a game's
 * analytics events as NDJSON, in arrival order:
 *   stored:   the event exactly as received, with "received_ts" (unix seconds) appended;
 *   rejected: {"event_index", "received_ts", "errors": [...], "event": <as received>}.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/errors.h"

static const char usage[] =
    "usage: playstat events --data DIR --game ID [--category C] [--rejected]\n"
    "\n"
    "Prints the game's stored analytics events, one JSON object per line, as received plus\n"
    "\"received_ts\" (server receive time, unix seconds). --category keeps one category;\n"
    "--rejected prints the events that failed validation instead, with their errors.\n"
    "\n"
    PS_CLI_STORE_USAGE;

static int print_stored(const ps_scan_item *item, void *ctx) {
  const ps_stored_event *e = item->event;
  size_t len = e->body_len;
  while (len && strchr(" \t\r\n", e->body[len - 1])) len--;
  if (len < 2 || e->body[len - 1] != '}') return 0; /* valid events are objects */
  size_t inner = len - 1;                       /* up to the closing brace */
  size_t k = inner;
  while (k > 1 && strchr(" \t\r\n", e->body[k - 1])) k--;
  int empty = e->body[k - 1] == '{';
  fwrite(e->body, 1, inner, stdout);
  printf("%s\"received_ts\":%lld}\n", empty ? "" : ",", (long long)(e->received_ms / 1000));
  return ferror(stdout) ? PS_EIO : 0;
}

static int print_rejected(const ps_scan_item *item, void *ctx) {
  const ps_stored_event *e = item->event;
  printf("{\"event_index\":%d,\"received_ts\":%lld,\"errors\":%s,\"event\":", e->event_index,
         (long long)(e->received_ms / 1000), e->errors_json ? e->errors_json : "[]");
  fwrite(e->body, 1, e->body_len, stdout);
  fputs("}\n", stdout);
  return ferror(stdout) ? PS_EIO : 0;
}

int ps_cmd_events(int argc, char **argv) {
  static const struct option options[] = {{"data", required_argument, NULL, 'd'},
                                          {"store", required_argument, NULL, 's'},
                                          {"state", required_argument, NULL, 'S'},
                                          {"game", required_argument, NULL, 'g'},
                                          {"category", required_argument, NULL, 'c'},
                                          {"rejected", no_argument, NULL, 'r'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL, *game = NULL;
  ps_scan_query query = {.kind = PS_SCAN_EVENTS};
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
      case 'd': data = optarg; break;
      case 's': store_url = optarg; break;
      case 'S': state_url = optarg; break;
      case 'g': game = optarg; break;
      case 'c': query.category = optarg; break;
      case 'r': query.kind = PS_SCAN_REJECTED; break;
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
  query.game_id = g.id;
  rc = stores.events->ops->scan(stores.events, &query,
                                query.kind == PS_SCAN_REJECTED ? print_rejected : print_stored, NULL);
  if (rc != PS_OK) fprintf(stderr, "playstat: %s\n", ps_strerror(rc));
  ps_stores_close(&stores);
  if (fflush(stdout) != 0) rc = PS_EIO;
  return rc == PS_OK ? 0 : 1;
}
