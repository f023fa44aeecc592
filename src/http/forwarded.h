/*
 * forwarded.h: who the client of a request is, when reverse proxies stand in front of the
 * server: the X-Forwarded-For rule of `serve --trusted-proxy CIDR` (nginx's real_ip module with
 * real_ip_recursive on).
 *
 * Why only from trusted proxies: anyone can send an X-Forwarded-For header. A proxy appends
 * the address it received the request from to the header, so only the entries added by
 * proxies we run are true; the ones left of them are whatever the client wrote.
 *
 * The rule: the socket's peer is the client unless it is a trusted proxy. Then the header's
 * entries are read from the right: each one is the client of the hop to its right, and the
 * first that is not itself a trusted proxy is the client. When every entry is trusted, the
 * left-most is the client. An entry that is not an address (empty, "unknown", garbage) stops
 * the walk: the address read just before it (the peer, when it is the right-most) is the
 * client. Entries may carry a port of 1 to 5 digits ("203.0.113.7:4711", "[2001:db8::1]:443")
 * and blanks; anything else beside the address makes the entry not an address.
 * Several X-Forwarded-For headers count as one list, joined in order with commas.
 *
 * Cost: one pass over the header from its end, times the number of trusted networks.
 */
#ifndef PS_HTTP_FORWARDED_H
#define PS_HTTP_FORWARDED_H

#include <stddef.h>

#include "common/ip_address.h"

/* The client's address by the rule above. forwarded: the X-Forwarded-For value (len bytes,
 * NULL or empty when the request has none); trusted: ntrusted networks (may be 0). */
ps_ip_address ps_forwarded_client(const ps_cidr *trusted, size_t ntrusted,
                                  const ps_ip_address *peer, const char *forwarded, size_t len);

#endif
