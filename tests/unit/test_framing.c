/* test_framing.c: the framing rules the HTTP layer adds to libmicrohttpd (http/framing.h) and
 * the access log's line format (http/access_log.h): what each refuses, and that no secret
 * reaches a log line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/access_log.h"
#include "http/framing.h"

/* Feeds "name\0value\0..." pairs, ends at an empty name; returns the verdict. */
static const char *verdict_of(const char *const *headers) {
  ps_framing f = {0};
  for (size_t i = 0; headers[i]; i += 2) ps_framing_add(&f, headers[i], headers[i + 1]);
  return ps_framing_verdict(&f);
}

static void framing_verdicts(void **state) {
  (void)state;
  const char *ok1[] = {"Host", "x", "Content-Length", "12", NULL};
  const char *ok2[] = {"content-length", "12", "Content-Length", "12", NULL}; /* equal: one */
  const char *ok3[] = {"Transfer-Encoding", "chunked", NULL};
  const char *ok4[] = {"Content-Length", " 7 ", NULL};
  const char *ok5[] = {"Content-Length", "0018446744073709551615", NULL}; /* 2^64 - 1 */
  const char *past[] = {"Content-Length", "18446744073709551616", NULL};
  assert_null(verdict_of(ok5));
  assert_non_null(verdict_of(past));
  assert_null(verdict_of(ok1));
  assert_null(verdict_of(ok2));
  assert_null(verdict_of(ok3));
  assert_null(verdict_of(ok4));
  const char *two[] = {"Content-Length", "2", "Content-Length", "3", NULL};
  const char *te_cl[] = {"Transfer-Encoding", "chunked", "Content-Length", "3", NULL};
  const char *cl_te[] = {"CONTENT-LENGTH", "3", "transfer-encoding", "gzip, chunked", NULL};
  const char *signed_cl[] = {"Content-Length", "+3", NULL};
  const char *list_cl[] = {"Content-Length", "3, 3", NULL};
  const char *empty_cl[] = {"Content-Length", "", NULL};
  const char *huge_cl[] = {"Content-Length", "99999999999999999999999", NULL};
  assert_non_null(verdict_of(two));
  assert_non_null(verdict_of(te_cl));
  assert_non_null(verdict_of(cl_te));
  assert_non_null(verdict_of(signed_cl));
  assert_non_null(verdict_of(list_cl));
  assert_non_null(verdict_of(empty_cl));
  assert_non_null(verdict_of(huge_cl));
}

static void unescape_keeps_nul_out(void **state) {
  (void)state;
  char a[] = "/index.html%00.js";
  assert_int_equal(ps_http_unescape(a), strlen("/index.html%00.js"));
  assert_string_equal(a, "/index.html%00.js");
  char b[] = "/a%20b%2Fc%2fd";
  assert_int_equal(ps_http_unescape(b), strlen("/a b/c/d"));
  assert_string_equal(b, "/a b/c/d");
  char c[] = "%%4%zz%4a%";
  ps_http_unescape(c);
  assert_string_equal(c, "%%4%zzJ%");
  char d[] = "%01%7f";
  assert_int_equal(ps_http_unescape(d), 2); /* control characters decode: static refuses them */
  assert_int_equal(d[0], 1);
}

static void access_line_has_no_secrets(void **state) {
  (void)state;
  const char *names[] = {"game_key", "sig nature"};
  ps_access_entry e = {.client = "127.0.0.1", .method = "POST", .path = "/v2/{}/events",
                       .path_is_pattern = 1, .query_names = names, .nquery = 2, .status = 200,
                       .bytes = 2, .micros = 153, .game_id = 12};
  char line[1024];
  ps_access_log_format(&e, 1764633502123LL, line, sizeof line);
  assert_string_equal(line, "2025-12-01T23:58:22.123Z 127.0.0.1 POST /v2/{}/events"
                            "?game_key=&sig%20nature= 200 2 153 12");
  e.path = "/a b\n2025 forged \"x\"";
  e.path_is_pattern = 0;
  e.nquery = 0;
  e.game_id = -1;
  ps_access_log_format(&e, 0, line, sizeof line);
  assert_string_equal(line, "1970-01-01T00:00:00.000Z 127.0.0.1 POST "
                            "/a%20b%0A2025%20forged%20%22x%22 200 2 153 -");
  char longpath[3000];
  memset(longpath, 'a', sizeof longpath - 1);
  longpath[sizeof longpath - 1] = '\0';
  e.path = longpath;
  char small[200];
  size_t n = ps_access_log_format(&e, 0, small, sizeof small);
  assert_true(n < sizeof small);
  assert_non_null(strstr(small, " 200 2 153 -")); /* the fields after a cut path survive */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(framing_verdicts),
      cmocka_unit_test(unescape_keeps_nul_out),
      cmocka_unit_test(access_line_has_no_secrets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
