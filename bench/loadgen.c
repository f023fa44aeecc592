/*
 * bench/loadgen.c: closed-loop HTTP/1.1 load generator for playstat's ingest endpoints, also
 * usable against any server (nginx answering 204) so both can be measured with the same client,
 * side by side. Two modes:
 *   --mode events     (default) the GameAnalytics v2 events endpoint, POST /v2/{game_key}/events
 *   --mode heartbeat  the mod.io-compatible metrics sessions, POST .../v1/metrics/sessions/heartbeat
 *
 * Model: --connections persistent keep-alive connections spread over --threads threads (one epoll
 * loop per thread). Each connection has exactly one request in flight (closed loop): it sends a
 * request, waits for the whole response, and sends the next one at once. A run is a warmup phase
 * (not measured) followed by a measured phase bounded by --duration and/or --requests; then the
 * connections stop issuing and drain what is in flight (bounded by --timeout).
 *
 * Bodies: a JSON array of --batch events of mixed categories (user, session_end, business,
 * resource, progression, design, error) valid per the seed schemas. Each connection plays one
 * simulated player and precomputes one template per event variant at start; a request copies
 * templates and patches only `event_uuid` (a fresh random UUID v4 per event) and `client_ts`.
 * The `Authorization` header is base64(HMAC-SHA256(secret, body)), over the gzipped bytes with
 * --gzip.
 *
 * Heartbeat mode: each connection plays one player (sub "<prefix>-<n>") with one session. Its
 * bearer token is an HS256 JWT minted here at start ({"alg":"HS256","typ":"JWT"},
 * {"sub","iat","exp": iat + 3600}, keyed with the --token-secret text). Its first request is
 * POST .../start (the path of --url with its last segment replaced: ids, session_order_id 1),
 * then heartbeats back to back with session_order_id 2, 3, ... Every request carries a fresh
 * random session_nonce, session_ts = the current unix seconds (a JSON number) and session_hash =
 * lowercase hex HMAC-SHA256 under the --metrics-key text of [ids joined by ","] + session_ts +
 * session_id + session_nonce (ids on start only). A start is retried until it is answered 2xx;
 * starts are counted apart (sessions_started, starts_failed) and never enter the measured
 * figures, which are heartbeats only.
 *
 * Accounting: a request's latency runs from its first byte sent to its last response byte. Only
 * responses completed during the measured phase feed rates and the latency histogram. Events are
 * "acknowledged" when their request is answered 2xx (playstat answers 200 only once they are
 * committed; nginx answers 204); `events_acked_total` also counts warmup and drain, so it can be
 * compared with the number of events the server stored.
 *
 * TLS (--tls, or an https:// URL): HTTP/1.1 over TLS (OpenSSL libssl, one client context for
 * all threads, one session per connection made when it connects), no SNI and no certificate
 * verification (a loopback benchmark, self-signed certificates); a failed handshake counts as a
 * connect error. Everything else is the same, so plain and TLS figures compare directly.
 *
 * Invariants: the hot path allocates nothing; per-thread statistics are merged only after join.
 *
 * One implementation of the rules: what must agree with the server comes from the server's own
 * code in playstat_core (bench/CMakeLists.txt links it), never from a copy here: the body
 * signature and the keyed HMAC (auth/hmac.h), the session hash (ingest/metrics/session_hash.h),
 * the player tokens (auth/jwt.h), the generator and its UUIDs (sim/rng.h, common/random.h).
 * Besides: libc, pthreads and zlib (--gzip; one deflate stream per thread, reset per body).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <zlib.h>

#include "auth/hmac.h"
#include "auth/jwt.h"
#include "ingest/metrics/session_hash.h"
#include "sim/rng.h"

/* ------------------------------------------------------------------------------------------ */
/* Options                                                                                      */

enum mode { M_EVENTS, M_HEARTBEAT };

struct options {
    char host[256];
    char port[16];
    char path[1024];
    char start_path[1024];  /* heartbeat mode: the session start request's path */
    const char *url;
    const char *secret;
    enum mode mode;
    const char *metrics_key;  /* heartbeat mode: key of the session hash */
    const char *token_secret; /* heartbeat mode: key of the bearer JWTs */
    const char *player_prefix;
    int batch;
    int connections;
    int threads;
    double duration;      /* seconds of measured phase; 0 = unbounded (needs --requests) */
    uint64_t requests;    /* measured requests to issue; 0 = unbounded (needs --duration) */
    double warmup;
    double timeout;       /* per request and for the final drain */
    uint64_t progress;    /* print a progress line on stderr every N events acked; 0 = never */
    bool gzip;
    bool tls;             /* --tls or https:// */
    bool json;
    bool print_body;
};

static void usage(FILE *f)
{
    fputs(
        "usage: loadgen --url http://127.0.0.1:PORT/v2/GAMEKEY/events --secret SECRET [options]\n"
        "       loadgen --mode heartbeat --url http://127.0.0.1:PORT/g-ID/v1/metrics/sessions/heartbeat\n"
        "               --metrics-key KEY --token-secret SECRET [options]\n"
        "\n"
        "Closed-loop HTTP/1.1 load: C keep-alive connections, each with one request in flight.\n"
        "Events mode: each request a freshly generated JSON array of mixed, schema-valid events\n"
        "with random event_uuids, signed with Authorization: base64(HMAC-SHA256(secret, body)).\n"
        "Heartbeat mode: each connection is one player (own HS256 bearer token) with one metrics\n"
        "session: a start (to the URL's path ending in /start), then heartbeats back to back, each\n"
        "with a fresh nonce, the next order id and its session_hash.\n"
        "\n"
        "  --url URL            target, http:// or https:// (required)\n"
        "  --tls                HTTP over TLS (implied by https://): no SNI, no verification\n"
        "  --mode M             events (default) or heartbeat\n"
        "  --secret KEY         events: the game's secret key, for the HMAC (required)\n"
        "  --metrics-key KEY    heartbeat: the game's metrics_key, for session_hash (required)\n"
        "  --token-secret KEY   heartbeat: the game's token_secret, for the JWTs (required)\n"
        "  --player-prefix P    heartbeat: players are P-0, P-1, ... (default bench-<random>)\n"
        "  --batch N            events per request (default 1)\n"
        "  --connections C      concurrent keep-alive connections (default 64)\n"
        "  --threads T          client threads, each an epoll loop (default 2)\n"
        "  --duration S         measured seconds (default 10 unless --requests is given)\n"
        "  --requests N         stop after N measured requests (with --duration: whichever first)\n"
        "  --warmup S           unmeasured seconds before measuring (default 2)\n"
        "  --timeout S          per-request timeout and final drain limit (default 30)\n"
        "  --progress N         every N events acknowledged (all phases), print on stderr\n"
        "                       'loadgen: progress EVENTS events SECONDS s' (seconds since start)\n"
        "  --gzip               send bodies gzipped (Content-Encoding: gzip, HMAC over gzip bytes)\n"
        "  --json               print the results as one JSON object on stdout\n"
        "  --print-body         print one generated body on stdout and exit (no traffic)\n"
        "  -h, --help           this help\n"
        "\n"
        "Reported: requests/s, events/s (events in 2xx-answered requests), latency p50/p90/p99/\n"
        "p99.9/max (first byte sent to last byte received), counts per status, non-2xx, errors,\n"
        "events_acked_total (2xx events including warmup and drain), the client's own CPU time.\n"
        "Heartbeat mode: the same for heartbeats (one event = one heartbeat), plus\n"
        "sessions_started and starts_failed (starts are not in the measured figures).\n",
        f);
}

