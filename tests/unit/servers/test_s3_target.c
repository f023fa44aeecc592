/*
 * test_s3_target.c: the s3:// export target (src/export/target_s3.c, s3_multipart.c) against
 * a real S3-compatible server: s3rver behind tests/servers/s3rver-sigv4.js, which checks every
 * request's AWS Signature V4 and payload SHA-256 as S3 does. Objects are read back byte for
 * byte from the server's data folder ($PLAYSTAT_TEST_S3_DIR/BUCKET/KEY._S3rver_object), so
 * what is checked is what the server stored, not what the client believes it sent.
 *
 * Needs tests/servers/run-with.sh --s3 (PLAYSTAT_TEST_S3_ENDPOINT, _BUCKET, _DIR and the AWS_*
 * credentials); fails when they are not set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "export/target.h"
#include "../read_file.h"

static const char *endpoint, *bucket, *data_dir;

static int setup(void **state) {
  endpoint = getenv("PLAYSTAT_TEST_S3_ENDPOINT");
  bucket = getenv("PLAYSTAT_TEST_S3_BUCKET");
  data_dir = getenv("PLAYSTAT_TEST_S3_DIR");
  if (!endpoint || !bucket || !data_dir) {
    fprintf(stderr, "run me through tests/servers/run-with.sh --s3\n");
    return -1;
  }
  unsetenv("PLAYSTAT_S3_PART_BYTES");
  return 0;
}

static ps_export_target *open_bucket(const char *prefix) {
  char url[512], why[512];
  snprintf(url, sizeof url, "s3://%s%s%s?endpoint=%s", bucket, prefix ? "/" : "",
           prefix ? prefix : "", endpoint);
  ps_export_target *t = NULL;
  int rc = ps_target_open(url, &t, why, sizeof why);
  if (rc != PS_OK) fail_msg("open %s: %s", url, why);
  return t;
}

/* Stores data[0..len) at key; returns the commit's code, the why in why. */
static int put(ps_export_target *t, const char *key, const char *type, const void *data,
               size_t len, char *why, size_t why_cap) {
  ps_target_object *o = NULL;
  assert_int_equal(ps_target_begin(t, key, type, &o), PS_OK);
  const unsigned char *p = data;
  for (size_t at = 0; at < len;) { /* in uneven slices */
    size_t n = len - at < 70001 ? len - at : 70001;
    assert_int_equal(ps_target_write(o, p + at, n), PS_OK);
    at += n;
  }
  int64_t bytes = -1;
  why[0] = '\0';
  int rc = ps_target_commit(o, &bytes, why, why_cap);
  if (rc == PS_OK) assert_int_equal(bytes, (int64_t)len);
  return rc;
}

/* What the server stored under key (a path of the bucket), or NULL when nothing. */
static unsigned char *stored(const char *key, const char *suffix, size_t *len) {
  char path[2048];
  snprintf(path, sizeof path, "%s/%s/%s._S3rver_%s", data_dir, bucket, key, suffix);
  return (unsigned char *)ps_test_read_file(path, len);
}

static void assert_stored(const char *key, const void *expect, size_t len) {
  size_t got_len = 0;
  unsigned char *got = stored(key, "object", &got_len);
  if (!got) fail_msg("nothing stored at %s", key);
  assert_int_equal(got_len, len);
  if (len) assert_memory_equal(got, expect, len);
  free(got);
}

static void fill(unsigned char *data, size_t n, uint32_t seed) {
  uint32_t x = seed * 2654435761u + 7;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    data[i] = (unsigned char)(x >> 11);
  }
}

static void test_put_small_empty_and_replace(void **state) {
  ps_export_target *t = open_bucket(NULL);
  char why[512];
  const char *text = "{\"event\":1}\n{\"event\":2}\n";
  assert_int_equal(put(t, "events/game=1/2026-12-01.ndjson", "application/x-ndjson", text,
                       strlen(text), why, sizeof why),
                   PS_OK);
  assert_stored("events/game=1/2026-12-01.ndjson", text, strlen(text));
  size_t len;
  char *meta = (char *)stored("events/game=1/2026-12-01.ndjson", "metadata.json", &len);
  assert_non_null(meta);
  assert_non_null(strstr(meta, "application/x-ndjson")); /* the Content-Type it was sent with */
  free(meta);

  assert_int_equal(put(t, "empty.parquet", NULL, "", 0, why, sizeof why), PS_OK);
  assert_stored("empty.parquet", "", 0);

  unsigned char first[200000], second[1234];
  fill(first, sizeof first, 1);
  fill(second, sizeof second, 2);
  assert_int_equal(put(t, "replace/me.bin", NULL, first, sizeof first, why, sizeof why), PS_OK);
  assert_stored("replace/me.bin", first, sizeof first);
  assert_int_equal(put(t, "replace/me.bin", NULL, second, sizeof second, why, sizeof why), PS_OK);
  assert_stored("replace/me.bin", second, sizeof second);
  ps_target_close(t);
}

