/*
 * target_internal.h: what target.c (URL parsing, key checks, staging) shares with the two
 * backends behind it, target_file.c (a local folder) and target_s3.c (an S3-compatible bucket).
 * Not part of the public interface (target.h).
 *
 * An object's bytes go through a small buffer into a staging file descriptor that the backend
 * opened at begin (file: a temporary file in the destination folder; s3: an unlinked temporary
 * file), so memory stays constant whatever the size. When the backend asks for it, the
 * SHA-256 of the payload is computed on the way (S3's x-amz-content-sha256).
 */
#ifndef PS_EXPORT_TARGET_INTERNAL_H
#define PS_EXPORT_TARGET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "common/buf.h"
#include "export/target.h"

#define PS_TARGET_STAGE_BUFFER (64 * 1024)
/* S3's limit on an object key, in bytes (prefix included). */
#define PS_TARGET_KEY_MAX 1024

typedef struct ps_target_backend {
  const char *scheme;
  /* Opens the object's staging file into o->fd (and anything else the backend keeps). */
  int (*begin)(ps_target_object *o);
  /* Stores the staged object (o->fd holds o->bytes bytes, flushed); does not free o. */
  int (*commit)(ps_target_object *o, char *why, size_t why_cap);
  /* Releases what begin made (temporary files included); does not free o. */
  void (*abort)(ps_target_object *o);
  void (*close)(void *state);
} ps_target_backend;

struct ps_export_target {
  const ps_target_backend *backend;
  void *state;   /* the backend's own */
  char *display; /* without secrets */
};

struct ps_target_object {
  ps_export_target *target;
  char *key; /* as given to begin (validated) */
  char *content_type;
  int fd;             /* the staging file, -1 when none */
  char *staging_path; /* file backend: the temporary file's path; NULL otherwise */
  EVP_MD_CTX *sha256; /* when the backend wants the payload's digest; NULL otherwise */
  int64_t bytes;      /* staged so far (buffer included) */
  int failed;         /* a write failed: commit refuses */
  size_t buffered;
  unsigned char buffer[PS_TARGET_STAGE_BUFFER];
};

/* Writes all of data to fd (retrying short writes and EINTR): 0 or PS_EIO. */
int ps_target_write_all(int fd, const void *data, size_t len);
/* Sets why to the formatted sentence (truncated to why_cap). */
void ps_target_why(char *why, size_t why_cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A malloc'd copy of text[0..len), or NULL. */
char *ps_target_strndup(const char *text, size_t len);
/* Percent-decodes text[0..len) into a malloc'd string; NULL when malformed or out of memory. */
char *ps_target_percent_decode(const char *text, size_t len);
/* PS_OK when path is a valid relative '/'-separated key (see target.h): not empty, at most
 * PS_TARGET_KEY_MAX bytes, UTF-8 without control characters, no leading or trailing '/', no
 * empty, "." or ".." segment. Otherwise PS_EINVAL and a sentence in why. */
int ps_target_check_key(const char *path, const char *what, char *why, size_t why_cap);

/* Backends: parse the part of the URL after their scheme and make their state. */
int ps_target_file_open(const char *url, ps_export_target *t, char *why, size_t why_cap);
int ps_target_s3_open(const char *url, ps_export_target *t, char *why, size_t why_cap);

/* ---- S3: one signed request (target_s3.c), used by the multipart upload (s3_multipart.c) ---- */

typedef struct ps_s3_connection ps_s3_connection;

typedef struct ps_s3_request {
  const char *method;       /* "PUT", "POST" or "DELETE" */
  const char *query;        /* "" or already encoded, sorted ("partNumber=1&uploadId=...") */
  const char *content_type; /* NULL: no Content-Type header */
  /* The body: bytes [offset, offset + length) of fd when fd >= 0, else body[0..body_len). */
  int fd;
  int64_t offset, length;
  const char *body;
  size_t body_len;
  char sha256_hex[65]; /* the body's SHA-256 (x-amz-content-sha256) */
  /* The answer: */
  long status;
  char etag[128];
  char *answer; /* its first bytes (NUL-terminated, malloc'd; the caller frees) */
  size_t answer_len;
} ps_s3_request;

/* Sends r for the object o (signed; up to 3 tries on connection errors and 5xx). PS_OK on a 200
 * answer (a 204 too for DELETE); otherwise an error and a sentence naming the operation, the
 * status and S3's Code and Message (never a secret). `operation` names it in that sentence. */
int ps_s3_perform(ps_s3_connection *c, ps_target_object *o, const char *operation,
                  ps_s3_request *r, char *why, size_t why_cap);
/* The hex SHA-256 of fd's bytes [offset, offset + length), or of data when fd < 0. */
int ps_s3_sha256_hex(int fd, int64_t offset, int64_t length, const void *data, char out[65]);
/* Appends text to b encoded as SigV4 wants (unreserved A-Za-z0-9-._~ kept, '/' kept when
 * keep_slash, every other byte %XX in upper case). */
int ps_s3_uri_encode(struct ps_buf *b, const char *text, int keep_slash);
/* The text between <tag> and </tag> in xml (the first one), copied into out; 0 when found. */
int ps_s3_xml_value(const char *xml, const char *tag, char *out, size_t out_cap);

/* The multipart upload of o's staged bytes in parts of part_bytes (s3_multipart.c):
 * CreateMultipartUpload, UploadPart each, CompleteMultipartUpload; AbortMultipartUpload on a
 * failure. */
int ps_s3_multipart_upload(ps_s3_connection *c, ps_target_object *o, int64_t part_bytes,
                           char *why, size_t why_cap);

#endif
