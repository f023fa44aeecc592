/*
 * test_export_target.c: the export targets (src/export/target.h) without a server: URL
 * parsing (file: and s3:// forms, bad URLs refused with a sentence, credentials required at
 * open and never shown), key checks, and the file: target's guarantees: an object appears
 * whole only at commit, a second commit of a key replaces it, abort leaves nothing behind.
 * The s3:// target against a real S3-compatible server: tests/unit/servers/test_s3_target.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"
#include "export/target.h"
#include "read_file.h"

#define SECRET "sEcReT-never-shown-42"

static char tmp_root[256];

static void set_credentials(void) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
  setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
  setenv("AWS_SESSION_TOKEN", "token-" SECRET, 1);
  unsetenv("AWS_REGION");
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("PLAYSTAT_S3_PART_BYTES");
}

static int setup(void **state) {
  snprintf(tmp_root, sizeof tmp_root, "/tmp/playstat-target-XXXXXX");
  assert_non_null(mkdtemp(tmp_root));
  set_credentials();
  return 0;
}

static int teardown(void **state) {
  char command[512];
  snprintf(command, sizeof command, "rm -rf '%s'", tmp_root);
  return system(command) == 0 ? 0 : -1;
}

/* Opens url: the display text into shown (when it opens) and the why into why. */
static int open_url(const char *url, char *shown, size_t shown_cap, char *why, size_t why_cap) {
  ps_export_target *t = NULL;
  why[0] = '\0';
  int rc = ps_target_open(url, &t, why, why_cap);
  if (rc == PS_OK) {
    assert_non_null(t);
    snprintf(shown, shown_cap, "%s", ps_target_display(t));
    ps_target_close(t);
  } else {
    assert_null(t);
    assert_true(why[0] != '\0'); /* every refusal says why */
  }
  return rc;
}

static void test_file_urls(void **state) {
  char shown[1024], why[512], url[512], expect[512];
  snprintf(url, sizeof url, "file:%s/a/b", tmp_root);
  assert_int_equal(open_url(url, shown, sizeof shown, why, sizeof why), PS_OK);
  snprintf(expect, sizeof expect, "file:%s/a/b", tmp_root);
  assert_string_equal(shown, expect);
  struct stat st;
  snprintf(expect, sizeof expect, "%s/a/b", tmp_root);
  assert_int_equal(stat(expect, &st), 0); /* made with its parents */
  assert_true(S_ISDIR(st.st_mode));

  snprintf(url, sizeof url, "file://%s/c%%20d", tmp_root);
  assert_int_equal(open_url(url, shown, sizeof shown, why, sizeof why), PS_OK);
  snprintf(expect, sizeof expect, "file:%s/c d", tmp_root);
  assert_string_equal(shown, expect);

  /* A relative folder is relative to the working directory, shown absolute. */
  char cwd[256];
  assert_non_null(getcwd(cwd, sizeof cwd));
  assert_int_equal(chdir(tmp_root), 0);
  assert_int_equal(open_url("file:rel/x", shown, sizeof shown, why, sizeof why), PS_OK);
  assert_int_equal(chdir(cwd), 0);
  snprintf(expect, sizeof expect, "file:%s/rel/x", tmp_root);
  assert_string_equal(shown, expect);

  assert_int_equal(open_url("file:", shown, sizeof shown, why, sizeof why), PS_EINVAL);
  assert_int_equal(open_url("file://otherhost/x", shown, sizeof shown, why, sizeof why),
                   PS_EINVAL);
  assert_non_null(strstr(why, "file:///"));
  snprintf(url, sizeof url, "file://%s/bad%%zz", tmp_root);
  assert_int_equal(open_url(url, shown, sizeof shown, why, sizeof why), PS_EINVAL);
  /* A folder that cannot be made: below a regular file. */
  snprintf(expect, sizeof expect, "%s/plain", tmp_root);
  FILE *f = fopen(expect, "w");
  assert_non_null(f);
  fclose(f);
  snprintf(url, sizeof url, "file:%s/plain/sub", tmp_root);
  assert_int_equal(open_url(url, shown, sizeof shown, why, sizeof why), PS_EIO);
  assert_non_null(strstr(why, "plain/sub"));
}

