/* catalog.c: the table of catalog.h. */
#include "insights/catalog.h"

#include <stddef.h>
#include <string.h>

#define G PS_METRIC_GROUPABLE
#define O PS_METRIC_OWN_GROUPS
#define F (PS_METRIC_FAMILY | PS_METRIC_OWN_GROUPS)
#define M PS_METRIC_MONEY
/* Segments (docs/http-api.md): user counts take every filter at once; figures summed over
 * events take a combination of event dimensions only (first_build and new are the user's, not
 * the event's); families one event dimension. */
#define S PS_METRIC_SEGMENTS
#define USERS (PS_METRIC_SEGMENTS | PS_METRIC_FIRST_BUILD | PS_METRIC_NEW)

static const ps_catalog_metric metrics[] = {
    {"dau", PS_SOURCE_EVENTS, G | USERS},
    {"wau", PS_SOURCE_EVENTS, G | USERS},
    {"mau", PS_SOURCE_EVENTS, G | USERS},
    {"new_users", PS_SOURCE_EVENTS, G | USERS},
    {"sessions", PS_SOURCE_EVENTS, G | S},
    {"avg_session_length", PS_SOURCE_EVENTS, G | S},
    {"sessions_per_user", PS_SOURCE_EVENTS, G | S},
    {"revenue", PS_SOURCE_EVENTS, G | O | S | M},
    {"paying_users", PS_SOURCE_EVENTS, G | USERS},
    {"arpdau", PS_SOURCE_EVENTS, G | S | M},
    {"arppu", PS_SOURCE_EVENTS, G | S | M},
    {"conversion", PS_SOURCE_EVENTS, G | USERS},
    {"retention", PS_SOURCE_EVENTS, O | S | PS_METRIC_FIRST_BUILD},
    {"ltv", PS_SOURCE_EVENTS, O | S | PS_METRIC_FIRST_BUILD | M}, /* cohort filters: ltv.h */
    {"progression", PS_SOURCE_EVENTS, F},
    {"funnel", PS_SOURCE_EVENTS, F | PS_METRIC_SEGMENTS_PER_USER},
    {"resources", PS_SOURCE_EVENTS, F},
    {"design", PS_SOURCE_EVENTS, F},
    {"errors", PS_SOURCE_EVENTS, F},
    {"ads", PS_SOURCE_EVENTS, F},
    {"ccu", PS_SOURCE_PLAYTIME, G},
    {"concurrent_ugc", PS_SOURCE_PLAYTIME, G},
    {"total_players", PS_SOURCE_PLAYTIME, G},
    {"sessions", PS_SOURCE_PLAYTIME, G},
    {"avg_playtime", PS_SOURCE_PLAYTIME, G},
    {"avg_ugc_per_session", PS_SOURCE_PLAYTIME, G},
    {"session_length_histogram", PS_SOURCE_PLAYTIME, O},
    {"top_mods", PS_SOURCE_PLAYTIME, O},
    {"matches_created", PS_SOURCE_MATCHMAKING, G},
    {"allocation_failure_rate", PS_SOURCE_MATCHMAKING, G},
    {"time_to_allocation_p50", PS_SOURCE_MATCHMAKING, G},
    {"time_to_allocation_p95", PS_SOURCE_MATCHMAKING, G},
    {"players_per_match", PS_SOURCE_MATCHMAKING, G},
};

static const char *const event_dimensions[] = {"platform",  "build",     "os_version", "custom_01",
                                               "custom_02", "custom_03", "country",    NULL};
static const char *const user_attributes[] = {"first_build", "new", NULL};
static const char *const playtime_dimensions[] = {"platform", "portal", NULL};
static const char *const matchmaking_dimensions[] = {"region", "pool", "queue", NULL};

const ps_catalog_metric *ps_catalog_find(const char *name, const char *source) {
  const ps_catalog_metric *found = NULL;
  for (size_t i = 0; i < sizeof metrics / sizeof *metrics; i++) {
    if (strcmp(metrics[i].name, name) != 0) continue;
    int events = metrics[i].source == PS_SOURCE_EVENTS;
    if (!found || (source && strcmp(source, "events") == 0 ? events : !events)) found = &metrics[i];
  }
  return found;
}

const char *const *ps_catalog_dimensions(ps_metric_source source) {
  switch (source) {
    case PS_SOURCE_EVENTS: return event_dimensions;
    case PS_SOURCE_PLAYTIME: return playtime_dimensions;
    case PS_SOURCE_MATCHMAKING: return matchmaking_dimensions;
  }
  return matchmaking_dimensions + 3;
}

int ps_catalog_dimension(ps_metric_source source, const char *dimension) {
  for (const char *const *d = ps_catalog_dimensions(source); *d; d++)
    if (strcmp(*d, dimension) == 0) return 1;
  return 0;
}

const char *const *ps_catalog_user_attributes(void) { return user_attributes; }

int ps_catalog_takes(const ps_catalog_metric *m, const char *dimension) {
  if (m->source == PS_SOURCE_MATCHMAKING) return 0; /* they group, never filter */
  if (ps_catalog_dimension(m->source, dimension)) return 1;
  if (m->source != PS_SOURCE_EVENTS) return 0;
  if (strcmp(dimension, "first_build") == 0) return (m->flags & PS_METRIC_FIRST_BUILD) != 0;
  if (strcmp(dimension, "new") == 0) return (m->flags & PS_METRIC_NEW) != 0;
  return 0;
}

int ps_catalog_filters_with_group_by(const ps_catalog_metric *m) {
  if (!(m->flags & PS_METRIC_GROUPABLE) || m->source == PS_SOURCE_MATCHMAKING) return 0;
  return m->source != PS_SOURCE_EVENTS || (m->flags & PS_METRIC_SEGMENTS) != 0;
}

const ps_catalog_metric *ps_catalog_all(size_t *n) {
  *n = sizeof metrics / sizeof *metrics;
  return metrics;
}
