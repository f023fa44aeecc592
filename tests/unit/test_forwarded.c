/* test_forwarded.c: who the client of a request is (src/http/forwarded.h, with the addresses
 * and networks of src/common/ip_address.h): X-Forwarded-For is read only from trusted proxies,
 * from the right, stopping at the first address that is not a trusted proxy (nginx's
 * real_ip_recursive), at an entry that is not an address, or at the left end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>

#include "common/errors.h"
#include "common/ip_address.h"
#include "http/forwarded.h"

static ps_ip_address ip(const char *text) {
  ps_ip_address out;
  assert_int_equal(ps_ip_parse(text, strlen(text), &out), PS_OK);
  return out;
}

static void addresses(void **state) {
  (void)state;
  ps_ip_address a;
  const char *good[] = {"127.0.0.1", "10.1.2.3", "255.255.255.255", "::1", "2001:db8::1",
                        "::ffff:10.1.2.3", "fe80::1:2"};
  for (size_t i = 0; i < sizeof good / sizeof *good; i++)
    assert_int_equal(ps_ip_parse(good[i], strlen(good[i]), &a), PS_OK);
  const char *bad[] = {"", "unknown", "10.1.2", "10.1.2.256", "010.1.2.3", "1.2.3.4 ", "::g",
                       "fe80::1%eth0", "2001:db8::1:2:3:4:5:6:7:8",
                       "1111:2222:3333:4444:5555:6666:7777:8888:9999:0000"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal(ps_ip_parse(bad[i], strlen(bad[i]), &a), PS_EINVAL);
  /* a NUL inside the length is not the end of the text */
  assert_int_equal(ps_ip_parse("10.1.2.3\0junk", 13, &a), PS_EINVAL);
  /* the length is respected: "10.1.2.3" of "10.1.2.34" */
  assert_int_equal(ps_ip_parse("10.1.2.34", 8, &a), PS_OK);
  ps_ip_address want = ip("10.1.2.3");
  assert_memory_equal(a.bytes, want.bytes, 16);
  /* IPv4 and its mapped IPv6 form are one address */
  ps_ip_address mapped = ip("::ffff:10.1.2.3");
  assert_memory_equal(mapped.bytes, want.bytes, 16);
  assert_true(ps_ip_is_v4(&want));
  ps_ip_address v6 = ip("2001:db8::1");
  assert_false(ps_ip_is_v4(&v6));
  /* sockets' addresses, both ways */
  struct sockaddr_storage ss;
  ps_ip_to_sockaddr(&want, &ss);
  assert_int_equal(ss.ss_family, AF_INET);
  ps_ip_address back;
  assert_int_equal(ps_ip_from_sockaddr((struct sockaddr *)&ss, &back), PS_OK);
  assert_memory_equal(back.bytes, want.bytes, 16);
  ps_ip_to_sockaddr(&v6, &ss);
  assert_int_equal(ss.ss_family, AF_INET6);
  assert_int_equal(ps_ip_from_sockaddr((struct sockaddr *)&ss, &back), PS_OK);
  assert_memory_equal(back.bytes, v6.bytes, 16);
  assert_int_equal(ps_ip_from_sockaddr(NULL, &back), PS_EINVAL);
}

static const struct {
  const char *cidr, *inside, *outside; /* outside NULL: none to try */
} networks[] = {
    {"10.0.0.0/8", "10.255.1.2", "11.0.0.0"},
    {"10.1.0.0/16", "10.1.200.3", "10.2.0.1"},
    {"192.168.1.128/25", "192.168.1.200", "192.168.1.127"},
    {"127.0.0.1", "127.0.0.1", "127.0.0.2"},
    {"127.0.0.1/32", "::ffff:127.0.0.1", "127.0.0.2"},
    {"0.0.0.0/0", "203.0.113.9", "2001:db8::1"}, /* every IPv4 address, no IPv6 one */
    {"::/0", "2001:db8::1", NULL},               /* every address */
    {"2001:db8::/32", "2001:db8:ffff::1", "2001:db9::1"},
    {"::1", "::1", "::2"},
    {"fc00::/7", "fdff::1", "fe00::1"},
};

static void cidrs(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof networks / sizeof *networks; i++) {
    ps_cidr c;
    if (ps_cidr_parse(networks[i].cidr, &c) != PS_OK)
      fail_msg("'%s' should parse", networks[i].cidr);
    ps_ip_address in = ip(networks[i].inside);
    if (!ps_cidr_contains(&c, &in))
      fail_msg("%s should hold %s", networks[i].cidr, networks[i].inside);
    if (networks[i].outside) {
      ps_ip_address out = ip(networks[i].outside);
      if (ps_cidr_contains(&c, &out))
        fail_msg("%s should not hold %s", networks[i].cidr, networks[i].outside);
    }
  }
  const char *bad[] = {"10.1.2.3/8" /* host bits set */, "fd00::/7", "10.0.0.0/33", "::/129",
                       "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "/8", "10.0.0.0/08000",
                       "localhost", NULL};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    ps_cidr c;
    if (ps_cidr_parse(bad[i], &c) != PS_EINVAL)
      fail_msg("'%s' should be refused", bad[i] ? bad[i] : "NULL");
  }
}

