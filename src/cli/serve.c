/*
 * serve.c: `playstat serve`: parses its options, opens the stores and hands both to
 * ps_app_serve (src/app/serve.h), which assembles the server from the module table, runs it
 * until SIGTERM or SIGINT and shuts down without losing acknowledged data.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/serve.h"
#include "cli/cli.h"
#include "common/errors.h"
#include "common/log.h"
#include "export/export.h"
#include "http/server.h"
#include "ingest/queue.h"
#include "store/store.h"

static const char usage[] =
    "usage: playstat serve (--data DIR | --store URL [--state URL]) [--listen HOST:PORT] [options]\n"
    "\n"
    "Runs the playstat HTTP server over its stores.\n"
    "\n"
    "options:\n"
    "  --data DIR                 data directory, created if missing (or $PLAYSTAT_DATA): the\n"
    "                             same as --store sqlite:DIR\n"
    "  --store URL                the stores (or $PLAYSTAT_STORE): sqlite:DIR, the embedded\n"
    "                             SQLite database in DIR (the default); or\n"
    "                             clickhouse://HOST:PORT[,HOST:PORT...]/DB[?cluster=NAME&\n"
    "                             user=U&password_file=F&spool=DIR&spool_max_mb=N]: events in\n"
    "                             ClickHouse (HTTP port; with cluster=, one HOST:PORT per\n"
    "                             shard), acknowledged once fsync'ed in the local spool DIR\n"
    "                             (default ./playstat-spool) and shipped every second\n"
    "  --state URL                the state store (or $PLAYSTAT_STATE) when not the store's:\n"
    "                             postgres://USER[:PASS]@HOST:PORT/DB (libpq URI), shared by\n"
    "                             every node; needed with ClickHouse\n"
    "  --listen HOST:PORT         address to listen on (default 127.0.0.1:8080; port 0 = any\n"
    "                             free port; the chosen one is logged)\n"
    "  --threads N                HTTP event threads (default: number of CPUs), each with its\n"
    "                             own listening socket (SO_REUSEPORT)\n"
    "  --tls-cert FILE            serve HTTPS (HTTP/1.1 over TLS) on the listen address with\n"
    "  --tls-key FILE             this PEM certificate chain and key (both, or neither)\n"
    "  --geoip FILE               country database (MaxMind DB format: GeoLite2-Country or\n"
    "                             DB-IP country lite .mmdb): each analytics event gets the\n"
    "                             country of its request's client address (the dimension\n"
    "                             `country`); the address itself is never stored. Without it\n"
    "                             the country is unknown\n"
    "  --trusted-proxy CIDR       a reverse proxy in front of playstat (10.0.0.0/8, ::1/128,\n"
    "                             an address alone; repeatable, at most 64): requests from it\n"
    "                             take their client from X-Forwarded-For (the right-most entry\n"
    "                             that is not a trusted proxy). Otherwise the header is ignored\n"
    "  --access-log FILE|-        one line per request to FILE (appended) or standard output:\n"
    "                             time client method path status bytes microseconds game;\n"
    "                             path parameters show as {} and query values are dropped\n"
    "  --max-connections N        open connections at most (4096); when full, the longest\n"
    "                             idle or unfinished connection makes room for a new one\n"
    "  --max-connections-per-ip N open connections per client address (256)\n"
    "  --header-timeout S         a request's headers must arrive within S seconds (10)\n"
    "  --body-timeout S           its body within S seconds after them (60)\n"
    "  --queue-capacity N         records waiting for commit before answering 503 (200000)\n"
    "  --max-batch N              records per store transaction at most (50000)\n"
    "  --rejected-keep N          rejected events kept per game for inspection (10000)\n"
    "  --max-body BYTES           largest request body, raw or inflated (1048576)\n"
    "  --log-level LEVEL          debug, info, warn or error (info)\n"
    "  --session-window S         metrics sessions: allowed |session_ts - server time| (900)\n"
    "  --session-timeout S        metrics sessions: a session without requests for S seconds\n"
    "                             is over, ended at its last heartbeat (300)\n"
    "  --player-rate N            metrics requests per minute per player (120; burst N/2)\n"
    "  --match-retention-days D   multiplayer sessions are deleted D days after createdAt (30)\n"
    "  --match-retention-check S  how often expired multiplayer sessions are deleted (60)\n"
    "  --export-url URL           write every game's raw data to URL once each period has\n"
    "                             closed: file:DIR or s3://BUCKET/PREFIX[?endpoint=URL&\n"
    "                             region=R] (credentials: $AWS_ACCESS_KEY_ID,\n"
    "                             $AWS_SECRET_ACCESS_KEY); catches up after downtime\n"
    "  --export-every hour|day    one object per game, kind and UTC period (day)\n"
    "  --export-format F          parquet, ndjson.gz or both (parquet)\n"
    "  --export-delay S           a period is exported S seconds after its end (300;\n"
    "                             negative only for tests: open periods count as closed)\n"
    "  --event-retention-days D   analytics and rejected events are dropped D days after they\n"
    "                             arrived (default: kept); rollups keep their figures\n"
    "  --msession-retention-days D  metrics sessions are dropped D days after they were over\n"
    "                             (default: kept); rollups keep their figures\n"
    "  --web DIR                  the dashboard's files, served at / (default: web/ beside the\n"
    "                             binary's directory, else the source tree's web/); uPlot comes\n"
    "                             from DIR/../node_modules (npm ci)\n"
    "  --debug-commit-delay-ms N  testing aid: wait N ms before each commit\n"
    "  --debug-discard-writes     benchmark aid: answer events as stored WITHOUT storing them\n"
    "                             (measures the request path alone; never use with real data)\n"
    "\n"
    "endpoints: POST /v2/{game_key}/events, POST /v2/{game_key}/init,\n"
    "           POST /remote_configs/v1/init?game_key=..., GET /healthz, GET /metrics,\n"
    "           POST /v1/metrics/sessions/{start,heartbeat,end} (host g-{id}.<domain> or\n"
    "           path prefix /g-{id}), GET /api/v1/games/{id}/metrics/{name},\n"
    "           GET /api/v1/games/{id}/live, GET /api/v1/games (bearer API token),\n"
    "           DELETE /api/v1/games/{id}/players/{user_id} (admin API token),\n"
    "           the dashboard at GET /\n"
    "SIGTERM or SIGINT: commits what is queued, answers in-flight requests, exits 0.\n";

#define MAX_TRUSTED_PROXIES 64

typedef struct serve_options {
  const char *data, *store_url, *state_url;
  const char *web; /* NULL: found (ps_static_find_web_root) */
  long long session_window_s, session_timeout_s, player_rate;
  long long match_retention_days, match_retention_check_s;
  const char *export_url;
  int64_t export_period_ms;
  unsigned export_formats;
  long long export_delay_s, event_retention_days, msession_retention_days;
  const char *geoip_file;
  ps_cidr trusted_proxies[MAX_TRUSTED_PROXIES];
  ps_server_config http;
  ps_ingest_options ingest;
  ps_store_options store;
} serve_options;

