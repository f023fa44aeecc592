/* encoding.h: hex and URL percent-encoding helpers, shared by every protocol. */
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

#endif