static bool parse_url(struct options *o, const char *url)
{
    const char *p = url;
    if (strncmp(p, "https://", 8) == 0) {
        o->tls = true;
        p += 8;
    } else if (strncmp(p, "http://", 7) == 0) {
        p += 7;
    } else {
        return false;
    }
    const char *hend = p + strcspn(p, ":/");
    size_t hlen = (size_t)(hend - p);
    if (hlen == 0 || hlen >= sizeof o->host)
        return false;
    memcpy(o->host, p, hlen);
    o->host[hlen] = 0;
    p = hend;
    if (*p == ':') {
        p++;
        size_t plen = strspn(p, "0123456789");
        if (plen == 0 || plen >= sizeof o->port)
            return false;
        memcpy(o->port, p, plen);
        o->port[plen] = 0;
        p += plen;
    } else {
        strcpy(o->port, o->tls ? "443" : "80");
    }
    if (*p == 0)
        p = "/";
    if (*p != '/' || strlen(p) >= sizeof o->path)
        return false;
    strcpy(o->path, p);
    return true;
}

static double parse_positive(const char *name, const char *s, double min)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == 0 || *end != 0 || !(v >= min)) {
        fprintf(stderr, "loadgen: bad value for --%s: %s\n", name, s);
        exit(2);
    }
    return v;
}

