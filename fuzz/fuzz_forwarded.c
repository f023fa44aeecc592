/*
 * fuzz_forwarded.c: libFuzzer target for the client-address rule of `serve --trusted-proxy`
 * (http/forwarded.h) and the address and network parsers under it (common/ip_address.h), on
 * untrusted bytes: the input's first byte picks the socket's peer (trusted or not, IPv4 or
 * IPv6), the rest is the X-Forwarded-For value. Checked on every input:
 *   - an untrusted peer is the client, whatever the header says;
 *   - the client is the peer or the address of one of the header's comma-separated entries
 *     (parsed here on their own, blanks, brackets and a port stripped as forwarded.h says);
 *   - an untrusted client is never one with an entry to its right that is also untrusted
 *     (the walk stops at the first untrusted address from the right).
 * The input as a CIDR (ps_cidr_parse) must parse or be refused without reading past it.
 * Run: CC=clang cmake -S . -B build-fuzz -DPLAYSTAT_FUZZ=ON && cmake --build build-fuzz
 *      --target fuzz_forwarded && build-fuzz/fuzz/fuzz_forwarded fuzz/corpus/forwarded
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/ip_address.h"
#include "fuzz_check.h"
#include "http/forwarded.h"

static const char *const trusted_text[] = {"127.0.0.0/8", "10.0.0.0/8", "::1/128", "2001:db8::/32"};
static const char *const peers[] = {"127.0.0.1", "10.9.8.7", "::1", "2001:db8::5",
                                    "192.0.2.1", "2001:db9::1"};
static ps_cidr trusted[4];
static int ready;

static int is_trusted(const ps_ip_address *ip) {
  for (size_t i = 0; i < 4; i++)
    if (ps_cidr_contains(&trusted[i], ip)) return 1;
  return 0;
}

static int same(const ps_ip_address *a, const ps_ip_address *b) {
  return memcmp(a->bytes, b->bytes, 16) == 0;
}

static int digits_only(const char *s) {
  size_t n = strlen(s);
  if (n < 1 || n > 5) return 0;
  return strspn(s, "0123456789") == n;
}

/* The entry text[0..len) as forwarded.h reads it, by another route (NUL-terminated strings;
 * an entry with a NUL is not an address): 0 or PS_EINVAL. */
static int entry_address(const char *text, size_t len, ps_ip_address *out) {
  size_t a = 0, b = len;
  while (a < b && (text[a] == ' ' || text[a] == '\t')) a++;
  while (b > a && (text[b - 1] == ' ' || text[b - 1] == '\t')) b--;
  if (memchr(text + a, '\0', b - a)) return PS_EINVAL;
  char *copy = malloc(b - a + 1);
  CHECK(copy != NULL);
  memcpy(copy, text + a, b - a);
  copy[b - a] = '\0';
  char *s = copy;
  int ok = 1;
  if (*s == '[') {
    char *close = strchr(s, ']');
    ok = close && (!close[1] || (close[1] == ':' && digits_only(close + 2)));
    if (close) *close = '\0';
    s++;
  } else {
    char *colon = strchr(s, ':');
    if (colon && !strchr(colon + 1, ':')) {
      ok = digits_only(colon + 1);
      *colon = '\0';
    }
  }
  int rc = ok ? ps_ip_parse(s, strlen(s), out) : PS_EINVAL;
  free(copy);
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!ready) {
    for (size_t i = 0; i < 4; i++) CHECK(ps_cidr_parse(trusted_text[i], &trusted[i]) == PS_OK);
    ready = 1;
  }
  if (size == 0 || size > 4096) return 0;
  const char *peer_text = peers[data[0] % (sizeof peers / sizeof *peers)];
  ps_ip_address peer;
  CHECK(ps_ip_parse(peer_text, strlen(peer_text), &peer) == PS_OK);
  char *header = malloc(size); /* no NUL: the rule must respect the length */
  CHECK(header != NULL);
  memcpy(header, data + 1, size - 1);
  size_t len = size - 1;
  ps_ip_address client = ps_forwarded_client(trusted, 4, &peer, header, len);
  if (!is_trusted(&peer)) CHECK(same(&client, &peer));
  int found = same(&client, &peer);
  int untrusted_right = !is_trusted(&peer); /* an untrusted address right of the current entry */
  for (size_t end = len; !found;) {
    size_t start = end;
    while (start > 0 && header[start - 1] != ',') start--;
    ps_ip_address entry;
    if (entry_address(header + start, end - start, &entry) == PS_OK) {
      if (same(&entry, &client)) {
        found = 1;
        CHECK(!untrusted_right);
      }
      if (!is_trusted(&entry)) untrusted_right = 1;
    }
    if (start == 0) break;
    end = start - 1;
  }
  CHECK(found);
  free(header);
  /* The input as text: a network or refused (the first line, NUL-terminated). */
  char text[256];
  size_t n = size - 1 < sizeof text - 1 ? size - 1 : sizeof text - 1;
  memcpy(text, data + 1, n);
  text[n] = '\0';
  ps_cidr c;
  if (ps_cidr_parse(text, &c) == PS_OK) CHECK(c.prefix <= 128 && ps_cidr_contains(&c, &c.network));
  return 0;
}
