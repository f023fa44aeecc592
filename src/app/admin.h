/* admin.h: the admin module, GET /healthz and GET /metrics (src/app/admin.c). */
#ifndef PS_APP_ADMIN_H
#define PS_APP_ADMIN_H

#include "app/app.h"

extern const ps_module ps_admin_module;

#endif