static void test_keys_that_need_encoding(void **state) {
  ps_export_target *t = open_bucket("exports/raw data");
  char why[512];
  const char *keys[] = {
      "odd keys/p\xc3\xa4iv\xc3\xa4 + (1)*~=.txt",
      "plus+plus/a%20not-an-escape",
      "game=7/\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x8e\xae.ndjson.gz",
      "semi;colon,comma'quote!&amp$dollar@at",
  };
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    char body[64];
    int n = snprintf(body, sizeof body, "object %zu", i);
    int rc = put(t, keys[i], "text/plain", body, (size_t)n, why, sizeof why);
    if (rc != PS_OK) fail_msg("%s: %s", keys[i], why);
    char path[512];
    snprintf(path, sizeof path, "exports/raw data/%s", keys[i]);
    assert_stored(path, body, (size_t)n);
  }
  ps_target_close(t);
}

static void test_session_token_is_signed_along(void **state) {
  /* As long as STS tokens get, with the characters they hold. */
  char token[2601];
  for (size_t i = 0; i < sizeof token - 1; i++) token[i] = "FwoGZXIvYXdz+/="[i % 15];
  token[sizeof token - 1] = '\0';
  setenv("AWS_SESSION_TOKEN", token, 1);
  ps_export_target *t = open_bucket(NULL);
  char why[512];
  int rc = put(t, "with-token.txt", "text/plain", "tok", 3, why, sizeof why);
  unsetenv("AWS_SESSION_TOKEN");
  if (rc != PS_OK) fail_msg("%s", why);
  assert_stored("with-token.txt", "tok", 3);
  ps_target_close(t);
}

static void test_wrong_secret_is_refused_and_stores_nothing(void **state) {
  const char *right = getenv("AWS_SECRET_ACCESS_KEY");
  char saved[256];
  snprintf(saved, sizeof saved, "%s", right);
  setenv("AWS_SECRET_ACCESS_KEY", "wrong-Secret-xyz", 1);
  ps_export_target *t = open_bucket(NULL);
  setenv("AWS_SECRET_ACCESS_KEY", saved, 1);
  char why[1024];
  int rc = put(t, "refused.txt", "text/plain", "no", 2, why, sizeof why);
  assert_int_equal(rc, PS_EAUTH);
  assert_non_null(strstr(why, "SignatureDoesNotMatch"));
  assert_non_null(strstr(why, "403"));
  assert_null(strstr(why, "wrong-Secret-xyz"));
  size_t len;
  assert_null(stored("refused.txt", "object", &len));
  ps_target_close(t);
}

static void test_server_down_fails_after_retries(void **state) {
  char why[512];
  ps_export_target *t = NULL;
  /* Port 1 on loopback: nobody listens there, so every try is refused. */
  assert_int_equal(ps_target_open("s3://playstat-test?endpoint=http://127.0.0.1:1", &t, why,
                                  sizeof why),
                   PS_OK);
  int rc = put(t, "down.txt", NULL, "x", 1, why, sizeof why);
  assert_int_equal(rc, PS_EIO);
  assert_non_null(strstr(why, "after 3 tries"));
  assert_non_null(strstr(why, "127.0.0.1:1"));
  ps_target_close(t);
}

static void test_slow_down_is_retried(void **state) {
  ps_export_target *t = open_bucket(NULL);
  char why[512];
  /* The server answers 503 SlowDown twice, then takes it: the third try stores it. */
  int rc = put(t, "retry/__503x2__.txt", "text/plain", "third time", 10, why, sizeof why);
  if (rc != PS_OK) fail_msg("%s", why);
  assert_stored("retry/__503x2__.txt", "third time", 10);
  /* Three refusals: the error names the status and S3's code, after 3 tries. */
  assert_int_equal(put(t, "retry/__503x3__.txt", "text/plain", "never", 5, why, sizeof why),
                   PS_EIO);
  assert_non_null(strstr(why, "HTTP 503 SlowDown"));
  assert_non_null(strstr(why, "after 3 tries"));
  size_t len;
  assert_null(stored("retry/__503x3__.txt", "object", &len));
  ps_target_close(t);
}

