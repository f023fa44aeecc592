/*
 * target.c: see target.h. Dispatches a URL to its backend (file: or s3:), checks keys, and
 * stages an object's bytes (buffered, SHA-256 on the way when the backend wants it) into the
 * staging file its backend opened; commit flushes and hands the staged object to the backend.
 * Every failure is returned with a sentence; nothing here ever sees a secret.
 */
#include "export/target.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/utf8.h"
#include "export/target_internal.h"

void ps_target_why(char *why, size_t why_cap, const char *fmt, ...) {
  if (!why || !why_cap) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, why_cap, fmt, ap);
  va_end(ap);
}

char *ps_target_strndup(const char *text, size_t len) {
  char *copy = malloc(len + 1);
  if (!copy) return NULL;
  memcpy(copy, text, len);
  copy[len] = '\0';
  return copy;
}

static int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char *ps_target_percent_decode(const char *text, size_t len) {
  char *out = malloc(len + 1);
  if (!out) return NULL;
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    if (text[i] != '%') {
      out[n++] = text[i];
      continue;
    }
    int hi = i + 2 < len ? hex_value(text[i + 1]) : -1;
    int lo = i + 2 < len ? hex_value(text[i + 2]) : -1;
    if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
      free(out);
      return NULL;
    }
    out[n++] = (char)(hi * 16 + lo);
    i += 2;
  }
  out[n] = '\0';
  return out;
}

int ps_target_check_key(const char *path, const char *what, char *why, size_t why_cap) {
  size_t len = path ? strlen(path) : 0;
  if (len == 0) {
    ps_target_why(why, why_cap, "the %s is empty", what);
    return PS_EINVAL;
  }
  if (len > PS_TARGET_KEY_MAX) {
    ps_target_why(why, why_cap, "the %s is longer than %d bytes", what, PS_TARGET_KEY_MAX);
    return PS_EINVAL;
  }
  const unsigned char *p = (const unsigned char *)path, *end = p + len;
  while (p < end) {
    size_t n = ps_utf8_sequence(p, end);
    if (n == 0 || *p < 0x20 || *p == 0x7f) {
      ps_target_why(why, why_cap, "the %s \"%s\" is not UTF-8 text without control characters",
                    what, path);
      return PS_EINVAL;
    }
    p += n;
  }
  if (path[0] == '/') {
    ps_target_why(why, why_cap, "the %s \"%s\" starts with '/' (it must be relative)", what, path);
    return PS_EINVAL;
  }
  const char *segment = path;
  for (;;) {
    const char *slash = strchr(segment, '/');
    size_t n = slash ? (size_t)(slash - segment) : strlen(segment);
    if (n == 0 || (n == 1 && segment[0] == '.') ||
        (n == 2 && segment[0] == '.' && segment[1] == '.')) {
      ps_target_why(why, why_cap,
                    "the %s \"%s\" has an empty, \".\" or \"..\" segment (segments are "
                    "separated by one '/', none is empty, \".\" or \"..\")",
                    what, path);
      return PS_EINVAL;
    }
    if (!slash) break;
    segment = slash + 1;
  }
  return PS_OK;
}

int ps_target_write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return PS_EIO;
    }
    p += n;
    len -= (size_t)n;
  }
  return PS_OK;
}

int ps_target_open(const char *url, ps_export_target **out, char *why, size_t why_cap) {
  *out = NULL;
  if (!url || !*url) {
    ps_target_why(why, why_cap, "no export URL (file:DIR or s3://BUCKET/PREFIX)");
    return PS_EINVAL;
  }
  ps_export_target *t = calloc(1, sizeof *t);
  if (!t) {
    ps_target_why(why, why_cap, "out of memory");
    return PS_ENOMEM;
  }
  int rc;
  if (strncmp(url, "file:", 5) == 0) {
    rc = ps_target_file_open(url + 5, t, why, why_cap);
  } else if (strncmp(url, "s3://", 5) == 0) {
    rc = ps_target_s3_open(url + 5, t, why, why_cap);
  } else {
    ps_target_why(why, why_cap,
                  "the export URL must start with file: (a folder) or s3:// (a bucket)");
    rc = PS_EINVAL;
  }
  if (rc != PS_OK) {
    free(t->display);
    free(t);
    return rc;
  }
  *out = t;
  return PS_OK;
}

