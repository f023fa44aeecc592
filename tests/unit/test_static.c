/* test_static.c: the dashboard's file mapping (http/static.h) over a scratch directory:
 * index.html for "/" and "dir/", /vendor/<pkg>/ from node_modules/<pkg>/dist, refused paths
 * ("..", dotfiles, "%", backslash, empty segments), symlinks out of a root, content types,
 * and how the web root is found. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "http/static.h"

static char base[PATH_MAX];

static void put(const char *rel, const char *text) {
  char path[PATH_MAX * 2];
  snprintf(path, sizeof path, "%s/%s", base, rel);
  for (char *p = path + strlen(base) + 1; *p; p++) /* parent directories */
    if (*p == '/') {
      *p = '\0';
      mkdir(path, 0755);
      *p = '/';
    }
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state) {
  snprintf(base, sizeof base, "/tmp/playstat-static-XXXXXX");
  assert_non_null(mkdtemp(base));
  char real[PATH_MAX];
  assert_non_null(realpath(base, real));
  snprintf(base, sizeof base, "%s", real);
  put("web/index.html", "<!doctype html>");
  put("web/js/app.js", "export {};");
  put("web/docs/index.html", "docs");
  put("web/.secret", "hidden");
  put("secret.txt", "outside");
  put("node_modules/uplot/dist/uPlot.esm.js", "export default 1;");
  put("node_modules/uplot/package.json", "{}");
  put("node_modules/other/dist/x.js", "x");
  char link[PATH_MAX + 32];
  snprintf(link, sizeof link, "%s/web/link.txt", base);
  assert_int_equal(symlink("../secret.txt", link), 0);
  return 0;
}

static int teardown(void **state) {
  char cmd[PATH_MAX + 16];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  return system(cmd) == 0 ? 0 : -1;
}

static ps_static_roots roots;
static char web[PATH_MAX], vendor[PATH_MAX];

static void init_roots(void) {
  char dir[PATH_MAX + 8];
  snprintf(dir, sizeof dir, "%s/web", base);
  assert_int_equal(ps_static_roots_init(dir, web, vendor, sizeof web, &roots), PS_OK);
}

/* Asserts path resolves to base/expected_rel. */
static void assert_serves(const char *path, const char *expected_rel) {
  char out[PATH_MAX], want[PATH_MAX * 2];
  snprintf(want, sizeof want, "%s/%s", base, expected_rel);
  assert_int_equal(ps_static_resolve(&roots, path, out, sizeof out), PS_OK);
  assert_string_equal(out, want);
}

static void serves_files_and_indexes(void **state) {
  init_roots();
  assert_non_null(roots.vendor);
  assert_serves("/", "web/index.html");
  assert_serves("/index.html", "web/index.html");
  assert_serves("/js/app.js", "web/js/app.js");
  assert_serves("/docs/", "web/docs/index.html");
  assert_serves("/vendor/uplot/uPlot.esm.js", "node_modules/uplot/dist/uPlot.esm.js");
}

static void refuses_traversal_and_odd_paths(void **state) {
  init_roots();
  char out[PATH_MAX];
  static const char *const refused[] = {
      "/../secret.txt", "/js/../index.html", "/..", "/./index.html", "/.secret",
      "/%2e%2e/secret.txt", "/%252e%252e/secret.txt", "/js%2fapp.js", "/js\\..\\index.html",
      "//etc/passwd", "/js//app.js", "/vendor/uplot/../package.json", "/a\x01", "index.html",
  };
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    int rc = ps_static_resolve(&roots, refused[i], out, sizeof out);
    if (rc != PS_EINVAL) fail_msg("%s: expected PS_EINVAL, got %d", refused[i], rc);
  }
}

static void missing_is_not_found(void **state) {
  init_roots();
  char out[PATH_MAX];
  static const char *const missing[] = {
      "/nope.js", "/js", "/js/", "/link.txt", "/vendor/uplot/package.json",
      "/vendor/other/x.js", "/vendor/uplot", "/vendor/", "/docs/index.html/x",
  };
  for (size_t i = 0; i < sizeof missing / sizeof *missing; i++) {
    int rc = ps_static_resolve(&roots, missing[i], out, sizeof out);
    if (rc != PS_ENOTFOUND) fail_msg("%s: expected PS_ENOTFOUND, got %d", missing[i], rc);
  }
  ps_static_roots none = {NULL, NULL};
  assert_int_equal(ps_static_resolve(&none, "/", out, sizeof out), PS_ENOTFOUND);
  assert_int_equal(ps_static_resolve(&none, "/vendor/uplot/uPlot.esm.js", out, sizeof out),
                   PS_ENOTFOUND);
}

static void content_types(void **state) {
  assert_string_equal(ps_static_content_type("/a/index.html"), "text/html; charset=utf-8");
  assert_string_equal(ps_static_content_type("app.js"), "text/javascript; charset=utf-8");
  assert_string_equal(ps_static_content_type("x.mjs"), "text/javascript; charset=utf-8");
  assert_string_equal(ps_static_content_type("uPlot.min.css"), "text/css; charset=utf-8");
  assert_string_equal(ps_static_content_type("a.json"), "application/json");
  assert_string_equal(ps_static_content_type("logo.svg"), "image/svg+xml");
  assert_string_equal(ps_static_content_type("a.png"), "image/png");
  assert_string_equal(ps_static_content_type("favicon.ico"), "image/x-icon");
  assert_string_equal(ps_static_content_type("README"), "application/octet-stream");
  assert_string_equal(ps_static_content_type("dir.js/file"), "application/octet-stream");
  assert_string_equal(ps_static_content_type("x.exe"), "application/octet-stream");
}

static void roots_and_web_root_lookup(void **state) {
  char dir[PATH_MAX + 8], out[PATH_MAX];
  ps_static_roots r;
  snprintf(dir, sizeof dir, "%s/nope", base);
  assert_int_equal(ps_static_roots_init(dir, web, vendor, sizeof web, &r), PS_ENOTFOUND);
  snprintf(dir, sizeof dir, "%s/web/js", base); /* no node_modules beside it */
  assert_int_equal(ps_static_roots_init(dir, web, vendor, sizeof web, &r), PS_OK);
  assert_null(r.vendor);
  /* Not beside this test binary: the compile-time directory is the fallback. */
  snprintf(dir, sizeof dir, "%s/web/./", base);
  assert_int_equal(ps_static_find_web_root(dir, out, sizeof out), PS_OK);
  snprintf(dir, sizeof dir, "%s/web", base);
  assert_string_equal(out, dir);
  snprintf(dir, sizeof dir, "%s/web/js", base); /* no index.html */
  assert_int_equal(ps_static_find_web_root(dir, out, sizeof out), PS_ENOTFOUND);
  assert_int_equal(ps_static_find_web_root(NULL, out, sizeof out), PS_ENOTFOUND);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(serves_files_and_indexes),
      cmocka_unit_test(refuses_traversal_and_odd_paths),
      cmocka_unit_test(missing_is_not_found),
      cmocka_unit_test(content_types),
      cmocka_unit_test(roots_and_web_root_lookup),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
