/*
 * export.c: `playstat export`: a backfill of a game's raw data, one object per kind, format
 * and closed UTC period (export/export.h), to a folder or an S3-compatible bucket. Periods the
 * export log already holds for that target are kept unless --again; a killed run therefore
 * resumes where it stopped when started again. Prints one JSON line per object.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "common/clock.h"
#include "common/errors.h"
#include "export/export.h"

static const char usage[] =
    "usage: playstat export (--data DIR | --store URL [--state URL]) --game ID\n"
    "                       --from YYYY-MM-DD --to YYYY-MM-DD --to-url URL [options]\n"
    "\n"
    "Writes the game's raw data of every closed UTC period from --from to --to (both\n"
    "included) to URL: file:DIR, or s3://BUCKET/PREFIX[?endpoint=URL&region=R&path_style=1]\n"
    "signed with AWS Signature V4 ($AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY, optional\n"
    "$AWS_SESSION_TOKEN, $AWS_REGION). One object per kind, format and period, named\n"
    "KIND/game_id=ID/date=YYYY-MM-DD[/hour=HH]/KIND.parquet (or .ndjson.gz); writing a\n"
    "period again replaces its object with the same bytes. Prints one JSON line per object.\n"
    "\n"
    "options:\n"
    "  --every hour|day     the period of one object (day)\n"
    "  --format F           parquet, ndjson.gz or both (parquet)\n"
    "  --kinds LIST         comma-separated: events, rejected, msessions, so_events (all)\n"
    "  --again              write periods the export log already holds (after a player was\n"
    "                       deleted, to rewrite objects that still hold the player)\n"
    "  --delay S            a period counts as closed S seconds after its end (300); later\n"
    "                       periods are left for a later run. Negative: a testing aid that\n"
    "                       counts periods still open as closed (written before all their\n"
    "                       data has arrived, and never written again without --again)\n"
    "\n"
    "Periods hold what arrived in them (metrics sessions: what was over in them); see\n"
    "docs/lifecycle.md for the columns of each kind.\n"
    "\n"
    PS_CLI_STORE_USAGE;

/* YYYY-MM-DD as the ms of its UTC midnight; -1 when malformed. */
static int64_t parse_day(const char *text) {
  int y, m, d;
  char extra;
  if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3 || m < 1 || m > 12 || d < 1 ||
      d > 31)
    return -1;
  struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
  time_t t = timegm(&tm);
  return t < 0 ? -1 : (int64_t)t * 1000;
}

static int parse_kinds(const char *text, unsigned *kinds) {
  char copy[256];
  snprintf(copy, sizeof copy, "%s", text);
  *kinds = 0;
  for (char *save = NULL, *k = strtok_r(copy, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
    int kind = ps_export_kind_from_name(k);
    if (kind < 0) {
      fprintf(stderr, "playstat: --kinds: '%s' is not events, rejected, msessions or so_events\n", k);
      return 2;
    }
    *kinds |= 1u << kind;
  }
  if (!*kinds) {
    fprintf(stderr, "playstat: --kinds names no kind\n");
    return 2;
  }
  return 0;
}

static void print_object(const ps_export_object *o, int skipped, void *ctx) {
  (void)ctx;
  printf("{\"key\":\"%s\",\"kind\":\"%s\",\"format\":\"%s\",\"rows\":%lld,\"bytes\":%lld,"
         "\"written\":%s}\n",
         o->key, o->kind, o->format, (long long)o->rows, (long long)o->bytes,
         skipped ? "false" : "true");
  fflush(stdout);
}

int ps_cmd_export(int argc, char **argv) {
  enum { O_EVERY = 256, O_FORMAT, O_KINDS, O_AGAIN, O_DELAY, O_FROM, O_TO, O_URL };
  static const struct option options[] = {{"data", required_argument, NULL, 'd'},
                                          {"store", required_argument, NULL, 's'},
                                          {"state", required_argument, NULL, 'S'},
                                          {"game", required_argument, NULL, 'g'},
                                          {"from", required_argument, NULL, O_FROM},
                                          {"to", required_argument, NULL, O_TO},
                                          {"to-url", required_argument, NULL, O_URL},
                                          {"every", required_argument, NULL, O_EVERY},
                                          {"format", required_argument, NULL, O_FORMAT},
                                          {"kinds", required_argument, NULL, O_KINDS},
                                          {"again", no_argument, NULL, O_AGAIN},
                                          {"delay", required_argument, NULL, O_DELAY},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL;
  const char *game = NULL, *from = NULL, *to = NULL, *url = NULL;
  int64_t period_ms = PS_EXPORT_DAY_MS;
  unsigned formats = 1u << PS_EXPORT_PARQUET, kinds = PS_EXPORT_ALL_KINDS;
  long long delay_s = 300;
  int again = 0, c, bad = 0;
  optind = 1;
  while (!bad && (c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
      case 'd': data = optarg; break;
      case 's': store_url = optarg; break;
      case 'S': state_url = optarg; break;
      case 'g': game = optarg; break;
      case O_FROM: from = optarg; break;
      case O_TO: to = optarg; break;
      case O_URL: url = optarg; break;
      case O_EVERY: bad = ps_cli_parse_export_every("--every", optarg, &period_ms); break;
      case O_FORMAT: bad = ps_cli_parse_export_formats("--format", optarg, &formats); break;
      case O_KINDS: bad = parse_kinds(optarg, &kinds); break;
      case O_AGAIN: again = 1; break;
      case O_DELAY: bad = ps_cli_parse_int("--delay", optarg, -86400 * 7, 86400 * 7, &delay_s); break;
      case 'h': fputs(usage, stdout); return 0;
      default: fputs(usage, stderr); return 2;
    }
  }
  if (bad) return bad;
  if (!game || !from || !to || !url || optind < argc) {
    fputs(usage, stderr);
    return 2;
  }
  int64_t from_ms = parse_day(from), to_ms = parse_day(to);
  if (from_ms < 0 || to_ms < 0 || to_ms < from_ms) {
    fprintf(stderr, "playstat: --from and --to want days YYYY-MM-DD, --from not after --to\n");
    return 2;
  }
  to_ms += PS_EXPORT_DAY_MS;
  int64_t closed = ps_export_closed_before(ps_now_ms(), period_ms, delay_s * 1000);
  if (to_ms > closed) {
    fprintf(stderr, "playstat: periods after the last closed one are left for a later run\n");
    to_ms = closed;
  }
  char why[512] = "";
  ps_export_target *target = NULL;
  int rc = ps_target_open(url, &target, why, sizeof why);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: --to-url: %s\n", why[0] ? why : ps_strerror(rc));
    return rc == PS_EINVAL ? 2 : 1;
  }
  ps_stores stores;
  ps_game g;
  if ((rc = ps_cli_open_game(store_url, state_url, data, game, &stores, &g)) != 0) {
    ps_target_close(target);
    return rc;
  }
  ps_export_job job = {.stores = &stores, .target = target, .game = &g, .kinds = kinds,
                       .formats = formats, .period_ms = period_ms};
  rc = ps_export_range(&job, from_ms, to_ms, again, print_object, NULL, why, sizeof why);
  if (rc != PS_OK) fprintf(stderr, "playstat: export: %s\n", why);
  ps_stores_close(&stores);
  ps_target_close(target);
  return rc == PS_OK ? 0 : 1;
}