/* Returns 0, or the exit status for a usage error / --help (-1 for help). */
static int parse_options(int argc, char **argv, serve_options *o) {
  enum { O_THREADS = 256, O_QUEUE, O_BATCH, O_KEEP, O_BODY, O_LOG, O_DELAY, O_WINDOW, O_TIMEOUT,
         O_RATE, O_RETENTION, O_RETENTION_CHECK, O_WEB, O_DISCARD, O_TLS_CERT, O_TLS_KEY,
         O_ACCESS_LOG, O_MAX_CONN, O_MAX_CONN_IP, O_HEADER_TIMEOUT, O_BODY_TIMEOUT,
         O_EXPORT_URL, O_EXPORT_EVERY, O_EXPORT_FORMAT, O_EXPORT_DELAY, O_EVENT_RETENTION,
         O_MSESSION_RETENTION, O_GEOIP, O_TRUSTED_PROXY };
  static const struct option options[] = {
      {"data", required_argument, NULL, 'd'},
      {"store", required_argument, NULL, 's'},
      {"state", required_argument, NULL, 'S'},
      {"listen", required_argument, NULL, 'l'},
      {"threads", required_argument, NULL, O_THREADS},
      {"queue-capacity", required_argument, NULL, O_QUEUE},
      {"max-batch", required_argument, NULL, O_BATCH},
      {"rejected-keep", required_argument, NULL, O_KEEP},
      {"max-body", required_argument, NULL, O_BODY},
      {"log-level", required_argument, NULL, O_LOG},
      {"debug-commit-delay-ms", required_argument, NULL, O_DELAY},
      {"debug-discard-writes", no_argument, NULL, O_DISCARD},
      {"session-window", required_argument, NULL, O_WINDOW},
      {"session-timeout", required_argument, NULL, O_TIMEOUT},
      {"player-rate", required_argument, NULL, O_RATE},
      {"match-retention-days", required_argument, NULL, O_RETENTION},
      {"match-retention-check", required_argument, NULL, O_RETENTION_CHECK},
      {"web", required_argument, NULL, O_WEB},
      {"export-url", required_argument, NULL, O_EXPORT_URL},
      {"export-every", required_argument, NULL, O_EXPORT_EVERY},
      {"export-format", required_argument, NULL, O_EXPORT_FORMAT},
      {"export-delay", required_argument, NULL, O_EXPORT_DELAY},
      {"event-retention-days", required_argument, NULL, O_EVENT_RETENTION},
      {"msession-retention-days", required_argument, NULL, O_MSESSION_RETENTION},
      {"tls-cert", required_argument, NULL, O_TLS_CERT},
      {"tls-key", required_argument, NULL, O_TLS_KEY},
      {"access-log", required_argument, NULL, O_ACCESS_LOG},
      {"geoip", required_argument, NULL, O_GEOIP},
      {"trusted-proxy", required_argument, NULL, O_TRUSTED_PROXY},
      {"max-connections", required_argument, NULL, O_MAX_CONN},
      {"max-connections-per-ip", required_argument, NULL, O_MAX_CONN_IP},
      {"header-timeout", required_argument, NULL, O_HEADER_TIMEOUT},
      {"body-timeout", required_argument, NULL, O_BODY_TIMEOUT},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0}};
  o->data = getenv("PLAYSTAT_DATA");
  o->http.listen = "127.0.0.1:8080";
  o->http.max_body_bytes = 1024 * 1024;
  o->session_window_s = 900;
  o->session_timeout_s = 300;
  o->player_rate = 120;
  o->match_retention_days = 30;
  o->match_retention_check_s = 60;
  o->export_period_ms = PS_EXPORT_DAY_MS;
  o->export_formats = 1u << PS_EXPORT_PARQUET;
  o->export_delay_s = 300;
  int c;
  long long v;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    int bad = 0;
    switch (c) {
      case 'd': o->data = optarg; break;
      case 's': o->store_url = optarg; break;
      case 'S': o->state_url = optarg; break;
      case 'l': o->http.listen = optarg; break;
      case O_THREADS:
        if (!(bad = ps_cli_parse_int("--threads", optarg, 1, 256, &v))) o->http.threads = (unsigned)v;
        break;
      case O_QUEUE:
        if (!(bad = ps_cli_parse_int("--queue-capacity", optarg, 1, 100000000, &v)))
          o->ingest.capacity_records = (size_t)v;
        break;
      case O_BATCH:
        if (!(bad = ps_cli_parse_int("--max-batch", optarg, 1, 10000000, &v)))
          o->ingest.max_batch_records = (size_t)v;
        break;
      case O_KEEP:
        if (!(bad = ps_cli_parse_int("--rejected-keep", optarg, 1, 100000000, &v)))
          o->store.rejected_keep_per_game = v;
        break;
      case O_BODY:
        if (!(bad = ps_cli_parse_int("--max-body", optarg, 1024, 1024LL * 1024 * 1024, &v)))
          o->http.max_body_bytes = (size_t)v;
        break;
      case O_LOG: {
        ps_log_level level;
        if (ps_log_parse_level(optarg, &level) != PS_OK) {
          fprintf(stderr, "playstat: --log-level wants debug, info, warn or error\n");
          bad = 2;
        } else {
          ps_log_set_level(level);
        }
        break;
      }
      case O_DELAY:
        if (!(bad = ps_cli_parse_int("--debug-commit-delay-ms", optarg, 0, 60000, &v)))
          o->ingest.debug_commit_delay_ms = (int)v;
        break;
      case O_DISCARD: o->ingest.debug_discard_writes = 1; break;
      case O_WINDOW:
        bad = ps_cli_parse_int("--session-window", optarg, 1, 86400 * 7, &o->session_window_s);
        break;
      case O_TIMEOUT:
        bad = ps_cli_parse_int("--session-timeout", optarg, 1, 86400, &o->session_timeout_s);
        break;
      case O_RATE:
        bad = ps_cli_parse_int("--player-rate", optarg, 1, 1000000, &o->player_rate);
        break;
      case O_RETENTION:
        bad = ps_cli_parse_int("--match-retention-days", optarg, 1, 3650, &o->match_retention_days);
        break;
      case O_RETENTION_CHECK:
        bad = ps_cli_parse_int("--match-retention-check", optarg, 1, 86400,
                               &o->match_retention_check_s);
        break;
      case O_WEB: o->web = optarg; break;
      case O_EXPORT_URL: o->export_url = optarg; break;
      case O_EXPORT_EVERY:
        bad = ps_cli_parse_export_every("--export-every", optarg, &o->export_period_ms);
        break;
      case O_EXPORT_FORMAT:
        bad = ps_cli_parse_export_formats("--export-format", optarg, &o->export_formats);
        break;
      case O_EXPORT_DELAY:
        bad = ps_cli_parse_int("--export-delay", optarg, -86400 * 7, 86400 * 7, &o->export_delay_s);
        break;
      case O_EVENT_RETENTION:
        bad = ps_cli_parse_int("--event-retention-days", optarg, 1, 36500,
                               &o->event_retention_days);
        break;
      case O_MSESSION_RETENTION:
        bad = ps_cli_parse_int("--msession-retention-days", optarg, 1, 36500,
                               &o->msession_retention_days);
        break;
      case O_TLS_CERT: o->http.tls_cert_file = optarg; break;
      case O_TLS_KEY: o->http.tls_key_file = optarg; break;
      case O_ACCESS_LOG: o->http.access_log = optarg; break;
      case O_GEOIP: o->geoip_file = optarg; break;
      case O_TRUSTED_PROXY:
        if (o->http.ntrusted_proxies == MAX_TRUSTED_PROXIES) {
          fprintf(stderr, "playstat: at most %d --trusted-proxy\n", MAX_TRUSTED_PROXIES);
          bad = 2;
        } else if (ps_cidr_parse(optarg, &o->trusted_proxies[o->http.ntrusted_proxies]) != PS_OK) {
          fprintf(stderr,
                  "playstat: --trusted-proxy wants an address or a network (10.0.0.0/8,"
                  " 2001:db8::/32) whose host bits are zero, not '%s'\n",
                  optarg);
          bad = 2;
        } else {
          o->http.ntrusted_proxies++;
        }
        break;
      case O_MAX_CONN:
        if (!(bad = ps_cli_parse_int("--max-connections", optarg, 1, 1000000, &v)))
          o->http.max_connections = (unsigned)v;
        break;
      case O_MAX_CONN_IP:
        if (!(bad = ps_cli_parse_int("--max-connections-per-ip", optarg, 1, 1000000, &v)))
          o->http.max_connections_per_address = (unsigned)v;
        break;
      case O_HEADER_TIMEOUT:
        if (!(bad = ps_cli_parse_int("--header-timeout", optarg, 1, 3600, &v)))
          o->http.header_timeout_s = (unsigned)v;
        break;
      case O_BODY_TIMEOUT:
        if (!(bad = ps_cli_parse_int("--body-timeout", optarg, 1, 86400, &v)))
          o->http.body_timeout_s = (unsigned)v;
        break;
      case 'h': fputs(usage, stdout); return -1;
      default: fputs(usage, stderr); return 2;
    }
    if (bad) return bad;
  }
  if (!o->http.tls_cert_file != !o->http.tls_key_file) {
    fprintf(stderr, "playstat: --tls-cert and --tls-key go together\n");
    return 2;
  }
  if (optind < argc) {
    fprintf(stderr, "playstat: unexpected argument '%s'\n%s", argv[optind], usage);
    return 2;
  }
  return 0;
}

