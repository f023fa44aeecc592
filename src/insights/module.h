/*
 * module.h: the insights read API (bearer API token) as a module (src/insights/module.c) and
 * the handlers its routes name (api.c). Internal to src/insights/ and the module table. It
 * keeps no state of its own: it asks ps_app's stores through the metric catalogue.
 */
#ifndef PS_INSIGHTS_MODULE_H
#define PS_INSIGHTS_MODULE_H

#include "app/app.h"

extern const ps_module ps_insights_module;

/* api.c: GET /api/v1/games/{id}/metrics/{name}, GET /api/v1/games/{id}/live,
 * GET /api/v1/games */
void ps_insights_metric_handler(ps_request *req, ps_app *app);
void ps_insights_live_handler(ps_request *req, ps_app *app);
void ps_insights_games_handler(ps_request *req, ps_app *app);
/* latest_events.c: GET /api/v1/games/{id}/events/latest */
void ps_insights_latest_events_handler(ps_request *req, ps_app *app);

#endif
