/*
 * population.h: the simulated players of `playstat simulate` and the world they live in
 * (devices, regions, builds, daily rhythm), shared by the three traffic channels so that the
 * same players show up in analytics events, playtime sessions and multiplayer matches.
 *
 * A population is drawn once from the seed and is read-only afterwards (threads share it).
 * Each player is acquired on one day of the history (more on weekends, slowly growing), has a
 * device family (platform, OS version, maker, model, build lag), a region (time zone,
 * currency, matchmaking region), an A/B group and an acquisition channel (custom_01..03), an
 * engagement factor that scales retention and session counts, and is a payer or not (a
 * minority of 3 to 6% by platform, more among the engaged; at least one, so that a small
 * population still shows monetisation). Its own random stream (stream) lets each channel replay its behaviour.
 */
#ifndef PS_SIM_POPULATION_H
#define PS_SIM_POPULATION_H

#include <stddef.h>
#include <stdint.h>

#include "sim/rng.h"

typedef struct ps_sim_region {
  const char *name;         /* custom_03: eu, na, latam, asia */
  int utc_offset_h;         /* for the daily rhythm */
  const char *currency;     /* ISO 4217 of its purchases */
  int price_factor;         /* prices in this currency are the USD cents times this */
  const char *match_region; /* the matchmaker's regionId */
} ps_sim_region;

typedef struct ps_sim_player {
  char user_id[37];
  uint64_t stream;              /* the player's random stream (with the population's seed) */
  const char *platform;         /* GameAnalytics platform */
  const char *os_version;       /* "ios 17.4.1" */
  const char *manufacturer, *device;
  const char *modio_platform, *portal; /* X-Modio-Platform / X-Modio-Portal */
  int mobile;                   /* phones and tablets: ads, wwan, shorter sessions */
  double session_minutes;       /* median session length */
  const ps_sim_region *region;
  const char *ab_group;         /* custom_01 */
  const char *acquisition;      /* custom_02 */
  int install_day;              /* 0 .. days-1: the day of the first session */
  int64_t install_ts;           /* its start (unix s), at least 10 minutes before the end */
  double engagement;            /* around 1: scales retention and sessions per day */
  int payer;
  int build_lag_days;           /* days before the player updates to a new build */
} ps_sim_player;

typedef struct ps_sim_population {
  ps_sim_player *players;
  size_t count;
  int days;
  int64_t start_s, end_s; /* the history: [end_s - days * 86400, end_s) */
  uint64_t seed;
} ps_sim_population;

/* Draws count players acquired over days days ending at end_s. Returns 0 or PS_ENOMEM;
 * ps_sim_population_free releases it. */
int ps_sim_population_create(uint64_t seed, size_t count, int days, int64_t end_s,
                             ps_sim_population *out);
void ps_sim_population_free(ps_sim_population *pop);

/* The build player runs at time ts (new builds come out during the history; players with a
 * lag update later). */
const char *ps_sim_build_at(const ps_sim_population *pop, const ps_sim_player *player,
                            int64_t ts);
/* A time on day `day` of the history (unix s) drawn from the daily rhythm of region's time
 * zone (quiet nights, a lunch bump, busy evenings); may fall after end_s on the last day. */
int64_t ps_sim_daily_time(const ps_sim_population *pop, const ps_sim_region *region, int day,
                          ps_sim_rng *r);
/* 1 when unix time ts falls on a Saturday or Sunday (UTC). */
int ps_sim_weekend(int64_t ts);

#endif
