/*
 * static.c: the dashboard's files under GET / (see static.h for the rules). Files are read
 * whole into memory (they are small) and answered with their Content-Type,
 * Cache-Control: no-cache (a browser revalidates, so a new playstat's dashboard shows at
 * once) and X-Content-Type-Options: nosniff; HTML pages also carry a Content-Security-Policy
 * that allows only this server's own scripts, styles and API, since they hold an API token.
 */
#include "http/static.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"

/* npm packages served under /vendor/<name>/: the files of <name>/<dir>/. */
static const struct {
  const char *name, *dir;
} vendor_packages[] = {
    {"uplot", "uplot/dist"},
};

static const struct {
  const char *ext, *type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".txt", "text/plain; charset=utf-8"},
    {".woff2", "font/woff2"},
};

const char *ps_static_content_type(const char *name) {
  const char *dot = strrchr(name, '.');
  const char *slash = strrchr(name, '/');
  if (dot && (!slash || dot > slash))
    for (size_t i = 0; i < sizeof content_types / sizeof *content_types; i++)
      if (strcmp(dot, content_types[i].ext) == 0) return content_types[i].type;
  return "application/octet-stream";
}

/* 1 when path may name a file: see static.h for what is refused. */
static int path_allowed(const char *path) {
  if (path[0] != '/') return 0;
  for (const char *p = path; *p; p++)
    if (*p == '%' || *p == '\\' || (unsigned char)*p < 0x20 || *p == 0x7f) return 0;
  for (const char *seg = path + 1; *seg;) {
    const char *end = strchr(seg, '/');
    if (seg[0] == '.' || (end == seg)) return 0; /* ".", "..", dotfiles, "//" */
    if (!end) break;
    seg = end + 1;
  }
  return 1;
}

/* Writes the real path of root/rel into out when it is a regular file inside root (itself a
 * real path). Returns 0, PS_ENOTFOUND or PS_ETOOBIG. */
static int inside(const char *root, const char *rel, char *out, size_t cap) {
  char joined[PATH_MAX], real[PATH_MAX];
  struct stat st;
  int n = snprintf(joined, sizeof joined, "%s/%s", root, rel);
  if (n < 0 || (size_t)n >= sizeof joined) return PS_ETOOBIG;
  if (!realpath(joined, real)) return PS_ENOTFOUND;
  size_t rlen = strlen(root);
  if (strncmp(real, root, rlen) != 0 || real[rlen] != '/') return PS_ENOTFOUND;
  if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) return PS_ENOTFOUND;
  if (strlen(real) + 1 > cap) return PS_ETOOBIG;
  memcpy(out, real, strlen(real) + 1);
  return PS_OK;
}

int ps_static_resolve(const ps_static_roots *roots, const char *path, char *out, size_t cap) {
  if (!path_allowed(path)) return PS_EINVAL;
  char rel[PATH_MAX];
  size_t len = strlen(path);
  if (len + sizeof "index.html" > sizeof rel) return PS_ENOTFOUND;
  /* "/" and "/dir/" are their index.html. */
  snprintf(rel, sizeof rel, "%s%s", path + 1, path[len - 1] == '/' ? "index.html" : "");
  if (strncmp(rel, "vendor/", 7) == 0) {
    const char *pkg = rel + 7, *slash = strchr(pkg, '/');
    if (!roots->vendor || !slash) return PS_ENOTFOUND;
    for (size_t i = 0; i < sizeof vendor_packages / sizeof *vendor_packages; i++) {
      const char *name = vendor_packages[i].name;
      if (strlen(name) != (size_t)(slash - pkg) || strncmp(pkg, name, strlen(name)) != 0)
        continue;
      char in_pkg[PATH_MAX];
      int n = snprintf(in_pkg, sizeof in_pkg, "%s/%s", vendor_packages[i].dir, slash + 1);
      if (n < 0 || (size_t)n >= sizeof in_pkg) return PS_ENOTFOUND;
      return inside(roots->vendor, in_pkg, out, cap);
    }
    return PS_ENOTFOUND;
  }
  if (!roots->web) return PS_ENOTFOUND;
  return inside(roots->web, rel, out, cap);
}

