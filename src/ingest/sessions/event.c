/* event.c: see event.h. Each type's payload is checked by one small function; the shared
 * shapes (teams, players) have one checker each. */
#include "ingest/sessions/event.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/errors.h"
#include "common/rfc3339.h"

typedef struct parse {
  ps_so_event *ev;
  char *err;
  size_t errlen;
  size_t slots_cap, tickets_cap;
} parse;

static int fail(parse *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err, p->errlen, fmt, ap);
  va_end(ap);
  return PS_EINVAL;
}

/* Lists one player id slot: PS_OK, PS_ENOMEM, or PS_EINVAL past PS_SO_MAX_PLAYERS_PER_EVENT. */
static int add_slot(parse *p, json_t *slot) {
  ps_so_event *ev = p->ev;
  if (ev->nplayer_slots == PS_SO_MAX_PLAYERS_PER_EVENT)
    return fail(p, "players: at most %d player ids per event (teams[].playerIds and players)",
                PS_SO_MAX_PLAYERS_PER_EVENT);
  if (PS_ARRAY_RESERVE(ev->player_slots, ev->nplayer_slots, p->slots_cap)) return PS_ENOMEM;
  ev->player_slots[ev->nplayer_slots++] = slot;
  return PS_OK;
}

static int add_ticket(parse *p, const char *ticket) {
  ps_so_event *ev = p->ev;
  if (PS_ARRAY_RESERVE(ev->ticket_ids, ev->nticket_ids, p->tickets_cap)) return PS_ENOMEM;
  ev->ticket_ids[ev->nticket_ids++] = ticket;
  return PS_OK;
}

static int non_empty_string(json_t *v) { return json_is_string(v) && json_string_length(v) > 0; }

/* An optional member of the given JSON type (json_typeof), named for errors. */
static int optional(parse *p, json_t *object, const char *where, const char *name, json_type type) {
  json_t *v = json_object_get(object, name);
  if (!v || json_typeof(v) == type) return PS_OK;
  static const char *const kinds[] = {[JSON_OBJECT] = "an object", [JSON_ARRAY] = "an array",
                                      [JSON_STRING] = "a string"};
  return fail(p, "%s%s: must be %s", where, name, kinds[type]);
}

static int check_teams(parse *p, json_t *event) {
  json_t *teams = json_object_get(event, "teams");
  if (!json_is_array(teams)) return fail(p, "teams: required, an array of teams");
  if (json_array_size(teams) > PS_SO_MAX_TEAMS)
    return fail(p, "teams: at most %d teams per event", PS_SO_MAX_TEAMS);
  size_t i, j;
  json_t *team, *player;
  json_array_foreach(teams, i, team) {
    char where[48];
    snprintf(where, sizeof where, "teams[%zu].", i);
    if (!json_is_object(team)) return fail(p, "teams[%zu]: must be an object", i);
    int rc = optional(p, team, where, "id", JSON_STRING);
    if (rc == PS_OK) rc = optional(p, team, where, "name", JSON_STRING);
    if (rc != PS_OK) return rc;
    json_t *ids = json_object_get(team, "playerIds");
    if (!json_is_array(ids)) return fail(p, "teams[%zu].playerIds: required, an array of player ids", i);
    json_array_foreach(ids, j, player) {
      if (!non_empty_string(player))
        return fail(p, "teams[%zu].playerIds[%zu]: must be a non-empty string", i, j);
      if ((rc = add_slot(p, player)) != PS_OK) return rc;
    }
  }
  json_t *rules = json_object_get(event, "appliedRules");
  if (rules && !json_is_array(rules)) return fail(p, "appliedRules: must be an array of rules");
  json_array_foreach(rules, i, team)
    if (!json_is_object(team)) return fail(p, "appliedRules[%zu]: must be an object", i);
  return PS_OK;
}

static int check_players(parse *p, json_t *event) {
  json_t *players = json_object_get(event, "players");
  if (!json_is_array(players)) return fail(p, "players: required, an array of players");
  size_t i;
  json_t *player;
  json_array_foreach(players, i, player) {
    char where[48];
    snprintf(where, sizeof where, "players[%zu].", i);
    if (!json_is_object(player)) return fail(p, "players[%zu]: must be an object", i);
    json_t *id = json_object_get(player, "id");
    if (!non_empty_string(id)) return fail(p, "players[%zu].id: required, a non-empty string", i);
    int rc = optional(p, player, where, "ticketId", JSON_STRING);
    if (rc == PS_OK) rc = optional(p, player, where, "customData", JSON_OBJECT);
    if (rc == PS_OK) rc = optional(p, player, where, "qosResults", JSON_ARRAY);
    if (rc != PS_OK) return rc;
    json_t *ticket = json_object_get(player, "ticketId");
    if (ticket && add_ticket(p, json_string_value(ticket)) != PS_OK) return PS_ENOMEM;
    if ((rc = add_slot(p, id)) != PS_OK) return rc;
  }
  return PS_OK;
}

/* Takes gameMode out of the event into the session attributes. */
static int take_game_mode(parse *p, json_t *event) {
  json_t *mode = json_object_get(event, "gameMode");
  if (!mode) return PS_OK;
  if (!json_is_object(mode)) return fail(p, "gameMode: must be an object");
  static const char *const names[] = {"poolId", "poolName", "queueId", "queueName"};
  char **fields[] = {&p->ev->pool_id, &p->ev->pool_name, &p->ev->queue_id, &p->ev->queue_name};
  for (size_t i = 0; i < 4; i++) {
    json_t *v = json_object_get(mode, names[i]);
    if (!v) continue;
    if (!non_empty_string(v) || json_string_length(v) > 128)
      return fail(p, "gameMode.%s: must be a string of 1 to 128 bytes", names[i]);
    if (!(*fields[i] = strdup(json_string_value(v)))) return PS_ENOMEM;
  }
  json_object_del(event, "gameMode");
  return PS_OK;
}

