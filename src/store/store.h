/*
 * store.h: the storage interface of playstat. Everything above this line talks to a store only
 * through ps_store_ops; backends (sqlite.c now, clickhouse.c later) plug in through the table
 * in backends.c. Nothing about a backend's SQL dialect, files or connections leaks out.
 *
 * Guarantees every backend keeps:
 * - write() is durable: when it returns 0 every record passed is on stable storage (or was a
 *   duplicate of one that is), and a crash after that loses none of them. It is all or nothing.
 * - Analytics events are unique per (game, client_ts, event_uuid): a record whose uuid and
 *   client_ts are already stored for its game (a resend: same body) is counted as a duplicate
 *   and not stored again. Records without a uuid are always stored.
 * - Rejected events are kept at most options.rejected_keep_per_game per game (newest kept).
 * - write() is called from one thread at a time (the ingest writer); every other operation is
 *   safe to call from any thread, concurrently with write() and with other processes (the CLI
 *   works while the server runs).
 */
#ifndef PS_STORE_STORE_H
#define PS_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_store ps_store;

/* A game and its keys. Fixed-size fields: a ps_game is a plain value, freely copied. */
typedef struct ps_game {
  int64_t id;
  char name[129];
  char project_id[37];   /* UUID */
  char game_key[33];     /* 32 hex */
  char secret_key[41];   /* 40 hex: HMAC key of the analytics API */
  char metrics_key[37];  /* UUID: HMAC key of metrics-session hashes */
  char token_secret[65]; /* 64 hex: HS256 key of player bearer tokens */
  int64_t created_ms;
} ps_game;

typedef struct ps_so_event_record ps_so_event_record;

typedef enum {
  PS_RECORD_EVENT,    /* an analytics event that passed validation */
  PS_RECORD_REJECTED, /* an analytics event that did not, with its errors */
  PS_RECORD_MSESSION, /* an accepted metrics-session request (start, heartbeat, end) */
  PS_RECORD_SO_EVENT, /* a multiplayer session event (session observability), anonymised */
} ps_record_kind;

typedef enum { PS_MSESSION_REC_START, PS_MSESSION_REC_HEARTBEAT, PS_MSESSION_REC_END } ps_msession_rec_kind;

/* What a metrics-session record carries (ps_record.msession). The request's checks were made
 * before it was queued (see ingest/metrics/registry.h); the store applies it: a start creates
 * the session, a heartbeat advances it, an end closes it; every request's nonce is kept. */
typedef struct ps_msession_record {
  ps_msession_rec_kind kind;
  const char *session_id;
  const char *player;
  const char *nonce;
  const char *platform; /* canonical name or "unknown" */
  const char *portal;
  const char *mod_ids; /* "1,2,3" (start only) */
  int64_t ts_ms;       /* the client's session_ts */
  int64_t order_id;
} ps_msession_record;

/* ---- session observability (Unity Matchmaker compatible) ---- */

/* A session is identified by (project_id, environment_id, session_id). */
typedef struct ps_so_key {
  const char *project_id, *environment_id, *session_id;
} ps_so_key;

/* One anonymised player of a session: the keyed hash of its real id and its number N
 * ("Player N"). Real ids never reach the store. */
typedef struct ps_so_player {
  const char *hash; /* lowercase hex HMAC-SHA256 under the session's salt */
  int64_t number;
} ps_so_player;

/* One accepted event, already validated and anonymised (ingest/sessions/). What it tells about
 * its session is merged into the session's summary so that the result does not depend on the
 * order in which events arrive (earliest match.created wins, latest allocation wins, ...). */
typedef struct ps_so_event_record {
  ps_so_key session;
  const char *event_key; /* 64 hex, SHA-256 of body: the same event sent twice is stored once */
  const char *type;
  int64_t ts_ms;
  const char *body; /* the event's canonical JSON as served (player ids replaced) */
  size_t body_len;
  const char *salt; /* the session's anonymisation salt (stored when the session is new) */
  const ps_so_player *players; /* every player this event names, with its number */
  size_t nplayers;
  const char *const *ticket_ids; /* matchmaking tickets this event names */
  size_t nticket_ids;
  /* match.created: the session's game mode (NULL when not given) */
  const char *pool_id, *pool_name, *queue_id, *queue_name;
  const char *region_id; /* allocation.requested */
  int backfill;          /* a backfill.match.created, players.connected or .disconnected */
} ps_so_event_record;

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
typedef int (*ps_so_player_visitor)(const ps_so_player *player, void *ctx);

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

