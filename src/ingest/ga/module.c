/* module.c: the GameAnalytics collector's routes (module.h). */
#include "ingest/ga/module.h"

static const ps_route routes[] = {
    {"ga_events", "POST", "/v2/{}/events", ps_ga_events_handler},
    {"ga_init", "POST", "/v2/{}/init", ps_ga_init_handler},
    {"ga_remote_configs", "POST", "/remote_configs/v1/init", ps_ga_remote_configs_handler},
};

const ps_module ps_ga_module = {"ga", routes, sizeof routes / sizeof *routes, NULL, NULL};
