/*
 * url.c: the ClickHouse store URL (internal.h gives its form). Guarantees: names that end up
 * in SQL (database, cluster) are plain identifiers ([A-Za-z0-9_], not starting with a digit),
 * so they need no quoting; the password is read from a file (never from the URL, which shows
 * in process lists and logs) and its trailing newline dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/clickhouse/internal.h"

#define DEFAULT_SPOOL_MAX_MB 1024

static int is_identifier(const char *s, size_t n) {
  if (n == 0 || n >= 64 || (s[0] >= '0' && s[0] <= '9')) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return 0;
  }
  return 1;
}

/* "%XX" and '+' decoded into out (cap bytes); 0 when it does not fit. */
static int decode(const char *s, size_t n, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%' && i + 2 < n) {
      char hex[3] = {s[i + 1], s[i + 2], 0};
      c = (char)strtol(hex, NULL, 16);
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    if (o + 1 >= cap) return 0;
    out[o++] = c;
  }
  out[o] = '\0';
  return 1;
}

static int read_password(const char *path, char *out, size_t cap) {
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(out, 1, cap - 1, f);
  int whole = feof(f) && !ferror(f);
  fclose(f);
  if (!whole) return 0;
  while (n && (out[n - 1] == '\n' || out[n - 1] == '\r')) n--;
  out[n] = '\0';
  return 1;
}

static int parse_servers(const char *s, size_t n, ps_ch_config *out) {
  out->nservers = 0;
  for (size_t i = 0; i < n;) {
    size_t end = i;
    while (end < n && s[end] != ',') end++;
    const char *colon = memchr(s + i, ':', end - i);
    if (out->nservers == PS_CH_MAX_SHARDS || !colon || colon == s + i) return 0;
    size_t hlen = (size_t)(colon - (s + i));
    if (hlen >= sizeof out->servers[0].host) return 0;
    ps_ch_server *srv = &out->servers[out->nservers++];
    memcpy(srv->host, s + i, hlen);
    srv->host[hlen] = '\0';
    char *stop = NULL;
    long port = strtol(colon + 1, &stop, 10);
    if (stop != s + end || port < 1 || port > 65535) return 0;
    srv->port = (int)port;
    i = end + 1;
  }
  return out->nservers > 0;
}

int ps_ch_config_parse(const char *url, ps_ch_config *out, const char **why) {
  memset(out, 0, sizeof *out);
  out->spool_max_bytes = (int64_t)DEFAULT_SPOOL_MAX_MB << 20;
  snprintf(out->spool_dir, sizeof out->spool_dir, "playstat-spool");
  if (strncmp(url, "//", 2) == 0) url += 2;
  const char *slash = strchr(url, '/');
  if (!slash || !parse_servers(url, (size_t)(slash - url), out)) {
    *why = "clickhouse store URL: want clickhouse://HOST:PORT[,HOST:PORT...]/DATABASE[?...]";
    return PS_EINVAL;
  }
  const char *db = slash + 1, *query = strchr(db, '?');
  size_t dblen = query ? (size_t)(query - db) : strlen(db);
  if (!is_identifier(db, dblen)) {
    *why = "clickhouse store URL: the database must be a name of letters, digits and _";
    return PS_EINVAL;
  }
  memcpy(out->database, db, dblen);
  char user[128] = "", password_file[4096] = "";
  for (const char *p = query ? query + 1 : NULL; p && *p;) {
    const char *amp = strchr(p, '&'), *end = amp ? amp : p + strlen(p);
    const char *eq = memchr(p, '=', (size_t)(end - p));
    if (!eq) {
      *why = "clickhouse store URL: a parameter without a value (want name=value)";
      return PS_EINVAL;
    }
    size_t klen = (size_t)(eq - p), vlen = (size_t)(end - eq - 1);
    const char *v = eq + 1;
    char value[4096];
    if (!decode(v, vlen, value, sizeof value)) {
      *why = "clickhouse store URL: a parameter value is too long";
      return PS_EINVAL;
    }
#define KEY(name) (klen == strlen(name) && strncmp(p, name, klen) == 0)
    if (KEY("cluster")) {
      if (!is_identifier(value, strlen(value))) {
        *why = "clickhouse store URL: cluster must be a name of letters, digits and _";
        return PS_EINVAL;
      }
      memcpy(out->cluster, value, strlen(value) + 1); /* < 64: an identifier */
    } else if (KEY("user")) {
      if (strlen(value) >= sizeof user) {
        *why = "clickhouse store URL: user is too long";
        return PS_EINVAL;
      }
      memcpy(user, value, strlen(value) + 1);
    } else if (KEY("password_file")) {
      snprintf(password_file, sizeof password_file, "%s", value);
    } else if (KEY("spool")) {
      snprintf(out->spool_dir, sizeof out->spool_dir, "%s", value);
    } else if (KEY("spool_max_mb")) {
      char *stop = NULL;
      long long mb = strtoll(value, &stop, 10);
      if (!*value || *stop || mb < 1 || mb > (1LL << 30)) {
        *why = "clickhouse store URL: spool_max_mb wants a whole number of MiB (1 or more)";
        return PS_EINVAL;
      }
      out->spool_max_bytes = mb << 20;
    } else if (KEY("password")) {
      *why = "clickhouse store URL: give the password as password_file=FILE, not in the URL";
      return PS_EINVAL;
    } else {
      *why = "clickhouse store URL: unknown parameter (known: cluster, user, password_file, "
             "spool, spool_max_mb)";
      return PS_EINVAL;
    }
#undef KEY
    p = amp ? amp + 1 : NULL;
  }
  char password[256] = "";
  if (password_file[0] && !read_password(password_file, password, sizeof password)) {
    *why = "clickhouse store URL: cannot read password_file";
    return PS_EINVAL;
  }
  if (out->cluster[0] == '\0' && out->nservers > 1) {
    *why = "clickhouse store URL: several servers need cluster=NAME (the remote_servers "
           "cluster whose shards they are)";
    return PS_EINVAL;
  }
  for (size_t i = 0; i < out->nservers; i++) {
    snprintf(out->servers[i].user, sizeof out->servers[i].user, "%s", user);
    snprintf(out->servers[i].password, sizeof out->servers[i].password, "%s", password);
  }
  return PS_OK;
}