int ps_cmd_serve(int argc, char **argv) {
  serve_options o = {0};
  int rc = parse_options(argc, argv, &o);
  if (rc) return rc < 0 ? 0 : rc;
  ps_stores stores = {0};
  o.http.trusted_proxies = o.trusted_proxies;
  o.store.msession_window_ms = o.session_window_s * 1000;
  o.store.msession_timeout_ms = o.session_timeout_s * 1000;
  if ((rc = ps_cli_open_stores(o.store_url, o.state_url, o.data, &o.store, &stores)) != 0) return rc;
  ps_app_config config = {
      .stores = stores,
      .store_name = o.store_url ? o.store_url : o.data ? o.data : getenv("PLAYSTAT_STORE"),
      .http = o.http,
      .ingest = o.ingest,
      .web_dir = o.web,
      .msession_window_ms = o.session_window_s * 1000,
      .msession_timeout_ms = o.session_timeout_s * 1000,
      .player_rate = (unsigned)o.player_rate,
      .so_retention_ms = o.match_retention_days * 86400000LL,
      .so_retention_check_ms = o.match_retention_check_s * 1000,
      .export_url = o.export_url,
      .export_period_ms = o.export_period_ms,
      .export_formats = o.export_formats,
      .export_delay_ms = o.export_delay_s * 1000,
      .event_retention_ms = o.event_retention_days * 86400000LL,
      .msession_retention_ms = o.msession_retention_days * 86400000LL,
      .geoip_file = o.geoip_file,
  };
  int status = ps_app_serve(&config);
  ps_stores_close(&stores);
  return status;
}
