/*
 * module.h: the GameAnalytics REST API v2 collector as a module (src/ingest/ga/module.c) and
 * the handlers its routes name (events.c, init.c). Internal to src/ingest/ga/ and the module
 * table. Its own state is the country database (a ps_geoip, NULL without `serve --geoip`);
 * the game cache, schemas and queue are ps_app's.
 */
#ifndef PS_INGEST_GA_MODULE_H
#define PS_INGEST_GA_MODULE_H

#include "app/app.h"

extern const ps_module ps_ga_module;

/* events.c: POST /v2/{game_key}/events */
void ps_ga_events_handler(ps_request *req, ps_app *app);
/* init.c: POST /v2/{game_key}/init, POST /remote_configs/v1/init?game_key=... */
void ps_ga_init_handler(ps_request *req, ps_app *app);
void ps_ga_remote_configs_handler(ps_request *req, ps_app *app);

#endif
