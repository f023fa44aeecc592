/*
 * events.h: the event store. It appends what the ingest path accepted (records.h), answers
 * metric-level questions about it (metric.h) and the session searches of the observability
 * API, and scans what it holds for export. How it keeps and answers them is the backend's
 * business: nothing here names a table, a row id, a bitmap or a rollup.
 *
 * Guarantees every backend keeps:
 * - append() is durable: when it returns 0 every record passed is on stable storage (or was
 *   already stored), and a crash after that loses none of them. When it fails, any part of the
 *   call may be stored: the caller answers 503 and the client resends, which the identities of
 *   records.h make harmless.
 * - Stored once: each record is stored once per identity (records.h), however often it is
 *   appended, so every metric, search and scan counts it once.
 * - Rejected events are kept at most options.rejected_keep_per_game per game (newest kept).
 * - append() is called from one thread at a time (the ingest writer); every other call is safe
 *   from any thread, concurrently with append() and with other processes (the CLI works while
 *   the server runs).
 * - Metric answers follow the definitions of insights/catalog.h exactly, whatever the backend
 *   precomputes; a record is in the answers once maintain() has run after its append (serve
 *   calls it every second).
 */
#ifndef PS_STORE_EVENTS_H
#define PS_STORE_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "store/metric.h"
#include "store/options.h"
#include "store/records.h"

typedef struct ps_event_store ps_event_store;

/* ---- session observability (Unity Matchmaker compatible) ---- */

/* A session's summary as stored. Times in ms, -1 when unknown; strings "" when unknown. */
typedef struct ps_so_session {
  char project_id[65], environment_id[65], session_id[129];
  int64_t created_ms;       /* earliest match.created, else earliest event */
  int64_t updated_ms;       /* latest event */
  int64_t match_created_ms; /* earliest match.created */
  char pool_id[65], pool_name[129], queue_id[65], queue_name[129];
  char region_id[65];
  int64_t requested_ms;     /* latest allocation.requested */
  int64_t completed_ms;     /* latest allocation.succeeded / allocation.failed */
  char completion[16];      /* "succeeded" or "failed": the type of that latest completion */
  int64_t players;          /* distinct players named in the session */
  int backfill;
  int64_t key_seq;          /* store sequence of the last change of created_ms (paging) */
} ps_so_session;

/* A stored event as read back: pointers valid during the visitor call only. */
typedef int (*ps_so_event_visitor)(const char *body, size_t len, int64_t ts_ms, void *ctx);

/* A page of a session search. Filters: NULL (or -1 for times) when not given; any combination
 * applies together. Order: created_ms, then session_id, newest first. */
typedef struct ps_so_query {
  const char *project_id, *environment_id;
  const char *pool_id, *pool_name, *queue_name, *region_id, *ticket_id;
  int64_t created_after_ms, updated_after_ms; /* strictly after */
  size_t limit;
  /* Continuation: 0 on the first page. Only sessions whose sort key was set at or before
   * snapshot_seq are listed, so a session is listed at most once across pages. */
  int64_t snapshot_seq;
  int64_t after_created_ms; /* the last listed session's key (when snapshot_seq != 0) */
  const char *after_session_id;
} ps_so_query;

/* ---- scans (export, the CLI) ---- */

typedef enum {
  PS_SCAN_EVENTS,    /* analytics events, arrival order */
  PS_SCAN_REJECTED,  /* rejected events, arrival order */
  PS_SCAN_MSESSIONS, /* metrics sessions, oldest start first */
  PS_SCAN_SO_EVENTS, /* multiplayer session events (anonymised), arrival order */
} ps_scan_kind;

