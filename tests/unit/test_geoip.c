/* test_geoip.c: the country lookup (src/geoip/geoip.h) over a small MaxMind DB written here by
 * tests/data/make_geoip_db.pl (Debian's libmaxmind-db-writer-perl): networks of both families
 * map to their ISO codes, other addresses are unknown, a record whose code is not two letters
 * is unknown, and files that are missing or not MaxMind DBs are refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/ip_address.h"
#include "geoip/geoip.h"

static char db_path[256];

/* Writes the test database with the mappings given ("CIDR=ISO ..."). */
static void write_db(const char *path, const char *mappings) {
  const char *src = getenv("PLAYSTAT_SOURCE_DIR");
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "perl '%s/tests/data/make_geoip_db.pl' '%s' %s", src ? src : ".", path,
           mappings);
  if (system(cmd) != 0) fail_msg("%s failed (is libmaxmind-db-writer-perl installed?)", cmd);
}

static int setup(void **state) {
  (void)state;
  snprintf(db_path, sizeof db_path, "/tmp/playstat-test-geoip-%d.mmdb", (int)getpid());
  write_db(db_path,
           "10.1.0.0/16=DE 10.2.0.0/16=BR 2001:db8::/32=JP 10.3.0.0/16=XYZ 10.4.0.0/16=de");
  return 0;
}

static int teardown(void **state) {
  (void)state;
  unlink(db_path);
  return 0;
}

static const char *country_of(const ps_geoip *g, const char *address, char iso[3]) {
  ps_ip_address ip;
  assert_int_equal(ps_ip_parse(address, strlen(address), &ip), PS_OK);
  return ps_geoip_country(g, &ip, iso) ? iso : NULL;
}

static void lookups(void **state) {
  (void)state;
  char error[256] = "";
  ps_geoip *g = NULL;
  assert_int_equal(ps_geoip_open(db_path, &g, error, sizeof error), PS_OK);
  assert_non_null(g);
  assert_string_equal(ps_geoip_type(g), "playstat-test-Country");
  static const struct {
    const char *address, *iso; /* iso NULL: unknown */
  } cases[] = {
      {"10.1.0.0", "DE"},      {"10.1.255.255", "DE"}, {"10.2.3.4", "BR"},
      {"::ffff:10.2.3.4", "BR"}, {"2001:db8::1", "JP"}, {"2001:db8:ffff:ffff::", "JP"},
      {"10.0.255.255", NULL},  {"10.5.0.1", NULL},     {"127.0.0.1", NULL},
      {"2001:db9::1", NULL},   {"::1", NULL},
      {"10.3.0.1", NULL}, /* a code of three letters */
      {"10.4.0.1", NULL}, /* lowercase: not an ISO 3166-1 alpha-2 code as databases write them */
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    char iso[3] = "??";
    const char *got = country_of(g, cases[i].address, iso);
    if (!cases[i].iso != !got || (got && strcmp(got, cases[i].iso) != 0))
      fail_msg("%s: got %s, want %s", cases[i].address, got ? got : "unknown",
               cases[i].iso ? cases[i].iso : "unknown");
    if (!got) assert_string_equal(iso, "");
  }
  ps_geoip_close(g);
  ps_geoip_close(NULL);
}

static void refused_files(void **state) {
  (void)state;
  char error[256] = "";
  ps_geoip *g = (ps_geoip *)1;
  assert_int_equal(ps_geoip_open("/nonexistent/playstat.mmdb", &g, error, sizeof error), PS_EINVAL);
  assert_null(g);
  assert_non_null(strstr(error, "/nonexistent/playstat.mmdb"));
  assert_non_null(strstr(error, "No such file"));
  char junk[sizeof db_path + 8];
  snprintf(junk, sizeof junk, "%s.junk", db_path);
  FILE *f = fopen(junk, "w");
  assert_non_null(f);
  fputs("not a MaxMind DB at all\n", f);
  fclose(f);
  error[0] = '\0';
  assert_int_equal(ps_geoip_open(junk, &g, error, sizeof error), PS_EINVAL);
  assert_null(g);
  assert_non_null(strstr(error, junk));
  assert_true(strlen(error) > strlen(junk) + 2);
  unlink(junk);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(lookups), cmocka_unit_test(refused_files)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