static void parse_options(struct options *o, int argc, char **argv)
{
    enum { O_URL = 256, O_SECRET, O_BATCH, O_CONN, O_THREADS, O_DURATION, O_REQUESTS,
           O_WARMUP, O_TIMEOUT, O_GZIP, O_JSON, O_PRINT, O_MODE, O_METRICS_KEY, O_TOKEN_SECRET,
           O_PLAYER_PREFIX, O_PROGRESS, O_TLS };
    static const struct option longopts[] = {
        {"url", required_argument, 0, O_URL},
        {"secret", required_argument, 0, O_SECRET},
        {"batch", required_argument, 0, O_BATCH},
        {"connections", required_argument, 0, O_CONN},
        {"threads", required_argument, 0, O_THREADS},
        {"duration", required_argument, 0, O_DURATION},
        {"requests", required_argument, 0, O_REQUESTS},
        {"warmup", required_argument, 0, O_WARMUP},
        {"timeout", required_argument, 0, O_TIMEOUT},
        {"gzip", no_argument, 0, O_GZIP},
        {"tls", no_argument, 0, O_TLS},
        {"json", no_argument, 0, O_JSON},
        {"print-body", no_argument, 0, O_PRINT},
        {"mode", required_argument, 0, O_MODE},
        {"metrics-key", required_argument, 0, O_METRICS_KEY},
        {"token-secret", required_argument, 0, O_TOKEN_SECRET},
        {"player-prefix", required_argument, 0, O_PLAYER_PREFIX},
        {"progress", required_argument, 0, O_PROGRESS},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    *o = (struct options){.batch = 1, .connections = 64, .threads = 2, .warmup = 2,
                          .timeout = 30, .duration = -1};
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case O_URL: o->url = optarg; break;
        case O_SECRET: o->secret = optarg; break;
        case O_BATCH: o->batch = (int)parse_positive("batch", optarg, 1); break;
        case O_CONN: o->connections = (int)parse_positive("connections", optarg, 1); break;
        case O_THREADS: o->threads = (int)parse_positive("threads", optarg, 1); break;
        case O_DURATION: o->duration = parse_positive("duration", optarg, 0); break;
        case O_REQUESTS: o->requests = (uint64_t)parse_positive("requests", optarg, 1); break;
        case O_WARMUP: o->warmup = parse_positive("warmup", optarg, 0); break;
        case O_TIMEOUT: o->timeout = parse_positive("timeout", optarg, 0.001); break;
        case O_GZIP: o->gzip = true; break;
        case O_TLS: o->tls = true; break;
        case O_JSON: o->json = true; break;
        case O_PRINT: o->print_body = true; break;
        case O_MODE:
            if (strcmp(optarg, "events") == 0) {
                o->mode = M_EVENTS;
            } else if (strcmp(optarg, "heartbeat") == 0) {
                o->mode = M_HEARTBEAT;
            } else {
                fprintf(stderr, "loadgen: --mode is events or heartbeat\n");
                exit(2);
            }
            break;
        case O_METRICS_KEY: o->metrics_key = optarg; break;
        case O_TOKEN_SECRET: o->token_secret = optarg; break;
        case O_PLAYER_PREFIX: o->player_prefix = optarg; break;
        case O_PROGRESS: o->progress = (uint64_t)parse_positive("progress", optarg, 1); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); exit(2);
        }
    }
    bool keys = o->mode == M_EVENTS ? o->secret != NULL : o->metrics_key && o->token_secret;
    if (optind != argc || !o->url || !keys) {
        usage(stderr);
        exit(2);
    }
    if (!parse_url(o, o->url)) {
        fprintf(stderr, "loadgen: --url must look like http://HOST:PORT/PATH (or https://)\n");
        exit(2);
    }
    if (o->mode == M_HEARTBEAT) {
        /* .../heartbeat -> .../start */
        const char *slash = strrchr(o->path, '/');
        size_t keep = (size_t)(slash - o->path) + 1;
        if (strcmp(slash, "/heartbeat") != 0 || keep + 6 > sizeof o->start_path) {
            fprintf(stderr, "loadgen: in heartbeat mode, the --url path ends in /heartbeat\n");
            exit(2);
        }
        memcpy(o->start_path, o->path, keep);
        strcpy(o->start_path + keep, "start");
        if (o->gzip || o->batch != 1) {
            fprintf(stderr, "loadgen: --gzip and --batch are for events mode\n");
            exit(2);
        }
        if (o->player_prefix && (strlen(o->player_prefix) > 100 ||
                                 o->player_prefix[strspn(o->player_prefix,
                                                         "abcdefghijklmnopqrstuvwxyz"
                                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                         "0123456789._-")] != 0)) {
            fprintf(stderr, "loadgen: --player-prefix is at most 100 of [A-Za-z0-9._-]\n");
            exit(2);
        }
    }
    if (o->duration < 0)
        o->duration = o->requests ? 0 : 10;
    if (o->threads > o->connections)
        o->threads = o->connections;
    if (o->batch > 100000) {
        fprintf(stderr, "loadgen: --batch is at most 100000\n");
        exit(2);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Small utilities: clock, PRNG, hex                                                            */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The simulator's generator (xoshiro256**, sim/rng.h), one per thread, seeded from getrandom(). */
struct rng { ps_sim_rng g; };

static uint64_t rng_next(struct rng *r) { return ps_sim_rng_u64(&r->g); }

static void rng_seed(struct rng *r)
{
    uint64_t seed;
    if (getrandom(&seed, sizeof seed, 0) != (ssize_t)sizeof seed) {
        perror("loadgen: getrandom");
        exit(1);
    }
    ps_sim_rng_init(&r->g, seed, 0);
}

static uint32_t rng_below(struct rng *r, uint32_t n) { return (uint32_t)ps_sim_below(&r->g, n); }

/* Writes a lowercase UUID v4 (36 characters, no terminator: it patches a template in place)
 * to out. */
static void uuid_v4(struct rng *r, char *out)
{
    char uuid[37];
    ps_sim_uuid(&r->g, uuid);
    memcpy(out, uuid, 36);
}

/* ------------------------------------------------------------------------------------------ */
/* Latency histogram: log-linear buckets in microseconds, under 1% relative error.             */

#define HIST_SUB 128                                   /* linear sub-buckets per power of two */
#define HIST_BUCKETS (2 * HIST_SUB + 40 * HIST_SUB)

struct hist {
    uint64_t count[HIST_BUCKETS];
    uint64_t total, max, sum;
};

static int hist_index(uint64_t v)
{
    if (v < 2 * HIST_SUB)
        return (int)v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - 7;                               /* 2^7 == HIST_SUB */
    int i = 2 * HIST_SUB + (shift - 1) * HIST_SUB + (int)((v >> shift) - HIST_SUB);
    return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* The largest value that falls into bucket i. */
static uint64_t hist_value(int i)
{
    if (i < 2 * HIST_SUB)
        return (uint64_t)i;
    int shift = (i - 2 * HIST_SUB) / HIST_SUB + 1;
    uint64_t sub = (uint64_t)((i - 2 * HIST_SUB) % HIST_SUB + HIST_SUB);
    return ((sub + 1) << shift) - 1;
}

static void hist_add(struct hist *h, uint64_t v)
{
    h->count[hist_index(v)]++;
    h->total++;
    h->sum += v;
    if (v > h->max)
        h->max = v;
}

static void hist_merge(struct hist *into, const struct hist *h)
{
    for (int i = 0; i < HIST_BUCKETS; i++)
        into->count[i] += h->count[i];
    into->total += h->total;
    into->sum += h->sum;
    if (h->max > into->max)
        into->max = h->max;
}

static uint64_t hist_percentile(const struct hist *h, double p)
{
    if (h->total == 0)
        return 0;
    uint64_t rank = (uint64_t)(p / 100.0 * (double)h->total + 0.5), seen = 0;
    if (rank < 1)
        rank = 1;
    for (int i = 0; i < HIST_BUCKETS; i++) {
        seen += h->count[i];
        if (seen >= rank) {
            uint64_t v = hist_value(i);
            return v < h->max ? v : h->max;
        }
    }
    return h->max;
}

/* ------------------------------------------------------------------------------------------ */
/* Event bodies                                                                                 */

/* Categories and their share of the traffic, in percent: design and progression/resource
 * dominate real games; one user and one session_end per session; business and error are rare. */
enum category { C_USER, C_SESSION_END, C_BUSINESS, C_RESOURCE, C_PROGRESSION, C_DESIGN, C_ERROR,
                C_COUNT };
static const int category_weight[C_COUNT] = {8, 6, 3, 18, 18, 42, 5};

#define VARIANTS 3            /* templates per category per player */
#define EVENT_MAX 1024        /* bytes, upper bound of one rendered event */

struct event_template {
    char text[EVENT_MAX];
    int len;
    int uuid_at, ts_at;       /* offsets of the 36-byte event_uuid and the 10-digit client_ts */
};

struct player {
    struct event_template t[C_COUNT][VARIANTS];
};

static const char *const manufacturers[][2] = {
    {"samsung", "SM-G991B"}, {"samsung", "SM-A525F"}, {"xiaomi", "Redmi Note 12"},
    {"google", "Pixel 7"}, {"oneplus", "CPH2449"}, {"motorola", "moto g54 5G"},
};

/* Renders the category-specific fields of one event into out (a JSON fragment that follows
 * `,`), choosing among realistic values with the player's rng. */
static void category_fields(struct rng *r, enum category c, int variant, char *out, size_t n)
{
    static const char *const design_ids[] = {"GamePlay:Kill:Orc", "GamePlay:Kill:Goblin",
                                             "UI:Button:OpenShop"};
    static const char *const resource_ids[] = {"Source:Gold:reward:level_end",
                                               "Sink:Gold:boost:rainbowBoost",
                                               "Source:Gems:rewardedVideo:dailyBonus"};
    static const char *const progression_status[] = {"Start", "Fail", "Complete"};
    static const char *const severities[] = {"warning", "error", "critical"};
    static const char *const messages[] = {
        "NullReferenceException: Object reference not set to an instance of an object at "
        "EnemyAI.Update()",
        "IndexOutOfRangeException: Index was outside the bounds of the array at "
        "Inventory.GetSlot(Int32 index)",
        "Texture atlas ui_main exceeded 4096x4096, falling back to low quality assets"};
    switch (c) {
    case C_USER:
        snprintf(out, n, "\"category\":\"user\"");
        break;
    case C_SESSION_END:
        snprintf(out, n, "\"category\":\"session_end\",\"length\":%u", 30 + rng_below(r, 3600));
        break;
    case C_BUSINESS:
        snprintf(out, n,
                 "\"category\":\"business\",\"event_id\":\"Gems:gems_100\",\"amount\":%d,"
                 "\"currency\":\"USD\",\"transaction_num\":%u,\"cart_type\":\"menu_shop\"",
                 (int[]){99, 499, 999}[variant], 1 + rng_below(r, 20));
        break;
    case C_RESOURCE: {
        int sink = resource_ids[variant][1] == 'i';
        snprintf(out, n, "\"category\":\"resource\",\"event_id\":\"%s\",\"amount\":%s%u",
                 resource_ids[variant], sink ? "-" : "", 10 + rng_below(r, 500));
        break;
    }
    case C_PROGRESSION:
        if (variant == 0)
            snprintf(out, n, "\"category\":\"progression\",\"event_id\":\"Start:World1:Level3\"");
        else
            snprintf(out, n,
                     "\"category\":\"progression\",\"event_id\":\"%s:World1:Level3\","
                     "\"attempt_num\":%u,\"score\":%u",
                     progression_status[variant], 1 + rng_below(r, 5), rng_below(r, 20000));
        break;
    case C_DESIGN:
        snprintf(out, n, "\"category\":\"design\",\"event_id\":\"%s\",\"value\":%u.5",
                 design_ids[variant], rng_below(r, 100));
        break;
    case C_ERROR:
        snprintf(out, n, "\"category\":\"error\",\"severity\":\"%s\",\"message\":\"%s\"",
                 severities[variant], messages[variant]);
        break;
    case C_COUNT:
        break;
    }
}

/* Fills p with one template per category and variant for a fresh simulated player: its user_id,
 * session_id (UUID v4), session_num and device are the same in all of its events. */
static void player_init(struct player *p, struct rng *r)
{
    char user_id[37] = {0}, session_id[37] = {0};
    uuid_v4(r, user_id);
    uuid_v4(r, session_id);
    unsigned session_num = 1 + rng_below(r, 200);
    const char *const *dev = manufacturers[rng_below(r, sizeof manufacturers / sizeof *manufacturers)];
    static const char *const conn_types[] = {"wifi", "wwan"};
    const char *conn_type = conn_types[rng_below(r, 2)];
    for (int c = 0; c < C_COUNT; c++) {
        for (int v = 0; v < VARIANTS; v++) {
            struct event_template *t = &p->t[c][v];
            char fields[512];
            category_fields(r, (enum category)c, v, fields, sizeof fields);
            /* The placeholders are found again below to record where to patch. */
            t->len = snprintf(t->text, sizeof t->text,
                              "{\"v\":2,\"event_uuid\":\"%036d\",\"user_id\":\"%s\","
                              "\"client_ts\":%010d,\"sdk_version\":\"rest api v2\","
                              "\"os_version\":\"android 14\",\"manufacturer\":\"%s\","
                              "\"device\":\"%s\",\"platform\":\"android\",\"session_id\":\"%s\","
                              "\"session_num\":%u,\"build\":\"1.8.%u\",\"connection_type\":\"%s\","
                              "%s}",
                              0, user_id, 0, dev[0], dev[1], session_id, session_num,
                              2 + (session_num % 3), conn_type, fields);
            if (t->len <= 0 || t->len >= (int)sizeof t->text) {
                fprintf(stderr, "loadgen: event template too long\n");
                exit(1);
            }
            t->uuid_at = (int)(strstr(t->text, "\"event_uuid\":\"") - t->text) + 14;
            t->ts_at = (int)(strstr(t->text, "\"client_ts\":") - t->text) + 12;
        }
    }
}

static enum category pick_category(struct rng *r)
{
    int x = (int)rng_below(r, 100);
    for (int c = 0; c < C_COUNT; c++) {
        if (x < category_weight[c])
            return (enum category)c;
        x -= category_weight[c];
    }
    return C_DESIGN;
}

/* Writes a body of `batch` events into out (capacity checked by the caller: batch * EVENT_MAX
 * + 2) and returns its length. ts10 is the current unix time as 10 digits. */
static size_t render_body(const struct player *p, struct rng *r, int batch, const char *ts10,
                          char *out)
{
    char *w = out;
    *w++ = '[';
    for (int i = 0; i < batch; i++) {
        const struct event_template *t = &p->t[pick_category(r)][rng_below(r, VARIANTS)];
        if (i)
            *w++ = ',';
        memcpy(w, t->text, (size_t)t->len);
        uuid_v4(r, w + t->uuid_at);
        memcpy(w + t->ts_at, ts10, 10);
        w += t->len;
    }
    *w++ = ']';
    return (size_t)(w - out);
}

/* ------------------------------------------------------------------------------------------ */
/* Per-thread state, connections and statistics                                                */

enum phase { PH_WARMUP, PH_MEASURE, PH_STOP };
static _Atomic int g_phase = PH_WARMUP;
static _Atomic uint64_t g_issued;            /* measured requests issued, against --requests */
static _Atomic uint64_t g_acked;             /* events answered 2xx, all phases (--progress) */
static _Atomic int g_threads_done;
static _Atomic uint64_t g_measure_start_us;  /* now_us() when the measured phase began */
static atomic_flag g_printed_error_body = ATOMIC_FLAG_INIT; /* show one non-2xx body, for diagnosis */

#define TIMELINE_MAX 3600    /* seconds of per-second counts; later ones go to the last */

enum err { E_CONNECT, E_WRITE, E_READ, E_CLOSED, E_PARSE, E_TIMEOUT, E_COUNT };
static const char *const err_names[E_COUNT] = {"connect", "write", "read", "closed_early", "parse",
                                                "timeout"};

struct stats {
    uint64_t status[600];
    uint64_t requests, events_acked, errors[E_COUNT];
    uint64_t events_acked_total, requests_total, bytes_sent, reconnects;
    uint64_t starts_ok, starts_failed;  /* heartbeat mode: session starts, in any phase */
    uint32_t per_second[TIMELINE_MAX];  /* measured responses completed in each second */
    struct hist lat;
};

/* Heartbeat mode: the one player and session of a connection. */
struct msession {
    char player[128];
    char session_id[37];
    char ids[64];            /* the mod ids of the session, joined by "," */
    char token[640];         /* HS256 JWT */
    const char *platform, *portal;
    uint64_t next_order;     /* order id of the next heartbeat */
    bool started;            /* the start was answered 2xx */
};

enum cstate { CS_CLOSED, CS_CONNECTING, CS_HANDSHAKE, CS_WRITING, CS_READING, CS_DONE };

struct conn {
    int fd;
    SSL *ssl;               /* --tls: this connection's TLS session, else NULL */
    enum cstate state;
    bool measured;          /* the request in flight was issued during the measured phase */
    bool is_start;          /* heartbeat mode: the request in flight is the session's start */
    struct player player;
    struct msession ms;
    char *req;              /* header + body of the current request */
    size_t req_len, req_off;
    char *rbuf;
    size_t rlen, rcap;
    uint64_t started_us, deadline_us, retry_at_us;
    struct worker *w;
};

struct worker {
    pthread_t tid;
    const struct options *o;
    const struct addrinfo *addr;
    int epfd;
    struct conn *conns;
    int nconns;
    struct rng rng;
    ps_hmac *mac;           /* the secret key (events) or the metrics key (heartbeat) */
    z_stream z;
    size_t zcap;            /* gzip output bound of one body */
    char *body;             /* scratch for the plain body when gzipping */
    time_t ts_sec;
    char ts10[11];
    struct stats st;
    bool reconnect_pending;
};

#define HEAD_RESERVE 1536    /* bytes kept in front of the body for the request head */

static size_t body_capacity(const struct options *o) { return (size_t)o->batch * EVENT_MAX + 16; }

static const char *current_ts10(struct worker *w)
{
    time_t t = time(NULL);
    if (t != w->ts_sec) {
        w->ts_sec = t;
        snprintf(w->ts10, sizeof w->ts10, "%010lld", (long long)t);
    }
    return w->ts10;
}

/* base64(HMAC-SHA256(secret, data)) into out (45 bytes), as the collector checks it. */
static void sign(struct worker *w, const char *data, size_t len, char *out)
{
    if (ps_hmac_base64(w->mac, data, len, out) != 0) {
        fprintf(stderr, "loadgen: HMAC failed\n");
        exit(1);
    }
}

/* Gzips [in, in + len) into out (w->zcap bytes) and returns the compressed length. */
static size_t gzip_into(struct worker *w, const char *in, size_t len, char *out)
{
    deflateReset(&w->z);
    w->z.next_in = (Bytef *)in;
    w->z.avail_in = (uInt)len;
    w->z.next_out = (Bytef *)out;
    w->z.avail_out = (uInt)w->zcap;
    if (deflate(&w->z, Z_FINISH) != Z_STREAM_END) {
        fprintf(stderr, "loadgen: deflate failed\n");
        exit(1);
    }
    return w->zcap - w->z.avail_out;
}

/* Heartbeat mode: writes the next request of c (the start until one was answered 2xx, then
 * the next heartbeat) into c->req, body straight after HEAD_RESERVE, head in front. */
static void build_msession_request(struct worker *w, struct conn *c)
{
    static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const struct options *o = w->o;
    struct msession *m = &c->ms;
    const char *ts = current_ts10(w);
    char nonce[19], hash[65];
    for (int i = 0; i < 18; i++)
        nonce[i] = alnum[rng_below(&w->rng, sizeof alnum - 1)];
    nonce[18] = 0;
    c->is_start = !m->started;
    uint64_t order = c->is_start ? 1 : m->next_order++;
    /* session_hash: [ids] + session_ts + session_id + session_nonce, as sent */
    if (ps_session_hash_keyed(w->mac, c->is_start ? m->ids : NULL, ts, m->session_id, nonce,
                              hash) != 0) {
        fprintf(stderr, "loadgen: HMAC failed\n");
        exit(1);
    }
    char *body = c->req + HEAD_RESERVE;
    int blen = snprintf(body, body_capacity(o),
                        "{%s%s%s\"session_id\":\"%s\",\"session_ts\":%s,\"session_hash\":\"%s\","
                        "\"session_nonce\":\"%s\",\"session_order_id\":%" PRIu64 "}",
                        c->is_start ? "\"ids\":[" : "", c->is_start ? m->ids : "",
                        c->is_start ? "]," : "", m->session_id, ts, hash, nonce, order);
    char head[HEAD_RESERVE];
    int hlen = snprintf(head, sizeof head,
                        "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                        "Authorization: Bearer %s\r\nX-Modio-Platform: %s\r\n"
                        "X-Modio-Portal: %s\r\nContent-Length: %d\r\n\r\n",
                        c->is_start ? o->start_path : o->path, o->host, o->port, m->token,
                        m->platform, m->portal, blen);
    if (blen <= 0 || (size_t)blen >= body_capacity(o) || hlen <= 0 || hlen >= HEAD_RESERVE) {
        fprintf(stderr, "loadgen: request too long (path?)\n");
        exit(1);
    }
    memcpy(body - hlen, head, (size_t)hlen);
    c->req_off = HEAD_RESERVE - (size_t)hlen;
    c->req_len = HEAD_RESERVE + (size_t)blen;
}

/* Heartbeat mode: player number n of this run, with its session, mods, platform and token. */
static void msession_init(struct msession *m, const struct options *o, struct rng *r,
                          const char *prefix, int n)
{
    static const char *const platforms[] = {"windows", "windows", "linux", "ps5", "xboxseriesx",
                                            "switch", "android", "mac"};
    static const char *const portals[] = {"steam", "steam", "epicgames", "psn", "xboxlive",
                                          "nintendo", "google", "gog"};
    static const unsigned mods[] = {238219, 674839, 1021, 55432, 9870001, 312, 77654, 4242};
    memset(m, 0, sizeof *m);
    snprintf(m->player, sizeof m->player, "%s-%d", prefix, n);
    uuid_v4(r, m->session_id);
    m->session_id[36] = 0;
    int nmods = 1 + (int)rng_below(r, 3);
    size_t len = 0;
    for (int i = 0; i < nmods; i++)
        len += (size_t)snprintf(m->ids + len, sizeof m->ids - len, "%s%u", i ? "," : "",
                                mods[(n + 3 * i) % 8]);
    int p = (int)rng_below(r, 8);
    m->platform = platforms[p];
    m->portal = portals[p];
    m->next_order = 2;
    /* the player's token, minted as `playstat token` does, valid for an hour */
    int64_t now = (int64_t)time(NULL);
    if (ps_jwt_sign_hs256(o->token_secret, m->player, now, now + 3600, m->token,
                          sizeof m->token) != 0) {
        fprintf(stderr, "loadgen: cannot mint the player's token (--token-secret?)\n");
        exit(1);
    }
}

/* Builds the next request of c into c->req: body straight after HEAD_RESERVE, head in front. */
static void build_request(struct worker *w, struct conn *c)
{
    const struct options *o = w->o;
    if (o->mode == M_HEARTBEAT) {
        build_msession_request(w, c);
        return;
    }
    char *body = c->req + HEAD_RESERVE;
    size_t blen;
    if (o->gzip) {
        size_t plain = render_body(&c->player, &w->rng, o->batch, current_ts10(w), w->body);
        blen = gzip_into(w, w->body, plain, body);
    } else {
        blen = render_body(&c->player, &w->rng, o->batch, current_ts10(w), body);
    }
    char auth[64], head[HEAD_RESERVE];
    sign(w, body, blen, auth);
    int hlen = snprintf(head, sizeof head,
                        "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                        "Authorization: %s\r\n%sContent-Length: %zu\r\n\r\n",
                        o->path, o->host, o->port, auth,
                        o->gzip ? "Content-Encoding: gzip\r\n" : "", blen);
    if (hlen <= 0 || hlen >= HEAD_RESERVE) {
        fprintf(stderr, "loadgen: request head too long (path?)\n");
        exit(1);
    }
    memcpy(body - hlen, head, (size_t)hlen);
    c->req_off = HEAD_RESERVE - (size_t)hlen;
    c->req_len = HEAD_RESERVE + blen;
}

static void ep_set(struct conn *c, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    if (epoll_ctl(c->w->epfd, op, c->fd, &ev) != 0) {
        perror("loadgen: epoll_ctl");
        exit(1);
    }
}

static void conn_close(struct conn *c)
{
    SSL_free(c->ssl); /* no close_notify: the connection is dropped either way */
    c->ssl = NULL;
    if (c->fd >= 0) {
        close(c->fd); /* also removes it from the epoll set */
        c->fd = -1;
    }
    c->rlen = 0;
    c->state = CS_CLOSED;
    c->w->reconnect_pending = true; /* reopened by the timer scan, after the current batch */
}

static void conn_connect(struct conn *c);
static void conn_send(struct conn *c);

/* Records an error on c, closes it and schedules a reconnect (a short pause for connect errors,
 * so that a dead server does not turn into a busy loop). */
static void conn_fail(struct conn *c, enum err e)
{
    struct worker *w = c->w;
    if (atomic_load(&g_phase) != PH_STOP || e != E_CLOSED)
        w->st.errors[e]++;
    /* A start lost with its connection may have been stored: the retry starts another session
     * (so a stored orphan shows up as one session too many, never as a 409 loop). */
    if (c->is_start && (c->state == CS_WRITING || c->state == CS_READING))
        uuid_v4(&w->rng, c->ms.session_id);
    conn_close(c);
    c->retry_at_us = now_us() + (e == E_CONNECT ? 100000 : 0);
}

/* Starts the next request on an open, idle connection, or retires it when the run is over. */
static void conn_next(struct conn *c)
{
    struct worker *w = c->w;
    const struct options *o = w->o;
    int ph = atomic_load(&g_phase);
    if (ph == PH_STOP) {
        conn_close(c);
        c->state = CS_DONE;
        return;
    }
    c->measured = ph == PH_MEASURE;
    bool is_start = o->mode == M_HEARTBEAT && !c->ms.started; /* not a measured request */
    if (c->measured && !is_start && o->requests && atomic_fetch_add(&g_issued, 1) >= o->requests) {
        conn_close(c);
        c->state = CS_DONE;
        return;
    }
    build_request(w, c);
    c->started_us = now_us();
    c->deadline_us = c->started_us + (uint64_t)(o->timeout * 1e6);
    c->state = CS_WRITING;
    conn_send(c);
}

static void conn_connect(struct conn *c)
{
    struct worker *w = c->w;
    const struct addrinfo *a = w->addr;
    c->fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (c->fd < 0) {
        perror("loadgen: socket");
        exit(1);
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    c->rlen = 0;
    if (connect(c->fd, a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
        conn_fail(c, E_CONNECT);
        return;
    }
    c->state = CS_CONNECTING;
    c->deadline_us = now_us() + (uint64_t)(w->o->timeout * 1e6);
    ep_set(c, EPOLLOUT, EPOLL_CTL_ADD);
}

/* What one send or receive on a connection did, over TCP or TLS alike. */
enum io { IO_OK, IO_EOF, IO_AGAIN, IO_ERROR };

static SSL_CTX *g_tls; /* --tls: the client context every connection's session comes from */

static enum io tls_result(struct conn *c, int ok)
{
    if (ok)
        return IO_OK;
    switch (SSL_get_error(c->ssl, 0)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: return IO_AGAIN;
    case SSL_ERROR_ZERO_RETURN: return IO_EOF;
    default: return IO_ERROR;
    }
}

/* Sends up to len bytes of p; *n is how many went out on IO_OK. */
static enum io io_send(struct conn *c, const char *p, size_t len, size_t *n)
{
    if (c->ssl) {
        ERR_clear_error();
        return tls_result(c, SSL_write_ex(c->ssl, p, len, n));
    }
    for (;;) {
        ssize_t r = send(c->fd, p, len, MSG_NOSIGNAL);
        if (r > 0) {
            *n = (size_t)r;
            return IO_OK;
        }
        if (r < 0 && errno == EINTR)
            continue;
        return r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? IO_AGAIN : IO_ERROR;
    }
}

/* Receives up to len bytes into p; *n is how many came on IO_OK. */
static enum io io_recv(struct conn *c, char *p, size_t len, size_t *n)
{
    if (c->ssl) {
        ERR_clear_error();
        return tls_result(c, SSL_read_ex(c->ssl, p, len, n));
    }
    for (;;) {
        ssize_t r = recv(c->fd, p, len, 0);
        if (r > 0) {
            *n = (size_t)r;
            return IO_OK;
        }
        if (r == 0)
            return IO_EOF;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? IO_AGAIN : IO_ERROR;
    }
}

/* --tls: drives c's handshake; once done, c starts its first request. */
static void conn_handshake(struct conn *c)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->ssl);
    if (r == 1) {
        ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
        conn_next(c);
        return;
    }
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ: ep_set(c, EPOLLIN, EPOLL_CTL_MOD); break;
    case SSL_ERROR_WANT_WRITE: ep_set(c, EPOLLOUT, EPOLL_CTL_MOD); break;
    default: conn_fail(c, E_CONNECT); break;
    }
}

static void conn_send(struct conn *c)
{
    while (c->req_off < c->req_len) {
        size_t n = 0;
        enum io r = io_send(c, c->req + c->req_off, c->req_len - c->req_off, &n);
        if (r == IO_OK) {
            c->req_off += n;
            c->w->st.bytes_sent += (uint64_t)n;
        } else if (r == IO_AGAIN) {
            ep_set(c, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
            c->state = CS_WRITING;
            return;
        } else {
            conn_fail(c, E_WRITE);
            return;
        }
    }
    if (c->state == CS_WRITING && c->req_off == c->req_len) {
        c->state = CS_READING;
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Response parsing                                                                             */

/* Case-insensitive search for header `name` (with its colon) in the head [p, end). Returns the
 * start of its value or NULL. */
static const char *find_header(const char *p, const char *end, const char *name)
{
    size_t n = strlen(name);
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0) {
            p += n;
            while (p < eol && (*p == ' ' || *p == '\t'))
                p++;
            return p;
        }
        p = eol + 1;
    }
    return NULL;
}

/* Given a chunked body at [p, end), returns the number of bytes it spans up to and including
 * the final CRLF after the last chunk (and trailers), 0 if incomplete, -1 if malformed. */
static ssize_t chunked_length(const char *p, const char *end)
{
    const char *s = p;
    for (;;) {
        const char *eol = memchr(s, '\n', (size_t)(end - s));
        if (!eol)
            return 0;
        char *hend;
        unsigned long long size = strtoull(s, &hend, 16);
        if (hend == s)
            return -1;
        s = eol + 1;
        if (size == 0) {
            /* trailers, then an empty line */
            for (;;) {
                const char *tl = memchr(s, '\n', (size_t)(end - s));
                if (!tl)
                    return 0;
                bool empty = tl == s || (tl == s + 1 && *s == '\r');
                s = tl + 1;
                if (empty)
                    return s - p;
            }
        }
        if ((size_t)(end - s) < size + 2)
            return 0;
        s += size + 2;
    }
}

/* Tries to parse one complete response from c->rbuf. Returns its total length (>0), 0 if more
 * bytes are needed, -1 if malformed. Sets *status and *close_after. With eof, a response without
 * framing ends at the end of the buffer. */
static ssize_t parse_response(const char *buf, size_t len, bool eof, int *status, bool *close_after)
{
    const char *end = buf + len;
    const char *hend = NULL;
    for (const char *p = buf; p + 3 < end; p++) {
        p = memchr(p, '\r', (size_t)(end - p));
        if (!p || p + 3 >= end)
            break;
        if (p[1] == '\n' && p[2] == '\r' && p[3] == '\n') {
            hend = p + 4;
            break;
        }
    }
    if (!hend)
        return len > 65536 ? -1 : 0;
    if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)buf[9]))
        return -1;
    int code = atoi(buf + 9);
    if (code < 100 || code > 599)
        return -1;
    *status = code;
    const char *conn = find_header(buf, hend, "Connection:");
    *close_after = (conn && strncasecmp(conn, "close", 5) == 0) || buf[7] == '0';
    if (code < 200 || code == 204 || code == 304)
        return hend - buf; /* no body (1xx are consumed and ignored by the caller) */
    const char *te = find_header(buf, hend, "Transfer-Encoding:");
    if (te && strncasecmp(te, "chunked", 7) == 0) {
        ssize_t n = chunked_length(hend, end);
        return n <= 0 ? n : (hend - buf) + n;
    }
    const char *cl = find_header(buf, hend, "Content-Length:");
    if (cl) {
        size_t body = strtoull(cl, NULL, 10);
        size_t total = (size_t)(hend - buf) + body;
        return len >= total ? (ssize_t)total : 0;
    }
    *close_after = true; /* delimited by the end of the connection */
    return eof ? (ssize_t)len : 0;
}

