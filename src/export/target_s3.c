/*
 * target_s3.c: the s3:// export target, an S3-compatible bucket, written with signed HTTP
 * requests (AWS Signature V4 by libcurl's CURLOPT_AWS_SIGV4, "aws:amz:REGION:s3").
 *
 * An object is staged in an unlinked temporary file (TMPDIR, else /tmp) while its SHA-256 is
 * computed; commit PUTs it whole (x-amz-content-sha256 = that digest, Content-Type, Content-
 * Length), or, above the part size (64 MiB; PLAYSTAT_S3_PART_BYTES, 5 MiB to 5 GiB, for tests),
 * through a multipart upload (s3_multipart.c). S3 makes an object visible only once its PUT or
 * CompleteMultipartUpload succeeded, and a new one replaces the old whole: readers never see
 * part of an object. commit() returns 0 only on a 200 answer.
 *
 * Every request is tried up to 3 times (a short backoff) on connection errors and 5xx answers
 * (503 SlowDown included); connect and low-speed timeouts bound a dead server. Keys are
 * URI-encoded segment by segment ('/' kept), because libcurl signs the path exactly as sent.
 * Credentials come from the environment at open (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN); they are never part of display() nor of any error sentence.
 */
#include <curl/curl.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/errors.h"
#include "export/target_internal.h"

#define MIB (1024LL * 1024)
#define DEFAULT_PART_BYTES (64 * MIB)
#define MIN_PART_BYTES (5 * MIB)
#define MAX_PART_BYTES (5 * 1024 * MIB)
#define TRIES 3
#define ANSWER_CAP (64 * 1024)

typedef struct s3_state {
  char *bucket;
  char *prefix;   /* "" or without leading or trailing '/' */
  char *base_url; /* scheme://host[:port][/path], the bucket in it or after it */
  int bucket_in_path;
  char *region;
  char *sigv4; /* "aws:amz:REGION:s3" */
  char *access_key, *secret_key, *session_token;
  int64_t part_bytes;
} s3_state;

struct ps_s3_connection {
  s3_state *s;
  CURL *h;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void free_secret(char *secret) {
  if (!secret) return;
  OPENSSL_cleanse(secret, strlen(secret));
  free(secret);
}

static void s3_close(void *state) {
  s3_state *s = state;
  if (!s) return;
  free(s->bucket);
  free(s->prefix);
  free(s->base_url);
  free(s->region);
  free(s->sigv4);
  free(s->access_key);
  free_secret(s->secret_key);
  free_secret(s->session_token);
  free(s);
}

/* ---- helpers shared with s3_multipart.c ---- */

int ps_s3_uri_encode(ps_buf *b, const char *text, int keep_slash) {
  static const char hex[] = "0123456789ABCDEF";
  for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
    unsigned c = *p;
    int unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
    char escaped[3] = {'%', hex[c >> 4], hex[c & 15]};
    int rc = unreserved ? ps_buf_append(b, p, 1) : ps_buf_append(b, escaped, 3);
    if (rc != PS_OK) return rc;
  }
  return PS_OK;
}

int ps_s3_sha256_hex(int fd, int64_t offset, int64_t length, const void *data, char out[65]) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
    EVP_MD_CTX_free(ctx);
    return PS_ENOMEM;
  }
  int rc = PS_OK;
  if (fd < 0) {
    if (length && EVP_DigestUpdate(ctx, data, (size_t)length) != 1) rc = PS_EIO;
  } else {
    size_t cap = 1 << 20;
    unsigned char *chunk = malloc(cap);
    if (!chunk) rc = PS_ENOMEM;
    while (rc == PS_OK && length > 0) {
      size_t want = length < (int64_t)cap ? (size_t)length : cap;
      ssize_t n = pread(fd, chunk, want, (off_t)offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0 || EVP_DigestUpdate(ctx, chunk, (size_t)n) != 1) {
        rc = PS_EIO;
        break;
      }
      offset += n;
      length -= n;
    }
    free(chunk);
  }
  unsigned char digest[32];
  unsigned int len = 0;
  if (rc == PS_OK && EVP_DigestFinal_ex(ctx, digest, &len) != 1) rc = PS_EIO;
  EVP_MD_CTX_free(ctx);
  if (rc != PS_OK) return rc;
  for (unsigned i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", digest[i]);
  return PS_OK;
}