static void test_s3_urls(void **state) {
  char shown[1024], why[512];
  assert_int_equal(open_url("s3://bucket", shown, sizeof shown, why, sizeof why), PS_OK);
  assert_string_equal(shown, "s3://bucket?region=us-east-1");
  setenv("AWS_REGION", "eu-west-3", 1);
  assert_int_equal(open_url("s3://my.bucket-1/exports/raw/", shown, sizeof shown, why, sizeof why),
                   PS_OK);
  assert_string_equal(shown, "s3://my.bucket-1/exports/raw?region=eu-west-3");
  assert_int_equal(
      open_url("s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-west-2&path_style=1",
               shown, sizeof shown, why, sizeof why),
      PS_OK);
  assert_string_equal(shown, "s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=us-west-2");
  /* Escaped parameter values; virtual-hosted style asked for with a custom endpoint. */
  assert_int_equal(open_url("s3://bucket?endpoint=https%3A%2F%2Fminio.local%2F&path_style=0",
                            shown, sizeof shown, why, sizeof why),
                   PS_OK);
  assert_string_equal(shown, "s3://bucket?endpoint=https://minio.local&region=eu-west-3&path_style=0");
  setenv("AWS_ENDPOINT_URL", "http://localhost:4568", 1);
  assert_int_equal(open_url("s3://bucket", shown, sizeof shown, why, sizeof why), PS_OK);
  assert_string_equal(shown, "s3://bucket?endpoint=http://localhost:4568&region=eu-west-3");
  set_credentials();

  const char *bad[] = {
      "s3://",                              /* no bucket */
      "s3:///prefix",                       /* no bucket */
      "s3://Bucket",                        /* upper case */
      "s3://ab",                            /* too short */
      "s3://bucket/a/../b",                 /* a ".." in the prefix */
      "s3://bucket/a//b",                   /* an empty segment in the prefix */
      "s3://bucket?colour=blue",            /* unknown parameter */
      "s3://bucket?region",                 /* no value */
      "s3://bucket?region=EU_WEST",         /* not a region */
      "s3://bucket?path_style=maybe",       /* not a boolean */
      "s3://bucket?endpoint=ftp://host",    /* not http(s) */
      "s3://bucket?endpoint=http://key:" SECRET "@host", /* credentials in the URL */
      "s3://bucket?endpoint=%zz",           /* malformed escape */
      "s3:/bucket",                         /* not an s3:// URL */
      "http://bucket",                      /* unknown scheme */
      "",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int rc = open_url(bad[i], shown, sizeof shown, why, sizeof why);
    if (rc == PS_OK) fail_msg("%s was accepted", bad[i]);
    assert_null(strstr(why, SECRET));
  }
}

static void test_s3_credentials(void **state) {
  char shown[1024], why[512];
  unsetenv("AWS_SECRET_ACCESS_KEY");
  assert_int_equal(open_url("s3://bucket", shown, sizeof shown, why, sizeof why), PS_EAUTH);
  assert_non_null(strstr(why, "AWS_SECRET_ACCESS_KEY"));
  set_credentials();
  unsetenv("AWS_ACCESS_KEY_ID");
  assert_int_equal(open_url("s3://bucket", shown, sizeof shown, why, sizeof why), PS_EAUTH);
  assert_non_null(strstr(why, "AWS_ACCESS_KEY_ID"));
  assert_null(strstr(why, SECRET));
  set_credentials();
  setenv("AWS_SESSION_TOKEN", "bad\r\nX-Injected: 1", 1);
  assert_int_equal(open_url("s3://bucket", shown, sizeof shown, why, sizeof why), PS_EAUTH);
  set_credentials();
  /* The secret and the session token are never part of display(). */
  assert_int_equal(open_url("s3://bucket/p?endpoint=http://127.0.0.1:1", shown, sizeof shown,
                            why, sizeof why),
                   PS_OK);
  assert_null(strstr(shown, SECRET));
  assert_null(strstr(shown, "AKIDTEST"));
  /* The part size knob: 5 MiB at least. */
  setenv("PLAYSTAT_S3_PART_BYTES", "1048576", 1);
  assert_int_equal(open_url("s3://bucket", shown, sizeof shown, why, sizeof why), PS_EINVAL);
  assert_non_null(strstr(why, "PLAYSTAT_S3_PART_BYTES"));
  setenv("PLAYSTAT_S3_PART_BYTES", "5242880", 1);
  assert_int_equal(open_url("s3://bucket", shown, sizeof shown, why, sizeof why), PS_OK);
  set_credentials();
}