/* The names of the unfinished multipart uploads the server holds, joined (empty: none). */
static void unfinished_uploads(char *out, size_t cap) {
  char command[1200];
  snprintf(command, sizeof command, "ls -A '%s/%s/._S3rver_uploads' 2>/dev/null | tr '\n' ' '",
           data_dir, bucket);
  FILE *p = popen(command, "r");
  assert_non_null(p);
  size_t n = fread(out, 1, cap - 1, p);
  out[n] = '\0';
  pclose(p);
}

static void test_multipart_above_the_part_size(void **state) {
  setenv("PLAYSTAT_S3_PART_BYTES", "5242880", 1); /* S3's smallest part: 5 MiB */
  ps_export_target *t = open_bucket("big");
  unsetenv("PLAYSTAT_S3_PART_BYTES");
  size_t n = 2 * 5242880 + 12345; /* three parts, the last one short */
  unsigned char *data = malloc(n);
  assert_non_null(data);
  fill(data, n, 3);
  char why[512];
  int rc = put(t, "events/game=2/2026-12-01.parquet", "application/vnd.apache.parquet", data, n,
               why, sizeof why);
  if (rc != PS_OK) fail_msg("%s", why);
  assert_stored("big/events/game=2/2026-12-01.parquet", data, n);
  /* Replaced by a multipart upload again, with other bytes. */
  fill(data, n, 4);
  assert_int_equal(put(t, "events/game=2/2026-12-01.parquet", NULL, data, n, why, sizeof why),
                   PS_OK);
  assert_stored("big/events/game=2/2026-12-01.parquet", data, n);
  /* The server holds no unfinished upload afterwards. */
  char uploads[1024];
  unfinished_uploads(uploads, sizeof uploads);
  assert_string_equal(uploads, "");
  free(data);
  ps_target_close(t);
}

/* A multipart upload that fails at step with S3's code: the commit returns rc, nothing is
 * stored at key and no unfinished upload stays behind. key_id: the access key to sign with. */
static void assert_multipart_fails(const char *key, const char *key_id, int rc, const char *step,
                                   const char *code) {
  setenv("PLAYSTAT_S3_PART_BYTES", "5242880", 1);
  setenv("AWS_ACCESS_KEY_ID", key_id, 1);
  ps_export_target *t = open_bucket(NULL);
  setenv("AWS_ACCESS_KEY_ID", "S3RVER", 1);
  unsetenv("PLAYSTAT_S3_PART_BYTES");
  size_t n = 5242880 + 100;
  unsigned char *data = malloc(n);
  assert_non_null(data);
  fill(data, n, 5);
  char why[1024];
  assert_int_equal(put(t, key, NULL, data, n, why, sizeof why), rc);
  assert_non_null(strstr(why, step));
  assert_non_null(strstr(why, code));
  size_t len;
  assert_null(stored(key, "object", &len));
  char uploads[1024];
  unfinished_uploads(uploads, sizeof uploads);
  assert_string_equal(uploads, "");
  free(data);
  ps_target_close(t);
}

static void test_multipart_refused_stores_nothing(void **state) {
  assert_multipart_fails("refused-big.bin", "UNKNOWNKEY", PS_EAUTH, "CreateMultipartUpload",
                         "InvalidAccessKeyId");
}

/* A part the server keeps failing: the upload is aborted (AbortMultipartUpload drops it). */
static void test_failed_part_aborts_the_upload(void **state) {
  assert_multipart_fails("parts/__partfail__.bin", "S3RVER", PS_EIO, "UploadPart 1",
                         "InternalError");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_small_empty_and_replace),
      cmocka_unit_test(test_keys_that_need_encoding),
      cmocka_unit_test(test_session_token_is_signed_along),
      cmocka_unit_test(test_wrong_secret_is_refused_and_stores_nothing),
      cmocka_unit_test(test_server_down_fails_after_retries),
      cmocka_unit_test(test_slow_down_is_retried),
      cmocka_unit_test(test_multipart_above_the_part_size),
      cmocka_unit_test(test_failed_part_aborts_the_upload),
      cmocka_unit_test(test_multipart_refused_stores_nothing),
  };
  return cmocka_run_group_tests(tests, setup, NULL);
}
