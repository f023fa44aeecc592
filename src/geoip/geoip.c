/*
 * geoip.c: see geoip.h. A thin wrapper over libmaxminddb: MMDB_open in MMDB_MODE_MMAP, then
 * MMDB_lookup_sockaddr and MMDB_get_value(country, iso_code) per lookup, which libmaxminddb
 * documents as safe from several threads on one opened MMDB_s.
 */
#include "geoip/geoip.h"

#include <errno.h>
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

struct ps_geoip {
  MMDB_s db;
};

int ps_geoip_open(const char *path, ps_geoip **out, char *error, size_t errcap) {
  *out = NULL;
  ps_geoip *g = calloc(1, sizeof *g);
  if (!g) return PS_ENOMEM;
  errno = 0;
  int status = MMDB_open(path, MMDB_MODE_MMAP, &g->db);
  if (status != MMDB_SUCCESS) {
    int file_error = (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) && errno;
    snprintf(error, errcap, "%s: %s", path, file_error ? strerror(errno) : MMDB_strerror(status));
    free(g);
    return status == MMDB_OUT_OF_MEMORY_ERROR ? PS_ENOMEM : PS_EINVAL;
  }
  *out = g;
  return PS_OK;
}

static int is_upper(char c) { return c >= 'A' && c <= 'Z'; }

int ps_geoip_country(const ps_geoip *geoip, const ps_ip_address *ip, char iso[3]) {
  iso[0] = '\0';
  struct sockaddr_storage sa;
  ps_ip_to_sockaddr(ip, &sa);
  int mmdb_error = MMDB_SUCCESS;
  /* MMDB_lookup_sockaddr takes a non-const MMDB_s but only reads it. */
  MMDB_lookup_result_s found =
      MMDB_lookup_sockaddr((MMDB_s *)&geoip->db, (const struct sockaddr *)&sa, &mmdb_error);
  if (mmdb_error != MMDB_SUCCESS || !found.found_entry) return 0;
  MMDB_entry_data_s value;
  if (MMDB_get_value(&found.entry, &value, "country", "iso_code", NULL) != MMDB_SUCCESS ||
      !value.has_data || value.type != MMDB_DATA_TYPE_UTF8_STRING || value.data_size != 2 ||
      !is_upper(value.utf8_string[0]) || !is_upper(value.utf8_string[1]))
    return 0;
  iso[0] = value.utf8_string[0];
  iso[1] = value.utf8_string[1];
  iso[2] = '\0';
  return 1;
}

const char *ps_geoip_type(const ps_geoip *geoip) {
  return geoip->db.metadata.database_type ? geoip->db.metadata.database_type : "unknown";
}

void ps_geoip_close(ps_geoip *geoip) {
  if (!geoip) return;
  MMDB_close(&geoip->db);
  free(geoip);
}