/* Virtual-hosted style puts the bucket in the host name: a commit to a service that is down
 * says where it tried (*.localhost is loopback to libcurl), after its 3 tries. */
static void test_s3_virtual_hosted_address(void **state) {
  char why[512];
  ps_export_target *t = NULL;
  assert_int_equal(ps_target_open("s3://my-bucket/pre?endpoint=http://localhost:1&path_style=0",
                                  &t, why, sizeof why),
                   PS_OK);
  ps_target_object *o = NULL;
  assert_int_equal(ps_target_begin(t, "k.txt", "text/plain", &o), PS_OK);
  assert_int_equal(ps_target_write(o, "x", 1), PS_OK);
  assert_int_equal(ps_target_commit(o, NULL, why, sizeof why), PS_EIO);
  assert_non_null(strstr(why, "http://my-bucket.localhost:1"));
  assert_non_null(strstr(why, "after 3 tries"));
  assert_null(strstr(why, SECRET));
  ps_target_close(t);
}

static ps_export_target *open_folder(const char *sub) {
  char url[512], why[256];
  snprintf(url, sizeof url, "file:%s/%s", tmp_root, sub);
  ps_export_target *t = NULL;
  assert_int_equal(ps_target_open(url, &t, why, sizeof why), PS_OK);
  return t;
}

static void test_keys(void **state) {
  ps_export_target *t = open_folder("keys");
  char long_key[1100];
  memset(long_key, 'k', sizeof long_key - 1);
  long_key[sizeof long_key - 1] = '\0';
  const char *refused[] = {"",       "/abs",   "a/../b", "..",      ".",    "a/./b", "a//b",
                           "a/",     "a\nb",   "tab\there", "\xff\xfe", "a/\xc3", long_key};
  for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
    ps_target_object *o = (ps_target_object *)&o; /* must be reset */
    if (ps_target_begin(t, refused[i], "text/plain", &o) != PS_EINVAL)
      fail_msg("key #%zu \"%s\" was accepted", i, refused[i]);
    assert_null(o);
  }
  ps_target_object *injected = (ps_target_object *)&injected;
  assert_int_equal(ps_target_begin(t, "fine.txt", "text/plain\r\nX-Injected: 1", &injected),
                   PS_EINVAL);
  assert_null(injected);
  const char *accepted[] = {"events/game=1/2026-12-01.parquet", "a b/\xc3\xbc+x.txt", "..x/y..",
                            ".hidden"};
  for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++) {
    ps_target_object *o = NULL;
    assert_int_equal(ps_target_begin(t, accepted[i], NULL, &o), PS_OK);
    int64_t bytes = -1;
    char why[256];
    assert_int_equal(ps_target_commit(o, &bytes, why, sizeof why), PS_OK);
    assert_int_equal(bytes, 0);
  }
  char path[512];
  snprintf(path, sizeof path, "%s/keys/a b/\xc3\xbc+x.txt", tmp_root);
  assert_int_equal(access(path, F_OK), 0);
  ps_target_close(t);
}

/* The names in folder (hidden ones included, "." and ".." not), sorted, joined by ','. */
static void list_folder(const char *folder, char *out, size_t cap) {
  struct dirent **names;
  int n = scandir(folder, &names, NULL, alphasort);
  assert_true(n >= 0);
  out[0] = '\0';
  for (int i = 0; i < n; i++) {
    if (strcmp(names[i]->d_name, ".") && strcmp(names[i]->d_name, "..")) {
      if (out[0]) strncat(out, ",", cap - strlen(out) - 1);
      strncat(out, names[i]->d_name, cap - strlen(out) - 1);
    }
    free(names[i]);
  }
  free(names);
}