/* ---- analytics-event rollups (insights/ga_rollup.h) ---- */

#define PS_GA_CHUNK_BITS 32768 /* users per bitmap chunk */
#define PS_GA_CHUNK_BYTES (PS_GA_CHUNK_BITS / 8)
#define PS_GA_DIMS 7           /* 0: all events; 1..6: platform, build, os_version, custom_01..03 */

/* A user as the rollups know it: a dense number per game and the first day (UTC day number)
 * of its first `user` event (-1 when none yet), with that event's dimension values. */
typedef struct ps_ga_user {
  char user_id[129];
  int64_t idx;
  int64_t first_day;
  char first_dims[PS_GA_DIMS][65]; /* [0] unused */
} ps_ga_user;

/* Set and clear these bits in one chunk of one bitmap (kind 'a' active, 'p' paying, 'n' new). */
typedef struct ps_ga_chunk_edit {
  char kind;
  int dim;
  char value[65];
  int64_t day, chunk;
  unsigned char set[PS_GA_CHUNK_BYTES], clear[PS_GA_CHUNK_BYTES];
} ps_ga_chunk_edit;

/* Add n and sum to one aggregate, and fold min and max in (kind e.g. "sessions", "length",
 * "revenue", "design"; key e.g. a currency or an event id, "" when none). */
typedef struct ps_ga_agg_add {
  char kind[16];
  int dim;
  char value[65];
  int64_t day;
  char key[129];
  int64_t n;
  double sum, min, max;
} ps_ga_agg_add;

/* What one pass of the rollups changes, applied in one transaction with its watermark. */
typedef struct ps_ga_delta {
  const ps_ga_user *users; /* new or changed users */
  size_t nusers;
  const ps_ga_chunk_edit *const *chunks; /* pointers: an edit is 8 KiB */
  size_t nchunks;
  const ps_ga_agg_add *const *aggs;
  size_t naggs;
  int64_t last_event_id; /* the events up to this id are rolled up */
} ps_ga_delta;

typedef int (*ps_ga_event_visitor)(int64_t id, int64_t received_ms, const char *body,
                                   size_t len, void *ctx);
typedef int (*ps_ga_chunk_visitor)(const char *value, int64_t day, int64_t chunk,
                                   const unsigned char *bits, size_t len, void *ctx);
typedef int (*ps_ga_agg_visitor)(const char *value, int64_t day, const char *key, int64_t n,
                                 double sum, double min, double max, void *ctx);

/* A metrics session as stored. Times in ms; ended_ms is -1 while the session has no end. */
typedef struct ps_msession_state {
  char session_id[129];
  char player[129];
  char platform[16];
  char portal[16];
  char mod_ids[8192];
  int64_t started_ms, last_ms, ended_ms;
  int64_t last_received_ms; /* server time of the latest accepted request */
  int64_t max_order_id;
} ps_msession_state;

/* A service account: HTTP Basic key_id:secret, one role on one project (a game's project_id). */
typedef struct ps_service_account {
  char key_id[37];        /* UUID */
  char project_id[37];
  char name[129];         /* a label for people ("matchmaker"); may be empty */
  char secret_sha256[65]; /* lowercase hex SHA-256 of the secret */
  char role[8];           /* "viewer" or "writer" */
  int64_t created_ms;
} ps_service_account;

/* One minute of rollups for one (platform, portal); either may be PS_ROLLUP_ANY (all). */
#define PS_ROLLUP_ANY "*"
typedef struct ps_rollup_row {
  char platform[16];
  char portal[16];
  int64_t minute_ms;
  int64_t ccu; /* peak distinct players in a session within the minute */
  int64_t ugc; /* peak distinct mod ids in sessions within the minute */
} ps_rollup_row;

typedef int (*ps_rollup_visitor)(const ps_rollup_row *row, void *ctx);
typedef int (*ps_msession_visitor)(const ps_msession_state *session, void *ctx);
typedef int (*ps_nonce_visitor)(const char *nonce, void *ctx);

/*
 * One thing to store. Pointers are borrowed: they must stay valid for the duration of the
 * write() call only (the ingest path points them into the request body).
 */
