/* encoding.c: see encoding.h. */
#include "common/encoding.h"

#include <stdint.h>

#include "common/errors.h"

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

/* The 6-bit value of a base64 character of the alphabet, or -1. */
static int base64_value(unsigned char c, ps_base64_alphabet alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == (alphabet == PS_BASE64_URL ? '-' : '+')) return 62;
  if (c == (alphabet == PS_BASE64_URL ? '_' : '/')) return 63;
  return -1;
}

int ps_base64_decode(const char *in, size_t n, ps_base64_alphabet alphabet, unsigned char *out,
                     size_t cap, size_t *outlen) {
  size_t data = n, pad = 0;
  while (pad < 2 && data > 0 && in[data - 1] == '=') {
    data--;
    pad++;
  }
  if (data % 4 == 1 || (pad > 0 && n % 4 != 0)) return PS_EPARSE;
  if (3 * (data / 4) + (data % 4 ? data % 4 - 1 : 0) > cap) return PS_ETOOBIG;
  uint32_t bits = 0; /* the last nbits bits read and not yet written */
  int nbits = 0;
  size_t o = 0;
  for (size_t i = 0; i < data; i++) {
    int v = base64_value((unsigned char)in[i], alphabet);
    if (v < 0) return PS_EPARSE;
    bits = (bits << 6 | (uint32_t)v) & 0xFFF;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out[o++] = (unsigned char)(bits >> nbits);
    }
  }
  if (bits & ((1u << nbits) - 1)) return PS_EPARSE; /* bits no byte uses must be 0 */
  *outlen = o;
  return PS_OK;
}