/* Writes n pseudo-random bytes (seed) to o in chunks of varied sizes; the bytes into copy. */
static void write_pattern(ps_target_object *o, unsigned char *copy, size_t n, unsigned seed) {
  uint32_t x = seed * 2654435761u + 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    copy[i] = (unsigned char)x;
  }
  size_t at = 0, step = 1;
  while (at < n) {
    size_t len = step < n - at ? step : n - at;
    assert_int_equal(ps_target_write(o, copy + at, len), PS_OK);
    at += len;
    step = step * 7 % 100003 + 1; /* 1, 8, 57, ... up to ~100 KB: around the buffer size */
  }
}

static void test_file_commit_is_whole_and_replaces(void **state) {
  ps_export_target *t = open_folder("out");
  char folder[512], final_path[600], names[1024], why[256];
  snprintf(folder, sizeof folder, "%s/out/events/game=1", tmp_root);
  snprintf(final_path, sizeof final_path, "%s/day.ndjson.gz", folder);
  size_t n = 300000;
  unsigned char *first = malloc(n), *second = malloc(n / 3);
  assert_non_null(first);
  assert_non_null(second);

  ps_target_object *o = NULL;
  assert_int_equal(ps_target_begin(t, "events/game=1/day.ndjson.gz", "application/gzip", &o),
                   PS_OK);
  write_pattern(o, first, n, 1);
  /* Before commit: no object under its name, only a hidden temporary file. */
  assert_int_not_equal(access(final_path, F_OK), 0);
  list_folder(folder, names, sizeof names);
  assert_true(names[0] == '.');
  assert_null(strchr(names, ','));
  int64_t bytes = 0;
  assert_int_equal(ps_target_commit(o, &bytes, why, sizeof why), PS_OK);
  assert_int_equal(bytes, (int64_t)n);
  size_t len = 0;
  unsigned char *got = (unsigned char *)ps_test_read_file(final_path, &len);
  assert_non_null(got);
  assert_int_equal(len, n);
  assert_memory_equal(got, first, n);
  free(got);
  list_folder(folder, names, sizeof names);
  assert_string_equal(names, "day.ndjson.gz");

  /* A second commit of the key replaces the object whole; until then the old one stays. */
  assert_int_equal(ps_target_begin(t, "events/game=1/day.ndjson.gz", "application/gzip", &o),
                   PS_OK);
  write_pattern(o, second, n / 3, 2);
  got = (unsigned char *)ps_test_read_file(final_path, &len);
  assert_int_equal(len, n);
  assert_memory_equal(got, first, n);
  free(got);
  assert_int_equal(ps_target_commit(o, &bytes, why, sizeof why), PS_OK);
  assert_int_equal(bytes, (int64_t)(n / 3));
  got = (unsigned char *)ps_test_read_file(final_path, &len);
  assert_int_equal(len, n / 3);
  assert_memory_equal(got, second, n / 3);
  free(got);
  list_folder(folder, names, sizeof names);
  assert_string_equal(names, "day.ndjson.gz");

  free(first);
  free(second);
  ps_target_close(t);
}

