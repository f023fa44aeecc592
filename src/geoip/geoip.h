/*
 * geoip.h: the country of an IP address, from a country database the studio provides
 * (`serve --geoip FILE`): MaxMind's GeoLite2-Country or GeoIP2-Country, or DB-IP's
 * "IP to Country Lite", all in the MaxMind DB format, read with libmaxminddb.
 *
 * What it answers: the ISO 3166-1 alpha-2 code of the record's country.iso_code (two
 * uppercase letters, "DE"), or nothing (unknown): an address the database does not hold, a
 * record without a country or whose code is not two letters A-Z, an IPv6 address looked up
 * in an IPv4-only database. The "registered_country" of an address without a country (some
 * anycast and satellite ranges) is not used: where the player is matters, not who registered
 * the network.
 *
 * Threads: after ps_geoip_open returns, ps_geoip_country may be called from any number of
 * threads at once (libmaxminddb only reads the memory-mapped file; nothing here is written
 * after open). The file is read once at open: replacing it needs a restart (no reload).
 * Lookups allocate nothing; one costs a walk of at most 128 tree nodes and one record decode.
 */
#ifndef PS_GEOIP_GEOIP_H
#define PS_GEOIP_GEOIP_H

#include <stddef.h>

#include "common/ip_address.h"

typedef struct ps_geoip ps_geoip;

/* Opens the database at path. 0 and *out, or PS_EINVAL (not readable or not a MaxMind DB,
 * said in error: errcap bytes, NUL-terminated) or PS_ENOMEM. Close with ps_geoip_close. */
int ps_geoip_open(const char *path, ps_geoip **out, char *error, size_t errcap);

/* The country of ip into iso (two letters and a NUL): 1, or 0 when unknown (iso is "" then). */
int ps_geoip_country(const ps_geoip *geoip, const ps_ip_address *ip, char iso[3]);

/* What the database says it is ("GeoLite2-Country", "DBIP-Country-Lite", ...), for the log. */
const char *ps_geoip_type(const ps_geoip *geoip);

void ps_geoip_close(ps_geoip *geoip);

#endif