static int check_match(parse *p, json_t *event) {
  int rc = check_teams(p, event);
  if (rc == PS_OK) rc = take_game_mode(p, event);
  return rc;
}

static int check_backfill_match(parse *p, json_t *event) {
  p->ev->backfill = 1;
  int rc = check_teams(p, event);
  if (rc == PS_OK) rc = optional(p, event, "", "backfillTicketId", JSON_STRING);
  json_t *ticket = json_object_get(event, "backfillTicketId");
  if (rc == PS_OK && ticket && add_ticket(p, json_string_value(ticket)) != PS_OK) rc = PS_ENOMEM;
  return rc;
}

static int check_allocation_requested(parse *p, json_t *event) {
  json_t *region = json_object_get(event, "regionId");
  if (!non_empty_string(region) || json_string_length(region) > 64)
    return fail(p, "regionId: required, a string of 1 to 64 bytes");
  p->ev->region_id = json_string_value(region);
  return PS_OK;
}

static int check_nothing(parse *p, json_t *event) {
  (void)p;
  (void)event;
  return PS_OK;
}

static int check_allocation_failed(parse *p, json_t *event) {
  return optional(p, event, "", "reason", JSON_STRING);
}

static int check_assigned(parse *p, json_t *event) {
  static const char *const statuses[] = {"InProgress", "Found", "Failed", "Timeout"};
  json_t *status = json_object_get(event, "assignmentStatus");
  if (status) {
    size_t i = 0;
    while (i < 4 && !(json_is_string(status) && strcmp(json_string_value(status), statuses[i]) == 0))
      i++;
    if (i == 4) return fail(p, "assignmentStatus: must be InProgress, Found, Failed or Timeout");
  }
  return check_players(p, event);
}

static int check_backfill_players(parse *p, json_t *event) {
  p->ev->backfill = 1;
  return check_players(p, event);
}

#define HAS_TEAMS 1u   /* the type's check reads "teams" (required) */
#define HAS_PLAYERS 2u /* the type's check reads "players" (required) */

static const struct {
  const char *type;
  int (*check)(parse *p, json_t *event);
  unsigned reads;
} types[] = {
    {"match.created", check_match, HAS_TEAMS},
    {"allocation.requested", check_allocation_requested, 0},
    {"allocation.succeeded", check_nothing, 0},
    {"allocation.failed", check_allocation_failed, 0},
    {"players.assigned", check_assigned, HAS_PLAYERS},
    {"backfill.match.created", check_backfill_match, HAS_TEAMS},
    {"players.connected", check_backfill_players, HAS_PLAYERS},
    {"players.disconnected", check_backfill_players, HAS_PLAYERS},
};

/* "teams" and "players" hold real player ids in whatever event they appear: a type that does
 * not define them (an allocation event with a "players" member, a players event with "teams")
 * keeps them as extra fields, so they are checked and anonymised there too, never stored as
 * sent. (The fuzzer found such ids passing through untouched.) */
static int check_player_members(parse *p, json_t *event, unsigned read) {
  int rc = PS_OK;
  if (!(read & HAS_TEAMS) && json_object_get(event, "teams")) rc = check_teams(p, event);
  if (rc == PS_OK && !(read & HAS_PLAYERS) && json_object_get(event, "players"))
    rc = check_players(p, event);
  return rc;
}

int ps_so_event_parse(json_t *value, ps_so_event *ev, char *err, size_t errlen) {
  memset(ev, 0, sizeof *ev);
  parse p = {.ev = ev, .err = err, .errlen = errlen};
  if (!json_is_object(value)) return fail(&p, "event: must be an object");
  /* The event is changed (timestamp, gameMode): work on a copy, the caller's stays intact. */
  if (!(ev->body = json_deep_copy(value))) return PS_ENOMEM;
  json_t *type = json_object_get(ev->body, "type");
  size_t t = 0;
  while (t < sizeof types / sizeof *types &&
         !(json_is_string(type) && strcmp(json_string_value(type), types[t].type) == 0))
    t++;
  int rc;
  if (t == sizeof types / sizeof *types) {
    rc = fail(&p, "type: required, one of match.created, allocation.requested, "
                  "allocation.succeeded, allocation.failed, players.assigned, "
                  "backfill.match.created, players.connected, players.disconnected");
    goto out;
  }
  ev->type = types[t].type;
  json_t *ts = json_object_get(ev->body, "timestamp");
  if (!json_is_string(ts) || ps_rfc3339_parse(json_string_value(ts), &ev->ts_ms) != PS_OK) {
    rc = fail(&p, "timestamp: required, RFC 3339 with milliseconds "
                  "(e.g. 2024-03-19T22:12:47.847Z)");
    goto out;
  }
  char normal[PS_RFC3339_LEN + 1];
  ps_rfc3339_format(ev->ts_ms, normal);
  if (json_object_set_new(ev->body, "timestamp", json_string(normal)) != 0) {
    rc = PS_ENOMEM;
    goto out;
  }
  rc = types[t].check(&p, ev->body);
  if (rc == PS_OK) rc = check_player_members(&p, ev->body, types[t].reads);
out:
  if (rc != PS_OK) ps_so_event_free(ev);
  return rc;
}

void ps_so_event_free(ps_so_event *ev) {
  json_decref(ev->body);
  free(ev->pool_id);
  free(ev->pool_name);
  free(ev->queue_id);
  free(ev->queue_name);
  free(ev->ticket_ids);
  free(ev->player_slots);
  memset(ev, 0, sizeof *ev);
}
