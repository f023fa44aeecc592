/*
 * config.h: the handle's own copy of a playstat_config: every string duplicated (so the game's
 * buffers need not outlive playstat_create), defaults filled in, required fields checked.
 */
#ifndef PS_SDK_CONFIG_H
#define PS_SDK_CONFIG_H

#include "playstat.h"

typedef struct ps_sdk_config {
  playstat_config c; /* strings point to copies owned here (or are NULL) */
  char *owned[24];   /* every copy, for ps_sdk_config_free */
  int nowned;
  char os_version_default[48];
} ps_sdk_config;

/* Copies in into out and fills the defaults. Returns PLAYSTAT_OK, PLAYSTAT_E_CONFIG with the
 * reason in why (a required field missing, a URL that is not http(s)), or PLAYSTAT_E_NOMEM. */
int ps_sdk_config_copy(const playstat_config *in, ps_sdk_config *out, char *why, size_t whylen);
void ps_sdk_config_free(ps_sdk_config *cfg);

#endif
