/*
 * static.h: the dashboard's files, served by `playstat serve` under GET / (src/http/static.c).
 *
 * Two directories, fixed when the server starts:
 *   web root     (--web DIR)         every path: "/" and "/dir/" mean their index.html;
 *   vendor root  (WEB/../node_modules) "/vendor/<pkg>/<file>" for the npm packages the
 *                                     dashboard loads (uplot), from <pkg>/dist/<file>.
 * Only regular files inside a root are served, never a directory listing. A path is refused
 * (PS_EINVAL, answered 400) when it holds "%" (the server has already percent-decoded it
 * once, so "%" means a double encoding), a backslash, a control character, an empty segment
 * or a segment starting with "." (".", "..", dotfiles); a file whose real path (symlinks
 * resolved) leaves its root is not found.
 */
#ifndef PS_HTTP_STATIC_H
#define PS_HTTP_STATIC_H

#include <stddef.h>

#include "http/request.h"

/* The largest file served (the dashboard's largest, uPlot, is about 130 KiB). */
#define PS_STATIC_MAX_FILE (8u * 1024 * 1024)

typedef struct ps_static_roots {
  const char *web;    /* absolute, no trailing slash; NULL: no dashboard */
  const char *vendor; /* the node_modules directory; NULL: no /vendor/ */
} ps_static_roots;

/* Maps a request path (already percent-decoded by the HTTP layer) to the file that answers
 * it, written into out (cap bytes). Returns 0, PS_EINVAL for a refused path, PS_ENOTFOUND
 * when no file answers (missing, a directory, outside its root, no such root) or
 * PS_ETOOBIG when out is too small. Reads the file system (realpath) but opens nothing. */
int ps_static_resolve(const ps_static_roots *roots, const char *path, char *out, size_t cap);

/* The Content-Type of a file name by its extension (text types with charset=utf-8);
 * "application/octet-stream" when unknown. Never NULL. */
const char *ps_static_content_type(const char *name);

/* Finds the dashboard's directory when --web is not given: the first of
 * "<directory of the running executable>/../web" (build/playstat in a source tree, or an
 * installed bin/ beside web/) and compile_time_dir (the source tree the binary was built
 * from; NULL to skip) that holds an index.html. Writes its real path into out (cap bytes).
 * Returns 0 or PS_ENOTFOUND. */
int ps_static_find_web_root(const char *compile_time_dir, char *out, size_t cap);

/* Fills roots from a web directory (its real path into web, cap bytes each) and the
 * node_modules directory beside it (into vendor; roots->vendor NULL when there is none).
 * Returns 0 or PS_ENOTFOUND when web_dir is not a directory. */
int ps_static_roots_init(const char *web_dir, char *web, char *vendor, size_t cap,
                         ps_static_roots *roots);

/* Answers req (GET) with the file its path names under roots (ps_static_resolve): 200 with
 * the file, 400 for a refused path, 404 when no file answers, 503 when it cannot be read.
 * roots must outlive the answer. */
void ps_static_respond(ps_request *req, const ps_static_roots *roots);

#endif
