/* rfc3339.c: see rfc3339.h. Civil dates are converted with Howard Hinnant's days_from_civil
 * algorithm, so no time zone or locale state is involved. */
#include "common/rfc3339.h"

#include <stdio.h>
#include <string.h>

#include "common/errors.h"

/* n digits at *p as a number (advancing p), or -1. */
static int digits(const char **p, int n) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    char c = (*p)[i];
    if (c < '0' || c > '9') return -1;
    v = v * 10 + (c - '0');
  }
  *p += n;
  return v;
}

static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m) {
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : days[m - 1];
}

int ps_rfc3339_parse(const char *text, int64_t *ms) {
  const char *p = text;
  int y = digits(&p, 4);
  if (y < 1970 || *p++ != '-') return PS_EINVAL;
  int mo = digits(&p, 2);
  if (mo < 1 || mo > 12 || *p++ != '-') return PS_EINVAL;
  int d = digits(&p, 2);
  if (d < 1 || d > days_in_month(y, mo)) return PS_EINVAL;
  if (*p != 'T' && *p != 't' && *p != ' ') return PS_EINVAL;
  p++;
  int h = digits(&p, 2);
  if (h < 0 || h > 23 || *p++ != ':') return PS_EINVAL;
  int mi = digits(&p, 2);
  if (mi < 0 || mi > 59 || *p++ != ':') return PS_EINVAL;
  int s = digits(&p, 2);
  if (s < 0 || s > 59) return PS_EINVAL;
  int millis = 0;
  if (*p == '.') {
    p++;
    int n = 0;
    for (; *p >= '0' && *p <= '9'; p++, n++)
      if (n < 3) millis = millis * 10 + (*p - '0');
    if (n == 0 || n > 9) return PS_EINVAL;
    for (; n < 3; n++) millis *= 10;
  }
  int offset_min = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p++ == '-' ? -1 : 1;
    int oh = digits(&p, 2);
    if (oh < 0 || oh > 23 || *p++ != ':') return PS_EINVAL;
    int om = digits(&p, 2);
    if (om < 0 || om > 59) return PS_EINVAL;
    offset_min = sign * (oh * 60 + om);
  } else {
    return PS_EINVAL;
  }
  if (*p) return PS_EINVAL;
  int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset_min * 60;
  if (seconds < 0) return PS_EINVAL;
  *ms = seconds * 1000 + millis;
  return PS_OK;
}

void ps_rfc3339_format(int64_t ms, char out[PS_RFC3339_LEN + 1]) {
  int64_t days = ms / 86400000, rest = ms % 86400000;
  /* civil_from_days */
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = (int)(doy - (153 * mp + 2) / 5 + 1);
  int m = (int)(mp < 10 ? mp + 3 : mp - 9);
  int64_t y = yoe + era * 400 + (m <= 2);
  char text[64]; /* roomy: the compiler cannot see that every field fits its width */
  snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", (int)y, m, d,
           (int)(rest / 3600000), (int)(rest / 60000 % 60), (int)(rest / 1000 % 60),
           (int)(rest % 1000));
  memcpy(out, text, PS_RFC3339_LEN);
  out[PS_RFC3339_LEN] = 0;
}
