/* routes.c: the table of endpoints. A protocol plugs in by adding its rows here. */
#include "http/routes.h"

#include "http/handlers.h"

const ps_route ps_routes[] = {
    {"healthz", "GET", "/healthz", ps_healthz_handler},
    {"metrics", "GET", "/metrics", ps_metrics_handler},
    {"ga_events", "POST", "/v2/{}/events", ps_ga_events_handler},
    {"ga_init", "POST", "/v2/{}/init", ps_ga_init_handler},
    {"ga_remote_configs", "POST", "/remote_configs/v1/init", ps_ga_remote_configs_handler},
};

const size_t ps_route_count = sizeof ps_routes / sizeof *ps_routes;

