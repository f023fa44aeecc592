/* config.c: see config.h. */
#include "sdk/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

void playstat_config_init(playstat_config *cfg) {
  if (!cfg) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->flush_interval_ms = 8000;
  cfg->shutdown_timeout_ms = 2000;
  cfg->retry_initial_ms = 1000;
  cfg->retry_max_ms = 300000;
  cfg->max_queue_bytes = 16u * 1024 * 1024;
  cfg->metrics_heartbeat_ms = 150000;
  cfg->log_level = PLAYSTAT_LOG_INFO;
}

/* Replaces *field by an owned copy of itself. */
static int own(ps_sdk_config *cfg, const char **field) {
  if (!*field) return PLAYSTAT_OK;
  if (cfg->nowned >= (int)(sizeof cfg->owned / sizeof cfg->owned[0])) return PLAYSTAT_E_NOMEM;
  char *copy = strdup(*field);
  if (!copy) return PLAYSTAT_E_NOMEM;
  cfg->owned[cfg->nowned++] = copy;
  *field = copy;
  return PLAYSTAT_OK;
}

/* "linux 6.1.0" from uname's release "6.1.0-13-amd64": the os_version the schema accepts. */
static void default_os_version(char *out, size_t cap) {
  struct utsname u;
  unsigned major = 0, minor = 0, patch = 0;
  if (uname(&u) == 0) sscanf(u.release, "%5u.%5u.%5u", &major, &minor, &patch);
  snprintf(out, cap, "linux %u.%u.%u", major, minor, patch);
}

static int is_http_url(const char *url) {
  return url && (strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
}

int ps_sdk_config_copy(const playstat_config *in, ps_sdk_config *out, char *why, size_t whylen) {
  memset(out, 0, sizeof *out);
  out->c = *in;
  playstat_config *c = &out->c;
  const char *missing = !c->base_url       ? "base_url"
                        : !c->game_key      ? "game_key"
                        : !c->secret_key    ? "secret_key"
                        : !c->database_path ? "database_path"
                                            : NULL;
  if (missing) {
    snprintf(why, whylen, "configuration: %s is required", missing);
    return PLAYSTAT_E_CONFIG;
  }
  if (!is_http_url(c->base_url) || (c->metrics_url && !is_http_url(c->metrics_url))) {
    snprintf(why, whylen, "configuration: base_url and metrics_url must start with http:// or https://");
    return PLAYSTAT_E_CONFIG;
  }
  if (c->metrics_url && !c->metrics_key) {
    snprintf(why, whylen, "configuration: metrics_url needs metrics_key");
    return PLAYSTAT_E_CONFIG;
  }
  const char **strings[] = {&c->base_url,     &c->game_key,       &c->secret_key,
                            &c->database_path, &c->build,         &c->custom_01,
                            &c->custom_02,    &c->custom_03,      &c->user_id,
                            &c->platform,     &c->os_version,     &c->device,
                            &c->manufacturer, &c->engine_version, &c->metrics_url,
                            &c->metrics_key,  &c->metrics_platform, &c->metrics_portal};
  for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
    if (own(out, strings[i]) != PLAYSTAT_OK) {
      ps_sdk_config_free(out);
      snprintf(why, whylen, "out of memory");
      return PLAYSTAT_E_NOMEM;
    }
  }
  if (!c->platform) c->platform = "linux";
  if (!c->os_version) {
    default_os_version(out->os_version_default, sizeof out->os_version_default);
    c->os_version = out->os_version_default;
  }
  if (!c->device) c->device = "unknown";
  if (!c->manufacturer) c->manufacturer = "unknown";
  if (!c->flush_interval_ms) c->flush_interval_ms = 8000;
  if (!c->retry_initial_ms) c->retry_initial_ms = 1000;
  if (!c->retry_max_ms) c->retry_max_ms = 300000;
  if (!c->max_queue_bytes) c->max_queue_bytes = 16u * 1024 * 1024;
  if (!c->metrics_heartbeat_ms) c->metrics_heartbeat_ms = 150000;
  /* shutdown_timeout_ms 0 is allowed: shutdown then does not try to send at all. */
  return PLAYSTAT_OK;
}

void ps_sdk_config_free(ps_sdk_config *cfg) {
  for (int i = 0; i < cfg->nowned; i++) free(cfg->owned[i]);
  cfg->nowned = 0;
}