/* Counts one finished request on c with the given status. */
static void record_response(struct conn *c, int status, const char *resp, size_t resp_len)
{
    struct worker *w = c->w;
    uint64_t lat = now_us() - c->started_us;
    bool ok = status >= 200 && status < 300;
    uint64_t events = ok ? (uint64_t)w->o->batch : 0;
    if (!ok && !atomic_flag_test_and_set(&g_printed_error_body)) {
        int n = resp_len > 600 ? 600 : (int)resp_len;
        fprintf(stderr, "loadgen: first non-2xx response (%d%s), truncated:\n%.*s\n", status,
                c->is_start ? ", to a session start" : "", n, resp);
    }
    if (c->is_start) { /* heartbeat mode: starts are counted apart, never measured */
        c->ms.started = ok;
        if (ok)
            w->st.starts_ok++;
        else
            w->st.starts_failed++;
        return;
    }
    w->st.requests_total++;
    w->st.events_acked_total += events;
    if (events && w->o->progress)
        atomic_fetch_add_explicit(&g_acked, events, memory_order_relaxed);
    if (c->measured && atomic_load(&g_phase) == PH_MEASURE) {
        w->st.requests++;
        w->st.status[status]++;
        w->st.events_acked += events;
        hist_add(&w->st.lat, lat);
        uint64_t sec = (c->started_us + lat - atomic_load(&g_measure_start_us)) / 1000000u;
        w->st.per_second[sec < TIMELINE_MAX ? sec : TIMELINE_MAX - 1]++;
    }
}

