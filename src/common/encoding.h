/* encoding.h: hex, base64 and URL percent-encoding helpers, shared by every protocol. */
#ifndef PS_COMMON_ENCODING_H
#define PS_COMMON_ENCODING_H

#include <stddef.h>

/* The value of a hex digit (either case), or -1. */
int ps_hex_digit(char c);

/* Writes the 2*n lowercase hex digits of bytes[0..n) and a NUL into out (2*n + 1 bytes). */
void ps_hex_encode(const unsigned char *bytes, size_t n, char *out);

/* Decodes len bytes of in ("%41" -> "A"; with plus_as_space, "+" -> " ", as forms encode
 * spaces) into out, which must hold len + 1 bytes; a malformed escape is kept as is. Returns
 * the decoded length; out is NUL-terminated. */
size_t ps_percent_decode(const char *in, size_t len, int plus_as_space, char *out);

typedef enum {
  PS_BASE64_STD, /* RFC 4648 section 4: '+', '/' (HTTP Basic credentials) */
  PS_BASE64_URL, /* RFC 4648 section 5: '-', '_' (JSON Web Tokens) */
} ps_base64_alphabet;

/* At most this many bytes come out of n characters of base64. */
#define PS_BASE64_DECODED_MAX(n) (3 * (((n) + 3) / 4))

/* Decodes the base64 text in[0..n) into out, which holds cap bytes, and sets *outlen.
 * Strict, so that a byte string has one accepted spelling apart from its padding: only
 * characters of the alphabet (no blanks, no line breaks), padding optional but, when present,
 * exactly what makes n a multiple of 4, and the unused low bits of the last character zero.
 * Returns 0, PS_EPARSE when the text is malformed or PS_ETOOBIG when cap is too small
 * (PS_BASE64_DECODED_MAX(n) always suffices); out is unspecified on failure. */
int ps_base64_decode(const char *in, size_t n, ps_base64_alphabet alphabet, unsigned char *out,
                     size_t cap, size_t *outlen);

#endif
