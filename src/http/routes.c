/* routes.c: the table of endpoints. A protocol plugs in by adding its rows here. */
#include "http/routes.h"

#include "http/handlers.h"

const ps_route ps_routes[] = {
    {"healthz", "GET", "/healthz", ps_healthz_handler},
    {"metrics", "GET", "/metrics", ps_metrics_handler},
    {"ga_events", "POST", "/v2/{}/events", ps_ga_events_handler},
    {"ga_init", "POST", "/v2/{}/init", ps_ga_init_handler},
    {"ga_remote_configs", "POST", "/remote_configs/v1/init", ps_ga_remote_configs_handler},
    /* mod.io metrics sessions: game by Host g-{id}.<domain>, or by the path prefix /g-{id}. */
    {"metrics_start", "POST", "/v1/metrics/sessions/start", ps_msession_start_handler},
    {"metrics_heartbeat", "POST", "/v1/metrics/sessions/heartbeat", ps_msession_heartbeat_handler},
    {"metrics_end", "POST", "/v1/metrics/sessions/end", ps_msession_end_handler},
    {"metrics_start", "POST", "/{}/v1/metrics/sessions/start", ps_msession_start_handler},
    {"metrics_heartbeat", "POST", "/{}/v1/metrics/sessions/heartbeat", ps_msession_heartbeat_handler},
    {"metrics_end", "POST", "/{}/v1/metrics/sessions/end", ps_msession_end_handler},
    {"metrics_unknown", "POST", "/v1/metrics/sessions/{}", ps_msession_not_found_handler},
    /* session observability */
    {"so_events", "POST", "/session-observability/v1/projects/{}/environments/{}/sessions/{}/events",
     ps_so_events_handler},
    {"so_session", "GET", "/session-observability/v1/projects/{}/environments/{}/sessions/{}",
     ps_so_session_handler},
    {"so_sessions", "GET", "/session-observability/v1/projects/{}/environments/{}/sessions",
     ps_so_sessions_handler},
    /* insights read API */
    {"insights_metric", "GET", "/api/v1/games/{}/metrics/{}", ps_insights_metric_handler},
    {"insights_live", "GET", "/api/v1/games/{}/live", ps_insights_live_handler},
    {"insights_games", "GET", "/api/v1/games", ps_insights_games_handler},
    /* last: anything else under /g-{id}/ is a mod.io-style 404 (the handler checks "g-") */
    {"metrics_unknown", "POST", "/{}/**", ps_msession_not_found_handler},
    /* the dashboard (web/): any other GET; a path another row takes under another method
     * stays a 405 (catch-alls yield to them, router.h) */
    {"static", "GET", "/", ps_static_handler},
    {"static", "GET", "/**", ps_static_handler},
};

const size_t ps_route_count = sizeof ps_routes / sizeof *ps_routes;

