/* platforms.c: see platforms.h. The lists are mod.io's documented targeting values. */
#include "ingest/metrics/platforms.h"

#include <stddef.h>
#include <strings.h>

static const char *const platforms[] = {
    "source", "windows", "mac",  "linux",   "android", "ios",           "xboxone",
    "xboxseriesx", "ps4", "ps5", "switch", "switch2", "oculus", "windowsserver", "linuxserver",
};

static const char *const portals[] = {
    "apple", "discord", "epicgames", "facebook", "gog", "google",
    "itchio", "nintendo", "psn", "sso", "steam", "xboxlive",
};

static const char *canonical(const char *const *names, size_t n, const char *value) {
  if (value)
    for (size_t i = 0; i < n; i++)
      if (strcasecmp(names[i], value) == 0) return names[i];
  return "unknown";
}

const char *ps_modio_platform(const char *header) {
  return canonical(platforms, sizeof platforms / sizeof *platforms, header);
}

const char *ps_modio_portal(const char *header) {
  return canonical(portals, sizeof portals / sizeof *portals, header);
}