typedef struct ps_record {
  ps_record_kind kind;
  int64_t game_id;
  int64_t received_ms;   /* server receive time */
  const char *category;  /* NULL when unknown (rejected events only) */
  const char *event_uuid; /* NULL when absent */
  int64_t client_ts;     /* seconds; meaningful when has_client_ts */
  int has_client_ts;
  const char *user_id;    /* NULL when absent */
  const char *session_id; /* NULL when absent */
  const char *body;       /* the event's JSON text exactly as received */
  size_t body_len;
  int event_index;         /* position in its request (rejected events) */
  const char *errors_json; /* JSON array of {field, code, message} (rejected events) */
  const ps_msession_record *msession; /* PS_RECORD_MSESSION only (game_id, received_ms too) */
  const ps_so_event_record *so_event; /* PS_RECORD_SO_EVENT only (received_ms too) */
  int duplicate;           /* out: set by write() when the record was already stored */
} ps_record;

/* A run of records (one request's). */
typedef struct ps_record_span {
  ps_record *records;
  size_t count;
} ps_record_span;

/* A stored event as read back. Pointers are valid during the visitor call only. */
typedef struct ps_stored_event {
  int64_t game_id;
  int64_t received_ms;
  const char *category; /* may be NULL for rejected events */
  const char *body;
  size_t body_len;
  int event_index;         /* rejected events only */
  const char *errors_json; /* rejected events only */
} ps_stored_event;

typedef struct ps_event_query {
  int64_t game_id;
  const char *category; /* NULL: all */
  int rejected;         /* 0: stored events; 1: rejected events */
} ps_event_query;

/* Return 0 to go on, anything else to stop the scan (the scan then returns that value). */
typedef int (*ps_event_visitor)(const ps_stored_event *event, void *ctx);

typedef struct ps_store_options {
  int64_t rejected_keep_per_game; /* 0: default (10000) */
} ps_store_options;

