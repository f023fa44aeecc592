/* module.c: the read API's routes (module.h). */
#include "insights/module.h"

static const ps_route routes[] = {
    {"insights_metric", "GET", "/api/v1/games/{}/metrics/{}", ps_insights_metric_handler},
    {"insights_live", "GET", "/api/v1/games/{}/live", ps_insights_live_handler},
    {"insights_latest_events", "GET", "/api/v1/games/{}/events/latest",
     ps_insights_latest_events_handler},
    {"insights_games", "GET", "/api/v1/games", ps_insights_games_handler},
    {"rates_put", "PUT", "/api/v1/rates", ps_insights_rates_put_handler},
    {"insights_values", "GET", "/api/v1/games/{}/dimensions/{}/values", ps_insights_values_handler},
    {"insights_catalog", "GET", "/api/v1/metrics", ps_insights_catalog_handler},
};

const ps_module ps_insights_module = {"insights", routes, sizeof routes / sizeof *routes, NULL,
                                      NULL};
