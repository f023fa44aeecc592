/*
 * random.h: identifiers and secrets from the operating system's CSPRNG (OpenSSL RAND_bytes,
 * seeded from getrandom). Every function writes a NUL-terminated string into a caller buffer
 * of the documented size and returns 0, or PS_EIO when the CSPRNG fails (nothing usable is
 * written then).
 */
#ifndef PS_COMMON_RANDOM_H
#define PS_COMMON_RANDOM_H

#include <stddef.h>

/* Writes 2*nbytes lowercase hex digits; out must hold 2*nbytes + 1 bytes. */
int ps_random_hex(char *out, size_t nbytes);
/* Writes a lowercase UUID version 4, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"; out[37]. */
int ps_random_uuid_v4(char out[37]);
/* Writes the UUID version 4 spelt by 16 bytes (their version and variant bits are overwritten)
 * into out[37]; for callers with their own random bytes (seeded simulations). */
void ps_uuid_v4_format(const unsigned char bytes[16], char out[37]);

#endif
