/*
 * state.h: the state store. It holds what is looked up and updated in place, and is
 * transactional: games and their keys, read-API tokens, service accounts, and the state that
 * protocols check before they accept a request (a metrics session's owner, highest order id
 * and nonces; a multiplayer session's anonymisation salt and player numbers). Everything that
 * is appended and counted lives in the event store (events.h).
 *
 * Guarantees every backend keeps:
 * - Each call is one transaction: it happens whole or not at all, and a 0 return means it is
 *   durable.
 * - apply() is idempotent: applying the same records again changes nothing (a client resends
 *   after a failure between the state and the event store).
 * - Order with the event store (src/ingest/queue.c): state that names things (a multiplayer
 *   session's salt and player numbers) is applied before the records are appended, so that a
 *   resend after a failed append is numbered the same and its event is stored once; state that
 *   refuses repeats (a metrics session's nonces) is applied after, so that a resend after a
 *   failed append is not refused as a replay.
 * - Secrets are kept only as hashes (tokens, service-account secrets); real matchmaker player
 *   ids never reach it (only keyed hashes).
 * - Every call is safe from any thread and concurrently with other processes.
 */
#ifndef PS_STORE_STATE_H
#define PS_STORE_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "store/options.h"
#include "store/records.h"

typedef struct ps_state_store ps_state_store;

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

/* A service account: HTTP Basic key_id:secret, one role on one project (a game's project_id). */
typedef struct ps_service_account {
  char key_id[37];        /* UUID */
  char project_id[37];
  char name[129];         /* a label for people ("matchmaker"); may be empty */
  char secret_sha256[65]; /* lowercase hex SHA-256 of the secret */
  char role[8];           /* "viewer" or "writer" */
  int64_t created_ms;
} ps_service_account;

/* What the metrics-session checks need of a session (ingest/metrics/registry.h). */
typedef struct ps_msession_state {
  char player[129];
  int64_t max_order_id;
  int64_t last_received_ms; /* server time of the latest accepted request */
  int ended;
} ps_msession_state;

/* One accepted metrics-session request as its nonce row keeps it: what tells a client's resend
 * of that request (same kind, order id and session_ts: answered as a success, ingest/metrics/
 * registry.h) from another request reusing its nonce (refused). */
typedef struct ps_msession_nonce {
  const char *nonce;
  ps_msession_rec_kind kind;
  int64_t order_id;
  int64_t ts_ms;       /* the client's session_ts */
  int64_t received_ms; /* server time at which it was accepted */
} ps_msession_nonce;

/* The longest role name with its NUL ("viewer", "admin", "writer"). */
#define PS_ROLE_MAX 8

/* One object a raw export wrote (src/export/): what the export log keeps so that a schedule
 * writes each closed period once and a backfill can tell what is already there. Identity:
 * (target, game_id, kind, format, period_start_ms); recording it again replaces the entry. */
typedef struct ps_export_object {
  char target[512];  /* the export's URL, without credentials */
  int64_t game_id;
  char kind[16];     /* "events", "rejected", "msessions", "so_events" */
  char format[16];   /* "parquet", "ndjson.gz" */
  int64_t period_start_ms, period_ms;
  char key[512];     /* the object's name under target */
  int64_t rows, bytes;
  int64_t written_ms;
} ps_export_object;

/* One exchange rate (src/insights/money.h converts with them): how many units of currency one
 * euro bought on day, as the ECB's euro reference rates say it. Identity: (day, currency). */
typedef struct ps_rate {
  int64_t day;      /* days since 1970-01-01, UTC */
  char currency[4]; /* ISO 4217: three uppercase ASCII letters, never "EUR" */
  double per_eur;   /* finite, > 0 */
} ps_rate;

typedef int (*ps_rate_visitor)(const ps_rate *rate, void *ctx);
typedef int (*ps_nonce_visitor)(const ps_msession_nonce *nonce, void *ctx);
typedef int (*ps_so_player_visitor)(const ps_so_player *player, void *ctx);