static void conn_read(struct conn *c)
{
    struct worker *w = c->w;
    bool eof = false;
    for (;;) {
        if (c->rcap - c->rlen < 4096) {
            c->rcap *= 2;
            c->rbuf = realloc(c->rbuf, c->rcap);
            if (!c->rbuf) {
                fprintf(stderr, "loadgen: out of memory\n");
                exit(1);
            }
        }
        size_t n = 0;
        enum io r = io_recv(c, c->rbuf + c->rlen, c->rcap - c->rlen, &n);
        if (r == IO_OK) {
            c->rlen += n;
            /* a short read drained the socket; TLS hands out one record at a time, so read on
             * until it has nothing buffered (epoll would not say so) */
            if (c->rlen < c->rcap && !c->ssl)
                break;
            continue;
        }
        if (r == IO_EOF) {
            eof = true;
            break;
        }
        if (r == IO_AGAIN)
            break;
        conn_fail(c, E_READ);
        return;
    }
    for (;;) {
        int status = 0;
        bool close_after = false;
        ssize_t n = parse_response(c->rbuf, c->rlen, eof, &status, &close_after);
        if (n < 0) {
            conn_fail(c, E_PARSE);
            return;
        }
        if (n == 0) {
            if (eof)
                conn_fail(c, E_CLOSED);
            return;
        }
        if (status < 200) { /* an interim 1xx: skip it and wait for the final answer */
            memmove(c->rbuf, c->rbuf + n, c->rlen - (size_t)n);
            c->rlen -= (size_t)n;
            continue;
        }
        if (c->state != CS_READING && c->state != CS_WRITING) {
            conn_fail(c, E_PARSE); /* an answer nobody asked for */
            return;
        }
        record_response(c, status, c->rbuf, (size_t)n);
        c->rlen -= (size_t)n;
        if (c->rlen)
            memmove(c->rbuf, c->rbuf + n, c->rlen);
        if (close_after || eof) {
            conn_close(c);
            w->st.reconnects++;
            c->retry_at_us = 0;
            if (atomic_load(&g_phase) == PH_STOP)
                c->state = CS_DONE;
            return;
        }
        if (c->state == CS_WRITING) /* answered before the whole body went out */
            ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
        conn_next(c);
        return;
    }
}

