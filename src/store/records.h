/*
 * records.h: what the ingest path hands to the stores once a request has passed its checks:
 * one ps_record per accepted (or rejected) thing, borrowed from the request for the duration of
 * one call. The event store appends every record (events.h); the state store applies the
 * protocol state some of them carry (state.h: a metrics session's order id and nonce, a
 * multiplayer session's anonymisation). Nothing here says how a backend keeps them.
 *
 * Identity (what "stored once" means, for every backend):
 *   PS_RECORD_EVENT     (game_id, event_uuid); an event without a uuid is always new
 *   PS_RECORD_REJECTED  none: each is kept (newest options.rejected_keep_per_game per game)
 *   PS_RECORD_MSESSION  (game_id, session_id, nonce): applying a request twice changes nothing
 *   PS_RECORD_SO_EVENT  (project, environment, session, event_key)
 */
#ifndef PS_STORE_RECORDS_H
#define PS_STORE_RECORDS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  PS_RECORD_EVENT,    /* an analytics event that passed validation */
  PS_RECORD_REJECTED, /* an analytics event that did not, with its errors */
  PS_RECORD_MSESSION, /* an accepted metrics-session request (start, heartbeat, end) */
  PS_RECORD_SO_EVENT, /* a multiplayer session event (session observability), anonymised */
} ps_record_kind;

/* A kind as a bit of a set of kinds (state.h apply). */
#define PS_RECORD_BIT(kind) (1u << (unsigned)(kind))
#define PS_RECORD_ALL_KINDS (~0u)

typedef enum { PS_MSESSION_REC_START, PS_MSESSION_REC_HEARTBEAT, PS_MSESSION_REC_END } ps_msession_rec_kind;

/* What a metrics-session record carries (ps_record.msession). The request's checks were made
 * before it was queued (see ingest/metrics/registry.h): a start creates the session, a
 * heartbeat advances it, an end closes it. */
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

/* A multiplayer session is identified by (project_id, environment_id, session_id). */
typedef struct ps_so_key {
  const char *project_id, *environment_id, *session_id;
} ps_so_key;

/* One anonymised player of a session: the keyed hash of its real id and its number N
 * ("Player N"). Real ids never reach a store. */
typedef struct ps_so_player {
  const char *hash; /* lowercase hex HMAC-SHA256 under the session's salt */
  int64_t number;
} ps_so_player;

/* One accepted multiplayer session event, already validated and anonymised (ingest/sessions/).
 * What it tells about its session is merged into the session's summary so that the result does
 * not depend on the order in which events arrive (earliest match.created wins, latest
 * allocation wins, ...). */
typedef struct ps_so_event_record {
  ps_so_key session;
  const char *event_key; /* 64 hex, SHA-256 of body: the same event sent twice is stored once */
  const char *type;
  int64_t ts_ms;
  const char *body; /* the event's canonical JSON as served (player ids replaced) */
  size_t body_len;
  const char *salt; /* the session's anonymisation salt (state: kept while the session is) */
  const ps_so_player *players; /* every player this event names, with its number (state) */
  size_t nplayers;
  const char *const *ticket_ids; /* matchmaking tickets this event names */
  size_t nticket_ids;
  /* match.created: the session's game mode (NULL when not given) */
  const char *pool_id, *pool_name, *queue_id, *queue_name;
  const char *region_id; /* allocation.requested */
  int backfill;          /* a backfill.match.created, players.connected or .disconnected */
} ps_so_event_record;

/* What the collector extracted from a valid analytics event in its one parse (issue 12): the
 * members the event store indexes and rolls up, so that no backend parses the body again. The
 * pointers are borrowed like every pointer of a record (they point into the request); a member
 * the event does not have is NULL (strings) or has_* = 0 (numbers). Empty strings stay "".
 * Strings are the members' decoded values (escapes resolved), NUL-terminated. */
typedef struct ps_event_facts {
  /* the dimensions every event carries (shared annotations) */
  const char *platform, *build, *os_version;
  const char *custom_01, *custom_02, *custom_03;
  int client_ts_is_integer; /* client_ts was a JSON integer (record.client_ts holds it) */
  /* business */
  const char *currency;
  int64_t amount; /* cents */
  int has_amount;
  /* session_end */
  int64_t length; /* seconds */
  int has_length;
  /* progression, resource, design */
  const char *event_id;
  double value; /* design: value; resource: amount */
  int has_value;
  int64_t attempt_num; /* progression */
  int has_attempt_num;
  /* error */
  const char *severity, *message;
  /* ads */
  const char *ad_action, *ad_sdk_name, *ad_type, *ad_placement;
} ps_event_facts;

/*
 * One thing to store. Pointers are borrowed: they must stay valid for the duration of the
 * call only (the ingest path points them into the request body).
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
  const ps_event_facts *facts; /* PS_RECORD_EVENT: what the one parse extracted; NULL from
                                * callers that have none (a backend then reads the body) */
  const char *country; /* PS_RECORD_EVENT: ISO 3166-1 alpha-2 code of the request's client
                        * address ("DE"), NULL when unknown. The address itself is never in
                        * a record. */
  size_t body_len;
  int event_index;         /* position in its request (rejected events) */
  const char *errors_json; /* JSON array of {field, code, message} (rejected events) */
  const ps_msession_record *msession; /* PS_RECORD_MSESSION only (game_id, received_ms too) */
  const ps_so_event_record *so_event; /* PS_RECORD_SO_EVENT only (received_ms too) */
  /* out, advisory: set by an append that finds at once that the record was already stored.
   * A backend that deduplicates later (ClickHouse) leaves it 0 and still stores it once; it
   * only feeds counters and the "duplicates" figure of the session events answer. */
  int duplicate;
} ps_record;

/* A run of records (one request's). */
typedef struct ps_record_span {
  ps_record *records;
  size_t count;
} ps_record_span;

#endif
