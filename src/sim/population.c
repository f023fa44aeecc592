/* population.c: see population.h. The tables below are the simulated world; their weights
 * are plausible shares for a free-to-play cross-platform game, not measured figures. */
#include "sim/population.h"

#include <stdlib.h>

#include "common/errors.h"

#define DAY 86400

typedef struct device_family {
  const char *platform, *modio_platform;
  double weight;
  int mobile;
  double session_minutes;
  double payer_rate;
  const char *os_versions[4];
  const char *makers[4][2]; /* manufacturer, model */
  const char *portals[3];   /* drawn with weights 3, 1, 1 when there are several */
} device_family;

static const device_family families[] = {
    {"android", "android", 42, 1, 9, 0.03,
     {"android 14", "android 13", "android 12", "android 15"},
     {{"samsung", "SM-S911B"}, {"samsung", "SM-A546B"}, {"google", "Pixel 8"}, {"xiaomi", "2201117TG"}},
     {"google"}},
    {"ios", "ios", 30, 1, 10, 0.06,
     {"ios 17.4.1", "ios 17.5", "ios 18.0", "ios 16.7.8"},
     {{"apple", "iPhone15,2"}, {"apple", "iPhone14,5"}, {"apple", "iPhone16,1"}, {"apple", "iPad13,18"}},
     {"apple"}},
    {"windows", "windows", 16, 0, 32, 0.05,
     {"windows 10.0.19045", "windows 10.0.22631", "windows 10.0.22621", "windows 10.0.26100"},
     {{"ASUSTeK", "ROG Strix G15"}, {"Dell Inc.", "XPS 15 9530"}, {"Micro-Star", "MS-7C91"}, {"LENOVO", "Legion 5"}},
     {"steam", "epicgames", "gog"}},
    {"mac_osx", "mac", 3, 0, 25, 0.05,
     {"mac_osx 14.4", "mac_osx 13.6.7", "mac_osx 15.0", "mac_osx 14.5"},
     {{"apple", "MacBookPro18,3"}, {"apple", "Mac14,2"}, {"apple", "Mac15,6"}, {"apple", "iMac21,1"}},
     {"steam"}},
    {"ps5", "ps5", 4, 0, 40, 0.05,
     {"ps5 9.0", "ps5 10.01", "ps5 9.6", "ps5 10.0"},
     {{"sony", "CFI-1216A"}, {"sony", "CFI-2016"}, {"sony", "CFI-1116A"}, {"sony", "CFI-7000"}},
     {"psn"}},
    {"switch", "switch", 3, 0, 28, 0.04,
     {"switch 18.0.1", "switch 17.0.1", "switch 18.1.0", "switch 16.1.0"},
     {{"nintendo", "HAC-001"}, {"nintendo", "HEG-001"}, {"nintendo", "HDH-001"}, {"nintendo", "HAC-001(-01)"}},
     {"nintendo"}},
    {"xbox_s_x", "xboxseriesx", 2, 0, 38, 0.05,
     {"xbox_s_x 10.0.25398", "xbox_s_x 10.0.22621", "xbox_s_x 10.0.25398", "xbox_s_x 10.0.26100"},
     {{"microsoft", "Xbox Series X"}, {"microsoft", "Xbox Series S"}, {"microsoft", "Xbox Series X"}, {"microsoft", "Xbox Series S"}},
     {"xboxlive"}},
};

static const ps_sim_region regions[] = {
    {"eu", 1, "EUR", 1, "eu-west"},
    {"na", -5, "USD", 1, "us-east"},
    {"latam", -3, "BRL", 5, "sa-east"},
    {"asia", 8, "USD", 1, "ap-southeast"},
};
static const double region_weights[] = {35, 35, 10, 20};

static const char *const acquisitions[] = {"organic", "ads_meta", "ads_google", "cross_promo"};
static const double acquisition_weights[] = {55, 20, 15, 10};

/* Builds and when they come out, as a fraction of the history. */
static const struct {
  const char *name;
  double released_at;
} builds[] = {{"1.3.2", -1.0}, {"1.4.0", 0.45}, {"1.4.1", 0.8}};

/* Share of a region's sessions starting in each local hour. */
static const double hourly[24] = {3,   2,   1.2, 0.8, 0.6, 0.7, 1.2, 2,   2.6, 3,   3.2, 3.6,
                                  4.2, 4,   3.6, 3.6, 4,   4.6, 5.4, 6.4, 7,   6.6, 5.4, 4.2};

int ps_sim_weekend(int64_t ts) {
  int weekday = (int)(((ts / DAY) + 4) % 7); /* 1970-01-01 was a Thursday (4) */
  return weekday == 0 || weekday == 6;
}

