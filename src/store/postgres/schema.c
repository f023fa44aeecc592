/*
 * schema.c: the PostgreSQL state store's tables, their version and their upgrades.
 *
 *   playstat_state_schema(version)      one row: the version the tables are at
 *   games(id BIGSERIAL, name, project_id UNIQUE, game_key UNIQUE, secret_key, metrics_key,
 *         token_secret, created_ms)
 *   api_tokens(token_sha256, name, created_ms, role)                 hashes only
 *   service_accounts(key_id, project_id, name, secret_sha256, role, created_ms)
 *   msession_state(game_id, session_id, player, max_order_id, last_received_ms, ended)
 *   msession_nonces(game_id, session_id, nonce, kind, order_id, ts_ms, received_ms)
 *   so_anonymity(project_id, environment_id, session_id, salt, first_ms, match_created_ms,
 *                created_ms = coalesce(match_created_ms, first_ms))
 *   so_anonymity_players(project_id, environment_id, session_id, hash, number)
 *                                  a number and a hash are each unique within their session
 *   export_log(target, game_id, kind, format, period_start_ms, period_ms, object_key,
 *              row_count, byte_count, written_ms)          what the raw exports wrote
 *   exchange_rates(day, currency, per_eur), game_currency(game_id, currency)    rates.c
 *
 * Guarantees: ps_pg_schema_upgrade runs in one transaction holding a transaction-level
 * advisory lock, so that nodes opening an empty (or older) database at the same moment wait
 * for each other instead of racing on CREATE TABLE; each version's statements run once, in
 * order; a database written by a newer playstat (a higher version) is refused, never changed.
 */
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/postgres/internal.h"

/* pg_advisory_xact_lock's key for schema changes ("plst"). */
#define SCHEMA_LOCK "1886155636"

/* versions[v - 1] brings the tables from version v - 1 to v. Append only. */
static const char *const versions[] = {
    /* 1: the state store as the SQLite one keeps it (src/store/sqlite/state.c). */
    "CREATE TABLE IF NOT EXISTS games("
    "  id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL, project_id TEXT NOT NULL UNIQUE,"
    "  game_key TEXT NOT NULL UNIQUE, secret_key TEXT NOT NULL, metrics_key TEXT NOT NULL,"
    "  token_secret TEXT NOT NULL, created_ms BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS api_tokens("
    "  token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms BIGINT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS service_accounts("
    "  key_id TEXT PRIMARY KEY, project_id TEXT NOT NULL, name TEXT NOT NULL,"
    "  secret_sha256 TEXT NOT NULL, role TEXT NOT NULL CHECK (role IN ('viewer', 'writer')),"
    "  created_ms BIGINT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS service_accounts_by_project"
    "  ON service_accounts(project_id, created_ms);"
    "CREATE TABLE IF NOT EXISTS msession_state("
    "  game_id BIGINT NOT NULL, session_id TEXT NOT NULL, player TEXT NOT NULL,"
    "  max_order_id BIGINT NOT NULL, last_received_ms BIGINT NOT NULL,"
    "  ended INTEGER NOT NULL, PRIMARY KEY(game_id, session_id));"
    "CREATE TABLE IF NOT EXISTS msession_nonces("
    "  game_id BIGINT NOT NULL, session_id TEXT NOT NULL, nonce TEXT NOT NULL,"
    "  kind INTEGER NOT NULL, order_id BIGINT NOT NULL, ts_ms BIGINT NOT NULL,"
    "  received_ms BIGINT NOT NULL, PRIMARY KEY(game_id, session_id, nonce));"
    "CREATE TABLE IF NOT EXISTS so_anonymity("
    "  project_id TEXT NOT NULL, environment_id TEXT NOT NULL, session_id TEXT NOT NULL,"
    "  salt TEXT NOT NULL, first_ms BIGINT NOT NULL, match_created_ms BIGINT,"
    "  created_ms BIGINT GENERATED ALWAYS AS (coalesce(match_created_ms, first_ms)) STORED,"
    "  PRIMARY KEY(project_id, environment_id, session_id));"
    "CREATE INDEX IF NOT EXISTS so_anonymity_by_age ON so_anonymity(created_ms);"
    "CREATE TABLE IF NOT EXISTS so_anonymity_players("
    "  project_id TEXT NOT NULL, environment_id TEXT NOT NULL, session_id TEXT NOT NULL,"
    "  hash TEXT NOT NULL, number BIGINT NOT NULL,"
    "  PRIMARY KEY(project_id, environment_id, session_id, hash),"
    "  UNIQUE(project_id, environment_id, session_id, number),"
    "  FOREIGN KEY(project_id, environment_id, session_id) REFERENCES so_anonymity"
    "    ON DELETE CASCADE);",
    /* 2: read-API tokens have a role; the tokens made before are viewers. */
    "ALTER TABLE api_tokens ADD COLUMN IF NOT EXISTS role TEXT NOT NULL DEFAULT 'viewer'"
    "  CHECK (role IN ('viewer', 'admin'));",
    /* 3: the export log (export_log.c). */
    "CREATE TABLE IF NOT EXISTS export_log("
    "  target TEXT NOT NULL, game_id BIGINT NOT NULL, kind TEXT NOT NULL,"
    "  format TEXT NOT NULL, period_start_ms BIGINT NOT NULL, period_ms BIGINT NOT NULL,"
    "  object_key TEXT NOT NULL, row_count BIGINT NOT NULL, byte_count BIGINT NOT NULL,"
    "  written_ms BIGINT NOT NULL,"
    "  PRIMARY KEY(target, game_id, kind, format, period_start_ms));",
    /* 4: exchange rates and each game's reporting currency (rates.c). */
    "CREATE TABLE IF NOT EXISTS exchange_rates("
    "  day BIGINT NOT NULL, currency TEXT NOT NULL, per_eur DOUBLE PRECISION NOT NULL,"
    "  PRIMARY KEY(day, currency));"
    "CREATE TABLE IF NOT EXISTS game_currency("
    "  game_id BIGINT PRIMARY KEY, currency TEXT NOT NULL);",
};

