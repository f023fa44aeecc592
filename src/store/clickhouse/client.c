/* client.c: see client.h. */
#include "store/clickhouse/client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "common/thread_slot.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

static void *make_handle(void) {
  pthread_once(&curl_once, curl_init_once);
  return curl_easy_init();
}
static void destroy_handle(void *h) { curl_easy_cleanup(h); }
static ps_thread_slot handles = PS_THREAD_SLOT_INIT(make_handle, destroy_handle);

static size_t collect(char *data, size_t size, size_t n, void *ctx) {
  ps_buf *b = ctx;
  return ps_buf_append(b, data, size * n) == PS_OK ? size * n : 0;
}

static void set_error(char *err, size_t cap, const char *text, size_t len) {
  if (!err || !cap) return;
  while (len && (text[len - 1] == '\n' || text[len - 1] == '\r')) len--;
  if (len >= cap) len = cap - 1;
  memcpy(err, text, len);
  err[len] = '\0';
}

/* POSTs body to server with the URL's query string query (already escaped; may be ""). */
static int post(const ps_ch_server *server, const char *query, const char *body, size_t len,
                ps_buf *answer, char *err, size_t errcap, long timeout_ms) {
  CURL *h = ps_thread_slot_get(&handles);
  if (!h) {
    set_error(err, errcap, "out of memory", 13);
    return PS_ENOMEM;
  }
  char url[1024];
  snprintf(url, sizeof url, "http://%s:%d/?%s", server->host, server->port, query);
  ps_buf got = {0};
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &got);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 60000L);
  if (server->user[0]) {
    curl_easy_setopt(h, CURLOPT_USERNAME, server->user);
    curl_easy_setopt(h, CURLOPT_PASSWORD, server->password);
  }
  struct curl_slist *headers = curl_slist_append(NULL, "Expect:");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  CURLcode cc = curl_easy_perform(h);
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  int rc = PS_OK;
  if (cc != CURLE_OK) {
    const char *why = curl_easy_strerror(cc);
    char text[512];
    int n = snprintf(text, sizeof text, "ClickHouse at %s:%d: %s", server->host, server->port, why);
    set_error(err, errcap, text, (size_t)n);
    rc = PS_EIO;
  } else if (status != 200) {
    set_error(err, errcap, got.data ? got.data : "", got.len);
    rc = PS_EIO;
  } else if (answer) {
    ps_buf_free(answer);
    *answer = got;
    return PS_OK;
  }
  ps_buf_free(&got);
  return rc;
}

int ps_ch_exec(const ps_ch_server *server, const char *sql, ps_buf *answer, char *err,
               size_t errcap, long timeout_ms) {
  return post(server, "", sql, strlen(sql), answer, err, errcap, timeout_ms);
}

int ps_ch_insert(const ps_ch_server *server, const char *table, const char *rows, size_t len,
                 char *err, size_t errcap) {
  char query[512];
  /* table is one of the store's own names ([a-z0-9_.]), so it needs no escaping but spaces */
  snprintf(query, sizeof query,
           "insert_distributed_sync=1&query=INSERT%%20INTO%%20%s%%20FORMAT%%20TabSeparated", table);
  return post(server, query, rows, len, NULL, err, errcap, 0);
}

/* ---- SQL text ---- */

int ps_ch_sql_string(ps_buf *b, const char *s, size_t len) {
  if (ps_buf_reserve(b, len * 4 + 2) != PS_OK) return PS_ENOMEM;
  char *o = b->data + b->len;
  *o++ = '\'';
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\'' || c == '\\') {
      *o++ = '\\';
      *o++ = (char)c;
    } else if (c < 0x20) {
      static const char hex[] = "0123456789abcdef";
      *o++ = '\\';
      *o++ = 'x';
      *o++ = hex[c >> 4];
      *o++ = hex[c & 15];
    } else {
      *o++ = (char)c;
    }
  }
  *o++ = '\'';
  b->len = (size_t)(o - b->data);
  b->data[b->len] = '\0';
  return PS_OK;
}

