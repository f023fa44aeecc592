/*
 * ip_address.h: IP addresses (IPv4 and IPv6 in one form) and CIDR networks, as the HTTP layer
 * reads them from sockets and X-Forwarded-For (http/forwarded.h) and the country lookup
 * (geoip/geoip.h) takes them.
 *
 * One form for both families: an IPv4 address a.b.c.d is held as the IPv4-mapped IPv6
 * address ::ffff:a.b.c.d, and an IPv4 network a.b.c.d/n as ::ffff:a.b.c.d/(96 + n). So a
 * dual-stack socket's mapped peer (::ffff:127.0.0.1) and the plain IPv4 peer 127.0.0.1 are one
 * address, and one CIDR test serves both families.
 *
 * Guarantees: the parsers accept only what inet_pton(3) accepts (no leading zeros in IPv4,
 * no zone ids) and never read past the length they are given; nothing allocates.
 */
#ifndef PS_COMMON_IP_ADDRESS_H
#define PS_COMMON_IP_ADDRESS_H

#include <stddef.h>
#include <sys/socket.h>

typedef struct ps_ip_address {
  unsigned char bytes[16]; /* network order; IPv4 as ::ffff:a.b.c.d */
} ps_ip_address;

typedef struct ps_cidr {
  ps_ip_address network; /* the bits past prefix are zero */
  unsigned prefix;       /* 0..128, counted in the 128-bit form */
} ps_cidr;

/* Whether the address is IPv4 (held as ::ffff:a.b.c.d). */
int ps_ip_is_v4(const ps_ip_address *ip);

/* The address of len bytes of text ("203.0.113.7", "2001:db8::1"): 0, or PS_EINVAL when it is
 * not one. */
int ps_ip_parse(const char *text, size_t len, ps_ip_address *out);

/* A socket's address (AF_INET or AF_INET6): 0, or PS_EINVAL for another family or NULL. */
int ps_ip_from_sockaddr(const struct sockaddr *sa, ps_ip_address *out);

/* The address as a socket address of its own family (sockaddr_in for IPv4, port 0). */
void ps_ip_to_sockaddr(const ps_ip_address *ip, struct sockaddr_storage *out);

/* "10.0.0.0/8", "2001:db8::/32", or an address alone (a network of that one address). The
 * address's bits past the prefix must be zero ("10.1.2.3/8" is refused: it most likely
 * means something else). 0, or PS_EINVAL. */
int ps_cidr_parse(const char *text, ps_cidr *out);

/* Whether ip lies in the network. */
int ps_cidr_contains(const ps_cidr *network, const ps_ip_address *ip);

#endif