static void draw_player(const ps_sim_population *pop, size_t i, const double *day_weights,
                        ps_sim_player *p) {
  ps_sim_rng r;
  ps_sim_rng_init(&r, pop->seed, 1000 + i);
  p->stream = 1000 + i;
  ps_sim_uuid(&r, p->user_id);
  double family_weights[sizeof families / sizeof *families];
  for (size_t k = 0; k < sizeof families / sizeof *families; k++)
    family_weights[k] = families[k].weight;
  const device_family *f =
      &families[ps_sim_weighted(&r, family_weights, sizeof families / sizeof *families)];
  p->platform = f->platform;
  p->modio_platform = f->modio_platform;
  p->mobile = f->mobile;
  p->session_minutes = f->session_minutes;
  p->os_version = f->os_versions[ps_sim_below(&r, 4)];
  size_t model = ps_sim_below(&r, 4);
  p->manufacturer = f->makers[model][0];
  p->device = f->makers[model][1];
  static const double portal_weights[] = {3, 1, 1};
  size_t nportals = f->portals[2] ? 3 : 1;
  p->portal = f->portals[ps_sim_weighted(&r, portal_weights, nportals)];
  p->region = &regions[ps_sim_weighted(&r, region_weights, 4)];
  p->ab_group = ps_sim_chance(&r, 0.5) ? "shop_a" : "shop_b";
  size_t acq = ps_sim_weighted(&r, acquisition_weights, 4);
  p->acquisition = acquisitions[acq];
  p->install_day = (int)ps_sim_weighted(&r, day_weights, (size_t)pop->days);
  p->install_ts = ps_sim_daily_time(pop, p->region, p->install_day, &r);
  if (p->install_ts > pop->end_s - 600) p->install_ts = pop->end_s - 600 - ps_sim_range(&r, 0, 3000);
  /* Organic players stay a little longer than bought ones. */
  p->engagement = ps_sim_lognormal(&r, acq == 0 ? 1.1 : 0.9, 0.45);
  p->payer = ps_sim_chance(&r, f->payer_rate * (p->engagement > 1.3 ? 2.0 : 1.0));
  static const int lags[] = {0, 0, 0, 1, 2, 5};
  p->build_lag_days = PS_SIM_PICK(&r, lags);
}

int ps_sim_population_create(uint64_t seed, size_t count, int days, int64_t end_s,
                             ps_sim_population *out) {
  *out = (ps_sim_population){.count = count, .days = days, .end_s = end_s, .seed = seed,
                             .start_s = end_s - (int64_t)days * DAY};
  double *day_weights = malloc(sizeof *day_weights * (size_t)days);
  out->players = calloc(count ? count : 1, sizeof *out->players);
  if (!day_weights || !out->players) {
    free(day_weights);
    ps_sim_population_free(out);
    return PS_ENOMEM;
  }
  /* Acquisition grows slowly and peaks on weekends. */
  for (int d = 0; d < days; d++)
    day_weights[d] = (1.0 + 0.03 * d) * (ps_sim_weekend(out->start_s + (int64_t)d * DAY) ? 1.25 : 1.0);
  size_t payers = 0;
  for (size_t i = 0; i < count; i++) {
    draw_player(out, i, day_weights, &out->players[i]);
    payers += (size_t)out->players[i].payer;
  }
  if (payers == 0 && count > 0) out->players[0].payer = 1;
  free(day_weights);
  return PS_OK;
}

void ps_sim_population_free(ps_sim_population *pop) {
  free(pop->players);
  pop->players = NULL;
  pop->count = 0;
}

const char *ps_sim_build_at(const ps_sim_population *pop, const ps_sim_player *player,
                            int64_t ts) {
  double at = (double)(ts - (int64_t)player->build_lag_days * DAY - pop->start_s) /
              (double)(pop->end_s - pop->start_s);
  size_t k = 0;
  while (k + 1 < sizeof builds / sizeof *builds && builds[k + 1].released_at <= at) k++;
  return builds[k].name;
}

int64_t ps_sim_daily_time(const ps_sim_population *pop, const ps_sim_region *region, int day,
                          ps_sim_rng *r) {
  int64_t day_start = pop->start_s + (int64_t)day * DAY;
  int64_t midnight = day_start - day_start % DAY; /* UTC */
  int hour = (int)ps_sim_weighted(r, hourly, 24);
  int64_t t = midnight + (int64_t)(hour - region->utc_offset_h) * 3600 + ps_sim_range(r, 0, 3599);
  while (t < day_start) t += DAY;
  while (t >= day_start + DAY) t -= DAY;
  return t;
}
