/* forwarded.c: see forwarded.h. */
#include "http/forwarded.h"

#include <string.h>

#include "common/errors.h"

static int is_trusted(const ps_cidr *trusted, size_t n, const ps_ip_address *ip) {
  for (size_t i = 0; i < n; i++)
    if (ps_cidr_contains(&trusted[i], ip)) return 1;
  return 0;
}

static int is_blank(char c) { return c == ' ' || c == '\t'; }

/* Whether text[0..len) is a port: 1 to 5 digits. */
static int is_port(const char *text, size_t len) {
  if (len < 1 || len > 5) return 0;
  for (size_t i = 0; i < len; i++)
    if (text[i] < '0' || text[i] > '9') return 0;
  return 1;
}

/* One entry of the list (text[0..len), blanks included): its address, without brackets or
 * port. 0, or PS_EINVAL. */
static int parse_entry(const char *text, size_t len, ps_ip_address *out) {
  while (len && is_blank(*text)) text++, len--;
  while (len && is_blank(text[len - 1])) len--;
  if (len && text[0] == '[') { /* [v6] or [v6]:port */
    const char *close = memchr(text, ']', len);
    if (!close) return PS_EINVAL;
    size_t after = len - (size_t)(close + 1 - text);
    if (after && (close[1] != ':' || !is_port(close + 2, after - 1))) return PS_EINVAL;
    return ps_ip_parse(text + 1, (size_t)(close - text - 1), out);
  }
  const char *colon = memchr(text, ':', len);
  if (colon && !memchr(colon + 1, ':', len - (size_t)(colon + 1 - text))) { /* IPv4:port */
    if (!is_port(colon + 1, len - (size_t)(colon + 1 - text))) return PS_EINVAL;
    len = (size_t)(colon - text);
  }
  return ps_ip_parse(text, len, out);
}

ps_ip_address ps_forwarded_client(const ps_cidr *trusted, size_t ntrusted,
                                  const ps_ip_address *peer, const char *forwarded, size_t len) {
  ps_ip_address client = *peer;
  size_t end = forwarded ? len : 0; /* the unread part is forwarded[0..end) */
  while (end > 0 && is_trusted(trusted, ntrusted, &client)) {
    size_t start = end;
    while (start > 0 && forwarded[start - 1] != ',') start--;
    ps_ip_address entry;
    if (parse_entry(forwarded + start, end - start, &entry) != PS_OK) break;
    client = entry;
    end = start ? start - 1 : 0;
  }
  return client;
}
