/*
 * target.h: where a raw export writes its objects: a local folder (file:DIR) or an
 * S3-compatible bucket (s3://BUCKET/PREFIX), each object under a key such as
 * "events/game=1/2026-12-01.parquet".
 *
 * URLs:
 *   file:DIR (or file:///abs/dir)   objects are files under DIR (folders made as needed)
 *   s3://BUCKET[/PREFIX][?endpoint=http://127.0.0.1:9000&region=us-east-1&path_style=1]
 *       signed with AWS Signature V4 (libcurl's CURLOPT_AWS_SIGV4). Credentials come from
 *       the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional);
 *       region from ?region= or AWS_REGION (default us-east-1); endpoint from ?endpoint= or
 *       AWS_ENDPOINT_URL (default https://s3.REGION.amazonaws.com, virtual-hosted style unless
 *       path_style=1; a custom endpoint is path style by default).
 *
 * Guarantees: an object appears whole or not at all: a reader never sees part of one, and a
 * commit replaces any earlier object with the same key (so writing a period again replaces
 * it, never duplicates it). commit() returning 0 means the object is durably stored (file:
 * fsync'ed file and folder; s3: the service answered 200 to the PUT). Bytes are staged in a
 * temporary file, not in memory, so an object of any size costs constant memory. Secrets are
 * never logged nor part of display().
 */
#ifndef PS_EXPORT_TARGET_H
#define PS_EXPORT_TARGET_H

#include <stddef.h>
#include <stdint.h>

typedef struct ps_export_target ps_export_target;
typedef struct ps_target_object ps_target_object;

/* Parses url and checks what can be checked without writing (the folder can be made; the
 * credentials are set). On failure returns an error and a sentence for people in why. */
int ps_target_open(const char *url, ps_export_target **out, char *why, size_t why_cap);
void ps_target_close(ps_export_target *t);
/* The target as it may be shown and recorded: the URL without credentials or query secrets. */
const char *ps_target_display(const ps_export_target *t);

/* Starts an object at key (relative, '/'-separated, no "..", no leading '/'). */
int ps_target_begin(ps_export_target *t, const char *key, const char *content_type,
                    ps_target_object **out);
int ps_target_write(ps_target_object *o, const void *data, size_t len);
/* Stores the object (see above) and frees o whatever happens; *bytes: its size. On failure
 * the error is also described (without secrets) in why. */
int ps_target_commit(ps_target_object *o, int64_t *bytes, char *why, size_t why_cap);
/* Frees o; nothing is stored. */
void ps_target_abort(ps_target_object *o);

#endif
