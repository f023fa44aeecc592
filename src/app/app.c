/* app.c: see app.h. */
#include "app/app.h"

#include <stdlib.h>

#include "common/errors.h"

void *ps_app_state(const ps_app *app, const ps_module *module) {
  for (size_t i = 0; i < app->nmodules; i++)
    if (app->modules[i] == module) return app->states[i];
  return NULL;
}

int ps_app_api_game(ps_request *req, const ps_app *app, ps_game *game) {
  char *end;
  const char *text = ps_request_param(req, 0);
  long long id = strtoll(text, &end, 10);
  if (*text && !*end && id > 0 && ps_game_cache_find_by_id(app->games, id, game) == PS_OK)
    return 0;
  ps_request_respond_error(req, 404, "not_found", "no game has that id");
  return -1;
}
