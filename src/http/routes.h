/* routes.h: the fixed table of every endpoint `playstat serve` answers. */
#ifndef PS_HTTP_ROUTES_H
#define PS_HTTP_ROUTES_H

#include <stddef.h>

#include "http/router.h"

extern const ps_route ps_routes[];
extern const size_t ps_route_count;

#endif