/* A scan's question. Range: from_ms <= t < to_ms when to_ms > 0 (0: everything), where t is
 * the server's time of arrival (received_ms) for events, rejected events and multiplayer
 * session events, and for metrics sessions the server time at which the session was over:
 * the arrival of its end request, or its last request plus options.msession_timeout_ms for a
 * session that timed out. A session still in play is not visited by a ranged scan. So once
 * to_ms has passed (and the requests in flight at to_ms are committed), what a ranged scan
 * visits never changes again, except by forget_player() and drop_raw_before(): an export of a
 * closed period is final. */
typedef struct ps_scan_query {
  ps_scan_kind kind;
  int64_t game_id;
  const char *category; /* events and rejected events: NULL for all */
  int64_t from_ms, to_ms;
  /* PS_SCAN_SO_EVENTS: the game's project (its project_id; multiplayer sessions are keyed by
   * project, not by game_id, which that scan ignores). The export always gives it; without it
   * SQLite answers PS_EINVAL and ClickHouse visits every project. Other kinds ignore it. */
  const char *project_id;
} ps_scan_query;

/* What a scan visits. Pointers are valid during the visitor call only. */
typedef struct ps_stored_event {
  int64_t game_id;
  int64_t received_ms;
  const char *category; /* may be NULL for rejected events */
  const char *body;
  size_t body_len;
  int event_index;         /* rejected events only */
  const char *errors_json; /* rejected events only */
  const char *country;     /* events: ISO code of the request's client address; NULL when
                            * unknown (always for rejected events and events stored before) */
} ps_stored_event;

/* A metrics session as the event store knows it. Times in ms; ended_ms is -1 while it has no
 * end; last_received_ms is the server time of its latest request (a session without an end is
 * over once that is older than the session timeout). */
typedef struct ps_playtime_session {
  const char *session_id, *player, *platform, *portal;
  const char *mod_ids; /* "1,2,3" */
  int64_t started_ms, last_ms, ended_ms, last_received_ms;
} ps_playtime_session;

/* A multiplayer session event as stored (anonymised: body names players as "Player N").
 * received_ms: server time of arrival (stores that did not keep it give ts_ms). */
typedef struct ps_stored_so_event {
  const char *project_id, *environment_id, *session_id;
  const char *event_key, *type;
  int64_t ts_ms, received_ms;
  const char *body;
  size_t body_len;
} ps_stored_so_event;

typedef struct ps_scan_item {
  const ps_stored_event *event;       /* PS_SCAN_EVENTS, PS_SCAN_REJECTED */
  const ps_playtime_session *session; /* PS_SCAN_MSESSIONS */
  const ps_stored_so_event *so_event; /* PS_SCAN_SO_EVENTS */
} ps_scan_item;

/* Return 0 to go on, anything else to stop the scan (the scan then returns that value). */
typedef int (*ps_scan_visitor)(const ps_scan_item *item, void *ctx);

/* ---- the data lifecycle: deleting a player, retention of raw rows ---- */

/* What forget_player() removed. */
typedef struct ps_forget_report {
  int64_t events;    /* analytics events whose user_id was the player's */
  int64_t rejected;  /* rejected events whose body names the player's user_id as a string */
  int64_t msessions; /* metrics sessions whose player was that id */
} ps_forget_report;

/* Kinds of raw rows retention drops (drop_raw_before). */
typedef enum {
  PS_RAW_EVENTS,    /* analytics events and rejected events, by arrival (received_ms) */
  PS_RAW_MSESSIONS, /* metrics sessions, by the time they were over (see ps_scan_query) */
} ps_raw_kind;

/* The most events latest() visits per call. */
#define PS_LATEST_MAX 50

/* Live figures: what is being played at now_ms. */
typedef struct ps_live {
  int64_t ccu, concurrent_ugc;
} ps_live;