/* The bytes a TabSeparated field escapes. */
static int tsv_special(unsigned char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r' || c == 0; }

int ps_ch_tsv_field(ps_buf *b, const char *s, size_t len) {
  if (ps_buf_reserve(b, len * 2) != PS_OK) return PS_ENOMEM;
  char *o = b->data + b->len;
  size_t i = 0;
  while (i < len) {
    size_t run = i; /* a run of plain bytes, copied whole (JSON bodies are nearly all plain) */
    while (run < len && !tsv_special((unsigned char)s[run])) run++;
    memcpy(o, s + i, run - i);
    o += run - i;
    if (run == len) break;
    char c = s[run];
    *o++ = '\\';
    *o++ = c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == 0 ? '0' : '\\';
    i = run + 1;
  }
  b->len = (size_t)(o - b->data);
  b->data[b->len] = '\0';
  return PS_OK;
}

void ps_ch_date_text(int64_t day, char out[11]) {
  if (day < 0) day = 0;
  if (day > PS_CH_LAST_DAY) day = PS_CH_LAST_DAY;
  time_t t = (time_t)(day * 86400);
  struct tm tm;
  gmtime_r(&t, &tm);
  int y = tm.tm_year + 1900, m = tm.tm_mon + 1, d = tm.tm_mday; /* 1970..2106 */
  out[0] = (char)('0' + y / 1000);
  out[1] = (char)('0' + y / 100 % 10);
  out[2] = (char)('0' + y / 10 % 10);
  out[3] = (char)('0' + y % 10);
  out[4] = '-';
  out[5] = (char)('0' + m / 10);
  out[6] = (char)('0' + m % 10);
  out[7] = '-';
  out[8] = (char)('0' + d / 10);
  out[9] = (char)('0' + d % 10);
  out[10] = '\0';
}

int ps_ch_sql_day(ps_buf *sql, int64_t ms) {
  char day[11];
  ps_ch_date_text(ms > 0 ? ms / 86400000 : 0, day);
  return ps_buf_printf(sql, "'%s'", day);
}

/* ---- TabSeparated answers ---- */

void ps_ch_rows_init(ps_ch_rows *r, ps_buf *answer) {
  r->next = answer->data;
  r->end = answer->data ? answer->data + answer->len : NULL;
  r->nfields = 0;
}

/* Unescapes [p, end) in place; returns the new length. */
static size_t unescape(char *p, char *end) {
  char *o = p;
  for (char *i = p; i < end; i++) {
    if (*i != '\\' || i + 1 == end) {
      *o++ = *i;
      continue;
    }
    char c = *++i;
    switch (c) {
      case 't': *o++ = '\t'; break;
      case 'n': *o++ = '\n'; break;
      case 'r': *o++ = '\r'; break;
      case '0': *o++ = '\0'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'N': break; /* NULL: empty */
      default: *o++ = c;
    }
  }
  return (size_t)(o - p);
}

int ps_ch_rows_next(ps_ch_rows *r) {
  r->nfields = 0;
  if (!r->next || r->next >= r->end) return 0;
  char *line = r->next;
  char *nl = memchr(line, '\n', (size_t)(r->end - line));
  char *stop = nl ? nl : r->end;
  r->next = nl ? nl + 1 : r->end;
  char *f = line;
  for (;;) {
    char *tab = memchr(f, '\t', (size_t)(stop - f));
    char *fend = tab ? tab : stop;
    if (r->nfields < 64) {
      size_t n = unescape(f, fend);
      f[n] = '\0';
      r->fields[r->nfields] = f;
      r->lens[r->nfields] = n;
      r->nfields++;
    }
    if (!tab) break;
    f = tab + 1;
  }
  return 1;
}

const char *ps_ch_field(const ps_ch_rows *r, size_t i) { return i < r->nfields ? r->fields[i] : ""; }

int64_t ps_ch_field_int(const ps_ch_rows *r, size_t i) {
  return i < r->nfields ? strtoll(r->fields[i], NULL, 10) : 0;
}

double ps_ch_field_double(const ps_ch_rows *r, size_t i) {
  return i < r->nfields ? strtod(r->fields[i], NULL) : 0;
}