#define CURRENT_VERSION ((int)(sizeof versions / sizeof *versions))

/* Runs a script of several statements (no parameters): PS_OK or PS_EIO, logged. */
static int run_script(ps_pg_conn *c, const char *what, const char *sql) {
  PGresult *res = PQexec(c->pg, sql);
  int ok = PQresultStatus(res) == PGRES_COMMAND_OK || PQresultStatus(res) == PGRES_TUPLES_OK;
  if (!ok) ps_pg_log(PS_LOG_ERROR, what, PQresultErrorMessage(res));
  PQclear(res);
  return ok ? PS_OK : PS_EIO;
}

static int upgrade(ps_pg_conn *c, void *ctx) {
  (void)ctx;
  PGresult *res = NULL;
  int rc = ps_pg_query(c, "schema lock", "SELECT pg_advisory_xact_lock(" SCHEMA_LOCK ")", 0,
                       NULL, NULL);
  if (rc == PS_OK)
    rc = run_script(c, "schema version table",
                    "CREATE TABLE IF NOT EXISTS playstat_state_schema(version INTEGER NOT NULL)");
  if (rc == PS_OK)
    rc = ps_pg_query(c, "schema version", "SELECT max(version) FROM playstat_state_schema", 0,
                     NULL, &res);
  if (rc != PS_OK) return rc;
  int version = (int)ps_pg_get_int(res, 0, 0);
  PQclear(res);
  if (version > CURRENT_VERSION) {
    ps_error_log("postgres: the state tables are at version %d, newer than this playstat's %d",
                 version, CURRENT_VERSION);
    return PS_EUNSUPPORTED;
  }
  if (version == CURRENT_VERSION) return PS_OK;
  for (int v = version + 1; rc == PS_OK && v <= CURRENT_VERSION; v++) {
    ps_info("postgres: upgrading the state tables to version %d", v);
    rc = run_script(c, "schema upgrade", versions[v - 1]);
  }
  ps_pg_int now = ps_pg_int_text(CURRENT_VERSION);
  const char *params[] = {now.text};
  if (rc == PS_OK)
    rc = run_script(c, "schema version", "DELETE FROM playstat_state_schema");
  if (rc == PS_OK)
    rc = ps_pg_query(c, "schema version", "INSERT INTO playstat_state_schema VALUES($1::int)", 1,
                     params, NULL);
  return rc;
}

int ps_pg_schema_upgrade(ps_pg_pool *pool) {
  return ps_pg_transaction(pool, "schema upgrade", upgrade, NULL);
}
