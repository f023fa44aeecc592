/* encoding.c: see encoding.h. */
#include "common/encoding.h"

int ps_hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void ps_hex_encode(const unsigned char *bytes, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[bytes[i] >> 4];
    out[2 * i + 1] = digits[bytes[i] & 15];
  }
  out[2 * n] = '\0';
}

size_t ps_percent_decode(const char *in, size_t len, int plus_as_space, char *out) {
  size_t n = 0;
  for (size_t i = 0; i < len; i++) {
    char c = in[i];
    if (c == '+' && plus_as_space) {
      c = ' ';
    } else if (c == '%' && i + 2 < len) {
      int hi = ps_hex_digit(in[i + 1]), lo = ps_hex_digit(in[i + 2]);
      if (hi >= 0 && lo >= 0) {
        c = (char)(hi * 16 + lo);
        i += 2;
      }
    }
    out[n++] = c;
  }
  out[n] = '\0';
  return n;
}
