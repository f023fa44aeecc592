/* ip_address.c: see ip_address.h. */
#include "common/ip_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

static const unsigned char v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int ps_ip_is_v4(const ps_ip_address *ip) {
  return memcmp(ip->bytes, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0;
}

static void from_v4(const void *in_addr, ps_ip_address *out) {
  memcpy(out->bytes, v4_mapped_prefix, sizeof v4_mapped_prefix);
  memcpy(out->bytes + 12, in_addr, 4);
}

int ps_ip_parse(const char *text, size_t len, ps_ip_address *out) {
  char copy[INET6_ADDRSTRLEN];
  if (len == 0 || len >= sizeof copy || memchr(text, '\0', len)) return PS_EINVAL;
  memcpy(copy, text, len);
  copy[len] = '\0';
  struct in_addr v4;
  if (inet_pton(AF_INET, copy, &v4) == 1) {
    from_v4(&v4, out);
    return PS_OK;
  }
  return inet_pton(AF_INET6, copy, out->bytes) == 1 ? PS_OK : PS_EINVAL;
}

int ps_ip_from_sockaddr(const struct sockaddr *sa, ps_ip_address *out) {
  if (sa && sa->sa_family == AF_INET) {
    from_v4(&((const struct sockaddr_in *)sa)->sin_addr, out);
    return PS_OK;
  }
  if (sa && sa->sa_family == AF_INET6) {
    memcpy(out->bytes, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    return PS_OK;
  }
  return PS_EINVAL;
}

void ps_ip_to_sockaddr(const ps_ip_address *ip, struct sockaddr_storage *out) {
  memset(out, 0, sizeof *out);
  if (ps_ip_is_v4(ip)) {
    struct sockaddr_in *in = (struct sockaddr_in *)out;
    in->sin_family = AF_INET;
    memcpy(&in->sin_addr, ip->bytes + 12, 4);
  } else {
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)out;
    in6->sin6_family = AF_INET6;
    memcpy(&in6->sin6_addr, ip->bytes, 16);
  }
}

/* Whether the bits of ip from bit prefix on are all zero. */
static int host_bits_zero(const ps_ip_address *ip, unsigned prefix) {
  for (unsigned bit = prefix; bit < 128; bit++)
    if (ip->bytes[bit / 8] & (0x80u >> (bit % 8))) return 0;
  return 1;
}

int ps_cidr_parse(const char *text, ps_cidr *out) {
  if (!text) return PS_EINVAL;
  const char *slash = strchr(text, '/');
  size_t len = slash ? (size_t)(slash - text) : strlen(text);
  if (ps_ip_parse(text, len, &out->network) != PS_OK) return PS_EINVAL;
  unsigned offset = ps_ip_is_v4(&out->network) ? 96 : 0, max = 128 - offset;
  out->prefix = 128;
  if (slash) {
    const char *digits = slash + 1;
    if (*digits < '0' || *digits > '9' || strlen(digits) > 3) return PS_EINVAL;
    char *end = NULL;
    unsigned long n = strtoul(digits, &end, 10);
    if (*end || n > max) return PS_EINVAL;
    out->prefix = offset + (unsigned)n;
  }
  return host_bits_zero(&out->network, out->prefix) ? PS_OK : PS_EINVAL;
}

int ps_cidr_contains(const ps_cidr *network, const ps_ip_address *ip) {
  unsigned whole = network->prefix / 8, rest = network->prefix % 8;
  if (memcmp(network->network.bytes, ip->bytes, whole) != 0) return 0;
  if (!rest) return 1;
  unsigned char mask = (unsigned char)(0xff00u >> rest);
  return (network->network.bytes[whole] & mask) == (ip->bytes[whole] & mask);
}