int ps_s3_xml_value(const char *xml, const char *tag, char *out, size_t out_cap) {
  char open_tag[64], close_tag[64];
  snprintf(open_tag, sizeof open_tag, "<%s>", tag);
  snprintf(close_tag, sizeof close_tag, "</%s>", tag);
  const char *start = xml ? strstr(xml, open_tag) : NULL;
  if (!start) return -1;
  start += strlen(open_tag);
  const char *end = strstr(start, close_tag);
  if (!end) return -1;
  size_t n = (size_t)(end - start), k = 0;
  for (size_t i = 0; i < n && k + 1 < out_cap; i++)
    out[k++] = (unsigned char)start[i] < 0x20 ? ' ' : start[i]; /* one line */
  if (out_cap) out[k] = '\0';
  return 0;
}

/* ---- one signed request ---- */

typedef struct body_reader {
  int fd;
  int64_t offset, left;
} body_reader;

static size_t read_body(char *to, size_t size, size_t n, void *ctx) {
  body_reader *r = ctx;
  size_t want = size * n;
  if ((int64_t)want > r->left) want = (size_t)r->left;
  if (want == 0) return 0;
  for (;;) {
    ssize_t got = pread(r->fd, to, want, (off_t)r->offset);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return CURL_READFUNC_ABORT; /* the staging file lost bytes */
    r->offset += got;
    r->left -= got;
    return (size_t)got;
  }
}

static size_t collect_answer(char *data, size_t size, size_t n, void *ctx) {
  ps_buf *b = ctx;
  size_t len = size * n;
  if (b->len < ANSWER_CAP) {
    size_t keep = ANSWER_CAP - b->len < len ? ANSWER_CAP - b->len : len;
    if (ps_buf_append(b, data, keep) != PS_OK) return 0;
  }
  return len;
}

static size_t collect_etag(char *line, size_t size, size_t n, void *ctx) {
  ps_s3_request *r = ctx;
  size_t len = size * n;
  if (len > 5 && strncasecmp(line, "ETag:", 5) == 0) {
    size_t start = 5, end = len;
    while (start < end && (line[start] == ' ' || line[start] == '\t')) start++;
    while (end > start && (line[end - 1] == '\r' || line[end - 1] == '\n' || line[end - 1] == ' '))
      end--;
    size_t k = end - start < sizeof r->etag - 1 ? end - start : sizeof r->etag - 1;
    memcpy(r->etag, line + start, k);
    r->etag[k] = '\0';
  }
  return len;
}

static int object_url(const s3_state *s, const char *key, const char *query, ps_buf *url) {
  int rc = ps_buf_append_str(url, s->base_url);
  if (rc == PS_OK && s->bucket_in_path) rc = ps_buf_printf(url, "/%s", s->bucket);
  if (rc == PS_OK) rc = ps_buf_append_str(url, "/");
  if (rc == PS_OK && s->prefix[0]) {
    rc = ps_s3_uri_encode(url, s->prefix, 1);
    if (rc == PS_OK) rc = ps_buf_append_str(url, "/");
  }
  if (rc == PS_OK) rc = ps_s3_uri_encode(url, key, 1);
  if (rc == PS_OK && query && *query) rc = ps_buf_printf(url, "?%s", query);
  return rc;
}

static int retryable(CURLcode cc, long status) {
  if (cc == CURLE_OK) return status >= 500 && status <= 599;
  return cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
         cc == CURLE_OPERATION_TIMEDOUT || cc == CURLE_SEND_ERROR || cc == CURLE_RECV_ERROR ||
         cc == CURLE_GOT_NOTHING || cc == CURLE_PARTIAL_FILE || cc == CURLE_SSL_CONNECT_ERROR;
}

static void backoff(int attempt) {
  struct timespec wait = {0, 250L * 1000 * 1000}; /* 0.25 s, then 1 s */
  if (attempt >= 2) wait = (struct timespec){1, 0};
  while (nanosleep(&wait, &wait) != 0 && errno == EINTR) {
  }
}

