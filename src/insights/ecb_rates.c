/* ecb_rates.c: see ecb_rates.h. */
#include "insights/ecb_rates.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/rfc3339.h"
#include "store/currency.h"

#define MAX_FIELD 64 /* longer fields are refused (no valid date, code or rate is this long) */

typedef struct field {
  const char *p;
  size_t len;
} field;

typedef struct reader {
  const char *text;
  size_t len, at;
  size_t line; /* 1-based number of the line last read */
  char *why;
  size_t why_cap;
} reader;

static int fail(reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(reader *r, const char *fmt, ...) {
  int n = snprintf(r->why, r->why_cap, "line %zu: ", r->line);
  if (n >= 0 && (size_t)n < r->why_cap) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->why + n, r->why_cap - (size_t)n, fmt, ap);
    va_end(ap);
  }
  return PS_EINVAL;
}

/* The next line without its end (LF, CRLF); 0 at the end of the text. */
static int next_line(reader *r, field *line) {
  if (r->at >= r->len) return 0;
  const char *start = r->text + r->at;
  const char *nl = memchr(start, '\n', r->len - r->at);
  size_t n = nl ? (size_t)(nl - start) : r->len - r->at;
  r->at += n + (nl != NULL);
  r->line++;
  if (n && start[n - 1] == '\r') n--;
  *line = (field){start, n};
  return 1;
}

static int blank(field line) {
  for (size_t i = 0; i < line.len; i++)
    if (line.p[i] != ' ' && line.p[i] != '\t') return 0;
  return 1;
}

/* Splits line at commas into fields (trimmed of spaces and tabs), dropping one trailing empty
 * field. The number of fields, or -1 when there are more than cap. */
static long split(field line, field *fields, size_t cap) {
  size_t n = 0, start = 0;
  for (size_t i = 0; i <= line.len; i++) {
    if (i < line.len && line.p[i] != ',') continue;
    if (n == cap) return -1;
    field f = {line.p + start, i - start};
    while (f.len && (*f.p == ' ' || *f.p == '\t')) f.p++, f.len--;
    while (f.len && (f.p[f.len - 1] == ' ' || f.p[f.len - 1] == '\t')) f.len--;
    fields[n++] = f;
    start = i + 1;
  }
  if (n > 1 && fields[n - 1].len == 0) n--;
  return (long)n;
}

static int is(field f, const char *s) { return f.len == strlen(s) && !memcmp(f.p, s, f.len); }

static const char *const months[] = {"January", "February", "March",     "April",
                                     "May",     "June",     "July",      "August",
                                     "September", "October", "November", "December"};

/* The day of a date field (YYYY-MM-DD or "D Month YYYY"), or -1. */
static int64_t day_of(field f) {
  char iso[32];
  if (f.len == 10 && f.p[4] == '-') {
    snprintf(iso, sizeof iso, "%.10sT00:00:00Z", f.p);
  } else {
    char text[MAX_FIELD + 1], month[16];
    unsigned d, y;
    int used = 0;
    memcpy(text, f.p, f.len);
    text[f.len] = 0;
    if (sscanf(text, "%2u %15s %4u%n", &d, month, &y, &used) != 3 || (size_t)used != f.len ||
        !(text[0] >= '0' && text[0] <= '9'))
      return -1;
    unsigned m = 0;
    while (m < 12 && strcmp(months[m], month) != 0) m++;
    if (m == 12) return -1;
    snprintf(iso, sizeof iso, "%04u-%02u-%02uT00:00:00Z", y, m + 1, d);
  }
  int64_t ms;
  if (ps_rfc3339_parse(iso, &ms) != PS_OK) return -1;
  return ms / 86400000;
}

/* A rate field: 1 with *v for a plain decimal > 0, 0 for "N/A" or empty, -1 otherwise. */
static int rate_of(field f, double *v) {
  if (f.len == 0 || is(f, "N/A")) return 0;
  char text[MAX_FIELD + 1];
  int dots = 0, digits = 0;
  for (size_t i = 0; i < f.len; i++) {
    if (f.p[i] == '.') dots++;
    else if (f.p[i] >= '0' && f.p[i] <= '9') digits++;
    else return -1;
  }
  if (dots > 1 || !digits) return -1;
  memcpy(text, f.p, f.len);
  text[f.len] = 0;
  *v = strtod(text, NULL);
  return *v > 0 ? 1 : -1;
}

static int read_header(reader *r, ps_ecb_rates *out) {
  field line, fields[PS_ECB_MAX_CURRENCIES + 2];
  do {
    if (!next_line(r, &line)) {
      if (!r->line) r->line = 1;
      return fail(r, "no header (Date,USD,JPY,...)");
    }
  } while (blank(line));
  if (r->line == 1 && line.len >= 3 && !memcmp(line.p, "\xEF\xBB\xBF", 3))
    line.p += 3, line.len -= 3;
  long n = split(line, fields, sizeof fields / sizeof *fields);
  if (n < 0 || n - 1 > PS_ECB_MAX_CURRENCIES)
    return fail(r, "more than %d currencies", PS_ECB_MAX_CURRENCIES);
  if (!is(fields[0], "Date")) return fail(r, "the header must start with Date");
  if (n < 2) return fail(r, "the header names no currency");
  for (long i = 1; i < n; i++) {
    char code[4] = "";
    if (fields[i].len == 3) memcpy(code, fields[i].p, 3);
    if (!ps_currency_code_valid(code))
      return fail(r, "column %ld: \"%.*s\" is not a currency code (three uppercase letters)",
                  i + 1, (int)(fields[i].len > 16 ? 16 : fields[i].len), fields[i].p);
    if (!strcmp(code, "EUR")) return fail(r, "EUR is the base of the rates (always 1)");
    for (size_t k = 0; k < out->ncurrencies; k++)
      if (!strcmp(out->currencies[k], code)) return fail(r, "%s appears twice", code);
    memcpy(out->currencies[out->ncurrencies++], code, 4);
  }
  return PS_OK;
}

