/*
 * export_log.c: the export log of the PostgreSQL state store (state.h ps_export_object; table
 * in schema.c): what the raw exports (src/export/) wrote, one row per object, keyed by
 * (target, game_id, kind, format, period_start_ms).
 *
 * Recording an identity again replaces its row in one statement (INSERT ... ON CONFLICT DO
 * UPDATE), so two nodes recording the same object at once leave one row, the last one's. Each
 * text field must be NUL-terminated within its array (PS_EINVAL otherwise).
 */
#include <string.h>

#include "common/errors.h"
#include "store/postgres/internal.h"

#define TERMINATED(field) (memchr((field), '\0', sizeof(field)) != NULL)

static int record(ps_pg_conn *c, void *ctx) {
  const ps_export_object *o = ctx;
  ps_pg_int game = ps_pg_int_text(o->game_id), start = ps_pg_int_text(o->period_start_ms),
            period = ps_pg_int_text(o->period_ms), rows = ps_pg_int_text(o->rows),
            bytes = ps_pg_int_text(o->bytes), written = ps_pg_int_text(o->written_ms);
  const char *params[] = {o->target, game.text, o->kind,    o->format,  start.text,
                          period.text, o->key,  rows.text, bytes.text, written.text};
  return ps_pg_query(c, "export record",
                     "INSERT INTO export_log(target, game_id, kind, format, period_start_ms,"
                     " period_ms, object_key, row_count, byte_count, written_ms)"
                     " VALUES($1,$2::bigint,$3,$4,$5::bigint,$6::bigint,$7,$8::bigint,"
                     "$9::bigint,$10::bigint)"
                     " ON CONFLICT (target, game_id, kind, format, period_start_ms) DO UPDATE SET"
                     " period_ms = excluded.period_ms, object_key = excluded.object_key,"
                     " row_count = excluded.row_count, byte_count = excluded.byte_count,"
                     " written_ms = excluded.written_ms",
                     10, params, NULL);
}

int ps_pg_export_record(ps_state_store *store, const ps_export_object *object) {
  if (!TERMINATED(object->target) || !TERMINATED(object->kind) ||
      !TERMINATED(object->format) || !TERMINATED(object->key))
    return PS_EINVAL;
  return ps_pg_transaction(ps_pg_pool_of(store), "export record", record, (void *)object);
}

typedef struct find_call {
  const char *target, *kind, *format;
  int64_t game_id, period_start_ms;
  ps_export_object *out;
} find_call;

static int find(ps_pg_conn *c, void *ctx) {
  const find_call *q = ctx;
  ps_pg_int game = ps_pg_int_text(q->game_id), start = ps_pg_int_text(q->period_start_ms);
  const char *params[] = {q->target, game.text, q->kind, q->format, start.text};
  PGresult *res;
  int rc = ps_pg_query(c, "export find",
                       "SELECT target, game_id, kind, format, period_start_ms, period_ms,"
                       " object_key, row_count, byte_count, written_ms FROM export_log"
                       " WHERE target = $1 AND game_id = $2::bigint AND kind = $3"
                       " AND format = $4 AND period_start_ms = $5::bigint",
                       5, params, &res);
  if (rc != PS_OK) return rc;
  if (PQntuples(res) == 0) {
    PQclear(res);
    return PS_ENOTFOUND;
  }
  ps_export_object *o = q->out;
  memset(o, 0, sizeof *o);
  ps_pg_copy_text(o->target, sizeof o->target, res, 0, 0);
  o->game_id = ps_pg_get_int(res, 0, 1);
  ps_pg_copy_text(o->kind, sizeof o->kind, res, 0, 2);
  ps_pg_copy_text(o->format, sizeof o->format, res, 0, 3);
  o->period_start_ms = ps_pg_get_int(res, 0, 4);
  o->period_ms = ps_pg_get_int(res, 0, 5);
  ps_pg_copy_text(o->key, sizeof o->key, res, 0, 6);
  o->rows = ps_pg_get_int(res, 0, 7);
  o->bytes = ps_pg_get_int(res, 0, 8);
  o->written_ms = ps_pg_get_int(res, 0, 9);
  PQclear(res);
  return PS_OK;
}

int ps_pg_export_find(ps_state_store *store, const char *target, int64_t game_id,
                      const char *kind, const char *format, int64_t period_start_ms,
                      ps_export_object *out) {
  find_call q = {target, kind, format, game_id, period_start_ms, out};
  return ps_pg_transaction(ps_pg_pool_of(store), "export find", find, &q);
}
