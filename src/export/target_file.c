/*
 * target_file.c: the file: export target, a local folder. An object is written to a hidden
 * temporary file beside its final name (".NAME.tmp-XXXXXX", same folder, so the same file
 * system), fsync'ed, renamed over the key's file (atomic: a reader sees the old object or the
 * new one, never part of one) and the folder fsync'ed, so that commit() returning 0 means the
 * object survives a crash. Abort and failed commits remove the temporary file; the
 * temporary files a crashed writer left beside a key are removed once that key is committed
 * again (an export after a crash rewrites the object it was writing).
 *
 * URL forms: file:DIR (DIR as given, relative to the working directory or absolute) and
 * file:///abs/dir (or file://localhost/abs/dir; percent-escapes decoded). The folder is made
 * when missing (with its parents) and must be writable; display() is "file:" and its real path.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "export/target_internal.h"

typedef struct file_state {
  char *root; /* absolute, no trailing '/' */
} file_state;

/* mkdir -p path (absolute). */
static int make_folders(char *path) {
  if (path[0] == '\0') return PS_OK; /* the root folder "/" (an empty prefix) */
  for (char *p = path + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char saved = *p;
      *p = '\0';
      int rc = mkdir(path, 0755);
      int err = errno;
      *p = saved;
      if (rc != 0 && err != EEXIST) {
        errno = err;
        return PS_EIO;
      }
      if (saved == '\0') break;
    }
  }
  struct stat st;
  if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (errno == 0) errno = ENOTDIR;
    return PS_EIO;
  }
  return PS_OK;
}

static int fsync_folder(const char *path) {
  int fd = open(path[0] ? path : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return PS_EIO;
  int rc = fsync(fd) == 0 ? PS_OK : PS_EIO;
  close(fd);
  return rc;
}

static void file_close(void *state) {
  file_state *s = state;
  if (!s) return;
  free(s->root);
  free(s);
}

/* The key's final path under the root; its folder part in *folder_len. */
static char *final_path(const file_state *s, const char *key, size_t *folder_len) {
  size_t n = strlen(s->root) + 1 + strlen(key) + 1;
  char *path = malloc(n);
  if (!path) return NULL;
  snprintf(path, n, "%s/%s", s->root, key);
  *folder_len = (size_t)(strrchr(path, '/') - path);
  return path;
}

static int file_begin(ps_target_object *o) {
  file_state *s = o->target->state;
  size_t folder_len;
  char *path = final_path(s, o->key, &folder_len);
  if (!path) return PS_ENOMEM;
  path[folder_len] = '\0';
  int rc = make_folders(path);
  if (rc != PS_OK) {
    free(path);
    return rc;
  }
  const char *name = path + folder_len + 1;
  size_t n = folder_len + strlen(name) + 16;
  char *tmp = malloc(n);
  if (!tmp) {
    free(path);
    return PS_ENOMEM;
  }
  snprintf(tmp, n, "%s/.%s.tmp-XXXXXX", path, name);
  free(path);
  int fd = mkstemp(tmp);
  if (fd < 0) {
    free(tmp);
    return PS_EIO;
  }
  o->fd = fd;
  o->staging_path = tmp;
  return PS_OK;
}

/* Removes ".NAME.tmp-XXXXXX" files in folder: what writers of NAME that crashed left. */
static void remove_stale_staging(const char *folder, const char *name) {
  DIR *d = opendir(folder);
  if (!d) return;
  size_t n = strlen(name);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    const char *f = e->d_name;
    if (f[0] == '.' && strncmp(f + 1, name, n) == 0 && strncmp(f + 1 + n, ".tmp-", 5) == 0 &&
        strlen(f + 1 + n + 5) == 6)
      unlinkat(dirfd(d), f, 0);
  }
  closedir(d);
}

