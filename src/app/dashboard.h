/* dashboard.h: the dashboard module, web/'s files at GET / (src/app/dashboard.c). */
#ifndef PS_APP_DASHBOARD_H
#define PS_APP_DASHBOARD_H

#include "app/app.h"

extern const ps_module ps_dashboard_module;

#endif
