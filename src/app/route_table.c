/* route_table.c: see route_table.h. */
#include "app/route_table.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

int ps_app_route_is_catch_all(const char *pattern) {
  size_t n = strlen(pattern);
  return n >= 3 && strcmp(pattern + n - 3, "/**") == 0;
}

int ps_app_route_table(const ps_module *const *modules, size_t n, ps_route **out, size_t *nout) {
  size_t total = 0;
  for (size_t m = 0; m < n; m++) total += modules[m]->nroutes;
  ps_route *table = malloc((total ? total : 1) * sizeof *table);
  if (!table) return PS_ENOMEM;
  size_t k = 0;
  for (int catch_alls = 0; catch_alls <= 1; catch_alls++)
    for (size_t m = 0; m < n; m++)
      for (size_t r = 0; r < modules[m]->nroutes; r++)
        if (ps_app_route_is_catch_all(modules[m]->routes[r].pattern) == catch_alls)
          table[k++] = modules[m]->routes[r];
  *out = table;
  *nout = k;
  return PS_OK;
}