void ps_target_close(ps_export_target *t) {
  if (!t) return;
  if (t->backend && t->backend->close) t->backend->close(t->state);
  free(t->display);
  free(t);
}

const char *ps_target_display(const ps_export_target *t) { return t ? t->display : ""; }

static void free_object(ps_target_object *o) {
  if (o->sha256) EVP_MD_CTX_free(o->sha256);
  free(o->staging_path);
  free(o->key);
  free(o->content_type);
  free(o);
}

int ps_target_begin(ps_export_target *t, const char *key, const char *content_type,
                    ps_target_object **out) {
  *out = NULL;
  if (!t || ps_target_check_key(key, "object key", NULL, 0) != PS_OK) return PS_EINVAL;
  for (const char *c = content_type; c && *c; c++)
    if ((unsigned char)*c < 0x20 || *c == 0x7f) return PS_EINVAL; /* a header's value */
  ps_target_object *o = malloc(sizeof *o);
  if (!o) return PS_ENOMEM;
  memset(o, 0, offsetof(ps_target_object, buffer));
  o->target = t;
  o->fd = -1;
  o->key = strdup(key);
  o->content_type = strdup(content_type && *content_type ? content_type
                                                          : "application/octet-stream");
  if (!o->key || !o->content_type) {
    free_object(o);
    return PS_ENOMEM;
  }
  int rc = t->backend->begin(o);
  if (rc != PS_OK) {
    free_object(o);
    return rc;
  }
  *out = o;
  return PS_OK;
}

static int flush_buffer(ps_target_object *o) {
  if (o->buffered == 0) return PS_OK;
  int rc = ps_target_write_all(o->fd, o->buffer, o->buffered);
  o->buffered = 0;
  if (rc != PS_OK) o->failed = 1;
  return rc;
}

int ps_target_write(ps_target_object *o, const void *data, size_t len) {
  if (!o || (len && !data)) return PS_EINVAL;
  if (o->failed) return PS_EIO;
  if (o->sha256 && len && EVP_DigestUpdate(o->sha256, data, len) != 1) {
    o->failed = 1;
    return PS_EIO;
  }
  o->bytes += (int64_t)len;
  const unsigned char *p = data;
  while (len) {
    size_t room = sizeof o->buffer - o->buffered;
    if (o->buffered == 0 && len >= sizeof o->buffer) {
      int rc = ps_target_write_all(o->fd, p, len);
      if (rc != PS_OK) o->failed = 1;
      return rc;
    }
    size_t n = len < room ? len : room;
    memcpy(o->buffer + o->buffered, p, n);
    o->buffered += n;
    p += n;
    len -= n;
    if (o->buffered == sizeof o->buffer) {
      int rc = flush_buffer(o);
      if (rc != PS_OK) return rc;
    }
  }
  return PS_OK;
}

int ps_target_commit(ps_target_object *o, int64_t *bytes, char *why, size_t why_cap) {
  if (bytes) *bytes = 0;
  if (!o) {
    ps_target_why(why, why_cap, "no object");
    return PS_EINVAL;
  }
  int rc = o->failed ? PS_EIO : flush_buffer(o);
  if (rc != PS_OK) {
    ps_target_why(why, why_cap, "%s: staging the object %s failed: %s",
                  o->target->display, o->key, strerror(errno));
    o->target->backend->abort(o);
  } else {
    rc = o->target->backend->commit(o, why, why_cap);
    if (rc == PS_OK && bytes) *bytes = o->bytes;
    if (rc != PS_OK) o->target->backend->abort(o);
  }
  free_object(o);
  return rc;
}

void ps_target_abort(ps_target_object *o) {
  if (!o) return;
  o->target->backend->abort(o);
  free_object(o);
}