static int add_header(struct curl_slist **headers, const char *name, const char *value) {
  ps_buf line = {0};
  int rc = ps_buf_printf(&line, "%s: %s", name, value);
  struct curl_slist *more = rc == PS_OK ? curl_slist_append(*headers, line.data) : NULL;
  ps_buf_free(&line);
  if (!more) return PS_ENOMEM;
  *headers = more;
  return PS_OK;
}

/* One try of r; the answer's body in answer. */
static CURLcode perform_once(ps_s3_connection *c, const char *url, ps_s3_request *r,
                             struct curl_slist *headers, ps_buf *answer) {
  CURL *h = c->h;
  s3_state *s = c->s;
  body_reader body = {r->fd, r->offset, r->length};
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
  curl_easy_setopt(h, CURLOPT_USERNAME, s->access_key);
  curl_easy_setopt(h, CURLOPT_PASSWORD, s->secret_key);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
  /* Nothing moving for two minutes is a dead connection (not less: S3 may keep a slow
   * CompleteMultipartUpload alive with a space every few seconds). */
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 120L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_answer);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, answer);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, collect_etag);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
  if (strcmp(r->method, "PUT") == 0) {
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, &body);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->length);
  } else if (strcmp(r->method, "POST") == 0) {
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body ? r->body : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
  } else {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
  }
  r->etag[0] = '\0';
  r->status = 0;
  CURLcode cc = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
  return cc;
}

int ps_s3_perform(ps_s3_connection *c, ps_target_object *o, const char *operation,
                  ps_s3_request *r, char *why, size_t why_cap) {
  s3_state *s = c->s;
  ps_buf url = {0}, answer = {0};
  struct curl_slist *headers = NULL;
  r->answer = NULL;
  r->answer_len = 0;
  int rc = object_url(s, o->key, r->query, &url);
  if (rc == PS_OK) rc = add_header(&headers, "x-amz-content-sha256", r->sha256_hex);
  if (rc == PS_OK && r->content_type) rc = add_header(&headers, "Content-Type", r->content_type);
  if (rc == PS_OK && s->session_token)
    rc = add_header(&headers, "x-amz-security-token", s->session_token);
  if (rc != PS_OK) {
    ps_buf_free(&url);
    curl_slist_free_all(headers);
    ps_target_why(why, why_cap, "out of memory");
    return PS_ENOMEM;
  }
  CURLcode cc = CURLE_OK;
  int attempt;
  for (attempt = 1; attempt <= TRIES; attempt++) {
    ps_buf_reset(&answer);
    cc = perform_once(c, url.data, r, headers, &answer);
    if (!retryable(cc, r->status) || attempt == TRIES) break;
    backoff(attempt);
  }
  if (attempt > TRIES) attempt = TRIES;
  curl_slist_free_all(headers);
  int ok = cc == CURLE_OK &&
           (r->status == 200 || (r->status == 204 && strcmp(r->method, "DELETE") == 0));
  if (cc != CURLE_OK) {
    ps_target_why(why, why_cap, "%s: %s of %s failed at %s: %s (after %d %s)",
                  o->target->display, operation, o->key, s->base_url, curl_easy_strerror(cc),
                  attempt, attempt == 1 ? "try" : "tries");
    rc = PS_EIO;
  } else if (!ok) {
    char code[128] = "", message[512] = "";
    ps_s3_xml_value(answer.data, "Code", code, sizeof code);
    ps_s3_xml_value(answer.data, "Message", message, sizeof message);
    char tries[32] = "";
    if (attempt > 1) snprintf(tries, sizeof tries, " (after %d tries)", attempt);
    ps_target_why(why, why_cap, "%s: %s of %s: the service answered HTTP %ld%s%s%s%s%s%s",
                  o->target->display, operation, o->key, r->status, code[0] ? " " : "", code,
                  message[0] ? " (" : "", message, message[0] ? ")" : "", tries);
    rc = r->status == 403 ? PS_EAUTH : PS_EIO;
  }
  ps_buf_free(&url);
  if (rc == PS_OK) {
    r->answer_len = answer.len;
    r->answer = ps_buf_steal(&answer);
  }
  ps_buf_free(&answer);
  return rc;
}

