/* handlers.h: every route handler of `playstat serve`; routes.c puts them in the table. */
#ifndef PS_HTTP_HANDLERS_H
#define PS_HTTP_HANDLERS_H

#include "http/router.h"

/* src/http/admin.c */
void ps_healthz_handler(ps_request *req, ps_app *app);
void ps_metrics_handler(ps_request *req, ps_app *app);

/* src/ingest/ga/ (GameAnalytics REST API v2) */
void ps_ga_events_handler(ps_request *req, ps_app *app);
void ps_ga_init_handler(ps_request *req, ps_app *app);
void ps_ga_remote_configs_handler(ps_request *req, ps_app *app);

/* src/ingest/metrics/ (mod.io compatible metrics sessions) */
void ps_msession_start_handler(ps_request *req, ps_app *app);
void ps_msession_heartbeat_handler(ps_request *req, ps_app *app);
void ps_msession_end_handler(ps_request *req, ps_app *app);
void ps_msession_not_found_handler(ps_request *req, ps_app *app);

/* session observability (Unity Matchmaker compatible; HTTP Basic service accounts):
 * src/ingest/sessions/endpoints.c (events), src/observability/api.c (reads) */
void ps_so_events_handler(ps_request *req, ps_app *app);
void ps_so_session_handler(ps_request *req, ps_app *app);
void ps_so_sessions_handler(ps_request *req, ps_app *app);

/* src/insights/api.c (read API, bearer API token) */
void ps_insights_metric_handler(ps_request *req, ps_app *app);
void ps_insights_live_handler(ps_request *req, ps_app *app);
void ps_insights_games_handler(ps_request *req, ps_app *app);

/* src/http/static.c (the dashboard's files) */
void ps_static_handler(ps_request *req, ps_app *app);

#endif
