/*
 * playstat.h: libplaystat, the C client library that games embed to send analytics events
 * (GameAnalytics REST API v2 compatible) and playtime metrics sessions (mod.io compatible) to a
 * playstat server, or unchanged to the hosted collectors it replaces.
 *
 * What it guarantees (docs/sdk.md has the whole guide):
 *  - Every function returns a playstat_status: PLAYSTAT_OK (0) or a negative code that
 *    playstat_strerror() names. Nothing aborts the process, running out of memory included.
 *  - An event call that returns PLAYSTAT_OK has appended the event (with the counters it used)
 *    to the call journal beside the database (a store into a MAP_SHARED file mapping, which
 *    is in the kernel's page cache at once) before returning: a crash or
 *    a kill -9 right after it does not lose the event, and it is delivered exactly once (the
 *    library's thread moves journal records into the SQLite queue exactly once; the server
 *    stores one copy per event_uuid). With durable_sync it is also fsync'ed: a power loss does
 *    not lose it either. The call does no SQLite work and never waits for the network, a
 *    checkpoint or the library's thread.
 *  - Sending happens on the library's own thread: event calls never wait for the network.
 *  - playstat_shutdown() returns within its timeout (default 2 s) even when the server does not
 *    answer; what could not be sent stays in the database and goes on the next launch.
 *  - The library keeps no global state: each playstat handle is independent, and every function
 *    may be called from any thread at once on the same handle.
 */
#ifndef PLAYSTAT_H
#define PLAYSTAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PLAYSTAT_API __attribute__((visibility("default")))
#else
#define PLAYSTAT_API
#endif

#define PLAYSTAT_VERSION "1.0.0"

/* Status codes. Stable across versions: a game may store or compare them. */
typedef enum playstat_status {
  PLAYSTAT_OK = 0,
  PLAYSTAT_E_NOMEM = -1,      /* out of memory; nothing was recorded */
  PLAYSTAT_E_ARG = -2,        /* a NULL handle or a missing required argument */
  PLAYSTAT_E_CONFIG = -3,     /* the configuration is incomplete or invalid (see the log) */
  PLAYSTAT_E_INVALID = -4,    /* the event breaks the collector's schema (see the log) */
  PLAYSTAT_E_STORAGE = -5,    /* the local database failed; nothing was recorded */
  PLAYSTAT_E_NO_SESSION = -6, /* an event outside a session: call playstat_session_start */
  PLAYSTAT_E_THROTTLED = -7,  /* error event dropped: 10 per launch, one per message type */
  PLAYSTAT_E_FULL = -8,       /* the database is at its size bound and holds only events
                                 worth more than this one: this one was dropped */
  PLAYSTAT_E_PENDING = -9,    /* shutdown: events remain queued; they go on the next launch */
  PLAYSTAT_E_STATE = -10,     /* the call does not fit the current state (no metrics
                                 session open, a metrics session already open, ...) */
  PLAYSTAT_E_DISABLED = -11,  /* the collector's init answered enabled: false: nothing is
                                 recorded nor sent until a later init enables the game */
} playstat_status;

/* A static English description of status (never NULL, also for unknown codes). */
PLAYSTAT_API const char *playstat_strerror(int status);

typedef enum playstat_log_level {
  PLAYSTAT_LOG_DEBUG,
  PLAYSTAT_LOG_INFO,
  PLAYSTAT_LOG_WARN,
  PLAYSTAT_LOG_ERROR,
} playstat_log_level;

/* Receives one log line (no trailing newline). Called from the game's threads and from the
 * library's thread, never with the handle's lock held, so it may call back into the library. */
typedef void (*playstat_log_fn)(void *ctx, playstat_log_level level, const char *message);

/*
 * Configuration. Fill it with playstat_config_init() (the defaults), then set what you need.
 * Strings are copied by playstat_create(): they need not outlive the call.
 */
