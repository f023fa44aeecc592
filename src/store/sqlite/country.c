/*
 * country.c: the country dimension's columns in the SQLite event store (schema 10):
 * events.country (the ISO code of the request's client address, NULL when unknown; written by
 * event_log.c for every event) and ga_users.dim7 (the country of a user's first `user` event,
 * the rollups' dimension 7, as dim1..dim6 hold the others).
 *
 * A new store creates both with its tables (event_log.c, ga_tables.c: each the last column,
 * where ALTER TABLE ADD COLUMN puts it, so every store has the same shape). A store of an
 * earlier version gets them here, inside the migration's transaction; the events stored before
 * keep NULL: their country is unknown (the address was never kept, so nothing can fill it).
 */
#include <sqlite3.h>

#include "common/errors.h"
#include "store/sqlite/internal.h"

int ps_sqlite_country_upgrade_to_10(sqlite3 *db) {
  static const char *const columns[][3] = {
      {"events", "country", "ALTER TABLE events ADD COLUMN country TEXT"},
      {"ga_users", "dim7", "ALTER TABLE ga_users ADD COLUMN dim7 TEXT"}};
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < sizeof columns / sizeof *columns; i++)
    if (!ps_sqlite_column_exists(db, columns[i][0], columns[i][1]))
      rc = ps_sqlite_exec(db, columns[i][2]);
  return rc;
}