static int file_commit(ps_target_object *o, char *why, size_t why_cap) {
  file_state *s = o->target->state;
  size_t folder_len;
  char *path = final_path(s, o->key, &folder_len);
  if (!path) {
    ps_target_why(why, why_cap, "out of memory");
    return PS_ENOMEM;
  }
  const char *step = "fsync";
  int ok = fchmod(o->fd, 0644) == 0 && fsync(o->fd) == 0;
  if (ok) {
    step = "close";
    ok = close(o->fd) == 0;
    o->fd = -1;
  }
  if (ok) {
    step = "rename";
    ok = rename(o->staging_path, path) == 0;
  }
  if (ok) {
    free(o->staging_path);
    o->staging_path = NULL;
    path[folder_len] = '\0';
    remove_stale_staging(path, path + folder_len + 1);
    step = "fsync of the folder";
    ok = fsync_folder(path) == PS_OK;
  }
  if (!ok)
    ps_target_why(why, why_cap, "%s: storing %s failed (%s): %s", o->target->display, o->key,
                  step, strerror(errno));
  free(path);
  return ok ? PS_OK : PS_EIO;
}

static void file_abort(ps_target_object *o) {
  if (o->fd >= 0) close(o->fd);
  o->fd = -1;
  if (o->staging_path) unlink(o->staging_path);
  free(o->staging_path);
  o->staging_path = NULL;
}

static const ps_target_backend file_backend = {
    .scheme = "file",
    .begin = file_begin,
    .commit = file_commit,
    .abort = file_abort,
    .close = file_close,
};

/* The folder named by what follows "file:", as a malloc'd path (not yet absolute). */
static char *folder_of(const char *rest, char *why, size_t why_cap) {
  if (strncmp(rest, "//", 2) != 0) {
    if (!*rest) ps_target_why(why, why_cap, "file: names no folder (file:DIR or file:///abs/dir)");
    return *rest ? strdup(rest) : NULL;
  }
  const char *authority = rest + 2, *path = strchr(authority, '/');
  size_t authority_len = path ? (size_t)(path - authority) : strlen(authority);
  if (!path || !(authority_len == 0 || (authority_len == 9 && !strncmp(authority, "localhost", 9)))) {
    ps_target_why(why, why_cap,
                  "a file:// URL names a folder of this machine: file:///abs/dir (or file:DIR)");
    return NULL;
  }
  char *decoded = ps_target_percent_decode(path, strlen(path));
  if (!decoded) ps_target_why(why, why_cap, "the file:// URL has a malformed %% escape");
  return decoded;
}

int ps_target_file_open(const char *rest, ps_export_target *t, char *why, size_t why_cap) {
  char *folder = folder_of(rest, why, why_cap);
  if (!folder) return PS_EINVAL;
  char *absolute = folder;
  if (folder[0] != '/') {
    char cwd[PATH_MAX];
    size_t n = strlen(folder) + sizeof cwd + 2;
    absolute = getcwd(cwd, sizeof cwd) ? malloc(n) : NULL;
    if (absolute) snprintf(absolute, n, "%s/%s", cwd, folder);
    free(folder);
    if (!absolute) {
      ps_target_why(why, why_cap, "the working directory cannot be read");
      return PS_EIO;
    }
  }
  int rc = make_folders(absolute);
  char *real = rc == PS_OK ? realpath(absolute, NULL) : NULL;
  if (!real || access(real, W_OK | X_OK) != 0) {
    ps_target_why(why, why_cap, "the export folder %s cannot be made or written: %s", absolute,
                  strerror(errno));
    free(real);
    free(absolute);
    return PS_EIO;
  }
  free(absolute);
  file_state *s = calloc(1, sizeof *s);
  size_t n = strlen(real) + 6;
  t->display = malloc(n);
  if (!s || !t->display) {
    free(s);
    free(real);
    ps_target_why(why, why_cap, "out of memory");
    return PS_ENOMEM;
  }
  snprintf(t->display, n, "file:%s", real);
  s->root = real;
  if (strcmp(s->root, "/") == 0) s->root[0] = '\0'; /* keys then join as "/key" */
  t->backend = &file_backend;
  t->state = s;
  return PS_OK;
}