static void conn_event(struct conn *c, uint32_t ev)
{
    if (c->state == CS_CONNECTING) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            conn_fail(c, E_CONNECT);
            return;
        }
        if (g_tls) {
            c->ssl = SSL_new(g_tls);
            if (!c->ssl || !SSL_set_fd(c->ssl, c->fd)) {
                fprintf(stderr, "loadgen: cannot set up a TLS session\n");
                exit(1);
            }
            SSL_set_connect_state(c->ssl);
            c->state = CS_HANDSHAKE;
            conn_handshake(c);
            return;
        }
        ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
        conn_next(c);
        return;
    }
    if (c->state == CS_HANDSHAKE) {
        conn_handshake(c);
        return;
    }
    if (c->state == CS_WRITING && (ev & EPOLLOUT)) {
        conn_send(c);
        if (c->state == CS_READING)
            ep_set(c, EPOLLIN, EPOLL_CTL_MOD);
        if (c->state != CS_READING && c->state != CS_WRITING)
            return;
    }
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP))
        conn_read(c);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[256];
    uint64_t next_scan = 0;
    for (int i = 0; i < w->nconns; i++)
        conn_connect(&w->conns[i]);
    for (;;) {
        int n = epoll_wait(w->epfd, evs, 256, 10);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c->fd >= 0)
                conn_event(c, evs[i].events);
        }
        uint64_t t = now_us();
        if (t < next_scan && n > 0 && !w->reconnect_pending)
            continue;
        next_scan = t + 10000;
        w->reconnect_pending = false;
        /* Timers: reconnects, request timeouts, and the end of the run. */
        int ph = atomic_load(&g_phase), live = 0;
        for (int i = 0; i < w->nconns; i++) {
            struct conn *c = &w->conns[i];
            if (c->state == CS_CLOSED) {
                if (ph == PH_STOP)
                    c->state = CS_DONE;
                else if (t >= c->retry_at_us)
                    conn_connect(c);
            } else if (c->state != CS_DONE && t > c->deadline_us) {
                conn_fail(c, E_TIMEOUT);
                if (ph == PH_STOP)
                    c->state = CS_DONE;
            }
            live += c->state != CS_DONE;
        }
        if (live == 0)
            break;
    }
    atomic_fetch_add(&g_threads_done, 1);
    return NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Setup, the run, the report                                                                  */