/* ---- the backend ---- */

static int s3_begin(ps_target_object *o) {
  const char *dir = getenv("TMPDIR");
  if (!dir || !*dir) dir = "/tmp";
  size_t n = strlen(dir) + 32;
  char *path = malloc(n);
  if (!path) return PS_ENOMEM;
  snprintf(path, n, "%s/playstat-s3-XXXXXX", dir);
  int fd = mkstemp(path);
  if (fd >= 0) unlink(path); /* nothing to clean up whatever happens */
  free(path);
  if (fd < 0) return PS_EIO;
  o->sha256 = EVP_MD_CTX_new();
  if (!o->sha256 || EVP_DigestInit_ex(o->sha256, EVP_sha256(), NULL) != 1) {
    close(fd);
    return PS_ENOMEM;
  }
  o->fd = fd;
  return PS_OK;
}

static void s3_abort(ps_target_object *o) {
  if (o->fd >= 0) close(o->fd);
  o->fd = -1;
}

static int s3_commit(ps_target_object *o, char *why, size_t why_cap) {
  s3_state *s = o->target->state;
  pthread_once(&curl_once, curl_init_once);
  ps_s3_connection c = {s, curl_easy_init()};
  if (!c.h) {
    ps_target_why(why, why_cap, "out of memory");
    return PS_ENOMEM;
  }
  int rc;
  if (o->bytes > s->part_bytes) {
    rc = ps_s3_multipart_upload(&c, o, s->part_bytes, why, why_cap);
  } else {
    ps_s3_request r = {.method = "PUT", .query = "", .content_type = o->content_type,
                       .fd = o->fd, .offset = 0, .length = o->bytes};
    unsigned char digest[32];
    unsigned int len = 0;
    rc = EVP_DigestFinal_ex(o->sha256, digest, &len) == 1 ? PS_OK : PS_EIO;
    for (unsigned i = 0; rc == PS_OK && i < 32; i++)
      snprintf(r.sha256_hex + 2 * i, 3, "%02x", digest[i]);
    if (rc == PS_OK) rc = ps_s3_perform(&c, o, "PUT", &r, why, why_cap);
    else ps_target_why(why, why_cap, "%s: the digest of %s failed", o->target->display, o->key);
    free(r.answer);
  }
  curl_easy_cleanup(c.h);
  return rc;
}

static const ps_target_backend s3_backend = {
    .scheme = "s3",
    .begin = s3_begin,
    .commit = s3_commit,
    .abort = s3_abort,
    .close = s3_close,
};

/* ---- the URL ---- */

static int valid_bucket(const char *b) {
  size_t n = strlen(b);
  if (n < 3 || n > 63) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = b[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return 0;
  }
  return b[0] != '.' && b[0] != '-' && b[n - 1] != '.' && b[n - 1] != '-';
}

static int valid_region(const char *r) {
  if (!*r || strlen(r) > 64) return 0;
  for (; *r; r++)
    if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-')) return 0;
  return 1;
}

/* An http(s) endpoint without credentials, query or fragment; the trailing '/' removed. */
static int valid_endpoint(char *e) {
  const char *authority;
  if (strncmp(e, "http://", 7) == 0) authority = e + 7;
  else if (strncmp(e, "https://", 8) == 0) authority = e + 8;
  else return 0;
  size_t host_len = strcspn(authority, "/");
  if (host_len == 0 || memchr(authority, '@', host_len) || strpbrk(e, "?#") != NULL) return 0;
  for (const char *p = e; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f) return 0;
  size_t n = strlen(e);
  while (n && e[n - 1] == '/') e[--n] = '\0';
  return 1;
}

static int printable(const char *v) {
  for (; *v; v++)
    if ((unsigned char)*v < 0x20 || *v == 0x7f) return 0;
  return 1;
}

static char *env_value(const char *name) {
  const char *v = getenv(name);
  return v && *v ? strdup(v) : NULL;
}

typedef struct s3_query {
  char *endpoint, *region;
  int path_style; /* -1 unset */
} s3_query;

