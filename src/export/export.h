/*
 * export.h: the raw export of one game: one object per kind (export_rows.h), format
 * (export_format.h) and closed UTC period (an hour or a day), written to a target
 * (target.h) and recorded in the state store's export log (state.h ps_export_object).
 *
 * Keys under the target (Hive-style, so Athena, Spark or DuckDB read a prefix as a table):
 *   KIND/game_id=ID/date=YYYY-MM-DD/KIND.EXT                (daily)
 *   KIND/game_id=ID/date=YYYY-MM-DD/hour=HH/KIND.EXT        (hourly)
 * A period holds what arrived in it (events.h's ranged scans: analytics, rejected and
 * multiplayer events by arrival; metrics sessions by the time they were over), so once it has
 * closed its content no longer changes, and writing it again gives the same bytes: a retry
 * replaces the object with an identical one and never duplicates a row.
 *
 * Guarantees: an object is recorded only after the target has stored it whole; a crash
 * between the two leaves an object that the next run writes again (identically). Memory per
 * export is bounded (one Parquet row group, one line), whatever the period holds.
 */
#ifndef PS_EXPORT_EXPORT_H
#define PS_EXPORT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "export/export_format.h"
#include "export/export_rows.h"
#include "export/target.h"
#include "store/store.h"

#define PS_EXPORT_HOUR_MS (3600 * 1000LL)
#define PS_EXPORT_DAY_MS (24 * PS_EXPORT_HOUR_MS)

/* What to export of one game. */
typedef struct ps_export_job {
  ps_stores *stores;
  ps_export_target *target;
  const ps_game *game;
  unsigned kinds;    /* bit (1u << ps_export_kind) per kind */
  unsigned formats;  /* bit (1u << ps_export_format) per format */
  int64_t period_ms; /* PS_EXPORT_HOUR_MS or PS_EXPORT_DAY_MS */
  const _Atomic int *stop; /* NULL, or a flag that stops a range between two objects */
} ps_export_job;

#define PS_EXPORT_ALL_KINDS ((1u << PS_EXPORT_NKINDS) - 1)

/* The end of the last closed period at now_ms: periods of period_ms that ended at least
 * delay_ms ago (requests in flight at their end committed by then) start before it. */
int64_t ps_export_closed_before(int64_t now_ms, int64_t period_ms, int64_t delay_ms);

/* The key of one object (see above). PS_ETOOBIG when cap is too small. */
int ps_export_object_key(int64_t game_id, ps_export_kind kind, ps_export_format format,
                         int64_t period_start_ms, int64_t period_ms, char *out, size_t cap);

/* Writes one object and records it; *written: the log entry (may be NULL). Errors are
 * described in why (never with a secret). */
int ps_export_period(const ps_export_job *job, ps_export_kind kind, ps_export_format format,
                     int64_t period_start_ms, ps_export_object *written, char *why, size_t cap);

/* Called for each object of a range: written (skipped = 0) or already in the log (1). */
typedef void (*ps_export_progress)(const ps_export_object *object, int skipped, void *ctx);

/* Every period starting in [from_ms, to_ms) (from_ms rounded down, to_ms up, to whole
 * periods; none before the game was created), every kind and format of the job, oldest
 * period first. Periods the export log
 * already holds for this target are skipped unless again. Stops at the first error, and
 * (PS_ESHUTDOWN) when *job->stop is set. */
int ps_export_range(const ps_export_job *job, int64_t from_ms, int64_t to_ms, int again,
                    ps_export_progress progress, void *ctx, char *why, size_t cap);

#endif
