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
/* rates_api.c: PUT /api/v1/rates (admin token) */
void ps_insights_rates_put_handler(ps_request *req, ps_app *app);
/* values.c: GET /api/v1/games/{id}/dimensions/{dimension}/values */
void ps_insights_values_handler(ps_request *req, ps_app *app);
/* catalog_api.c: GET /api/v1/metrics */
void ps_insights_catalog_handler(ps_request *req, ps_app *app);

/* api.c's helpers for the other handlers: 401/403 answered unless the request carries an API
 * token that may read (returns nonzero then); unix seconds of text (fallback when NULL) into
 * *out, -1 when text is not a number of seconds. */
int ps_insights_authorize(ps_request *req, ps_app *app);
int ps_insights_parse_seconds(const char *text, int64_t fallback, int64_t *out);
/* latest_events.c: GET /api/v1/games/{id}/events/latest */
void ps_insights_latest_events_handler(ps_request *req, ps_app *app);

#endif
