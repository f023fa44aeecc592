/*
 * modules.c: the protocols `playstat serve` speaks, one row each (app.h says what a module is).
 *
 * The order is the routing order (app.h, Guarantees): each module's rows are tried in this
 * order, then each module's catch-all ("**") rows in this order, which keeps the metrics
 * sessions' catch-all POST under /g-{id}/ (a mod.io-style 404) before the dashboard's catch-all
 * GET.
 * It is also the init order (fini in reverse). Adding a protocol: define its ps_module in its
 * own folder and add one row here (docs/design.md, "Protocols as modules").
 */
#include "app/modules.h"

#include "app/admin.h"
#include "app/dashboard.h"
#include "ingest/ga/module.h"
#include "ingest/metrics/module.h"
#include "ingest/sessions/module.h"
#include "insights/module.h"
#include "lifecycle/module.h"

const ps_module *const ps_modules[] = {
    &ps_admin_module,     /* GET /healthz, GET /metrics (src/app/admin.c) */
    &ps_ga_module,        /* GameAnalytics REST v2 collector (src/ingest/ga/) */
    &ps_msession_module,  /* mod.io-compatible metrics sessions (src/ingest/metrics/) */
    &ps_so_module,        /* session observability (src/ingest/sessions/, src/observability/) */
    &ps_insights_module,  /* the read API (src/insights/) */
    &ps_lifecycle_module, /* player deletion, raw export, retention (src/lifecycle/) */
    &ps_dashboard_module, /* web/ at GET / (src/app/dashboard.c); its GET catch-all comes last */
};

const size_t ps_module_count = sizeof ps_modules / sizeof *ps_modules;