typedef struct ps_state_store_ops {
  const char *name; /* the URL scheme: "sqlite" */
  /* 1 when other nodes write this store while it is open (PostgreSQL: every node of a
   * deployment shares it). Then what a node keeps in memory of the protocol state (a metrics
   * session's nonces and maxima, a multiplayer session's salt and player numbers) may be
   * behind the store, and the ingest path reads the store again before it decides on it
   * (ingest/metrics/registry.h, ingest/sessions/anonymizer.h). 0: this process is the only
   * writer that matters (SQLite: one node). */
  int shared;
  /* Opens (creating or upgrading if needed) the store at location (sqlite: a directory). */
  int (*open)(const char *location, const ps_store_options *options, ps_state_store **out);
  void (*close)(ps_state_store *store);

  /* Stores game (name and keys filled in by the caller); sets game->id and created_ms.
   * PS_EEXIST when a key collides. */
  int (*game_create)(ps_state_store *store, ps_game *game);
  /* A malloc'd array (caller frees) of every game ordered by id. */
  int (*game_list)(ps_state_store *store, ps_game **games, size_t *count);
  /* The game with that game_key (when not NULL) or that id. PS_ENOTFOUND when none. */
  int (*game_find)(ps_state_store *store, const char *game_key, int64_t id, ps_game *out);

  /* Read-API tokens, kept only as the lowercase hex SHA-256 of the token, each with a role:
   * "viewer" (reads metrics) or "admin" (also deletes players and exports raw data). Tokens
   * made before roles existed are viewers. create: PS_EEXIST when the hash is taken, PS_EINVAL
   * for another role. check: 0 and the role (NUL-terminated) in role when a token with that
   * hash exists, else PS_ENOTFOUND. */
  int (*api_token_create)(ps_state_store *store, const char *token_sha256_hex, const char *name,
                          const char *role);
  int (*api_token_check)(ps_state_store *store, const char *token_sha256_hex,
                         char role[PS_ROLE_MAX]);

  /* Service accounts (src/auth/service_auth.h). create: PS_EEXIST when the key id is taken;
   * created_ms is stored as given (0: now); a role other than "viewer" or "writer" is
   * PS_EINVAL (the store does not check that the project exists: the CLI does). find:
   * PS_ENOTFOUND when unknown. list: every account (of project_id unless NULL), by creation;
   * caller frees *out. delete: PS_ENOTFOUND when unknown. */
  int (*service_account_create)(ps_state_store *store, const ps_service_account *account);
  int (*service_account_find)(ps_state_store *store, const char *key_id, ps_service_account *out);
  int (*service_account_list)(ps_state_store *store, const char *project_id,
                              ps_service_account **out, size_t *count);
  int (*service_account_delete)(ps_state_store *store, const char *key_id);

  /* Applies, in one transaction, the protocol state carried by the records whose kind is in
   * kinds (PS_RECORD_BIT(kind), or-ed): a metrics-session request creates or advances its
   * session's state and keeps its nonce; a multiplayer session event keeps its session's salt
   * and players. Other records carry none. Without a matching record it does nothing. */
  int (*apply)(ps_state_store *store, const ps_record_span *spans, size_t nspans,
               unsigned kinds);
  /* One metrics session's state, and every nonce it has used with the request that used it.
   * PS_ENOTFOUND if unknown. */
  int (*msession_load)(ps_state_store *store, int64_t game_id, const char *session_id,
                       ps_msession_state *out, ps_nonce_visitor visit, void *ctx);
  /* A multiplayer session's salt (65 bytes) and its players. PS_ENOTFOUND when unknown. */
  int (*so_anonymity_load)(ps_state_store *store, const ps_so_key *key, char *salt,
                           ps_so_player_visitor visit, void *ctx);
  /* The export log (see ps_export_object). record: inserts or replaces. find: the entry with
   * that identity into out, PS_ENOTFOUND when none. */
  int (*export_record)(ps_state_store *store, const ps_export_object *object);
  int (*export_find)(ps_state_store *store, const char *target, int64_t game_id,
                     const char *kind, const char *format, int64_t period_start_ms,
                     ps_export_object *out);
  /* Forgets the state of every metrics session of game_id whose player is player (its owner,
   * order ids and nonces), leaving no trace of the player in the store's files: part of
   * deleting a player (src/lifecycle/forget.h). Idempotent. */
  int (*msession_forget_player)(ps_state_store *store, int64_t game_id, const char *player);
  /* Forgets the anonymisation of every multiplayer session created before before_ms (as the
   * event store dates it: the earliest match.created, else the earliest event), leaving no
   * trace in the store's files. */
  int (*so_anonymity_expire)(ps_state_store *store, int64_t before_ms);

  /* Exchange rates (ps_rate) and each game's reporting currency (src/insights/money.h).
   * rates_put: stores every rate, replacing one of the same (day, currency), in one
   * transaction; a rate that breaks ps_rate's rules is PS_EINVAL and nothing is stored.
   * rates_read: visits every rate with from_day <= day < to_day, by day then currency; a
   * visitor's non-zero return stops the visit and is returned. game_currency_set: the game's
   * reporting currency (three uppercase letters, else PS_EINVAL; EUR allowed), replacing the
   * one before; the store does not check that the game exists (the CLI does).
   * game_currency_get: into currency, NUL-terminated; PS_ENOTFOUND when the game has none. */
  int (*rates_put)(ps_state_store *store, const ps_rate *rates, size_t n);
  int (*rates_read)(ps_state_store *store, int64_t from_day, int64_t to_day,
                    ps_rate_visitor visit, void *ctx);
  int (*game_currency_set)(ps_state_store *store, int64_t game_id, const char *currency);
  int (*game_currency_get)(ps_state_store *store, int64_t game_id, char currency[4]);
} ps_state_store_ops;

/* Every backend's handle starts with this header. */
struct ps_state_store {
  const ps_state_store_ops *ops;
};

#endif
