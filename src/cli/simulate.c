/*
 * simulate.c: `playstat simulate`: fills a running playstat with realistic traffic through
 * its public HTTP APIs (analytics events, live metrics sessions, matchmaker session events),
 * so that a newcomer's dashboard has something to show. This file parses the options and
 * prints the summary; the simulation itself is src/sim/ (sim.h).
 *
 * Output: a progress line on stderr every few seconds; the summary on stdout (text, or one
 * JSON object with --json). Exit status 0 when every request was answered 2xx, 1 when some
 * were refused or failed (the summary names the server's reasons), 2 for usage errors.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/errors.h"
#include "sim/sim.h"

static const char usage[] =
    "usage: playstat simulate --url URL --game-key K --secret-key S\n"
    "           [--metrics-key M --token-secret T --game-id G]\n"
    "           [--service-key-id ID --service-secret SECRET --project P [--environment E]]\n"
    "           [--players N] [--days D] [--speedup X] [--duration S] [--seed N] [--now T]\n"
    "           [--no-gzip] [--json] [--progress S]\n"
    "\n"
    "Drives realistic game traffic through the public HTTP APIs of a running `playstat serve`\n"
    "so that its insights and dashboard have data: N simulated players acquired over the last D\n"
    "days, on phones, PCs and consoles in four regions, most of whom drift away (about 40% come\n"
    "back the next day, 14% after a week), a few of whom pay.\n"
    "\n"
    "What it sends:\n"
    "  analytics   (always) GameAnalytics REST v2: POST /v2/K/init per device, then every\n"
    "              session's events in gzipped, HMAC-signed batches of at most 500 to\n"
    "              /v2/K/events: user, session_end (length), progression (Start/Fail/Complete,\n"
    "              World/Level/Boss, attempt_num, score), design (Combat:Kill:Sword, UI:Open:Shop,\n"
    "              tutorial steps, with values), resource (Gold and Gems, Source/Sink), business\n"
    "              (cents, currency, transaction_num, cart_type, receipts), ads (rewarded,\n"
    "              interstitial, banner), error (build 1.4.0 crashes; 1.4.1 fixes it), with\n"
    "              platform, os_version, build, custom_01 (A/B group), custom_02 (acquisition)\n"
    "              and custom_03 (region). client_ts lies in the past D days.\n"
    "  metrics     (with --metrics-key, --token-secret, --game-id) mod.io-style playtime\n"
    "              sessions with mods, platforms and portals: start, heartbeats, end, signed\n"
    "              with the session hash and a player JWT. The server only accepts session_ts\n"
    "              near its own clock, so these run live for --duration seconds, --speedup X\n"
    "              times faster than real play: watch live CCU and concurrent UGC meanwhile.\n"
    "  matchmaker  (with --service-key-id, --service-secret, --project) Unity-Matchmaker-style\n"
    "              match events (match.created, allocation.requested/succeeded/failed,\n"
    "              players.assigned, backfill) over the last D days (28 at most: the server\n"
    "              keeps multiplayer sessions 30 days), one request per match, HTTP Basic.\n"
    "The three run side by side. 503 and 429 answers (and no answer) are retried with backoff,\n"
    "honouring Retry-After; resends are stored once.\n"
    "\n"
    "options:\n"
    "  --url URL              the server, e.g. http://127.0.0.1:8080\n"
    "  --game-key K           the game's game_key  (playstat game list --data DIR)\n"
    "  --secret-key S         the game's secret_key\n"
    "  --metrics-key M        the game's metrics_key\n"
    "  --token-secret T       the game's token_secret (player JWTs are minted with it)\n"
    "  --game-id G            the game's id\n"
    "  --service-key-id ID    a writer service account of the game's project\n"
    "  --service-secret S     its secret (playstat service-account create ... --role writer)\n"
    "  --project P            the game's project_id\n"
    "  --environment E        the matchmaker's environment (default production)\n"
    "  --players N            players acquired over the history (default 1000; 1 to 1000000)\n"
    "  --days D               days of history (default 30; 1 to 365)\n"
    "  --speedup X            live phase: game seconds per real second (default 60; 1 to 3600)\n"
    "  --duration S           live phase length in real seconds (default: one game hour,\n"
    "                         3600 / X; 0 skips the metrics sessions)\n"
    "  --seed N               the random seed (default 1): the same seed gives the same players\n"
    "                         and behaviour; with the same --now too, the same events, which a\n"
    "                         repeated run does not store twice\n"
    "  --now T                the end of the history, unix seconds (default: now)\n"
    "  --no-gzip              send analytics bodies uncompressed\n"
    "  --json                 print the summary as one JSON object\n"
    "  --progress S           seconds between progress lines on stderr (default 2; 0: none)\n"
    "\n"
    "Exit status: 0 when every request was answered 2xx, 1 when some were refused or failed\n"
    "(the summary lists the server's reasons), 2 for a usage error. Ctrl-C ends the live\n"
    "sessions and stops early.\n"
    "\n"
    "example (make run prints this line with your keys filled in):\n"
    "  playstat simulate --url http://127.0.0.1:8080 --game-key 3f1c... --secret-key 9a0b... \\\n"
    "      --metrics-key 6b1e... --token-secret 52d4... --game-id 1 \\\n"
    "      --service-key-id 8042... --service-secret dd6c... --project 0fdb... \\\n"
    "      --players 1000 --days 30 --speedup 60\n";

static void on_sigint(int sig) {
  (void)sig;
  ps_sim_stop();
}

/* Parses a number in [min, max] for option; prints why and returns 2 when it is not one. */
static int parse_number(const char *option, const char *text, double min, double max, double *out) {
  char *end = NULL;
  double v = strtod(text, &end);
  if (!*text || *end || !(v >= min && v <= max)) {
    fprintf(stderr, "playstat: %s wants a number from %g to %g, got '%s'\n", option, min, max, text);
    return 2;
  }
  *out = v;
  return 0;
}

