/*
 * module.h: the data lifecycle as a module of `playstat serve`: the admin route that deletes a
 * player (DELETE /api/v1/games/{id}/players/{user_id}, an API token with the admin role), the
 * scheduled raw export (--export-url, export/schedule.h) and the retention of raw rows
 * (--event-retention-days, --msession-retention-days, raw_retention.h).
 */
#ifndef PS_LIFECYCLE_MODULE_H
#define PS_LIFECYCLE_MODULE_H

#include "app/app.h"

extern const ps_module ps_lifecycle_module;

#endif
