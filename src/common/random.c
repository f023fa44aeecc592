/* random.c: see random.h. */
#include "common/random.h"

#include <openssl/rand.h>
#include <stdint.h>
#include <string.h>

#include "common/encoding.h"
#include "common/errors.h"

int ps_random_hex(char *out, size_t nbytes) {
  unsigned char bytes[256];
  if (nbytes > sizeof bytes) return PS_EINVAL;
  if (RAND_bytes(bytes, (int)nbytes) != 1) return PS_EIO;
  ps_hex_encode(bytes, nbytes, out);
  return PS_OK;
}

int ps_random_uuid_v4(char out[37]) {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return PS_EIO;
  ps_uuid_v4_format(b, out);
  return PS_OK;
}

void ps_uuid_v4_format(const unsigned char bytes[16], char out[37]) {
  static const unsigned char group[] = {4, 2, 2, 2, 6}; /* bytes per dash-separated group */
  unsigned char b[16];
  memcpy(b, bytes, sizeof b);
  b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
  b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
  const unsigned char *p = b;
  for (size_t g = 0; g < sizeof group; g++) {
    if (g) *out++ = '-'; /* over the NUL the previous group ended with */
    ps_hex_encode(p, group[g], out);
    out += 2 * group[g];
    p += group[g];
  }
}