/* Usage errors of option groups that go together; 0 when the configuration is whole. */
static int check_groups(const ps_sim_config *c, const char *game_id) {
  if (!c->url || !c->game_key || !c->secret_key) {
    fprintf(stderr, "playstat: simulate needs --url, --game-key and --secret-key\n\n");
    return 2;
  }
  if (strncmp(c->url, "http://", 7) != 0 && strncmp(c->url, "https://", 8) != 0) {
    fprintf(stderr, "playstat: --url must start with http:// or https://, got '%s'\n", c->url);
    return 2;
  }
  int metrics = !!c->metrics_key + !!c->token_secret + !!game_id;
  if (metrics != 0 && metrics != 3) {
    fprintf(stderr, "playstat: metrics sessions need --metrics-key, --token-secret and "
                    "--game-id together\n");
    return 2;
  }
  int matchmaker = !!c->service_key_id + !!c->service_secret + !!c->project;
  if (matchmaker != 0 && matchmaker != 3) {
    fprintf(stderr, "playstat: matchmaker events need --service-key-id, --service-secret and "
                    "--project together\n");
    return 2;
  }
  return 0;
}

typedef struct numbers {
  const char *players, *days, *speedup, *duration, *seed, *now, *game_id, *progress;
} numbers;

/* Fills the numeric fields of c from their option texts (defaults when absent). */
static int parse_numbers(const numbers *t, ps_sim_config *c, double *progress) {
  double players = 1000, days = 30, seed = 1, now = (double)(ps_now_ms() / 1000), game_id = 0;
  double duration = -1;
  c->speedup = 60;
  *progress = 2;
  if ((t->players && parse_number("--players", t->players, 1, 1000000, &players)) ||
      (t->days && parse_number("--days", t->days, 1, 365, &days)) ||
      (t->speedup && parse_number("--speedup", t->speedup, 1, 3600, &c->speedup)) ||
      (t->duration && parse_number("--duration", t->duration, 0, 86400, &duration)) ||
      (t->seed && parse_number("--seed", t->seed, 0, 9007199254740991.0, &seed)) ||
      (t->now && parse_number("--now", t->now, 1000000000, 99999999999.0, &now)) ||
      (t->game_id && parse_number("--game-id", t->game_id, 1, 9007199254740991.0, &game_id)) ||
      (t->progress && parse_number("--progress", t->progress, 0, 3600, progress)))
    return 2;
  c->players = (int64_t)players;
  c->days = (int64_t)days;
  c->seed = (int64_t)seed;
  c->end_s = (int64_t)now;
  c->game_id = (int64_t)game_id;
  c->live_seconds = duration >= 0 ? duration : 3600.0 / c->speedup;
  return 0;
}

/* "key value, key value" of a channel's counts (nested objects in braces). */
static void print_counts(json_t *object, int nested) {
  const char *key;
  json_t *value;
  int first = 1;
  json_object_foreach(object, key, value) {
    if (!nested && (strcmp(key, "reasons") == 0 || strcmp(key, "other_reasons") == 0 ||
                    strcmp(key, "fatal") == 0))
      continue;
    printf("%s%s ", first ? "" : ", ", key);
    first = 0;
    if (json_is_object(value)) {
      putchar('{');
      print_counts(value, 1);
      putchar('}');
    } else if (json_is_real(value)) {
      printf("%g", json_real_value(value));
    } else if (json_is_string(value)) {
      printf("%s", json_string_value(value));
    } else {
      printf("%lld", (long long)json_integer_value(value));
    }
  }
}