/* The X-Forwarded-For rule, case by case: peer, header, trusted networks, the client. */
static const struct {
  const char *peer, *header, *trusted[3], *client;
} cases[] = {
    /* no trusted proxy: the header is never read */
    {"127.0.0.1", "10.1.0.5", {NULL}, "127.0.0.1"},
    /* an untrusted peer: its header is ignored */
    {"192.0.2.1", "10.1.0.5", {"127.0.0.1/32"}, "192.0.2.1"},
    /* a trusted peer: the header's right-most entry */
    {"127.0.0.1", "10.1.0.5", {"127.0.0.1/32"}, "10.1.0.5"},
    {"127.0.0.1", "10.2.0.1, 10.1.0.5", {"127.0.0.1/32"}, "10.1.0.5"},
    /* recursive: trusted entries are skipped from the right */
    {"127.0.0.1", "10.2.0.1, 10.1.0.5, 172.16.0.9", {"127.0.0.1/32", "172.16.0.0/12"}, "10.1.0.5"},
    /* every entry trusted: the left-most */
    {"127.0.0.1", "172.16.0.1,172.16.0.2", {"127.0.0.1/32", "172.16.0.0/12"}, "172.16.0.1"},
    /* a spoofed entry left of the client stays unread */
    {"127.0.0.1", "8.8.8.8, 10.1.0.5", {"127.0.0.1/32"}, "10.1.0.5"},
    /* no header, an empty one: the peer */
    {"127.0.0.1", NULL, {"127.0.0.1/32"}, "127.0.0.1"},
    {"127.0.0.1", "", {"127.0.0.1/32"}, "127.0.0.1"},
    /* not an address: the walk stops at the last address read */
    {"127.0.0.1", "unknown", {"127.0.0.1/32"}, "127.0.0.1"},
    {"127.0.0.1", "10.1.0.5, garbage, 172.16.0.9", {"127.0.0.1/32", "172.16.0.0/12"}, "172.16.0.9"},
    {"127.0.0.1", "10.1.0.5,", {"127.0.0.1/32"}, "127.0.0.1"},
    /* ports and brackets */
    {"127.0.0.1", "10.1.0.5:4711", {"127.0.0.1/32"}, "10.1.0.5"},
    {"127.0.0.1", "[2001:db8::7]:443", {"127.0.0.1/32"}, "2001:db8::7"},
    {"127.0.0.1", "[2001:db8::7]", {"127.0.0.1/32"}, "2001:db8::7"},
    {"127.0.0.1", "\t2001:db8::7 ", {"127.0.0.1/32"}, "2001:db8::7"},
    /* a port that is not one: not an address */
    {"127.0.0.1", "10.1.0.5:http", {"127.0.0.1/32"}, "127.0.0.1"},
    {"127.0.0.1", "10.1.0.5:", {"127.0.0.1/32"}, "127.0.0.1"},
    {"127.0.0.1", "[2001:db8::7]x", {"127.0.0.1/32"}, "127.0.0.1"},
    {"127.0.0.1", "[2001:db8::7]:443443", {"127.0.0.1/32"}, "127.0.0.1"},
    /* IPv6 proxies; a mapped peer matches an IPv4 network */
    {"::1", "10.1.0.5", {"::1/128"}, "10.1.0.5"},
    {"::ffff:127.0.0.1", "2001:db8::9", {"127.0.0.0/8"}, "2001:db8::9"},
    {"2001:db8:1::1", "2001:db8:2::2, 2001:db8:1::5", {"2001:db8:1::/48"}, "2001:db8:2::2"},
};

static void forwarded_rule(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    ps_cidr trusted[3];
    size_t n = 0;
    for (; n < 3 && cases[i].trusted[n]; n++)
      assert_int_equal(ps_cidr_parse(cases[i].trusted[n], &trusted[n]), PS_OK);
    ps_ip_address peer = ip(cases[i].peer), want = ip(cases[i].client);
    const char *h = cases[i].header;
    ps_ip_address got = ps_forwarded_client(trusted, n, &peer, h, h ? strlen(h) : 0);
    if (memcmp(got.bytes, want.bytes, 16) != 0)
      fail_msg("case %zu (peer %s, X-Forwarded-For '%s'): want %s", i, cases[i].peer,
               h ? h : "(none)", cases[i].client);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(addresses), cmocka_unit_test(cidrs),
                                     cmocka_unit_test(forwarded_rule)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
