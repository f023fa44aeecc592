/*
 * export_rows.h: what one row of each raw export holds. A kind (analytics events, rejected
 * events, metrics sessions, multiplayer session events) has a fixed list of typed columns
 * (docs/export.md lists them), and turns one item of an event-store scan (store/events.h) into
 * one value per column. Every format (Parquet, NDJSON.gz: export_format.h) writes the same
 * columns, so the two formats of one period hold the same rows and values.
 *
 * Analytics events: the server's time of arrival, the default annotations and every
 * category's own fields as typed columns (null where the event has no such member, or a
 * member of another JSON type), and the event's JSON exactly as received in `raw`.
 */
#ifndef PS_EXPORT_EXPORT_ROWS_H
#define PS_EXPORT_EXPORT_ROWS_H

#include <stddef.h>

#include "common/json_doc.h"
#include "export/parquet.h"
#include "store/events.h"

typedef enum {
  PS_EXPORT_EVENTS,
  PS_EXPORT_REJECTED,
  PS_EXPORT_MSESSIONS,
  PS_EXPORT_SO_EVENTS,
  PS_EXPORT_NKINDS
} ps_export_kind;

/* "events", "rejected", "msessions", "so_events". */
const char *ps_export_kind_name(ps_export_kind kind);
/* The kind with that name; -1 when none. */
int ps_export_kind_from_name(const char *name);
/* The event-store scan that reads a kind. */
ps_scan_kind ps_export_kind_scan(ps_export_kind kind);

/* The columns of a kind: *n of them. */
const ps_pq_column *ps_export_columns(ps_export_kind kind, size_t *n);

/* Fills one row of a kind from a scan item. values has one slot per column. Strings point
 * into the item (valid during the scan's visitor call) or into doc, which the caller owns and
 * reuses from row to row. PS_ENOMEM only. */
typedef struct ps_export_row_maker {
  ps_export_kind kind;
  ps_json_doc doc; /* analytics events: their body, parsed */
} ps_export_row_maker;

void ps_export_row_maker_init(ps_export_row_maker *m, ps_export_kind kind);
void ps_export_row_maker_free(ps_export_row_maker *m);
int ps_export_row_make(ps_export_row_maker *m, const ps_scan_item *item, ps_pq_value *values);

#endif