static int parse_query(const char *q, s3_query *out, char *why, size_t why_cap) {
  out->path_style = -1;
  while (q && *q) {
    size_t n = strcspn(q, "&");
    const char *eq = memchr(q, '=', n);
    if (!eq) {
      ps_target_why(why, why_cap, "the s3:// URL's parameter \"%.*s\" has no value", (int)n, q);
      return PS_EINVAL;
    }
    size_t name_len = (size_t)(eq - q);
    char *value = ps_target_percent_decode(eq + 1, n - name_len - 1);
    if (!value) {
      ps_target_why(why, why_cap, "the s3:// URL has a malformed %% escape");
      return PS_EINVAL;
    }
    char **slot = NULL;
    if (name_len == 8 && !strncmp(q, "endpoint", 8)) slot = &out->endpoint;
    else if (name_len == 6 && !strncmp(q, "region", 6)) slot = &out->region;
    if (slot) {
      free(*slot);
      *slot = value;
    } else if (name_len == 10 && !strncmp(q, "path_style", 10)) {
      int on = !strcmp(value, "1") || !strcmp(value, "true");
      int off = !strcmp(value, "0") || !strcmp(value, "false");
      free(value);
      if (!on && !off) {
        ps_target_why(why, why_cap, "path_style is 1 or 0 (true or false)");
        return PS_EINVAL;
      }
      out->path_style = on;
    } else {
      free(value);
      ps_target_why(why, why_cap,
                    "the s3:// URL's parameter \"%.*s\" is unknown (endpoint, region, path_style)",
                    (int)name_len, q);
      return PS_EINVAL;
    }
    q += n;
    if (*q == '&') q++;
  }
  return PS_OK;
}

static int64_t part_bytes_from_env(int *ok) {
  const char *v = getenv("PLAYSTAT_S3_PART_BYTES");
  *ok = 1;
  if (!v || !*v) return DEFAULT_PART_BYTES;
  char *end;
  errno = 0;
  long long n = strtoll(v, &end, 10);
  if (errno || *end || n < MIN_PART_BYTES || n > MAX_PART_BYTES) *ok = 0;
  return n;
}

