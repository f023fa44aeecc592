/*
 * fuzz_static.c: libFuzzer target for the dashboard's path resolution (http/static.h) as the
 * server runs it: the request path decoded by ps_http_unescape() (http/framing.h), then
 * ps_static_resolve() over a small tree made once in a temp dir:
 *   T/web/index.html, T/web/js/app.js, T/web/out -> ../secret.txt (a symlink leaving the root),
 *   T/node_modules/uplot/dist/uPlot.js, T/node_modules/uplot/package.json, T/secret.txt.
 * Checked on every input: a path with a NUL cut (the decoder must never make one), "%", a
 * backslash, a control character, an empty segment or a dot segment is refused (PS_EINVAL);
 * a resolved file is a regular file strictly inside its root and never T/secret.txt or the
 * vendor package's package.json (only <pkg>/dist/ is served).
 * Run: CC=clang cmake -S . -B build-fuzz -DPLAYSTAT_FUZZ=ON && cmake --build build-fuzz
 *      --target fuzz_static && build-fuzz/fuzz/fuzz_static fuzz/corpus/static
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "http/framing.h"
#include "http/static.h"

static char web[PATH_MAX], vendor[PATH_MAX], secret[PATH_MAX];
static ps_static_roots roots;

static void put(const char *base, const char *rel, const char *text) {
  char file[PATH_MAX];
  snprintf(file, sizeof file, "%s/%s", base, rel);
  for (char *p = file + strlen(base) + 1; (p = strchr(p, '/')); p++) {
    *p = '\0';
    mkdir(file, 0755);
    *p = '/';
  }
  FILE *f = fopen(file, "w");
  if (!f) abort();
  fputs(text, f);
  fclose(f);
}

static void setup(void) {
  char base[] = "/tmp/fuzz_static.XXXXXX", real[PATH_MAX], link[PATH_MAX + 16];
  if (!mkdtemp(base) || !realpath(base, real)) abort();
  put(real, "web/index.html", "<html>");
  put(real, "web/js/app.js", "app");
  put(real, "node_modules/uplot/dist/uPlot.js", "uplot");
  put(real, "node_modules/uplot/package.json", "{}");
  put(real, "secret.txt", "SECRET");
  snprintf(link, sizeof link, "%s/web/out", real);
  if (symlink("../secret.txt", link) != 0) abort();
  snprintf(secret, sizeof secret, "%s/secret.txt", real);
  char dir[PATH_MAX + 8];
  snprintf(dir, sizeof dir, "%s/web", real);
  if (ps_static_roots_init(dir, web, vendor, PATH_MAX, &roots) != PS_OK || !roots.vendor) abort();
}

static int refused_shape(const char *path) {
  if (path[0] != '/') return 1;
  for (const char *p = path; *p; p++)
    if (*p == '%' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f) return 1;
  for (const char *seg = path + 1; *seg;) {
    const char *end = strchr(seg, '/');
    if (seg[0] == '.' || end == seg) return 1;
    if (!end) break;
    seg = end + 1;
  }
  return 0;
}

static int under(const char *file, const char *root) {
  size_t n = strlen(root);
  return strncmp(file, root, n) == 0 && file[n] == '/' && file[n + 1];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!roots.web) setup();
  if (size > 4096 || memchr(data, 0, size)) return 0; /* MHD hands us a C string */
  char path[4097], out[PATH_MAX];
  memcpy(path, data, size);
  path[size] = '\0';
  size_t n = ps_http_unescape(path);
  if (n != strlen(path) || n > size) abort(); /* no NUL made, never longer */
  int rc = ps_static_resolve(&roots, path, out, sizeof out);
  if (refused_shape(path) && rc != PS_EINVAL) abort();
  if (rc == PS_OK) {
    struct stat st;
    if (!under(out, roots.web) && !under(out, roots.vendor)) abort();
    if (stat(out, &st) != 0 || !S_ISREG(st.st_mode)) abort();
    if (strcmp(out, secret) == 0) abort();
    if (under(out, roots.vendor) && !strstr(out, "/dist/")) abort();
  }
  return 0;
}
