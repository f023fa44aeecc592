/* modules.h: the fixed table of the protocol modules `playstat serve` runs (src/app/modules.c). */
#ifndef PS_APP_MODULES_H
#define PS_APP_MODULES_H

#include <stddef.h>

#include "app/app.h"

extern const ps_module *const ps_modules[];
extern const size_t ps_module_count;

#endif