/* Fills s from the URL after "s3://" and the environment; the display text in t. */
static int configure(const char *rest, s3_state *s, ps_export_target *t, char *why,
                     size_t why_cap) {
  const char *question = strchr(rest, '?');
  size_t location_len = question ? (size_t)(question - rest) : strlen(rest);
  size_t bucket_len = strcspn(rest, "/?");
  s->bucket = ps_target_strndup(rest, bucket_len);
  const char *prefix = rest + bucket_len;
  while (*prefix == '/' && prefix < rest + location_len) prefix++;
  size_t prefix_len = location_len - (size_t)(prefix - rest);
  while (prefix_len && prefix[prefix_len - 1] == '/') prefix_len--;
  s->prefix = ps_target_strndup(prefix, prefix_len);
  if (!s->bucket || !s->prefix) goto out_of_memory;
  if (!valid_bucket(s->bucket)) {
    ps_target_why(why, why_cap,
                  "\"%s\" is not a bucket name (3 to 63 lower-case letters, digits, '.' and '-')",
                  s->bucket);
    return PS_EINVAL;
  }
  if (s->prefix[0] && ps_target_check_key(s->prefix, "prefix", why, why_cap) != PS_OK)
    return PS_EINVAL;

  s3_query q = {0};
  int rc = parse_query(question ? question + 1 : NULL, &q, why, why_cap);
  if (rc == PS_OK && !q.region) q.region = env_value("AWS_REGION");
  if (rc == PS_OK && !q.region) q.region = strdup("us-east-1");
  int custom_endpoint = q.endpoint != NULL;
  if (rc == PS_OK && !q.endpoint && (q.endpoint = env_value("AWS_ENDPOINT_URL"))) custom_endpoint = 1;
  if (rc == PS_OK && (!q.region || !valid_region(q.region))) {
    ps_target_why(why, why_cap, "the region \"%s\" is not one (lower-case letters, digits, '-')",
                  q.region ? q.region : "");
    rc = PS_EINVAL;
  }
  if (rc == PS_OK && custom_endpoint && !valid_endpoint(q.endpoint)) {
    ps_target_why(why, why_cap,
                  "the endpoint must be http://HOST[:PORT] or https://HOST[:PORT], without "
                  "credentials (they come from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)");
    rc = PS_EINVAL;
  }
  if (rc != PS_OK) {
    free(q.endpoint);
    free(q.region);
    return rc;
  }
  s->region = q.region;
  s->bucket_in_path = q.path_style >= 0 ? q.path_style : custom_endpoint;
  ps_buf base = {0};
  const char *endpoint = custom_endpoint ? q.endpoint : NULL;
  if (!endpoint) {
    rc = s->bucket_in_path
             ? ps_buf_printf(&base, "https://s3.%s.amazonaws.com", s->region)
             : ps_buf_printf(&base, "https://%s.s3.%s.amazonaws.com", s->bucket, s->region);
  } else if (s->bucket_in_path) {
    rc = ps_buf_append_str(&base, endpoint);
  } else { /* virtual-hosted: the bucket before the endpoint's host */
    const char *authority = strstr(endpoint, "://") + 3;
    rc = ps_buf_printf(&base, "%.*s%s.%s", (int)(authority - endpoint), endpoint, s->bucket,
                       authority);
  }
  s->base_url = ps_buf_steal(&base);
  ps_buf display = {0};
  if (rc == PS_OK) {
    rc = ps_buf_printf(&display, "s3://%s%s%s?", s->bucket, s->prefix[0] ? "/" : "", s->prefix);
    if (rc == PS_OK && endpoint) rc = ps_buf_printf(&display, "endpoint=%s&", endpoint);
    if (rc == PS_OK) rc = ps_buf_printf(&display, "region=%s", s->region);
    if (rc == PS_OK && s->bucket_in_path != custom_endpoint)
      rc = ps_buf_printf(&display, "&path_style=%d", s->bucket_in_path);
  }
  free(q.endpoint);
  t->display = ps_buf_steal(&display);
  if (rc != PS_OK || !s->base_url || !t->display) goto out_of_memory;
  s->sigv4 = malloc(strlen(s->region) + 16);
  if (!s->sigv4) goto out_of_memory;
  sprintf(s->sigv4, "aws:amz:%s:s3", s->region);

  s->access_key = env_value("AWS_ACCESS_KEY_ID");
  s->secret_key = env_value("AWS_SECRET_ACCESS_KEY");
  s->session_token = env_value("AWS_SESSION_TOKEN");
  if (!s->access_key || !s->secret_key) {
    ps_target_why(why, why_cap,
                  "%s: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set (the credentials "
                  "come from the environment)",
                  t->display);
    return PS_EAUTH;
  }
  if (!printable(s->access_key) || strchr(s->access_key, ':') || !printable(s->secret_key) ||
      (s->session_token && !printable(s->session_token))) {
    ps_target_why(why, why_cap, "%s: the AWS credentials in the environment hold control "
                  "characters (or the key id a ':')", t->display);
    return PS_EAUTH;
  }
  int ok;
  s->part_bytes = part_bytes_from_env(&ok);
  if (!ok) {
    ps_target_why(why, why_cap, "PLAYSTAT_S3_PART_BYTES must be a number of bytes from %lld "
                  "(5 MiB) to %lld (5 GiB)", MIN_PART_BYTES, MAX_PART_BYTES);
    return PS_EINVAL;
  }
  return PS_OK;
out_of_memory:
  ps_target_why(why, why_cap, "out of memory");
  return PS_ENOMEM;
}

int ps_target_s3_open(const char *rest, ps_export_target *t, char *why, size_t why_cap) {
  s3_state *s = calloc(1, sizeof *s);
  if (!s) {
    ps_target_why(why, why_cap, "out of memory");
    return PS_ENOMEM;
  }
  int rc = configure(rest, s, t, why, why_cap);
  if (rc != PS_OK) {
    s3_close(s);
    return rc;
  }
  t->backend = &s3_backend;
  t->state = s;
  return PS_OK;
}