typedef struct ps_store_ops {
  const char *name; /* "sqlite" */
  /* Opens (creating if needed) the store at location (for sqlite: the data directory). */
  int (*open)(const char *location, const ps_store_options *options, ps_store **out);
  void (*close)(ps_store *store);

  /* Stores game (name and keys filled in by the caller); sets game->id and created_ms.
   * PS_EEXIST when a key collides. */
  int (*game_create)(ps_store *store, ps_game *game);
  /* Returns a malloc'd array (caller frees) of every game ordered by id. */
  int (*game_list)(ps_store *store, ps_game **games, size_t *count);
  /* PS_ENOTFOUND when no game has that key / id. */
  int (*game_find_by_key)(ps_store *store, const char *game_key, ps_game *out);
  int (*game_find_by_id)(ps_store *store, int64_t id, ps_game *out);

  /* Durably stores every record of every span in one transaction (group commit: the ingest
   * writer passes one span per waiting request); see the guarantees above. */
  int (*write)(ps_store *store, ps_record_span *spans, size_t nspans);

  /* Visits the stored (or rejected) events of one game in arrival order. */
  int (*events_scan)(ps_store *store, const ps_event_query *query, ps_event_visitor visit,
                     void *ctx);

  /* Loads one metrics session and visits every nonce it has used. PS_ENOTFOUND if unknown. */
  int (*msession_load)(ps_store *store, int64_t game_id, const char *session_id,
                       ps_msession_state *out, ps_nonce_visitor visit, void *ctx);
  /* Visits the metrics sessions of one game, oldest start first. */
  int (*msessions_scan)(ps_store *store, int64_t game_id, ps_msession_visitor visit, void *ctx);
  /* Visits the sessions of one game that started before to_ms and either have a session_ts
   * at or after from_ms, or have not ended and received a request at or after open_since_ms
   * (server time: the ones that may still be running). Oldest start first. */
  int (*msessions_range)(ps_store *store, int64_t game_id, int64_t from_ms, int64_t to_ms,
                         int64_t open_since_ms, ps_msession_visitor visit, void *ctx);
  /* The earliest session start of the game; PS_ENOTFOUND when it has no session. */
  int (*msessions_first_start)(ps_store *store, int64_t game_id, int64_t *out_ms);

  /* Per-minute rollups of session metrics (insights/rollup.h). settled_ms: the rollups of the
   * game cover every minute before it; PS_ENOTFOUND when none was ever written. */
  int (*rollup_settled)(ps_store *store, int64_t game_id, int64_t *settled_ms);
  /* Stores rows (minutes in [old settled, settled_ms)) and moves settled to settled_ms, in one
   * transaction. */
  int (*rollup_write)(ps_store *store, int64_t game_id, const ps_rollup_row *rows, size_t n,
                      int64_t settled_ms);
  /* Visits the rows of one game with minute_ms in [from_ms, to_ms) whose platform and portal
   * equal the ones given; NULL matches any value except PS_ROLLUP_ANY. In minute order within
   * one (platform, portal). */
  int (*rollup_scan)(ps_store *store, int64_t game_id, const char *platform, const char *portal,
                     int64_t from_ms, int64_t to_ms, ps_rollup_visitor visit, void *ctx);

  /* Service accounts of the session observability API (src/auth/service_auth.h). The secret
   * is kept only as its lowercase hex SHA-256. create: PS_EEXIST when the key id is taken;
   * created_ms is stored as given (0: now); the store does not check that the project exists
   * (the CLI does), and refuses a role other than "viewer" or "writer" (PS_EINVAL). find: PS_ENOTFOUND when unknown. list: every account (of project_id unless NULL), by
   * creation; caller frees *out. delete: PS_ENOTFOUND when unknown. */
  int (*service_account_create)(ps_store *store, const ps_service_account *account);
  int (*service_account_find)(ps_store *store, const char *key_id, ps_service_account *out);
  int (*service_account_list)(ps_store *store, const char *project_id, ps_service_account **out,
                              size_t *count);
  int (*service_account_delete)(ps_store *store, const char *key_id);

  /* Session observability. Events are written through write() (PS_RECORD_SO_EVENT). */
  /* The summary of one session and its events in timestamp order (arrival order on ties).
   * PS_ENOTFOUND when the session is unknown (or expired). visit may be NULL. */
  int (*so_session_get)(ps_store *store, const ps_so_key *key, ps_so_session *out,
                        ps_so_event_visitor visit, void *ctx);
  /* At most q->limit summaries matching q into *out (caller frees); *snapshot_seq: the value
   * to carry in q->snapshot_seq for the next pages (the current sequence on a first page). */
  int (*so_session_list)(ps_store *store, const ps_so_query *q, ps_so_session **out,
                         size_t *count, int64_t *snapshot_seq);
  /* The anonymisation state of a session: its salt (65 bytes) and visits its players.
   * PS_ENOTFOUND when the session is unknown. */
  int (*so_session_players)(ps_store *store, const ps_so_key *key, char *salt,
                            ps_so_player_visitor visit, void *ctx);
  /* Visits the summaries of a project's sessions created in [from_ms, to_ms). */
  int (*so_sessions_range)(ps_store *store, const char *project_id, int64_t from_ms,
                           int64_t to_ms, int (*visit)(const ps_so_session *s, void *ctx),
                           void *ctx);
  /* Deletes every session created before before_ms with all it holds (events, players,
   * tickets), leaving no trace of them in the store's files. *deleted: sessions removed. */
  int (*so_expire)(ps_store *store, int64_t before_ms, int64_t *deleted);

  /* Analytics-event rollups. ga_events_after: the stored events of a game with id > after_id,
   * in id order, at most limit. ga_rollup_mark: the last rolled-up event id (0 when none).
   * ga_user_get: PS_ENOTFOUND when unknown; ga_user_next_idx: the next dense number.
   * ga_rollup_apply: one transaction. ga_chunks / ga_aggs: rows of kind and dim with value
   * (NULL: every value of the dim) and day in [from_day, to_day). */
  int (*ga_events_after)(ps_store *store, int64_t game_id, int64_t after_id, size_t limit,
                         ps_ga_event_visitor visit, void *ctx);
  int (*ga_rollup_mark)(ps_store *store, int64_t game_id, int64_t *last_event_id);
  int (*ga_user_get)(ps_store *store, int64_t game_id, const char *user_id, ps_ga_user *out);
  int (*ga_user_next_idx)(ps_store *store, int64_t game_id, int64_t *idx);
  int (*ga_rollup_apply)(ps_store *store, int64_t game_id, const ps_ga_delta *delta);
  int (*ga_chunks)(ps_store *store, int64_t game_id, char kind, int dim, const char *value,
                   int64_t from_day, int64_t to_day, ps_ga_chunk_visitor visit, void *ctx);
  int (*ga_aggs)(ps_store *store, int64_t game_id, const char *kind, int dim, const char *value,
                 int64_t from_day, int64_t to_day, ps_ga_agg_visitor visit, void *ctx);

  /* Read-API tokens, kept only as the lowercase hex SHA-256 of the token. */
  int (*api_token_create)(ps_store *store, const char *token_sha256_hex, const char *name);
  /* 0 when a token with that hash exists, PS_ENOTFOUND when not. */
  int (*api_token_check)(ps_store *store, const char *token_sha256_hex);
} ps_store_ops;

/* Every backend's handle starts with this header. */
struct ps_store {
  const ps_store_ops *ops;
};

/* The backend named name ("sqlite"), or NULL. */
const ps_store_ops *ps_store_backend(const char *name);

#endif