int ps_static_roots_init(const char *web_dir, char *web, char *vendor, size_t cap,
                         ps_static_roots *roots) {
  char real[PATH_MAX], modules[PATH_MAX + 32];
  struct stat st;
  roots->web = roots->vendor = NULL;
  if (!realpath(web_dir, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode) ||
      strlen(real) + 1 > cap)
    return PS_ENOTFOUND;
  memcpy(web, real, strlen(real) + 1);
  roots->web = web;
  snprintf(modules, sizeof modules, "%s/../node_modules", web);
  if (realpath(modules, real) && stat(real, &st) == 0 && S_ISDIR(st.st_mode) &&
      strlen(real) + 1 <= cap) {
    memcpy(vendor, real, strlen(real) + 1);
    roots->vendor = vendor;
  }
  return PS_OK;
}

/* 1 when dir holds an index.html; its real path is then in out. */
static int has_index(const char *dir, char *out, size_t cap) {
  char index[PATH_MAX + 16], real[PATH_MAX];
  snprintf(index, sizeof index, "%s/index.html", dir);
  if (access(index, R_OK) != 0 || !realpath(dir, real) || strlen(real) + 1 > cap) return 0;
  memcpy(out, real, strlen(real) + 1);
  return 1;
}

int ps_static_find_web_root(const char *compile_time_dir, char *out, size_t cap) {
  char exe[PATH_MAX], beside[PATH_MAX + 16];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(beside, sizeof beside, "%s/../web", exe);
    if (has_index(beside, out, cap)) return PS_OK;
  }
  if (compile_time_dir && has_index(compile_time_dir, out, cap)) return PS_OK;
  return PS_ENOTFOUND;
}

/* Reads a whole regular file of at most PS_STATIC_MAX_FILE bytes; *data malloc'd. */
static int read_file(const char *file, char **data, size_t *len) {
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return PS_ENOTFOUND;
  int rc = PS_EIO;
  char *buf = NULL;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) goto out;
  rc = PS_ETOOBIG;
  if ((unsigned long long)st.st_size > PS_STATIC_MAX_FILE) goto out;
  rc = PS_ENOMEM;
  if (!(buf = malloc((size_t)st.st_size + 1))) goto out;
  size_t got = 0;
  rc = PS_EIO;
  while (got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
    if (r <= 0) goto out;
    got += (size_t)r;
  }
  *data = buf;
  *len = got;
  buf = NULL;
  rc = PS_OK;
out:
  free(buf);
  close(fd);
  return rc;
}

void ps_static_respond(ps_request *req, const ps_static_roots *roots) {
  char file[PATH_MAX];
  int rc = ps_static_resolve(roots, ps_request_path(req), file, sizeof file);
  if (rc == PS_EINVAL) {
    ps_request_respond_error(req, 400, "bad_request",
                             "this path is not allowed (see docs/http-api.md, Dashboard)");
    return;
  }
  char *data = NULL;
  size_t len = 0;
  if (rc == PS_OK) rc = read_file(file, &data, &len);
  if (rc == PS_ENOTFOUND || rc == PS_ETOOBIG) {
    ps_request_respond_error(req, 404, "not_found",
                             roots->web ? "no such file"
                                        : "no such file (the dashboard's directory was not "
                                          "found: start playstat serve with --web DIR)");
    return;
  }
  if (rc != PS_OK) {
    ps_request_respond_error(req, 503, "unavailable", "the file could not be read, retry later");
    return;
  }
  const char *type = ps_static_content_type(file);
  ps_request_add_header(req, "Cache-Control", "no-cache");
  ps_request_add_header(req, "X-Content-Type-Options", "nosniff");
  if (strncmp(type, "text/html", 9) == 0) {
    ps_request_add_header(req, "Content-Security-Policy",
                          "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                          "base-uri 'none'; frame-ancestors 'none'");
    ps_request_add_header(req, "Referrer-Policy", "no-referrer");
  }
  ps_request_respond_owned(req, 200, type, data, len, 0);
}
