/*
 * so_sessions.h: what so_sessions.c shares with match_metrics.c: a multiplayer session's
 * summary (events.h's ps_so_session) as SQL over so_events, so that the observability API and
 * the matchmaking metrics read the same sessions by the same rules.
 */
#ifndef PS_STORE_CLICKHOUSE_SO_SESSIONS_H
#define PS_STORE_CLICKHOUSE_SO_SESSIONS_H

#include "common/buf.h"
#include "store/clickhouse/internal.h"

/* Appends a subquery with one row per session of so_events whose rows satisfy where (SQL over
 * so_events' columns, e.g. "project_id = 'p'"), with the columns
 *   project_id, environment_id, session_id, created_ms, updated_ms, match_created_ms,
 *   pool_id, pool_name, queue_id, queue_name, region_id, requested_ms, completed_ms,
 *   completion, players, backfill, key_seq
 * (times -1 and strings '' when unknown), merged from all of each session's events whatever
 * their order of arrival; events stored twice count once. */
int ps_ch_so_summaries_sql(ch_store *s, const char *where, ps_buf *sql);

#endif
