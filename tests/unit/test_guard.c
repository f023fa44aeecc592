/*
 * test_guard.c: the per-address cap of the HTTP server's guard (src/http/guard.h) holds even
 * when several event threads admit connections before any of them registers its own: the
 * registration (ps_guard_open) refuses what ps_guard_admit let through, and a closed
 * connection makes room again. Other addresses are not counted against it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "http/guard.h"

static struct sockaddr_in address(const char *ip, unsigned short port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

static void the_cap_holds_when_admits_race_ahead_of_registration(void **state) {
  (void)state;
  ps_guard_config config = {.max_connections = 100, .per_address = 2, .header_timeout_ms = 60000,
                            .body_timeout_ms = 60000, .idle_timeout_ms = 60000};
  ps_guard *g;
  assert_int_equal(ps_guard_create(&config, &g), PS_OK);
  struct sockaddr_in a[3] = {address("127.0.0.9", 1001), address("127.0.0.9", 1002),
                             address("127.0.0.9", 1003)};
  /* Three threads each admit a connection before any registers it: all pass the early check. */
  for (int i = 0; i < 3; i++)
    assert_int_equal(ps_guard_admit(g, (struct sockaddr *)&a[i], sizeof a[i]), 1);
  ps_guard_conn *c0 = ps_guard_open(g, 10, (struct sockaddr *)&a[0]);
  ps_guard_conn *c1 = ps_guard_open(g, 11, (struct sockaddr *)&a[1]);
  assert_non_null(c0);
  assert_non_null(c1);
  assert_null(ps_guard_open(g, 12, (struct sockaddr *)&a[2])); /* the third is refused */
  assert_int_equal(ps_guard_admit(g, (struct sockaddr *)&a[2], sizeof a[2]), 0);
  /* Another address has its own count. */
  struct sockaddr_in other = address("127.0.0.10", 1001);
  ps_guard_conn *c2 = ps_guard_open(g, 13, (struct sockaddr *)&other);
  assert_non_null(c2);
  /* A closed connection makes room. */
  ps_guard_close(g, c0);
  ps_guard_conn *c3 = ps_guard_open(g, 12, (struct sockaddr *)&a[2]);
  assert_non_null(c3);
  ps_guard_close(g, c1);
  ps_guard_close(g, c2);
  ps_guard_close(g, c3);
  ps_guard_free(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_cap_holds_when_admits_race_ahead_of_registration),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