static int cmp_day(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Reads the rows after the header; days[] collects each row's day (cap grown as needed). */
static int read_rows(reader *r, ps_ecb_rates *out, int64_t **days, size_t *days_cap) {
  field line, fields[PS_ECB_MAX_CURRENCIES + 2];
  size_t cap = 0;
  while (next_line(r, &line)) {
    if (blank(line)) continue;
    long n = split(line, fields, sizeof fields / sizeof *fields);
    if (n != (long)out->ncurrencies + 1)
      return fail(r, "%s fields where the header has %zu", n < 0 ? "more" : "a different number of",
                  out->ncurrencies + 1);
    int64_t day = fields[0].len <= MAX_FIELD ? day_of(fields[0]) : -1;
    if (day < 0)
      return fail(r, "\"%.*s\" is not a date (YYYY-MM-DD or 2 December 2026)",
                  (int)(fields[0].len > 32 ? 32 : fields[0].len), fields[0].p);
    if (out->days == *days_cap) {
      size_t grown_cap = *days_cap ? 2 * *days_cap : 256;
      int64_t *grown = realloc(*days, grown_cap * sizeof *grown);
      if (!grown) return PS_ENOMEM;
      *days = grown;
      *days_cap = grown_cap;
    }
    (*days)[out->days++] = day;
    if (out->days == 1 || day < out->first_day) out->first_day = day;
    if (out->days == 1 || day > out->last_day) out->last_day = day;
    for (long i = 1; i < n; i++) {
      double v;
      int got = fields[i].len <= MAX_FIELD ? rate_of(fields[i], &v) : -1;
      if (got < 0)
        return fail(r, "%s: \"%.*s\" is not a rate (a decimal above 0, or N/A)",
                    out->currencies[i - 1], (int)(fields[i].len > 32 ? 32 : fields[i].len),
                    fields[i].p);
      if (!got) continue;
      if (out->n == cap) {
        size_t grown_cap = cap ? 2 * cap : 1024;
        ps_rate *grown = realloc(out->rates, grown_cap * sizeof *grown);
        if (!grown) return PS_ENOMEM;
        out->rates = grown;
        cap = grown_cap;
      }
      ps_rate *rate = &out->rates[out->n++];
      rate->day = day;
      memcpy(rate->currency, out->currencies[i - 1], 4);
      rate->per_eur = v;
    }
  }
  return PS_OK;
}

int ps_ecb_rates_parse(const char *text, size_t len, ps_ecb_rates *out, char *why,
                       size_t why_cap) {
  memset(out, 0, sizeof *out);
  if (why_cap) why[0] = 0;
  reader r = {.text = text, .len = len, .why = why, .why_cap = why_cap};
  int64_t *days = NULL;
  size_t days_cap = 0;
  int rc = read_header(&r, out);
  if (rc == PS_OK) rc = read_rows(&r, out, &days, &days_cap);
  if (rc == PS_OK && out->days > 1) {
    qsort(days, out->days, sizeof *days, cmp_day);
    for (size_t i = 1; rc == PS_OK && i < out->days; i++)
      if (days[i] == days[i - 1]) {
        char date[PS_RFC3339_LEN + 1];
        ps_rfc3339_format(days[i] * 86400000LL, date);
        snprintf(why, why_cap, "%.10s appears on two rows", date);
        rc = PS_EINVAL;
      }
  }
  if (rc == PS_OK && out->n == 0) {
    snprintf(why, why_cap, "no rates: the file has no row with a rate");
    rc = PS_EINVAL;
  }
  free(days);
  if (rc == PS_ENOMEM) snprintf(why, why_cap, "out of memory");
  if (rc != PS_OK) ps_ecb_rates_free(out);
  return rc;
}

int ps_ecb_rates_summary(const ps_ecb_rates *r, ps_buf *out) {
  char from[PS_RFC3339_LEN + 1], to[PS_RFC3339_LEN + 1];
  ps_rfc3339_format(r->first_day * 86400000LL, from);
  ps_rfc3339_format(r->last_day * 86400000LL, to);
  int rc = ps_buf_printf(out, "{\"rates\":%zu,\"days\":%zu,\"from\":\"%.10s\",\"to\":\"%.10s\","
                              "\"currencies\":[",
                         r->n, r->days, from, to);
  for (size_t i = 0; rc == PS_OK && i < r->ncurrencies; i++)
    rc = ps_buf_printf(out, "%s\"%s\"", i ? "," : "", r->currencies[i]);
  return rc == PS_OK ? ps_buf_append_str(out, "]}") : rc;
}

void ps_ecb_rates_free(ps_ecb_rates *r) {
  free(r->rates);
  memset(r, 0, sizeof *r);
}
