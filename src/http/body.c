/* body.c: see body.h. */
#include "http/body.h"

#include <zlib.h>

#include "common/errors.h"

int ps_gunzip(const void *in, size_t len, size_t limit, ps_buf *out) {
  z_stream zs = {0};
  int rc = PS_EPARSE;
  ps_buf_reset(out);
  if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK) return PS_ENOMEM; /* 32: gzip or zlib */
  zs.next_in = (Bytef *)in;
  zs.avail_in = (uInt)len;
  for (;;) {
    if (ps_buf_reserve(out, 64 * 1024) != PS_OK) {
      rc = PS_ENOMEM;
      goto out;
    }
    size_t room = out->cap - out->len - 1;
    zs.next_out = (Bytef *)out->data + out->len;
    zs.avail_out = (uInt)room;
    int z = inflate(&zs, Z_NO_FLUSH);
    out->len += room - zs.avail_out;
    out->data[out->len] = '\0';
    if (out->len > limit) {
      rc = PS_ETOOBIG;
      goto out;
    }
    if (z == Z_STREAM_END) {
      rc = zs.avail_in == 0 ? PS_OK : PS_EPARSE; /* trailing garbage */
      goto out;
    }
    if (z != Z_OK && z != Z_BUF_ERROR) goto out;
    if (z == Z_BUF_ERROR && zs.avail_in == 0) goto out; /* truncated */
  }
out:
  inflateEnd(&zs);
  return rc;
}
