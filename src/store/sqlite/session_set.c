/*
 * session_set.c: see session_set.h. Each item owns its player string and mod array (freed by
 * ps_session_set_free); the platform and portal columns sit beside the items.
 */
#include "store/sqlite/session_set.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

static int grow(ps_session_set *set) {
  size_t cap = set->cap ? set->cap * 2 : 256;
  ps_session_interval *items = realloc(set->items, cap * sizeof *items);
  if (items) set->items = items;
  char(*platform)[16] = items ? realloc(set->platform, cap * sizeof *platform) : NULL;
  if (platform) set->platform = platform;
  char(*portal)[16] = platform ? realloc(set->portal, cap * sizeof *portal) : NULL;
  if (!portal) return PS_ENOMEM;
  set->portal = portal;
  set->cap = cap;
  return PS_OK;
}

/* "1,2,3" -> a malloc'd array of the ids. */
static int64_t *parse_mods(const char *text, size_t *n) {
  int64_t *ids = malloc((strlen(text) / 2 + 1) * sizeof *ids);
  if (!ids) return NULL;
  *n = 0;
  for (const char *p = text; *p;) {
    ids[(*n)++] = strtoll(p, NULL, 10);
    p += strcspn(p, ",");
    if (*p == ',') p++;
  }
  return ids;
}

static int add_session(const ps_playtime_session *m, void *ctx) {
  ps_session_set *set = ctx;
  if ((set->only_platform && strcmp(set->only_platform, m->platform) != 0) ||
      (set->only_portal && strcmp(set->only_portal, m->portal) != 0))
    return 0;
  if (set->n == set->cap && grow(set) != PS_OK) return PS_ENOMEM;
  size_t nmods = 0;
  int64_t *mods = parse_mods(m->mod_ids ? m->mod_ids : "", &nmods);
  char *player = strdup(m->player ? m->player : "");
  if (!mods || !player) {
    free(mods);
    free(player);
    return PS_ENOMEM;
  }
  ps_session_interval *it = &set->items[set->n];
  it->player = player;
  it->mods = mods;
  it->nmods = nmods;
  it->start_ms = m->started_ms;
  it->over = 1;
  if (m->ended_ms >= 0)
    it->end_ms = m->ended_ms;
  else if (set->now_ms - m->last_received_ms > set->timeout_ms)
    it->end_ms = m->last_ms; /* timed out: ended at its last heartbeat */
  else {
    it->end_ms = m->last_ms > set->now_ms ? m->last_ms : set->now_ms; /* still running */
    it->over = 0;
  }
  snprintf(set->platform[set->n], sizeof set->platform[0], "%s", m->platform ? m->platform : "");
  snprintf(set->portal[set->n], sizeof set->portal[0], "%s", m->portal ? m->portal : "");
  set->n++;
  return 0;
}

int ps_session_set_load(sqlite_store *store, int64_t game_id, int64_t from_ms, int64_t to_ms,
                        int64_t now_ms, int64_t timeout_ms, const char *platform,
                        const char *portal, ps_session_set *out) {
  memset(out, 0, sizeof *out);
  out->now_ms = now_ms;
  out->timeout_ms = timeout_ms;
  out->only_platform = platform;
  out->only_portal = portal;
  /* A session still running (a request within the timeout) reaches now, whatever its last
   * session_ts. */
  return ps_sqlite_msessions_range(store, game_id, from_ms, to_ms, now_ms - timeout_ms,
                                     add_session, out);
}

int ps_session_set_load_player(sqlite3 *db, int64_t game_id, const char *player, int64_t now_ms,
                               int64_t timeout_ms, ps_session_set *out) {
  memset(out, 0, sizeof *out);
  out->now_ms = now_ms;
  out->timeout_ms = timeout_ms;
  return ps_sqlite_msessions_of_player_on(db, game_id, player, add_session, out);
}

void ps_session_set_free(ps_session_set *set) {
  for (size_t i = 0; i < set->n; i++) {
    free((char *)set->items[i].player);
    free((int64_t *)set->items[i].mods);
  }
  free(set->items);
  free(set->platform);
  free(set->portal);
  memset(set, 0, sizeof *set);
}

ps_session_interval *ps_session_set_subset(const ps_session_set *set, const char *platform,
                                           const char *portal, size_t *n) {
  ps_session_interval *subset = malloc((set->n ? set->n : 1) * sizeof *subset);
  if (!subset) return NULL;
  *n = 0;
  for (size_t i = 0; i < set->n; i++)
    if ((!platform || strcmp(platform, set->platform[i]) == 0) &&
        (!portal || strcmp(portal, set->portal[i]) == 0))
      subset[(*n)++] = set->items[i];
  return subset;
}

int ps_session_set_first(char (*column)[16], size_t i) {
  for (size_t j = 0; j < i; j++)
    if (strcmp(column[j], column[i]) == 0) return 0;
  return 1;
}
