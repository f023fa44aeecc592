/*
 * route_table.h: the server's one route table, built from the module table.
 *
 * The order (app.h, Guarantees): every module's rows that do not end in "**", module by
 * module in table order and each module's in its own order, then every module's catch-all
 * rows (a final "**") in the same order. Since the router takes the first match (router.h), a
 * module's catch-all can thus never shadow another module's row, whatever the table's order.
 */
#ifndef PS_APP_ROUTE_TABLE_H
#define PS_APP_ROUTE_TABLE_H

#include <stddef.h>

#include "app/app.h"

/* Sets *out to a malloc'd table (the caller frees it) of *nout rows copied from modules[0..n).
 * Returns 0 or PS_ENOMEM. */
int ps_app_route_table(const ps_module *const *modules, size_t n, ps_route **out, size_t *nout);

/* 1 when pattern ends in "/" "**" (a catch-all row). */
int ps_app_route_is_catch_all(const char *pattern);

#endif