typedef struct playstat_config {
  /* Required. */
  const char *base_url;      /* collector, e.g. "https://api.gameanalytics.com" or
                                "http://127.0.0.1:8080": events go to {base_url}/v2/{key}/events */
  const char *game_key;
  const char *secret_key;
  const char *database_path; /* the SQLite file; created when missing (with the call journal
                                beside it: database_path-calls.0 and -calls.1) */

  /* Optional annotations of every event (validated like the server does). */
  const char *build;          /* "1.4.2" */
  const char *custom_01;      /* custom dimensions (also playstat_set_custom_dimension) */
  const char *custom_02;
  const char *custom_03;
  const char *user_id;        /* NULL: a random id made on first launch and kept in the database */
  const char *platform;       /* default "linux" */
  const char *os_version;     /* default "linux X.Y.Z" from uname */
  const char *device;         /* default "unknown" */
  const char *manufacturer;   /* default "unknown" */
  const char *engine_version; /* e.g. "unreal 5.3"; NULL: not sent */

  /* Delivery. */
  uint32_t flush_interval_ms;   /* how often queued events are sent; default 8000 */
  uint32_t shutdown_timeout_ms; /* bound of playstat_shutdown's last flush; default 2000 */
  uint32_t retry_initial_ms;    /* first backoff after a failed send; default 1000 */
  uint32_t retry_max_ms;        /* backoff cap; default 300000 (5 min) */
  uint64_t max_queue_bytes;     /* bound of the queued events' size; default 16 MiB */
  int durable_sync;             /* 1: msync every event call's journal record (survives
                                   power loss; the call then costs a disk flush);
                                   0 (default): survives crashes and kill -9 of the game */

  /* Playtime metrics sessions (mod.io compatible); all NULL when unused. */
  const char *metrics_url; /* e.g. "https://g-123.modapi.io" or "http://host:port/g-123":
                              requests go to {metrics_url}/v1/metrics/sessions/{start,...} */
  const char *metrics_key; /* the game's metrics key (hashes the requests) */
  const char *metrics_platform; /* X-Modio-Platform, e.g. "windows"; NULL: not sent */
  const char *metrics_portal;   /* X-Modio-Portal, e.g. "steam"; NULL: not sent */
  uint32_t metrics_heartbeat_ms; /* default 150000 (150 s) */

  /* Logging. */
  playstat_log_fn log;          /* NULL: no logging */
  void *log_ctx;
  playstat_log_level log_level; /* lines below it are not produced; default INFO */
} playstat_config;

/* Fills cfg with the defaults (all strings NULL). */
PLAYSTAT_API void playstat_config_init(playstat_config *cfg);

typedef struct playstat playstat; /* opaque handle */

/*
 * Opens (or creates) the database, ends a session that the last launch left open (crash or
 * kill) with its correct length, and starts the library's thread, which calls init and sends
 * what is queued. Returns PLAYSTAT_OK and *out, or an error with *out NULL.
 */
PLAYSTAT_API int playstat_create(const playstat_config *cfg, playstat **out);

/*
 * Ends the open session (session_end), sends what is queued within cfg.shutdown_timeout_ms,
 * stops the thread and frees the handle (which is invalid afterwards, whatever the result).
 * Returns PLAYSTAT_OK when nothing is left to send, PLAYSTAT_E_PENDING when events stay queued
 * for the next launch. A NULL handle is PLAYSTAT_E_ARG.
 */
PLAYSTAT_API int playstat_shutdown(playstat *ps);

/* Sessions. start: the user event and session_num (ends a session still open first).
 * end: session_end with the session's length; PLAYSTAT_E_NO_SESSION when none is open. */
PLAYSTAT_API int playstat_session_start(playstat *ps);
PLAYSTAT_API int playstat_session_end(playstat *ps);

/* Sets custom dimension index (1..3) for the events that follow; NULL clears it. */
PLAYSTAT_API int playstat_set_custom_dimension(playstat *ps, int index, const char *value);

/* Free key/value pairs sent as the event's custom_fields (at most 50; keys [a-zA-Z0-9_]{1,64};
 * a string of at most 256 characters, or a number when text is NULL). */
typedef struct playstat_field {
  const char *key;
  const char *text;
  double number;
} playstat_field;

typedef struct playstat_fields {
  const playstat_field *items;
  size_t count;
} playstat_fields;

/*
 * Events. Each one is validated with the collector's rules (PLAYSTAT_E_INVALID, with the
 * reasons in the log), annotated, and journalled before the call returns. fields may be NULL.
 * While the collector's init answers enabled: false they record nothing and answer
 * PLAYSTAT_E_DISABLED (so does playstat_session_start).
 */

/* event_id: 1 to 5 parts "a:b:c"; value: sent when has_value is non-zero. */
PLAYSTAT_API int playstat_design(playstat *ps, const char *event_id, int has_value, double value,
                                 const playstat_fields *fields);