static void print_text(json_t *summary, const ps_sim_config *c) {
  char from[32], to[32];
  time_t a = (time_t)json_integer_value(json_object_get(summary, "from")), b = (time_t)c->end_s;
  strftime(from, sizeof from, "%Y-%m-%d %H:%M", gmtime(&a));
  strftime(to, sizeof to, "%Y-%m-%d %H:%M", gmtime(&b));
  printf("simulated %lld players over %lld days (%s to %s UTC), seed %lld\n", (long long)c->players,
         (long long)c->days, from, to, (long long)c->seed);
  json_t *channels = json_object_get(summary, "channels");
  static const char *const names[] = {"analytics", "metrics", "matchmaker"};
  static const char *const hints[] = {
      "", "off (give --metrics-key, --token-secret and --game-id, and a --duration above 0)",
      "off (give --service-key-id, --service-secret and --project)"};
  for (size_t i = 0; i < 3; i++) {
    json_t *ch = json_object_get(channels, names[i]);
    printf("%-11s ", names[i]);
    if (!ch) {
      printf("%s\n", hints[i]);
      continue;
    }
    print_counts(ch, 0);
    putchar('\n');
    size_t k;
    json_t *reason;
    json_array_foreach(json_object_get(ch, "reasons"), k, reason)
      printf("    %lld x %s\n", (long long)json_integer_value(json_object_get(reason, "count")),
             json_string_value(json_object_get(reason, "reason")));
    if (json_is_true(json_object_get(ch, "fatal")))
      printf("    stopped early: the server refused the credentials or did not answer\n");
  }
  printf("%s\n", json_is_true(json_object_get(summary, "ok"))
                     ? "result: every request was answered 2xx"
                 : json_is_true(json_object_get(summary, "interrupted"))
                     ? "result: interrupted before the end (Ctrl-C); open sessions were ended"
                     : "result: some requests were refused or failed (see above)");
}

int ps_cmd_simulate(int argc, char **argv) {
  static const struct option options[] = {
      {"url", required_argument, NULL, 'u'},          {"game-key", required_argument, NULL, 'k'},
      {"secret-key", required_argument, NULL, 's'},   {"metrics-key", required_argument, NULL, 'm'},
      {"token-secret", required_argument, NULL, 't'}, {"game-id", required_argument, NULL, 'g'},
      {"service-key-id", required_argument, NULL, 'i'},
      {"service-secret", required_argument, NULL, 'S'},
      {"project", required_argument, NULL, 'P'},      {"environment", required_argument, NULL, 'E'},
      {"players", required_argument, NULL, 'n'},      {"days", required_argument, NULL, 'd'},
      {"speedup", required_argument, NULL, 'x'},      {"duration", required_argument, NULL, 'D'},
      {"seed", required_argument, NULL, 'r'},         {"now", required_argument, NULL, 'N'},
      {"progress", required_argument, NULL, 'p'},     {"no-gzip", no_argument, NULL, 'z'},
      {"json", no_argument, NULL, 'j'},               {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  ps_sim_config c = {.environment = "production", .gzip = 1};
  numbers t = {0};
  int json = 0, opt;
  optind = 1;
  while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (opt) {
      case 'u': c.url = optarg; break;
      case 'k': c.game_key = optarg; break;
      case 's': c.secret_key = optarg; break;
      case 'm': c.metrics_key = optarg; break;
      case 't': c.token_secret = optarg; break;
      case 'g': t.game_id = optarg; break;
      case 'i': c.service_key_id = optarg; break;
      case 'S': c.service_secret = optarg; break;
      case 'P': c.project = optarg; break;
      case 'E': c.environment = optarg; break;
      case 'n': t.players = optarg; break;
      case 'd': t.days = optarg; break;
      case 'x': t.speedup = optarg; break;
      case 'D': t.duration = optarg; break;
      case 'r': t.seed = optarg; break;
      case 'N': t.now = optarg; break;
      case 'p': t.progress = optarg; break;
      case 'z': c.gzip = 0; break;
      case 'j': json = 1; break;
      case 'h': fputs(usage, stdout); return 0;
      default: fputs(usage, stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "playstat: unexpected argument '%s'\n\n%s", argv[optind], usage);
    return 2;
  }
  int rc = check_groups(&c, t.game_id);
  if (rc) {
    fputs(usage, stderr);
    return rc;
  }
  double progress;
  if ((rc = parse_numbers(&t, &c, &progress))) return rc;
  char url[1024];
  snprintf(url, sizeof url, "%s", c.url);
  for (size_t len = strlen(url); len > 0 && url[len - 1] == '/'; len--) url[len - 1] = '\0';
  c.url = url;

  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    fprintf(stderr, "playstat: cannot initialise libcurl\n");
    return 1;
  }
  struct sigaction sa = {.sa_handler = on_sigint, .sa_flags = SA_RESETHAND};
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  json_t *summary = NULL;
  rc = ps_sim_run(&c, progress, &summary);
  curl_global_cleanup();
  if (rc != PS_OK) {
    if (rc != PS_EIO) fprintf(stderr, "playstat: %s\n", ps_strerror(rc));
    return 1;
  }
  int ok = json_is_true(json_object_get(summary, "ok"));
  if (json) {
    rc = ps_cli_print_json(summary);
  } else {
    print_text(summary, &c);
    json_decref(summary);
  }
  if (fflush(stdout) != 0) rc = 1;
  return rc || !ok ? 1 : 0;
}
