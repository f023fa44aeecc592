/*
 * event.h: one multiplayer session event (Unity Matchmaker's session observability), checked
 * and prepared for storage.
 *
 * Every event has "type" (one of the eight below) and "timestamp" (RFC 3339). Payloads, as in
 * the seed's sample (unknown extra fields are kept):
 *   match.created, backfill.match.created
 *        teams (required): [{id?, name?, playerIds (required): [non-empty string]}]
 *        appliedRules?: [object]; backfillTicketId?: string (backfill only)
 *        gameMode?: {poolId?, poolName?, queueId?, queueName?}: session attributes (match.created
 *        only), taken out of the event and kept on the session
 *   allocation.requested   regionId (required): string
 *   allocation.succeeded   -
 *   allocation.failed      reason?: string
 *   players.assigned       players (required): [{id (required), ticketId?, customData?: object,
 *                          qosResults?: array}]; assignmentStatus?: InProgress | Found | Failed
 *                          | Timeout
 *   players.connected, players.disconnected    players (required), as above
 *
 * "teams" and "players" are checked as above, and their ids anonymised, in every event that
 * has them, also in a type that does not define them (they are then optional extra fields).
 *
 * Parsing normalises the timestamp to UTC with milliseconds and lists, in order of appearance,
 * the JSON strings holding real player ids (teams[].playerIds[], players[].id), which the
 * anonymiser then overwrites. Nothing here logs or keeps a player id.
 */
#ifndef PS_INGEST_SESSIONS_EVENT_H
#define PS_INGEST_SESSIONS_EVENT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* What one event may name: its memory (the slots here, their anonymised hashes) is then a small
 * constant times its size, and its anonymisation (linear in the session's players) bounded. */
#define PS_SO_MAX_TEAMS 100
#define PS_SO_MAX_PLAYERS_PER_EVENT 1000 /* teams[].playerIds[] and players[] together */

typedef struct ps_so_event {
  json_t *body; /* the event as it will be served (own reference) */
  const char *type; /* static */
  int64_t ts_ms;
  int backfill;
  char *pool_id, *pool_name, *queue_id, *queue_name; /* owned, NULL when not given */
  const char *region_id;      /* inside body */
  const char **ticket_ids;    /* inside body, owned array */
  size_t nticket_ids;
  json_t **player_slots;      /* strings inside body, owned array */
  size_t nplayer_slots;
} ps_so_event;

/* Checks value as one event. On success returns 0 and fills ev (ps_so_event_free it); else
 * PS_EINVAL with "<field>: <problem>" in err (field paths relative to the event), or PS_ENOMEM. */
int ps_so_event_parse(json_t *value, ps_so_event *ev, char *err, size_t errlen);
void ps_so_event_free(ps_so_event *ev);

#endif