typedef struct ps_event_store_ops {
  const char *name; /* the URL scheme: "sqlite" */
  /* Opens (creating or upgrading if needed) the store at location (sqlite: a directory). */
  int (*open)(const char *location, const ps_store_options *options, ps_event_store **out);
  void (*close)(ps_event_store *store);

  /* Durably appends every record of every span (one span per waiting request); see above. */
  int (*append)(ps_event_store *store, ps_record_span *spans, size_t nspans);

  /* Answers q (validated by the catalogue) into out (free with ps_metric_result_free).
   * PS_EINVAL: a combination this backend does not answer; else PS_ENOMEM or PS_EIO. */
  int (*metric)(ps_event_store *store, const ps_metric_query *q, ps_metric_result *out);
  /* Peak players and mods in play at now_ms. */
  int (*live)(ps_event_store *store, int64_t game_id, int64_t now_ms, ps_live *out);

  /* The summary of one multiplayer session and its events in timestamp order (arrival order
   * on ties). PS_ENOTFOUND when the session is unknown (or expired). visit may be NULL. */
  int (*so_session_get)(ps_event_store *store, const ps_so_key *key, ps_so_session *out,
                        ps_so_event_visitor visit, void *ctx);
  /* At most q->limit summaries matching q into *out (caller frees); *snapshot_seq: the value
   * to carry in q->snapshot_seq for the next pages (the current sequence on a first page). */
  int (*so_session_list)(ps_event_store *store, const ps_so_query *q, ps_so_session **out,
                         size_t *count, int64_t *snapshot_seq);
  /* Deletes every multiplayer session created before before_ms with its events and tickets,
   * leaving no trace of them in the store's files. *deleted: sessions removed. */
  int (*so_expire)(ps_event_store *store, int64_t before_ms, int64_t *deleted);

  /* Visits what q names (see ps_scan_kind for the order). */
  int (*scan)(ps_event_store *store, const ps_scan_query *q, ps_scan_visitor visit, void *ctx);
  /* Visits the newest analytics events of game_id, newest arrival first, at most limit (1 to
   * PS_LATEST_MAX) of them, each once (item.event as in a PS_SCAN_EVENTS scan); the live feed
   * of the read API. Costs about limit rows whatever the store holds. What the backend has not
   * made readable yet is missing (the backend's docs say how long that lasts). */
  int (*latest)(ps_event_store *store, int64_t game_id, size_t limit, ps_scan_visitor visit,
                void *ctx);

  /* Removes everything of one player of game_id: every analytics event with that user_id,
   * every rejected event whose body names it as a JSON string, every metrics session with that
   * player, and the player's part of everything the store precomputed, so that every metric
   * then answers as if the player had never played (for the days whose raw rows retention has
   * dropped, see the backend's docs for what can still be taken out). Nothing of the player's
   * id is left in the store's files once it returns 0 (on ClickHouse: once its mutations have
   * run, which it waits for). Idempotent: a second call removes nothing and answers zeros. A
   * crash part-way is finished by the next call for that player, or by maintain(), which
   * resumes every deletion that was started. *out: what this call removed. Safe beside
   * append() and maintain(); an event of that player appended while it runs may be removed or
   * kept (a player who plays again is a player again). */
  int (*forget_player)(ps_event_store *store, int64_t game_id, const char *user_id,
                       ps_forget_report *out);
  /* Retention: drops the raw rows of kind (every game) whose time is before before_ms, whole
   * partitions where the backend has them. What the store precomputed from them keeps its
   * figures (dau, revenue, retention... of those days answer as before); answers that need
   * the raw rows themselves (the backend says which) no longer count them. *dropped: rows
   * removed (an estimate where the backend drops partitions). */
  int (*drop_raw_before)(ps_event_store *store, ps_raw_kind kind, int64_t before_ms,
                         int64_t *dropped);

  /* Background upkeep (precomputed answers, compaction); serve calls it every second from one
   * thread. now_ms: the server's clock. Returns 0 or an error (logged; tried again later). */
  int (*maintain)(ps_event_store *store, int64_t now_ms);
} ps_event_store_ops;

/* Every backend's handle starts with this header. */
struct ps_event_store {
  const ps_event_store_ops *ops;
};

#endif
