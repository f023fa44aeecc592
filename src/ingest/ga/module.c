/* module.c: the GameAnalytics collector's routes (module.h) and its one piece of state: the
 * country database of `serve --geoip`, opened once at start (a file that does not open stops
 * serve with exit status 2) and read by every event thread (geoip.h: lookups are thread-safe). */
#include "ingest/ga/module.h"

#include "common/errors.h"
#include "common/log.h"
#include "geoip/geoip.h"

static int ga_init(const ps_app_config *config, ps_app *app, void **state) {
  (void)app;
  *state = NULL;
  if (!config->geoip_file) return PS_OK;
  char error[512];
  ps_geoip *geoip = NULL;
  int rc = ps_geoip_open(config->geoip_file, &geoip, error, sizeof error);
  if (rc == PS_EINVAL) {
    ps_error_log("serve: --geoip %s (want a MaxMind DB country database: GeoLite2-Country or"
                 " DB-IP country lite, .mmdb)", error);
    return PS_EINVAL;
  }
  if (rc != PS_OK) return rc;
  ps_info("serve: countries from %s (%s)", config->geoip_file, ps_geoip_type(geoip));
  *state = geoip;
  return PS_OK;
}

static void ga_fini(void *state) { ps_geoip_close(state); }

static const ps_route routes[] = {
    {"ga_events", "POST", "/v2/{}/events", ps_ga_events_handler},
    {"ga_init", "POST", "/v2/{}/init", ps_ga_init_handler},
    {"ga_remote_configs", "POST", "/remote_configs/v1/init", ps_ga_remote_configs_handler},
};

const ps_module ps_ga_module = {"ga", routes, sizeof routes / sizeof *routes, ga_init, ga_fini};
