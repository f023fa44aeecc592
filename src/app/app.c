/* app.c: see app.h. */
#include "app/app.h"

void *ps_app_state(const ps_app *app, const ps_module *module) {
  for (size_t i = 0; i < app->nmodules; i++)
    if (app->modules[i] == module) return app->states[i];
  return NULL;
}
