/*
 * platforms.h: the X-Modio-Platform and X-Modio-Portal values of mod.io clients. Values are
 * matched case-insensitively ("XboxLive", "PSN", "Steam") against the documented lists and
 * returned in their canonical lowercase form; an absent or undocumented value becomes
 * "unknown" (counted, never rejected). Returned strings are static.
 */
#ifndef PS_INGEST_METRICS_PLATFORMS_H
#define PS_INGEST_METRICS_PLATFORMS_H

const char *ps_modio_platform(const char *header);
const char *ps_modio_portal(const char *header);

#endif