static void test_file_abort_leaves_nothing(void **state) {
  ps_export_target *t = open_folder("aborted");
  char folder[512], names[1024], why[256];
  snprintf(folder, sizeof folder, "%s/aborted", tmp_root);
  ps_target_object *o = NULL;
  assert_int_equal(ps_target_begin(t, "x.parquet", "application/vnd.apache.parquet", &o), PS_OK);
  unsigned char data[5000];
  write_pattern(o, data, sizeof data, 3);
  ps_target_abort(o);
  list_folder(folder, names, sizeof names);
  assert_string_equal(names, "");

  /* An aborted rewrite keeps the object stored before. */
  assert_int_equal(ps_target_begin(t, "x.parquet", NULL, &o), PS_OK);
  assert_int_equal(ps_target_write(o, "old", 3), PS_OK);
  assert_int_equal(ps_target_commit(o, NULL, why, sizeof why), PS_OK);
  assert_int_equal(ps_target_begin(t, "x.parquet", NULL, &o), PS_OK);
  assert_int_equal(ps_target_write(o, "new!", 4), PS_OK);
  ps_target_abort(o);
  list_folder(folder, names, sizeof names);
  assert_string_equal(names, "x.parquet");
  char path[600];
  snprintf(path, sizeof path, "%s/x.parquet", folder);
  size_t len;
  unsigned char *got = (unsigned char *)ps_test_read_file(path, &len);
  assert_int_equal(len, 3);
  assert_memory_equal(got, "old", 3);
  free(got);

  /* A key whose folder cannot be made (a file is in the way) is refused at begin. */
  o = (ps_target_object *)&o;
  assert_int_not_equal(ps_target_begin(t, "x.parquet/inner", NULL, &o), PS_OK);
  assert_null(o);
  ps_target_close(t);
}

/* The temporary files a crashed writer left beside a key go once the key is committed again;
 * other hidden files, and another key's, stay. */
static void test_file_commit_removes_what_a_crash_left(void **state) {
  ps_export_target *t = open_folder("crashed");
  char folder[512], names[1024], why[256], path[700];
  snprintf(folder, sizeof folder, "%s/crashed", tmp_root);
  ps_target_object *o = NULL;
  assert_int_equal(ps_target_begin(t, "day.parquet", NULL, &o), PS_OK);
  assert_int_equal(ps_target_commit(o, NULL, why, sizeof why), PS_OK);
  const char *const left[] = {".day.parquet.tmp-Ab12Cd", ".day.parquet.tmp-zzzzzz",
                              ".day.parquet.tmp-short", ".other.parquet.tmp-Ab12Cd", ".keep"};
  for (size_t i = 0; i < sizeof left / sizeof *left; i++) {
    snprintf(path, sizeof path, "%s/%s", folder, left[i]);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
  }
  assert_int_equal(ps_target_begin(t, "day.parquet", NULL, &o), PS_OK);
  assert_int_equal(ps_target_write(o, "again", 5), PS_OK);
  assert_int_equal(ps_target_commit(o, NULL, why, sizeof why), PS_OK);
  list_folder(folder, names, sizeof names);
  assert_string_equal(names, ".day.parquet.tmp-short,.keep,.other.parquet.tmp-Ab12Cd,day.parquet");
  ps_target_close(t);
}

/* The s3:// staging file is unlinked as soon as it is made: nothing to leave behind. */
static void test_s3_staging_leaves_no_file(void **state) {
  char stage[512], names[1024], why[256];
  snprintf(stage, sizeof stage, "%s/stage", tmp_root);
  assert_int_equal(mkdir(stage, 0700), 0);
  setenv("TMPDIR", stage, 1);
  ps_export_target *t = NULL;
  assert_int_equal(ps_target_open("s3://bucket?endpoint=http://127.0.0.1:1", &t, why, sizeof why),
                   PS_OK);
  ps_target_object *o = NULL;
  assert_int_equal(ps_target_begin(t, "a/b.bin", NULL, &o), PS_OK);
  unsigned char data[100000];
  write_pattern(o, data, sizeof data, 9);
  list_folder(stage, names, sizeof names);
  assert_string_equal(names, "");
  ps_target_abort(o);
  unsetenv("TMPDIR");
  ps_target_close(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_file_urls),
      cmocka_unit_test(test_s3_urls),
      cmocka_unit_test(test_s3_credentials),
      cmocka_unit_test(test_s3_virtual_hosted_address),
      cmocka_unit_test(test_keys),
      cmocka_unit_test(test_file_commit_is_whole_and_replaces),
      cmocka_unit_test(test_file_abort_leaves_nothing),
      cmocka_unit_test(test_file_commit_removes_what_a_crash_left),
      cmocka_unit_test(test_s3_staging_leaves_no_file),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
