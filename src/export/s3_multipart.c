/*
 * s3_multipart.c: an S3 multipart upload of a staged object (target_s3.c decides when: above
 * the part size). CreateMultipartUpload, then UploadPart for each part read from the staging
 * file (each signed with its own SHA-256), then CompleteMultipartUpload with the parts' ETags;
 * the object appears only at that last step, whole. On any failure the upload is aborted
 * (AbortMultipartUpload, best effort: a service that refuses it keeps the parts until its
 * lifecycle rules drop them, never a visible object).
 *
 * S3 allows 10,000 parts: a larger object gets larger parts. Memory: the ETags of the parts
 * (in the completion document, under 1 MiB at 10,000 parts) and a 1 MiB read buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "export/target_internal.h"

#define MAX_PARTS 10000
#define MIB (1024LL * 1024)

static const char empty_sha256[65] =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/* Appends text XML-escaped. */
static int append_xml_text(ps_buf *b, const char *text) {
  int rc = PS_OK;
  for (const char *p = text; *p && rc == PS_OK; p++) {
    if (*p == '&') rc = ps_buf_append_str(b, "&amp;");
    else if (*p == '<') rc = ps_buf_append_str(b, "&lt;");
    else if (*p == '>') rc = ps_buf_append_str(b, "&gt;");
    else rc = ps_buf_append(b, p, 1);
  }
  return rc;
}

static void abort_upload(ps_s3_connection *c, ps_target_object *o, const char *upload_query) {
  ps_s3_request r = {.method = "DELETE", .query = upload_query, .fd = -1};
  memcpy(r.sha256_hex, empty_sha256, sizeof r.sha256_hex);
  char ignored[256];
  ps_s3_perform(c, o, "AbortMultipartUpload", &r, ignored, sizeof ignored);
  free(r.answer);
}

static int create_upload(ps_s3_connection *c, ps_target_object *o, ps_buf *upload_id, char *why,
                         size_t why_cap) {
  ps_s3_request r = {.method = "POST", .query = "uploads=", .content_type = o->content_type,
                     .fd = -1};
  memcpy(r.sha256_hex, empty_sha256, sizeof r.sha256_hex);
  int rc = ps_s3_perform(c, o, "CreateMultipartUpload", &r, why, why_cap);
  char id[1024];
  if (rc == PS_OK && ps_s3_xml_value(r.answer, "UploadId", id, sizeof id) != 0) {
    ps_target_why(why, why_cap, "%s: CreateMultipartUpload of %s: the answer holds no UploadId",
                  o->target->display, o->key);
    rc = PS_EIO;
  }
  if (rc == PS_OK) rc = ps_buf_append_str(upload_id, id);
  free(r.answer);
  return rc;
}

static int upload_parts(ps_s3_connection *c, ps_target_object *o, const char *upload_id,
                        int64_t part_bytes, ps_buf *completion, char *why, size_t why_cap) {
  int rc = ps_buf_append_str(completion, "<CompleteMultipartUpload>");
  int64_t offset = 0;
  for (int number = 1; rc == PS_OK && offset < o->bytes; number++) {
    int64_t length = o->bytes - offset < part_bytes ? o->bytes - offset : part_bytes;
    ps_buf query = {0};
    rc = ps_buf_printf(&query, "partNumber=%d&uploadId=", number);
    if (rc == PS_OK) rc = ps_s3_uri_encode(&query, upload_id, 0);
    ps_s3_request r = {.method = "PUT", .query = query.data, .fd = o->fd, .offset = offset,
                       .length = length};
    if (rc == PS_OK) rc = ps_s3_sha256_hex(o->fd, offset, length, NULL, r.sha256_hex);
    if (rc != PS_OK) {
      ps_target_why(why, why_cap, "%s: reading part %d of %s from the staging file failed",
                    o->target->display, number, o->key);
    } else {
      char operation[64];
      snprintf(operation, sizeof operation, "UploadPart %d", number);
      rc = ps_s3_perform(c, o, operation, &r, why, why_cap);
    }
    if (rc == PS_OK && !r.etag[0]) {
      ps_target_why(why, why_cap, "%s: UploadPart %d of %s: the answer holds no ETag",
                    o->target->display, number, o->key);
      rc = PS_EIO;
    }
    if (rc == PS_OK) rc = ps_buf_printf(completion, "<Part><PartNumber>%d</PartNumber><ETag>", number);
    if (rc == PS_OK) rc = append_xml_text(completion, r.etag);
    if (rc == PS_OK) rc = ps_buf_append_str(completion, "</ETag></Part>");
    free(r.answer);
    ps_buf_free(&query);
    offset += length;
  }
  if (rc == PS_OK) rc = ps_buf_append_str(completion, "</CompleteMultipartUpload>");
  return rc;
}

static int complete_upload(ps_s3_connection *c, ps_target_object *o, const char *upload_query,
                           const ps_buf *completion, char *why, size_t why_cap) {
  ps_s3_request r = {.method = "POST", .query = upload_query,
                     .content_type = "application/xml", .fd = -1, .body = completion->data,
                     .body_len = completion->len};
  int rc = ps_s3_sha256_hex(-1, 0, (int64_t)completion->len, completion->data, r.sha256_hex);
  if (rc == PS_OK) rc = ps_s3_perform(c, o, "CompleteMultipartUpload", &r, why, why_cap);
  /* S3 may answer 200 and still fail the completion: the error is then in the body. */
  char code[128];
  if (rc == PS_OK && r.answer && strstr(r.answer, "<Error>") &&
      ps_s3_xml_value(r.answer, "Code", code, sizeof code) == 0) {
    char message[512] = "";
    ps_s3_xml_value(r.answer, "Message", message, sizeof message);
    ps_target_why(why, why_cap, "%s: CompleteMultipartUpload of %s: %s (%s)",
                  o->target->display, o->key, code, message);
    rc = PS_EIO;
  }
  free(r.answer);
  return rc;
}

int ps_s3_multipart_upload(ps_s3_connection *c, ps_target_object *o, int64_t part_bytes,
                           char *why, size_t why_cap) {
  if ((o->bytes + part_bytes - 1) / part_bytes > MAX_PARTS) {
    part_bytes = (o->bytes + MAX_PARTS - 1) / MAX_PARTS;
    part_bytes = (part_bytes + MIB - 1) / MIB * MIB;
  }
  ps_buf upload_id = {0}, upload_query = {0}, completion = {0};
  int rc = create_upload(c, o, &upload_id, why, why_cap);
  if (rc != PS_OK) {
    ps_buf_free(&upload_id);
    return rc;
  }
  rc = ps_buf_append_str(&upload_query, "uploadId=");
  if (rc == PS_OK) rc = ps_s3_uri_encode(&upload_query, upload_id.data, 0);
  if (rc == PS_OK) rc = upload_parts(c, o, upload_id.data, part_bytes, &completion, why, why_cap);
  if (rc == PS_OK) rc = complete_upload(c, o, upload_query.data, &completion, why, why_cap);
  if (rc == PS_ENOMEM) ps_target_why(why, why_cap, "out of memory");
  if (rc != PS_OK && upload_query.data) abort_upload(c, o, upload_query.data);
  ps_buf_free(&upload_id);
  ps_buf_free(&upload_query);
  ps_buf_free(&completion);
  return rc;
}