/* Sets up worker w for conns[0..nconns), which are connections first, first + 1, ... of the
 * run (their player numbers in heartbeat mode). */
static void worker_init(struct worker *w, const struct options *o, const struct addrinfo *addr,
                        struct conn *conns, int nconns, int first)
{
    memset(w, 0, sizeof *w);
    w->o = o;
    w->addr = addr;
    w->conns = conns;
    w->nconns = nconns;
    rng_seed(&w->rng);
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    /* The body signature (events) or the session hash (heartbeat) */
    const char *key = o->mode == M_HEARTBEAT ? o->metrics_key : o->secret;
    if (w->epfd < 0 || ps_hmac_create(key, strlen(key), &w->mac) != 0) {
        fprintf(stderr, "loadgen: cannot set up epoll or HMAC\n");
        exit(1);
    }
    if (o->gzip) {
        if (deflateInit2(&w->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            fprintf(stderr, "loadgen: deflateInit2 failed\n");
            exit(1);
        }
        w->zcap = deflateBound(&w->z, (uLong)body_capacity(o));
        w->body = malloc(body_capacity(o));
    }
    for (int i = 0; i < nconns; i++) {
        struct conn *c = &conns[i];
        c->fd = -1;
        c->w = w;
        c->req = malloc(HEAD_RESERVE + (o->gzip ? w->zcap : body_capacity(o)));
        c->rcap = 16384;
        c->rbuf = malloc(c->rcap);
        if (!c->req || !c->rbuf || (o->gzip && !w->body)) {
            fprintf(stderr, "loadgen: out of memory\n");
            exit(1);
        }
        if (o->mode == M_HEARTBEAT)
            msession_init(&c->ms, o, &w->rng, o->player_prefix, first + i);
        else
            player_init(&c->player, &w->rng);
    }
}

static void sleep_s(double s)
{
    if (s <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static double cpu_seconds(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static void report(const struct options *o, const struct stats *s, double elapsed, double cpu)
{
    uint64_t non2xx = 0, errors = 0;
    for (int i = 0; i < 600; i++)
        if (s->status[i] && (i < 200 || i >= 300))
            non2xx += s->status[i];
    for (int e = 0; e < E_COUNT; e++)
        errors += s->errors[e];
    double rps = elapsed > 0 ? (double)s->requests / elapsed : 0;
    double eps = elapsed > 0 ? (double)s->events_acked / elapsed : 0;
    double ms[6]; /* p50, p90, p99, p99.9, max, mean */
    const double pct[4] = {50, 90, 99, 99.9};
    for (int i = 0; i < 4; i++)
        ms[i] = (double)hist_percentile(&s->lat, pct[i]) / 1000.0;
    ms[4] = (double)s->lat.max / 1000.0;
    ms[5] = s->lat.total ? (double)s->lat.sum / (double)s->lat.total / 1000.0 : 0;
    if (o->json) {
        printf("{\"url\": \"%s\", \"batch\": %d, \"connections\": %d, \"threads\": %d, "
               "\"gzip\": %s, \"warmup_s\": %.3f, \"duration_s\": %.3f, \"requests\": %" PRIu64 ", "
               "\"requests_per_s\": %.1f, \"events_acked\": %" PRIu64 ", \"events_per_s\": %.1f, "
               "\"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p999\": %.3f, "
               "\"max\": %.3f, \"mean\": %.3f}, \"status\": {",
               o->url, o->batch, o->connections, o->threads, o->gzip ? "true" : "false", o->warmup,
               elapsed, s->requests, rps, s->events_acked, eps, ms[0], ms[1], ms[2], ms[3], ms[4],
               ms[5]);
        const char *sep = "";
        for (int i = 0; i < 600; i++)
            if (s->status[i]) {
                printf("%s\"%d\": %" PRIu64, sep, i, s->status[i]);
                sep = ", ";
            }
        printf("}, \"non_2xx\": %" PRIu64 ", \"errors\": {", non2xx);
        for (int e = 0; e < E_COUNT; e++)
            printf("%s\"%s\": %" PRIu64, e ? ", " : "", err_names[e], s->errors[e]);
        printf("}, \"errors_total\": %" PRIu64 ", \"requests_total\": %" PRIu64
               ", \"events_acked_total\": %" PRIu64 ", \"reconnects\": %" PRIu64
               ", \"bytes_sent\": %" PRIu64 ", \"client_cpu_s\": %.3f",
               errors, s->requests_total, s->events_acked_total, s->reconnects, s->bytes_sent, cpu);
        if (o->mode == M_HEARTBEAT)
            printf(", \"mode\": \"heartbeat\", \"player_prefix\": \"%s\", \"sessions_started\": %" PRIu64
                   ", \"starts_failed\": %" PRIu64 ", \"heartbeats_acked_total\": %" PRIu64,
                   o->player_prefix, s->starts_ok, s->starts_failed, s->events_acked_total);
        /* Responses per measured second (the last, partial second left out): shows whether the
         * rate holds or drifts during the run. */
        int secs = (int)elapsed < TIMELINE_MAX ? (int)elapsed : TIMELINE_MAX;
        printf(", \"per_second\": [");
        for (int i = 0; i < secs; i++)
            printf("%s%" PRIu32, i ? ", " : "", s->per_second[i]);
        printf("]}\n");
        return;
    }
    printf("target       %s\n", o->url);
    printf("load         %d connections, %d threads, batch %d%s, %.1f s measured after %.1f s "
           "warmup\n", o->connections, o->threads, o->batch, o->gzip ? " (gzip)" : "", elapsed,
           o->warmup);
    printf("requests     %" PRIu64 " (%.1f/s), bytes sent %.1f MB in total\n", s->requests, rps,
           (double)s->bytes_sent / 1e6);
    printf("events       %" PRIu64 " acknowledged (%.1f/s)\n", s->events_acked, eps);
    printf("latency ms   p50 %.3f  p90 %.3f  p99 %.3f  p99.9 %.3f  max %.3f  mean %.3f\n", ms[0],
           ms[1], ms[2], ms[3], ms[4], ms[5]);
    printf("status      ");
    for (int i = 0; i < 600; i++)
        if (s->status[i])
            printf(" %d: %" PRIu64, i, s->status[i]);
    printf("\nnon-2xx      %" PRIu64 "\nerrors       %" PRIu64 " (", non2xx, errors);
    for (int e = 0; e < E_COUNT; e++)
        printf("%s%s %" PRIu64, e ? ", " : "", err_names[e], s->errors[e]);
    printf(")\nall phases   %" PRIu64 " requests, %" PRIu64 " events acknowledged, %" PRIu64
           " reconnects\nclient cpu   %.2f s\n",
           s->requests_total, s->events_acked_total, s->reconnects, cpu);
    if (o->mode == M_HEARTBEAT)
        printf("sessions     %" PRIu64 " started (players %s-0..%d), %" PRIu64
               " starts failed; events above are heartbeats\n",
               s->starts_ok, o->player_prefix, o->connections - 1, s->starts_failed);
}

int main(int argc, char **argv)
{
    struct options o;
    parse_options(&o, argc, argv);
    char prefix[32];
    if (o.mode == M_HEARTBEAT && !o.player_prefix) {
        struct rng r;
        rng_seed(&r);
        snprintf(prefix, sizeof prefix, "bench-%08x", (unsigned)(rng_next(&r) >> 32));
        o.player_prefix = prefix;
    }

    if (o.print_body && o.mode == M_HEARTBEAT) {
        /* The start and the first heartbeat of player 0, head and body, as they would be sent. */
        struct worker *w = calloc(1, sizeof *w);
        struct conn *c = calloc(1, sizeof *c);
        if (!w || !c)
            return 1;
        worker_init(w, &o, NULL, c, 1, 0);
        build_request(w, c);
        fwrite(c->req + c->req_off, 1, c->req_len - c->req_off, stdout);
        fputs("\n\n", stdout);
        c->ms.started = true;
        build_request(w, c);
        fwrite(c->req + c->req_off, 1, c->req_len - c->req_off, stdout);
        putchar('\n');
        return 0;
    }
    if (o.print_body) {
        struct rng r;
        rng_seed(&r);
        struct player *p = malloc(sizeof *p);
        char *body = malloc(body_capacity(&o));
        char ts10[16];
        snprintf(ts10, sizeof ts10, "%010lld", (long long)time(NULL));
        player_init(p, &r);
        size_t n = render_body(p, &r, o.batch, ts10, body);
        fwrite(body, 1, n, stdout);
        putchar('\n');
        free(body);
        free(p);
        return 0;
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *addr;
    int rc = getaddrinfo(o.host, o.port, &hints, &addr);
    if (rc != 0) {
        fprintf(stderr, "loadgen: %s:%s: %s\n", o.host, o.port, gai_strerror(rc));
        return 1;
    }
    if (o.tls) {
        /* A loopback benchmark against a self-signed certificate: nothing to verify. */
        g_tls = SSL_CTX_new(TLS_client_method());
        if (!g_tls) {
            fprintf(stderr, "loadgen: cannot set up TLS\n");
            return 1;
        }
        SSL_CTX_set_verify(g_tls, SSL_VERIFY_NONE, NULL);
        SSL_CTX_set_mode(g_tls, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        SSL_CTX_set_options(g_tls, SSL_OP_IGNORE_UNEXPECTED_EOF);
    }
    struct worker *workers = calloc((size_t)o.threads, sizeof *workers);
    struct conn *conns = calloc((size_t)o.connections, sizeof *conns);
    if (!workers || !conns) {
        fprintf(stderr, "loadgen: setup failed\n");
        return 1;
    }
    for (int t = 0, first = 0; t < o.threads; t++) {
        int n = o.connections / o.threads + (t < o.connections % o.threads);
        worker_init(&workers[t], &o, addr, conns + first, n, first);
        first += n;
    }

    double cpu0 = cpu_seconds(), run0 = now_s();
    uint64_t next_progress = o.progress;
    atomic_store(&g_measure_start_us, now_us());
    atomic_store(&g_phase, o.warmup > 0 ? PH_WARMUP : PH_MEASURE);
    for (int t = 0; t < o.threads; t++)
        if (pthread_create(&workers[t].tid, NULL, worker_main, &workers[t]) != 0) {
            perror("loadgen: pthread_create");
            return 1;
        }
    sleep_s(o.warmup);
    double t0 = now_s();
    atomic_store(&g_measure_start_us, now_us());
    atomic_store(&g_phase, PH_MEASURE);
    /* The measured phase ends at --duration, or when --requests are all answered. */
    for (;;) {
        double left = o.duration > 0 ? t0 + o.duration - now_s() : 1;
        if (left <= 0 || atomic_load(&g_threads_done) == o.threads)
            break;
        for (uint64_t acked = atomic_load(&g_acked); o.progress && acked >= next_progress;
             next_progress += o.progress) {
            fprintf(stderr, "loadgen: progress %" PRIu64 " events %.3f s\n", next_progress,
                    now_s() - run0);
            fflush(stderr);
        }
        sleep_s(left < 0.005 ? left : 0.005);
    }
    double elapsed = now_s() - t0;
    atomic_store(&g_phase, PH_STOP);
    for (int t = 0; t < o.threads; t++)
        pthread_join(workers[t].tid, NULL);
    for (uint64_t acked = atomic_load(&g_acked); o.progress && acked >= next_progress;
         next_progress += o.progress)
        fprintf(stderr, "loadgen: progress %" PRIu64 " events %.3f s\n", next_progress,
                now_s() - run0);
    double cpu = cpu_seconds() - cpu0;

    struct stats *total = calloc(1, sizeof *total);
    for (int t = 0; t < o.threads; t++) {
        const struct stats *s = &workers[t].st;
        for (int i = 0; i < 600; i++)
            total->status[i] += s->status[i];
        for (int e = 0; e < E_COUNT; e++)
            total->errors[e] += s->errors[e];
        total->requests += s->requests;
        total->events_acked += s->events_acked;
        total->events_acked_total += s->events_acked_total;
        total->requests_total += s->requests_total;
        total->bytes_sent += s->bytes_sent;
        total->reconnects += s->reconnects;
        total->starts_ok += s->starts_ok;
        total->starts_failed += s->starts_failed;
        for (int i = 0; i < TIMELINE_MAX; i++)
            total->per_second[i] += s->per_second[i];
        hist_merge(&total->lat, &s->lat);
    }
    report(&o, total, elapsed, cpu);
    fflush(stdout);
    return total->requests == 0 ? 1 : 0;
}