/* Real-money purchase: event_id "itemType:itemId", amount in cents, currency "USD";
 * cart_type may be NULL. transaction_num is counted by the library across launches. */
PLAYSTAT_API int playstat_business(playstat *ps, const char *event_id, int64_t amount,
                                   const char *currency, const char *cart_type,
                                   const playstat_fields *fields);

/* event_id "Sink:currency:itemType:itemId" or "Source:..."; amount. */
PLAYSTAT_API int playstat_resource(playstat *ps, const char *event_id, double amount,
                                   const playstat_fields *fields);

typedef enum playstat_progression_status {
  PLAYSTAT_PROGRESSION_START,
  PLAYSTAT_PROGRESSION_FAIL,
  PLAYSTAT_PROGRESSION_COMPLETE,
} playstat_progression_status;

/* progression: "World1", "World1:Level2" or "World1:Level2:Stage3". attempt_num is kept per
 * progression across launches; a Start during an ongoing attempt first records its Fail.
 * score is sent with Fail and Complete when has_score is non-zero. */
PLAYSTAT_API int playstat_progression(playstat *ps, playstat_progression_status status,
                                      const char *progression, int has_score, int64_t score,
                                      const playstat_fields *fields);

typedef enum playstat_severity {
  PLAYSTAT_SEVERITY_DEBUG,
  PLAYSTAT_SEVERITY_INFO,
  PLAYSTAT_SEVERITY_WARNING,
  PLAYSTAT_SEVERITY_ERROR,
  PLAYSTAT_SEVERITY_CRITICAL,
} playstat_severity;

/* At most 10 error events per launch and one per message type (the severity and the message's
 * first line): the others answer PLAYSTAT_E_THROTTLED and are not recorded. */
PLAYSTAT_API int playstat_error(playstat *ps, playstat_severity severity, const char *message,
                                const playstat_fields *fields);

/* ad_sdk_name "admob"; ad_type "rewarded_video", ...; ad_action "show", ...;
 * fail_reason may be NULL; duration_ms < 0: not sent. */
PLAYSTAT_API int playstat_ad(playstat *ps, const char *ad_sdk_name, const char *ad_placement,
                             const char *ad_type, const char *ad_action, const char *fail_reason,
                             int64_t duration_ms, const playstat_fields *fields);

/* impression_data_json: the ad network's impression object as JSON text. */
PLAYSTAT_API int playstat_impression(playstat *ps, const char *ad_network_name,
                                     const char *ad_network_version,
                                     const char *impression_data_json,
                                     const playstat_fields *fields);

/* Asks the library's thread to send now instead of at the next interval. */
PLAYSTAT_API int playstat_flush(playstat *ps);

/* Playtime metrics sessions: start with the mod ids in play (count may be 0), heartbeats every
 * metrics_heartbeat_ms from the library's thread, end. bearer_token is the player's token from
 * the game's backend (copied; playstat_metrics_set_token replaces it, e.g. after a refresh).
 * Requests are sent by the library's thread; failures are logged and counted, not retried. */
PLAYSTAT_API int playstat_metrics_start(playstat *ps, const char *bearer_token,
                                        const int64_t *mod_ids, size_t count);
PLAYSTAT_API int playstat_metrics_set_token(playstat *ps, const char *bearer_token);
PLAYSTAT_API int playstat_metrics_end(playstat *ps);

/* Counters since playstat_create (a snapshot). It first moves the call journal into the
 * database so that the totals are exact: unlike an event call, it costs a SQLite transaction. */
typedef struct playstat_stats {
  uint64_t events_recorded;  /* event calls (and automatic events) stored */
  uint64_t events_sent;      /* acknowledged by the collector */
  uint64_t events_rejected;  /* refused by the collector (400) and dropped, with the reasons logged */
  uint64_t events_dropped;   /* dropped because the database was at its size bound */
  uint64_t errors_throttled; /* error events not recorded by the limits */
  uint64_t send_failures;    /* requests that failed (network, 5xx, 429, ...) and will retry */
  uint64_t metrics_requests_sent;
  uint64_t metrics_requests_failed;
  uint64_t queued_events;    /* waiting to be sent now (database and journal) */
  uint64_t queued_bytes;
} playstat_stats;

PLAYSTAT_API int playstat_get_stats(playstat *ps, playstat_stats *out);

#ifdef __cplusplus
}
#endif

#endif
